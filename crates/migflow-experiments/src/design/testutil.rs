//! Factors and a shorthand for [`generate`] shared by the design tests.

use std::path::Path;

use migflow_core::params::path::KeyKind;
use toml::Value;

use super::{Design, DesignError, Factor, Point, generate};

/// A factor with the range `min`..`max`.
pub(crate) fn range(path: &str, min: f64, max: f64) -> Factor {
    Factor {
        path: path.into(),
        levels: None,
        min: Some(min),
        max: Some(max),
    }
}

/// A factor with levels.
pub(crate) fn levels(path: &str, l: Vec<Value>) -> Factor {
    Factor {
        path: path.into(),
        levels: Some(l),
        min: None,
        max: None,
    }
}

/// A factor with only a path (as in a table design).
pub(crate) fn bare(path: &str) -> Factor {
    Factor {
        path: path.into(),
        levels: None,
        min: None,
        max: None,
    }
}

/// [`generate`] with tables resolved against the current directory.
pub(crate) fn gen_(
    design: &Design,
    factors: &[Factor],
    kinds: &[KeyKind],
    seed: u64,
) -> Result<Vec<Point>, DesignError> {
    generate(design, factors, kinds, seed, Path::new("."))
}

/// A number value as f64.
pub(crate) fn f(v: &Value) -> f64 {
    match v {
        Value::Float(x) => *x,
        Value::Integer(i) => *i as f64,
        _ => panic!("not a number: {v}"),
    }
}
