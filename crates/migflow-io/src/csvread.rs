//! migflow's one reader of CSV files with named columns (results, targets,
//! design tables, shards): a header that maps names to columns, and cells
//! fetched by column per row, with errors that name the file, the line (or
//! the data row), the column, the value found and what was expected.
//!
//! It reads migflow's Parquet tables too (a file that starts with Parquet's
//! magic number `PAR1`, whatever its name): their rows come as the cells
//! migflow writes in CSV (integers in decimal, floats in the shortest form
//! that reads back as the same `f64`, nulls as empty cells, user text
//! prefixed as [`crate::tables::csv_user_text`] does), so every reader
//! reads both formats the same way, and records are named by data row.
//!
//! ```no_run
//! # fn main() -> migflow_io::Result<()> {
//! use migflow_io::csvread::NamedCsv;
//! let mut csv = NamedCsv::options().trim().open(std::path::Path::new("targets.csv"))?;
//! let value = csv.column("value")?;
//! while let Some(row) = csv.next_row()? {
//!     let v: f64 = row.f64(value)?;
//!     # let _ = v;
//! }
//! # Ok(()) }
//! ```

use crate::error::{Error, Result};
use crate::input::InputFile;
use std::io::BufReader;
use std::path::{Path, PathBuf};

/// How errors name a record: by its line in the file (`line 3`), or by its
/// number among the data rows (`row 2`, the header not counted).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Place {
    /// `line N` of the file.
    #[default]
    Line,
    /// `row N` of the data (1-based).
    Row,
}

/// How to open a [`NamedCsv`].
#[derive(Debug, Clone, Default)]
pub struct CsvOptions {
    trim: bool,
    max_bytes: Option<u64>,
    not_found: Option<String>,
    place: Place,
    buffer: Option<usize>,
}

impl CsvOptions {
    /// Read the file in chunks of `bytes` (1 MiB by default; less for a
    /// reader of many files at once).
    pub fn buffer(mut self, bytes: usize) -> Self {
        self.buffer = Some(bytes);
        self
    }

    /// Trim the spaces around every header name and cell.
    pub fn trim(mut self) -> Self {
        self.trim = true;
        self
    }

    /// Refuse a file larger than `bytes` (an input named by the user: a
    /// wrong path must not fill memory).
    pub fn max_bytes(mut self, bytes: u64) -> Self {
        self.max_bytes = Some(bytes);
        self
    }

    /// A missing file is an [`Error::Input`] `not found: WHY` (`why` says
    /// what holds it) rather than a bare read error.
    pub fn not_found(mut self, why: impl Into<String>) -> Self {
        self.not_found = Some(why.into());
        self
    }

    /// Name records in errors by data row rather than by line.
    pub fn rows(mut self) -> Self {
        self.place = Place::Row;
        self
    }

