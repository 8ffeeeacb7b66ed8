//! Exact medians of several groups of one array of values at once, without
//! copying the values group by group: a radix selection (MODEL.md §6's
//! median when every weight is 1).
//!
//! Each value is mapped to a `u64` key whose unsigned order is
//! [`f64::total_cmp`]'s. A group's median is found by narrowing the range of
//! keys that holds its middle rank, a 16-bit digit at a time, with one
//! counting pass over the values a digit; once the range holds few values,
//! one last pass collects them and a selection among them gives the
//! median. Every step counts integers or compares keys, so the result is
//! the same value, bit for bit, as a selection over a copy of the group
//! ([`median`](crate::record::median)), whatever the order of the values
//! or the number of threads. The engine's buffer of incomes in engine order
//! is all the memory it needs beyond a few small tables (at national scale
//! the group-ordered copy it replaces was 8 bytes a household).

use crate::engine::NO_GROUP;
use crate::record::{ALL_GROUP, GROUPS};
use rayon::prelude::*;

/// Bits of the key fixed by one counting pass: the first pass fixes the
/// sign, the exponent and 4 bits of the mantissa, a range 1/16 of a
/// binade wide, which for incomes holds a few per cent of the values.
const DIGIT_BITS: u32 = 16;
/// Buckets of a counting pass.
const BUCKETS: usize = 1 << DIGIT_BITS;
/// Fewest values a parallel task of a pass reads: a task's table of
/// counts (256 KiB a group) is zeroed and added up once, so a pass has a
/// task a thread.
const MIN_TASK: usize = 1 << 14;
/// A range of keys holding at most this many values of a group (or this
/// share of all values) is collected rather than narrowed further.
const MIN_COLLECT: usize = 1 << 17;
const COLLECT_SHARE: usize = 64;

/// The key of `x`: unsigned order is `total_cmp` order.
#[inline]
fn key(x: f64) -> u64 {
    let bits = x.to_bits();
    if bits >> 63 == 1 {
        !bits
    } else {
        bits | 1 << 63
    }
}

/// The value of a key.
#[inline]
fn value(key: u64) -> f64 {
    f64::from_bits(if key >> 63 == 1 {
        key & !(1 << 63)
    } else {
        !key
    })
}

/// The search for one group's median.
#[derive(Debug, Clone, Copy)]
struct Search {
    /// Values in the group.
    n: u64,
    /// The upper median's rank within the current range of keys.
    rank: u64,
    /// The range of keys `lo..=hi` known to hold the upper median (the
    /// top `fixed` bits of its key).
    lo: u64,
    hi: u64,
    fixed: u32,
    /// Values of the group in the range.
    in_range: u64,
}

impl Search {
    fn new(n: u64) -> Search {
        Search {
            n,
            rank: n / 2,
            lo: 0,
            hi: u64::MAX,
            fixed: 0,
            in_range: n,
        }
    }

    /// Whether the range is small enough to collect (or is one key).
    fn ready(&self, cap: u64) -> bool {
        self.in_range <= cap || self.fixed == 64
    }

    /// Bits of the next digit and their shift.
    fn digit(&self) -> (u32, u32) {
        let bits = DIGIT_BITS.min(64 - self.fixed);
        (bits, 64 - self.fixed - bits)
    }

    /// Narrow the range to the bucket of `counts` (the next digit's) that
    /// holds the rank.
    fn narrow(&mut self, counts: &[u32]) {
        let (bits, shift) = self.digit();
        let mut rank = self.rank;
        for (d, &c) in counts.iter().enumerate().take(1 << bits) {
            let c = u64::from(c);
            if rank < c {
                self.lo |= (d as u64) << shift;
                self.hi = self.lo | low_mask(shift);
                self.fixed += bits;
                self.rank = rank;
                self.in_range = c;
                return;
            }
            rank -= c;
        }
        unreachable!("the counts of a range add up to the values in it");
    }
}

/// The `bits` low bits set.
fn low_mask(bits: u32) -> u64 {
    if bits == 64 {
        u64::MAX
    } else {
        (1 << bits) - 1
    }
}

