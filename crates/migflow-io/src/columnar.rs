//! Parquet output: the same tables as the CSV files, with the same columns,
//! typed (integers as integers, text as text, empty cells as nulls),
//! compressed with zstd, and with the manifest's key facts in the file's
//! key-value metadata.
//!
//! There is one way to write a table: every writer produces CSV text, and a
//! [`ParquetSink`] in place of the file turns that text into Parquet as it
//! arrives (a streaming CSV parser, `csv-core`, so the text may come in any
//! pieces). A table is therefore the same rows in either format, by
//! construction, and memory stays bounded by one row group
//! ([`ROW_GROUP_ROWS`]) whatever the size of the table. The bytes depend
//! only on the rows and the metadata: the same run gives the same file.
//!
//! The readers read either format through [`crate::csvread::NamedCsv`],
//! which presents a Parquet file's rows as the CSV cells migflow would have
//! written.

use crate::tables::user_text_from_csv;
use arrow_array::builder::{
    BooleanBuilder, Float64Builder, Int64Builder, StringBuilder, UInt64Builder,
};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::metadata::KeyValue;
use parquet::file::properties::WriterProperties;
use std::io::Write;
use std::sync::Arc;

/// The format of a run's or a sweep's tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TableFormat {
    /// Comma-separated text (`NAME.csv`), the default.
    #[default]
    Csv,
    /// Apache Parquet (`NAME.parquet`), zstd-compressed and typed.
    Parquet,
}

impl TableFormat {
    /// Both formats.
    pub const ALL: [TableFormat; 2] = [TableFormat::Csv, TableFormat::Parquet];

    /// The file extension, without the dot (and the name `--format` takes).
    pub fn extension(self) -> &'static str {
        match self {
            TableFormat::Csv => "csv",
            TableFormat::Parquet => "parquet",
        }
    }

    /// The file of the table `name` (`trajectories.csv` or
    /// `trajectories.csv`'s Parquet twin `trajectories.parquet`): `name` may
    /// be given with either extension, or none.
    pub fn file_name(self, name: &str) -> String {
        format!("{}.{}", table_stem(name), self.extension())
    }

    /// The format of a file name, by its extension.
    pub fn of_file(name: &str) -> Option<TableFormat> {
        TableFormat::ALL
            .into_iter()
            .find(|f| name.ends_with(&format!(".{}", f.extension())))
    }
}

/// The name of a table without its extension (`trajectories` for
/// `trajectories.csv` or `trajectories.parquet`).
pub fn table_stem(name: &str) -> &str {
    TableFormat::ALL
        .into_iter()
        .find_map(|f| name.strip_suffix(&format!(".{}", f.extension())))
        .unwrap_or(name)
}

impl std::fmt::Display for TableFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.extension())
    }
}

impl std::str::FromStr for TableFormat {
    type Err = String;

    fn from_str(s: &str) -> std::result::Result<Self, String> {
        TableFormat::ALL
            .into_iter()
            .find(|f| f.extension() == s)
            .ok_or_else(|| format!("{s:?}: expected `csv` or `parquet`"))
    }
}

/// The type of a column in Parquet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// A signed 64-bit integer (counts, years, ids).
    Int,
    /// An unsigned 64-bit integer (seeds, which use every bit).
    UInt,
    /// A 64-bit float.
    Float,
    /// UTF-8 text.
    Text,
    /// `true` or `false` (a sweep's boolean factor).
    Bool,
}

impl ColumnType {
    fn data_type(self) -> DataType {
        match self {
            ColumnType::Int => DataType::Int64,
            ColumnType::UInt => DataType::UInt64,
            ColumnType::Float => DataType::Float64,
            ColumnType::Text => DataType::Utf8,
            ColumnType::Bool => DataType::Boolean,
        }
    }
}

/// Columns of migflow's tables that hold whole numbers.
const INT_COLUMNS: [&str; 28] = [
    "replicate",
    "year",
    "household",
    "site",
    "village",
    "size",
    "laborers",
    "jobs_firm",
    "jobs_workshop",
    "jobs_informal",
    "placed",
    "poor",
    "at_risk",
    "ever_poor",
    "dibao",
    "trained",
    "cohort_year",
    "run_id",
    "point_id",
    "n",
    "households",
    "persons",
    "with_labor",
    "returned",
    "dissolved",
    "sobol_base",
    "morris_trajectory",
    "morris_step",
];

