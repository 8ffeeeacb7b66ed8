//! The unit hypercube of the random designs (`lhs`, `sobol`, `morris`)
//! mapped onto the factors, and the shuffle they share.

use migflow_core::params::path::KeyKind;
use migflow_core::rng::Stream;

use super::{Design, DesignError, Factor, Point, PointRole, Spec, err};

/// The unit hypercube of a random design mapped onto the factors.
pub(crate) struct Space {
    /// Factor i's value when it is a constant.
    fixed: Vec<Option<toml::Value>>,
    /// The varied factors: (factor index, min, max, kind).
    dims: Vec<(usize, f64, f64, KeyKind)>,
}

impl Space {
    pub(crate) fn new(
        design: &Design,
        factors: &[Factor],
        kinds: &[KeyKind],
        specs: Vec<Spec>,
    ) -> Result<Space, DesignError> {
        let name = design.name();
        let needs = format!("design `{name}` needs numeric factors with `min` and `max`");
        let mut fixed = Vec::with_capacity(specs.len());
        let mut dims = Vec::new();
        for (i, spec) in specs.into_iter().enumerate() {
            match spec {
                Spec::Levels(mut l) if l.len() == 1 => fixed.push(l.pop()),
                Spec::Levels(l) => {
                    return Err(err(
                        format!("factors[{i}].levels"),
                        toml::Value::Array(l),
                        format!("`min` and `max`, or a single level for a constant: {needs}"),
                    ));
                }
                Spec::Range { min, max } => {
                    if !kinds[i].is_numeric() {
                        return Err(err(
                            format!("factors[{i}].min"),
                            min,
                            format!(
                                "no range, as `{}` holds {}: {needs} (a single level makes a constant)",
                                factors[i].path,
                                kinds[i].name()
                            ),
                        ));
                    }
                    fixed.push(None);
                    dims.push((i, min, max, kinds[i]));
                }
                Spec::Unset => {
                    return Err(err(
                        format!("factors[{i}]"),
                        format!("\"{}\" without levels or range", factors[i].path),
                        format!("`min` and `max`, or a single level for a constant: {needs}"),
                    ));
                }
            }
        }
        if dims.is_empty() {
            return Err(err(
                "factors",
                "no factor with `min` and `max`",
                format!("at least one varied factor: {needs}"),
            ));
        }
        Ok(Space { fixed, dims })
    }

    /// The point at unit coordinates `u` (one per varied factor, in [0, 1]).
    /// The number of varied factors, k (the space's dimensions).
    pub(crate) fn k(&self) -> usize {
        self.dims.len()
    }

    pub(crate) fn point(&self, u: &[f64], role: PointRole) -> Point {
        let mut values: Vec<toml::Value> = self
            .fixed
            .iter()
            .map(|v| v.clone().unwrap_or(toml::Value::Boolean(false)))
            .collect();
        for (&(i, min, max, kind), &u) in self.dims.iter().zip(u) {
            let x = (min + (max - min) * u).clamp(min, max);
            values[i] = match kind {
                KeyKind::Integer => toml::Value::Integer(x.round() as i64),
                _ => toml::Value::Float(x),
            };
        }
        Point { values, role }
    }
}

/// Fisher–Yates shuffle of `0..n` from `s`.
pub(crate) fn permutation(n: usize, s: &mut Stream) -> Vec<usize> {
    let mut p: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = s.int_inclusive(0, i as i64) as usize;
        p.swap(i, j);
    }
    p
}

#[cfg(test)]
mod tests {
    use migflow_core::params::path::KeyKind;
    use toml::Value;

    use crate::design::Design;
    use crate::design::testutil::{f, gen_, levels, range};

    #[test]
    fn integer_keys_get_integers() {
        let factors = [range("n", 1.0, 9.0), range("x", 0.0, 1.0)];
        let kinds = [KeyKind::Integer, KeyKind::Float];
        for design in [
            Design::Lhs { points: 20 },
            Design::Sobol { base_points: 8 },
            Design::Morris {
                trajectories: 5,
                levels: 4,
            },
        ] {
            let pts = gen_(&design, &factors, &kinds, 2).unwrap();
            for p in &pts {
                let Value::Integer(i) = p.values[0] else {
                    panic!("{design:?}: {:?}", p.values[0])
                };
                assert!((1..=9).contains(&i));
                assert!(matches!(p.values[1], Value::Float(_)));
            }
        }
    }

    #[test]
    fn constants_stay_constant() {
        let factors = [
            levels("name", vec![Value::String("east".into())]),
            range("x", 0.0, 1.0),
            levels("flag", vec![Value::Boolean(true)]),
            levels("n", vec![Value::Float(4.0)]),
        ];
        let kinds = [
            KeyKind::String,
            KeyKind::Float,
            KeyKind::Bool,
            KeyKind::Integer,
        ];
        for design in [
            Design::Lhs { points: 10 },
            Design::Sobol { base_points: 4 },
            Design::Morris {
                trajectories: 3,
                levels: 4,
            },
        ] {
            let pts = gen_(&design, &factors, &kinds, 4).unwrap();
            for p in &pts {
                assert_eq!(p.values[0], Value::String("east".into()));
                assert_eq!(p.values[2], Value::Boolean(true));
                assert_eq!(p.values[3], Value::Integer(4));
            }
            let xs: Vec<f64> = pts.iter().map(|p| f(&p.values[1])).collect();
            assert!(xs.iter().any(|&x| x != xs[0]), "{design:?} does not vary x");
        }
    }

    #[test]
    fn same_seed_gives_same_points_and_different_seed_different_points() {
        let factors = [range("a", 0.0, 1.0), range("b", 0.0, 10.0)];
        let kinds = [KeyKind::Float; 2];
        for design in [
            Design::Lhs { points: 10 },
            Design::Sobol { base_points: 8 },
            Design::Morris {
                trajectories: 4,
                levels: 6,
            },
        ] {
            let a = gen_(&design, &factors, &kinds, 42).unwrap();
            let b = gen_(&design, &factors, &kinds, 42).unwrap();
            let c = gen_(&design, &factors, &kinds, 43).unwrap();
            assert_eq!(a, b, "{design:?}");
            assert_ne!(a, c, "{design:?}");
        }
    }

    #[test]
    fn sobol_with_a_bool_factor_is_an_error() {
        let factors = [range("a", 0.0, 1.0), range("flag", 0.0, 1.0)];
        let e = gen_(
            &Design::Sobol { base_points: 4 },
            &factors,
            &[KeyKind::Float, KeyKind::Bool],
            1,
        )
        .unwrap_err();
        assert_eq!(e.key, "factors[1].min");
        assert!(
            e.expected
                .contains("design `sobol` needs numeric factors with `min` and `max`"),
            "{e}"
        );
        // Several levels are not a dimension either.
        let factors = [
            range("a", 0.0, 1.0),
            levels("flag", vec![Value::Boolean(true), Value::Boolean(false)]),
        ];
        let e = gen_(
            &Design::Sobol { base_points: 4 },
            &factors,
            &[KeyKind::Float, KeyKind::Bool],
            1,
        )
        .unwrap_err();
        assert_eq!(e.key, "factors[1].levels");
        assert!(e.expected.contains("needs numeric factors"), "{e}");
    }
}
