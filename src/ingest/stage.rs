//! Staging: one export file parsed into typed Parquet in the lake, with its rejects beside it.
//!
//! A staged file is named by a hash of the export's bytes, its path, its source settings and the
//! parser version, so an unchanged export is never parsed twice. Staged rows carry three internal
//! columns the merge step needs: `_export_order` (which export is newer), `_key` (the dataset key as
//! text) and `_month` (the partition, in the company timezone).

use std::sync::Arc;

use chrono_tz::Tz;
use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Decimal128Builder, Int64Builder, RecordBatch, StringBuilder,
    TimestampMicrosecondBuilder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use serde::{Deserialize, Serialize};

use super::parse::{self, Value};
use super::plan::PlannedFile;
use super::read::{Export, map_columns};
use crate::config::Source;
use crate::datasets::{ColumnType, Dataset, MONEY_PRECISION, MONEY_SCALE};
use crate::lake::{Lake, LakeError, layout};
use crate::period::Period;

pub const EXPORT_ORDER: &str = "_export_order";
pub const KEY: &str = "_key";
pub const MONTH: &str = "_month";

const BATCH_ROWS: usize = 8192;

/// The longest reason a reject keeps, in characters.
const MAX_REASON: usize = 500;

/// What staging one file produced. Stored beside the staged rows as `<id>.json`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageStats {
    pub rows_read: u64,
    pub rows_ok: u64,
    pub rows_rejected: u64,
    /// Good rows per month partition (`YYYY-MM`; empty for a reference dataset).
    #[serde(default)]
    pub months: std::collections::BTreeMap<String, u64>,
}

/// Why a file could not be staged at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileProblem {
    pub file: String,
    pub message: String,
}

/// The staged schema: the lake schema plus the internal merge columns.
pub fn staged_schema(dataset: &Dataset) -> SchemaRef {
    let mut fields: Vec<Field> = dataset.lake_schema().fields().iter().map(|f| f.as_ref().clone()).collect();
    fields.push(Field::new(EXPORT_ORDER, DataType::Utf8, false));
    fields.push(Field::new(KEY, DataType::Utf8, false));
    fields.push(Field::new(MONTH, DataType::Utf8, true));
    Arc::new(Schema::new(fields))
}

pub fn rejects_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("dataset", DataType::Utf8, false),
        Field::new("file", DataType::Utf8, false),
        Field::new("line", DataType::Int64, false),
        Field::new("column", DataType::Utf8, false),
        Field::new("raw_value", DataType::Utf8, false),
        Field::new("reason", DataType::Utf8, false),
    ]))
}

