//! The DataFusion sessions every stage runs its SQL in. `context` is the bare session: memory limit,
//! spill folder, partitions, and the lake's object store registered so `file://`, `memory://` and
//! `s3://` lake URLs resolve. `register_datasets` makes every lake dataset a table named after it;
//! partitioned datasets get a `month` column (`YYYY-MM`, company timezone) that prunes whole
//! partitions when filtered on. `functions` holds the SQL functions kpi-close adds (`local_date`,
//! `rate_burst`); `register_exclusions` registers the audit's ledger for a scope.
//!
//! `views` builds on it what stages ask for: a session with the staging (`stg_*`) and audited
//! (`aud_*`) views, the parameters of a period, and one way to compute a view once into a scratch
//! Parquet file. Stages never build these themselves.

pub mod functions;
pub mod views;

pub(crate) use functions::days_since_epoch;
pub use functions::register_functions;

pub use views::{
    EngineError, Lookups, Materialized, date_value, indicator_session, instant_value, materialize, params,
    period_params, query_session, register_views, run_query, session, settings,
};

use std::collections::BTreeSet;
use std::num::NonZeroUsize;
use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::error::ArrowError;
use datafusion::datasource::MemTable;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::error::DataFusionError;
use datafusion::execution::memory_pool::{FairSpillPool, TrackConsumersPool};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SessionConfig, SessionContext, col, lit};

use crate::config::Engine;
use crate::datasets::DATASETS;
use crate::lake::{Lake, LakeError, layout, tables};
use crate::period::Period;

/// The partition column of partitioned datasets.
pub const MONTH: &str = "month";

/// A bare session on the lake: no tables, no views.
pub fn context(engine: &Engine, lake: &Lake) -> Result<SessionContext, DataFusionError> {
    // A fair pool: each spilling operator (sorts, aggregations) may hold at most an even share of
    // what the non-spilling ones (merges, hash-join build sides) leave, so one sort cannot starve
    // another operator's merge; first come, first served, it did (see `MEMORY_PER_PARTITION`).
    let pool = TrackConsumersPool::new(
        FairSpillPool::new(engine.memory_limit_bytes as usize),
        NonZeroUsize::new(5).unwrap_or(NonZeroUsize::MIN),
    );
    let mut runtime = RuntimeEnvBuilder::new().with_memory_pool(Arc::new(pool));
    if let Some(dir) = &engine.spill_dir {
        runtime = runtime.with_temp_file_path(dir);
    }
    let mut config = SessionConfig::new().with_target_partitions(parallelism(engine)).with_information_schema(false);
    // Strings stay `Utf8` as the data contract declares them: with view types forced, a table whose
    // declared schema says `Utf8` can meet a `Utf8View` column at run time (the exclusion ledger), and
    // `CAST(… AS VARCHAR)` in SQL files means `Utf8`.
    config.options_mut().execution.parquet.schema_force_view_types = false;
    config.options_mut().sql_parser.map_string_types_to_utf8view = false;
    let ctx = SessionContext::new_with_config_rt(config, runtime.build_arc()?);
    lake.register(&ctx);
    Ok(ctx)
}

/// A scratch folder of this process under `engine.spill_dir` (else the system's temporary folder),
/// for intermediate results too large to keep in memory; removed when dropped.
#[derive(Debug)]
pub struct Scratch(std::path::PathBuf);

