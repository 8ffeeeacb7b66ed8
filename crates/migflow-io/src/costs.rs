//! `costs.csv` and `site_costs.csv`: what the levers cost (MODEL.md,
//! Costs), written from the year records and read back with every row
//! checked.
//!
//! Each block of rows is one (replicate, year) — for `site_costs.csv` one
//! (replicate, site, year) — and holds, lever by lever in
//! [`CostLever::ALL`] order, the lever's items and then its `total`, and
//! last the year's `total`/`total` row: [`LAYOUT`]. Blocks come in
//! ascending key order. `quantity` is in the item's unit (laborer-years,
//! households, mu, slots) and empty in a total row, whose units differ;
//! `cost` is nominal yuan of the year.

use crate::csvread::{NamedCsv, Row};
use crate::error::{Error, Result};
use crate::manifest::{FileEntry, table_file};
use crate::tables::{csv_err, format_float};
use migflow_core::costs::{CostItem, CostLever, YearCosts};
use migflow_core::record::YearRecord;
use std::io::Write;
use std::path::Path;

/// Header of `costs.csv`.
pub const COSTS_HEADER: [&str; 6] = ["replicate", "year", "lever", "item", "quantity", "cost"];

/// Header of `site_costs.csv`: the columns of `costs.csv` with the site
/// (0-based) after the replicate.
pub const SITE_COSTS_HEADER: [&str; 7] = [
    "replicate",
    "site",
    "year",
    "lever",
    "item",
    "quantity",
    "cost",
];

/// The name of a total row's lever or item.
pub const TOTAL: &str = "total";

/// Rows of one block.
pub const BLOCK_ROWS: usize = migflow_core::costs::ITEMS + migflow_core::costs::LEVERS + 1;

/// The (lever, item) of each row of a block, in file order.
pub const LAYOUT: [(&str, &str); BLOCK_ROWS] = {
    let mut layout = [("", ""); BLOCK_ROWS];
    let mut row = 0;
    let mut i = 0;
    while i < migflow_core::costs::ITEMS {
        let item = CostItem::ALL[i];
        layout[row] = (item.lever().name(), item.name());
        row += 1;
        let last_of_lever = i + 1 == migflow_core::costs::ITEMS
            || CostItem::ALL[i + 1].lever() as usize != item.lever() as usize;
        if last_of_lever {
            layout[row] = (item.lever().name(), TOTAL);
            row += 1;
        }
        i += 1;
    }
    layout[row] = (TOTAL, TOTAL);
    layout
};

/// The (lever, item, quantity, cost) cells of one block, in [`LAYOUT`]
/// order.
fn block_cells(c: &YearCosts) -> impl Iterator<Item = [String; 4]> + '_ {
    CostLever::ALL
        .iter()
        .flat_map(move |&lever| {
            let items = lever.items().iter().map(move |&item| {
                [
                    lever.name().to_string(),
                    item.name().to_string(),
                    format_float(Some(c.quantity(item))),
                    format_float(Some(c.cost(item))),
                ]
            });
            items.chain(std::iter::once([
                lever.name().to_string(),
                TOTAL.to_string(),
                String::new(),
                format_float(Some(c.lever_total(lever))),
            ]))
        })
        .chain(std::iter::once([
            TOTAL.to_string(),
            TOTAL.to_string(),
            String::new(),
            format_float(Some(c.total())),
        ]))
}

fn finish<W: Write>(mut out: csv::Writer<W>, path: &Path) -> Result<()> {
    out.flush().map_err(|source| Error::Write {
        path: path.to_path_buf(),
        source,
    })
}

