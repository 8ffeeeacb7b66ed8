//! Design `morris`: `trajectories` one-at-a-time trajectories on a
//! `levels`-level grid (Morris 1991, trajectories built as in SALib),
//! `trajectories · (k + 1)` points for `k` varied factors.

use migflow_core::rng::Draw;

use super::space::{Space, permutation};
use super::{DesignError, MAX_POINTS, Point, PointRole, err};

/// The Morris step Δ = p / (2(p − 1)) on the unit scale, for `levels` = p.
pub fn morris_delta(levels: usize) -> f64 {
    levels as f64 / (2.0 * (levels as f64 - 1.0))
}

/// The points of design `morris` with `r` trajectories on `p` levels:
/// checks `r` and `p`, builds the factors' space with `space`, then checks
/// the number of points.
pub(crate) fn generate(
    r: usize,
    p: usize,
    seed: u64,
    space: impl FnOnce() -> Result<Space, DesignError>,
) -> Result<Vec<Point>, DesignError> {
    if r < 1 {
        return Err(err("design.trajectories", r, "at least 1 trajectory"));
    }
    if p < 2 || !p.is_multiple_of(2) || p > 1 << 30 {
        return Err(err(
            "design.levels",
            p,
            "an even number of levels from 2 to 2^30",
        ));
    }
    let space = space()?;
    let k = space.k();
    match r.checked_mul(k + 1) {
        Some(total) if total <= MAX_POINTS => {}
        _ => {
            return Err(err(
                "design.trajectories",
                r,
                format!(
                    "at most {MAX_POINTS} points in all (each trajectory has {} points)",
                    k + 1
                ),
            ));
        }
    }
    Ok(morris(&space, r, p, seed))
}

/// `r` Morris trajectories on a `p`-level grid over `space`.
fn morris(space: &Space, r: usize, p: usize, seed: u64) -> Vec<Point> {
    let k = space.k();
    // Work on grid indices 0..p; Δ is p/2 grid steps of 1/(p−1).
    let half = p / 2;
    let scale = 1.0 / (p - 1) as f64;
    let mut out = Vec::with_capacity(r * (k + 1));
    for t in 0..r {
        let mut s = Draw::Morris.stream(seed, t as u64);
        // Base x* on {0, 1/(p−1), …, 1 − Δ}.
        let base: Vec<usize> = (0..k)
            .map(|_| s.int_inclusive(0, half as i64 - 1) as usize)
            .collect();
        let up: Vec<bool> = (0..k).map(|_| s.int_inclusive(0, 1) == 1).collect();
        let order = permutation(k, &mut s);
        // SALib's B* construction: a factor moving down starts at x* + Δ.
        let mut level: Vec<usize> = (0..k)
            .map(|d| if up[d] { base[d] } else { base[d] + half })
            .collect();
        let unit = |level: &[usize]| {
            level
                .iter()
                .map(|&l| l as f64 * scale)
                .collect::<Vec<f64>>()
        };
        out.push(space.point(
            &unit(&level),
            PointRole::Morris {
                trajectory: t,
                step: 0,
                changed: None,
            },
        ));
        for (j, &d) in order.iter().enumerate() {
            level[d] = if up[d] {
                level[d] + half
            } else {
                level[d] - half
            };
            out.push(space.point(
                &unit(&level),
                PointRole::Morris {
                    trajectory: t,
                    step: j + 1,
                    changed: Some(d),
                },
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use migflow_core::params::path::KeyKind;

    use super::morris_delta;
    use crate::design::testutil::{f, gen_, range};
    use crate::design::{Design, Factor, Point, PointRole};

    fn morris_points(k: usize, r: usize, p: usize, seed: u64) -> (Vec<Factor>, Vec<Point>) {
        let factors: Vec<Factor> = (0..k)
            .map(|d| range(&format!("x{d}"), d as f64, 2.0 * d as f64 + 3.0))
            .collect();
        let pts = gen_(
            &Design::Morris {
                trajectories: r,
                levels: p,
            },
            &factors,
            &vec![KeyKind::Float; k],
            seed,
        )
        .unwrap();
        (factors, pts)
    }

    #[test]
    fn morris_steps_change_one_factor_by_delta_each_factor_once_within_range() {
        for p in [2, 4, 6] {
            let (k, r) = (5, 20);
            let (factors, pts) = morris_points(k, r, p, 5);
            assert_eq!(pts.len(), r * (k + 1));
            let delta = morris_delta(p);
            for (t, traj) in pts.chunks(k + 1).enumerate() {
                let mut changed_count = vec![0; k];
                assert_eq!(
                    traj[0].role,
                    PointRole::Morris {
                        trajectory: t,
                        step: 0,
                        changed: None
                    }
                );
                for step in 1..=k {
                    let (prev, cur) = (&traj[step - 1], &traj[step]);
                    let diffs: Vec<usize> = (0..k)
                        .filter(|&d| prev.values[d] != cur.values[d])
                        .collect();
                    assert_eq!(diffs.len(), 1, "p {p} trajectory {t} step {step}");
                    let d = diffs[0];
                    assert_eq!(
                        cur.role,
                        PointRole::Morris {
                            trajectory: t,
                            step,
                            changed: Some(d)
                        }
                    );
                    let span = factors[d].max.unwrap() - factors[d].min.unwrap();
                    let moved = (f(&cur.values[d]) - f(&prev.values[d])).abs();
                    assert!(
                        (moved - delta * span).abs() < 1e-9 * span,
                        "moved {moved}, Δ·span {}",
                        delta * span
                    );
                    changed_count[d] += 1;
                }
                assert!(changed_count.iter().all(|&c| c == 1), "{changed_count:?}");
                for pt in traj {
                    for (d, fac) in factors.iter().enumerate() {
                        let x = f(&pt.values[d]);
                        assert!(
                            x >= fac.min.unwrap() && x <= fac.max.unwrap(),
                            "{x} outside {fac:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn morris_moves_in_both_directions_and_visits_both_ends() {
        let (factors, pts) = morris_points(3, 50, 4, 9);
        let (mut up, mut down) = (0, 0);
        for traj in pts.chunks(4) {
            for w in traj.windows(2) {
                let d = (0..3).find(|&d| w[0].values[d] != w[1].values[d]).unwrap();
                if f(&w[1].values[d]) > f(&w[0].values[d]) {
                    up += 1
                } else {
                    down += 1
                }
            }
        }
        assert!(up > 30 && down > 30, "up {up} down {down}");
        let x0: Vec<f64> = pts.iter().map(|p| f(&p.values[0])).collect();
        assert!(x0.contains(&factors[0].min.unwrap()));
        assert!(x0.contains(&factors[0].max.unwrap()));
    }
}
