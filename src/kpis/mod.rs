//! Stage `kpis`: every indicator (README, "Indicators") for one period, at every grain, gross and net.
//!
//! In: the lake's datasets and the audit's exclusion ledger (`exclusions/`, empty until the audit
//! has run). The SQL under `sql/` does all the arithmetic: `stg_*` views attribute rows to teams,
//! people and channels; `aud_*` views drop what the ledger lists; each `sql/kpi/<id>.sql` returns
//! numerator, denominator and value per grain and entity for the period in its parameters.
//! The stage runs every indicator file for the period (gross and net), for the previous period and
//! the same period a year earlier (net, for the changes), then `sql/mart/indicators.sql` joins them
//! into the `indicators` table and `sql/checks/*` look for rows that must not exist.
//!
//! Out: the `indicators` rows (written to `indicators/period=<P>/part-0.parquet` in the lake only if
//! every check passes) and the checks' findings.
//!
//! Fails: a SQL file that does not plan or fails while running (named), the lake.

mod catalog;

use std::collections::BTreeSet;
use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::datasource::MemTable;
use datafusion::error::DataFusionError;
use datafusion::prelude::{Expr, SessionContext, cast, col, lit};
use datafusion::scalar::ScalarValue;
use futures::{StreamExt, TryStreamExt};

use crate::config::Config;
use crate::engine::{self, AsOf, EngineError, Lookups, Reads, Scope};
use crate::exit::ExitCode;
use crate::lake::{Lake, LakeError, layout};
use crate::period::Period;
use crate::sql::cards::{self, CardError};
use crate::sql::{self, Params, SqlError, SqlFile};
pub use catalog::catalog_table;

/// Numerators and denominators are exact decimals: counts, and sums of money at 4 decimals.
pub const AMOUNT_TYPE: DataType = DataType::Decimal128(38, 4);

