//! The DataFusion session every stage runs its SQL in: memory limit, spill folder, partitions, and
//! the lake's object store registered so `file://`, `memory://` and `s3://` lake URLs resolve.
//! `register_datasets` makes every lake dataset a table named after it; partitioned datasets get a
//! `month` column (`YYYY-MM`, company timezone) that prunes whole partitions when filtered on.
//! `period_params` gives SQL files a period's bounds as named parameters; `register_functions` adds
//! `local_date(ts)`, the calendar date of an instant in the company timezone.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use datafusion::arrow::array::{
    Array, ArrayRef, Date32Array, RecordBatch, StringArray, TimestampMicrosecondArray, new_empty_array,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use datafusion::datasource::MemTable;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::error::DataFusionError;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility};
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion::scalar::ScalarValue;

use crate::config::Engine;
use crate::datasets::DATASETS;
use crate::ingest::data_dir;
use crate::lake::{Lake, LakeError};
use crate::period::Period;
use crate::sql::Params;

/// The partition column of partitioned datasets.
pub const MONTH: &str = "month";

pub fn session(engine: &Engine, lake: &Lake) -> Result<SessionContext, DataFusionError> {
    let mut runtime = RuntimeEnvBuilder::new().with_memory_limit(engine.memory_limit_bytes as usize, 1.0);
    if let Some(dir) = &engine.spill_dir {
        runtime = runtime.with_temp_file_path(dir);
    }
    let mut config =
        SessionConfig::new().with_target_partitions(engine.target_partitions).with_information_schema(false);
    // Strings stay `Utf8` as the data contract declares them: with view types forced, a table whose
    // declared schema says `Utf8` can meet a `Utf8View` column at run time (the exclusion ledger), and
    // `CAST(… AS VARCHAR)` in SQL files means `Utf8`.
    config.options_mut().execution.parquet.schema_force_view_types = false;
    config.options_mut().sql_parser.map_string_types_to_utf8view = false;
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

/// Adds the SQL functions kpi-close's files use beyond DataFusion's own: `local_date(ts)`.
pub fn register_functions(ctx: &SessionContext, tz: Tz) {
    ctx.register_udf(ScalarUDF::from(LocalDate::new(tz)));
}

/// `local_date(ts)`: the calendar date of a UTC instant in the company timezone.
#[derive(Debug, PartialEq, Eq, Hash)]
struct LocalDate {
    tz: Tz,
    signature: Signature,
}

impl LocalDate {
    fn new(tz: Tz) -> LocalDate {
        let utc = DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into()));
        LocalDate { tz, signature: Signature::exact(vec![utc], Volatility::Immutable) }
    }
}

