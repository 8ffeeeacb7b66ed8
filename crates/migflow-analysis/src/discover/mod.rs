//! Scenario discovery (Bryant and Lempert 2010): which combinations of a
//! sweep's factors lead to the cases of interest. Each design point is one
//! row (its outcome averaged over its completed replicates, since
//! replicates are noise), a case when that mean meets a condition; PRIM
//! ([`prim`], matching the EMA Workbench 2.5.3) or a shallow CART tree
//! ([`cart()`]) then describes the cases as boxes in factor space.
//!
//! [`analyze`] reads a sweep and runs the method; [`write()`] commits the
//! files (`cases.csv`, `prim_trajectory.csv`, `box_limits.csv` or
//! `cart_leaves.csv`, the charts, `manifest.json`) atomically; [`summary`]
//! is the text for the terminal.

pub mod cart;
pub mod prim;
pub mod table;

use std::io::Write;
use std::path::{Path, PathBuf};

use migflow_io::error::{Error, Result};
use migflow_io::results::SweepResults;
use migflow_io::{OutputDir, tables::csv_user_text};
use serde::Serialize;

pub use cart::{Bound, CartOptions, Leaf, cart};
pub use prim::{BoxLimits, BoxStats, Limit, Prim, PrimOptions, Trajectory};
pub use table::{Cases, Column, Comparison, Condition, Kind, Table, cases};

/// The method of a discovery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// PRIM's peeling trajectory and one chosen box.
    Prim,
    /// A shallow classification tree's leaves.
    Cart,
}

impl std::str::FromStr for Method {
    type Err = String;

    /// `prim` or `cart`, as the command line's `--method` takes them.
    fn from_str(text: &str) -> std::result::Result<Method, String> {
        match text {
            "prim" => Ok(Method::Prim),
            "cart" => Ok(Method::Cart),
            other => Err(format!("`{other}` is not a method (expected prim or cart)")),
        }
    }
}

/// What to discover and how.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// The outcome column of `runs.csv`.
    pub outcome: String,
    /// Which point means are cases.
    pub condition: Condition,
    /// Only this policy's points (a sweep with a `policy` factor).
    pub policy: Option<String>,
    /// PRIM or CART.
    pub method: Method,
    /// PRIM's settings.
    pub prim: PrimOptions,
    /// The PRIM box to report (default: [`Trajectory::default_choice`]).
    pub box_index: Option<usize>,
    /// CART's depth limit.
    pub max_depth: usize,
}

/// The result of PRIM on a discovery's rows.
#[derive(Debug, Clone, PartialEq)]
pub struct PrimResult {
    /// The peeling and pasting trajectory.
    pub trajectory: Trajectory,
    /// The index of the chosen box.
    pub chosen: usize,
    /// The quasi-p-values of the chosen box's limits, per factor.
    pub qp: Vec<(Option<f64>, Option<f64>)>,
    /// The box around all the data.
    pub initial: BoxLimits,
}

/// The result of a discovery.
#[derive(Debug, Clone, PartialEq)]
pub struct Discovery {
    /// The sweep's directory.
    pub sweep_dir: PathBuf,
    /// The SHA-256 of its `runs.csv`.
    pub runs_sha256: String,
    /// The options.
    pub options: Options,
    /// The rows handed to the method.
    pub cases: Cases,
    /// PRIM's result (for [`Method::Prim`]).
    pub prim: Option<PrimResult>,
    /// CART's leaves (for [`Method::Cart`]).
    pub leaves: Option<Vec<Leaf>>,
    /// CART's minimum leaf size.
    pub min_leaf: usize,
    /// Notes for the user (dropped factors and points, an unmet threshold).
    pub notes: Vec<String>,
}

