//! Rank-based indices of a sample of points (Latin hypercube, grid, table):
//! PRCC with Fisher-z intervals and t-test p-values, SRRC with percentile
//! bootstrap intervals, and the rank regression's R². Functions of plain
//! numbers; no files.
//!
//! Least squares is a Householder QR of the standardised ranks (no
//! pivoting, no normal equations): the columns are standardised ranks, so
//! the problems are small and well scaled, and QR keeps the accuracy that
//! forming `XᵀX` would square away when factors are nearly collinear. A
//! column whose part orthogonal to the columns before it is below
//! [`COLLINEAR_TOL`] of its norm makes the design singular.

use rayon::prelude::*;
use statrs::distribution::{ContinuousCDF, StudentsT};

use super::estimators::{Estimate, percentile_ci, resample};

/// A column whose component orthogonal to the columns before it is smaller
/// than this fraction of its norm is taken as a linear combination of them
/// (the sine of its angle to their span; ranks are exact small numbers, so
/// anything this close to collinear is collinear by construction).
pub const COLLINEAR_TOL: f64 = 1e-9;

/// The normal quantile of a two-sided 95 % interval.
const Z975: f64 = 1.959_963_984_540_054;

/// The ranks of `x` from 1 to n, ties given the average of the ranks they
/// span (so `[3, 1, 3, 2]` ranks `[3.5, 1, 3.5, 2]`).
pub fn average_ranks(x: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..x.len()).collect();
    // Stable, so the result does not depend on the sort's handling of ties.
    order.sort_by(|&a, &b| x[a].total_cmp(&x[b]));
    let mut ranks = vec![0.0; x.len()];
    let mut i = 0;
    while i < order.len() {
        let mut j = i + 1;
        while j < order.len() && x[order[j]] == x[order[i]] {
            j += 1;
        }
        // Positions i..j (0-based) hold ranks i+1..=j: their mean.
        let r = (i + 1 + j) as f64 / 2.0;
        for &o in &order[i..j] {
            ranks[o] = r;
        }
        i = j;
    }
    ranks
}

/// `x` centred on its mean and divided by its standard deviation (divisor
/// n); `None` when it does not vary.
fn standardise(x: &[f64]) -> Option<Vec<f64>> {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let ss = x.iter().map(|v| (v - m).powi(2)).sum::<f64>();
    let sd = (ss / n).sqrt();
    (sd.is_finite() && sd > 0.0 && ss > (1e-12 * m.abs().max(1.0)).powi(2) * n)
        .then(|| x.iter().map(|v| (v - m) / sd).collect())
}

/// A Householder QR of the columns of a tall matrix, for least squares.
struct Qr {
    /// Column-major, overwritten by R above the diagonal and the Householder
    /// vectors from it down.
    cols: Vec<Vec<f64>>,
    /// The diagonal of R.
    rdiag: Vec<f64>,
}

impl Qr {
    /// Factor `cols` (each of length n ≥ the number of columns). `Err(j)`
    /// when column `j` lies in the span of the columns before it.
    fn new(cols: &[&[f64]]) -> Result<Qr, usize> {
        let m = cols.len();
        let mut a: Vec<Vec<f64>> = cols.iter().map(|c| c.to_vec()).collect();
        let mut rdiag = vec![0.0; m];
        for c in 0..m {
            let n = a[c].len();
            let full = a[c].iter().map(|v| v * v).sum::<f64>().sqrt();
            let norm = a[c][c..].iter().map(|v| v * v).sum::<f64>().sqrt();
            // The original norm is untouched by reflections: compare with it.
            let original = cols[c].iter().map(|v| v * v).sum::<f64>().sqrt();
            // NaN fails `>` too, so a non-finite column is refused here.
            let independent = norm > COLLINEAR_TOL * original;
            if c >= n || !independent || !full.is_finite() {
                return Err(c);
            }
            let alpha = if a[c][c] > 0.0 { -norm } else { norm };
            a[c][c] -= alpha;
            let beta = a[c][c..].iter().map(|v| v * v).sum::<f64>();
            let (head, tail) = a.split_at_mut(c + 1);
            let v = &head[c][c..];
            for col in tail.iter_mut() {
                reflect(v, beta, &mut col[c..]);
            }
            rdiag[c] = alpha;
        }
        Ok(Qr { cols: a, rdiag })
    }

