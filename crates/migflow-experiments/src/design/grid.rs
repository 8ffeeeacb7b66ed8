//! Design `grid`: the full factorial over the factors' levels, the last
//! factor varying fastest.

use super::{DesignError, Factor, MAX_POINTS, Point, PointRole, Spec, err};

/// The points of design `grid`: every combination of the factors' levels
/// (all factors need levels), the last factor varying fastest.
pub(crate) fn generate(factors: &[Factor], specs: Vec<Spec>) -> Result<Vec<Point>, DesignError> {
    let mut levels = Vec::with_capacity(specs.len());
    for (i, spec) in specs.into_iter().enumerate() {
        match spec {
            Spec::Levels(l) => levels.push(l),
            Spec::Range { min, .. } => {
                return Err(err(
                    format!("factors[{i}].min"),
                    min,
                    "`levels`, not `min` and `max` (grid needs levels)",
                ));
            }
            Spec::Unset => {
                return Err(err(
                    format!("factors[{i}]"),
                    format!("\"{}\" without levels", factors[i].path),
                    "`levels` (grid needs levels)",
                ));
            }
        }
    }
    let count = levels
        .iter()
        .try_fold(1usize, |acc, l| acc.checked_mul(l.len()));
    match count {
        Some(c) if c <= MAX_POINTS => {}
        _ => {
            let shown = levels
                .iter()
                .map(|l| l.len().to_string())
                .collect::<Vec<_>>()
                .join(" × ");
            return Err(err(
                "design",
                format!("a grid of {shown} points"),
                format!("at most {MAX_POINTS} points"),
            ));
        }
    }
    let count = count.unwrap_or(0);
    let mut out = Vec::with_capacity(count);
    let mut idx = vec![0usize; levels.len()];
    for _ in 0..count {
        out.push(Point {
            values: idx
                .iter()
                .zip(&levels)
                .map(|(&j, l)| l[j].clone())
                .collect(),
            role: PointRole::Plain,
        });
        // Odometer: the last factor turns fastest.
        for d in (0..idx.len()).rev() {
            idx[d] += 1;
            if idx[d] < levels[d].len() {
                break;
            }
            idx[d] = 0;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use migflow_core::params::path::KeyKind;
    use toml::Value;

    use crate::design::testutil::{gen_, levels, range};
    use crate::design::{Design, PointRole};

    #[test]
    fn grid_count_is_product_and_last_factor_varies_fastest() {
        let factors = [
            levels("a", vec![Value::Integer(1), Value::Integer(2)]),
            levels(
                "b",
                vec![Value::Float(0.1), Value::Float(0.2), Value::Float(0.3)],
            ),
            levels("c", vec![Value::Boolean(true), Value::Boolean(false)]),
        ];
        let kinds = [KeyKind::Integer, KeyKind::Float, KeyKind::Bool];
        let pts = gen_(&Design::Grid, &factors, &kinds, 1).unwrap();
        assert_eq!(pts.len(), 2 * 3 * 2);
        let mut expected = Vec::new();
        for a in [1, 2] {
            for b in [0.1, 0.2, 0.3] {
                for c in [true, false] {
                    expected.push(vec![Value::Integer(a), Value::Float(b), Value::Boolean(c)]);
                }
            }
        }
        let got: Vec<_> = pts.iter().map(|p| p.values.clone()).collect();
        assert_eq!(got, expected);
        assert!(pts.iter().all(|p| p.role == PointRole::Plain));
    }

    #[test]
    fn grid_levels_are_coerced_to_the_key_kind() {
        let factors = [
            levels("a", vec![Value::Integer(1)]),
            levels("b", vec![Value::Float(3.0)]),
        ];
        let pts = gen_(
            &Design::Grid,
            &factors,
            &[KeyKind::Float, KeyKind::Integer],
            1,
        )
        .unwrap();
        assert_eq!(pts[0].values, vec![Value::Float(1.0), Value::Integer(3)]);
    }

    #[test]
    fn grid_refuses_more_than_ten_million_points() {
        let l: Vec<Value> = (0..1000).map(Value::Integer).collect();
        let factors = [
            levels("a", l.clone()),
            levels("b", l.clone()),
            levels("c", l),
        ];
        let e = gen_(&Design::Grid, &factors, &[KeyKind::Integer; 3], 1).unwrap_err();
        assert_eq!(e.key, "design");
        assert!(e.expected.contains("10000000"), "{e}");
    }

    #[test]
    fn grid_with_a_range_is_an_error() {
        let factors = [levels("a", vec![Value::Float(1.0)]), range("b", 0.0, 1.0)];
        let e = gen_(&Design::Grid, &factors, &[KeyKind::Float; 2], 1).unwrap_err();
        assert_eq!(e.key, "factors[1].min");
        assert!(e.expected.contains("grid needs levels"), "{e}");
    }
}
