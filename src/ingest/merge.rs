//! Merging: a dataset's staged exports become its lake partitions and its rejects table, a month at a
//! time.
//!
//! For each key the rows of the newest export holding it win. The keys more than one export holds
//! are found once (`sql/ingest/conflicts.sql`, a grouped count over the staged keys — no window, no
//! sort of the history); each month then takes its rows from the staged exports
//! (`sql/ingest/merge.sql`), less those a newer export supersedes, sorted by time, streamed into one
//! Parquet object — several months at once. When the exports only grew (new files, nothing changed
//! or removed), only the months the new files hold, and the months of keys they share with other
//! exports, are written again: every other month keeps its object, byte for byte; then only the
//! keys of the new exports and of those months are grouped (`sql/ingest/conflicts_touched.sql`),
//! not the whole history's. Partitions no export produces any more are deleted after the new ones
//! are in place.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::datasource::MemTable;
use datafusion::error::DataFusionError;
use datafusion::prelude::{ParquetReadOptions, SessionContext, col};
use datafusion::scalar::ScalarValue;
use futures::{StreamExt, TryStreamExt};

use super::IngestError;
use super::plan::{DatasetPlan, FileStatus};
use super::stage::{self, EXPORT_ORDER, KEY, StageStats};
use crate::datasets::{Dataset, SOURCE_FILE, SOURCE_LINE};
use crate::lake::records::DatasetEntry;
use crate::lake::{Lake, layout};
use crate::sql::Params;

const CONFLICTS_SQL: (&str, &str) = ("sql/ingest/conflicts.sql", include_str!("../../sql/ingest/conflicts.sql"));
const CONFLICTS_TOUCHED_SQL: (&str, &str) =
    ("sql/ingest/conflicts_touched.sql", include_str!("../../sql/ingest/conflicts_touched.sql"));
const MERGE_SQL: (&str, &str) = ("sql/ingest/merge.sql", include_str!("../../sql/ingest/merge.sql"));
const REFERENCE_SQL: (&str, &str) =
    ("sql/ingest/merge_reference.sql", include_str!("../../sql/ingest/merge_reference.sql"));
const REJECTS_SQL: (&str, &str) = ("sql/ingest/rejects.sql", include_str!("../../sql/ingest/rejects.sql"));

/// What a rebuild left in the lake.
#[derive(Debug, Default)]
pub struct Merged {
    pub rows: u64,
    pub months: Vec<String>,
    /// Rows in the lake per export (display path) and month (`""` for a reference dataset).
    pub written_by_file: BTreeMap<String, BTreeMap<String, u64>>,
    /// Every object of the dataset → its SHA-256.
    pub objects: BTreeMap<String, String>,
    /// The objects written this time (the others were kept).
    pub rewritten: usize,
}

