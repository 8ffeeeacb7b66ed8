//! The prior (independent uniforms on a box) and the truncated normal the
//! SMC kernel draws from.

use migflow_core::rng::{Draw, Stream};
use statrs::function::erf::{erfc, erfc_inv};

/// One parameter's uniform prior.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PriorRange {
    /// Lower end.
    pub min: f64,
    /// Upper end.
    pub max: f64,
    /// An integer key: values are rounded, to `ceil(min)..=floor(max)`.
    pub integer: bool,
}

impl PriorRange {
    /// `v` as the key takes it (integers rounded into the range).
    pub(crate) fn round(&self, v: f64) -> f64 {
        let (lo, hi) = (self.min.ceil(), self.max.floor());
        if self.integer && lo <= hi {
            v.round().clamp(lo, hi)
        } else if self.integer {
            v.round()
        } else {
            v
        }
    }

    /// Where the kernel draws before rounding: the range, or for an integer
    /// key the cells `[k − ½, k + ½]` of its values.
    pub(crate) fn support(&self) -> (f64, f64) {
        if self.integer {
            (self.min.ceil() - 0.5, self.max.floor() + 0.5)
        } else {
            (self.min, self.max)
        }
    }

    /// The prior probability of an integer value, relative to the range's
    /// width: prior draws are `round(min + U · (max − min))` clamped into
    /// the range, so an end value gets the part of the range that rounds
    /// to it or beyond. 1 for a float key (its density is constant).
    pub(crate) fn prior_mass(&self, v: f64) -> f64 {
        if !self.integer {
            return 1.0;
        }
        let (lo, hi) = (self.min.ceil(), self.max.floor());
        let a = if v <= lo { self.min } else { v - 0.5 };
        let b = if v >= hi { self.max } else { v + 0.5 };
        ((b - a) / (self.max - self.min)).max(0.0)
    }
}

/// The prior of a calibration: independent uniforms on a box, and the
/// seed of the ABC draws.
#[derive(Debug, Clone, PartialEq)]
pub struct PriorBox {
    /// Master seed.
    pub seed: u64,
    /// Each parameter's range.
    pub ranges: Vec<PriorRange>,
}

impl PriorBox {
    /// The stream of one sample's draws.
    pub(crate) fn stream(&self, generation: u32, sample: u64) -> Stream {
        Draw::Abc { generation }.stream(self.seed, sample)
    }

    /// A draw from the prior.
    pub(crate) fn draw(&self, generation: u32, sample: u64) -> Vec<f64> {
        let mut s = self.stream(generation, sample);
        self.ranges
            .iter()
            .map(|r| r.round(r.min + s.uniform() * (r.max - r.min)))
            .collect()
    }
}

/// The standard normal CDF Φ.
fn norm_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// Φ⁻¹(p) for p in [0, 1] (±∞ at the ends).
fn norm_quantile(p: f64) -> f64 {
    -std::f64::consts::SQRT_2 * erfc_inv(2.0 * p)
}

/// Φ(b) − Φ(a), computed from the tail nearer the interval so that it
/// keeps its precision far from the mean.
pub(crate) fn normal_mass(a: f64, b: f64) -> f64 {
    if a >= 0.0 {
        norm_cdf(-a) - norm_cdf(-b)
    } else if b <= 0.0 {
        norm_cdf(b) - norm_cdf(a)
    } else {
        1.0 - norm_cdf(a) - norm_cdf(-b)
    }
}

/// The draw of N(mu, sd²) truncated to [lo, hi] at the uniform `u` (inverse
/// CDF: one uniform per draw), or `None` when the interval has no mass.
pub(crate) fn truncated_normal(mu: f64, sd: f64, lo: f64, hi: f64, u: f64) -> Option<f64> {
    let (a, b) = ((lo - mu) / sd, (hi - mu) / sd);
    let mass = normal_mass(a, b);
    if !(mass > 0.0 && mass.is_finite()) {
        return None;
    }
    // Φ(z) = Φ(a) + u · mass; above the median, from the upper tail:
    // 1 − Φ(z) = Φ(−b) + (1 − u) · mass.
    let lower = norm_cdf(a) + u * mass;
    let z = if lower < 0.5 {
        norm_quantile(lower)
    } else {
        -norm_quantile(norm_cdf(-b) + (1.0 - u) * mass)
    };
    let x = (mu + sd * z).clamp(lo, hi);
    x.is_finite().then_some(x)
}

/// Mean and sd of N(mu, s²) truncated to [lo, hi] (for tests).
#[cfg(test)]
pub(crate) fn truncated_moments(mu: f64, s: f64, lo: f64, hi: f64) -> (f64, f64) {
    let phi = |x: f64| (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
    let (a, b) = ((lo - mu) / s, (hi - mu) / s);
    let z = normal_mass(a, b);
    let m = (phi(a) - phi(b)) / z;
    let var = 1.0 + (a * phi(a) - b * phi(b)) / z - m * m;
    (mu + s * m, s * var.sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_normal_draws_by_inverse_cdf_stay_inside_and_have_the_right_moments() {
        for (mu, sd, lo, hi) in [
            (0.2, 1.0, 0.0, 5.0),
            (0.0, 1.0, 8.0, 9.0),
            (3.0, 0.5, -1.0, 3.0),
        ] {
            let n = 100_000;
            let draws: Vec<f64> = (0..n)
                .map(|i| truncated_normal(mu, sd, lo, hi, (i as f64 + 0.5) / n as f64).unwrap())
                .collect();
            assert!(draws.iter().all(|x| (lo..=hi).contains(x)));
            let mean = draws.iter().sum::<f64>() / n as f64;
            let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
            let (want_mean, want_sd) = truncated_moments(mu, sd, lo, hi);
            assert!(
                (mean - want_mean).abs() < 1e-4,
                "{mu} {lo}..{hi}: {mean} vs {want_mean}"
            );
            assert!(
                (var.sqrt() - want_sd).abs() < 1e-3,
                "{mu} {lo}..{hi}: {} vs {want_sd}",
                var.sqrt()
            );
        }
        // Far in a tail the mass keeps its precision: Φ(−8) − Φ(−9) =
        // 6.220961e-16 − 1.128588e-19.
        let m = normal_mass(8.0, 9.0);
        assert!((m / 6.219832e-16 - 1.0).abs() < 1e-5, "{m}");
        assert!(truncated_normal(0.0, 1.0, 40.0, 41.0, 0.5).is_none());
    }
}