/// Check PRIM's settings; the error names the setting by its library name.
fn check(opts: &Options) -> std::result::Result<(), String> {
    let p = &opts.prim;
    let share = |name: &str, v: f64, hi: f64| {
        if v.is_finite() && v > 0.0 && v < hi {
            Ok(())
        } else {
            Err(format!(
                "{name} is {v}: expected a number above 0 and below {hi}"
            ))
        }
    };
    share("alpha", p.peel_alpha, 0.5)?;
    share("min-mass", p.mass_min, 1.0)?;
    if !(p.threshold.is_finite() && p.threshold > 0.0 && p.threshold <= 1.0) {
        return Err(format!(
            "threshold is {}: expected a density above 0 and at most 1",
            p.threshold
        ));
    }
    if opts.max_depth == 0 || opts.max_depth > 12 {
        return Err(format!("max-depth is {}: expected 1 to 12", opts.max_depth));
    }
    if opts.box_index.is_some() && opts.method == Method::Cart {
        return Err("box chooses a PRIM box; it does not apply to method cart".into());
    }
    Ok(())
}

/// Read the sweep in `dir` and run the discovery.
pub fn analyze(dir: &Path, opts: &Options) -> Result<Discovery> {
    if let Err(message) = check(opts) {
        return Err(Error::Input {
            path: dir.to_path_buf(),
            message,
        });
    }
    let sweep = SweepResults::read(dir)?;
    let runs_sha256 =
        migflow_io::manifest::sha256_file(&migflow_io::columnar::present_table(dir, "runs.csv"))?;
    let cases = table::cases(
        &sweep,
        &opts.outcome,
        &opts.condition,
        opts.policy.as_deref(),
    )?;
    let mut notes = sweep.notes.clone();
    notes.retain(|n| !n.contains("trajectories by design point"));
    notes.extend(cases.notes.iter().cloned());
    let (mut prim_result, mut leaves) = (None, None);
    let min_leaf = CartOptions::default_min_leaf(cases.cases.len());
    match opts.method {
        Method::Prim => {
            let p = Prim::new(&cases.table, &cases.cases, opts.prim);
            let trajectory = p.find_box();
            if !trajectory.threshold_reached {
                notes.push(format!(
                    "PRIM's last box has density {:.3}, below the threshold {}: the EMA Workbench's find_box would return the whole space; the trajectory is reported as peeled and pasted",
                    trajectory.stats.last().map_or(0.0, |s| s.density),
                    opts.prim.threshold
                ));
            }
            let chosen = match opts.box_index {
                Some(i) if i < trajectory.stats.len() => i,
                Some(i) => {
                    return Err(Error::Input {
                        path: migflow_io::columnar::present_table(dir, "runs.csv"),
                        message: format!(
                            "box {i} was asked for, but the peeling trajectory has boxes 0 to {}",
                            trajectory.stats.len() - 1
                        ),
                    });
                }
                None => {
                    let c = trajectory.default_choice(opts.prim.threshold);
                    if trajectory.stats[c].density < opts.prim.threshold {
                        notes.push(format!(
                            "no box reaches the density threshold {}: box {c}, the densest, is reported",
                            opts.prim.threshold
                        ));
                    }
                    c
                }
            };
            let qp = p.quasi_p(&trajectory, chosen);
            prim_result = Some(PrimResult {
                initial: p.initial().clone(),
                trajectory,
                chosen,
                qp,
            });
        }
        Method::Cart => {
            leaves = Some(cart(
                &cases.table,
                &cases.cases,
                CartOptions {
                    max_depth: opts.max_depth,
                    min_leaf,
                },
            ));
        }
    }
    Ok(Discovery {
        sweep_dir: dir.to_path_buf(),
        runs_sha256,
        options: opts.clone(),
        cases,
        prim: prim_result,
        leaves,
        min_leaf,
        notes,
    })
}

