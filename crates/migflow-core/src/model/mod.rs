//! The rules of MODEL.md §3, one file a section. Every function here is a
//! pure function of a household, its site and the year's settings (plus,
//! where the rule is random, the household's own [`Stream`](crate::rng::Stream)).
//! Nothing here knows about threads, files or other households, except
//! [`market`], the one place where households meet.

pub mod constants;
pub mod decision;
pub mod demography;
pub mod household;
pub mod income;
pub mod market;
pub mod poverty;
pub mod settle;

pub use household::{Household, JobType, Jobs, Livelihood, MAX_MEMBERS};
pub use settle::{HouseholdYear, settle};
