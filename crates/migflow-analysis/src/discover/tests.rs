//! Tests of scenario discovery: PRIM's steps on tables small enough to
//! work by hand, and PRIM and CART recovering boxes planted in synthetic
//! data.

use std::collections::BTreeSet;

use super::prim::{get_quantile, lenient1};
use super::*;

/// SplitMix64: a fixed stream, so the synthetic data never change.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
}

fn real(values: Vec<f64>) -> Column {
    Column::Numeric {
        kind: Kind::Real,
        values,
    }
}

/// `n` points uniform in [0, 1]^4, cases inside the planted box
/// x0 ∈ [0.2, 0.6], x1 > 0.7, each label flipped with probability 5 %.
fn planted(n: usize, seed: u64) -> (Table, Vec<bool>) {
    let mut rng = Rng(seed);
    let mut cols = vec![Vec::new(); 4];
    let mut y = Vec::new();
    for _ in 0..n {
        let x: Vec<f64> = (0..4).map(|_| rng.next()).collect();
        let inside = (0.2..=0.6).contains(&x[0]) && x[1] > 0.7;
        let flip = rng.next() < 0.05;
        y.push(inside != flip);
        for (c, v) in cols.iter_mut().zip(x) {
            c.push(v);
        }
    }
    let table = Table {
        names: (0..4).map(|j| format!("x{j}")).collect(),
        columns: cols.into_iter().map(real).collect(),
    };
    (table, y)
}

/// The knee of a trajectory: the most coverage at a density of 0.9 or
/// more (the denser of equals), the box an analyst reads off the
/// coverage–density plot.
fn knee(t: &Trajectory) -> usize {
    let mut knee: Option<usize> = None;
    for (i, s) in t.stats.iter().enumerate() {
        if s.density >= 0.9 && knee.is_none_or(|k| s.coverage >= t.stats[k].coverage) {
            knee = Some(i);
        }
    }
    knee.unwrap_or(0)
}

#[test]
fn quantile_is_sdtoolkits() {
    // (n − 1)·q = 0.45 for n = 10, q = 0.05: between the first two values.
    let d: Vec<f64> = (1..=10).map(f64::from).collect();
    assert_eq!(get_quantile(&d, 0.05), 1.5);
    assert_eq!(get_quantile(&d, 0.95), 9.5);
    // Ties are skipped outward: the lower quantile moves up past the 1s.
    let t = [1.0, 1.0, 1.0, 2.0, 3.0];
    assert_eq!(get_quantile(&t, 0.05), 1.5);
    let u = [1.0, 2.0, 3.0, 3.0, 3.0];
    assert_eq!(get_quantile(&u, 0.95), 2.5);
}

#[test]
fn lenient1_is_gain_per_point() {
    // 10 points with 5 cases → 8 with 5: (5/8 − 1/2) / 2.
    assert_eq!(lenient1(5, 10, 5, 8), (5.0 / 8.0 - 0.5) / 2.0);
    assert_eq!(lenient1(5, 10, 3, 6), 0.0);
    // Pasting: 8 points with 5 cases → 10 with 7: (0.7 − 0.625) / 2.
    assert_eq!(lenient1(5, 8, 7, 10), (0.7 - 0.625) / 2.0);
}

/// Ten points 1..=10 on one real factor, cases at 8, 9, 10.
fn ten() -> (Table, Vec<bool>) {
    let table = Table {
        names: vec!["a".into()],
        columns: vec![real((1..=10).map(f64::from).collect())],
    };
    let y = (1..=10).map(|v| v >= 8).collect();
    (table, y)
}

#[test]
fn real_peel_candidates_by_hand() {
    let (table, y) = ten();
    let prim = Prim::new(&table, &y, PrimOptions::default());
    let all: Vec<usize> = (0..10).collect();
    let peels = prim.peels(0, &all, prim.initial());
    // Upper first: the 0.95 quantile is 9.5, keeping 1..=9; then lower at
    // 1.5, keeping 2..=10.
    assert_eq!(peels.len(), 2);
    assert_eq!(peels[0].1, vec![Limit::Range(1.0, 9.5)]);
    assert_eq!(peels[0].0, (0..9).collect::<Vec<_>>());
    assert_eq!(peels[1].1, vec![Limit::Range(1.5, 10.0)]);
    assert_eq!(peels[1].0, (1..10).collect::<Vec<_>>());
    // Each step then peels one non-case from below (a gain of 1/30, 1/72,
    // …) up to [7.5, 10], all cases; peeling 8 or 10 off that box gains
    // nothing (density stays 1), so peeling stops, and pasting 7 back
    // lowers the density, so no paste.
    let t = prim.find_box();
    let last = t.stats.last().copied().unwrap_or(t.stats[0]);
    assert_eq!(t.boxes.last(), Some(&vec![Limit::Range(7.5, 10.0)]));
    assert_eq!(
        (last.n, last.k, last.density, last.coverage),
        (3, 3, 1.0, 1.0)
    );
    assert_eq!(t.peels, 7);
}

