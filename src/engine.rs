//! The DataFusion session every stage runs its SQL in: memory limit, spill folder, partitions, and
//! the lake's object store registered so `file://`, `memory://` and `s3://` lake URLs resolve.
//! `register_datasets` makes every lake dataset a table named after it; partitioned datasets get a
//! `month` column (`YYYY-MM`, company timezone) that prunes whole partitions when filtered on.

use std::sync::Arc;

use chrono_tz::Tz;
use datafusion::arrow::array::{ArrayRef, RecordBatch, StringArray, TimestampMicrosecondArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use datafusion::datasource::MemTable;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::error::DataFusionError;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::config::Engine;
use crate::datasets::DATASETS;
use crate::ingest::data_dir;
use crate::lake::Lake;
use crate::period::Period;

/// The partition column of partitioned datasets.
pub const MONTH: &str = "month";

pub fn session(engine: &Engine, lake: &Lake) -> Result<SessionContext, DataFusionError> {
    let mut runtime = RuntimeEnvBuilder::new().with_memory_limit(engine.memory_limit_bytes as usize, 1.0);
    if let Some(dir) = &engine.spill_dir {
        runtime = runtime.with_temp_file_path(dir);
    }
    let config = SessionConfig::new().with_target_partitions(engine.target_partitions).with_information_schema(false);
    let ctx = SessionContext::new_with_config_rt(config, runtime.build_arc()?);
    lake.register(&ctx);
    Ok(ctx)
}

/// Registers every dataset of the data contract as a table over the lake's `data/` folder. A dataset
/// with no files yet is an empty table with the contract's schema.
pub fn register_datasets(ctx: &SessionContext, lake: &Lake) -> Result<(), DataFusionError> {
    for dataset in DATASETS {
        let url = ListingTableUrl::parse(lake.url(&data_dir(dataset.name)))?;
        let mut options = ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
        if dataset.partition_by.is_some() {
            options = options.with_table_partition_cols(vec![(MONTH.to_string(), DataType::Utf8)]);
        }
        let config = ListingTableConfig::new(url).with_listing_options(options).with_schema(dataset.lake_schema());
        ctx.register_table(dataset.name, Arc::new(ListingTable::try_new(config)?))?;
    }
    Ok(())
}

/// The name of the one-row table SQL files read their period from.
pub const REPORTING_PERIOD: &str = "reporting_period";

/// Registers (or replaces) `reporting_period`: one row describing the period being computed, its
/// previous period and the same period a year earlier, as instants (`*_start_at` inclusive,
/// `*_end_at` exclusive, UTC) and as month-partition bounds (`month_from` inclusive, `month_to`
/// exclusive), so one SQL file serves months, quarters, half-years and years.
pub fn register_reporting_period(ctx: &SessionContext, period: Period, tz: Tz) -> Result<(), DataFusionError> {
    let ts = || DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
    let text = |name: &str| Field::new(name, DataType::Utf8, false);
    let instant = |name: &str| Field::new(name, ts(), false);
    let schema = Arc::new(Schema::new(vec![
        text("period"),
        text("period_kind"),
        text("timezone"),
        instant("start_at"),
        instant("end_at"),
        text("month_from"),
        text("month_to"),
        text("prev_period"),
        instant("prev_start_at"),
        instant("prev_end_at"),
        text("yoy_period"),
        instant("yoy_start_at"),
        instant("yoy_end_at"),
    ]));
    let one_text = |v: String| Arc::new(StringArray::from(vec![v])) as ArrayRef;
    let one_instant = |t: chrono::DateTime<chrono::Utc>| {
        Arc::new(TimestampMicrosecondArray::from(vec![t.timestamp_micros()]).with_timezone("UTC")) as ArrayRef
    };
    let (start, end) = period.bounds(tz);
    let (month_from, month_to) = period.partition_range();
    let (previous, year_ago) = (period.previous(), period.year_ago());
    let (prev_start, prev_end) = previous.bounds(tz);
    let (yoy_start, yoy_end) = year_ago.bounds(tz);
    let columns = vec![
        one_text(period.to_string()),
        one_text(period.kind().as_str().to_string()),
        one_text(tz.name().to_string()),
        one_instant(start),
        one_instant(end),
        one_text(month_from),
        one_text(month_to),
        one_text(previous.to_string()),
        one_instant(prev_start),
        one_instant(prev_end),
        one_text(year_ago.to_string()),
        one_instant(yoy_start),
        one_instant(yoy_end),
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns)?;
    let table = MemTable::try_new(schema, vec![vec![batch]])?;
    ctx.deregister_table(REPORTING_PERIOD)?;
    ctx.register_table(REPORTING_PERIOD, Arc::new(table))?;
    Ok(())
}