/// Write `costs.csv`: per replicate, per year, the block of
/// [`LAYOUT`] from the year record's costs.
pub fn write_costs<W: Write>(w: W, path: &Path, runs: &[Vec<YearRecord>]) -> Result<()> {
    let err = csv_err(path);
    let mut out = csv::Writer::from_writer(w);
    out.write_record(COSTS_HEADER).map_err(&err)?;
    for (r, records) in runs.iter().enumerate() {
        let r = r.to_string();
        for rec in records {
            let year = rec.year.to_string();
            for cells in block_cells(&rec.costs) {
                out.write_record(
                    [r.as_str(), year.as_str()]
                        .into_iter()
                        .chain(cells.iter().map(String::as_str)),
                )
                .map_err(&err)?;
            }
        }
    }
    finish(out, path)
}

/// Write `site_costs.csv` from each replicate's per-year site records (as
/// `sites.csv` takes them): per replicate, per site, per year.
pub fn write_site_costs<W: Write>(w: W, path: &Path, runs: &[Vec<Vec<YearRecord>>]) -> Result<()> {
    let err = csv_err(path);
    let mut out = csv::Writer::from_writer(w);
    out.write_record(SITE_COSTS_HEADER).map_err(&err)?;
    for (r, years) in runs.iter().enumerate() {
        let r = r.to_string();
        let sites = years.first().map_or(0, Vec::len);
        for site in 0..sites {
            let s = site.to_string();
            for rec in years.iter().filter_map(|sites| sites.get(site)) {
                let year = rec.year.to_string();
                for cells in block_cells(&rec.costs) {
                    out.write_record(
                        [r.as_str(), s.as_str(), year.as_str()]
                            .into_iter()
                            .chain(cells.iter().map(String::as_str)),
                    )
                    .map_err(&err)?;
                }
            }
        }
    }
    finish(out, path)
}

/// One row of a costs file.
#[derive(Debug, Clone, PartialEq)]
pub struct CostRow {
    /// Replicate, 0-based.
    pub replicate: u32,
    /// Site, 0-based (`site_costs.csv` only).
    pub site: Option<u32>,
    /// Calendar year.
    pub year: i32,
    /// A lever of [`CostLever::ALL`], or `total`.
    pub lever: &'static str,
    /// An item of the lever, or `total`.
    pub item: &'static str,
    /// In the item's unit; none in a total row.
    pub quantity: Option<f64>,
    /// Nominal yuan of the year.
    pub cost: f64,
}

/// A costs file read back, every row checked: in [`LAYOUT`] blocks, keys
/// ascending, every replicate (and site) over the same years, each total
/// the sum of what it totals.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CostTable {
    /// The rows, in file order.
    pub rows: Vec<CostRow>,
}

impl CostTable {
    /// The cost of (`lever`, `item`) in a year of a replicate (and site:
    /// none for `costs.csv`); `total` names a total.
    pub fn cost(
        &self,
        replicate: u32,
        site: Option<u32>,
        year: i32,
        lever: &str,
        item: &str,
    ) -> Option<f64> {
        self.rows
            .iter()
            .find(|r| {
                r.replicate == replicate
                    && r.site == site
                    && r.year == year
                    && r.lever == lever
                    && r.item == item
            })
            .map(|r| r.cost)
    }
}

/// Read the costs table of the run in `dir` (`costs.csv` or
/// `costs.parquet`), checked against `files`, its manifest's list; none
/// when the run has none (a run of an earlier version).
pub fn read_costs(dir: &Path, files: &[FileEntry]) -> Result<Option<CostTable>> {
    read_if_present(&table_file(dir, files, "costs.csv")?, false)
}

/// Read the site costs table (written with `--by-site`), checked against
/// `files`; none when absent.
pub fn read_site_costs(dir: &Path, files: &[FileEntry]) -> Result<Option<CostTable>> {
    read_if_present(&table_file(dir, files, "site_costs.csv")?, true)
}

fn read_if_present(path: &Path, by_site: bool) -> Result<Option<CostTable>> {
    if path.symlink_metadata().is_err() {
        return Ok(None);
    }
    read_costs_file(path, by_site).map(Some)
}