    /// Open `path` and read its header.
    pub fn open(self, path: &Path) -> Result<NamedCsv> {
        // A regular file (a device or a FIFO is refused), within the
        // bound while it is read.
        let source = match InputFile::open(path, self.max_bytes, "a CSV table") {
            Ok(f) => f,
            Err(Error::Read { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound && self.not_found.is_some() =>
            {
                return Err(Error::Input {
                    path: path.to_path_buf(),
                    message: format!("not found: {}", self.not_found.unwrap_or_default()),
                });
            }
            Err(e) => return Err(e),
        };
        let mut magic = [0u8; 4];
        if source.peek(&mut magic)? == 4 && &magic == b"PAR1" {
            let rows = ParquetRows::open(path, source.into_file())?;
            return Ok(NamedCsv {
                path: path.to_path_buf(),
                header: rows.header(),
                reader: Source::Parquet(Box::new(rows)),
                record: csv::StringRecord::new(),
                rows: 0,
                place: Place::Row,
                max_bytes: self.max_bytes,
            });
        }
        let too_large = |max: u64| Error::Input {
            path: path.to_path_buf(),
            message: format!("larger than {}: expected a CSV table", size_text(max)),
        };
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .trim(if self.trim {
                csv::Trim::All
            } else {
                csv::Trim::None
            })
            .from_reader(BufReader::with_capacity(
                self.buffer.unwrap_or(1 << 20),
                source,
            ));
        let header = match reader.headers() {
            Ok(h) => h.iter().map(str::to_string).collect::<Vec<_>>(),
            Err(e) if is_too_large(&e) => return Err(too_large(self.max_bytes.unwrap_or(0))),
            Err(e) => {
                return Err(Error::Input {
                    path: path.to_path_buf(),
                    message: format!("cannot read the header: {e}"),
                });
            }
        };
        if header.iter().all(|h| h.is_empty()) {
            return Err(Error::Input {
                path: path.to_path_buf(),
                message: "empty: no header row".into(),
            });
        }
        Ok(NamedCsv {
            path: path.to_path_buf(),
            reader: Source::Csv(Box::new(reader)),
            header,
            record: csv::StringRecord::new(),
            rows: 0,
            place: self.place,
            max_bytes: self.max_bytes,
        })
    }
}

use crate::input::size_text;

fn is_too_large(e: &csv::Error) -> bool {
    match e.kind() {
        csv::ErrorKind::Io(io) => crate::input::is_too_large(io),
        _ => false,
    }
}

/// A malformed record: its line (when known) and what is wrong.
#[derive(Debug, Clone, PartialEq)]
pub struct Malformed {
    /// The line where it starts.
    pub line: Option<u64>,
    /// What the CSV parser found.
    pub message: String,
}

/// Where the records come from.
enum Source {
    Csv(Box<csv::Reader<BufReader<InputFile>>>),
    Parquet(Box<ParquetRows>),
}

/// The rows of a Parquet file, batch by batch.
struct ParquetRows {
    reader: parquet::arrow::arrow_reader::ParquetRecordBatchReader,
    schema: arrow_schema::SchemaRef,
    batch: Option<arrow_array::RecordBatch>,
    at: usize,
    cell: String,
}

impl ParquetRows {
    fn open(path: &Path, file: std::fs::File) -> Result<ParquetRows> {
        use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
        let damaged = |e: parquet::errors::ParquetError| Error::Input {
            path: path.to_path_buf(),
            message: format!("not a readable Parquet file: {e}"),
        };
        let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(damaged)?;
        let schema = builder.schema().clone();
        let reader = builder.with_batch_size(8192).build().map_err(damaged)?;
        Ok(ParquetRows {
            reader,
            schema,
            batch: None,
            at: 0,
            cell: String::new(),
        })
    }

    fn header(&self) -> Vec<String> {
        self.schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    /// Fill `record` with the next row's cells; `false` at the end.
    fn next(&mut self, record: &mut csv::StringRecord) -> std::result::Result<bool, String> {
        loop {
            if let Some(batch) = &self.batch
                && self.at < batch.num_rows()
            {
                record.clear();
                for column in batch.columns() {
                    self.cell.clear();
                    cell_text(column.as_ref(), self.at, &mut self.cell)?;
                    record.push_field(&self.cell);
                }
                self.at += 1;
                return Ok(true);
            }
            match self.reader.next() {
                None => return Ok(false),
                Some(Err(e)) => return Err(e.to_string()),
                Some(Ok(batch)) => {
                    self.batch = Some(batch);
                    self.at = 0;
                }
            }
        }
    }
}

/// The CSV cell migflow writes for row `i` of `column`.
fn cell_text(
    column: &dyn arrow_array::Array,
    i: usize,
    out: &mut String,
) -> std::result::Result<(), String> {
    use arrow_array::cast::AsArray;
    use arrow_array::types::{Float32Type, Float64Type, Int32Type, Int64Type, UInt64Type};
    use arrow_schema::DataType;
    use std::fmt::Write;
    if column.is_null(i) {
        return Ok(());
    }
    // Writing to a String cannot fail.
    let _ = match column.data_type() {
        DataType::Int64 => write!(out, "{}", column.as_primitive::<Int64Type>().value(i)),
        DataType::Int32 => write!(out, "{}", column.as_primitive::<Int32Type>().value(i)),
        DataType::UInt64 => write!(out, "{}", column.as_primitive::<UInt64Type>().value(i)),
        DataType::Float64 => write!(out, "{}", column.as_primitive::<Float64Type>().value(i)),
        DataType::Float32 => write!(out, "{}", column.as_primitive::<Float32Type>().value(i)),
        DataType::Boolean => write!(out, "{}", column.as_boolean().value(i)),
        DataType::Utf8 => {
            out.push_str(&crate::tables::csv_user_text(
                column.as_string::<i32>().value(i),
            ));
            Ok(())
        }
        DataType::LargeUtf8 => {
            out.push_str(&crate::tables::csv_user_text(
                column.as_string::<i64>().value(i),
            ));
            Ok(())
        }
        other => {
            return Err(format!(
                "a column of type {other}, which migflow does not write"
            ));
        }
    };
    Ok(())
}

/// An open CSV file with named columns.
pub struct NamedCsv {
    path: PathBuf,
    reader: Source,
    header: Vec<String>,
    record: csv::StringRecord,
    rows: u64,
    place: Place,
    max_bytes: Option<u64>,
}

impl std::fmt::Debug for NamedCsv {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NamedCsv")
            .field("path", &self.path)
            .field("header", &self.header)
            .field("rows", &self.rows)
            .finish_non_exhaustive()
    }
}

impl NamedCsv {
    /// Options: trimming, a size bound, the message of a missing file, how
    /// errors name records.
    pub fn options() -> CsvOptions {
        CsvOptions::default()
    }

    /// Open `path` with the default options (no trimming, no bound).
    pub fn open(path: &Path) -> Result<NamedCsv> {
        CsvOptions::default().open(path)
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The column names, in file order.
    pub fn header(&self) -> &[String] {
        &self.header
    }

    /// The column named `name`, if there is exactly one.
    pub fn find(&self, name: &str) -> Option<usize> {
        let mut at = self.header.iter().enumerate().filter(|(_, h)| *h == name);
        match (at.next(), at.next()) {
            (Some((c, _)), None) => Some(c),
            _ => None,
        }
    }

    /// The column named `name`, or an error naming the file and the column
    /// when there is none, or more than one.
    pub fn column(&self, name: &str) -> Result<usize> {
        let at: Vec<usize> = self
            .header
            .iter()
            .enumerate()
            .filter(|(_, h)| *h == name)
            .map(|(c, _)| c)
            .collect();
        match at[..] {
            [c] => Ok(c),
            [] => Err(self.input(format!(
                "missing column `{name}` (the header has: {})",
                self.header.join(", ")
            ))),
            [first, second, ..] => Err(self.input(format!(
                "column `{name}` appears more than once (columns {} and {})",
                first + 1,
                second + 1
            ))),
        }
    }

    /// The columns of `names`, in that order.
    pub fn columns(&self, names: &[&str]) -> Result<Vec<usize>> {
        names.iter().map(|n| self.column(n)).collect()
    }

    /// A name that appears more than once in the header, with its first
    /// two columns (0-based).
    pub fn duplicate(&self) -> Option<(&str, usize, usize)> {
        self.header.iter().enumerate().find_map(|(j, name)| {
            self.header[..j]
                .iter()
                .position(|h| h == name)
                .map(|i| (name.as_str(), i, j))
        })
    }

    /// An [`Error::Input`] about this file.
    pub fn input(&self, message: impl Into<String>) -> Error {
        Error::Input {
            path: self.path.clone(),
            message: message.into(),
        }
    }

    /// The next record, or `None` at the end; a malformed record is a
    /// [`Malformed`] for a caller with errors of its own.
    pub fn try_next_row(&mut self) -> std::result::Result<Option<Row<'_>>, Malformed> {
        let reader = match &mut self.reader {
            Source::Csv(reader) => reader,
            Source::Parquet(rows) => {
                return match rows.next(&mut self.record) {
                    Ok(false) => Ok(None),
                    Err(message) => Err(Malformed {
                        line: None,
                        message: format!("row {}: {message}", self.rows + 1),
                    }),
                    Ok(true) => {
                        self.rows += 1;
                        Ok(Some(Row {
                            path: &self.path,
                            header: &self.header,
                            record: &self.record,
                            line: self.rows + 1,
                            row: self.rows,
                            place: self.place,
                        }))
                    }
                };
            }
        };
        match reader.read_record(&mut self.record) {
            Ok(true) => {}
            Ok(false) => return Ok(None),
            Err(e) => {
                let line = e.position().map(|p| p.line());
                let message = if is_too_large(&e) {
                    format!(
                        "larger than {}: expected a CSV table",
                        size_text(self.max_bytes.unwrap_or(0))
                    )
                } else {
                    e.to_string()
                };
                return Err(Malformed { line, message });
            }
        }
        self.rows += 1;
        Ok(Some(Row {
            path: &self.path,
            header: &self.header,
            record: &self.record,
            line: self.record.position().map_or(0, |p| p.line()),
            row: self.rows,
            place: self.place,
        }))
    }

    /// The next record, or `None` at the end.
    pub fn next_row(&mut self) -> Result<Option<Row<'_>>> {
        let path = self.path.clone();
        let what = match self.reader {
            Source::Csv(_) => "malformed CSV",
            Source::Parquet(_) => "damaged Parquet",
        };
        self.try_next_row().map_err(|m| Error::Input {
            path,
            message: format!("{what}: {}", m.message),
        })
    }

    /// Call `f` with every record in turn.
    pub fn for_each(&mut self, mut f: impl FnMut(&Row<'_>) -> Result<()>) -> Result<()> {
        while let Some(row) = self.next_row()? {
            f(&row)?;
        }
        Ok(())
    }
}

/// One record being read.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    path: &'a Path,
    header: &'a [String],
    record: &'a csv::StringRecord,
    line: u64,
    row: u64,
    place: Place,
}

impl<'a> Row<'a> {
    /// Its line in the file (where it starts).
    pub fn line(&self) -> u64 {
        self.line
    }

