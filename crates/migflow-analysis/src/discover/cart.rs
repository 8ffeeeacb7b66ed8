//! A shallow classification tree (CART, Breiman et al. 1984) whose leaves
//! are boxes: Gini impurity, the best split by exhaustive search (numeric
//! factors at midpoints between consecutive distinct values; categorical
//! factors by ordering the categories by their share of cases, which gives
//! the optimal binary partition for two classes), a depth limit and a
//! minimum leaf size.
//!
//! Written here rather than taken from a crate: `linfa-trees` and
//! `smartcore` split numeric features only (a categorical factor would be
//! split as codes, not as sets), bring `ndarray` or their own matrix types,
//! and do not give each node's split as public data to turn into boxes.

use std::collections::BTreeSet;

use super::prim::{BoxLimits, Limit, initial_box};
use super::table::{Column, Table};

/// CART's settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CartOptions {
    /// The depth limit (a root alone has depth 0).
    pub max_depth: usize,
    /// The fewest points in a leaf.
    pub min_leaf: usize,
}

impl CartOptions {
    /// The default minimum leaf for `n` points: 5 % of them, at least 5, so
    /// that no leaf is a box too small to mean anything (PRIM's `mass_min`
    /// is the same 5 %).
    pub fn default_min_leaf(n: usize) -> usize {
        n.div_ceil(20).max(5)
    }
}

/// How a leaf's bound on one factor is written.
#[derive(Debug, Clone, PartialEq)]
pub enum Bound {
    /// Not restricted.
    Free,
    /// `lower < x <= upper` (`None` for no bound on that side).
    Range(Option<f64>, Option<f64>),
    /// The categories inside.
    Set(BTreeSet<usize>),
}

/// One leaf of the tree, as a box.
#[derive(Debug, Clone, PartialEq)]
pub struct Leaf {
    /// Its bound on each factor.
    pub bounds: Vec<Bound>,
    /// Points inside.
    pub n: usize,
    /// Cases inside.
    pub k: usize,
    /// k over all cases.
    pub coverage: f64,
    /// k / n.
    pub density: f64,
    /// n over all points.
    pub mass: f64,
    /// Its depth.
    pub depth: usize,
}

impl Leaf {
    /// Whether the tree classifies the leaf as cases (most of its points are).
    pub fn case_dominated(&self) -> bool {
        2 * self.k > self.n
    }

    /// The limits of the leaf as a PRIM box (for drawing and for the
    /// points inside): open sides take the data's bounds.
    pub fn as_box(&self, table: &Table) -> BoxLimits {
        let init = initial_box(table);
        self.bounds
            .iter()
            .zip(init)
            .map(|(b, i)| match (b, i) {
                (Bound::Range(lo, hi), Limit::Range(a, z)) => {
                    Limit::Range(lo.unwrap_or(a), hi.unwrap_or(z))
                }
                (Bound::Set(s), _) => Limit::Set(s.clone()),
                (_, i) => i,
            })
            .collect()
    }
}

fn gini(k: usize, n: usize) -> f64 {
    if n == 0 {
        return 0.0;
    }
    let p = k as f64 / n as f64;
    2.0 * p * (1.0 - p)
}

/// Grow the tree and return its leaves, left before right.
pub fn cart(table: &Table, y: &[bool], opts: CartOptions) -> Vec<Leaf> {
    let all: Vec<usize> = (0..y.len()).collect();
    let bounds = vec![Bound::Free; table.columns.len()];
    let t_coi = y.iter().filter(|c| **c).count();
    let mut leaves = Vec::new();
    grow(table, y, opts, &all, bounds, 0, t_coi, &mut leaves);
    leaves
}

/// A split: the factor, and which rows go left.
struct Split {
    j: usize,
    gain: f64,
    left: Vec<usize>,
    right: Vec<usize>,
    rule: Rule,
}

enum Rule {
    Threshold(f64),
    Left(BTreeSet<usize>, BTreeSet<usize>),
}