#[derive(Debug, thiserror::Error)]
pub enum StageError {
    #[error("{}", .0.message)]
    File(FileProblem),
    #[error(transparent)]
    Lake(#[from] LakeError),
}

/// Parses one export into the lake's staging area.
pub async fn stage(
    lake: &Lake,
    source: &Source,
    file: &PlannedFile,
    company_tz: Tz,
    config_file: &str,
) -> Result<StageStats, StageError> {
    let dataset = source.dataset;
    let problem = |message: String| StageError::File(FileProblem { file: file.display.clone(), message });
    let mut export = Export::open(&file.path, file.format, source.encoding, source.delimiter, source.sheet.as_deref())
        .map_err(|e| problem(format!("{}: {e}", file.display)))?;

    if export.headers.iter().all(|h| h.is_empty()) {
        let what = if file.bytes == 0 { "is empty (0 bytes)" } else { "has no header line" };
        return Err(problem(format!(
            "{} {what}: no header and no rows. An export needs a first line naming its columns; re-export it, or remove the file if it was written by mistake",
            file.display
        )));
    }
    let positions =
        map_columns(source, &export.headers, &file.display, config_file).map_err(|m| problem(m.join("\n")))?;

    let mut rows = lake.staging_sink(&layout::staging_rows(dataset.name, &file.staging_id), staged_schema(dataset))?;
    let mut rejects = Rejects::new(dataset.name, &file.display);
    let mut batch = BatchBuilder::new(dataset);
    let mut stats = StageStats::default();
    let partition_at = dataset.partition_by.and_then(|p| dataset.columns.iter().position(|c| c.name == p));
    let mut copies = Copies::default();

    while let Some(row) = export.next_row() {
        stats.rows_read += 1;
        let row = match row {
            Ok(row) => row,
            Err(broken) if broken.fatal => {
                return Err(problem(format!(
                    "{}: cannot read past line {}: {}",
                    file.display, broken.line, broken.reason
                )));
            }
            Err(broken) => {
                stats.rows_rejected += 1;
                rejects.push(broken.line, "*", &broken.raw, &broken.reason);
                continue;
            }
        };
        let mut values = Vec::with_capacity(dataset.columns.len());
        let mut bad = false;
        for (column, at) in dataset.columns.iter().zip(&positions) {
            let raw = at.and_then(|i| row.cells.get(i)).and_then(Option::as_deref).unwrap_or("");
            let label = || {
                let header = source.header_for(column.name);
                if header == column.name { column.name.to_string() } else { format!("{} ({header})", column.name) }
            };
            match parse::parse(column.ty, raw, source.timezone) {
                Ok(Value::Null) if column.required => {
                    bad = true;
                    rejects.push(row.line, &label(), raw, "required value is empty");
                }
                Ok(value) => values.push(value),
                Err(reason) => {
                    bad = true;
                    rejects.push(row.line, &label(), raw, &reason);
                }
            }
        }
        if bad {
            stats.rows_rejected += 1;
            continue;
        }
        stats.rows_ok += 1;
        let month = partition_at.and_then(|i| month_of(&values[i], company_tz));
        let key = key_of(dataset, &values);
        if let Some(m) = &month {
            match stats.months.get_mut(m) {
                Some(count) => *count += 1,
                None => {
                    stats.months.insert(m.clone(), 1);
                }
            }
        }
        let copy = copies.next(month.as_deref(), &key);
        batch.push(&values, &file.display, row.line, copy, &file.export_order, &key, month.as_deref());
        if batch.len >= BATCH_ROWS {
            rows.write(&batch.finish()?).await?;
        }
    }
    if batch.len > 0 {
        rows.write(&batch.finish()?).await?;
    }
    // Rejects and stats first, rows last: the rows object's presence marks the file as staged.
    lake.write_parquet(
        &layout::staging_rejects(dataset.name, &file.staging_id),
        rejects_schema(),
        &[rejects.finish()?],
    )
    .await?;
    let stats_json = serde_json::to_vec_pretty(&stats).unwrap_or_default();
    lake.put(&layout::staging_stats(dataset.name, &file.staging_id), stats_json).await?;
    rows.finish().await?;
    Ok(stats)
}

/// How many rows of each key one export has had so far in each month: the copy numbers (`1` for a
/// key's first row in its month, `2` for the next, …).
///
/// An export of a month of web events holds millions of keys, nearly all once, and two exports are
/// staged at a time: with the keys themselves (two strings and a tuple per entry, ~120 bytes) the
/// map of one export at the benchmark year came to about half a GiB. It keeps a 128-bit keyed hash
/// of (month, key) instead, 24 bytes an entry. Two different keys taken for one has a probability
/// of about n² / 2¹²⁹ — 10⁻²⁵ for an export of four million keys — and would only number the second
/// `2` instead of `1` (a record key `<key>#2`, the row kept).
#[derive(Default)]
struct Copies {
    seen: std::collections::HashMap<Digest, u32, std::hash::BuildHasherDefault<FirstWord>>,
    hashers: [std::collections::hash_map::RandomState; 2],
}

impl Copies {
    fn next(&mut self, month: Option<&str>, key: &str) -> i64 {
        use std::hash::{BuildHasher, Hash, Hasher};
        let [high, low] = self.hashers.each_ref().map(|state| {
            let mut hasher = state.build_hasher();
            month.hash(&mut hasher);
            key.hash(&mut hasher);
            hasher.finish()
        });
        let count = self.seen.entry(Digest(high, low)).or_default();
        *count += 1;
        i64::from(*count)
    }
}

/// A (month, key) by its two independent keyed 64-bit hashes.
#[derive(PartialEq, Eq)]
struct Digest(u64, u64);

impl std::hash::Hash for Digest {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(self.0)
    }
}

/// The table's hasher for a `Digest`, already a keyed hash: its first word as it is.
#[derive(Default)]
struct FirstWord(u64);