/// Whether `total` is the sum of `parts` as the writer adds them, allowing
/// for a file written by another order of addition.
fn sums_to(parts: f64, total: f64) -> bool {
    (parts - total).abs() <= 1e-9 * parts.abs().max(total.abs()).max(1.0)
}

/// Read a costs file (`by_site`: `site_costs.csv`) and check every row.
pub fn read_costs_file(path: &Path, by_site: bool) -> Result<CostTable> {
    let mut csv = NamedCsv::open(path)?;
    let header: &[&str] = if by_site {
        &SITE_COSTS_HEADER
    } else {
        &COSTS_HEADER
    };
    let cols = csv.columns(header)?;
    let col = |name: &str| cols[header.iter().position(|h| *h == name).unwrap_or(0)];
    let (c_rep, c_year, c_lever, c_item, c_qty, c_cost) = (
        col("replicate"),
        col("year"),
        col("lever"),
        col("item"),
        col("quantity"),
        col("cost"),
    );
    let c_site = by_site.then(|| col("site"));
    let mut table = CostTable::default();
    let mut series = Series::default();
    let mut sums = (0.0f64, 0.0f64);
    while let Some(row) = csv.next_row()? {
        let at = table.rows.len() % BLOCK_ROWS;
        let replicate: u32 = row.parse(c_rep, "a replicate number (an integer ≥ 0)")?;
        let site: Option<u32> = match c_site {
            Some(c) => Some(row.parse(c, "a site number (an integer ≥ 0)")?),
            None => None,
        };
        let year: i32 = row.parse(c_year, "a calendar year")?;
        let (lever, item) = LAYOUT[at];
        for (c, want) in [(c_lever, lever), (c_item, item)] {
            let found = row.str(c)?;
            if found != want {
                return Err(row.error(
                    c,
                    found,
                    &format!(
                        "`{want}`: row {} of a block of {BLOCK_ROWS} is ({lever}, {item}); a row is out of order, repeated or missing",
                        at + 1
                    ),
                ));
            }
        }
        let quantity = if item == TOTAL {
            let q = row.str(c_qty)?;
            if !q.is_empty() {
                return Err(row.error(c_qty, q, "an empty cell (a total has no quantity)"));
            }
            None
        } else {
            Some(non_negative(&row, c_qty)?)
        };
        let cost = non_negative(&row, c_cost)?;
        if at == 0 {
            check_block_start(
                path,
                &row,
                table.rows.last(),
                (replicate, site, year),
                (c_rep, c_site, c_year),
                &mut series,
            )?;
            sums = (0.0, 0.0);
        } else {
            let prev = &table.rows[table.rows.len() - 1];
            for (c, same) in [
                (c_rep, prev.replicate == replicate),
                (c_year, prev.year == year),
            ]
            .into_iter()
            .chain(c_site.map(|c| (c, prev.site == site)))
            {
                if !same {
                    return Err(row.error(
                        c,
                        row.get(c),
                        &format!(
                            "the value of the block's first row (a block has {BLOCK_ROWS} rows: replicate {}, {}year {})",
                            prev.replicate,
                            prev.site.map_or(String::new(), |s| format!("site {s}, ")),
                            prev.year
                        ),
                    ));
                }
            }
        }
        if lever == TOTAL {
            if !sums_to(sums.1, cost) {
                return Err(row.error(
                    c_cost,
                    row.get(c_cost),
                    &format!("the sum of the levers' totals ({})", sums.1),
                ));
            }
        } else if item == TOTAL {
            if !sums_to(sums.0, cost) {
                return Err(row.error(
                    c_cost,
                    row.get(c_cost),
                    &format!("the sum of the lever's items ({})", sums.0),
                ));
            }
            sums = (0.0, sums.1 + cost);
        } else {
            sums.0 += cost;
        }
        table.rows.push(CostRow {
            replicate,
            site,
            year,
            lever,
            item,
            quantity,
            cost,
        });
    }
    let n = table.rows.len();
    if n % BLOCK_ROWS != 0 {
        return Err(csv.input(format!(
            "incomplete: the last block has {} of its {BLOCK_ROWS} rows",
            n % BLOCK_ROWS
        )));
    }
    if !series.first_years.is_empty() && series.years != series.first_years {
        return Err(incomplete_years(&csv, &table.rows[n - 1], &series));
    }
    Ok(table)
}