/// Columns of migflow's tables that hold text.
const TEXT_COLUMNS: [&str; 14] = [
    "livelihood",
    "cohort",
    "from",
    "to",
    "last_state",
    "state",
    "metric",
    "lever",
    "item",
    "survey_id",
    "status",
    "error",
    "sobol_matrix",
    "morris_changed",
];

/// The type of a column of migflow's tables, by its name; every other
/// column holds numbers (`f64`). A sweep's factor columns are typed by the
/// sweep's values instead (its caller's `types`).
pub fn column_type(name: &str) -> ColumnType {
    if name == "seed" {
        ColumnType::UInt
    } else if name == "policy" || TEXT_COLUMNS.contains(&name) {
        ColumnType::Text
    } else if INT_COLUMNS.contains(&name) {
        ColumnType::Int
    } else {
        ColumnType::Float
    }
}

/// Rows in each row group: the sink holds one group at a time, so this
/// bounds its memory (about 12 MB for the widest table), and fixes where
/// groups end, so the bytes do not depend on how the text arrived.
pub const ROW_GROUP_ROWS: usize = 65_536;

/// One column being filled.
enum Column {
    Int(Int64Builder),
    UInt(UInt64Builder),
    Float(Float64Builder),
    Text(StringBuilder),
    Bool(BooleanBuilder),
}

impl Column {
    fn new(t: ColumnType) -> Column {
        match t {
            ColumnType::Int => Column::Int(Int64Builder::with_capacity(ROW_GROUP_ROWS)),
            ColumnType::UInt => Column::UInt(UInt64Builder::with_capacity(ROW_GROUP_ROWS)),
            ColumnType::Float => Column::Float(Float64Builder::with_capacity(ROW_GROUP_ROWS)),
            ColumnType::Text => Column::Text(StringBuilder::new()),
            ColumnType::Bool => Column::Bool(BooleanBuilder::with_capacity(ROW_GROUP_ROWS)),
        }
    }

    /// Append a CSV cell: empty is null.
    fn push(&mut self, cell: &str) -> std::result::Result<(), &'static str> {
        if cell.is_empty() {
            match self {
                Column::Int(b) => b.append_null(),
                Column::UInt(b) => b.append_null(),
                Column::Float(b) => b.append_null(),
                Column::Text(b) => b.append_null(),
                Column::Bool(b) => b.append_null(),
            }
            return Ok(());
        }
        match self {
            Column::Int(b) => b.append_value(cell.parse().map_err(|_| "an integer")?),
            Column::UInt(b) => b.append_value(cell.parse().map_err(|_| "a whole number")?),
            Column::Float(b) => b.append_value(cell.parse().map_err(|_| "a number")?),
            Column::Text(b) => b.append_value(user_text_from_csv(cell)),
            Column::Bool(b) => b.append_value(match cell {
                "true" => true,
                "false" => false,
                _ => return Err("`true` or `false`"),
            }),
        }
        Ok(())
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            Column::Int(b) => Arc::new(b.finish()),
            Column::UInt(b) => Arc::new(b.finish()),
            Column::Float(b) => Arc::new(b.finish()),
            Column::Text(b) => Arc::new(b.finish()),
            Column::Bool(b) => Arc::new(b.finish()),
        }
    }
}

/// The writer state once the header is known.
struct Open<W: Write + Send> {
    writer: ArrowWriter<W>,
    schema: SchemaRef,
    header: Vec<String>,
    columns: Vec<Column>,
    rows: usize,
}

/// A [`Write`] that takes a table's CSV text (header first) and writes it
/// to `W` as Parquet. Call [`ParquetSink::finish`] at the end: the file is
/// complete only then (its footer comes last).
pub struct ParquetSink<W: Write + Send> {
    parser: csv_core::Reader,
    field: Vec<u8>,
    field_len: usize,
    ends: Vec<usize>,
    ends_len: usize,
    pending: Option<W>,
    open: Option<Open<W>>,
    types: Box<dyn Fn(&str) -> ColumnType + Send>,
    metadata: Vec<(String, String)>,
    records: u64,
}

fn other(message: impl Into<String>) -> std::io::Error {
    std::io::Error::other(message.into())
}