fn csv_text(header: &[String], rows: &[Vec<String>]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(header);
    for r in rows {
        let _ = w.write_record(r);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

fn strings(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// `cases.csv`: the exact input of the method, one row per design point.
pub fn cases_csv(d: &Discovery) -> String {
    let c = &d.cases;
    let mut header = vec!["point".to_string()];
    header.extend(c.table.names.iter().map(|n| csv_user_text(n)));
    header.push(csv_user_text(&d.options.outcome));
    header.push("case".into());
    let rows: Vec<Vec<String>> = (0..c.points.len())
        .map(|i| {
            let mut r = vec![c.points[i].to_string()];
            r.extend(c.table.columns.iter().map(|col| match col {
                Column::Categorical { .. } => csv_user_text(&col.text(i)),
                _ => col.text(i),
            }));
            r.push(format!("{}", c.means[i]));
            r.push(if c.cases[i] { "1" } else { "0" }.into());
            r
        })
        .collect();
    csv_text(&header, &rows)
}

/// `prim_trajectory.csv`: every box of the trajectory.
pub fn trajectory_csv(p: &PrimResult) -> String {
    let header = strings(&[
        "box", "phase", "coverage", "density", "mean", "mass", "res_dim", "n", "k",
    ]);
    let t = &p.trajectory;
    let rows: Vec<Vec<String>> = t
        .stats
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let phase = if i == 0 {
                "start"
            } else if i <= t.peels {
                "peel"
            } else {
                "paste"
            };
            vec![
                i.to_string(),
                phase.into(),
                format!("{}", s.coverage),
                format!("{}", s.density),
                format!("{}", s.mean),
                format!("{}", s.mass),
                s.res_dim.to_string(),
                s.n.to_string(),
                s.k.to_string(),
            ]
        })
        .collect();
    csv_text(&header, &rows)
}

fn set_text(set: &std::collections::BTreeSet<usize>, levels: &[String]) -> String {
    set.iter()
        .map(|&c| levels[c].as_str())
        .collect::<Vec<_>>()
        .join(";")
}

fn levels(col: &Column) -> &[String] {
    match col {
        Column::Categorical { levels, .. } => levels,
        Column::Numeric { .. } => &[],
    }
}

fn opt(v: Option<f64>) -> String {
    v.map_or(String::new(), |x| format!("{x}"))
}

/// `box_limits.csv`: the chosen box's limit on every factor, restricted
/// ones first (as in the table), with quasi-p-values and the full range.
pub fn box_limits_csv(d: &Discovery, p: &PrimResult) -> String {
    let header = strings(&[
        "factor",
        "kind",
        "restricted",
        "lower",
        "upper",
        "categories",
        "qp_lower",
        "qp_upper",
        "minimum",
        "maximum",
        "all_categories",
    ]);
    let t = &d.cases.table;
    let lims = &p.trajectory.boxes[p.chosen];
    let rows: Vec<Vec<String>> = (0..t.names.len())
        .map(|j| {
            let col = &t.columns[j];
            let restricted = lims[j] != p.initial[j];
            let mut r = vec![
                csv_user_text(&t.names[j]),
                col.kind().name().into(),
                restricted.to_string(),
            ];
            match (&lims[j], &p.initial[j]) {
                (Limit::Range(lo, hi), Limit::Range(min, max)) => r.extend([
                    format!("{lo}"),
                    format!("{hi}"),
                    String::new(),
                    opt(p.qp[j].0),
                    opt(p.qp[j].1),
                    format!("{min}"),
                    format!("{max}"),
                    String::new(),
                ]),
                (Limit::Set(s), Limit::Set(all)) => r.extend([
                    String::new(),
                    String::new(),
                    csv_user_text(&set_text(s, levels(col))),
                    opt(p.qp[j].0),
                    String::new(),
                    String::new(),
                    String::new(),
                    csv_user_text(&set_text(all, levels(col))),
                ]),
                _ => r.extend(std::iter::repeat_n(String::new(), 8)),
            }
            r
        })
        .collect();
    csv_text(&header, &rows)
}

/// A leaf's rule as text, e.g. `x0 <= 0.5 and colour in {red, blue}`.
pub fn leaf_rule(table: &Table, leaf: &Leaf) -> String {
    let parts: Vec<String> = leaf
        .bounds
        .iter()
        .enumerate()
        .filter_map(|(j, b)| {
            let name = &table.names[j];
            match b {
                Bound::Free => None,
                Bound::Range(Some(lo), Some(hi)) => Some(format!("{lo} < {name} <= {hi}")),
                Bound::Range(Some(lo), None) => Some(format!("{name} > {lo}")),
                Bound::Range(None, Some(hi)) => Some(format!("{name} <= {hi}")),
                Bound::Range(None, None) => None,
                Bound::Set(s) => Some(format!(
                    "{name} in {{{}}}",
                    set_text(s, levels(&table.columns[j])).replace(';', ", ")
                )),
            }
        })
        .collect();
    if parts.is_empty() {
        "(everything)".into()
    } else {
        parts.join(" and ")
    }
}

/// `cart_leaves.csv`: each leaf as a box.
pub fn cart_leaves_csv(d: &Discovery, leaves: &[Leaf]) -> String {
    let header = strings(&[
        "leaf",
        "depth",
        "n",
        "k",
        "coverage",
        "density",
        "mass",
        "case_dominated",
        "rule",
    ]);
    let rows: Vec<Vec<String>> = leaves
        .iter()
        .enumerate()
        .map(|(i, l)| {
            vec![
                i.to_string(),
                l.depth.to_string(),
                l.n.to_string(),
                l.k.to_string(),
                format!("{}", l.coverage),
                format!("{}", l.density),
                format!("{}", l.mass),
                l.case_dominated().to_string(),
                csv_user_text(&leaf_rule(&d.cases.table, l)),
            ]
        })
        .collect();
    csv_text(&header, &rows)
}

#[derive(Serialize)]
struct ManifestOut<'a> {
    migflow_version: &'static str,
    git_commit: Option<String>,
    analysis: &'static str,
    sweep: SweepInput,
    options: OptionsOut<'a>,
    factors: Vec<FactorOut<'a>>,
    points: usize,
    cases: usize,
    files: Vec<migflow_io::manifest::FileEntry>,
}