/// The median of each group (MODEL.md §6, every weight 1: the middle
/// value, or the mean of the two middle values) of `values`, where value
/// `i` is in group `groups[i]` (0 to 4) unless `groups[i]` or `alive[i]`
/// is [`NO_GROUP`], and every value in a group is in `ALL_GROUP` too.
/// `counts` are the groups' sizes (the caller's tally; they must match).
/// `None` for an empty group, and for `ALL_GROUP` when `skip_all` (the
/// caller knows it).
pub(crate) fn group_medians(
    values: &[f64],
    alive: &[u8],
    groups: &[u8],
    counts: &[u64; GROUPS],
    skip_all: bool,
) -> [Option<f64>; GROUPS] {
    let cap = (values.len() / COLLECT_SHARE).max(MIN_COLLECT) as u64;
    group_medians_with(
        Entries {
            values,
            alive,
            groups,
        },
        counts,
        skip_all,
        cap,
    )
}

/// The values with their markers.
#[derive(Clone, Copy)]
struct Entries<'a> {
    values: &'a [f64],
    alive: &'a [u8],
    groups: &'a [u8],
}

impl<'a> Entries<'a> {
    /// The tasks of a pass, in parallel: each a slice of values and of
    /// their groups (`NO_GROUP` for a value in none).
    fn tasks(self) -> impl IndexedParallelIterator<Item = (&'a [f64], &'a [u8], &'a [u8])> {
        let task = self
            .values
            .len()
            .div_ceil(rayon::current_num_threads())
            .max(MIN_TASK);
        self.values
            .par_chunks(task)
            .zip(self.alive.par_chunks(task))
            .zip(self.groups.par_chunks(task))
            .map(|((v, a), g)| (v, a, g))
    }
}

/// The group of an entry, if in one.
#[inline]
fn group_of(alive: u8, group: u8) -> Option<u8> {
    (alive != NO_GROUP && group != NO_GROUP).then_some(group)
}

fn group_medians_with(
    entries: Entries<'_>,
    counts: &[u64; GROUPS],
    skip_all: bool,
    cap: u64,
) -> [Option<f64>; GROUPS] {
    let mut searches: [Option<Search>; GROUPS] =
        std::array::from_fn(|g| (counts[g] > 0).then(|| Search::new(counts[g])));
    if skip_all {
        searches[ALL_GROUP] = None;
    }
    // Counting passes, each narrowing every group not yet ready.
    loop {
        let narrowing: [bool; GROUPS] =
            std::array::from_fn(|g| searches[g].is_some_and(|s| !s.ready(cap)));
        if !narrowing.contains(&true) {
            break;
        }
        let counts = count_digits(entries, &searches, &narrowing);
        for (g, search) in searches.iter_mut().enumerate() {
            if let (true, Some(search)) = (narrowing[g], search.as_mut()) {
                search.narrow(&counts[g * BUCKETS..(g + 1) * BUCKETS]);
            }
        }
    }
    let found = collect(entries, &searches);
    let mut medians = [None; GROUPS];
    for (g, (search, found)) in searches.iter().zip(found).enumerate() {
        let Some(search) = search else { continue };
        let (mut inside, below) = found;
        let q = search.rank as usize;
        let upper = if search.fixed == 64 {
            search.lo
        } else {
            *inside.select_nth_unstable(q).1
        };
        let median = if search.n % 2 == 1 {
            value(upper)
        } else {
            // The lower middle value: in the range when the upper one is
            // not its first, else the greatest key below the range.
            let lower = if q > 0 {
                if search.fixed == 64 {
                    upper
                } else {
                    inside[..q].iter().copied().max().unwrap_or(upper)
                }
            } else {
                // (An even group has its lower middle value below the
                // range when the upper one is the range's first.)
                below.unwrap_or(upper)
            };
            (value(lower) + value(upper)) / 2.0
        };
        medians[g] = Some(median);
    }
    medians
}

/// One group's counting in a pass: its range of keys and the digit.
#[derive(Clone, Copy)]
struct Counter {
    lo: u64,
    hi: u64,
    shift: u32,
    mask: u64,
    /// Its counts' place in the pass's table.
    slot: usize,
}

impl Counter {
    #[inline]
    fn count(&self, counts: &mut [u32], k: u64) {
        if self.lo <= k && k <= self.hi {
            counts[self.slot * BUCKETS + ((k >> self.shift) & self.mask) as usize] += 1;
        }
    }
}

