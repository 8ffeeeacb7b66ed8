//! PRIM, the patient rule induction method (Friedman and Fisher 1999), as
//! the EMA Workbench 2.5.3 runs it for scenario discovery (Bryant and
//! Lempert 2010): `ema_workbench.analysis.prim.Prim(x, y, threshold)`
//! with its defaults (LENIENT1 objective, threshold type ABOVE) and
//! `find_box()`. Every step follows that source, including its quirks, so
//! that the peeling trajectory and the box limits are the same numbers:
//!
//! - quantiles are sdtoolkit's (`get_quantile`: the mean of the two order
//!   statistics around `(n − 1)·q`, widened past ties), not `np.percentile`;
//! - real columns are peeled at those quantiles; integer columns to the
//!   nearest data value inside (`_discrete_peel`); categorical columns by
//!   removing one category;
//! - the best candidate has the highest objective, then the fewest
//!   restricted dimensions, then comes first (float columns, then integer,
//!   then categorical; upper before lower), as Python's stable sort keeps it;
//! - pasting runs once, after all peeling, and only when a real column is
//!   restricted (EMA returns from `_paste` when its float columns yield no
//!   candidate, before it looks at integer or categorical ones).
//!
//! Where EMA iterates a Python set of categories (an order that depends on
//! string hashing), categories are taken in sorted order; this matters only
//! for exactly tied candidates.

use std::collections::BTreeSet;

use super::table::{Column, Kind, Table};

/// PRIM's settings (the EMA Workbench's names in brackets).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PrimOptions {
    /// The share of a box's points a peel removes (`peel_alpha`).
    pub peel_alpha: f64,
    /// The share of the points next to a box a paste adds (`paste_alpha`).
    pub paste_alpha: f64,
    /// The least mass (share of all points) a box may have (`mass_min`).
    pub mass_min: f64,
    /// The density a box must reach (`threshold`).
    pub threshold: f64,
}

impl Default for PrimOptions {
    fn default() -> Self {
        PrimOptions {
            peel_alpha: 0.05,
            paste_alpha: 0.05,
            mass_min: 0.05,
            threshold: 0.8,
        }
    }
}

/// The limit of a box on one factor.
#[derive(Debug, Clone, PartialEq)]
pub enum Limit {
    /// Lower and upper bound, both inclusive.
    Range(f64, f64),
    /// The categories inside (indices into the column's levels).
    Set(BTreeSet<usize>),
}

/// A box: one limit per factor of the table.
pub type BoxLimits = Vec<Limit>;

/// The statistics of one box of the peeling trajectory.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BoxStats {
    /// The share of all cases inside the box.
    pub coverage: f64,
    /// The share of the box's points that are cases.
    pub density: f64,
    /// The mean of the case indicator inside the box (equal to the density).
    pub mean: f64,
    /// The share of all points inside the box.
    pub mass: f64,
    /// The number of restricted factors.
    pub res_dim: usize,
    /// The number of points inside.
    pub n: usize,
    /// The number of cases inside.
    pub k: usize,
}

/// The result of PRIM: the peeling and pasting trajectory.
#[derive(Debug, Clone, PartialEq)]
pub struct Trajectory {
    /// Each box's statistics, the whole space first.
    pub stats: Vec<BoxStats>,
    /// Each box's limits.
    pub boxes: Vec<BoxLimits>,
    /// The points inside each box (row indices, ascending).
    pub members: Vec<Vec<usize>>,
    /// Whether the last box reaches the threshold (else EMA's `find_box`
    /// would return the whole space as a "dump box").
    pub threshold_reached: bool,
    /// How many of the boxes came from peeling (the rest from pasting).
    pub peels: usize,
}

impl Trajectory {
    /// The box chosen by default: the last one whose density reaches
    /// `threshold`, or, if none does, the densest (the last of equals).
    pub fn default_choice(&self, threshold: f64) -> usize {
        if let Some(i) = self.stats.iter().rposition(|s| s.density >= threshold) {
            return i;
        }
        let mut best = 0;
        for (i, s) in self.stats.iter().enumerate() {
            if s.density >= self.stats[best].density {
                best = i;
            }
        }
        best
    }
}

