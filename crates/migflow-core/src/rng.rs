//! The only place random generators are made.
//!
//! Every draw comes from a [`Stream`] keyed by (seed, replicate, entity,
//! year, purpose), where the entity is a household, a site or a village.
//! A stream is counter-based: output `n` is the SplitMix64 finaliser of
//! `key + n · φ` (φ the 64-bit golden-ratio increment), which is exactly the
//! SplitMix64 generator started at `key`. So a household's draws never
//! depend on how many draws other households made, on the order in which
//! threads ran, or on the thread count, and no generator is ever shared.
//!
//! The key is built by folding each component into the state with the
//! same finaliser. Streams are short (tens of draws), so two streams
//! overlapping is as likely as a 64-bit collision.

use rand::TryRng;
use rand_distr::Distribution;
use std::convert::Infallible;

const GOLDEN: u64 = 0x9E37_79B9_7F4A_7C15;

/// What a stream is for. The discriminants are part of the reproducibility
/// contract: changing one changes results.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum Purpose {
    /// Synthetic household: size, ages, skill, attachment, land, state.
    Population = 1,
    /// Distance of a village to its site.
    VillageDistance = 2,
    /// Sickness of members and their medical costs.
    Sickness = 3,
    /// The Gumbel taste shocks of the livelihood choice.
    Choice = 4,
    /// Lottery key for local jobs.
    LocalLottery = 5,
    /// Lottery key for labor placements.
    PlacementLottery = 6,
    /// Job search of an unplaced outbound household.
    JobSearch = 7,
    /// Income risks: job loss, months worked, arrears.
    IncomeRisk = 8,
    /// Dibao enrolment.
    Dibao = 9,
    /// Key for the sample of households offered training.
    TrainingOffer = 10,
    /// Training take-up.
    TrainingTakeUp = 11,
    /// Per-site harvest factor.
    Harvest = 12,
    /// The draws of experiments and analyses; see [`Draw`] for their
    /// families.
    Design = 13,
    /// Deaths of members (one draw a member).
    Mortality = 14,
    /// A birth in the household.
    Birth = 15,
    /// Whether a household not forced to review its livelihood does so.
    Review = 16,
}

/// The draws of experiments and analyses, outside the household model: each
/// family its own streams, keyed by (seed, entity) with the purpose
/// [`Purpose::Design`] and a year component of its own (the keys earlier
/// versions used, so that designs, bootstraps and calibrations draw as
/// before). Replicate 0 of the key is used throughout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Draw {
    /// A Latin hypercube: one stream a factor (the entity).
    Lhs,
    /// The scrambling of a Sobol sequence (entity 0).
    SobolScramble,
    /// Morris trajectories: one stream a trajectory.
    Morris,
    /// Bootstrap resamples of sensitivity indices: one stream a resample.
    Bootstrap,
    /// ABC: the prior draw or kernel move of one sample (the entity) of a
    /// generation.
    Abc {
        /// The generation, 0 for the prior.
        generation: u32,
    },
}

impl Draw {
    /// The year component of the family's keys.
    fn year(self) -> u32 {
        match self {
            Draw::Lhs => 0,
            Draw::SobolScramble => 1,
            Draw::Morris => 2,
            Draw::Bootstrap => 100,
            Draw::Abc { generation } => 200 + generation,
        }
    }

    /// The stream of `entity` in this family.
    pub fn stream(self, seed: u64, entity: u64) -> Stream {
        Stream::new(seed, 0, entity, self.year(), Purpose::Design)
    }
}

/// Year component used for draws made before the first step.
pub const SETUP_YEAR: u32 = u32::MAX;

/// The (seed, replicate) prefix of stream keys. The key is folded one
/// component at a time, so the prefixes can be computed once and reused:
/// a run computes this once, a household its [`EntityKey`] once a year,
/// and each purpose then costs one more fold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunKey(u64);

impl RunKey {
    /// The prefix of a (seed, replicate).
    #[inline]
    pub fn new(seed: u64, replicate: u32) -> RunKey {
        let key = mix(seed ^ GOLDEN);
        RunKey(mix(
            key ^ u64::from(replicate).wrapping_mul(0xD6E8_FEB8_6659_FD93)
        ))
    }

    /// The prefix of one entity in one year.
    #[inline]
    pub fn entity(self, entity: u64, year: u32) -> EntityKey {
        self.at_year(year).entity(entity)
    }

    /// The keys of one year's entities.
    #[inline]
    pub fn at_year(self, year: u32) -> YearKey {
        YearKey { run: self, year }
    }
}

/// A run's keys for one year.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct YearKey {
    run: RunKey,
    year: u32,
}

impl YearKey {
    /// The prefix of one entity in this year.
    #[inline]
    pub fn entity(self, entity: u64) -> EntityKey {
        let key = mix(self.run.0 ^ entity.wrapping_mul(0xA076_1D64_78BD_642F));
        EntityKey(mix(
            key ^ u64::from(self.year).wrapping_mul(0xE703_7ED1_A0B4_28DB)
        ))
    }
}

/// The (seed, replicate, entity, year) prefix of stream keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntityKey(u64);