/// One counting pass: for each group narrowed, the counts of the next
/// digit of the keys in its range (`BUCKETS` a group, group by group).
fn count_digits(
    entries: Entries<'_>,
    searches: &[Option<Search>; GROUPS],
    narrowing: &[bool; GROUPS],
) -> Vec<u32> {
    // In the first pass every range is every key, so `all`'s counts are the
    // sum of its groups': one count an entry instead of two.
    let first = searches.iter().flatten().all(|s| s.fixed == 0);
    let all_from_groups = first && narrowing[ALL_GROUP];
    let mut counters: [Option<Counter>; GROUPS] = [None; GROUPS];
    let mut slots = 0;
    for (g, counter) in counters.iter_mut().enumerate() {
        let counted = if g == ALL_GROUP {
            narrowing[g] && !all_from_groups
        } else {
            narrowing[g] || (all_from_groups && searches[g].is_some())
        };
        if let (true, Some(search)) = (counted, &searches[g]) {
            let (bits, shift) = search.digit();
            *counter = Some(Counter {
                lo: search.lo,
                hi: search.hi,
                shift,
                mask: low_mask(bits),
                slot: slots,
            });
            slots += 1;
        }
    }
    let all = counters[ALL_GROUP];
    let size = slots * BUCKETS;
    let counted = entries
        .tasks()
        .fold(
            || vec![0u32; size],
            |mut counts, (values, alive, groups)| {
                for ((&v, &a), &g) in values.iter().zip(alive).zip(groups) {
                    let Some(g) = group_of(a, g) else { continue };
                    let k = key(v);
                    if let Some(c) = &counters[usize::from(g)] {
                        c.count(&mut counts, k);
                    }
                    if let Some(c) = &all {
                        c.count(&mut counts, k);
                    }
                }
                counts
            },
        )
        .reduce(
            || vec![0u32; size],
            |mut a, b| {
                for (a, b) in a.iter_mut().zip(&b) {
                    *a += b;
                }
                a
            },
        );
    // Back to one table of every group, group by group.
    let mut counts = vec![0u32; GROUPS * BUCKETS];
    for (g, counter) in counters.iter().enumerate() {
        if let Some(c) = counter {
            counts[g * BUCKETS..(g + 1) * BUCKETS]
                .copy_from_slice(&counted[c.slot * BUCKETS..(c.slot + 1) * BUCKETS]);
        }
    }
    if all_from_groups {
        let (groups, all) = counts.split_at_mut(ALL_GROUP * BUCKETS);
        for group in groups.chunks(BUCKETS) {
            for (a, c) in all.iter_mut().zip(group) {
                *a += c;
            }
        }
    }
    counts
}

