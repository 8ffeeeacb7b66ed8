//! The parts of the report of a sweep: the sweep in short, the table of
//! design points and the manifest.

use super::numbers::{pct, pct_interval, plural};
use super::{Header, Part, code_list, files_table, kv_table, mono, provenance_rows};
use crate::build::{self, thousands};
use maud::html;
use migflow_core::stats::summarize;
use migflow_io::results::SweepResults;

/// Design points shown in the table at most.
const MAX_ROWS: usize = 40;

/// The title, the line above it and the lede.
pub(super) fn header(s: &SweepResults) -> Header {
    let m = &s.manifest;
    Header {
        title: format!(
            "Parameter sweep: {} design, {} points × {} replicates",
            m.design, m.points, m.replicates
        ),
        kicker: html! { "migflow " (m.migflow_version) " · sweep report" },
        lede: match build::shard_sentence(m) {
            Some(shard) => html! {
                strong { "This is a " (shard) "." } " Of its runs, " (m.completed) " completed and "
                (m.failed) " failed; the factors are " (code_list(&s.factors)) "; seed " (m.seed)
                ". Read from " (mono(&s.dir.display().to_string())) "."
            },
            None => html! {
                (m.runs) " runs (" (m.completed) " completed, " (m.failed) " failed) over the factors "
                (code_list(&s.factors)) "; seed " (m.seed) ". Read from "
                (mono(&s.dir.display().to_string())) "."
            },
        },
    }
}

/// The sweep in short and, if the default outcome is there, the mean
/// outcome of each design point.
pub(super) fn overview(s: &SweepResults) -> Vec<Part> {
    let m = &s.manifest;
    let b = &s.base;
    let rows = [
        (
            "Design",
            html! {
                (m.design) ": " (m.points) " points × " (m.replicates) " replicates = "
                (m.runs) " runs"
            },
        ),
        (
            "Runs",
            match build::shard_sentence(m) {
                Some(shard) => html! {
                    "this directory: " (m.completed) " completed, " (m.failed) " failed (" (shard) ")"
                },
                None => html! { (m.completed) " completed, " (m.failed) " failed" },
            },
        ),
        ("Factors", code_list(&s.factors)),
        (
            "Base scenario",
            html! {
                (thousands(b.population.households as f64)) " households at "
                (plural(u64::from(b.population.sites), "resettlement site")) ", "
                (b.run.start_year) "–" (b.run.end_year())
            },
        ),
        ("Seed", html! { (m.seed) }),
    ];
    let mut parts = vec![Part::new("scenario", "The sweep in short", kv_table(&rows))];
    if let Some(shard) = build::shard_sentence(m) {
        // A point's replicates are spread over the shards: a shard's
        // per-point means would be of some of them, shown as if whole.
        let body = html! {
            p {
                "No per-point summaries for a shard: this is a " (shard) ". "
                "Each design point's replicates are spread over the shards, so its mean here "
                "would be of only some of them."
            }
        };
        parts.push(Part::new("headline", "Design points", body));
    } else if let Ok(o) = s.outcome(build::DEFAULT_OUTCOME) {
        let points = s.points.iter().take(MAX_ROWS).map(|(p, values)| {
            let v: Vec<f64> = s
                .runs
                .iter()
                .filter(|r| r.point == *p && r.ok)
                .filter_map(|r| r.outcomes[o])
                .collect();
            let (mean, _, lo, hi, n) = summarize(&v);
            // Long numbers shortened; other levels as they are.
            let shown: Vec<String> = values
                .iter()
                .map(|v| {
                    v.parse::<f64>()
                        .ok()
                        .filter(|x| x.is_finite() && v.len() > 6)
                        .map_or_else(|| v.clone(), build::short)
                })
                .collect();
            (p, shown, n, pct(mean), pct_interval(lo.zip(hi)))
        });
        let body = html! {
            p {
                (build::outcome_label(build::DEFAULT_OUTCOME)) " of each design point: mean over "
                "its completed replicates, with the Student-t 95% CI."
            }
            table {
                thead {
                    tr {
                        th { "point" }
                        @for f in &s.factors { th { (build::short_factor(f)) } }
                        th { "runs" } th { "mean" } th { "95% CI" }
                    }
                }
                tbody {
                    @for (p, shown, n, mean, ci) in points {
                        tr {
                            td { (p) }
                            @for v in &shown { td { (v) } }
                            td { (n) } td { (mean) } td { (ci) }
                        }
                    }
                }
            }
            @if s.points.len() > MAX_ROWS {
                p.small {
                    "The first " (MAX_ROWS) " of " (s.points.len())
                    " points; all are in points.csv and runs.csv."
                }
            }
        };
        parts.push(Part::new("headline", "Design points", body));
    }
    parts
}

/// The manifest: its provenance, the sweep file as resolved, the files.
pub(super) fn manifest(s: &SweepResults) -> Part {
    let m = &s.manifest;
    let mut rows = provenance_rows(&m.migflow_version, m.git_commit.as_deref(), m.seed);
    rows.push(("sweep SHA-256", mono(&m.sweep_sha256)));
    rows.push((
        "runs",
        match build::shard_sentence(m) {
            Some(shard) => html! {
                (shard) " (" (m.completed) " completed, " (m.failed) " failed here)"
            },
            None => html! { (m.runs) " (" (m.completed) " completed, " (m.failed) " failed)" },
        },
    ));
    let body = html! {
        (kv_table(&rows))
        h3 { "The sweep file, as resolved" }
        pre.mono { (m.sweep_toml) }
        (files_table(&m.files))
    };
    Part::new("manifest", "Provenance: the manifest", body)
}