#[test]
fn discrete_peel_moves_to_a_data_value() {
    let table = Table {
        names: vec!["g".into()],
        columns: vec![Column::Numeric {
            kind: Kind::Int,
            values: vec![0.0, 0.0, 0.0, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0, 3.0],
        }],
    };
    let y = vec![false; 10];
    let prim = Prim::new(&table, &y, PrimOptions::default());
    let all: Vec<usize> = (0..10).collect();
    let peels = prim.peels(0, &all, prim.initial());
    // Upper: quantile (2 + 3)/2 = 2.5 → int 2 ≠ 3, keep ≤ 2: new upper 2.
    assert_eq!(peels[0].1, vec![Limit::Range(0.0, 2.0)]);
    assert_eq!(peels[0].0.len(), 7);
    // Lower: quantile (0 + 1)/2 = 0.5 → int 0 = the lower limit, so keep
    // > 0: new lower 1.
    assert_eq!(peels[1].1, vec![Limit::Range(1.0, 3.0)]);
    assert_eq!(peels[1].0.len(), 7);
}

#[test]
fn categorical_peel_removes_one_category() {
    let table = Table {
        names: vec!["c".into()],
        columns: vec![Column::Categorical {
            codes: vec![0, 1, 2, 0, 1, 2],
            levels: vec!["a".into(), "b".into(), "c".into()],
        }],
    };
    let y = vec![true, false, false, true, false, true];
    let prim = Prim::new(&table, &y, PrimOptions::default());
    let all: Vec<usize> = (0..6).collect();
    let peels = prim.peels(0, &all, prim.initial());
    assert_eq!(peels.len(), 3);
    let set = |v: &[usize]| Limit::Set(v.iter().copied().collect::<BTreeSet<_>>());
    assert_eq!(peels[1].1, vec![set(&[0, 2])]);
    assert_eq!(peels[1].0, vec![0, 2, 3, 5]);
    // The best peel removes `b` (no case): 3/4 cases instead of 3/6.
    let t = prim.find_box();
    assert_eq!(t.boxes[1], vec![set(&[0, 2])]);
}

#[test]
fn paste_extends_a_real_limit_by_a_quantile() {
    // Two factors: a (real) peeled to [3.5, 10]; pasting looks at the
    // points below 3.5 and proposes the 0.95 quantile of a over them.
    let (mut table, y) = ten();
    table.names.push("b".into());
    table.columns.push(real(vec![0.0; 10]));
    let prim = Prim::new(&table, &y, PrimOptions::default());
    let lims = vec![Limit::Range(3.5, 10.0), Limit::Range(0.0, 0.0)];
    let pastes = prim.pastes(0, &lims);
    // Below: the points 1, 2, 3 (≤ 3.5): quantile 0.95 of [1, 2, 3] is
    // position 1.9 → (2 + 3)/2 = 2.5. Above: no point beyond 10 but 10
    // itself: the quantile of [10] is 10.
    assert_eq!(pastes[0].1[0], Limit::Range(2.5, 10.0));
    assert_eq!(pastes[0].0, (2..10).collect::<Vec<_>>());
    assert_eq!(pastes[1].1[0], Limit::Range(3.5, 10.0));
}

#[test]
fn pasting_needs_a_restricted_real_factor() {
    // EMA's `_paste` returns before looking at integer and categorical
    // factors when no real factor is restricted.
    let table = Table {
        names: vec!["g".into()],
        columns: vec![Column::Numeric {
            kind: Kind::Int,
            values: (0..20).map(f64::from).collect(),
        }],
    };
    let y: Vec<bool> = (0..20).map(|v| v >= 10 || v == 5).collect();
    let prim = Prim::new(&table, &y, PrimOptions::default());
    let t = prim.find_box();
    assert!(t.peels > 0);
    assert_eq!(t.stats.len(), t.peels + 1, "no paste");
}

#[test]
fn prim_recovers_a_planted_box() {
    let (table, y) = planted(1000, 7);
    let prim = Prim::new(&table, &y, PrimOptions::default());
    let t = prim.find_box();
    // The last box of density ≥ 0.8 is peeled on into noise (x2 too); the
    // knee of the trajectory is the planted box.
    let chosen = knee(&t);
    let b = &t.boxes[chosen];
    let init = prim.initial();
    // A peel removes 5 % of the box, i.e. moves a limit by about 5 % of
    // the box's width (≤ 0.05 here), and noise blurs edges: 0.06.
    let tol = 0.06;
    let Limit::Range(lo0, hi0) = b[0] else {
        panic!("x0 is real")
    };
    let Limit::Range(lo1, hi1) = b[1] else {
        panic!("x1 is real")
    };
    assert!((lo0 - 0.2).abs() < tol, "x0 lower {lo0}");
    assert!((hi0 - 0.6).abs() < tol, "x0 upper {hi0}");
    assert!((lo1 - 0.7).abs() < tol, "x1 lower {lo1}");
    // Unrestricted in the plant; a noise case near the top may be peeled.
    assert!(hi1 > 1.0 - tol, "x1 upper {hi1}");
    assert_eq!(b[2], init[2], "x2 unrestricted");
    assert_eq!(b[3], init[3], "x3 unrestricted");
    assert!(t.stats[chosen].density >= 0.9);
    let qp = prim.quasi_p(&t, chosen);
    assert!(qp[0].0.is_some_and(|q| q < 1e-3), "{qp:?}");
    assert_eq!(qp[2], (None, None));
}

