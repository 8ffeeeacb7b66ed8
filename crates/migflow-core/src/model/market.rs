//! MODEL.md §3.3: per-site market clearing for local jobs and East–West
//! placements. The only place where households meet. Functions take the
//! site's applicants, order them by the lottery and fill capacities; they
//! allocate only the scratch of that ordering.

use super::{JobType, Jobs};

/// A household applying for local jobs at its site.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JobApplicant {
    /// Household id (breaks exact key ties).
    pub household: u32,
    /// The caller's index of this applicant (not used by the rules: lets
    /// the caller write the outcome back without a search).
    pub slot: u32,
    /// Laborers this year: the most places it can take.
    pub laborers: u8,
    /// Skill at least `s_min_firm`.
    pub firm_qualified: bool,
    /// Jobs it held last year and may keep (all zero for a newcomer).
    pub held: Jobs,
    /// Whether it is an incumbent (chose local, was local last year and did
    /// not lose its jobs early).
    pub incumbent: bool,
    /// Poor last year (goes first when targeting is on).
    pub poor_last_year: bool,
    /// This year's lottery key, Uniform(0, 1).
    pub key: f64,
    /// The places it gets (output).
    pub assigned: Jobs,
}

/// The lottery order of applicants as one integer: with targeting, last
/// year's poor first; then by key (a Uniform(0, 1) draw, whose IEEE bits
/// order like its value since it is never negative); exact ties by
/// household. The markets put applicants in this order with a bucket sort
/// (`lottery_sort`), which a test checks against a sort by this key.
pub fn lottery_key(targeting: bool, poor_last_year: bool, key: f64, household: u32) -> u128 {
    let later = u128::from(targeting && !poor_last_year);
    (later << 96) | (u128::from(key.to_bits()) << 32) | u128::from(household)
}

/// Put `items` in lottery order: ascending by `(group, key, household)`,
/// where `group < groups` (with targeting, last year's poor first; for
/// placements, incumbents before them) and `key` is a Uniform(0, 1) draw; the
/// same order as a sort by [`lottery_key`] with the group in the top bits.
///
/// A bucket sort on the keys: about one item a bucket (the keys are
/// uniform), each bucket then put in order by insertion. `⌊key · B⌋` never
/// decreases as the key grows, so the buckets are in key order and the
/// order is exactly the comparison sort's; it costs a few passes over the
/// items instead of a comparison sort's `log n` (the markets' sort was 5 %
/// of a national run).
fn lottery_sort<T: Copy>(
    items: &mut [T],
    groups: usize,
    order_of: impl Fn(&T) -> (usize, f64, u32),
) {
    let n = items.len();
    if n < 2 {
        return;
    }
    let per_group = n;
    let scale = per_group as f64;
    let bucket_of = |(group, key, _): (usize, f64, u32)| {
        // `as` saturates: a key of exactly 1 or above (never drawn) stays
        // in the group's last bucket, a negative or NaN one in its first.
        group.min(groups - 1) * per_group + ((key * scale) as usize).min(per_group - 1)
    };
    let mut starts = vec![0u32; groups * per_group + 1];
    for item in items.iter() {
        starts[bucket_of(order_of(item)) + 1] += 1;
    }
    for b in 1..starts.len() {
        starts[b] += starts[b - 1];
    }
    // The order is found on indices, and the items are moved once.
    let mut next = starts.clone();
    let mut order = vec![0u32; n];
    for (i, item) in items.iter().enumerate() {
        let b = bucket_of(order_of(item));
        order[next[b] as usize] = i as u32;
        next[b] += 1;
    }
    let full = |i: u32| {
        let (group, key, household) = order_of(&items[i as usize]);
        (group, key.to_bits(), household)
    };
    for b in 0..groups * per_group {
        let bucket = &mut order[starts[b] as usize..starts[b + 1] as usize];
        for i in 1..bucket.len() {
            let mut j = i;
            while j > 0 && full(bucket[j]) < full(bucket[j - 1]) {
                bucket.swap(j, j - 1);
                j -= 1;
            }
        }
    }
    let sorted: Vec<T> = order.iter().map(|&i| items[i as usize]).collect();
    items.copy_from_slice(&sorted);
}