/// Rebuilds a dataset's partitions from its staged exports (`stats`: what staging each produced, by
/// staging id), `parallelism` months at once; `known`: the dataset as the lake holds it.
pub async fn rebuild(
    ctx: &SessionContext,
    lake: &Lake,
    plan: &DatasetPlan,
    stats: &BTreeMap<String, StageStats>,
    known: &DatasetEntry,
    parallelism: usize,
) -> Result<Merged, IngestError> {
    let dataset = plan.dataset;
    let engine = |sql: &str| {
        let sql = sql.to_string();
        move |source: DataFusionError| IngestError::Engine { dataset: dataset.name, sql_file: sql, source }
    };
    let mut merged = Merged::default();
    let row_urls: Vec<String> =
        plan.files.iter().map(|f| lake.url(&layout::staging_rows(dataset.name, &f.staging_id))).collect();
    let mut written = BTreeSet::new();
    if !row_urls.is_empty() {
        let schema = stage::staged_schema(dataset);
        let options = ParquetReadOptions::default().schema(&schema);
        let staged = ctx.read_parquet(row_urls, options).await.map_err(engine(MERGE_SQL.0))?;
        ctx.register_table("staged", staged.into_view()).map_err(engine(MERGE_SQL.0))?;
        let result = write_partitions(ctx, lake, plan, stats, known, parallelism, &mut merged, &mut written).await;
        ctx.deregister_table("staged").map_err(engine(MERGE_SQL.0))?;
        ctx.deregister_table("winners").map_err(engine(MERGE_SQL.0))?;
        result?;
    }

    // Partitions no export produces any more.
    for stale in lake.list(&layout::data_dir(dataset.name)).await? {
        if !written.contains(&stale) {
            lake.delete(&stale).await?;
        }
    }

    let reject_urls: Vec<String> =
        plan.files.iter().map(|f| lake.url(&layout::staging_rejects(dataset.name, &f.staging_id))).collect();
    if reject_urls.is_empty() {
        lake.delete(&layout::rejects(dataset.name)).await?;
    } else {
        let schema = stage::rejects_schema();
        let options = ParquetReadOptions::default().schema(&schema);
        let staged = ctx.read_parquet(reject_urls, options).await.map_err(engine(REJECTS_SQL.0))?;
        ctx.register_table("staged_rejects", staged.into_view()).map_err(engine(REJECTS_SQL.0))?;
        let result = async {
            let mut stream = ctx
                .sql(REJECTS_SQL.1)
                .await
                .map_err(engine(REJECTS_SQL.0))?
                .execute_stream()
                .await
                .map_err(engine(REJECTS_SQL.0))?;
            let mut sink = lake.parquet_sink(&layout::rejects(dataset.name), stage::rejects_schema())?;
            while let Some(batch) = stream.next().await {
                sink.write(&batch.map_err(engine(REJECTS_SQL.0))?).await?;
            }
            sink.finish().await?;
            Ok::<(), IngestError>(())
        }
        .await;
        ctx.deregister_table("staged_rejects").map_err(engine(REJECTS_SQL.0))?;
        result?;
    }
    Ok(merged)
}