impl EntityKey {
    /// The stream for one purpose.
    #[inline]
    pub fn stream(self, purpose: Purpose) -> Stream {
        Stream {
            state: mix(self.0 ^ (purpose as u64).wrapping_mul(0x8EBC_6AF0_9C88_C6E3)),
        }
    }
}

/// The SplitMix64 finaliser: a bijective 64-bit mixer.
#[inline]
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A counter-based random stream for one (seed, replicate, entity, year,
/// purpose). Cheap to create: two words of state.
#[derive(Debug, Clone)]
pub struct Stream {
    state: u64,
}

impl Stream {
    /// The stream of one entity (household, site or village) for one year
    /// (`t`, 0-based, or [`SETUP_YEAR`]) and purpose.
    #[inline]
    pub fn new(seed: u64, replicate: u32, entity: u64, year: u32, purpose: Purpose) -> Self {
        RunKey::new(seed, replicate)
            .entity(entity, year)
            .stream(purpose)
    }

    /// A uniform draw in [0, 1) with 53 bits of precision.
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        (self.next() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// True with probability `p` (`p` ≤ 0 never, `p` ≥ 1 always).
    #[inline]
    pub fn bernoulli(&mut self, p: f64) -> bool {
        self.uniform() < p
    }

    /// A uniform integer in `lo..=hi` (unbiased by rejection).
    #[inline]
    pub fn int_inclusive(&mut self, lo: i64, hi: i64) -> i64 {
        debug_assert!(lo <= hi);
        let span = (hi - lo) as u64 + 1;
        // Lemire's nearly-divisionless method.
        loop {
            let m = u128::from(self.next()) * u128::from(span);
            let low = m as u64;
            if low >= span.wrapping_neg() % span {
                return lo + (m >> 64) as i64;
            }
        }
    }

    /// A standard Gumbel(0, 1) draw, as `−ln E` with `E ~ Exp(1)`.
    #[inline]
    pub fn gumbel(&mut self) -> f64 {
        // −ln(−ln U) needs two logarithms; the exponential comes from
        // rand_distr's ziggurat, which rarely needs one, so this halves
        // the cost of the choice phase's taste shocks. E > 0 always.
        let e: f64 = rand_distr::Exp1.sample(self);
        -e.ln()
    }

    #[inline]
    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GOLDEN);
        mix(self.state)
    }
}

impl TryRng for Stream {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok((self.next() >> 32) as u32)
    }

    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(self.next())
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(8) {
            let bytes = self.next().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pins the first outputs: a change here changes every result.
    #[test]
    fn stream_values_are_stable() {
        let mut s = Stream::new(42, 0, 7, 3, Purpose::Choice);
        let first: Vec<u64> = (0..3).map(|_| s.next()).collect();
        let mut again = Stream::new(42, 0, 7, 3, Purpose::Choice);
        assert_eq!(first, (0..3).map(|_| again.next()).collect::<Vec<_>>());
        assert_eq!(
            first,
            [STABLE[0], STABLE[1], STABLE[2]],
            "stream outputs changed: {first:?}"
        );
    }

    const STABLE: [u64; 3] = [
        17701918314022185950,
        10653676043746158710,
        1829789571110016558,
    ];

    #[test]
    fn components_give_different_streams() {
        let base = Stream::new(1, 0, 0, 0, Purpose::Choice).next();
        assert_ne!(base, Stream::new(2, 0, 0, 0, Purpose::Choice).next());
        assert_ne!(base, Stream::new(1, 1, 0, 0, Purpose::Choice).next());
        assert_ne!(base, Stream::new(1, 0, 1, 0, Purpose::Choice).next());
        assert_ne!(base, Stream::new(1, 0, 0, 1, Purpose::Choice).next());
        assert_ne!(base, Stream::new(1, 0, 0, 0, Purpose::Sickness).next());
    }

    #[test]
    fn uniform_and_ints_are_in_range_and_fair() {
        let mut s = Stream::new(9, 0, 0, 0, Purpose::Choice);
        let mut counts = [0u32; 7];
        let mut sum = 0.0;
        for _ in 0..70_000 {
            let u = s.uniform();
            assert!((0.0..1.0).contains(&u));
            sum += u;
            counts[(s.int_inclusive(-3, 3) + 3) as usize] += 1;
        }
        assert!((sum / 70_000.0 - 0.5).abs() < 0.01);
        for c in counts {
            assert!((c as f64 - 10_000.0).abs() < 400.0, "{counts:?}");
        }
    }

    #[test]
    fn gumbel_has_the_standard_gumbel_distribution() {
        let mut s = Stream::new(3, 0, 0, 0, Purpose::Choice);
        let n = 400_000;
        let xs: Vec<f64> = (0..n).map(|_| s.gumbel()).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!((mean - 0.577_215_7).abs() < 0.01, "{mean}");
        assert!(
            (var - std::f64::consts::PI.powi(2) / 6.0).abs() < 0.02,
            "{var}"
        );
        // The CDF exp(−exp(−x)) at a few points.
        for x in [-1.0f64, 0.0, 1.0, 3.0] {
            let cdf = xs.iter().filter(|&&v| v <= x).count() as f64 / n as f64;
            assert!((cdf - (-(-x).exp()).exp()).abs() < 0.004, "{x}: {cdf}");
        }
    }
}