/// Clear the site's local job market. `capacity` is indexed by [`JobType`].
/// Fills each applicant's `assigned`; an applicant left with no place must
/// fall back to its next-best livelihood. Reorders `applicants` into lottery
/// order.
pub fn clear_local_jobs(applicants: &mut [JobApplicant], capacity: [u32; 3], targeting: bool) {
    lottery_sort(applicants, 2, |a| {
        (
            usize::from(targeting && !a.poor_last_year),
            a.key,
            a.household,
        )
    });
    let mut left = capacity;
    // 1. Incumbents keep what they held, best type first, at most L in all.
    for a in applicants.iter_mut() {
        a.assigned = [0; 3];
        if !a.incumbent {
            continue;
        }
        let mut room = a.laborers;
        for t in JobType::ALL {
            let i = t as usize;
            let keep = u32::from(a.held[i].min(room)).min(left[i]) as u8;
            a.assigned[i] = keep;
            left[i] -= u32::from(keep);
            room -= keep;
        }
    }
    // 2. The others, and incumbents that kept nothing, take up to L places,
    //    best type first (firm only if qualified).
    for a in applicants.iter_mut() {
        if a.assigned != [0; 3] {
            continue;
        }
        let mut room = a.laborers;
        for t in JobType::ALL {
            if t == JobType::Firm && !a.firm_qualified {
                continue;
            }
            let i = t as usize;
            let take = u32::from(room).min(left[i]) as u8;
            a.assigned[i] = take;
            left[i] -= u32::from(take);
            room -= take;
        }
    }
}

/// An outbound household competing for its site's placements.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlacementApplicant {
    /// Household id (breaks exact key ties).
    pub household: u32,
    /// The caller's index of this applicant (not used by the rules).
    pub slot: u32,
    /// Laborers: it takes exactly this many places or none.
    pub laborers: u8,
    /// Placed last year without losing the job.
    pub incumbent: bool,
    /// Poor last year (goes first within its group when targeting is on).
    pub poor_last_year: bool,
    /// The second lottery key, Uniform(0, 1).
    pub key: f64,
    /// Whether it got a placement (output).
    pub placed: bool,
}

