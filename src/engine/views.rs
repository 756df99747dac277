//! What a stage asks the engine for: a session with the lake's datasets, `local_date`, the exclusion
//! ledger of a scope and the SQL layer's views — `sql/stg/` (typed rows with their attribution) and
//! `sql/aud/` (staging minus what the ledger lists) — and the named parameters of a period. Stages
//! never register views or format values into SQL themselves: a period reaches SQL only as
//! parameters.
//!
//! `materialize` is the one way to compute a view once into a scratch Parquet file, when many
//! queries of a stage would otherwise each recompute it and it is too large to keep in memory.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;
use datafusion::arrow::array::RecordBatch;
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::error::DataFusionError;
use datafusion::prelude::{DataFrame, ParquetReadOptions, SessionContext};
use datafusion::scalar::ScalarValue;

use super::Reads;
use super::{AsOf, Scope, Scratch, days_since_epoch};
use crate::config::Config;
use crate::lake::{Lake, LakeError};
use crate::period::Period;
use crate::sql::{self, Params, SqlError, SqlFile};

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error(transparent)]
    Sql(#[from] SqlError),
    #[error("the engine failed: {0}")]
    Engine(#[from] DataFusionError),
    #[error(transparent)]
    Lake(#[from] LakeError),
    #[error("the query failed: {0}")]
    Query(#[source] DataFusionError),
}

/// How a session holds the staging files marked `-- materialize:` (lookups over all history that
/// many queries read, such as the customers' owners).
#[derive(Debug, Clone)]
pub enum Lookups {
    /// Views like the others: nothing runs until a query reads them (`validate`, `query`, the stages
    /// that read only the output tables).
    Views,
    /// Computed once, here, and kept in memory: for the stages that run many queries over the
    /// staging views (the indicators, the audit rules).
    Computed,
    /// Computed once, with the lake objects they read recorded (the indicators of a period).
    Recorded(Reads),
}

/// Settings every SQL file may read as parameters, besides the period's bounds: `$company_id`,
/// `$currency`, `$margin_rate`, `$max_lifetime_years`.
pub fn settings(config: &Config) -> Params {
    let margin = config.kpis.margin_rate;
    Params::default()
        .with("company_id", ScalarValue::Utf8(Some(config.company.id.clone())))
        .with("currency", ScalarValue::Utf8(Some(config.company.currency.clone())))
        .with("margin_rate", ScalarValue::Decimal128(Some(margin.mantissa()), 38, margin.scale() as i8))
        .with("max_lifetime_years", ScalarValue::Float64(Some(config.kpis.max_lifetime_years)))
}

/// Everything an indicator file may read for `period`: its bounds (`period_params`) and the
/// settings.
pub fn params(config: &Config, period: Period) -> Params {
    let mut params = period_params(period, config.company.timezone);
    params.extend(&settings(config));
    params
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
    let (instant, date) = (instant_value, date_value);
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

/// An instant as a SQL parameter (`Timestamp(µs, "UTC")`, as the lake stores them).
pub fn instant_value(t: DateTime<Utc>) -> ScalarValue {
    ScalarValue::TimestampMicrosecond(Some(t.timestamp_micros()), Some("UTC".into()))
}

/// A calendar date as a SQL parameter (`Date32`).
pub fn date_value(d: NaiveDate) -> ScalarValue {
    ScalarValue::Date32(Some(days_since_epoch(d)))
}

/// A session with the lake's datasets, `local_date`, the exclusion ledger for `scope` and the
/// staging and audited views, in this process, all as of `as_of`.
pub async fn session(
    config: &Config,
    lake: &Lake,
    scope: Scope,
    lookups: Lookups,
    as_of: AsOf,
) -> Result<SessionContext, EngineError> {
    let ctx = super::context(&config.engine, lake)?;
    super::register_functions(&ctx, config.company.timezone);
    with_views(ctx, config, lake, scope, lookups, as_of).await
}

/// Where the indicator files run: `session`, or — with `engine.ballista` — the same tables and views
/// on a Ballista cluster.
pub async fn indicator_session(
    config: &Config,
    lake: &Lake,
    scope: Scope,
    lookups: Lookups,
    as_of: AsOf,
) -> Result<SessionContext, EngineError> {
    let Some(endpoint) = &config.engine.ballista else { return session(config, lake, scope, lookups, as_of).await };
    let local = super::context(&config.engine, lake)?;
    super::register_functions(&local, config.company.timezone);
    let ctx = super::ballista_session(endpoint, &local).await?;
    // The client plans too: Ballista's session starts from the default functions.
    super::register_functions(&ctx, config.company.timezone);
    tracing::info!(%endpoint, scope = scope.as_str(), "Indicator SQL runs on Ballista");
    // An in-memory table cannot be shipped to the cluster: every view stays a view there.
    with_views(ctx, config, lake, scope, Lookups::Views, as_of).await
}

/// Registers the lake's datasets, the exclusion ledger for `scope` and the staging and audited views,
/// all as of `as_of`.
async fn with_views(
    ctx: SessionContext,
    config: &Config,
    lake: &Lake,
    scope: Scope,
    lookups: Lookups,
    as_of: AsOf,
) -> Result<SessionContext, EngineError> {
    super::register_datasets(&ctx, lake, as_of).await?;
    super::register_exclusions(&ctx, lake, scope, as_of).await?;
    let params = settings(config);
    let (computed, reads) = match &lookups {
        Lookups::Views => (false, None),
        Lookups::Computed => (true, None),
        Lookups::Recorded(reads) => (true, Some(reads)),
    };
    register_views(&ctx, sql::STAGING, &params, computed, reads).await?;
    register_views(&ctx, sql::AUDITED, &params, computed, reads).await?;
    Ok(ctx)
}

/// Registers each file as a view named after it, in order, so later files can read earlier ones.
/// With `materialize`, a file marked so is run here and registered as its result (what it read
/// recorded in `reads`).
pub async fn register_views(
    ctx: &SessionContext,
    files: &[SqlFile],
    params: &Params,
    materialize: bool,
    reads: Option<&Reads>,
) -> Result<(), EngineError> {
    for file in files {
        let df = sql::plan(ctx, file, params).await?;
        let plan_err = |source| SqlError::Plan { file: file.path(), source };
        let view = match materialize && file.materialized() {
            true => {
                let schema = std::sync::Arc::new(df.schema().as_arrow().clone());
                let task = std::sync::Arc::new(df.task_ctx());
                let plan = df.create_physical_plan().await.map_err(|e| SqlError::execute(file, e))?;
                if let Some(reads) = reads {
                    reads.record(&plan);
                }
                let partitions = datafusion::physical_plan::collect_partitioned(plan, task)
                    .await
                    .map_err(|e| SqlError::execute(file, e))?;
                let table = datafusion::datasource::MemTable::try_new(schema, partitions).map_err(plan_err)?;
                ctx.read_table(std::sync::Arc::new(table)).map_err(plan_err)?.into_view()
            }
            false => df.into_view(),
        };
        ctx.deregister_table(file.name).map_err(plan_err)?;
        ctx.register_table(file.name, view).map_err(plan_err)?;
    }
    Ok(())
}

/// The session of an ad-hoc query (the `query` command): where the indicators run, every view lazy.
pub async fn query_session(config: &Config, lake: &Lake, scope: Scope) -> Result<SessionContext, EngineError> {
    indicator_session(config, lake, scope, Lookups::Views, AsOf::NOW).await
}

/// Runs an ad-hoc query in `ctx`; statements other than queries are refused.
pub async fn run_query(ctx: &SessionContext, text: &str) -> Result<Vec<RecordBatch>, EngineError> {
    let options = datafusion::execution::context::SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false);
    let df = ctx.sql_with_options(text, options).await.map_err(EngineError::Query)?;
    df.collect().await.map_err(EngineError::Query)
}

/// A view computed once into a scratch Parquet file (`materialize`).
#[derive(Debug, Clone)]
pub struct Materialized {
    path: String,
}

impl Materialized {
    /// A frame reading the computed rows, in any session of this process.
    pub async fn read(&self, ctx: &SessionContext) -> Result<DataFrame, DataFusionError> {
        ctx.read_parquet(self.path.as_str(), ParquetReadOptions::default()).await
    }
}

/// Computes `df` once into `<name>.parquet` in `scratch`, streamed to disk within the memory limit
/// (what it read recorded in `reads`).
pub async fn materialize(
    df: DataFrame,
    scratch: &Scratch,
    name: &str,
    reads: Option<&Reads>,
) -> Result<Materialized, DataFusionError> {
    if let Some(reads) = reads {
        reads.record(&df.clone().create_physical_plan().await?);
    }
    let path = scratch.path().join(format!("{name}.parquet"));
    let path = path.to_str().ok_or_else(|| DataFusionError::Plan("the scratch folder's path is not UTF-8".into()))?;
    df.write_parquet(path, DataFrameWriteOptions::new().with_single_file_output(true), None).await?;
    Ok(Materialized { path: path.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn period_parameters_cover_the_trailing_years_for_clv() {
        let params = period_params("2026-10".parse().unwrap(), chrono_tz::Asia::Shanghai);
        let text = |name: &str| {
            format!("{:?}", params.values().get_placeholders_with_values(&format!("${name}")).unwrap().value)
        };
        assert!(text("ttm_month_from").contains("2025-11"), "{}", text("ttm_month_from"));
        assert!(text("prior_ttm_month_from").contains("2024-11"), "{}", text("prior_ttm_month_from"));
        assert!(text("yoy_month_to").contains("2025-11"), "{}", text("yoy_month_to"));
        // 1 November 2026 is day 20,758 after 1 January 1970.
        assert_eq!(text("end_date"), format!("{:?}", ScalarValue::Date32(Some(20758))));
    }
}