#[allow(clippy::too_many_arguments)]
fn grow(
    table: &Table,
    y: &[bool],
    opts: CartOptions,
    rows: &[usize],
    bounds: Vec<Bound>,
    depth: usize,
    t_coi: usize,
    leaves: &mut Vec<Leaf>,
) {
    let k = rows.iter().filter(|&&i| y[i]).count();
    let n = rows.len();
    let split = if depth < opts.max_depth && k > 0 && k < n && n >= 2 * opts.min_leaf {
        best_split(table, y, opts, rows)
    } else {
        None
    };
    let Some(s) = split else {
        leaves.push(Leaf {
            bounds,
            n,
            k,
            coverage: k as f64 / t_coi as f64,
            density: k as f64 / n as f64,
            mass: n as f64 / y.len() as f64,
            depth,
        });
        return;
    };
    let (mut lb, mut rb) = (bounds.clone(), bounds);
    match s.rule {
        Rule::Threshold(t) => {
            let (lo, hi) = match &lb[s.j] {
                Bound::Range(lo, hi) => (*lo, *hi),
                _ => (None, None),
            };
            lb[s.j] = Bound::Range(lo, Some(t));
            rb[s.j] = Bound::Range(Some(t), hi);
        }
        Rule::Left(l, r) => {
            // Within a node already restricted to a set, the right side is
            // what is left of that set.
            let r = match &rb[s.j] {
                Bound::Set(parent) => parent.difference(&l).copied().collect(),
                _ => r,
            };
            lb[s.j] = Bound::Set(l);
            rb[s.j] = Bound::Set(r);
        }
    }
    grow(table, y, opts, &s.left, lb, depth + 1, t_coi, leaves);
    grow(table, y, opts, &s.right, rb, depth + 1, t_coi, leaves);
}

/// The split with the largest decrease of weighted Gini impurity (strictly
/// positive); ties go to the first factor and the lowest threshold.
fn best_split(table: &Table, y: &[bool], opts: CartOptions, rows: &[usize]) -> Option<Split> {
    let n = rows.len();
    let k = rows.iter().filter(|&&i| y[i]).count();
    let parent = gini(k, n);
    let mut best: Option<Split> = None;
    let score = |kl: usize, nl: usize| {
        let (kr, nr) = (k - kl, n - nl);
        parent - (nl as f64 * gini(kl, nl) + nr as f64 * gini(kr, nr)) / n as f64
    };
    for (j, col) in table.columns.iter().enumerate() {
        match col {
            Column::Numeric { values, .. } => {
                let mut order: Vec<usize> = rows.to_vec();
                order.sort_by(|a, b| values[*a].total_cmp(&values[*b]));
                let mut kl = 0;
                for m in 1..n {
                    if y[order[m - 1]] {
                        kl += 1;
                    }
                    let (a, b) = (values[order[m - 1]], values[order[m]]);
                    if a == b || m < opts.min_leaf || n - m < opts.min_leaf {
                        continue;
                    }
                    let gain = score(kl, m);
                    if gain > 1e-12 && best.as_ref().is_none_or(|s| gain > s.gain + 1e-15) {
                        let t = a + (b - a) / 2.0;
                        best = Some(Split {
                            j,
                            gain,
                            left: sorted_rows(&order[..m]),
                            right: sorted_rows(&order[m..]),
                            rule: Rule::Threshold(t),
                        });
                    }
                }
            }
            Column::Categorical { codes, levels } => {
                let mut counts = vec![(0usize, 0usize); levels.len()];
                for &i in rows {
                    counts[codes[i]].1 += 1;
                    if y[i] {
                        counts[codes[i]].0 += 1;
                    }
                }
                let mut present: Vec<usize> =
                    (0..levels.len()).filter(|&c| counts[c].1 > 0).collect();
                // By share of cases; cross-multiplied to compare exactly.
                present.sort_by(|&a, &b| {
                    (counts[a].0 * counts[b].1)
                        .cmp(&(counts[b].0 * counts[a].1))
                        .then(a.cmp(&b))
                });
                let (mut kl, mut nl) = (0, 0);
                for m in 1..present.len() {
                    kl += counts[present[m - 1]].0;
                    nl += counts[present[m - 1]].1;
                    if nl < opts.min_leaf || n - nl < opts.min_leaf {
                        continue;
                    }
                    let gain = score(kl, nl);
                    if gain > 1e-12 && best.as_ref().is_none_or(|s| gain > s.gain + 1e-15) {
                        let l: BTreeSet<usize> = present[..m].iter().copied().collect();
                        // Categories absent from the node go right, with the rest.
                        let r: BTreeSet<usize> =
                            (0..levels.len()).filter(|c| !l.contains(c)).collect();
                        let (left, right): (Vec<usize>, Vec<usize>) =
                            rows.iter().partition(|&&i| l.contains(&codes[i]));
                        best = Some(Split {
                            j,
                            gain,
                            left,
                            right,
                            rule: Rule::Left(l, r),
                        });
                    }
                }
            }
        }
    }
    best
}

fn sorted_rows(rows: &[usize]) -> Vec<usize> {
    let mut v = rows.to_vec();
    v.sort_unstable();
    v
}