/// Clear the site's placements: incumbents first, then the others, each
/// group in lottery order; a household takes `L` places or none.
pub fn clear_placements(applicants: &mut [PlacementApplicant], capacity: u32, targeting: bool) {
    lottery_sort(applicants, 4, |a| {
        (
            2 * usize::from(!a.incumbent) + usize::from(targeting && !a.poor_last_year),
            a.key,
            a.household,
        )
    });
    let mut left = capacity;
    for a in applicants.iter_mut() {
        let need = u32::from(a.laborers);
        a.placed = need > 0 && need <= left;
        if a.placed {
            left -= need;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applicant(household: u32, laborers: u8, key: f64) -> JobApplicant {
        JobApplicant {
            household,
            slot: household,
            laborers,
            firm_qualified: true,
            held: [0; 3],
            incumbent: false,
            poor_last_year: false,
            key,
            assigned: [0; 3],
        }
    }

    fn by_id(apps: &[JobApplicant], id: u32) -> Jobs {
        apps.iter().find(|a| a.household == id).unwrap().assigned
    }

    #[test]
    fn incumbents_keep_their_jobs_before_the_lottery() {
        let mut inc = applicant(1, 2, 0.99);
        inc.incumbent = true;
        inc.held = [0, 1, 0];
        let mut apps = [applicant(0, 2, 0.01), inc];
        clear_local_jobs(&mut apps, [0, 1, 1], false);
        // The incumbent keeps its workshop job though its key is last, and
        // takes nothing more; the newcomer gets the informal job left.
        assert_eq!(by_id(&apps, 1), [0, 1, 0]);
        assert_eq!(by_id(&apps, 0), [0, 0, 1]);
    }

    #[test]
    fn incumbent_keeps_at_most_its_laborers_and_what_is_left() {
        let mut inc = applicant(1, 1, 0.5);
        inc.incumbent = true;
        inc.held = [0, 2, 1];
        let mut apps = [inc];
        clear_local_jobs(&mut apps, [0, 5, 5], false);
        assert_eq!(apps[0].assigned, [0, 1, 0]);
    }

    #[test]
    fn incumbent_that_keeps_nothing_joins_the_lottery() {
        let mut inc = applicant(1, 1, 0.5);
        inc.incumbent = true;
        inc.held = [1, 0, 0];
        let mut apps = [inc];
        // No firm jobs this year (the lever ended): it competes for others.
        clear_local_jobs(&mut apps, [0, 0, 3], false);
        assert_eq!(apps[0].assigned, [0, 0, 1]);
    }

    #[test]
    fn lottery_follows_keys_and_targeting_puts_poor_first() {
        let mut poor = applicant(2, 1, 0.9);
        poor.poor_last_year = true;
        let mut apps = [applicant(1, 1, 0.1), poor];
        clear_local_jobs(&mut apps, [0, 0, 1], false);
        assert_eq!(by_id(&apps, 1), [0, 0, 1]);
        assert_eq!(by_id(&apps, 2), [0, 0, 0]);
        clear_local_jobs(&mut apps, [0, 0, 1], true);
        assert_eq!(by_id(&apps, 2), [0, 0, 1]);
        assert_eq!(by_id(&apps, 1), [0, 0, 0]);
    }

    #[test]
    fn firm_jobs_need_the_skill_threshold() {
        let mut unskilled = applicant(0, 2, 0.1);
        unskilled.firm_qualified = false;
        let mut apps = [unskilled, applicant(1, 3, 0.2)];
        clear_local_jobs(&mut apps, [2, 1, 1], false);
        assert_eq!(by_id(&apps, 0), [0, 1, 1]);
        assert_eq!(by_id(&apps, 1), [2, 0, 0]);
    }

    #[test]
    fn lottery_sort_gives_the_comparison_sort_order() {
        // Random sizes and keys, with repeated keys (ties go by household),
        // keys near 0 and 1, and every group: the bucket sort must give
        // exactly the order of a sort by the full key.
        let mut rng = crate::rng::Stream::new(5, 0, 0, 0, crate::rng::Purpose::Design);
        for case in 0..300 {
            let n = 1 + (rng.uniform() * 400.0) as usize;
            let pool: Vec<f64> = (0..1 + n / 3)
                .map(|i| match i % 5 {
                    0 => 0.0,
                    1 => 1.0 - f64::EPSILON / 2.0,
                    _ => rng.uniform(),
                })
                .collect();
            let mut items: Vec<(usize, f64, u32)> = (0..n)
                .map(|i| {
                    let key = if case % 2 == 0 {
                        pool[(rng.uniform() * pool.len() as f64) as usize]
                    } else {
                        rng.uniform()
                    };
                    (
                        (rng.uniform() * 4.0) as usize,
                        key,
                        (n - i) as u32 * 7 % 1013,
                    )
                })
                .collect();
            let mut expected = items.clone();
            expected.sort_unstable_by_key(|&(g, key, h)| {
                (g as u128) << 98 | lottery_key(false, false, key, h)
            });
            lottery_sort(&mut items, 4, |&item| item);
            assert_eq!(items, expected, "case {case}");
        }
    }

    #[test]
    fn placements_take_l_places_or_none() {
        let mk = |household, laborers, key, incumbent| PlacementApplicant {
            household,
            slot: household,
            laborers,
            incumbent,
            poor_last_year: false,
            key,
            placed: false,
        };
        let mut apps = [
            mk(0, 3, 0.1, false),
            mk(1, 2, 0.2, false),
            mk(2, 1, 0.3, false),
            mk(3, 2, 0.9, true),
        ];
        clear_placements(&mut apps, 4, false);
        let placed: Vec<u32> = apps
            .iter()
            .filter(|a| a.placed)
            .map(|a| a.household)
            .collect();
        // Incumbent 3 first (2 places), then 0 needs 3 > 2 left: none; 1 takes 2.
        assert_eq!(placed, [3, 1]);
    }
}