impl std::hash::Hasher for FirstWord {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Not reached for a `Digest`; an FNV-1a fold keeps the hasher right for any other key.
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
        }
    }
    fn write_u64(&mut self, word: u64) {
        self.0 = word;
    }
}

fn month_of(value: &Value, tz: Tz) -> Option<String> {
    match value {
        Value::Timestamp(micros) => {
            chrono::DateTime::from_timestamp_micros(*micros).map(|t| Period::month_of(t, tz).to_string())
        }
        Value::Date(days) => chrono::NaiveDate::from_epoch_days(*days).map(|d| Period::month_of_date(d).to_string()),
        _ => None,
    }
}

fn key_of(dataset: &Dataset, values: &[Value]) -> String {
    let parts: Vec<String> = if dataset.key.is_empty() {
        values.iter().map(Value::key_text).collect()
    } else {
        dataset
            .key
            .iter()
            .filter_map(|k| dataset.columns.iter().position(|c| c.name == *k))
            .map(|i| values[i].key_text())
            .collect()
    };
    parts.join("\u{1f}")
}

struct Rejects {
    dataset: StringBuilder,
    file: StringBuilder,
    line: Int64Builder,
    column: StringBuilder,
    raw: StringBuilder,
    reason: StringBuilder,
    name: String,
    display: String,
}

impl Rejects {
    fn new(dataset: &str, display: &str) -> Rejects {
        Rejects {
            dataset: StringBuilder::new(),
            file: StringBuilder::new(),
            line: Int64Builder::new(),
            column: StringBuilder::new(),
            raw: StringBuilder::new(),
            reason: StringBuilder::new(),
            name: dataset.to_string(),
            display: display.to_string(),
        }
    }

    /// One rejected cell. The raw value is kept whole; the reason, which may quote it, is cut to
    /// `MAX_REASON` characters (a 2 MB cell is in `raw_value` once, not twice).
    fn push(&mut self, line: u64, column: &str, raw: &str, reason: &str) {
        self.dataset.append_value(&self.name);
        self.file.append_value(&self.display);
        self.line.append_value(line as i64);
        self.column.append_value(column);
        self.raw.append_value(raw);
        match reason.char_indices().nth(MAX_REASON) {
            None => self.reason.append_value(reason),
            Some((at, _)) => {
                self.reason.append_value(format!("{}… (cut; the whole value is in raw_value)", &reason[..at]))
            }
        }
    }

    fn finish(mut self) -> Result<RecordBatch, LakeError> {
        let columns: Vec<ArrayRef> = vec![
            Arc::new(self.dataset.finish()),
            Arc::new(self.file.finish()),
            Arc::new(self.line.finish()),
            Arc::new(self.column.finish()),
            Arc::new(self.raw.finish()),
            Arc::new(self.reason.finish()),
        ];
        RecordBatch::try_new(rejects_schema(), columns).map_err(|e| arrow_error(&self.display, e))
    }
}

fn arrow_error(what: &str, e: datafusion::arrow::error::ArrowError) -> LakeError {
    LakeError::Parquet { path: what.to_string(), source: e.into() }
}

enum ColumnBuilder {
    Text(StringBuilder),
    Timestamp(TimestampMicrosecondBuilder),
    Date(Date32Builder),
    Money(Decimal128Builder),
    Int(Int64Builder),
    Bool(BooleanBuilder),
}

impl ColumnBuilder {
    fn new(ty: ColumnType) -> ColumnBuilder {
        match ty {
            ColumnType::Text | ColumnType::Enum(_) | ColumnType::Period => ColumnBuilder::Text(StringBuilder::new()),
            ColumnType::Timestamp => ColumnBuilder::Timestamp(TimestampMicrosecondBuilder::new().with_timezone("UTC")),
            ColumnType::Date => ColumnBuilder::Date(Date32Builder::new()),
            ColumnType::Money => ColumnBuilder::Money(
                Decimal128Builder::new()
                    .with_precision_and_scale(MONEY_PRECISION, MONEY_SCALE)
                    .unwrap_or_else(|_| Decimal128Builder::new()),
            ),
            ColumnType::Int { .. } => ColumnBuilder::Int(Int64Builder::new()),
            ColumnType::Bool => ColumnBuilder::Bool(BooleanBuilder::new()),
        }
    }

