//! The rules of MODEL.md §3, one file a section. Every function here is a
//! pure function of a household, its site and the year's settings (plus,
//! where the rule is random, the household's own [`Stream`](crate::rng::Stream)).
//! Nothing here knows about threads, files or other households, except
//! [`market`], the one place where households meet.

/// A getter and a setter for each yes/no fact kept as a bit of a record's
/// `flags` field (the records the engine keeps one a household are packed:
/// it streams them through memory in every phase).
macro_rules! flag_accessors {
    ($record:ty, $flags:ident; $($(#[$doc:meta])* $get:ident, $set:ident, $bit:expr;)*) => {
        impl $record {
            $(
                $(#[$doc])*
                #[inline]
                pub fn $get(&self) -> bool {
                    self.$flags & $bit != 0
                }

                #[doc = concat!("Set [`", stringify!($get), "`](Self::", stringify!($get), ").")]
                #[inline]
                pub fn $set(&mut self, on: bool) {
                    if on {
                        self.$flags |= $bit;
                    } else {
                        self.$flags &= !$bit;
                    }
                }
            )*
        }
    };
}

pub mod constants;
pub mod decision;
pub mod demography;
pub mod household;
pub mod income;
pub mod market;
pub mod poverty;
pub mod settle;

pub use household::{Household, Households, JobType, Jobs, Livelihood, MAX_MEMBERS, SurveyFacts};
pub use settle::{HouseholdYear, settle};