fn non_negative(row: &Row<'_>, c: usize) -> Result<f64> {
    let v = row.f64(c)?;
    if v < 0.0 {
        return Err(row.error(c, row.get(c), "a number ≥ 0"));
    }
    Ok(v)
}

fn incomplete_years(csv: &NamedCsv, last: &CostRow, series: &Series) -> Error {
    csv.input(format!(
        "incomplete: {} has the years {:?}, the first has {:?}",
        series_name(last),
        series.years,
        series.first_years
    ))
}

/// Where the reader stands: the years of the first (replicate, site) and
/// of the current one.
#[derive(Default)]
struct Series {
    first_years: Vec<i32>,
    years: Vec<i32>,
}

/// Check the key of a block's first row against the last block's (`prev`,
/// its last row): blocks ascend, replicates and sites are numbered from 0
/// without gaps, years follow one another, and every (replicate, site) has
/// the first one's years.
fn check_block_start(
    path: &Path,
    row: &Row<'_>,
    prev: Option<&CostRow>,
    key: (u32, Option<u32>, i32),
    cols: (usize, Option<usize>, usize),
    series: &mut Series,
) -> Result<()> {
    let (replicate, site, year) = key;
    let (c_rep, c_site, c_year) = cols;
    let Some(prev) = prev else {
        if replicate != 0 {
            return Err(row.error(c_rep, row.get(c_rep), "0 (replicates are numbered from 0)"));
        }
        if let (Some(c), Some(s)) = (c_site, site)
            && s != 0
        {
            return Err(row.error(c, row.get(c), "0 (sites are numbered from 0)"));
        }
        series.years.push(year);
        return Ok(());
    };
    if prev.replicate == replicate && prev.site == site {
        if year != prev.year + 1 {
            return Err(row.error(
                c_year,
                row.get(c_year),
                &format!(
                    "{} (the year after the last block's; a block is out of order or repeated)",
                    prev.year + 1
                ),
            ));
        }
        series.years.push(year);
        return Ok(());
    }
    // A new (replicate, site): the last one must have had every year.
    if series.first_years.is_empty() {
        series.first_years = std::mem::take(&mut series.years);
    } else if series.years != series.first_years {
        return Err(Error::Input {
            path: path.to_path_buf(),
            message: format!(
                "{}: the block before is the last of {}, which has the years {:?}, but the first has {:?}: blocks are missing",
                row.place(),
                series_name(prev),
                series.years,
                series.first_years
            ),
        });
    }
    series.years.clear();
    match (c_site, site, prev.site) {
        (Some(c), Some(s), Some(p)) if replicate == prev.replicate => {
            if s != p + 1 {
                return Err(row.error(
                    c,
                    row.get(c),
                    &format!(
                        "{} (sites follow one another from 0; a block is out of order or repeated)",
                        p + 1
                    ),
                ));
            }
        }
        _ => {
            if replicate != prev.replicate + 1 {
                return Err(row.error(
                    c_rep,
                    row.get(c_rep),
                    &format!(
                        "{} (replicates follow one another from 0; a block is out of order or repeated)",
                        prev.replicate + 1
                    ),
                ));
            }
            if let (Some(c), Some(s)) = (c_site, site)
                && s != 0
            {
                return Err(row.error(
                    c,
                    row.get(c),
                    "0 (a replicate's sites are numbered from 0)",
                ));
            }
        }
    }
    if year != series.first_years[0] {
        return Err(row.error(
            c_year,
            row.get(c_year),
            &format!(
                "{} (the first year of the first replicate)",
                series.first_years[0]
            ),
        ));
    }
    series.years.push(year);
    Ok(())
}

