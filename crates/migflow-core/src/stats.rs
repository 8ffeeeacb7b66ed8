//! Small statistics shared by every layer: the summary of replicate values
//! (mean, sd, Student-t interval), log-normal parameters and size formatting.

use statrs::distribution::{ContinuousCDF, StudentsT};

/// Mean, sample sd, Student-t 95% CI of the mean, and count of some
/// values, summed in the order given. sd and CI need two values or more.
pub fn summarize(values: &[f64]) -> (Option<f64>, Option<f64>, Option<f64>, Option<f64>, usize) {
    let n = values.len();
    let mean = (n > 0).then(|| values.iter().sum::<f64>() / n as f64);
    match mean {
        Some(mean) if n >= 2 => {
            let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
            let sd = var.sqrt();
            let t = t_975(n - 1);
            let half = t * sd / (n as f64).sqrt();
            (
                Some(mean),
                Some(sd),
                Some(mean - half),
                Some(mean + half),
                n,
            )
        }
        _ => (mean, None, None, None, n),
    }
}

/// The 97.5 % quantile of Student's t with `df` degrees of freedom. The
/// inverse CDF is an iterative search costing more than the rest of a
/// summary, and a sweep summarises thousands of cells with the same count,
/// so the small counts are computed once.
fn t_975(df: usize) -> f64 {
    const CACHED: usize = 64;
    static TABLE: std::sync::OnceLock<[f64; CACHED]> = std::sync::OnceLock::new();
    let compute = |df: usize| {
        StudentsT::new(0.0, 1.0, df as f64)
            .map(|d| d.inverse_cdf(0.975))
            .unwrap_or(f64::NAN)
    };
    if df < CACHED {
        TABLE.get_or_init(|| std::array::from_fn(|k| if k == 0 { f64::NAN } else { compute(k) }))
            [df]
    } else {
        compute(df)
    }
}

/// Log-normal parameters (μ, σ) of a cost with the given mean and standard
/// deviation (of the cost itself).
pub(crate) fn lognormal_params(mean: f64, sd: f64) -> (f64, f64) {
    let sigma2 = (1.0 + (sd / mean).powi(2)).ln();
    (mean.ln() - sigma2 / 2.0, sigma2.sqrt())
}

/// A size for people: GB from a gigabyte up, MB below.
pub fn gigabytes(bytes: u64) -> String {
    if bytes >= 1_000_000_000 {
        format!("{:.1} GB", bytes as f64 / 1e9)
    } else {
        format!("{:.1} MB", bytes as f64 / 1e6)
    }
}