#[derive(Serialize)]
struct SweepInput {
    path: String,
    runs_csv_sha256: String,
}

#[derive(Serialize)]
struct OptionsOut<'a> {
    outcome: &'a str,
    condition: String,
    policy: Option<&'a str>,
    method: &'static str,
    peel_alpha: f64,
    paste_alpha: f64,
    mass_min: f64,
    threshold: f64,
    objective: &'static str,
    threshold_type: &'static str,
    chosen_box: Option<usize>,
    max_depth: usize,
    min_leaf: usize,
}

#[derive(Serialize)]
struct FactorOut<'a> {
    name: &'a str,
    kind: &'static str,
}

fn manifest_json(d: &Discovery, files: &[(String, Vec<u8>)]) -> String {
    let o = &d.options;
    let m = ManifestOut {
        migflow_version: env!("CARGO_PKG_VERSION"),
        git_commit: migflow_io::manifest::git_commit(),
        analysis: "discover",
        sweep: SweepInput {
            path: d.sweep_dir.display().to_string(),
            runs_csv_sha256: d.runs_sha256.clone(),
        },
        options: OptionsOut {
            outcome: &o.outcome,
            condition: o.condition.to_string(),
            policy: o.policy.as_deref(),
            method: match o.method {
                Method::Prim => "prim",
                Method::Cart => "cart",
            },
            peel_alpha: o.prim.peel_alpha,
            paste_alpha: o.prim.paste_alpha,
            mass_min: o.prim.mass_min,
            threshold: o.prim.threshold,
            objective: "lenient1",
            threshold_type: "above",
            chosen_box: d.prim.as_ref().map(|p| p.chosen),
            max_depth: o.max_depth,
            min_leaf: d.min_leaf,
        },
        factors: d
            .cases
            .table
            .names
            .iter()
            .zip(&d.cases.table.columns)
            .map(|(n, c)| FactorOut {
                name: n,
                kind: c.kind().name(),
            })
            .collect(),
        points: d.cases.points.len(),
        cases: d.cases.cases.iter().filter(|c| **c).count(),
        files: files
            .iter()
            .map(|(name, bytes)| migflow_io::manifest::FileEntry {
                name: name.clone(),
                sha256: migflow_io::sha256_hex(bytes),
            })
            .collect(),
    };
    serde_json::to_string_pretty(&m).unwrap_or_default() + "\n"
}