/// The last pass: for each group searched, the keys in its range (none
/// when the range is one key) and the greatest key below it.
fn collect(
    entries: Entries<'_>,
    searches: &[Option<Search>; GROUPS],
) -> [(Vec<u64>, Option<u64>); GROUPS] {
    // A group not searched has the empty range `1..=0` and nothing below.
    let lo: [u64; GROUPS] = std::array::from_fn(|g| searches[g].map_or(0, |s| s.lo));
    let hi: [u64; GROUPS] = std::array::from_fn(|g| searches[g].map_or(0, |s| s.hi));
    let keep: [bool; GROUPS] = std::array::from_fn(|g| searches[g].is_some_and(|s| s.fixed < 64));
    // The greatest key below each range, plus 1 (0: none), kept without a
    // branch: about half the keys are below a median.
    type Found = [(Vec<u64>, u64); GROUPS];
    let found = entries
        .tasks()
        .fold(
            || -> Found { Default::default() },
            |mut found, (values, alive, groups)| {
                for ((&v, &a), &g) in values.iter().zip(alive).zip(groups) {
                    let Some(g) = group_of(a, g) else { continue };
                    let k = key(v);
                    for t in [usize::from(g), ALL_GROUP] {
                        let (inside, below) = &mut found[t];
                        let under = k < lo[t];
                        *below = (*below).max(if under { k + 1 } else { 0 });
                        if keep[t] && !under && k <= hi[t] {
                            inside.push(k);
                        }
                    }
                }
                found
            },
        )
        .reduce(Default::default, |mut a, b| {
            for ((inside, below), (more, other)) in a.iter_mut().zip(b) {
                inside.extend(more);
                *below = (*below).max(other);
            }
            a
        });
    found.map(|(inside, below)| (inside, below.checked_sub(1)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::median;
    use crate::rng::{Purpose, Stream};

    /// A uniform integer in `0..n`.
    fn below(rng: &mut Stream, n: usize) -> usize {
        ((rng.uniform() * n as f64) as usize).min(n - 1)
    }

    /// Each group's median by copying it out and selecting.
    fn by_copy(
        values: &[f64],
        alive: &[u8],
        groups: &[u8],
    ) -> ([Option<f64>; GROUPS], [u64; GROUPS]) {
        let mut copies: [Vec<f64>; GROUPS] = Default::default();
        for ((&v, &a), &g) in values.iter().zip(alive).zip(groups) {
            if a != NO_GROUP && g != NO_GROUP {
                copies[usize::from(g)].push(v);
                copies[ALL_GROUP].push(v);
            }
        }
        let counts = std::array::from_fn(|g| copies[g].len() as u64);
        (copies.map(|mut c| median(&mut c)), counts)
    }

    fn same(a: [Option<f64>; GROUPS], b: [Option<f64>; GROUPS]) -> bool {
        a.iter()
            .zip(&b)
            .all(|(x, y)| x.map(f64::to_bits) == y.map(f64::to_bits))
    }

    #[test]
    fn keys_order_values_as_total_cmp() {
        let xs = [
            f64::NEG_INFINITY,
            -1e300,
            -2.5,
            -f64::MIN_POSITIVE,
            -0.0,
            0.0,
            f64::MIN_POSITIVE,
            1.0,
            1.0 + f64::EPSILON,
            3e8,
            f64::INFINITY,
        ];
        for w in xs.windows(2) {
            assert!(key(w[0]) < key(w[1]), "{} < {}", w[0], w[1]);
        }
        for x in xs {
            assert_eq!(value(key(x)).to_bits(), x.to_bits());
        }
    }

    #[test]
    fn radix_medians_equal_the_medians_of_copies_bit_for_bit() {
        let mut rng = Stream::new(7, 0, 0, 0, Purpose::Design);
        for case in 0..400 {
            let n = below(&mut rng, 3000);
            // Continuous incomes, atoms (a line many are lifted to, zero of
            // both signs), negatives, and groups of every size.
            let atoms = [7000.0, 0.0, -0.0, 4600.0];
            let values: Vec<f64> = (0..n)
                .map(|_| match below(&mut rng, 10) {
                    0..=2 => atoms[below(&mut rng, atoms.len())],
                    3 => -5000.0 * rng.uniform(),
                    _ => (40000.0 * rng.uniform()).powf(1.2),
                })
                .collect();
            let spread = 1 + below(&mut rng, 6);
            let groups: Vec<u8> = (0..n)
                .map(|_| {
                    let g = below(&mut rng, spread);
                    if g == 5 { NO_GROUP } else { g as u8 }
                })
                .collect();
            let alive: Vec<u8> = (0..n)
                .map(|_| if rng.uniform() < 0.1 { NO_GROUP } else { 0 })
                .collect();
            let (expected, counts) = by_copy(&values, &alive, &groups);
            // Every depth of narrowing: collect at once, after a few digits,
            // and only once a range is a single key.
            for cap in [u64::MAX, 64, 1, 0] {
                let entries = Entries {
                    values: &values,
                    alive: &alive,
                    groups: &groups,
                };
                let got = group_medians_with(entries, &counts, false, cap);
                assert!(
                    same(got, expected),
                    "case {case}, cap {cap}: {got:?} != {expected:?}"
                );
            }
        }
    }

    #[test]
    fn the_all_group_can_be_skipped() {
        let values = [3.0, 1.0, 2.0];
        let groups = [0, 1, 0];
        let counts = [2, 1, 0, 0, 0, 3];
        let got = group_medians(&values, &[0; 3], &groups, &counts, true);
        assert_eq!(got, [Some(2.5), Some(1.0), None, None, None, None]);
    }
}