/// The month partitions (or the one reference object): those to write again, computed and streamed;
/// the others kept with what the manifest knows of them.
#[allow(clippy::too_many_arguments)]
async fn write_partitions(
    ctx: &SessionContext,
    lake: &Lake,
    plan: &DatasetPlan,
    stats: &BTreeMap<String, StageStats>,
    known: &DatasetEntry,
    parallelism: usize,
    merged: &mut Merged,
    written: &mut BTreeSet<String>,
) -> Result<(), IngestError> {
    let dataset = plan.dataset;
    let engine = |sql: &'static str| {
        move |source: DataFusionError| IngestError::Engine { dataset: dataset.name, sql_file: sql.to_string(), source }
    };
    if dataset.partition_by.is_none() {
        register_winners(ctx, dataset, CONFLICTS_SQL.0, all_conflicts(ctx, plan, dataset).await?)?;
        let df = ctx.sql(REFERENCE_SQL.1).await.map_err(engine(REFERENCE_SQL.0))?;
        let path = layout::data_reference(dataset.name);
        let (rows, by_file) = write_object(lake, dataset, df, &path, engine(REFERENCE_SQL.0)).await?;
        merged.rows += rows;
        merged.rewritten += 1;
        if let Some(sha256) = lake.sha256(&path).await? {
            merged.objects.insert(path.clone(), sha256);
        }
        for (file, n) in by_file {
            merged.written_by_file.entry(file).or_default().insert(String::new(), n);
        }
        written.insert(path);
        return Ok(());
    }

    // Every month the exports hold, and those to write again.
    let mut months: BTreeSet<String> = BTreeSet::new();
    for file in &plan.files {
        months.extend(stats.get(&file.staging_id).into_iter().flat_map(|s| s.months.keys().cloned()));
    }
    let grew_only = plan.removed.is_empty()
        && plan.files.iter().all(|f| matches!(f.status, FileStatus::New | FileStatus::Unchanged))
        && !known.objects.is_empty();
    let mut to_write: BTreeSet<String> = match grew_only {
        false => months.clone(),
        true => plan
            .files
            .iter()
            .filter(|f| f.status == FileStatus::New)
            .flat_map(|f| stats.get(&f.staging_id).into_iter().flat_map(|s| s.months.keys().cloned()))
            .collect(),
    };
    if grew_only {
        // Only the keys the new exports hold and those of the months written again are grouped;
        // a month a conflicting key's rows are in is written again too, until no month is added.
        let touched = engine(CONFLICTS_TOUCHED_SQL.0);
        let new_orders = plan.files.iter().filter(|f| f.status == FileStatus::New).map(|f| f.export_order.clone());
        register_strings(ctx, "touched_exports", EXPORT_ORDER, new_orders).map_err(touched)?;
        let result = async {
            loop {
                register_strings(ctx, "touched_months", stage::MONTH, to_write.iter().cloned()).map_err(touched)?;
                let sql = ctx.sql(CONFLICTS_TOUCHED_SQL.1).await.map_err(touched)?;
                let conflicted =
                    register_winners(ctx, dataset, CONFLICTS_TOUCHED_SQL.0, sql.collect().await.map_err(touched)?)?;
                if !conflicted {
                    return Ok::<(), IngestError>(());
                }
                let sql = "SELECT DISTINCT s._month FROM staged AS s JOIN winners AS w ON w._key = s._key";
                let batches = ctx.sql(sql).await.map_err(touched)?.collect().await;
                let before = to_write.len();
                for batch in batches.map_err(touched)? {
                    let column = batch.column(0).as_string::<i32>();
                    to_write
                        .extend((0..column.len()).filter(|i| column.is_valid(*i)).map(|i| column.value(i).to_string()));
                }
                if to_write.len() == before {
                    return Ok(());
                }
            }
        }
        .await;
        for table in ["touched_exports", "touched_months"] {
            ctx.deregister_table(table).map_err(touched)?;
        }
        result?;
    } else {
        register_winners(ctx, dataset, CONFLICTS_SQL.0, all_conflicts(ctx, plan, dataset).await?)?;
    }
    // Months kept as they are: their objects and counts as the manifest has them.
    for month in months.iter().filter(|m| !to_write.contains(*m)) {
        let path = layout::data_month(dataset.name, month);
        let Some(sha256) = known.objects.get(&path) else { continue };
        merged.objects.insert(path.clone(), sha256.clone());
        for file in &known.files {
            if let Some(n) = file.months.get(month) {
                merged.written_by_file.entry(file.path.clone()).or_default().insert(month.clone(), *n);
                merged.rows += n;
            }
        }
        written.insert(path);
    }
    let jobs = to_write.iter().map(|month| async move {
        tracing::debug!(month = %month, "Merging month");
        let mut params = Params::default();
        params.set("month", ScalarValue::Utf8(Some(month.clone())));
        let df = ctx
            .sql(MERGE_SQL.1)
            .await
            .and_then(|df| df.with_param_values(params.values()))
            .map_err(engine(MERGE_SQL.0))?;
        let path = layout::data_month(dataset.name, month);
        let (rows, by_file) = write_object(lake, dataset, df, &path, engine(MERGE_SQL.0)).await?;
        let sha256 = lake.sha256(&path).await?;
        Ok::<_, IngestError>((month, path, rows, by_file, sha256))
    });
    let results: Vec<_> = futures::stream::iter(jobs).buffer_unordered(parallelism.max(1)).try_collect().await?;
    for (month, path, rows, by_file, sha256) in results {
        if rows == 0 {
            lake.delete(&path).await?;
            continue;
        }
        merged.rows += rows;
        merged.rewritten += 1;
        if let Some(sha256) = sha256 {
            merged.objects.insert(path.clone(), sha256);
        }
        for (file, n) in by_file {
            merged.written_by_file.entry(file).or_default().insert(month.clone(), n);
        }
        written.insert(path);
    }
    merged.months = months.into_iter().filter(|m| written.contains(&layout::data_month(dataset.name, m))).collect();
    Ok(())
}