    /// The least-squares coefficients of `y` on the factored columns.
    fn solve(&self, y: &[f64]) -> Vec<f64> {
        let m = self.cols.len();
        let mut qty = y.to_vec();
        for c in 0..m {
            let v = &self.cols[c][c..];
            let beta = v.iter().map(|x| x * x).sum::<f64>();
            reflect(v, beta, &mut qty[c..]);
        }
        let mut coef = vec![0.0; m];
        for i in (0..m).rev() {
            let mut s = qty[i];
            for (j, cj) in coef.iter().enumerate().skip(i + 1) {
                s -= self.cols[j][i] * cj;
            }
            coef[i] = s / self.rdiag[i];
        }
        coef
    }
}

/// Apply the reflection `I − 2 v vᵀ / β` to `x` (β = vᵀv).
fn reflect(v: &[f64], beta: f64, x: &mut [f64]) {
    if beta == 0.0 {
        return;
    }
    let w = 2.0 * v.iter().zip(x.iter()).map(|(a, b)| a * b).sum::<f64>() / beta;
    for (xi, vi) in x.iter_mut().zip(v) {
        *xi -= w * vi;
    }
}

/// `y` minus its least-squares fit on `cols` (no intercept: the columns
/// and `y` are centred). With no columns, `y` itself.
fn residuals(cols: &[&[f64]], y: &[f64]) -> Result<Vec<f64>, usize> {
    if cols.is_empty() {
        return Ok(y.to_vec());
    }
    let coef = Qr::new(cols)?.solve(y);
    Ok(fitted_residuals(cols, &coef, y))
}

fn fitted_residuals(cols: &[&[f64]], coef: &[f64], y: &[f64]) -> Vec<f64> {
    (0..y.len())
        .map(|i| y[i] - cols.iter().zip(coef).map(|(c, b)| c[i] * b).sum::<f64>())
        .collect()
}

/// Why rank-based indices cannot be computed for a sample.
#[derive(Debug, Clone, PartialEq)]
pub enum RankError {
    /// Fewer than k + 3 points (a partial correlation of k factors needs
    /// n − k − 2 ≥ 1 degrees of freedom for its interval).
    TooFewPoints {
        /// Points with a value.
        points: usize,
        /// Factors.
        factors: usize,
    },
    /// Factor `factor` (index) takes the single value `value`.
    ConstantFactor {
        /// The factor's index.
        factor: usize,
        /// Its only value.
        value: f64,
    },
    /// The output takes the single value `value`.
    ConstantOutput {
        /// Its only value.
        value: f64,
    },
    /// The ranks of factor `factor` (index) are a linear combination of
    /// those of the factors before it.
    Collinear {
        /// The factor's index.
        factor: usize,
    },
}

/// The rank-based indices of one output.
#[derive(Debug, Clone, PartialEq)]
pub struct RankResult {
    /// PRCC of each factor with its Fisher-z 95 % interval; `None` where the
    /// output is an exact linear function of the other factors' ranks.
    pub prcc: Vec<Estimate>,
    /// The two-sided p-value of each PRCC (t test, n − 2 − p dof with p =
    /// k − 1 other factors).
    pub prcc_p: Vec<Option<f64>>,
    /// SRRC of each factor with its percentile bootstrap 95 % interval.
    pub srrc: Vec<Estimate>,
    /// R² of the rank regression, with its percentile bootstrap interval.
    pub r2: Estimate,
    /// Points used.
    pub points: usize,
}

/// Fisher's z interval of a partial correlation `r` of `n` points with `p`
/// other factors: `tanh(atanh(r) ± 1.96 / √(n − 3 − p))`; `None` with
/// n − 3 − p < 1.
pub fn fisher_ci(r: f64, n: usize, p: usize) -> Option<(f64, f64)> {
    let dof = n.checked_sub(3 + p).filter(|&d| d >= 1)? as f64;
    let z = r.clamp(-1.0, 1.0).atanh();
    let h = Z975 / dof.sqrt();
    Some(((z - h).tanh(), (z + h).tanh()))
}

/// The two-sided p-value of the null "no partial correlation" for a
/// partial correlation `r` of `n` points with `p` other factors:
/// `t = r √((n − 2 − p) / (1 − r²))` against Student's t with n − 2 − p
/// degrees of freedom.
pub fn prcc_p_value(r: f64, n: usize, p: usize) -> Option<f64> {
    let dof = n.checked_sub(2 + p).filter(|&d| d >= 1)? as f64;
    let one_minus = 1.0 - r * r;
    if one_minus <= 0.0 {
        return Some(0.0);
    }
    let t = (r * (dof / one_minus).sqrt()).abs();
    let dist = StudentsT::new(0.0, 1.0, dof).ok()?;
    Some((2.0 * dist.sf(t)).clamp(0.0, 1.0))
}