fn series_name(r: &CostRow) -> String {
    match r.site {
        Some(s) => format!("replicate {}, site {s}", r.replicate),
        None => format!("replicate {}", r.replicate),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layout_names_the_cores_levers_and_items() {
        let mut expected = Vec::new();
        for lever in CostLever::ALL {
            for item in lever.items() {
                expected.push((lever.name(), item.name()));
            }
            expected.push((lever.name(), TOTAL));
        }
        expected.push((TOTAL, TOTAL));
        assert_eq!(LAYOUT.to_vec(), expected);
    }

    fn record(year: i32) -> YearRecord {
        let mut r = migflow_core::record::Tally::default()
            .finish(year, [None; migflow_core::record::GROUPS]);
        for (i, (q, c)) in r
            .costs
            .quantity
            .iter_mut()
            .zip(r.costs.cost.iter_mut())
            .enumerate()
        {
            *q = i as f64 + 0.5;
            *c = 1000.0 * (i as f64 + 1.0) / 3.0 + f64::from(year);
        }
        r
    }

    fn written(runs: &[Vec<YearRecord>]) -> String {
        let mut bytes = Vec::new();
        write_costs(&mut bytes, Path::new("costs.csv"), runs).unwrap();
        String::from_utf8(bytes).unwrap()
    }

    fn sites_written(runs: &[Vec<Vec<YearRecord>>]) -> String {
        let mut bytes = Vec::new();
        write_site_costs(&mut bytes, Path::new("site_costs.csv"), runs).unwrap();
        String::from_utf8(bytes).unwrap()
    }

    fn read_text(text: &str, by_site: bool) -> Result<CostTable> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("costs.csv");
        std::fs::write(&path, text).unwrap();
        read_costs_file(&path, by_site)
    }

    fn refused(text: &str, by_site: bool) -> String {
        match read_text(text, by_site) {
            Ok(_) => panic!("accepted:\n{text}"),
            Err(e) => e.to_string(),
        }
    }

    fn two_replicates() -> String {
        written(&[
            vec![record(2021), record(2022)],
            vec![record(2021), record(2022)],
        ])
    }

    #[test]
    fn a_written_file_reads_back_as_written() {
        let runs = [
            vec![record(2021), record(2022)],
            vec![record(2021), record(2022)],
        ];
        let table = read_text(&written(&runs), false).unwrap();
        assert_eq!(table.rows.len(), 4 * BLOCK_ROWS);
        let c = &runs[1][1].costs;
        assert_eq!(
            table.cost(1, None, 2022, "training", "stipends"),
            Some(c.cost(CostItem::Stipends))
        );
        assert_eq!(table.cost(1, None, 2022, "total", "total"), Some(c.total()));
        assert_eq!(table.rows[2].item, TOTAL);
        assert_eq!(table.rows[2].quantity, None);
        let sites = [vec![
            vec![record(2021), record(2021)],
            vec![record(2022), record(2022)],
        ]];
        let text = sites_written(&sites);
        assert!(text.starts_with("replicate,site,year,lever,item,quantity,cost\n0,0,2021,"));
        let table = read_text(&text, true).unwrap();
        assert_eq!(table.rows.len(), 4 * BLOCK_ROWS);
        // Site by site, each over the years.
        assert_eq!(
            (table.rows[BLOCK_ROWS].site, table.rows[BLOCK_ROWS].year),
            (Some(0), 2022)
        );
        assert_eq!(table.rows[2 * BLOCK_ROWS].site, Some(1));
    }

    #[test]
    fn a_missing_column_or_a_bad_number_is_named() {
        let text = two_replicates();
        let no_cost: String = text
            .lines()
            .map(|l| l.rsplit_once(',').unwrap().0.to_string() + "\n")
            .collect();
        let err = refused(&no_cost, false);
        assert!(
            err.contains("costs.csv") && err.contains("missing column `cost`"),
            "{err}"
        );
        let bad = text.replacen("placement_years,0.5,", "placement_years,x,", 1);
        let err = refused(&bad, false);
        assert!(
            err.contains("line 2") && err.contains("`quantity`") && err.contains("\"x\""),
            "{err}"
        );
        let negative = text.replacen("placement_years,0.5,", "placement_years,-0.5,", 1);
        assert!(refused(&negative, false).contains("≥ 0"));
        let quantity_in_total =
            text.replacen("labor_cooperation,total,,", "labor_cooperation,total,1,", 1);
        assert!(refused(&quantity_in_total, false).contains("a total has no quantity"));
    }

    #[test]
    fn a_row_out_of_order_or_repeated_is_refused() {
        let text = two_replicates();
        let mut lines: Vec<&str> = text.lines().collect();
        // Two items of a lever swapped.
        lines.swap(1, 2);
        let err = refused(&(lines.join("\n") + "\n"), false);
        assert!(err.contains("line 2") && err.contains("`item`"), "{err}");
        // A row repeated.
        let mut lines: Vec<&str> = text.lines().collect();
        lines.insert(2, lines[1]);
        let err = refused(&(lines.join("\n") + "\n"), false);
        assert!(
            err.contains("line 3") && err.contains("out of order"),
            "{err}"
        );
        // A whole block repeated: the year does not follow.
        let lines: Vec<&str> = text.lines().collect();
        let block = &lines[1..=BLOCK_ROWS];
        let repeated: Vec<&str> = [&lines[..=BLOCK_ROWS], block, &lines[BLOCK_ROWS + 1..]].concat();
        let err = refused(&(repeated.join("\n") + "\n"), false);
        assert!(
            err.contains(&format!("line {}", BLOCK_ROWS + 2)) && err.contains("`year`"),
            "{err}"
        );
        // A replicate skipped.
        let skipped = text.replace("\n1,", "\n2,");
        assert!(refused(&skipped, false).contains("`replicate`"));
        // A block missing: replicate 1 has one year only.
        let lines: Vec<&str> = text.lines().collect();
        let short: Vec<&str> = lines[..lines.len() - BLOCK_ROWS].to_vec();
        let err = refused(&(short.join("\n") + "\n"), false);
        assert!(
            err.contains("incomplete") && err.contains("replicate 1"),
            "{err}"
        );
        // A block cut short.
        let cut: Vec<&str> = lines[..lines.len() - 1].to_vec();
        assert!(refused(&(cut.join("\n") + "\n"), false).contains("incomplete"));
    }

    #[test]
    fn a_total_that_is_not_the_sum_of_its_parts_is_refused() {
        let text = two_replicates();
        let lines: Vec<String> = text.lines().map(str::to_string).collect();
        let off = |line: &str| {
            let (head, cost) = line.rsplit_once(',').unwrap();
            format!("{head},{}", cost.parse::<f64>().unwrap() * 1.001)
        };
        let at = lines
            .iter()
            .position(|l| l.contains(",workshops,total,"))
            .unwrap();
        let mut bad = lines.clone();
        bad[at] = off(&bad[at]);
        let err = refused(&(bad.join("\n") + "\n"), false);
        assert!(
            err.contains("`cost`") && err.contains("sum of the lever's items"),
            "{err}"
        );
        let mut bad = lines.clone();
        bad[BLOCK_ROWS] = off(&bad[BLOCK_ROWS]);
        let err = refused(&(bad.join("\n") + "\n"), false);
        assert!(err.contains("sum of the levers' totals"), "{err}");
    }

    #[test]
    fn an_absent_file_is_none() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(read_costs(dir.path(), &[]).unwrap(), None);
        assert_eq!(read_site_costs(dir.path(), &[]).unwrap(), None);
    }
}