impl<W: Write + Send> ParquetSink<W> {
    /// A sink writing to `inner`, typing each column by `types` of its
    /// name, with `metadata` as the file's key-value metadata.
    pub fn new(
        inner: W,
        types: impl Fn(&str) -> ColumnType + Send + 'static,
        metadata: Vec<(String, String)>,
    ) -> ParquetSink<W> {
        ParquetSink {
            parser: csv_core::Reader::new(),
            field: vec![0; 1024],
            field_len: 0,
            ends: vec![0; 64],
            ends_len: 0,
            pending: Some(inner),
            open: None,
            types: Box::new(types),
            metadata,
            records: 0,
        }
    }

    /// Parse `input`, taking every record it completes.
    fn feed(&mut self, mut input: &[u8]) -> std::io::Result<()> {
        use csv_core::ReadRecordResult as R;
        loop {
            let (result, read, written, ends) = self.parser.read_record(
                input,
                &mut self.field[self.field_len..],
                &mut self.ends[self.ends_len..],
            );
            input = &input[read..];
            self.field_len += written;
            self.ends_len += ends;
            match result {
                R::InputEmpty => return Ok(()),
                R::OutputFull => self.field.resize(self.field.len() * 2, 0),
                R::OutputEndsFull => self.ends.resize(self.ends.len() * 2, 0),
                R::Record => {
                    self.take_record()?;
                    self.field_len = 0;
                    self.ends_len = 0;
                }
                R::End => return Ok(()),
            }
        }
    }

    fn take_record(&mut self) -> std::io::Result<()> {
        let bytes = &self.field[..self.field_len];
        let text = std::str::from_utf8(bytes)
            .map_err(|_| other(format!("record {}: not UTF-8 text", self.records + 1)))?;
        let mut cells = Vec::with_capacity(self.ends_len);
        let mut start = 0;
        for &end in &self.ends[..self.ends_len] {
            cells.push(&text[start..end]);
            start = end;
        }
        let Some(open) = self.open.as_mut() else {
            let header: Vec<String> = cells.iter().map(|c| c.to_string()).collect();
            let types: Vec<ColumnType> = header.iter().map(|h| (self.types)(h)).collect();
            let schema: SchemaRef = Arc::new(Schema::new(
                header
                    .iter()
                    .zip(&types)
                    .map(|(h, t)| Field::new(h, t.data_type(), true))
                    .collect::<Vec<_>>(),
            ));
            let level = ZstdLevel::try_new(3).map_err(|e| other(e.to_string()))?;
            let props = WriterProperties::builder()
                .set_compression(Compression::ZSTD(level))
                .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
                .set_key_value_metadata(Some(
                    self.metadata
                        .iter()
                        .map(|(k, v)| KeyValue::new(k.clone(), v.clone()))
                        .collect(),
                ))
                .build();
            let inner = self
                .pending
                .take()
                .ok_or_else(|| other("the Parquet sink has no file"))?;
            let writer = ArrowWriter::try_new(inner, schema.clone(), Some(props))
                .map_err(|e| other(e.to_string()))?;
            self.open = Some(Open {
                writer,
                schema,
                columns: types.into_iter().map(Column::new).collect(),
                header,
                rows: 0,
            });
            return Ok(());
        };
        self.records += 1;
        if cells.len() != open.header.len() {
            return Err(other(format!(
                "row {}: {} cells, but the header has {} columns",
                self.records,
                cells.len(),
                open.header.len()
            )));
        }
        for (c, cell) in cells.iter().enumerate() {
            open.columns[c].push(cell).map_err(|expected| {
                other(format!(
                    "row {}, column `{}`: found {cell:?}, expected {expected}",
                    self.records, open.header[c]
                ))
            })?;
        }
        open.rows += 1;
        if open.rows == ROW_GROUP_ROWS {
            flush_group(open)?;
        }
        Ok(())
    }

    /// Write the last row group and the footer, and return the inner
    /// writer. Text without a header row is refused.
    pub fn finish(mut self) -> std::io::Result<W> {
        // Any last record without a line end.
        self.feed(&[])?;
        let Some(mut open) = self.open.take() else {
            return Err(other("no header row: nothing to write as Parquet"));
        };
        if open.rows > 0 {
            flush_group(&mut open)?;
        }
        open.writer.into_inner().map_err(|e| other(e.to_string()))
    }
}

fn flush_group<W: Write + Send>(open: &mut Open<W>) -> std::io::Result<()> {
    let arrays: Vec<ArrayRef> = open.columns.iter_mut().map(Column::finish).collect();
    let batch =
        RecordBatch::try_new(open.schema.clone(), arrays).map_err(|e| other(e.to_string()))?;
    open.writer
        .write(&batch)
        .and_then(|()| open.writer.flush())
        .map_err(|e| other(e.to_string()))?;
    open.rows = 0;
    Ok(())
}