/// Standardised ranks of each factor column and of the output, or why not.
fn standard_ranks(x: &[Vec<f64>], y: &[f64]) -> Result<(Vec<Vec<f64>>, Vec<f64>), RankError> {
    let mut zx = Vec::with_capacity(x.len());
    for (j, col) in x.iter().enumerate() {
        match standardise(&average_ranks(col)) {
            Some(z) => zx.push(z),
            None => {
                return Err(RankError::ConstantFactor {
                    factor: j,
                    value: col[0],
                });
            }
        }
    }
    let zy = standardise(&average_ranks(y)).ok_or(RankError::ConstantOutput { value: y[0] })?;
    Ok((zx, zy))
}

/// Whether the factors `x` (one column per factor) make a design the
/// rank regressions can use: every factor varies and no factor's ranks are
/// a linear combination of the others'.
pub fn check_design(x: &[Vec<f64>]) -> Result<(), RankError> {
    let mut zx = Vec::with_capacity(x.len());
    for (j, col) in x.iter().enumerate() {
        let z = standardise(&average_ranks(col)).ok_or(RankError::ConstantFactor {
            factor: j,
            value: col.first().copied().unwrap_or(f64::NAN),
        })?;
        zx.push(z);
    }
    let cols: Vec<&[f64]> = zx.iter().map(Vec::as_slice).collect();
    Qr::new(&cols)
        .map(|_| ())
        .map_err(|factor| RankError::Collinear { factor })
}

/// SRRC and R² of standardised ranks: the least-squares coefficients of
/// the output on the factors, and 1 − RSS / TSS.
fn srrc_of(zx: &[Vec<f64>], zy: &[f64]) -> Result<(Vec<f64>, f64), RankError> {
    let cols: Vec<&[f64]> = zx.iter().map(Vec::as_slice).collect();
    let qr = Qr::new(&cols).map_err(|factor| RankError::Collinear { factor })?;
    let coef = qr.solve(zy);
    let rss = fitted_residuals(&cols, &coef, zy)
        .iter()
        .map(|e| e * e)
        .sum::<f64>();
    let tss = zy.iter().map(|v| v * v).sum::<f64>();
    Ok((coef, 1.0 - rss / tss))
}

/// PRCC of each factor from standardised ranks: the correlation of the
/// residuals of factor j and of the output after regressing both on the
/// other factors (Marino et al. 2008). `None` where a residual vanishes.
fn prcc_of(zx: &[Vec<f64>], zy: &[f64]) -> Result<Vec<Option<f64>>, RankError> {
    let k = zx.len();
    let mut out = Vec::with_capacity(k);
    for j in 0..k {
        let others: Vec<&[f64]> = (0..k)
            .filter(|&i| i != j)
            .map(|i| zx[i].as_slice())
            .collect();
        let relabel = |c: usize| RankError::Collinear {
            factor: if c >= j { c + 1 } else { c },
        };
        let ex = residuals(&others, &zx[j]).map_err(relabel)?;
        let ey = residuals(&others, zy).map_err(relabel)?;
        let sxx = ex.iter().map(|v| v * v).sum::<f64>();
        let syy = ey.iter().map(|v| v * v).sum::<f64>();
        let n = zy.len() as f64;
        // Against the standardised columns' sum of squares, n.
        if sxx <= (COLLINEAR_TOL).powi(2) * n {
            return Err(RankError::Collinear { factor: j });
        }
        let sxy = ex.iter().zip(&ey).map(|(a, b)| a * b).sum::<f64>();
        out.push(
            (syy > 1e-24 * n)
                .then(|| (sxy / (sxx * syy).sqrt()).clamp(-1.0, 1.0))
                .filter(|r| r.is_finite()),
        );
    }
    Ok(out)
}