/// sdtoolkit's quantile of sorted `data` (EMA's `get_quantile`): the mean
/// of the order statistics below and above position `(n − 1)·q`, moved
/// outward past equal values (down for `q > 0.5`, up otherwise).
pub fn get_quantile(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let i = (n - 1) as f64 * q;
    let mut lo = i.floor() as usize;
    let mut hi = i.ceil() as usize;
    if q > 0.5 {
        while sorted[lo] == sorted[hi] && lo > 0 {
            lo -= 1;
        }
    } else {
        while sorted[lo] == sorted[hi] && hi < n - 1 {
            hi += 1;
        }
    }
    (sorted[lo] + sorted[hi]) / 2.0
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(f64::total_cmp);
    v
}

/// EMA's LENIENT1 objective: the gain in mean per point removed (or
/// added), for a box of `n_old` points with `k_old` cases becoming one of
/// `n_new` with `k_new`.
pub fn lenient1(k_old: usize, n_old: usize, k_new: usize, n_new: usize) -> f64 {
    let mean_old = k_old as f64 / n_old as f64;
    let mean_new = if n_new > 0 {
        k_new as f64 / n_new as f64
    } else {
        0.0
    };
    if mean_old == mean_new || n_old == n_new {
        return 0.0;
    }
    let change = n_old.abs_diff(n_new);
    (mean_new - mean_old) / change as f64
}

/// A candidate box and the points inside it.
type Candidate = (Vec<usize>, BoxLimits);

/// PRIM over a table and its case indicator.
pub struct Prim<'a> {
    table: &'a Table,
    y: &'a [bool],
    opts: PrimOptions,
    init: BoxLimits,
    /// Column indices by EMA's dtype groups: float, int, categorical.
    order: Vec<usize>,
    t_coi: usize,
}