impl<W: Write + Send> Write for ParquetSink<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.feed(buf)?;
        Ok(buf.len())
    }

    /// The rows wait for their row group: nothing is written before it is
    /// full, or [`ParquetSink::finish`].
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// How a table is written: its format, and for Parquet its column types
/// and key-value metadata.
#[derive(Clone)]
pub struct TableOutput {
    /// The format.
    pub format: TableFormat,
    types: Arc<dyn Fn(&str) -> ColumnType + Send + Sync>,
    metadata: Vec<(String, String)>,
}

impl std::fmt::Debug for TableOutput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableOutput")
            .field("format", &self.format)
            .field("metadata", &self.metadata)
            .finish_non_exhaustive()
    }
}

impl TableOutput {
    /// Tables in `format`, typed by [`column_type`], with `metadata` (for
    /// Parquet; CSV has none).
    pub fn new(format: TableFormat, metadata: Vec<(String, String)>) -> TableOutput {
        TableOutput {
            format,
            types: Arc::new(column_type),
            metadata,
        }
    }

    /// CSV tables.
    pub fn csv() -> TableOutput {
        TableOutput::new(TableFormat::Csv, Vec::new())
    }

    /// The same, with the columns that `types` names typed by it (a
    /// sweep's factors) and the others by [`column_type`].
    pub fn with_types(mut self, types: Vec<(String, ColumnType)>) -> TableOutput {
        let types: std::collections::BTreeMap<String, ColumnType> = types.into_iter().collect();
        self.types = Arc::new(move |name| {
            types
                .get(name)
                .copied()
                .unwrap_or_else(|| column_type(name))
        });
        self
    }

    /// The file of the table `name` in this format.
    pub fn file_name(&self, name: &str) -> String {
        self.format.file_name(name)
    }

    /// A writer of a table's CSV text into `inner` in this format.
    pub fn writer<W: Write + Send>(&self, inner: W) -> TableWriter<W> {
        match self.format {
            TableFormat::Csv => TableWriter::Csv(inner),
            TableFormat::Parquet => {
                let types = self.types.clone();
                TableWriter::Parquet(Box::new(ParquetSink::new(
                    inner,
                    move |name| types(name),
                    self.metadata.clone(),
                )))
            }
        }
    }

    /// The table `csv` (CSV text, header first) in this format.
    pub fn encode(&self, csv: &[u8]) -> std::io::Result<Vec<u8>> {
        match self.format {
            TableFormat::Csv => Ok(csv.to_vec()),
            TableFormat::Parquet => {
                let mut w = self.writer(Vec::new());
                w.write_all(csv)?;
                w.finish()
            }
        }
    }
}

/// A table being written: CSV text passes through to a CSV file, or is
/// turned into Parquet. [`TableWriter::finish`] ends it.
pub enum TableWriter<W: Write + Send> {
    /// CSV: the text as it comes.
    Csv(W),
    /// Parquet.
    Parquet(Box<ParquetSink<W>>),
}

impl<W: Write + Send> TableWriter<W> {
    /// End the table (for Parquet, its last row group and footer) and
    /// return the inner writer.
    pub fn finish(self) -> std::io::Result<W> {
        match self {
            TableWriter::Csv(w) => Ok(w),
            TableWriter::Parquet(sink) => sink.finish(),
        }
    }
}

impl<W: Write + Send> Write for TableWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            TableWriter::Csv(w) => w.write(buf),
            TableWriter::Parquet(sink) => sink.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        match self {
            TableWriter::Csv(w) => w.write_all(buf),
            TableWriter::Parquet(sink) => sink.write_all(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            TableWriter::Csv(w) => w.flush(),
            TableWriter::Parquet(sink) => sink.flush(),
        }
    }
}