    fn push(&mut self, value: &Value) {
        match (self, value) {
            (ColumnBuilder::Text(b), Value::Text(v)) => b.append_value(v),
            (ColumnBuilder::Timestamp(b), Value::Timestamp(v)) => b.append_value(*v),
            (ColumnBuilder::Date(b), Value::Date(v)) => b.append_value(*v),
            (ColumnBuilder::Money(b), Value::Money(v)) => b.append_value(*v),
            (ColumnBuilder::Int(b), Value::Int(v)) => b.append_value(*v),
            (ColumnBuilder::Bool(b), Value::Bool(v)) => b.append_value(*v),
            (ColumnBuilder::Text(b), _) => b.append_null(),
            (ColumnBuilder::Timestamp(b), _) => b.append_null(),
            (ColumnBuilder::Date(b), _) => b.append_null(),
            (ColumnBuilder::Money(b), _) => b.append_null(),
            (ColumnBuilder::Int(b), _) => b.append_null(),
            (ColumnBuilder::Bool(b), _) => b.append_null(),
        }
    }

    fn finish(&mut self) -> ArrayRef {
        match self {
            ColumnBuilder::Text(b) => Arc::new(b.finish()),
            ColumnBuilder::Timestamp(b) => Arc::new(b.finish()),
            ColumnBuilder::Date(b) => Arc::new(b.finish()),
            ColumnBuilder::Money(b) => Arc::new(b.finish()),
            ColumnBuilder::Int(b) => Arc::new(b.finish()),
            ColumnBuilder::Bool(b) => Arc::new(b.finish()),
        }
    }
}

/// Accumulates parsed rows into a staged record batch.
struct BatchBuilder {
    schema: SchemaRef,
    columns: Vec<ColumnBuilder>,
    file: StringBuilder,
    line: Int64Builder,
    copy: Int64Builder,
    order: StringBuilder,
    key: StringBuilder,
    month: StringBuilder,
    len: usize,
}

impl BatchBuilder {
    fn new(dataset: &Dataset) -> BatchBuilder {
        BatchBuilder {
            schema: staged_schema(dataset),
            columns: dataset.columns.iter().map(|c| ColumnBuilder::new(c.ty)).collect(),
            file: StringBuilder::new(),
            line: Int64Builder::new(),
            copy: Int64Builder::new(),
            order: StringBuilder::new(),
            key: StringBuilder::new(),
            month: StringBuilder::new(),
            len: 0,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        values: &[Value],
        file: &str,
        line: u64,
        copy: i64,
        order: &str,
        key: &str,
        month: Option<&str>,
    ) {
        for (builder, value) in self.columns.iter_mut().zip(values) {
            builder.push(value);
        }
        self.file.append_value(file);
        self.line.append_value(line as i64);
        self.copy.append_value(copy);
        self.order.append_value(order);
        self.key.append_value(key);
        self.month.append_option(month);
        self.len += 1;
    }

    fn finish(&mut self) -> Result<RecordBatch, LakeError> {
        let mut arrays: Vec<ArrayRef> = self.columns.iter_mut().map(ColumnBuilder::finish).collect();
        arrays.push(Arc::new(self.file.finish()));
        arrays.push(Arc::new(self.line.finish()));
        arrays.push(Arc::new(self.copy.finish()));
        arrays.push(Arc::new(self.order.finish()));
        arrays.push(Arc::new(self.key.finish()));
        arrays.push(Arc::new(self.month.finish()));
        self.len = 0;
        RecordBatch::try_new(self.schema.clone(), arrays).map_err(|e| arrow_error("staged rows", e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copies_are_numbered_per_month_and_key() {
        let mut copies = Copies::default();
        let numbers: Vec<i64> = [
            (Some("2025-01"), "e1"),
            (Some("2025-01"), "e1"),
            (Some("2025-02"), "e1"),
            (None, "e1"),
            (Some("2025-01"), "e2"),
            (Some("2025-01"), "e1"),
            (None, "e1"),
            // The parts' boundaries count: "2025-0" + "1e1" is not "2025-01" + "e1".
            (Some("2025-0"), "1e1"),
        ]
        .into_iter()
        .map(|(month, key)| copies.next(month, key))
        .collect();
        assert_eq!(numbers, [1, 2, 1, 1, 1, 3, 2, 1]);
    }
}