    /// Its number among the data rows, from 1.
    pub fn row(&self) -> u64 {
        self.row
    }

    /// How many cells it has.
    pub fn len(&self) -> usize {
        self.record.len()
    }

    /// Whether it has no cells.
    pub fn is_empty(&self) -> bool {
        self.record.is_empty()
    }

    /// Its cells in order.
    pub fn cells(&self) -> impl Iterator<Item = &'a str> + 'a {
        self.record.iter()
    }

    /// `line N` or `row N`, as the file's options say.
    pub fn place(&self) -> String {
        match self.place {
            Place::Line => format!("line {}", self.line),
            Place::Row => format!("row {}", self.row),
        }
    }

    /// The error of a cell: the file, the record, the column, the value
    /// found and what was expected.
    pub fn error(&self, col: usize, value: &str, expected: &str) -> Error {
        Error::Input {
            path: self.path.to_path_buf(),
            message: format!(
                "{}, column `{}`: found {value:?}, expected {expected}",
                self.place(),
                self.header.get(col).map_or("?", String::as_str)
            ),
        }
    }

    /// Cell `col`, empty when the record is short.
    pub fn get(&self, col: usize) -> &'a str {
        self.record.get(col).unwrap_or("")
    }

    /// Cell `col`, or an error when the record is short.
    pub fn str(&self, col: usize) -> Result<&'a str> {
        self.record
            .get(col)
            .ok_or_else(|| self.error(col, "", "a value (the row is short)"))
    }

    /// The cell of the column named `name` (which the header must have
    /// once).
    pub fn named(&self, name: &str) -> Result<&'a str> {
        let mut at = self.header.iter().enumerate().filter(|(_, h)| *h == name);
        match (at.next(), at.next()) {
            (Some((c, _)), None) => self.str(c),
            (None, _) => Err(Error::Input {
                path: self.path.to_path_buf(),
                message: format!(
                    "missing column `{name}` (the header has: {})",
                    self.header.join(", ")
                ),
            }),
            (Some((i, _)), Some((j, _))) => Err(Error::Input {
                path: self.path.to_path_buf(),
                message: format!(
                    "column `{name}` appears more than once (columns {} and {})",
                    i + 1,
                    j + 1
                ),
            }),
        }
    }

    /// Cell `col` parsed as a `T`, or an error saying `expected`.
    pub fn parse<T: std::str::FromStr>(&self, col: usize, expected: &str) -> Result<T> {
        let s = self.str(col)?;
        s.parse::<T>().map_err(|_| self.error(col, s, expected))
    }

    /// Cell `col` as a finite number.
    pub fn f64(&self, col: usize) -> Result<f64> {
        let s = self.str(col)?;
        s.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| self.error(col, s, "a number"))
    }

    /// Cell `col` as a number, empty for "not defined" (NaN refused).
    pub fn opt_f64(&self, col: usize) -> Result<Option<f64>> {
        let s = self.str(col)?;
        if s.is_empty() {
            return Ok(None);
        }
        s.parse::<f64>()
            .ok()
            .filter(|v| !v.is_nan())
            .map(Some)
            .ok_or_else(|| self.error(col, s, "a number or an empty cell"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).expect("write");
        p
    }

    fn message(e: Error) -> String {
        e.to_string()
    }

    #[test]
    fn cells_are_read_by_name_with_errors_naming_file_line_column_and_value() {
        let tmp = tempfile::tempdir().expect("tmp");
        let p = file(tmp.path(), "t.csv", "b,a\n1,x\n2.5,y\n");
        let mut csv = NamedCsv::open(&p).expect("open");
        assert_eq!(csv.header(), ["b", "a"]);
        let (b, a) = (csv.column("b").expect("b"), csv.column("a").expect("a"));
        let row = csv.next_row().expect("read").expect("row");
        assert_eq!((row.line(), row.row()), (2, 1));
        assert_eq!(row.get(a), "x");
        assert_eq!(row.named("a").expect("named"), "x");
        assert_eq!(row.parse::<u32>(b, "an integer").expect("int"), 1);
        let row = csv.next_row().expect("read").expect("row");
        let e = message(
            row.parse::<u32>(b, "an integer")
                .expect_err("not an integer"),
        );
        assert!(
            e.contains("t.csv")
                && e.contains("line 3, column `b`: found \"2.5\", expected an integer"),
            "{e}"
        );
        assert!(csv.next_row().expect("end").is_none());
        let e = message(csv.column("c").expect_err("missing"));
        assert!(e.contains("t.csv") && e.contains("missing column `c` (the header has: b, a)"));
    }

    #[test]
    fn missing_duplicated_and_empty_headers_and_ragged_rows_are_refused() {
        let tmp = tempfile::tempdir().expect("tmp");
        let p = file(tmp.path(), "d.csv", "a,b,a\n1,2,3\n");
        let csv = NamedCsv::open(&p).expect("open");
        let e = message(csv.column("a").expect_err("twice"));
        assert!(e.contains("d.csv") && e.contains("columns 1 and 3"), "{e}");
        assert_eq!(csv.duplicate(), Some(("a", 0, 2)));
        assert_eq!(csv.find("a"), None);
        assert_eq!(csv.find("b"), Some(1));
        let p = file(tmp.path(), "e.csv", "");
        assert!(message(NamedCsv::open(&p).expect_err("empty")).contains("no header row"));
        let p = file(tmp.path(), "r.csv", "a,b\n1,2\n3\n");
        let mut csv = NamedCsv::open(&p).expect("open");
        assert!(csv.next_row().expect("first").is_some());
        let m = csv.try_next_row().expect_err("ragged");
        assert_eq!(m.line, Some(3));
        let missing = tmp.path().join("none.csv");
        assert!(matches!(NamedCsv::open(&missing), Err(Error::Read { .. })));
        let e = message(
            NamedCsv::options()
                .not_found("written by `migflow run`")
                .open(&missing)
                .expect_err("missing"),
        );
        assert!(e.ends_with("not found: written by `migflow run`"), "{e}");
    }

    #[test]
    fn options_trim_bound_the_size_and_name_rows() {
        let tmp = tempfile::tempdir().expect("tmp");
        let p = file(tmp.path(), "t.csv", " a , b \n 1 , x \n");
        let mut csv = NamedCsv::options().trim().rows().open(&p).expect("open");
        let a = csv.column("a").expect("a");
        let row = csv.next_row().expect("read").expect("row");
        assert_eq!(row.get(a), "1");
        let e = message(row.f64(csv_col(&row, "b")).expect_err("not a number"));
        assert!(e.contains("row 1, column `b`: found \"x\""), "{e}");
        let e = message(
            NamedCsv::options()
                .max_bytes(8)
                .open(&p)
                .expect_err("too large"),
        );
        assert!(e.contains("larger than 8 bytes"), "{e}");
    }

    fn csv_col(row: &Row<'_>, name: &str) -> usize {
        row.header.iter().position(|h| h == name).expect("column")
    }
}