impl ScalarUDFImpl for LocalDate {
    fn name(&self) -> &str {
        "local_date"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType, DataFusionError> {
        Ok(DataType::Date32)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue, DataFusionError> {
        let input = args.args[0].to_array(args.number_rows)?;
        let Some(instants) = input.as_any().downcast_ref::<TimestampMicrosecondArray>() else {
            return Ok(ColumnarValue::Array(new_empty_array(&DataType::Date32)));
        };
        let dates: Date32Array = instants
            .iter()
            .map(|micros| {
                let instant = DateTime::<Utc>::from_timestamp_micros(micros?)?;
                Some(days_since_epoch(instant.with_timezone(&self.tz).date_naive()))
            })
            .collect();
        Ok(ColumnarValue::Array(Arc::new(dates)))
    }
}

fn days_since_epoch(date: NaiveDate) -> i32 {
    (date - NaiveDate::from_ymd_opt(1970, 1, 1).unwrap_or(NaiveDate::MIN)).num_days() as i32
}

/// The named parameters every SQL file may use for a period, all in the company timezone:
///
/// | name | value |
/// |---|---|
/// | `$start_at`, `$end_at` | the period's first instant and the next period's first instant (UTC) |
/// | `$start_date`, `$end_date` | the period's first day and the next period's first day |
/// | `$month_from`, `$month_to` | the month partitions spanned: first inclusive, last exclusive |
/// | `$prev_*`, `$yoy_*` | the same four pairs for the previous period and the period a year earlier |
/// | `$ttm_start_at`, `$ttm_month_from` | start of the 12 months ending with the period |
/// | `$prior_ttm_start_at`, `$prior_ttm_month_from` | start of the 12 months before those |
pub fn period_params(period: Period, tz: Tz) -> Params {
    let instant = |t: DateTime<Utc>| ScalarValue::TimestampMicrosecond(Some(t.timestamp_micros()), Some("UTC".into()));
    let date = |d: NaiveDate| ScalarValue::Date32(Some(days_since_epoch(d)));
    let text = |s: String| ScalarValue::Utf8(Some(s));
    let mut params = Params::default();
    for (prefix, p) in [("", period), ("prev_", period.previous()), ("yoy_", period.year_ago())] {
        let (start, end) = p.bounds(tz);
        let (first_day, next_day) = p.dates();
        let (month_from, month_to) = p.partition_range();
        params
            .set(&format!("{prefix}start_at"), instant(start))
            .set(&format!("{prefix}end_at"), instant(end))
            .set(&format!("{prefix}start_date"), date(first_day))
            .set(&format!("{prefix}end_date"), date(next_day))
            .set(&format!("{prefix}month_from"), text(month_from))
            .set(&format!("{prefix}month_to"), text(month_to));
    }
    for (prefix, months_back) in [("ttm_", 11), ("prior_ttm_", 23)] {
        let first = period.last_month_minus(months_back);
        params
            .set(&format!("{prefix}start_at"), instant(first.bounds(tz).0))
            .set(&format!("{prefix}month_from"), text(first.to_string()));
    }
    params
}

/// Where the audit's exclusion ledger lives in the lake.
pub const EXCLUSIONS_DIR: &str = "exclusions";

/// The columns of the exclusion ledger (SPEC §11).
pub fn exclusions_schema() -> Arc<Schema> {
    let text = |name: &str, nullable| Field::new(name, DataType::Utf8, nullable);
    Arc::new(Schema::new(vec![
        text("dataset", false),
        text("record_key", false),
        text("period", true),
        text("rule_id", false),
        text("rule_version", false),
        text("detail", true),
    ]))
}

/// Which rows the audited (`aud_*`) views keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Before audit: an empty exclusion ledger, so `aud_*` equals `stg_*`.
    Gross,
    /// After audit: the ledger in the lake (empty until the audit has written one).
    Net,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Gross => "gross",
            Scope::Net => "net",
        }
    }
}

/// Whether the audit has written an exclusion ledger to the lake.
pub async fn has_ledger(lake: &Lake) -> Result<bool, LakeError> {
    Ok(lake.list(EXCLUSIONS_DIR).await?.iter().any(|p| p.ends_with(".parquet")))
}

/// Registers `exclusions` for a scope.
pub async fn register_exclusions(ctx: &SessionContext, lake: &Lake, scope: Scope) -> Result<(), DataFusionError> {
    let schema = exclusions_schema();
    let has_ledger = match scope {
        Scope::Gross => false,
        Scope::Net => has_ledger(lake).await.map_err(|e| DataFusionError::External(Box::new(e)))?,
    };
    ctx.deregister_table("exclusions")?;
    if has_ledger {
        let url = ListingTableUrl::parse(lake.url(&format!("{EXCLUSIONS_DIR}/")))?;
        let options = ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
        let config = ListingTableConfig::new(url).with_listing_options(options).with_schema(schema);
        ctx.register_table("exclusions", Arc::new(ListingTable::try_new(config)?))?;
    } else {
        ctx.register_table("exclusions", Arc::new(MemTable::try_new(schema, vec![vec![]])?))?;
    }
    Ok(())
}