/// The keys several exports hold, over every staged row (conflicts.sql).
async fn all_conflicts(
    ctx: &SessionContext,
    plan: &DatasetPlan,
    dataset: &'static Dataset,
) -> Result<Vec<RecordBatch>, IngestError> {
    let engine = |source| IngestError::Engine { dataset: dataset.name, sql_file: CONFLICTS_SQL.0.into(), source };
    if plan.files.len() < 2 {
        return Ok(Vec::new());
    }
    tracing::debug!(exports = plan.files.len(), "Finding the keys several exports hold");
    ctx.sql(CONFLICTS_SQL.1).await.map_err(engine)?.collect().await.map_err(engine)
}

/// Registers the conflicting keys `sql_file` found as the table `winners` (in place of any before);
/// whether there are any.
fn register_winners(
    ctx: &SessionContext,
    dataset: &'static Dataset,
    sql_file: &str,
    batches: Vec<RecordBatch>,
) -> Result<bool, IngestError> {
    let engine = |source| IngestError::Engine { dataset: dataset.name, sql_file: sql_file.into(), source };
    let schema = Arc::new(Schema::new(vec![
        Field::new(KEY, DataType::Utf8, false),
        Field::new("_newest", DataType::Utf8, true),
    ]));
    let conflicted = batches.iter().map(RecordBatch::num_rows).sum::<usize>() > 0;
    let batches = batches
        .into_iter()
        .map(|b| RecordBatch::try_new(schema.clone(), b.columns().to_vec()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| engine(e.into()))?;
    let table = MemTable::try_new(schema, vec![batches]).map_err(engine)?;
    ctx.deregister_table("winners").map_err(engine)?;
    ctx.register_table("winners", Arc::new(table)).map_err(engine)?;
    Ok(conflicted)
}

/// Registers `values` as a one-column table (in place of any before).
fn register_strings(
    ctx: &SessionContext,
    table: &str,
    column: &str,
    values: impl Iterator<Item = String>,
) -> Result<(), DataFusionError> {
    let schema = Arc::new(Schema::new(vec![Field::new(column, DataType::Utf8, false)]));
    let values: Vec<String> = values.collect();
    let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(StringArray::from(values))])?;
    ctx.deregister_table(table)?;
    ctx.register_table(table, Arc::new(MemTable::try_new(schema, vec![vec![batch]])?))?;
    Ok(())
}

/// Streams `df`'s rows, sorted by the dataset's time (then export and line), into the object at
/// `path`; returns the rows written, per export.
async fn write_object(
    lake: &Lake,
    dataset: &'static Dataset,
    df: datafusion::dataframe::DataFrame,
    path: &str,
    engine: impl Fn(DataFusionError) -> IngestError + Copy,
) -> Result<(u64, BTreeMap<String, u64>), IngestError> {
    let mut order = Vec::new();
    if let Some(time) = dataset.partition_by {
        order.push(col(time).sort(true, true));
    }
    order.extend([col(EXPORT_ORDER).sort(true, true), col(SOURCE_LINE).sort(true, true)]);
    let lake_schema = dataset.lake_schema();
    let keep: Vec<usize> = (0..lake_schema.fields().len()).collect();
    let mut stream = df.sort(order).map_err(engine)?.execute_stream().await.map_err(engine)?;
    let mut sink = lake.parquet_sink(path, lake_schema.clone())?;
    let (mut rows, mut by_file) = (0u64, BTreeMap::new());
    while let Some(batch) = stream.next().await {
        let batch = batch.map_err(engine)?;
        let files = batch.column_by_name(SOURCE_FILE).map(|c| c.as_string::<i32>().clone());
        if let Some(files) = &files {
            let mut run_start = 0;
            for i in 1..=files.len() {
                if i == files.len() || files.value(i) != files.value(run_start) {
                    *by_file.entry(files.value(run_start).to_string()).or_default() += (i - run_start) as u64;
                    run_start = i;
                }
            }
        }
        let slice = batch.project(&keep).map_err(|e| engine(e.into()))?;
        let slice =
            RecordBatch::try_new(lake_schema.clone(), slice.columns().to_vec()).map_err(|e| engine(e.into()))?;
        rows += slice.num_rows() as u64;
        sink.write(&slice).await?;
    }
    sink.finish().await?;
    Ok((rows, by_file))
}
