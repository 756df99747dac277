//! Merging: a dataset's staged exports become its lake partitions and its rejects table.
//!
//! The de-duplication is `sql/ingest/merge.sql`, run by DataFusion over the staged Parquet; its
//! sorted output streams into one Parquet object per month, so memory stays bounded whatever the
//! data size. Partitions no longer produced are deleted after the new ones are in place.

use std::collections::{BTreeMap, BTreeSet};

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::error::DataFusionError;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use futures::StreamExt;

use super::IngestError;
use super::plan::DatasetPlan;
use super::stage::{self, MONTH};
use crate::datasets::{Dataset, SOURCE_FILE};
use crate::lake::{Lake, ParquetSink, layout};

const MERGE_SQL: (&str, &str) = ("sql/ingest/merge.sql", include_str!("../../sql/ingest/merge.sql"));
const REJECTS_SQL: (&str, &str) = ("sql/ingest/rejects.sql", include_str!("../../sql/ingest/rejects.sql"));

/// What a rebuild wrote.
#[derive(Debug, Default)]
pub struct Merged {
    pub rows: u64,
    pub months: Vec<String>,
    /// Rows written per export (display path).
    pub written_by_file: BTreeMap<String, u64>,
    /// The months each export's rows landed in.
    pub months_by_file: BTreeMap<String, BTreeSet<String>>,
    /// Every object written → its SHA-256.
    pub objects: BTreeMap<String, String>,
}

pub async fn rebuild(ctx: &SessionContext, lake: &Lake, plan: &DatasetPlan) -> Result<Merged, IngestError> {
    let dataset = plan.dataset;
    let engine = |sql: &str| {
        let sql = sql.to_string();
        move |source: DataFusionError| IngestError::Engine { dataset: dataset.name, sql_file: sql, source }
    };
    let mut merged = Merged::default();
    let mut written = BTreeSet::new();

    let row_urls: Vec<String> =
        plan.files.iter().map(|f| lake.url(&layout::staging_rows(dataset.name, &f.staging_id))).collect();
    if !row_urls.is_empty() {
        let schema = stage::staged_schema(dataset);
        let options = ParquetReadOptions::default().schema(&schema);
        let staged = ctx.read_parquet(row_urls, options).await.map_err(engine(MERGE_SQL.0))?;
        ctx.register_table("staged", staged.into_view()).map_err(engine(MERGE_SQL.0))?;
        let result = write_partitions(ctx, lake, dataset, &mut merged, &mut written).await;
        ctx.deregister_table("staged").map_err(engine(MERGE_SQL.0))?;
        result?;
    }

    // Partitions no export produces any more.
    for stale in lake.list(&layout::data_dir(dataset.name)).await? {
        if !written.contains(&stale) {
            lake.delete(&stale).await?;
        }
    }
    for path in written {
        if let Some(sha256) = lake.sha256(&path).await? {
            merged.objects.insert(path, sha256);
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

async fn write_partitions(
    ctx: &SessionContext,
    lake: &Lake,
    dataset: &'static Dataset,
    merged: &mut Merged,
    written: &mut BTreeSet<String>,
) -> Result<(), IngestError> {
    let engine = |source: DataFusionError| IngestError::Engine {
        dataset: dataset.name,
        sql_file: MERGE_SQL.0.to_string(),
        source,
    };
    let mut stream = ctx.sql(MERGE_SQL.1).await.map_err(engine)?.execute_stream().await.map_err(engine)?;
    let lake_schema = dataset.lake_schema();
    let keep: Vec<usize> = (0..lake_schema.fields().len()).collect();
    let mut current: Option<(Option<String>, ParquetSink)> = None;

    while let Some(batch) = stream.next().await {
        let batch = batch.map_err(engine)?;
        let months = column_strings(&batch, MONTH);
        let files = column_strings(&batch, SOURCE_FILE);
        for file in files.iter().flatten() {
            *merged.written_by_file.entry(file.clone()).or_default() += 1;
        }
        // Runs of equal month: the input is sorted by month.
        let mut start = 0;
        while start < batch.num_rows() {
            let month = months[start].clone();
            let mut end = start + 1;
            while end < batch.num_rows() && months[end] == month {
                end += 1;
            }
            if current.as_ref().is_none_or(|(m, _)| *m != month) {
                if let Some((_, sink)) = current.take() {
                    sink.finish().await?;
                }
                let path = match &month {
                    Some(m) => {
                        merged.months.push(m.clone());
                        layout::data_month(dataset.name, m)
                    }
                    None => layout::data_reference(dataset.name),
                };
                written.insert(path.clone());
                current = Some((month.clone(), lake.parquet_sink(&path, lake_schema.clone())?));
            }
            if let Some(m) = &month {
                for file in files[start..end].iter().flatten() {
                    if !merged.months_by_file.get(file).is_some_and(|ms| ms.contains(m)) {
                        merged.months_by_file.entry(file.clone()).or_default().insert(m.clone());
                    }
                }
            }
            let slice = batch.slice(start, end - start).project(&keep).map_err(|e| engine(e.into()))?;
            let slice =
                RecordBatch::try_new(lake_schema.clone(), slice.columns().to_vec()).map_err(|e| engine(e.into()))?;
            if let Some((_, sink)) = current.as_mut() {
                sink.write(&slice).await?;
            }
            merged.rows += (end - start) as u64;
            start = end;
        }
    }
    if let Some((_, sink)) = current.take() {
        sink.finish().await?;
    }
    Ok(())
}

fn column_strings(batch: &RecordBatch, name: &str) -> Vec<Option<String>> {
    match batch.column_by_name(name).and_then(|c| c.as_string_opt::<i32>()) {
        Some(array) => (0..array.len()).map(|i| array.is_valid(i).then(|| array.value(i).to_string())).collect(),
        None => vec![None; batch.num_rows()],
    }
}
