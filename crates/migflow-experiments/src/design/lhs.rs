//! Design `lhs`: a Latin hypercube of `points` points over the varied
//! factors, each dimension's strata shuffled by its own stream.

use migflow_core::rng::Draw;

use super::space::{Space, permutation};
use super::{DesignError, MAX_POINTS, Point, PointRole, err};

/// The points of design `lhs` with `n` points: checks `n`, then builds the
/// factors' space with `space`.
pub(crate) fn generate(
    n: usize,
    seed: u64,
    space: impl FnOnce() -> Result<Space, DesignError>,
) -> Result<Vec<Point>, DesignError> {
    if n < 2 {
        return Err(err("design.points", n, "at least 2 points"));
    }
    if n > MAX_POINTS {
        return Err(err(
            "design.points",
            n,
            format!("at most {MAX_POINTS} points"),
        ));
    }
    Ok(lhs(&space()?, n, seed))
}

/// The Latin hypercube of `n` points over `space`.
fn lhs(space: &Space, n: usize, seed: u64) -> Vec<Point> {
    let k = space.k();
    let mut u = vec![0.0; n * k];
    for d in 0..k {
        // One stream per dimension (its index among the varied factors).
        let mut s = Draw::Lhs.stream(seed, d as u64);
        let strata = permutation(n, &mut s);
        for (i, &stratum) in strata.iter().enumerate() {
            u[i * k + d] = (stratum as f64 + s.uniform()) / n as f64;
        }
    }
    u.chunks(k)
        .map(|row| space.point(row, PointRole::Plain))
        .collect()
}

#[cfg(test)]
mod tests {
    use migflow_core::params::path::KeyKind;

    use crate::design::Design;
    use crate::design::testutil::{f, gen_, range};

    #[test]
    fn lhs_hits_every_stratum_of_every_dimension_exactly_once() {
        let n = 97;
        let factors = [
            range("a", 0.0, 1.0),
            range("b", -5.0, 5.0),
            range("c", 10.0, 20.0),
        ];
        let pts = gen_(
            &Design::Lhs { points: n },
            &factors,
            &[KeyKind::Float; 3],
            7,
        )
        .unwrap();
        assert_eq!(pts.len(), n);
        for (d, fac) in factors.iter().enumerate() {
            let (min, max) = (fac.min.unwrap(), fac.max.unwrap());
            let mut hits = vec![0; n];
            for p in &pts {
                let u = (f(&p.values[d]) - min) / (max - min);
                assert!((0.0..1.0).contains(&u));
                hits[((u * n as f64) as usize).min(n - 1)] += 1;
            }
            assert!(hits.iter().all(|&h| h == 1), "dimension {d}: {hits:?}");
        }
    }
}