/// The data files of a discovery, as (file name, bytes).
pub fn files(d: &Discovery) -> Vec<(String, Vec<u8>)> {
    let mut files = vec![("cases.csv".to_string(), cases_csv(d).into_bytes())];
    if let Some(p) = &d.prim {
        files.push(("prim_trajectory.csv".into(), trajectory_csv(p).into_bytes()));
        files.push(("box_limits.csv".into(), box_limits_csv(d, p).into_bytes()));
    }
    if let Some(l) = &d.leaves {
        files.push(("cart_leaves.csv".into(), cart_leaves_csv(d, l).into_bytes()));
    }
    files
}

/// Write the discovery's files and `charts` (file name, bytes) into `out`,
/// all committed together, and `manifest.json` listing them.
pub fn write(d: &Discovery, charts: Vec<(String, Vec<u8>)>, out: &Path) -> Result<Vec<PathBuf>> {
    let mut all = files(d);
    all.extend(charts);
    let manifest = manifest_json(d, &all);
    all.push(("manifest.json".into(), manifest.into_bytes()));
    let mut dir = OutputDir::create(out)?;
    for (name, bytes) in &all {
        let (mut w, tmp) = dir.stage(name)?;
        w.write_all(bytes).map_err(|source| Error::Write {
            path: tmp.clone(),
            source,
        })?;
        migflow_io::atomic::finish(w, &tmp)?;
    }
    dir.commit()
}

/// A limit as text: `[lo, hi]` or `{a, b}`.
pub fn limit_text(col: &Column, l: &Limit) -> String {
    match l {
        Limit::Range(lo, hi) => format!("[{}, {}]", short(*lo), short(*hi)),
        Limit::Set(s) => format!("{{{}}}", set_text(s, levels(col)).replace(';', ", ")),
    }
}

fn short(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// The text for the terminal: the cases, and the chosen box or the leaves.
pub fn summary(d: &Discovery) -> String {
    let c = &d.cases;
    let k = c.cases.iter().filter(|x| **x).count();
    let mut s = format!(
        "{k} of {} design points are cases ({} {}{})\n",
        c.points.len(),
        d.options.outcome,
        d.options.condition,
        d.options
            .policy
            .as_ref()
            .map_or(String::new(), |p| format!(", policy {p}"))
    );
    if let Some(p) = &d.prim {
        let st = &p.trajectory.stats[p.chosen];
        s.push_str(&format!(
            "PRIM: {} boxes on the trajectory; box {}: coverage {:.3}, density {:.3}, mass {:.3}, {} restricted dimension(s)\n",
            p.trajectory.stats.len(),
            p.chosen,
            st.coverage,
            st.density,
            st.mass,
            st.res_dim
        ));
        let lims = &p.trajectory.boxes[p.chosen];
        for (j, lim) in lims.iter().enumerate() {
            if *lim == p.initial[j] {
                continue;
            }
            let col = &c.table.columns[j];
            let qp: Vec<String> = [p.qp[j].0, p.qp[j].1]
                .iter()
                .flatten()
                .map(|q| format!("{q:.2e}"))
                .collect();
            s.push_str(&format!(
                "  {}: {} of {} (quasi-p {})\n",
                c.table.names[j],
                limit_text(col, lim),
                limit_text(col, &p.initial[j]),
                qp.join(", ")
            ));
        }
    }
    if let Some(leaves) = &d.leaves {
        s.push_str(&format!(
            "CART: {} leaves (depth ≤ {}, leaves of at least {} points)\n",
            leaves.len(),
            d.options.max_depth,
            d.min_leaf
        ));
        for (i, l) in leaves.iter().enumerate() {
            s.push_str(&format!(
                "  leaf {i}{}: coverage {:.3}, density {:.3}, mass {:.3}: {}\n",
                if l.case_dominated() { " (cases)" } else { "" },
                l.coverage,
                l.density,
                l.mass,
                leaf_rule(&c.table, l)
            ));
        }
    }
    s
}

#[cfg(test)]
mod tests;
