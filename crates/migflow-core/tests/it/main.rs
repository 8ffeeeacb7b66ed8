//! Integration tests of the model and engine: one binary, modules by topic.

mod costs;
mod docking;
mod engine;
mod levers;
mod properties;
mod util;
mod version2;