impl Scratch {
    pub fn new(parent: Option<&std::path::Path>, stage: &str) -> std::io::Result<Scratch> {
        let parent = parent.map(std::path::Path::to_path_buf).unwrap_or_else(std::env::temp_dir);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().as_nanos();
        let dir = parent.join(format!("kpi-close-{stage}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir)?;
        Ok(Scratch(dir))
    }

    pub fn path(&self) -> &std::path::Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A session whose queries run on the Ballista cluster `endpoint` names (`df://host:port`, or
/// `standalone`: a scheduler and an executor started in this process), with `local`'s
/// configuration, memory limit, object stores and functions — the executors of a standalone cluster
/// get them too.
#[cfg(feature = "ballista")]
pub async fn ballista_session(endpoint: &str, local: &SessionContext) -> Result<SessionContext, DataFusionError> {
    use ballista::prelude::SessionContextExt;
    // Ballista's scheduler may swap a hash join's inputs once a stage's sizes are known, which
    // DataFusion refuses after it built the join's dynamic filter: plan without them.
    let mut config = local.copied_config();
    let optimizer = &mut config.options_mut().optimizer;
    optimizer.enable_dynamic_filter_pushdown = false;
    optimizer.enable_join_dynamic_filter_pushdown = false;
    optimizer.enable_topk_dynamic_filter_pushdown = false;
    optimizer.enable_aggregate_dynamic_filter_pushdown = false;
    // A collected build side is per task on a cluster, so anti and outer joins would emit its
    // unmatched rows once per task: hash-partition both sides instead.
    optimizer.hash_join_single_partition_threshold = 0;
    optimizer.hash_join_single_partition_threshold_rows = 0;
    // Ballista's adaptive planner (on by default in 55.0) counts some rows twice, and not on every
    // run: an anti join over a re-keyed shuffle after a broadcast join (our audited views) returned
    // 64 rows for 32 in half the runs on the demo. The static planner gives the local engine's
    // figures every time; figures come before speed.
    let mut config = config.with_option_extension(ballista_core::config::BallistaConfig::default());
    config.options_mut().set(ballista_core::config::BALLISTA_ADAPTIVE_PLANNER_ENABLED, "false")?;
    let state =
        datafusion::execution::SessionStateBuilder::new_from_existing(local.state()).with_config(config).build();
    match endpoint {
        "standalone" => SessionContext::standalone_with_state(state).await,
        url => SessionContext::remote_with_state(url, state).await,
    }
}

/// `kpi-close scheduler`: a Ballista scheduler on `bind` that plans with kpi-close's functions and
/// the config's lake, until stopped.
pub async fn serve_scheduler(
    config: &crate::config::Config,
    lake: &Lake,
    bind: std::net::SocketAddr,
) -> Result<(), EngineError> {
    let local = context(&config.engine, lake)?;
    register_functions(&local, config.company.timezone);
    Ok(run_scheduler(&local, bind).await?)
}

/// `kpi-close executor`: a Ballista executor with kpi-close's functions and the config's lake,
/// until stopped.
pub async fn serve_executor(
    config: &crate::config::Config,
    lake: &Lake,
    options: ExecutorOptions,
) -> Result<(), EngineError> {
    let local = context(&config.engine, lake)?;
    register_functions(&local, config.company.timezone);
    Ok(run_executor(&local, options).await?)
}

/// Where `kpi-close executor` listens and which scheduler it joins.
#[derive(Debug, Clone)]
pub struct ExecutorOptions {
    pub scheduler_host: String,
    pub scheduler_port: u16,
    pub bind_host: String,
    pub external_host: Option<String>,
    pub port: u16,
    pub grpc_port: u16,
}

/// Runs a Ballista executor until it is stopped (SIGTERM, Ctrl+C): one with kpi-close's SQL
/// functions and the lake's object store, which executors of a stock Ballista build lack.
#[cfg(feature = "ballista")]
pub async fn run_executor(local: &SessionContext, options: ExecutorOptions) -> Result<(), DataFusionError> {
    use ballista_core::registry::BallistaFunctionRegistry;
    use ballista_executor::executor_process::{ExecutorProcessConfig, start_executor_process};
    let runtime = local.runtime_env();
    let config = ExecutorProcessConfig {
        scheduler_host: options.scheduler_host,
        scheduler_port: options.scheduler_port,
        bind_host: options.bind_host,
        external_host: options.external_host,
        port: options.port,
        grpc_port: options.grpc_port,
        override_function_registry: Some(Arc::new(BallistaFunctionRegistry::from(&local.state()))),
        override_runtime_producer: Some(Arc::new(move |_| Ok(runtime.clone()))),
        ..ExecutorProcessConfig::default()
    };
    start_executor_process(Arc::new(config)).await.map_err(|e| DataFusionError::External(Box::new(e)))
}

/// Runs a Ballista scheduler on `bind` until stopped, planning with kpi-close's SQL functions and
/// the lake's object store (a stock scheduler cannot plan `local_date`).
#[cfg(feature = "ballista")]
pub async fn run_scheduler(local: &SessionContext, bind: std::net::SocketAddr) -> Result<(), DataFusionError> {
    use ballista_scheduler::{cluster::BallistaCluster, config::SchedulerConfig, scheduler_process::start_server};
    use datafusion::execution::SessionStateBuilder;
    let state = local.state();
    let cluster = BallistaCluster::new_memory(
        bind.to_string(),
        Arc::new(move |config| Ok(SessionStateBuilder::new_from_existing(state.clone()).with_config(config).build())),
        Arc::new(ballista_core::utils::default_config_producer),
    );
    let config = SchedulerConfig {
        bind_host: bind.ip().to_string(),
        external_host: bind.ip().to_string(),
        bind_port: bind.port(),
        ..SchedulerConfig::default()
    };
    start_server(cluster, bind, Arc::new(config)).await.map_err(|e| DataFusionError::External(Box::new(e)))
}

#[cfg(not(feature = "ballista"))]
pub async fn run_scheduler(_local: &SessionContext, _bind: std::net::SocketAddr) -> Result<(), DataFusionError> {
    Err(DataFusionError::Configuration(
        "this kpi-close was built without Ballista: build it with `--features ballista`".into(),
    ))
}

#[cfg(not(feature = "ballista"))]
pub async fn run_executor(_local: &SessionContext, _options: ExecutorOptions) -> Result<(), DataFusionError> {
    Err(DataFusionError::Configuration(
        "this kpi-close was built without Ballista: build it with `--features ballista`".into(),
    ))
}

#[cfg(not(feature = "ballista"))]
pub async fn ballista_session(_endpoint: &str, _local: &SessionContext) -> Result<SessionContext, DataFusionError> {
    Err(DataFusionError::Configuration(
        "engine.ballista is set, but this kpi-close was built without Ballista: build it with `--features ballista`"
            .into(),
    ))
}

/// The memory each partition of a query gets at least. With the pool shared first come, first
/// served, two partitions under 1 GiB failed on the benchmark year: one partition's sort held 550 MB
/// while the other's final merge could not get 2 MB. The fair pool (`context`) caps every spilling
/// operator at its share instead, and 512 MiB a partition lets a 1 GiB close use both cores of a
/// two-core machine: on the benchmark year the audit took 158 s instead of 340 s, 2025-12's
/// indicators 70 s instead of 108 s (BENCHMARKS.md).
pub const MEMORY_PER_PARTITION: u64 = 512 * 1024 * 1024;

/// How many partitions a query runs on, and how many indicator queries and audit rules run at
/// once: `engine.target_partitions`, fewer when `engine.memory_limit` cannot give each
/// `MEMORY_PER_PARTITION` (one under 1 GiB).
pub fn parallelism(engine: &Engine) -> usize {
    let by_memory = (engine.memory_limit_bytes / MEMORY_PER_PARTITION).max(1) as usize;
    engine.target_partitions.clamp(1, by_memory)
}

/// The lake objects a computation read (lake paths), collected from the physical plans it ran: the
/// files each scan kept after pruning, so exactly what was read. Cheap to clone; clones share.
#[derive(Debug, Clone)]
pub struct Reads {
    lake: Lake,
    objects: Arc<std::sync::Mutex<BTreeSet<String>>>,
}

impl Reads {
    pub fn new(lake: &Lake) -> Reads {
        Reads { lake: lake.clone(), objects: Arc::default() }
    }

    /// Records every lake object `plan` scans (files outside the lake, such as scratch copies, are not
    /// lake objects and are left out).
    pub fn record(&self, plan: &Arc<dyn datafusion::physical_plan::ExecutionPlan>) {
        use datafusion::datasource::physical_plan::FileScanConfig;
        use datafusion::datasource::source::DataSourceExec;
        let mut found: Vec<String> = Vec::new();
        let mut stack = vec![plan.clone()];
        while let Some(node) = stack.pop() {
            if let Some(scan) = node.downcast_ref::<DataSourceExec>()
                && let Some(files) = scan.data_source().downcast_ref::<FileScanConfig>()
            {
                for group in &files.file_groups {
                    found.extend(group.files().iter().map(|f| self.lake.relative(&f.object_meta.location)));
                }
            }
            stack.extend(node.children().into_iter().cloned());
        }
        let mut objects = self.objects.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        objects.extend(found.into_iter().filter(|p| layout::is_lake_input(p)));
    }

    /// Every object recorded, in path order.
    pub fn objects(&self) -> BTreeSet<String> {
        self.objects.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }
}

/// What a session sees of the lake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AsOf {
    /// The last month it sees: no month partition after it is read (`None`: every month).
    pub end: Option<Period>,
    /// Read the org and the plan (people, teams, campaigns, social accounts, targets) as archived
    /// with this closed period, where they are (`None`, or nothing archived: the lake's).
    pub org_of: Option<Period>,
}

impl AsOf {
    /// The whole lake as it is now.
    pub const NOW: AsOf = AsOf { end: None, org_of: None };

    /// The lake as it stood at the end of `period`, with the org as it is now.
    pub fn end_of(period: Period) -> AsOf {
        AsOf { end: Some(period), org_of: None }
    }

    /// The same, with the org and plan archived when `period` was closed.
    pub fn as_closed(period: Period) -> AsOf {
        AsOf { end: Some(period), org_of: Some(period) }
    }

    /// The first month partition the session does not see.
    fn month_to(&self) -> Option<String> {
        self.end.map(|p| p.partition_range().1)
    }
}

/// Registers every dataset of the data contract as a table over the lake's `data/` folder, as of
/// `as_of`: partitioned datasets hide the months after its end; the reference datasets come from
/// the closed period's archive when it names one. A dataset with no files yet is an empty table
/// with the contract's schema.
pub async fn register_datasets(ctx: &SessionContext, lake: &Lake, as_of: AsOf) -> Result<(), DataFusionError> {
    for dataset in DATASETS {
        let mut folder = layout::data_dir(dataset.name);
        if let (None, Some(period)) = (dataset.partition_by, as_of.org_of) {
            let archived = layout::period_org(period, dataset.name);
            if lake.exists(&archived).await.map_err(|e| DataFusionError::External(Box::new(e)))? {
                folder = archived;
            }
        }
        let url = ListingTableUrl::parse(lake.url(&folder))?;
        let mut options = ListingOptions::new(parquet_format(ctx)).with_file_extension(".parquet");
        if dataset.partition_by.is_some() {
            options = options.with_table_partition_cols(vec![(MONTH.to_string(), DataType::Utf8)]);
        }
        let config = ListingTableConfig::new(url).with_listing_options(options).with_schema(dataset.lake_schema());
        let table = Arc::new(ListingTable::try_new(config)?);
        match (dataset.partition_by, as_of.month_to()) {
            (Some(_), Some(to)) => {
                let seen = ctx.read_table(table)?.filter(col(MONTH).lt(lit(to)))?;
                ctx.register_table(dataset.name, seen.into_view())?;
            }
            _ => drop(ctx.register_table(dataset.name, table)?),
        }
    }
    Ok(())
}

/// The Parquet format with the session's Parquet options (pushdown, page index, …), which a listing
/// table does not take from the session by itself.
fn parquet_format(ctx: &SessionContext) -> Arc<ParquetFormat> {
    Arc::new(ParquetFormat::default().with_options(ctx.copied_table_options().parquet))
}

/// Query results as rows of text cells (`None` for nulls), whatever the column types: for the small
/// tables the stages read back (people, targets, scores) and for text output.
pub fn text_rows(batches: &[RecordBatch]) -> Result<Vec<Vec<Option<String>>>, ArrowError> {
    let mut out = Vec::new();
    for batch in batches {
        let columns = batch
            .columns()
            .iter()
            .map(|c| datafusion::arrow::compute::cast(c, &DataType::Utf8))
            .collect::<Result<Vec<_>, _>>()?;
        for i in 0..batch.num_rows() {
            out.push(
                columns
                    .iter()
                    .map(|c| {
                        let c = c.as_string::<i32>();
                        (!c.is_null(i)).then(|| c.value(i).to_string())
                    })
                    .collect(),
            );
        }
    }
    Ok(out)
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

/// Registers every stored period of an output table (`scorecards/period=*/…`) as one table named
/// after its folder; an empty one with `schema` when nothing is stored yet. Returns whether anything
/// was stored (without a schema, nothing is registered then).
pub async fn register_stored(
    ctx: &SessionContext,
    lake: &Lake,
    folder: &str,
    schema: Option<datafusion::arrow::datatypes::SchemaRef>,
) -> Result<bool, DataFusionError> {
    let urls: Vec<String> = lake
        .list(folder)
        .await
        .map_err(|e| DataFusionError::External(Box::new(e)))?
        .iter()
        .filter(|p| p.ends_with(".parquet"))
        .map(|p| lake.url(p))
        .collect();
    ctx.deregister_table(folder)?;
    if urls.is_empty() {
        if let Some(schema) = schema {
            ctx.register_table(folder, Arc::new(MemTable::try_new(schema, vec![vec![]])?))?;
        }
        return Ok(false);
    }
    let mut options = datafusion::prelude::ParquetReadOptions::default();
    if let Some(schema) = &schema {
        options = options.schema(schema);
    }
    let df = ctx.read_parquet(urls, options).await?;
    ctx.register_table(folder, df.into_view())?;
    Ok(true)
}

/// Registers one stored Parquet object as table `name`; when it does not exist, `name` is an empty
/// view with the columns of table `like` (already registered). Returns whether the object exists.
pub async fn register_object(
    ctx: &SessionContext,
    lake: &Lake,
    name: &str,
    relative: &str,
    like: &str,
) -> Result<bool, DataFusionError> {
    let exists = lake.exists(relative).await.map_err(|e| DataFusionError::External(Box::new(e)))?;
    ctx.deregister_table(name)?;
    let df = match exists {
        true => ctx.read_parquet(lake.url(relative), datafusion::prelude::ParquetReadOptions::default()).await?,
        false => ctx.sql(&format!("SELECT * FROM {like} WHERE false")).await?,
    };
    ctx.register_table(name, df.into_view())?;
    Ok(exists)
}

/// Whether the audit has written an exclusion ledger to the lake.
pub async fn has_ledger(lake: &Lake) -> Result<bool, LakeError> {
    Ok(lake.list(layout::EXCLUSIONS_DIR).await?.iter().any(|p| p.ends_with(".parquet")))
}

/// Registers `exclusions` for a scope: the ledger's objects, with their `month` partition column
/// (filter on it and only those months' objects are read).
pub async fn register_exclusions(
    ctx: &SessionContext,
    lake: &Lake,
    scope: Scope,
    as_of: AsOf,
) -> Result<(), DataFusionError> {
    let schema = tables::exclusions();
    let has_ledger = match scope {
        Scope::Gross => false,
        Scope::Net => has_ledger(lake).await.map_err(|e| DataFusionError::External(Box::new(e)))?,
    };
    ctx.deregister_table("exclusions")?;
    if has_ledger {
        let url = ListingTableUrl::parse(lake.url(&format!("{}/", layout::EXCLUSIONS_DIR)))?;
        let options = ListingOptions::new(parquet_format(ctx))
            .with_file_extension(".parquet")
            .with_table_partition_cols(vec![(MONTH.to_string(), DataType::Utf8)]);
        let config = ListingTableConfig::new(url).with_listing_options(options).with_schema(schema);
        let table = Arc::new(ListingTable::try_new(config)?);
        match as_of.month_to() {
            Some(to) => {
                let seen = ctx.read_table(table)?.filter(col(MONTH).lt(lit(to)))?;
                ctx.register_table("exclusions", seen.into_view())?;
            }
            None => drop(ctx.register_table("exclusions", table)?),
        }
    } else {
        // An empty view rather than an empty in-memory table: a plan reading it can be shipped to
        // a Ballista cluster.
        let columns: Vec<String> = schema
            .fields()
            .iter()
            .map(|f| f.name().as_str())
            .chain([MONTH])
            .map(|name| format!("CAST(NULL AS VARCHAR) AS {name}"))
            .collect();
        let empty = ctx.sql(&format!("SELECT {} WHERE false", columns.join(", "))).await?;
        ctx.register_table("exclusions", empty.into_view())?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_memory_limit_runs_queries_on_fewer_partitions() {
        let engine = |gib: f64, target_partitions| Engine {
            memory_limit_bytes: (gib * (1u64 << 30) as f64) as u64,
            target_partitions,
            spill_dir: None,
            sql_dir: None,
            ballista: None,
        };
        assert_eq!(parallelism(&engine(1.0, 2)), 2);
        assert_eq!(parallelism(&engine(2.0, 8)), 4, "512 MiB per partition");
        assert_eq!(parallelism(&engine(0.75, 8)), 1, "under 1 GiB: one partition");
        assert_eq!(parallelism(&engine(0.25, 2)), 1);
        assert_eq!(parallelism(&engine(64.0, 1)), 1, "never more than asked for");
    }
}