/// PRCC (Fisher-z intervals, t-test p-values), SRRC and R² (percentile
/// intervals from `bootstrap` resamples of the points, drawn from the
/// [`Draw::Bootstrap`](migflow_core::rng::Draw::Bootstrap) streams of
/// `seed`) of the output `y` on the factors `x` (one column per factor, a
/// value per point). The points are ranked once and the resamples draw
/// rows of those ranks (re-standardised), as R's `sensitivity::src(rank =
/// TRUE)` does: ranking each resample afresh would turn its repeated
/// points into ties and bias R² down. A resample whose design is singular
/// (a factor drawn at one value, or collinear) is left out of the
/// intervals.
pub fn rank_indices(
    x: &[Vec<f64>],
    y: &[f64],
    bootstrap: usize,
    seed: u64,
) -> Result<RankResult, RankError> {
    let (k, n) = (x.len(), y.len());
    if n < k + 3 {
        return Err(RankError::TooFewPoints {
            points: n,
            factors: k,
        });
    }
    let (zx, zy) = standard_ranks(x, y)?;
    let (srrc, r2) = srrc_of(&zx, &zy)?;
    let prcc = prcc_of(&zx, &zy)?;
    let p = k - 1;
    let boot: Vec<(Vec<f64>, f64)> = (0..bootstrap)
        .into_par_iter()
        .filter_map(|b| {
            let idx = resample(seed, b, n);
            let pick = |c: &[f64]| standardise(&idx.iter().map(|&i| c[i]).collect::<Vec<_>>());
            let bx: Vec<Vec<f64>> = zx.iter().map(|c| pick(c)).collect::<Option<_>>()?;
            srrc_of(&bx, &pick(&zy)?).ok()
        })
        .collect();
    let mut r2_boot: Vec<f64> = boot.iter().map(|b| b.1).collect();
    Ok(RankResult {
        prcc: prcc
            .iter()
            .map(|r| Estimate {
                value: *r,
                ci95: r.and_then(|r| fisher_ci(r, n, p)),
            })
            .collect(),
        prcc_p: prcc
            .iter()
            .map(|r| r.and_then(|r| prcc_p_value(r, n, p)))
            .collect(),
        srrc: (0..k)
            .map(|j| Estimate {
                value: Some(srrc[j]),
                ci95: percentile_ci(&mut boot.iter().map(|b| b.0[j]).collect()),
            })
            .collect(),
        r2: Estimate {
            value: Some(r2),
            ci95: percentile_ci(&mut r2_boot),
        },
        points: n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A deterministic uniform sample (a 64-bit LCG; the tests need numbers,
    /// not the simulation's streams).
    fn uniforms(seed: u64, n: usize) -> Vec<f64> {
        let mut s = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 11) as f64 + 0.5) / (1u64 << 53) as f64
            })
            .collect()
    }

    /// A Latin hypercube column: a random permutation of the n strata,
    /// jittered within each.
    fn lhs_column(seed: u64, n: usize) -> Vec<f64> {
        let u = uniforms(seed, 2 * n);
        let mut order: Vec<usize> = (0..n).collect();
        order.sort_by(|&a, &b| u[a].total_cmp(&u[b]));
        (0..n)
            .map(|i| (order[i] as f64 + u[n + i]) / n as f64)
            .collect()
    }

    /// PRCC from the inverse C of the correlation matrix of (factors,
    /// output): −C_jy / √(C_jj C_yy). Gauss–Jordan with partial pivoting,
    /// a formula independent of the residual route.
    fn prcc_by_inverse(x: &[Vec<f64>], y: &[f64]) -> Vec<f64> {
        let mut z: Vec<Vec<f64>> = x
            .iter()
            .map(|c| standardise(&average_ranks(c)).unwrap())
            .collect();
        z.push(standardise(&average_ranks(y)).unwrap());
        let m = z.len();
        let n = y.len() as f64;
        let mut a: Vec<Vec<f64>> = (0..m)
            .map(|i| {
                let mut row: Vec<f64> = (0..m)
                    .map(|j| z[i].iter().zip(&z[j]).map(|(p, q)| p * q).sum::<f64>() / n)
                    .collect();
                row.extend((0..m).map(|j| if i == j { 1.0 } else { 0.0 }));
                row
            })
            .collect();
        for c in 0..m {
            let piv = (c..m)
                .max_by(|&p, &q| a[p][c].abs().total_cmp(&a[q][c].abs()))
                .unwrap();
            a.swap(c, piv);
            let d = a[c][c];
            for v in a[c].iter_mut() {
                *v /= d;
            }
            for r in 0..m {
                if r != c {
                    let f = a[r][c];
                    let pivot_row = a[c].clone();
                    for (v, p) in a[r].iter_mut().zip(&pivot_row) {
                        *v -= f * p;
                    }
                }
            }
        }
        let inv = |i: usize, j: usize| a[i][m + j];
        let yk = m - 1;
        (0..yk)
            .map(|j| -inv(j, yk) / (inv(j, j) * inv(yk, yk)).sqrt())
            .collect()
    }

    #[test]
    fn ties_get_the_average_of_their_ranks() {
        assert_eq!(average_ranks(&[3.0, 1.0, 3.0, 2.0]), [3.5, 1.0, 3.5, 2.0]);
        // Three tied at the top share ranks 3, 4, 5.
        assert_eq!(
            average_ranks(&[0.2, 9.0, 9.0, 0.1, 9.0]),
            [2.0, 4.0, 4.0, 1.0, 4.0]
        );
        assert_eq!(average_ranks(&[5.0, 5.0]), [1.5, 1.5]);
    }

    #[test]
    fn one_factor_prcc_is_spearmans_rho_computed_by_hand() {
        // d = rank differences (−1, 1, −1, 1, 0): ρ = 1 − 6·4 / (5·24) = 0.8.
        let x = vec![vec![1.0, 2.0, 3.0, 4.0, 5.0]];
        let y = [2.0, 1.0, 4.0, 3.0, 5.0];
        let r = rank_indices(&x, &y, 0, 1).expect("indices");
        let prcc = r.prcc[0].value.expect("prcc");
        assert!((prcc - 0.8).abs() < 1e-12, "{prcc}");
        // With one factor the standardised slope is the correlation too,
        // and R² its square.
        assert!((r.srrc[0].value.expect("srrc") - 0.8).abs() < 1e-12);
        assert!((r.r2.value.expect("r2") - 0.64).abs() < 1e-12);
        // Fisher: atanh(0.8) = 1.0986, ± 1.96/√2 = 1.3859 → tanh(−0.2873),
        // tanh(2.4845).
        let (lo, hi) = r.prcc[0].ci95.expect("ci");
        assert!((lo - (-0.279_64)).abs() < 1e-5, "{lo}");
        assert!((hi - 0.986_20).abs() < 1e-5, "{hi}");
        // t = 0.8·√(3/0.36) = 2.3094 on 3 dof: p = 0.1041 (two-sided).
        let p = r.prcc_p[0].expect("p");
        assert!((p - 0.1041).abs() < 1e-3, "{p}");
    }

    #[test]
    fn prcc_by_residuals_equals_minus_c_ij_over_root_c_ii_c_jj_of_the_inverse() {
        // A small table with ties and correlated factors.
        let x = vec![
            vec![1.0, 2.0, 2.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
            vec![3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0],
            vec![2.0, 7.0, 1.0, 8.0, 2.0, 8.0, 1.0, 8.0, 2.0],
        ];
        let y = [1.5, 2.0, 2.5, 7.0, 4.0, 9.5, 5.0, 8.0, 8.0];
        let r = rank_indices(&x, &y, 0, 1).expect("indices");
        let inv = prcc_by_inverse(&x, &y);
        assert_eq!(inv.len(), 3);
        for (j, want) in inv.iter().enumerate() {
            let got = r.prcc[j].value.expect("prcc");
            assert!((got - want).abs() < 1e-10, "x{j}: {got} vs {want}");
        }
    }

    #[test]
    fn a_monotone_output_of_x1_has_prcc_near_one_and_the_noise_factor_near_zero() {
        let n = 200;
        let (x1, x2, e) = (lhs_column(1, n), lhs_column(2, n), uniforms(3, n));
        let y: Vec<f64> = (0..n).map(|i| (4.0 * x1[i]).exp() + 0.5 * e[i]).collect();
        let r = rank_indices(&[x1.clone(), x2], &y, 200, 9).expect("indices");
        let p1 = r.prcc[0].value.expect("prcc");
        assert!(p1 > 0.95, "{p1}");
        assert!(r.prcc_p[0].expect("p") < 1e-10);
        let p2 = r.prcc[1].value.expect("prcc");
        let (lo, hi) = r.prcc[1].ci95.expect("ci");
        assert!(p2.abs() < 0.15 && lo < 0.0 && 0.0 < hi, "{p2} [{lo}, {hi}]");
        assert!(r.prcc_p[1].expect("p") > 0.05);
        // A decreasing relation gives the mirrored, negative PRCC.
        let neg: Vec<f64> = y.iter().map(|v| -v).collect();
        let x2 = lhs_column(2, n);
        let q = rank_indices(&[x1, x2], &neg, 0, 9).expect("indices");
        assert!((q.prcc[0].value.expect("prcc") + p1).abs() < 1e-12);
        assert!(q.prcc[0].ci95.expect("ci").1 < 0.0);
    }

    #[test]
    fn a_linear_model_on_a_latin_hypercube_has_srrc_near_its_standardised_coefficients() {
        // y = 3 x1 + x2 + ε with x uniform on [0, 1]: sd(x1) = sd(x2), so
        // the standardised coefficients are 3/√10 = 0.949 and 1/√10 = 0.316
        // (ε is small). Ranking y bends it slightly (3 x1 + x2 is
        // trapezoidal, its distribution function linear over the middle
        // two thirds only), hence the tolerance of 0.03.
        let n = 500;
        let (x1, x2, e) = (lhs_column(11, n), lhs_column(12, n), uniforms(13, n));
        let y: Vec<f64> = (0..n)
            .map(|i| 3.0 * x1[i] + x2[i] + 0.05 * (e[i] - 0.5))
            .collect();
        let r = rank_indices(&[x1, x2], &y, 300, 4).expect("indices");
        let s: Vec<f64> = r.srrc.iter().map(|e| e.value.expect("srrc")).collect();
        let exact = [3.0 / 10f64.sqrt(), 1.0 / 10f64.sqrt()];
        for j in 0..2 {
            assert!((s[j] - exact[j]).abs() < 0.03, "SRRC x{j} = {}", s[j]);
            let (lo, hi) = r.srrc[j].ci95.expect("ci");
            assert!(lo < s[j] && s[j] < hi && hi - lo < 0.1, "[{lo}, {hi}]");
        }
        assert!((s[0] / s[1] - 3.0).abs() < 0.3, "{s:?}");
        let r2 = r.r2.value.expect("r2");
        assert!(r2 > 0.97, "{r2}");
        let (lo, hi) = r.r2.ci95.expect("ci");
        assert!(lo <= r2 && r2 <= hi && hi <= 1.0, "{r2} [{lo}, {hi}]");
    }

    #[test]
    fn the_bootstrap_is_the_same_every_time_and_moves_with_the_seed() {
        let n = 40;
        let x = vec![lhs_column(5, n), lhs_column(6, n)];
        let y: Vec<f64> = (0..n).map(|i| x[0][i] + x[1][i] * x[1][i]).collect();
        let a = rank_indices(&x, &y, 100, 7).expect("indices");
        assert_eq!(a, rank_indices(&x, &y, 100, 7).expect("indices"));
        let b = rank_indices(&x, &y, 100, 8).expect("indices");
        assert_eq!(a.srrc[0].value, b.srrc[0].value);
        assert_ne!(a.srrc[0].ci95, b.srrc[0].ci95);
    }

    #[test]
    fn too_few_points_constant_columns_and_collinear_factors_are_refused() {
        let x = vec![vec![1.0, 2.0, 3.0, 4.0], vec![4.0, 1.0, 3.0, 2.0]];
        assert_eq!(
            rank_indices(&x, &[1.0, 2.0, 3.0, 4.0], 0, 1),
            Err(RankError::TooFewPoints {
                points: 4,
                factors: 2
            })
        );
        let x = vec![vec![1.0, 2.0, 3.0, 4.0, 5.0], vec![0.5; 5]];
        assert_eq!(
            rank_indices(&x, &[1.0, 2.0, 3.0, 4.0, 5.0], 0, 1),
            Err(RankError::ConstantFactor {
                factor: 1,
                value: 0.5
            })
        );
        let x = vec![vec![1.0, 2.0, 3.0, 4.0, 5.0], vec![5.0, 3.0, 1.0, 2.0, 4.0]];
        assert_eq!(
            rank_indices(&x, &[0.25; 5], 0, 1),
            Err(RankError::ConstantOutput { value: 0.25 })
        );
        // x2 is a monotone function of x1: the same ranks.
        let x = vec![
            vec![1.0, 2.0, 3.0, 4.0, 5.0, 6.0],
            vec![10.0, 20.0, 30.0, 40.0, 50.0, 60.0],
        ];
        assert_eq!(
            rank_indices(&x, &[3.0, 1.0, 2.0, 6.0, 5.0, 4.0], 0, 1),
            Err(RankError::Collinear { factor: 1 })
        );
    }
}