/// The column types and key-value metadata of the Parquet file `path`
/// (migflow's own: a merge writes its tables as its shards' are), so that
/// a table rewritten from its rows is the same file.
pub fn parquet_layout(path: &std::path::Path) -> crate::Result<ParquetLayout> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let damaged = |message: String| crate::Error::Input {
        path: path.to_path_buf(),
        message: format!("not a readable Parquet file: {message}"),
    };
    let file = crate::input::open_streamed(path, "a Parquet table")?.into_file();
    let reader = SerializedFileReader::new(file).map_err(|e| damaged(e.to_string()))?;
    let meta = reader.metadata().file_metadata();
    let metadata = meta
        .key_value_metadata()
        .map(|kvs| {
            kvs.iter()
                .filter(|kv| kv.key != "ARROW:schema")
                .map(|kv| (kv.key.clone(), kv.value.clone().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    let schema =
        parquet::arrow::parquet_to_arrow_schema(meta.schema_descr(), meta.key_value_metadata())
            .map_err(|e| damaged(e.to_string()))?;
    let types = schema
        .fields()
        .iter()
        .map(|f| {
            let t = match f.data_type() {
                DataType::Int64 => ColumnType::Int,
                DataType::UInt64 => ColumnType::UInt,
                DataType::Float64 => ColumnType::Float,
                DataType::Utf8 => ColumnType::Text,
                DataType::Boolean => ColumnType::Bool,
                other => {
                    return Err(damaged(format!(
                        "column `{}` is of type {other}, which migflow does not write",
                        f.name()
                    )));
                }
            };
            Ok((f.name().clone(), t))
        })
        .collect::<crate::Result<Vec<_>>>()?;
    Ok(ParquetLayout { types, metadata })
}

/// What [`parquet_layout`] reads of a Parquet file.
#[derive(Debug, Clone, PartialEq)]
pub struct ParquetLayout {
    /// Each column's name and type, in order.
    pub types: Vec<(String, ColumnType)>,
    /// The key-value metadata migflow wrote (without Arrow's schema).
    pub metadata: Vec<(String, String)>,
}

/// The file of the table `name` in `dir` once the directory has been
/// checked against its manifest ([`crate::manifest::table_file`], which
/// leaves at most one of a table's formats present): the Parquet file if it
/// is there, else the CSV file (for messages about a table that is absent).
pub fn present_table(dir: &std::path::Path, name: &str) -> std::path::PathBuf {
    let parquet = dir.join(TableFormat::Parquet.file_name(name));
    if parquet.symlink_metadata().is_ok() {
        parquet
    } else {
        dir.join(TableFormat::Csv.file_name(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csvread::NamedCsv;
    use parquet::file::reader::{FileReader, SerializedFileReader};

    const TABLE: &str = "replicate,year,livelihood,survey_id,seed,poor_share,weight\n\
                         0,2021,outbound,'=HYPERLINK(x),18446744073709551615,0.1,1\n\
                         1,2022,farm,,0,,0.00000025\n";

    fn metadata() -> Vec<(String, String)> {
        vec![
            ("migflow_version".into(), "0.1.0".into()),
            ("seed".into(), "42".into()),
        ]
    }

    fn parquet(csv: &str) -> Vec<u8> {
        TableOutput::new(TableFormat::Parquet, metadata())
            .encode(csv.as_bytes())
            .expect("encode")
    }

    #[test]
    fn columns_are_typed_empty_cells_are_nulls_and_the_metadata_is_kept() {
        let bytes = bytes::Bytes::from(parquet(TABLE));
        let reader = SerializedFileReader::new(bytes).expect("a Parquet file");
        let meta = reader.metadata().file_metadata();
        let kv: Vec<(String, Option<String>)> = meta
            .key_value_metadata()
            .expect("metadata")
            .iter()
            .map(|kv| (kv.key.clone(), kv.value.clone()))
            .collect();
        assert!(kv.contains(&("seed".into(), Some("42".into()))), "{kv:?}");
        assert!(kv.contains(&("migflow_version".into(), Some("0.1.0".into()))));
        let schema =
            parquet::arrow::parquet_to_arrow_schema(meta.schema_descr(), meta.key_value_metadata())
                .expect("schema");
        let types: Vec<(&str, &DataType)> = schema
            .fields()
            .iter()
            .map(|f| (f.name().as_str(), f.data_type()))
            .collect();
        assert_eq!(
            types,
            [
                ("replicate", &DataType::Int64),
                ("year", &DataType::Int64),
                ("livelihood", &DataType::Utf8),
                ("survey_id", &DataType::Utf8),
                ("seed", &DataType::UInt64),
                ("poor_share", &DataType::Float64),
                ("weight", &DataType::Float64),
            ]
        );
        let group = reader.metadata().row_group(0);
        let nulls = |c: usize| {
            group
                .column(c)
                .statistics()
                .and_then(|s| s.null_count_opt())
                .expect("null count")
        };
        assert_eq!((nulls(3), nulls(5), nulls(0)), (1, 1, 0));
    }

    #[test]
    fn parquet_reads_back_as_the_cells_of_the_csv_text() {
        let tmp = tempfile::tempdir().expect("tmp");
        let csv_path = tmp.path().join("t.csv");
        let parquet_path = tmp.path().join("t.parquet");
        std::fs::write(&csv_path, TABLE).expect("csv");
        std::fs::write(&parquet_path, parquet(TABLE)).expect("parquet");
        let rows = |path: &std::path::Path| {
            let mut t = NamedCsv::open(path).expect("open");
            let mut rows = vec![t.header().to_vec()];
            while let Some(r) = t.next_row().expect("row") {
                rows.push(r.cells().map(str::to_string).collect());
            }
            rows
        };
        assert_eq!(rows(&parquet_path), rows(&csv_path));
        // The text stored is the user's, without the CSV's quote prefix.
        let t = NamedCsv::open(&parquet_path).expect("open");
        let err = t.input("x").to_string();
        assert!(err.contains("t.parquet"), "{err}");
    }

    #[test]
    fn the_bytes_depend_on_the_rows_alone_not_on_how_the_text_arrives() {
        let whole = parquet(TABLE);
        assert_eq!(whole, parquet(TABLE), "two writes differ");
        let mut sink = TableOutput::new(TableFormat::Parquet, metadata()).writer(Vec::new());
        for b in TABLE.as_bytes() {
            sink.write_all(std::slice::from_ref(b)).expect("byte");
        }
        assert_eq!(
            sink.finish().expect("finish"),
            whole,
            "byte by byte differs"
        );
    }

    #[test]
    fn row_groups_bound_what_is_held_in_memory() {
        let mut csv = String::from("run_id,mean\n");
        let rows = ROW_GROUP_ROWS * 2 + 5;
        for i in 0..rows {
            csv.push_str(&format!("{i},{}\n", i as f64 / 3.0));
        }
        let bytes = bytes::Bytes::from(parquet(&csv));
        let reader = SerializedFileReader::new(bytes).expect("file");
        let groups: Vec<i64> = reader
            .metadata()
            .row_groups()
            .iter()
            .map(|g| g.num_rows())
            .collect();
        let full = ROW_GROUP_ROWS as i64;
        assert_eq!(groups, [full, full, 5]);
    }

    #[test]
    fn a_cell_that_is_not_of_its_columns_type_is_refused_naming_it() {
        let err = TableOutput::new(TableFormat::Parquet, metadata())
            .encode(b"replicate,year\n0,2021\n1,20x2\n")
            .expect_err("not an integer")
            .to_string();
        assert!(
            err.contains("row 2, column `year`: found \"20x2\", expected an integer"),
            "{err}"
        );
    }

    #[test]
    fn a_typed_boolean_column_reads_back_as_true_and_false() {
        let output = TableOutput::new(TableFormat::Parquet, metadata())
            .with_types(vec![("levers.training.enabled".into(), ColumnType::Bool)]);
        let text = "run_id,levers.training.enabled\n0,true\n1,false\n2,\n";
        let tmp = tempfile::tempdir().expect("tmp");
        let path = tmp.path().join("runs.parquet");
        std::fs::write(&path, output.encode(text.as_bytes()).expect("encode")).expect("write");
        let layout = parquet_layout(&path).expect("layout");
        assert_eq!(layout.types[1].1, ColumnType::Bool);
        let mut t = NamedCsv::open(&path).expect("open");
        let mut cells = Vec::new();
        while let Some(r) = t.next_row().expect("row") {
            cells.push(r.get(1).to_string());
        }
        assert_eq!(cells, ["true", "false", ""]);
        let err = output
            .encode(b"run_id,levers.training.enabled\n0,yes\n")
            .expect_err("not a boolean")
            .to_string();
        assert!(err.contains("expected `true` or `false`"), "{err}");
    }

    #[test]
    fn file_names_follow_the_format() {
        assert_eq!(TableFormat::Parquet.file_name("runs.csv"), "runs.parquet");
        assert_eq!(TableFormat::Csv.file_name("runs.parquet"), "runs.csv");
        assert_eq!(
            TableFormat::of_file("a.parquet"),
            Some(TableFormat::Parquet)
        );
        assert_eq!("parquet".parse(), Ok(TableFormat::Parquet));
        assert!("xlsx".parse::<TableFormat>().is_err());
    }
}