#[derive(Debug, thiserror::Error)]
pub enum KpiError {
    #[error(transparent)]
    Sql(#[from] SqlError),
    #[error(transparent)]
    Card(#[from] CardError),
    #[error("the indicator engine failed: {0}")]
    Engine(#[source] DataFusionError),
    #[error(transparent)]
    Session(#[from] EngineError),
    #[error(transparent)]
    Lake(#[from] LakeError),
}

impl KpiError {
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::Runtime
    }
}

/// One period's indicators, and what the checks found.
#[derive(Debug)]
pub struct Indicators {
    pub period: Period,
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
    pub findings: Vec<Finding>,
    /// Every lake object the period's figures were computed from (data, ledger, archived org).
    pub reads: BTreeSet<String>,
}

/// A check that returned rows.
#[derive(Debug)]
pub struct Finding {
    pub check: &'static SqlFile,
    pub rows: Vec<RecordBatch>,
}

impl Indicators {
    pub fn rows(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    /// Where this period's table lives in the lake.
    pub fn lake_path(&self) -> String {
        layout::indicators(self.period)
    }

    /// The same rows labelled as `revision` (a restatement recomputes once, compares, then relabels).
    pub fn with_revision(self, revision: i64) -> Result<Indicators, datafusion::arrow::error::ArrowError> {
        let index = self.schema.index_of("revision")?;
        let batches = self
            .batches
            .iter()
            .map(|b| {
                let mut columns = b.columns().to_vec();
                columns[index] = Arc::new(datafusion::arrow::array::Int64Array::from(vec![revision; b.num_rows()]));
                RecordBatch::try_new(b.schema(), columns)
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Indicators { batches, ..self })
    }
}

/// The mart's and the checks' parameters: `params` plus the labels of the period's rows.
fn mart_params(config: &Config, period: Period, revision: i64) -> Params {
    let text = |s: String| ScalarValue::Utf8(Some(s));
    engine::params(config, period)
        .with("period", text(period.to_string()))
        .with("period_kind", text(period.kind().as_str().to_string()))
        .with("previous_period", text(period.previous().to_string()))
        .with("year_ago_period", text(period.year_ago().to_string()))
        .with("revision", ScalarValue::Int64(Some(revision)))
}

/// Plans the stage's SQL files down to a physical plan, without running any (`validate`): the
/// staging and audited views, each indicator with a period's parameters, the mart and the checks
/// over empty inputs. Returns one message per file that does not plan.
pub async fn check_sql(config: &Config, lake: &Lake) -> Result<Vec<String>, KpiError> {
    let mut problems = Vec::new();
    if let Err(e) = cards::cards() {
        problems.push(e.to_string());
    }
    let ctx = match engine::session(config, lake, Scope::Net, Lookups::Views, AsOf::NOW).await {
        Ok(ctx) => ctx,
        Err(EngineError::Sql(e)) => return Ok(vec![e.to_string()]),
        Err(e) => return Err(e.into()),
    };
    let params = check_params(config);
    register_empty_results(&ctx, config)?;
    for file in sql::STAGING.iter().chain(sql::AUDITED).chain(sql::INDICATORS).chain(sql::MART) {
        if let Err(e) = sql::check_plans(&ctx, file, &params).await {
            problems.push(e.to_string());
        }
    }
    if let Ok(df) = sql::plan(&ctx, &sql::MART[0], &params).await {
        let empty = MemTable::try_new(nullable(df.schema().as_arrow()), vec![vec![]]).map_err(KpiError::Engine)?;
        replace_table(&ctx, "indicators", empty)?;
        for file in sql::CHECKS {
            if let Err(e) = sql::check_plans(&ctx, file, &params).await {
                problems.push(e.to_string());
            }
        }
    }
    Ok(problems)
}

/// The columns of the `indicators` table, as the mart plans them (over empty inputs).
pub async fn indicators_schema(config: &Config, lake: &Lake) -> Result<SchemaRef, KpiError> {
    let ctx = engine::session(config, lake, Scope::Net, Lookups::Views, AsOf::NOW).await?;
    register_empty_results(&ctx, config)?;
    let df = sql::plan(&ctx, &sql::MART[0], &check_params(config)).await?;
    Ok(nullable(df.schema().as_arrow()))
}

/// The parameters `validate` plans with: any month will do.
fn check_params(config: &Config) -> Params {
    mart_params(config, Period::Month { year: 2026, month: 1 }, 0)
}

fn register_empty_results(ctx: &SessionContext, config: &Config) -> Result<(), KpiError> {
    replace_table(ctx, "kpi_results", MemTable::try_new(results_schema(), vec![vec![]]).map_err(KpiError::Engine)?)?;
    replace_table(ctx, "kpi_catalog", catalog_table(&config.kpis).map_err(KpiError::Engine)?)
}

/// Which period a run of the indicator files is for, relative to the one being computed.
#[derive(Debug, Clone, Copy)]
enum Role {
    Current,
    Previous,
    YearAgo,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Role::Current => "current",
            Role::Previous => "previous",
            Role::YearAgo => "year_ago",
        }
    }
}

/// Computes the web events' staging view once for the months the period's indicator files read (the
/// period, the one before, the one a year before), for the net and the gross session alike: its copy
/// numbering sorts every event of the months a query reads, which would otherwise happen once per
/// query (16 of them). Written to a Parquet file in a scratch folder, not kept in memory (a year of
/// events is larger than `engine.memory_limit`). Other months still come from the view, so a query
/// reading them is answered as before; `aud_web_events` is planned again over the result.
async fn cache_web_events(
    config: &Config,
    sessions: &[&SessionContext],
    periods: [Period; 3],
    reads: &Reads,
) -> Result<engine::Scratch, KpiError> {
    let engine_err = |e: DataFusionError| KpiError::Engine(e.context("computing stg_web_events once for the period"));
    // The month partitions the three periods span, as a filter on the partition column.
    let months = periods
        .iter()
        .map(|p| {
            let (from, to) = p.partition_range();
            col(engine::MONTH).gt_eq(lit(from)).and(col(engine::MONTH).lt(lit(to)))
        })
        .reduce(Expr::or)
        .unwrap_or(lit(false));
    let scratch = engine::Scratch::new(config.engine.spill_dir.as_deref(), "kpis").map_err(|e| engine_err(e.into()))?;
    let Some(first) = sessions.first() else { return Ok(scratch) };
    let events = first.table("stg_web_events").await.map_err(engine_err)?.filter(months.clone()).map_err(engine_err)?;
    let cached = engine::materialize(events, &scratch, "stg_web_events", Some(reads)).await.map_err(engine_err)?;
    let audited = sql::AUDITED.iter().find(|f| f.name == "aud_web_events");
    let params = engine::settings(config);
    for ctx in sessions {
        let live = ctx.table("stg_web_events").await.map_err(engine_err)?;
        let rest = live.filter(!months.clone()).map_err(engine_err)?;
        let union = cached.read(ctx).await.map_err(engine_err)?.union(rest).map_err(engine_err)?;
        ctx.deregister_table("stg_web_events").map_err(engine_err)?;
        ctx.register_table("stg_web_events", union.into_view()).map_err(engine_err)?;
        if let Some(file) = audited {
            engine::register_views(ctx, std::slice::from_ref(file), &params, false, None).await?;
        }
    }
    Ok(scratch)
}

/// Computes one period's indicators and runs the checks, from the lake as `as_of` shows it (its end:
/// the period's). Writes nothing.
#[tracing::instrument(name = "kpis", skip_all, fields(period = %period))]
pub async fn compute(
    config: &Config,
    lake: &Lake,
    period: Period,
    revision: i64,
    as_of: AsOf,
) -> Result<Indicators, KpiError> {
    let cards = cards::cards()?;
    let reads = Reads::new(lake);
    let lookups = || Lookups::Recorded(reads.clone());
    let net = engine::indicator_session(config, lake, Scope::Net, lookups(), as_of).await?;
    // With no ledger the audited views keep every row: gross is net, so it is not computed twice.
    let gross = match engine::has_ledger(lake).await? {
        true => Some(engine::indicator_session(config, lake, Scope::Gross, lookups(), as_of).await?),
        false => None,
    };

    let roles = [(Role::Current, period), (Role::Previous, period.previous()), (Role::YearAgo, period.year_ago())];
    let sessions: Vec<&SessionContext> = std::iter::once(&net).chain(&gross).collect();
    let started = std::time::Instant::now();
    let _scratch = match config.engine.ballista {
        None => Some(cache_web_events(config, &sessions, roles.map(|(_, p)| p), &reads).await?),
        Some(_) => None,
    };

    let mut runs = Vec::new();
    for (role, p) in roles {
        let params = engine::params(config, p);
        for card in cards {
            runs.push((&net, Scope::Net, role, card.file, params.clone()));
            if let (Role::Current, Some(gross)) = (role, &gross) {
                runs.push((gross, Scope::Gross, role, card.file, params.clone()));
            }
        }
    }
    let bar = crate::progress::bar(runs.len(), &format!("indicators {period}"));
    let results: Vec<Vec<RecordBatch>> = futures::stream::iter(runs)
        .map(|(ctx, scope, role, file, params)| run_indicator(ctx, scope, role, file, params, &reads))
        .buffered(engine::parallelism(&config.engine))
        .inspect_ok(|_| bar.inc(1))
        .try_collect()
        .await?;
    bar.finish_and_clear();
    tracing::info!(files = cards.len(), elapsed_ms = started.elapsed().as_millis() as u64, "Indicators computed");

    // Each file's batches carry their own nullability; the union gets one schema.
    let engine_err = KpiError::Engine;
    let schema = results_schema();
    let mut results = results
        .iter()
        .flatten()
        .map(|b| conform(b, &schema))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| engine_err(e.into()))?;
    if gross.is_none() {
        let copies = results.iter().filter(|b| is_current(b)).map(as_gross).collect::<Result<Vec<_>, _>>();
        results.extend(copies.map_err(|e| engine_err(e.into()))?);
    }
    // The mart and the checks read the results in memory: they run here, whatever ran the files.
    let net = match config.engine.ballista {
        Some(_) => {
            // A cluster's plans do not show their files: plan the same queries here to see them.
            let local = engine::session(config, lake, Scope::Net, lookups(), as_of).await?;
            for (_, p) in roles {
                for card in cards {
                    let df = sql::plan(&local, card.file, &engine::params(config, p)).await?;
                    reads.record(&df.create_physical_plan().await.map_err(|e| SqlError::execute(card.file, e))?);
                }
            }
            local
        }
        None => net,
    };
    replace_table(&net, "kpi_results", MemTable::try_new(schema, vec![results]).map_err(engine_err)?)?;
    replace_table(&net, "kpi_catalog", catalog::catalog_table(&config.kpis).map_err(engine_err)?)?;

    let mart = &sql::MART[0];
    let params = mart_params(config, period, revision);
    let df = sql::plan(&net, mart, &params).await?;
    let schema = nullable(df.schema().as_arrow());
    let batches = df.collect().await.map_err(|e| SqlError::execute(mart, e))?;
    let batches = batches
        .iter()
        .map(|b| conform(b, &schema))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| SqlError::execute(mart, e.into()))?;

    replace_table(&net, "indicators", MemTable::try_new(schema.clone(), vec![batches.clone()]).map_err(engine_err)?)?;
    let mut findings = Vec::new();
    for check in sql::CHECKS {
        let rows = sql::plan(&net, check, &params).await?.collect().await.map_err(|e| SqlError::execute(check, e))?;
        if rows.iter().any(|b| b.num_rows() > 0) {
            tracing::warn!(check = %check.path(), "Indicator check failed");
            findings.push(Finding { check, rows });
        }
    }
    Ok(Indicators { period, schema, batches, findings, reads: reads.objects() })
}

/// Whether a `kpi_results` batch is for the period itself (each run's batches carry one role).
fn is_current(batch: &RecordBatch) -> bool {
    use datafusion::arrow::array::{Array, AsArray};
    let Some(role) = batch.column_by_name("role").and_then(|c| c.as_string_opt::<i32>()) else { return false };
    !role.is_empty() && role.value(0) == Role::Current.as_str()
}

/// A net batch relabelled as the gross one (same rows: the ledger is empty).
fn as_gross(batch: &RecordBatch) -> Result<RecordBatch, datafusion::arrow::error::ArrowError> {
    let scope = datafusion::arrow::array::StringArray::from(vec![Scope::Gross.as_str(); batch.num_rows()]);
    let mut columns = batch.columns().to_vec();
    if let Ok(index) = batch.schema().index_of("scope") {
        columns[index] = Arc::new(scope);
    }
    RecordBatch::try_new(batch.schema(), columns)
}

/// The same columns, all nullable and strings as plain `Utf8`: what the optimizer proves about nulls
/// and which string layout it picks differ between plans; the table's schema must not.
fn nullable(schema: &Schema) -> SchemaRef {
    let plain = |f: &Field| match f.data_type() {
        DataType::Utf8View | DataType::LargeUtf8 => f.clone().with_data_type(DataType::Utf8),
        _ => f.clone(),
    };
    Arc::new(Schema::new(schema.fields().iter().map(|f| plain(f).with_nullable(true)).collect::<Vec<_>>()))
}

/// A batch with `schema`'s column types (casting string layouts) and nullability.
fn conform(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch, datafusion::arrow::error::ArrowError> {
    let columns = batch
        .columns()
        .iter()
        .zip(schema.fields())
        .map(|(c, f)| datafusion::arrow::compute::cast(c, f.data_type()))
        .collect::<Result<Vec<_>, _>>()?;
    RecordBatch::try_new(schema.clone(), columns)
}

/// `kpi_results`: what `run_indicator` returns for every file, scope and role.
fn results_schema() -> SchemaRef {
    let field = |name: &str, ty: DataType| Field::new(name, ty, true);
    Arc::new(Schema::new(vec![
        field("kpi", DataType::Utf8),
        field("scope", DataType::Utf8),
        field("role", DataType::Utf8),
        field("grain", DataType::Utf8),
        field("entity_id", DataType::Utf8),
        field("numerator", AMOUNT_TYPE),
        field("denominator", AMOUNT_TYPE),
        field("value", DataType::Float64),
        field("volume", DataType::Int64),
    ]))
}

fn replace_table(ctx: &SessionContext, name: &str, table: MemTable) -> Result<(), KpiError> {
    ctx.deregister_table(name).map_err(KpiError::Engine)?;
    ctx.register_table(name, Arc::new(table)).map_err(KpiError::Engine)?;
    Ok(())
}

/// Runs one indicator file and labels its rows with the indicator, scope and role.
async fn run_indicator(
    ctx: &SessionContext,
    scope: Scope,
    role: Role,
    file: &'static SqlFile,
    params: Params,
    reads: &Reads,
) -> Result<Vec<RecordBatch>, KpiError> {
    let started = std::time::Instant::now();
    let df = sql::plan(ctx, file, &params).await?;
    let labelled = df
        .select(vec![
            lit(file.name).alias("kpi"),
            lit(scope.as_str()).alias("scope"),
            lit(role.as_str()).alias("role"),
            cast(col("grain"), DataType::Utf8).alias("grain"),
            cast(col("entity_id"), DataType::Utf8).alias("entity_id"),
            cast(col("numerator"), AMOUNT_TYPE).alias("numerator"),
            cast(col("denominator"), AMOUNT_TYPE).alias("denominator"),
            cast(col("value"), DataType::Float64).alias("value"),
            cast(col("volume"), DataType::Int64).alias("volume"),
        ])
        .map_err(|e| SqlError::Plan { file: file.path(), source: e })?;
    let task = labelled.task_ctx();
    let plan = labelled.create_physical_plan().await.map_err(|e| SqlError::execute(file, e))?;
    reads.record(&plan);
    let planned_ms = started.elapsed().as_millis() as u64;
    let batches =
        datafusion::physical_plan::collect(plan, Arc::new(task)).await.map_err(|e| SqlError::execute(file, e))?;
    let elapsed_ms = started.elapsed().as_millis() as u64;
    tracing::debug!(file = %file.path(), scope = scope.as_str(), role = role.as_str(), planned_ms, elapsed_ms, "Indicator computed");
    Ok(batches)
}

/// Writes the period's table to the lake (one object, replaced atomically).
pub async fn write(lake: &Lake, indicators: &Indicators) -> Result<u64, KpiError> {
    Ok(lake.write_parquet(&indicators.lake_path(), indicators.schema.clone(), &indicators.batches).await?)
}