impl<'a> Prim<'a> {
    /// Set up PRIM on `table` (at least one row) and cases `y`, one per row.
    pub fn new(table: &'a Table, y: &'a [bool], opts: PrimOptions) -> Prim<'a> {
        let init = initial_box(table);
        let mut order = Vec::new();
        for kind in [Kind::Real, Kind::Int, Kind::Categorical] {
            order.extend((0..table.columns.len()).filter(|&j| table.columns[j].kind() == kind));
        }
        let t_coi = y.iter().filter(|c| **c).count();
        Prim {
            table,
            y,
            opts,
            init,
            order,
            t_coi,
        }
    }

    /// The box around all the data.
    pub fn initial(&self) -> &BoxLimits {
        &self.init
    }

    fn coi(&self, idx: &[usize]) -> usize {
        idx.iter().filter(|&&i| self.y[i]).count()
    }

    fn restricted(&self, lims: &BoxLimits) -> usize {
        restricted_dims(lims, &self.init).len()
    }

    fn stats(&self, lims: &BoxLimits, idx: &[usize]) -> BoxStats {
        let k = self.coi(idx);
        let n = idx.len();
        BoxStats {
            coverage: k as f64 / self.t_coi as f64,
            density: k as f64 / n as f64,
            mean: k as f64 / n as f64,
            mass: n as f64 / self.y.len() as f64,
            res_dim: self.restricted(lims),
            n,
            k,
        }
    }

    /// Find one box (EMA's `find_box` on a fresh `Prim`): peel, then paste.
    pub fn find_box(&self) -> Trajectory {
        let all: Vec<usize> = (0..self.y.len()).collect();
        let mut t = Trajectory {
            stats: vec![self.stats(&self.init, &all)],
            boxes: vec![self.init.clone()],
            members: vec![all],
            threshold_reached: false,
            peels: 0,
        };
        while let Some((idx, lims)) = self.peel_step(&t) {
            t.stats.push(self.stats(&lims, &idx));
            t.boxes.push(lims);
            t.members.push(idx);
            t.peels += 1;
        }
        while let Some((idx, lims)) = self.paste_step(&t) {
            t.stats.push(self.stats(&lims, &idx));
            t.boxes.push(lims);
            t.members.push(idx);
        }
        t.threshold_reached = t
            .stats
            .last()
            .is_some_and(|s| s.mean >= self.opts.threshold);
        t
    }

    /// The best candidate by EMA's score: objective, then unrestricted
    /// dimensions, then order.
    fn best(&self, old: &[usize], candidates: Vec<Candidate>) -> Option<(f64, Candidate)> {
        let k_old = self.coi(old);
        let mut best: Option<(f64, usize, Candidate)> = None;
        let n_cols = self.table.columns.len();
        for (idx, lims) in candidates {
            let obj = lenient1(k_old, old.len(), self.coi(&idx), idx.len());
            let free = n_cols - self.restricted(&lims);
            let better = match &best {
                None => true,
                Some((o, f, _)) => obj > *o || (obj == *o && free > *f),
            };
            if better {
                best = Some((obj, free, (idx, lims)));
            }
        }
        best.map(|(o, _, c)| (o, c))
    }

    /// One peel (EMA's `_peel`, one level of its recursion).
    pub fn peel_step(&self, t: &Trajectory) -> Option<Candidate> {
        let yi = t.members.last()?;
        let lims = t.boxes.last()?;
        let mut candidates = Vec::new();
        for &j in &self.order {
            candidates.extend(self.peels(j, yi, lims));
        }
        let n = self.y.len() as f64;
        let (obj, (idx, new)) = self.best(yi, candidates)?;
        let mass_new = idx.len() as f64 / n;
        let mass_old = yi.len() as f64 / n;
        (mass_new >= self.opts.mass_min && mass_new < mass_old && obj > 0.0).then_some((idx, new))
    }

    /// The candidate peels of column `j` of the box `lims` holding `yi`.
    pub fn peels(&self, j: usize, yi: &[usize], lims: &BoxLimits) -> Vec<Candidate> {
        let alpha = self.opts.peel_alpha;
        match &self.table.columns[j] {
            Column::Numeric {
                kind: Kind::Int,
                values,
            } => {
                let xj: Vec<f64> = yi.iter().map(|&i| values[i]).collect();
                let s = sorted(xj.clone());
                let Limit::Range(lo, hi) = lims[j] else {
                    return Vec::new();
                };
                let mut out = Vec::new();
                for upper in [true, false] {
                    let q = if upper { 1.0 - alpha } else { alpha };
                    let peel = get_quantile(&s, q).trunc();
                    let keep: Vec<bool> = if upper {
                        if peel == hi {
                            xj.iter().map(|&x| x < hi && x >= lo).collect()
                        } else {
                            xj.iter().map(|&x| x <= peel && x >= lo).collect()
                        }
                    } else if peel == lo {
                        xj.iter().map(|&x| x > lo && x <= hi).collect()
                    } else {
                        xj.iter().map(|&x| x >= peel && x <= hi).collect()
                    };
                    let kept: Vec<f64> = xj
                        .iter()
                        .zip(&keep)
                        .filter(|(_, k)| **k)
                        .map(|(x, _)| *x)
                        .collect();
                    let pool = if kept.is_empty() { &xj } else { &kept };
                    let limit = if upper {
                        pool.iter().copied().fold(f64::NEG_INFINITY, f64::max)
                    } else {
                        pool.iter().copied().fold(f64::INFINITY, f64::min)
                    };
                    let idx = select(yi, &keep);
                    let mut new = lims.clone();
                    new[j] = if upper {
                        Limit::Range(lo, limit)
                    } else {
                        Limit::Range(limit, hi)
                    };
                    out.push((idx, new));
                }
                out
            }
            Column::Numeric { values, .. } => {
                let xj: Vec<f64> = yi.iter().map(|&i| values[i]).collect();
                let s = sorted(xj.clone());
                let Limit::Range(lo, hi) = lims[j] else {
                    return Vec::new();
                };
                let mut out = Vec::new();
                for upper in [true, false] {
                    let q = if upper { 1.0 - alpha } else { alpha };
                    let peel = get_quantile(&s, q);
                    let keep: Vec<bool> = if upper {
                        xj.iter().map(|&x| x <= peel).collect()
                    } else {
                        xj.iter().map(|&x| x >= peel).collect()
                    };
                    let mut new = lims.clone();
                    new[j] = if upper {
                        Limit::Range(lo, peel)
                    } else {
                        Limit::Range(peel, hi)
                    };
                    out.push((select(yi, &keep), new));
                }
                out
            }
            Column::Categorical { codes, .. } => {
                let Limit::Set(set) = &lims[j] else {
                    return Vec::new();
                };
                if set.len() <= 1 {
                    return Vec::new();
                }
                set.iter()
                    .map(|&c| {
                        let keep: Vec<bool> = yi.iter().map(|&i| codes[i] != c).collect();
                        let mut s = set.clone();
                        s.remove(&c);
                        let mut new = lims.clone();
                        new[j] = Limit::Set(s);
                        (select(yi, &keep), new)
                    })
                    .collect()
            }
        }
    }

    /// One paste (EMA's `_paste`, one level of its recursion).
    pub fn paste_step(&self, t: &Trajectory) -> Option<Candidate> {
        let yi = t.members.last()?;
        let lims = t.boxes.last()?;
        let res = restricted_dims(lims, &self.init);
        // EMA returns when no float column gives a paste (see the module docs).
        if !res
            .iter()
            .any(|&j| self.table.columns[j].kind() == Kind::Real)
        {
            return None;
        }
        let mut candidates = Vec::new();
        for &j in &self.order {
            if res.contains(&j) {
                candidates.extend(self.pastes(j, lims));
            }
        }
        let n = self.y.len() as f64;
        let (obj, (idx, new)) = self.best(yi, candidates)?;
        let mass_new = idx.len() as f64 / n;
        let mass_old = yi.len() as f64 / n;
        let mean_old = self.coi(yi) as f64 / yi.len() as f64;
        let mean_new = self.coi(&idx) as f64 / idx.len() as f64;
        (mass_new >= self.opts.mass_min && mass_new > mass_old && obj > 0.0 && mean_new > mean_old)
            .then_some((idx, new))
    }

    /// The candidate pastes of column `j` of the box `lims`.
    pub fn pastes(&self, j: usize, lims: &BoxLimits) -> Vec<Candidate> {
        match (&self.table.columns[j], &lims[j], &self.init[j]) {
            (Column::Numeric { values, .. }, Limit::Range(lo, hi), Limit::Range(min, max)) => {
                let mut out = Vec::new();
                for lower in [true, false] {
                    // The points between the box and the data's bound, within
                    // the box on every other factor.
                    let mut slab = lims.clone();
                    slab[j] = if lower {
                        Limit::Range(*min, *lo)
                    } else {
                        Limit::Range(*hi, *max)
                    };
                    let data = sorted(
                        in_box(self.table, &slab)
                            .into_iter()
                            .map(|i| values[i])
                            .collect(),
                    );
                    let mut new = lims.clone();
                    if lower {
                        let v = if data.is_empty() {
                            *min
                        } else {
                            get_quantile(&data, 1.0 - self.opts.paste_alpha)
                        };
                        new[j] = Limit::Range(v, *hi);
                    } else {
                        let v = if data.is_empty() {
                            *max
                        } else {
                            get_quantile(&data, self.opts.paste_alpha)
                        };
                        new[j] = Limit::Range(*lo, v);
                    }
                    out.push((in_box(self.table, &new), new));
                }
                out
            }
            (Column::Categorical { .. }, Limit::Set(inside), Limit::Set(all)) => all
                .difference(inside)
                .map(|&c| {
                    let mut s = inside.clone();
                    s.insert(c);
                    let mut new = lims.clone();
                    new[j] = Limit::Set(s);
                    (in_box(self.table, &new), new)
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// The quasi-p-values of box `i`'s restricted limits (EMA's
    /// `_calculate_quasi_p`, Bryant and Lempert 2010): for each limit, a
    /// one-sided binomial test of the box's cases against the density of
    /// the box with that limit removed. `None` where the limit is not
    /// restricted; a categorical factor has one value, as `lower`.
    pub fn quasi_p(&self, t: &Trajectory, i: usize) -> Vec<(Option<f64>, Option<f64>)> {
        let lims = &t.boxes[i];
        let s = &t.stats[i];
        let res = restricted_dims(lims, &self.init);
        // Only the restricted limits count (EMA tests the box over them).
        let mut base = self.init.clone();
        for &j in &res {
            base[j] = lims[j].clone();
        }
        let test = |relaxed: BoxLimits| {
            let idx = in_box(self.table, &relaxed);
            let p = self.coi(&idx) as f64 / idx.len() as f64;
            binom_sf(s.k, s.n, p)
        };
        (0..lims.len())
            .map(|j| {
                if !res.contains(&j) {
                    return (None, None);
                }
                match (&lims[j], &self.init[j]) {
                    (Limit::Range(lo, hi), Limit::Range(min, max)) => {
                        let lower = (lo != min).then(|| {
                            let mut b = base.clone();
                            b[j] = Limit::Range(*min, *hi);
                            test(b)
                        });
                        let upper = (hi != max).then(|| {
                            let mut b = base.clone();
                            b[j] = Limit::Range(*lo, *max);
                            test(b)
                        });
                        (lower, upper)
                    }
                    _ => {
                        let mut b = base.clone();
                        b[j] = self.init[j].clone();
                        (Some(test(b)), None)
                    }
                }
            })
            .collect()
    }
}

/// P(X ≥ k) for X ~ Binomial(n, p): scipy's `binomtest(k, n, p,
/// alternative="greater").pvalue`.
pub fn binom_sf(k: usize, n: usize, p: f64) -> f64 {
    if k == 0 {
        return 1.0;
    }
    if k > n || p <= 0.0 {
        return 0.0;
    }
    if p >= 1.0 {
        return 1.0;
    }
    // P(X ≥ k) = I_p(k, n − k + 1).
    statrs::function::beta::beta_reg(k as f64, (n - k + 1) as f64, p).min(1.0)
}

/// The box around all the data of `table`.
pub fn initial_box(table: &Table) -> BoxLimits {
    table
        .columns
        .iter()
        .map(|c| match c {
            Column::Numeric { values, .. } => {
                let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
                let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                Limit::Range(lo, hi)
            }
            Column::Categorical { codes, .. } => Limit::Set(codes.iter().copied().collect()),
        })
        .collect()
}

/// The factors on which `lims` differs from `init`.
pub fn restricted_dims(lims: &BoxLimits, init: &BoxLimits) -> Vec<usize> {
    (0..lims.len()).filter(|&j| lims[j] != init[j]).collect()
}

/// The rows of `table` inside `lims` (bounds inclusive), ascending.
pub fn in_box(table: &Table, lims: &BoxLimits) -> Vec<usize> {
    (0..table.rows())
        .filter(|&i| {
            table.columns.iter().zip(lims).all(|(c, l)| match (c, l) {
                (Column::Numeric { values, .. }, Limit::Range(lo, hi)) => {
                    *lo <= values[i] && values[i] <= *hi
                }
                (Column::Categorical { codes, .. }, Limit::Set(s)) => s.contains(&codes[i]),
                _ => false,
            })
        })
        .collect()
}

fn select(yi: &[usize], keep: &[bool]) -> Vec<usize> {
    yi.iter()
        .zip(keep)
        .filter(|(_, k)| **k)
        .map(|(i, _)| *i)
        .collect()
}