#[test]
fn prim_recovers_a_planted_set() {
    // A categorical factor with four categories: cases where it is `b` or
    // `d` and x > 0.5 (5 % noise).
    let mut rng = Rng(11);
    let n = 800;
    let (mut xs, mut codes, mut zs, mut y) = (vec![], vec![], vec![], vec![]);
    for _ in 0..n {
        let x = rng.next();
        let c = (rng.next() * 4.0) as usize;
        let z = rng.next();
        let inside = x > 0.5 && (c == 1 || c == 3);
        y.push(inside != (rng.next() < 0.05));
        xs.push(x);
        codes.push(c);
        zs.push(z);
    }
    let table = Table {
        names: vec!["x".into(), "c".into(), "z".into()],
        columns: vec![
            real(xs),
            Column::Categorical {
                codes,
                levels: ["a", "b", "c", "d"].map(String::from).to_vec(),
            },
            real(zs),
        ],
    };
    let prim = Prim::new(&table, &y, PrimOptions::default());
    let t = prim.find_box();
    // LENIENT1 peels on past the planted box for gains of noise (here it
    // ends by dropping `b` for a density of 0.981 instead of 0.979), so
    // the box read off the trajectory is the knee: the most coverage at a
    // density of 0.9 or more (the denser of equals).
    let b = &t.boxes[knee(&t)];
    assert_eq!(b[1], Limit::Set([1, 3].into_iter().collect()));
    let Limit::Range(lo, _) = b[0] else {
        panic!("x is real")
    };
    assert!((lo - 0.5).abs() < 0.06, "x lower {lo}");
    assert_eq!(b[2], prim.initial()[2]);
}

#[test]
fn cart_recovers_a_planted_box() {
    let (table, y) = planted(1000, 7);
    let leaves = cart(
        &table,
        &y,
        CartOptions {
            max_depth: 3,
            min_leaf: CartOptions::default_min_leaf(1000),
        },
    );
    let dominated: Vec<&Leaf> = leaves.iter().filter(|l| l.case_dominated()).collect();
    assert_eq!(dominated.len(), 1, "{leaves:?}");
    let l = dominated[0];
    let range = |j: usize| match &l.bounds[j] {
        Bound::Range(lo, hi) => (*lo, *hi),
        b => panic!("x{j}: {b:?}"),
    };
    let tol = 0.03;
    let (lo0, hi0) = range(0);
    assert!(lo0.is_some_and(|v| (v - 0.2).abs() < tol), "{lo0:?}");
    assert!(hi0.is_some_and(|v| (v - 0.6).abs() < tol), "{hi0:?}");
    let (lo1, hi1) = range(1);
    assert!(lo1.is_some_and(|v| (v - 0.7).abs() < tol), "{lo1:?}");
    assert_eq!(hi1, None);
    assert_eq!(l.bounds[2], Bound::Free);
    assert_eq!(l.bounds[3], Bound::Free);
    // About 42 of the ~195 cases are noise outside the plant: coverage
    // cannot much exceed 0.78.
    assert!(l.density > 0.85 && l.coverage > 0.65, "{l:?}");
}

#[test]
fn cart_splits_a_category_as_a_set() {
    let mut rng = Rng(3);
    let (mut codes, mut zs, mut y) = (vec![], vec![], vec![]);
    for _ in 0..400 {
        let c = (rng.next() * 5.0) as usize;
        codes.push(c);
        zs.push(rng.next());
        y.push(c == 0 || c == 3);
    }
    let table = Table {
        names: vec!["c".into(), "z".into()],
        columns: vec![
            Column::Categorical {
                codes,
                levels: ["a", "b", "c", "d", "e"].map(String::from).to_vec(),
            },
            real(zs),
        ],
    };
    let leaves = cart(
        &table,
        &y,
        CartOptions {
            max_depth: 3,
            min_leaf: 20,
        },
    );
    let cases: Vec<&Leaf> = leaves.iter().filter(|l| l.case_dominated()).collect();
    assert_eq!(cases.len(), 1, "{leaves:?}");
    assert_eq!(cases[0].bounds[0], Bound::Set([0, 3].into_iter().collect()));
    assert_eq!(cases[0].density, 1.0);
}

#[test]
fn condition_parses_and_refuses() {
    let c = Condition::parse(">= 0.1").unwrap_or(Condition {
        op: Comparison::Less,
        value: 0.0,
    });
    assert_eq!(c.op, Comparison::GreaterEqual);
    assert!(c.holds(0.1) && !c.holds(0.09));
    assert!(Condition::parse("<-2").is_ok_and(|c| c.holds(-3.0)));
    for bad in ["0.05", "== 1", "> x", "> nan", ""] {
        assert!(Condition::parse(bad).is_err(), "{bad}");
    }
}
