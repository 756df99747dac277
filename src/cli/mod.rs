//! The command line: arguments are parsed here once and turned into calls on the stage modules;
//! command results go to stdout, logs to stderr.

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::config::Config;
use crate::error::{Error, ExitCode, Result};
use crate::ingest::{self, IngestPlan, IngestReport};
use crate::kpis::{self, Indicators};
use crate::lake::Lake;
use crate::period::Period;

fn parse_month(text: &str) -> std::result::Result<Period, String> {
    match text.parse::<Period>() {
        Ok(p @ Period::Month { .. }) => Ok(p),
        Ok(p) => Err(format!("`{p}` is not a month; write e.g. 2026-10")),
        Err(e) => Err(e.to_string()),
    }
}

#[derive(Debug, Parser)]
#[command(
    name = "kpi-close",
    version,
    about = "Monthly performance close: exports in, audited KPIs, scorecards and reports out"
)]
pub struct Args {
    /// Configuration file.
    #[arg(long, global = true, env = "KPI_CLOSE_CONFIG", default_value = "kpi-close.toml")]
    pub config: PathBuf,
    /// Log format on stderr.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Human)]
    pub log_format: LogFormat,
    /// More log detail (-v: debug, -vv: trace).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum QueryScope {
    Gross,
    Net,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Table,
    Csv,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum LogFormat {
    Human,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Close a month (or backfill a range of months, in order): every stage built so far.
    Close {
        /// The month to close, e.g. 2026-10.
        #[arg(long, value_parser = parse_month, conflicts_with_all = ["from", "to"])]
        month: Option<Period>,
        /// Backfill: the first month to close.
        #[arg(long, value_parser = parse_month, requires = "to")]
        from: Option<Period>,
        /// Backfill: the last month to close.
        #[arg(long, value_parser = parse_month, requires = "from")]
        to: Option<Period>,
        /// When another close holds the lake, wait this long for it before giving up.
        #[arg(long, default_value_t = 0)]
        wait_seconds: u64,
        /// Show what the close would read, compute, render and send; change and send nothing.
        #[arg(long)]
        dry_run: bool,
        /// Restate the month's closed periods (and the closed quarter, half-year and year holding it)
        /// as the next revision, if recomputing them gives different figures. Needs `--reason`.
        #[arg(long, requires = "reason", requires = "month")]
        reopen: bool,
        /// Why the closed figures are restated (late data, a corrected rule): shown in the reports.
        #[arg(long, requires = "reopen")]
        reason: Option<String>,
    },
    /// List the closes run on this lake: periods, status, timings, what was mailed.
    Runs {
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Run the close on the `[schedule]` cron expression (default 06:00 on the 3rd, closing the
    /// previous month) in the company's timezone, until stopped.
    Schedule,
    /// Read every configured export into the lake (new and changed files only).
    Ingest,
    /// Run the audit rules over the lake (writes the exclusion ledger), then report a period: rows in,
    /// flagged per rule, gross → excluded → net per indicator, rejects, re-exports, input files.
    Audit {
        /// A month `2026-10`, quarter `2026-Q4`, half-year `2026-H2` or year `2026`.
        #[arg(long)]
        period: Period,
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Compute every indicator for a period from the lake, check it, write the `indicators` table
    /// and print it.
    Kpis {
        /// A month `2026-10`, quarter `2026-Q4`, half-year `2026-H2` or year `2026`.
        #[arg(long)]
        period: Period,
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Run a read-only SQL query over the lake with the staging (`stg_*`) and audited (`aud_*`) views,
    /// as an auditor checking a figure would.
    Query {
        /// One SELECT statement.
        sql: String,
        /// `net` (audited views drop excluded rows) or `gross` (they do not).
        #[arg(long, value_enum, default_value_t = QueryScope::Net)]
        scope: QueryScope,
    },
    /// Score everyone against their targets for a period: the `scorecards` table, printed.
    Score {
        #[arg(long)]
        period: Period,
        #[arg(long, value_enum, default_value_t = OutputFormat::Table)]
        format: OutputFormat,
    },
    /// Render the period's reports (leadership, each team, each person, audit) in every language in
    /// use and write the HTML archive under `reports/period=P/` in the lake.
    Render {
        #[arg(long)]
        period: Period,
    },
    /// Mail the period's reports to their recipients (outbox or SMTP); the send ledger makes a re-run
    /// send nothing twice.
    Send {
        #[arg(long)]
        period: Period,
        /// Send again what the ledger records as sent (or possibly sent).
        #[arg(long)]
        resend: bool,
        /// List who would receive what; send and write nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Recompute a closed period from the lake and compare it with its proof bundle: exit 0 only if
    /// every indicator and every hash is identical; otherwise list each difference and exit 1.
    Verify {
        #[arg(long)]
        period: Period,
    },
    /// Print an indicator's definition card, or list the indicators.
    Explain {
        /// An indicator id, e.g. `cpl`. Without it: every indicator, one line each.
        kpi: Option<String>,
    },
    /// Run a Ballista scheduler that plans with kpi-close's SQL functions and the config's lake, until
    /// stopped (needs the `ballista` feature); point `engine.ballista` at it.
    Scheduler {
        /// Address and port to listen on.
        #[arg(long, default_value = "127.0.0.1:50050")]
        bind: std::net::SocketAddr,
    },
    /// Run a Ballista executor with kpi-close's SQL functions and the config's lake, joining the
    /// scheduler `engine.ballista` names, until stopped (needs the `ballista` feature).
    Executor {
        /// The scheduler, `host:port` (default: the host and port of `engine.ballista`).
        #[arg(long)]
        scheduler: Option<String>,
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1")]
        bind: String,
        /// Host name the scheduler and other executors reach this one by (default: `--bind`).
        #[arg(long)]
        external_host: Option<String>,
        /// Arrow Flight port (shuffle data).
        #[arg(long, default_value_t = 50051)]
        port: u16,
        /// gRPC port (tasks).
        #[arg(long, default_value_t = 50052)]
        grpc_port: u16,
    },
    /// Check the configuration and every source's files; list all problems at once.
    Validate,
    /// Show what ingest would read and rebuild; change nothing.
    Plan,
    /// Write the demo company's exports (the committed `fixtures/`), or a larger set for benchmarks.
    DemoData {
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// Volume multiplier for events, leads, orders and customers (1 = the committed fixtures).
        #[arg(long, default_value_t = 1)]
        scale: u32,
        /// Random seed; the same seed and scale give the same bytes.
        #[arg(long, default_value_t = crate::demo::DEFAULT_SEED)]
        seed: u64,
        /// Write the analytics exports as plain CSV / JSON lines instead of gzip (for benchmarks).
        #[arg(long)]
        uncompressed: bool,
    },
    /// Write the benchmark company's year (2025) of exports, streamed to disk: at scale 1, 50 million
    /// web events, about a million leads and 200 thousand orders, 500 people (BENCHMARKS.md).
    BenchData {
        /// Output folder.
        #[arg(long)]
        out: PathBuf,
        /// Share of the year's volumes (1 = 50 million web events; 0.1 = five million).
        #[arg(long, default_value_t = 1.0)]
        scale: f64,
        /// Random seed; the same seed and scale give the same bytes.
        #[arg(long, default_value_t = crate::demo::DEFAULT_SEED)]
        seed: u64,
    },
}

/// Runs a command and returns the process exit code; errors are printed to stderr.
pub fn main_inner(args: Args) -> ExitCode {
    init_logging(args.log_format, args.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::Runtime;
        }
    };
    match runtime.block_on(run(args)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error}");
            error.exit_code()
        }
    }
}

fn init_logging(format: LogFormat, verbose: u8) {
    let default = match verbose {
        0 => "info",
        1 => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("KPI_CLOSE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(format!("warn,kpi_close={default}")));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    crate::progress::enable(ansi && matches!(format, LogFormat::Human));
    let builder =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(crate::progress::LogWriter).with_ansi(ansi);
    let _ = match format {
        LogFormat::Human => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

async fn run(args: Args) -> Result<ExitCode> {
    match args.command {
        Command::DemoData { out, scale, seed, uncompressed } => {
            let summary = crate::demo::generate(&out, scale, seed, !uncompressed)
                .map_err(|source| Error::Demo { out: out.clone(), source })?;
            emit(&format!("{summary}"))?;
            Ok(ExitCode::Ok)
        }
        Command::BenchData { out, scale, seed } => {
            let summary = crate::demo::year::generate(&out, scale, seed)
                .map_err(|source| Error::Demo { out: out.clone(), source })?;
            emit(&format!("{summary}"))?;
            Ok(ExitCode::Ok)
        }
        Command::Validate => {
            let config = load_config(&args.config)?;
            let mut problems = ingest::check_sources(&config);
            let lake = Lake::open(&config.lake)?;
            problems.extend(kpis::check_sql(&config, &lake).await?);
            problems.extend(crate::audit::check(&config, &lake).await?);
            let mut text = String::new();
            for warning in &config.warnings {
                text.push_str(&format!("warning: {warning}\n"));
            }
            if problems.is_empty() {
                text.push_str(&format!(
                    "{}: configuration, {} source(s) and {} SQL file(s) are valid\n",
                    args.config.display(),
                    config.sources.len(),
                    crate::sql::all().count()
                ));
                emit(&text)?;
                Ok(ExitCode::Ok)
            } else {
                text.push_str(&format!("{}: {} problem(s):\n", args.config.display(), problems.len()));
                for p in &problems {
                    text.push_str(&format!("  - {p}\n"));
                }
                emit(&text)?;
                Ok(ExitCode::Usage)
            }
        }
        Command::Scheduler { bind } => {
            let config = load_config(&args.config)?;
            let lake = Lake::open(&config.lake)?;
            let local = crate::engine::session(&config.engine, &lake).map_err(kpis::KpiError::Engine)?;
            crate::engine::register_functions(&local, config.company.timezone);
            tracing::info!(%bind, "Starting a Ballista scheduler");
            crate::engine::run_scheduler(&local, bind).await.map_err(kpis::KpiError::Engine)?;
            Ok(ExitCode::Ok)
        }
        Command::Executor { scheduler, bind, external_host, port, grpc_port } => {
            let config = load_config(&args.config)?;
            let scheduler = scheduler.or_else(|| {
                config.engine.ballista.as_deref().and_then(|u| u.strip_prefix("df://")).map(str::to_string)
            });
            let Some((host, scheduler_port)) = scheduler.as_deref().and_then(|s| s.rsplit_once(':')) else {
                eprintln!("error: give --scheduler host:port, or set engine.ballista = \"df://host:port\"");
                return Ok(ExitCode::Usage);
            };
            let Ok(scheduler_port) = scheduler_port.parse() else {
                eprintln!("error: `{scheduler_port}` is not a port");
                return Ok(ExitCode::Usage);
            };
            let lake = Lake::open(&config.lake)?;
            let local = crate::engine::session(&config.engine, &lake).map_err(kpis::KpiError::Engine)?;
            crate::engine::register_functions(&local, config.company.timezone);
            tracing::info!(scheduler = %format!("{host}:{scheduler_port}"), %bind, port, grpc_port, "Starting a Ballista executor");
            let options = crate::engine::ExecutorOptions {
                scheduler_host: host.to_string(),
                scheduler_port,
                bind_host: bind,
                external_host,
                port,
                grpc_port,
            };
            crate::engine::run_executor(&local, options).await.map_err(kpis::KpiError::Engine)?;
            Ok(ExitCode::Ok)
        }
        Command::Plan => {
            let config = load_config(&args.config)?;
            let lake = Lake::open(&config.lake)?;
            let plan = ingest::plan(&config, &lake).await?;
            emit(&render_plan(&plan, &lake))?;
            Ok(ExitCode::Ok)
        }
        Command::Close { month, from, to, wait_seconds, dry_run, reopen, reason } => {
            let (first, last) = match (month, from, to) {
                (Some(m), _, _) => (m, m),
                (None, Some(f), Some(t)) if f <= t => (f, t),
                _ => {
                    eprintln!("error: give --month M, or --from M1 --to M2 with M1 not after M2");
                    return Ok(ExitCode::Usage);
                }
            };
            let reason = match reason.map(|r| r.trim().to_string()) {
                Some(r) if r.is_empty() => {
                    eprintln!("error: --reason must say why the figures are restated");
                    return Ok(ExitCode::Usage);
                }
                r => r.filter(|_| reopen),
            };
            let config = load_config(&args.config)?;
            if dry_run {
                emit(&close_plan(&config, first, last).await?)?;
                return Ok(ExitCode::Ok);
            }
            let (code, text) = close(&config, first, last, wait_seconds, reason.as_deref()).await?;
            emit(&text)?;
            Ok(code)
        }
        Command::Runs { format } => {
            let config = load_config(&args.config)?;
            let lake = Lake::open(&config.lake)?;
            let runs = crate::close::runs::list(&lake).await?;
            if format == OutputFormat::Table {
                emit(&render_runs(&runs))?;
            } else {
                let mut bytes = serde_json::to_vec_pretty(&runs).map_err(|e| Error::Stdout(e.into()))?;
                bytes.push(b'\n');
                emit_bytes(&bytes)?;
            }
            Ok(ExitCode::Ok)
        }
        Command::Schedule => {
            let config = load_config(&args.config)?;
            schedule(&args.config, &config).await
        }
        Command::Audit { period, format } => {
            let config = load_config(&args.config)?;
            let lake = Lake::open(&config.lake)?;
            let run = crate::audit::run(&config, &lake).await?;
            let report = crate::audit::report::build(&config, &lake, period).await?;
            let output = match format {
                OutputFormat::Table => {
                    format!("{}{}", render_audit_run(&run), render_audit_report(&report)?).into_bytes()
                }
                OutputFormat::Csv => batches_csv(&report.rules)?,
                OutputFormat::Json => audit_json(&report)?,
            };
            emit_bytes(&output)?;
            Ok(ExitCode::Ok)
        }
        Command::Kpis { period, format } => {
            let config = load_config(&args.config)?;
            let lake = Lake::open(&config.lake)?;
            let (revision, closed) = stored_revision(&lake, period).await?;
            let indicators = kpis::compute(&config, &lake, period, revision).await?;
            if !indicators.findings.is_empty() {
                eprint!("{}", render_findings(&indicators));
                return Ok(ExitCode::DataGate);
            }
            if !closed {
                kpis::write(&lake, &indicators).await?;
            }
            emit_bytes(&render_indicators(&indicators, format)?)?;
            Ok(ExitCode::Ok)
        }
        Command::Query { sql, scope } => {
            let config = load_config(&args.config)?;
            let lake = Lake::open(&config.lake)?;
            let scope = match scope {
                QueryScope::Gross => crate::engine::Scope::Gross,
                QueryScope::Net => crate::engine::Scope::Net,
            };
            let batches = kpis::query(&config, &lake, scope, &sql).await?;
            let shown = datafusion::arrow::util::pretty::pretty_format_batches(&batches).map_err(arrow_error)?;
            emit(&format!("{shown}\n"))?;
            Ok(ExitCode::Ok)
        }
        Command::Score { period, format } => {
            let config = load_config(&args.config)?;
            let lake = Lake::open(&config.lake)?;
            let (revision, closed) = stored_revision(&lake, period).await?;
            let scorecards = crate::score::compute(&config, &lake, period).await?;
            // Flags read the stored scorecards, this period's included: write them first.
            if !closed {
                crate::score::write(&lake, &scorecards, revision).await?;
            }
            let flags = crate::score::flags(&config, &lake, &scorecards).await?;
            if !closed {
                crate::score::write_flags(&lake, period, &flags).await?;
            }
            emit_bytes(&render_scorecards(&scorecards, revision, format)?)?;
            if format == OutputFormat::Table {
                let rows: Vec<Vec<String>> = flags
                    .iter()
                    .map(|f| vec![f.person_id.clone(), f.flag.to_string(), f.explanation.clone()])
                    .collect();
                emit(&format!("\nFlags {period}\n{}", table(&["person", "flag", "why"], &rows)))?;
            }
            Ok(ExitCode::Ok)
        }
        Command::Render { period } => {
            let config = load_config(&args.config)?;
            let lake = Lake::open(&config.lake)?;
            let rendered = crate::report::render(&config, &lake, period).await?;
            emit(&render_rendered(&rendered, &lake))?;
            Ok(ExitCode::Ok)
        }
        Command::Send { period, resend, dry_run } => {
            let config = load_config(&args.config)?;
            let lake = Lake::open(&config.lake)?;
            let options = crate::deliver::Options { resend, dry_run };
            let outcome = crate::deliver::send(&config, &lake, period, options).await?;
            emit(&render_outcome(period, &outcome))?;
            Ok(if outcome.failed.is_empty() && outcome.uncertain.is_empty() { ExitCode::Ok } else { ExitCode::Runtime })
        }
        Command::Verify { period } => {
            let config = load_config(&args.config)?;
            let lake = Lake::open(&config.lake)?;
            let v = crate::proof::verify(&config, &lake, period).await?;
            let [indicators, objects, sql, lists, exports] = v.compared;
            let mut text = String::new();
            for note in &v.notes {
                text.push_str(&format!("note: {note}\n"));
            }
            if v.differences.is_empty() {
                text.push_str(&format!(
                    "Verified {period}: {indicators} indicator rows, {objects} lake objects, {sql} SQL files, {lists} reference lists, {exports} exports and the config are identical to the proof bundle.\n"
                ));
                emit(&text)?;
                Ok(ExitCode::Ok)
            } else {
                text.push_str(&format!(
                    "{period} does NOT verify: {} difference(s) from the proof bundle:\n",
                    v.differences.len()
                ));
                for d in &v.differences {
                    text.push_str(&format!("  - {d}\n"));
                }
                emit(&text)?;
                Ok(ExitCode::DataGate)
            }
        }
        Command::Explain { kpi } => {
            let config = Config::load(&args.config).ok();
            let timezone = config.as_ref().map(|c| c.company.timezone.name()).unwrap_or("Asia/Shanghai");
            let cards = kpis::catalog::cards().map_err(kpis::KpiError::from)?;
            match kpi {
                Some(id) => {
                    let card = cards.iter().find(|c| c.id == id).ok_or(Error::UnknownKpi(id))?;
                    emit(&card.render(timezone))?;
                }
                None => {
                    let rows: Vec<Vec<String>> = cards
                        .iter()
                        .map(|c| {
                            vec![c.id.to_string(), c.cycle.as_str().to_string(), c.unit.clone(), c.formula.clone()]
                        })
                        .collect();
                    emit(&table(&["kpi", "cycle", "unit", "formula"], &rows))?;
                }
            }
            Ok(ExitCode::Ok)
        }
        Command::Ingest => {
            let config = load_config(&args.config)?;
            let lake = Lake::open(&config.lake)?;
            let plan = ingest::plan(&config, &lake).await?;
            let report = ingest::run(&config, &lake, &plan).await?;
            emit(&render_report(&report, &lake))?;
            Ok(if report.problems.is_empty() { ExitCode::Ok } else { ExitCode::DataGate })
        }
    }
}

/// The revision the lake holds for `period` (1 if never closed) and whether the period is closed —
/// then a stage command prints it but does not change it, and says so.
async fn stored_revision(lake: &Lake, period: Period) -> Result<(i64, bool)> {
    let Some(state) = crate::close::revision::read(lake, period).await? else { return Ok((1, false)) };
    let closed = state.status == crate::close::revision::Status::Closed;
    if closed {
        eprintln!(
            "note: {period} is closed (revision {}): printed from the lake as it is now, not written. \
             To restate it: kpi-close close --month <its last month> --reopen --reason \"…\"",
            state.revision
        );
    }
    Ok((state.revision, closed))
}

/// Loads the config and, when it names `engine.sql_dir`, the SQL files from there.
fn load_config(path: &std::path::Path) -> Result<Config> {
    let config = Config::load(path)?;
    for warning in &config.warnings {
        tracing::warn!(key = %warning.key, "{}", warning.message);
    }
    if let Some(dir) = &config.engine.sql_dir {
        crate::sql::load_dir(dir)?;
    }
    Ok(config)
}

fn emit(text: &str) -> Result<()> {
    emit_bytes(text.as_bytes())
}

fn emit_bytes(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes).and_then(|_| out.flush()).map_err(Error::Stdout)
}

/// The indicators as a table (the columns a reader scans), CSV or JSON (every column).
fn render_indicators(indicators: &Indicators, format: OutputFormat) -> Result<Vec<u8>> {
    match format {
        OutputFormat::Csv => batches_csv(&indicators.batches),
        OutputFormat::Json => batches_json(&indicators.batches),
        OutputFormat::Table => {
            let headers =
                ["grain", "entity", "kpi", "value", "gross", "excluded", "low volume", "vs previous", "vs year ago"];
            let rows = kpis::display_rows(indicators).map_err(arrow_error)?;
            Ok(format!(
                "Indicators {} ({} rows, net values; n/a = zero denominator)\n{}",
                indicators.period,
                rows.len(),
                table(&headers, &rows)
            )
            .into_bytes())
        }
    }
}

fn render_audit_run(run: &crate::audit::AuditManifest) -> String {
    let flagged: u64 = run.rules.values().map(|r| r.rows_flagged).sum();
    let mut text = match run.kept {
        false => format!(
            "\nAudit: {} rule(s) ran over the whole lake and flagged {flagged} row(s); the ledger is exclusions/<RULE>.parquet.\n",
            run.rules.len()
        ),
        true => format!(
            "\nAudit: the exports, rules, lists and settings are those of the last audit; its ledger of {flagged} flagged row(s) from {} rule(s) stands (exclusions/<RULE>.parquet).\n",
            run.rules.len()
        ),
    };
    for (rule, why) in &run.skipped {
        text.push_str(&format!("  {rule} did not run: {why}\n"));
    }
    text
}

fn render_audit_report(report: &crate::audit::report::AuditReport) -> Result<String> {
    let cells = |batches: &[datafusion::arrow::array::RecordBatch]| -> Result<Vec<Vec<String>>> {
        let rows = crate::engine::text_rows(batches).map_err(arrow_error)?;
        Ok(rows.into_iter().map(|r| r.into_iter().map(Option::unwrap_or_default).collect()).collect())
    };
    let period = report.period;
    let mut text = format!("\nAudit report {period}\n\nRows per dataset (months of {period}):\n");
    text.push_str(&table(&["dataset", "rows in", "excluded", "net"], &cells(&report.datasets)?));
    text.push_str("\nFlagged per rule (a row caught by two rules counts under both):\n");
    text.push_str(&table(&["dataset", "rule", "version", "rows"], &cells(&report.rules)?));
    text.push_str("\nCompany indicators, gross → net:\n");
    let rows: Vec<Vec<String>> = kpis::display_rows(&report.indicators)
        .map_err(arrow_error)?
        .into_iter()
        .filter(|r| r[0] == "company")
        .map(|r| vec![r[2].clone(), r[4].clone(), r[3].clone(), r[5].clone()])
        .collect();
    text.push_str(&table(&["kpi", "gross", "net", "excluded rows"], &rows));
    text.push_str("\nIngest: rejects and de-duplicated re-exports per dataset:\n");
    let rows: Vec<Vec<String>> = report
        .ingest
        .datasets
        .iter()
        .map(|(name, d)| {
            let superseded: u64 = d.files.iter().map(|f| f.rows_superseded).sum();
            vec![name.clone(), d.rows.to_string(), d.rows_rejected.to_string(), superseded.to_string()]
        })
        .collect();
    text.push_str(&table(&["dataset", "rows in lake", "rejected", "superseded by a newer export"], &rows));
    text.push_str("\nInput files:\n");
    let rows: Vec<Vec<String>> = report
        .ingest
        .datasets
        .iter()
        .flat_map(|(name, d)| {
            d.files.iter().map(move |f| vec![name.clone(), f.path.clone(), f.rows_read.to_string(), f.sha256.clone()])
        })
        .collect();
    text.push_str(&table(&["dataset", "file", "rows", "sha256"], &rows));
    if let Some(audit) = &report.audit {
        text.push_str("\nReference lists:\n");
        let rows: Vec<Vec<String>> =
            audit.lists.iter().map(|(name, l)| vec![name.clone(), l.origin.clone(), l.sha256.clone()]).collect();
        text.push_str(&table(&["list", "from", "sha256"], &rows));
    }
    Ok(text)
}

/// An Arrow failure while shaping output: a runtime error of the engine.
fn arrow_error(e: datafusion::arrow::error::ArrowError) -> Error {
    Error::Kpis(kpis::KpiError::Engine(e.into()))
}

/// Record batches as CSV with a header line.
fn batches_csv(batches: &[datafusion::arrow::array::RecordBatch]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut writer = datafusion::arrow::csv::WriterBuilder::new().with_header(true).build(&mut out);
    for batch in batches {
        writer.write(batch).map_err(arrow_error)?;
    }
    drop(writer);
    Ok(out)
}

/// Record batches as one JSON array of objects (`[]` when empty), then a newline.
fn batches_json(batches: &[datafusion::arrow::array::RecordBatch]) -> Result<Vec<u8>> {
    let mut writer = datafusion::arrow::json::ArrayWriter::new(Vec::new());
    for batch in batches {
        writer.write(batch).map_err(arrow_error)?;
    }
    writer.finish().map_err(arrow_error)?;
    let mut out = writer.into_inner();
    if out.is_empty() {
        out.extend_from_slice(b"[]");
    }
    out.push(b'\n');
    Ok(out)
}

fn audit_json(report: &crate::audit::report::AuditReport) -> Result<Vec<u8>> {
    let rows = |batches: &[datafusion::arrow::array::RecordBatch]| -> Result<serde_json::Value> {
        Ok(serde_json::from_slice(&batches_json(batches)?).unwrap_or_default())
    };
    let value = serde_json::json!({
        "period": report.period.to_string(),
        "datasets": rows(&report.datasets)?,
        "rules": rows(&report.rules)?,
        "indicators": rows(&report.indicators.batches)?,
        "ingest": report.ingest,
        "audit": report.audit,
    });
    Ok(format!("{}\n", serde_json::to_string_pretty(&value).unwrap_or_default()).into_bytes())
}

/// One line on a period's scorecards and the flags they raised.
fn scored_line(scorecards: &crate::score::Scorecards, flags: &[crate::score::flags::Flag]) -> String {
    let scored = scorecards.cards.iter().filter(|c| c.total_score.is_some()).count();
    let mut counts = std::collections::BTreeMap::new();
    for f in flags {
        *counts.entry(f.flag).or_insert(0) += 1;
    }
    let counts: Vec<String> = counts.iter().map(|(k, v)| format!("{v} {k}")).collect();
    format!(
        "Scorecards {}: {scored} people scored; flags: {}\n",
        scorecards.period,
        if counts.is_empty() { "none".to_string() } else { counts.join(", ") }
    )
}

fn render_scorecards(scorecards: &crate::score::Scorecards, revision: i64, format: OutputFormat) -> Result<Vec<u8>> {
    let batch = scorecards.batch(revision).map_err(arrow_error)?;
    match format {
        OutputFormat::Csv => batches_csv(&[batch]),
        OutputFormat::Json => batches_json(&[batch]),
        OutputFormat::Table => {
            let number =
                |v: Option<f64>, digits: usize| v.map(|v| format!("{v:.digits$}")).unwrap_or_else(|| "n/a".into());
            let mut text = format!(
                "Scorecards {} (achievement capped; weights renormalised over the KPIs scored)\n",
                scorecards.period
            );
            let rows: Vec<Vec<String>> = scorecards
                .cards
                .iter()
                .map(|c| {
                    vec![
                        c.person_id.clone(),
                        c.team_id.clone(),
                        number(c.total_score, 1),
                        c.rating.unwrap_or("-").to_string(),
                        number(c.payout_share.map(|p| p * 100.0), 0),
                        if c.excess { "yes".into() } else { String::new() },
                        c.bonus.map(|b| b.round_dp(2).to_string()).unwrap_or_else(|| "n/a".into()),
                        c.lines.iter().filter(|l| l.note.is_none()).count().to_string(),
                    ]
                })
                .collect();
            text.push_str(&table(
                &["person", "team", "score", "rating", "payout %", "excess", "bonus", "KPIs scored"],
                &rows,
            ));
            text.push('\n');
            let rows: Vec<Vec<String>> = scorecards
                .cards
                .iter()
                .flat_map(|c| c.lines.iter())
                .map(|l| {
                    vec![
                        l.person_id.clone(),
                        l.kpi.clone(),
                        number(l.target, 4),
                        number(l.actual, 4),
                        number(l.achievement, 3),
                        number(Some(l.weight), 0),
                        number(Some(l.effective_weight), 1),
                        number(Some(l.points), 1),
                        l.note.clone().unwrap_or_default(),
                    ]
                })
                .collect();
            text.push_str(&table(
                &["person", "kpi", "target", "actual", "achievement", "weight", "weight used", "points", "note"],
                &rows,
            ));
            Ok(text.into_bytes())
        }
    }
}

/// `close --dry-run`: the exports ingest would read, the periods computed, the reports rendered and
/// who would receive them (from the org data already in the lake). Writes nothing.
async fn close_plan(config: &Config, first: Period, last: Period) -> Result<String> {
    let lake = Lake::open(&config.lake)?;
    let plan = ingest::plan(config, &lake).await?;
    let mut text = render_plan(&plan, &lake);
    let periods: Vec<Period> = months(first, last).flat_map(kpis::periods_closed_by).collect();
    text.push_str(&format!(
        "\nWould run the audit over the lake, then compute indicators, proof bundles, scorecards and flags for: {}\n",
        periods.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
    ));
    for period in &periods {
        if let Some(state) = crate::close::revision::read(&lake, *period).await? {
            text.push_str(&format!(
                "{period} is {} at revision {}: it is recomputed and compared, and nothing is written unless `--reopen` restates it.\n",
                match state.status {
                    crate::close::revision::Status::Closed => "closed",
                    crate::close::revision::Status::Closing => "being closed (an earlier close did not finish; it resumes)",
                },
                state.revision
            ));
        }
    }
    for period in kpis::periods_closed_by(last) {
        let data = crate::report::data::ReportData::read(config, &lake, period).await;
        match data {
            Ok(data) if !data.lines.is_empty() => {
                let (deliveries, unreachable) = crate::deliver::recipients(config, &data);
                let rows: Vec<Vec<String>> = deliveries
                    .iter()
                    .map(|d| vec![d.audience.id(), d.locale.tag().to_string(), d.email.clone()])
                    .collect();
                text.push_str(&format!(
                    "\nWould render and send {period} (recipients from the org data now in the lake):\n{}",
                    table(&["report", "locale", "to"], &rows)
                ));
                for u in unreachable {
                    text.push_str(&format!("not sent: {u}\n"));
                }
            }
            _ => text.push_str(&format!(
                "\nWould render and send {period}: leadership ({}), auditors ({}), each team's manager and the people in delivery.personal_opt_in — listed here once the org data and scores are in the lake.\n",
                config.delivery.leadership.len(),
                config.delivery.auditors.len()
            )),
        }
    }
    text.push_str("\nDry run: nothing was read into the lake, computed, rendered or sent.\n");
    Ok(text)
}

/// The whole close for months `first` … `last`, under the lake's lock, recorded in `runs/`;
/// `reopen` is the reason given with `--reopen`. Returns the exit code and what to print.
async fn close(
    config: &Config,
    first: Period,
    last: Period,
    wait_seconds: u64,
    reopen: Option<&str>,
) -> Result<(ExitCode, String)> {
    let lake = Lake::open(&config.lake)?;
    let what = if first == last { first.to_string() } else { format!("{first} … {last}") };
    let command = match (first == last, reopen) {
        (true, Some(reason)) => format!("close --month {first} --reopen --reason {reason:?}"),
        (true, None) => format!("close --month {first}"),
        (false, _) => format!("close --from {first} --to {last}"),
    };
    let lock = crate::close::lock::acquire(&lake, &command, std::time::Duration::from_secs(wait_seconds)).await?;
    let periods: Vec<String> = months(first, last).flat_map(kpis::periods_closed_by).map(|p| p.to_string()).collect();
    let mut run = crate::close::runs::Run::start(&command, periods);
    run.save(&lake).await?;
    let result = close_stages(config, &lake, first, last, &what, reopen, &mut run).await;
    match &result {
        Ok((ExitCode::Ok, _)) => run.finish("ok", None),
        Ok((ExitCode::DataGate, _)) => run.finish("gate failed", Some("a data gate or check failed".into())),
        Ok((_, _)) => run.finish("failed", Some("some mail was not delivered".into())),
        Err(e) => run.finish("failed", Some(e.to_string())),
    }
    let saved = run.save(&lake).await;
    lock.release().await?;
    saved?;
    result.map(|(code, mut text)| {
        text.push_str(&format!("\n{}\n", run.summary()));
        (code, text)
    })
}

/// The months `first` … `last`, in order.
fn months(first: Period, last: Period) -> impl Iterator<Item = Period> {
    std::iter::successors(Some(first), move |m| Some(m.shifted(1)).filter(|m| *m <= last))
}

/// The periods a close of `month` computes: those it ends and — reopening — also the closed
/// quarter, half-year and year that hold it (a restated month changes them too).
async fn periods_to_close(lake: &Lake, month: Period, reopen: bool) -> Result<Vec<Period>> {
    let ended = kpis::periods_closed_by(month);
    let mut out = Vec::new();
    for period in month.containing() {
        if ended.contains(&period) || (reopen && crate::close::revision::read(lake, period).await?.is_some()) {
            out.push(period);
        }
    }
    Ok(out)
}

async fn close_stages(
    config: &Config,
    lake: &Lake,
    first: Period,
    last: Period,
    what: &str,
    reopen: Option<&str>,
    run: &mut crate::close::runs::Run,
) -> Result<(ExitCode, String)> {
    use crate::close::period::Outcome;
    let started = std::time::Instant::now();
    let plan = ingest::plan(config, lake).await?;
    let report = ingest::run(config, lake, &plan).await?;
    run.stage("ingest", started);
    run.totals.rows = report.datasets.iter().map(|d| d.entry.rows).sum();
    run.totals.rejected = report.datasets.iter().map(|d| d.entry.rows_rejected).sum();
    run.save(lake).await?;
    let mut text = render_report(&report, lake);
    text.push_str(&render_coverage(&report, last));
    if !report.problems.is_empty() {
        text.push_str(&format!("\nClose {last} stopped at the ingest gate: no indicators computed.\n"));
        return Ok((ExitCode::DataGate, text));
    }
    let started = std::time::Instant::now();
    let audit = crate::audit::run(config, lake).await?;
    run.stage("audit", started);
    run.totals.flagged = audit.rules.values().map(|r| r.rows_flagged).sum();
    run.save(lake).await?;
    let started = std::time::Instant::now();
    text.push_str(&render_audit_run(&audit));
    let mut failed = Vec::new();
    // The periods written by this close, and those of the last month (which are mailed).
    let (mut written, mut to_send) = (Vec::new(), Vec::new());
    for month in months(first, last) {
        for period in periods_to_close(lake, month, reopen.is_some()).await? {
            let outcome = crate::close::period::close(config, lake, period, reopen, &run.run_id).await?;
            match outcome {
                Outcome::ChecksFailed(indicators) => {
                    failed.push(period);
                    text.push_str(&render_findings(&indicators));
                }
                Outcome::Unchanged { revision } => text.push_str(&format!(
                    "{period} is closed (revision {revision}); recomputed, the figures are identical: kept as reported, nothing written or sent.\n"
                )),
                Outcome::Changed { revision, changes } => {
                    run.stage("indicators and scores", started);
                    text.push_str(&render_changes(period, revision, &changes, month));
                    return Ok((ExitCode::DataGate, text));
                }
                Outcome::Written { revision, indicators, scorecards, flags, restated } => {
                    run.revision = run.revision.max(revision);
                    if let Some(from) = restated {
                        text.push_str(&format!(
                            "{period} restated: revision {} replaces revision {from}, which is kept under {}/\n",
                            from + 1,
                            crate::close::revision::archive_folder(period, from)
                        ));
                    }
                    text.push_str(&format!(
                        "Indicators {period}: {} rows, all checks passed, written to {}; proof bundle {}\n",
                        indicators.rows(),
                        indicators.lake_path(),
                        crate::proof::bundle_path(period)
                    ));
                    text.push_str(&scored_line(&scorecards, &flags));
                    run.totals.indicators += indicators.rows();
                    run.totals.periods += 1;
                    written.push(period);
                    if month == last {
                        to_send.push(period);
                    }
                }
            }
        }
    }
    run.stage("indicators and scores", started);
    run.save(lake).await?;
    let started = std::time::Instant::now();
    let manifest = crate::ingest::Manifest::load(lake).await?;
    let checks = vec![crate::close::gates::sources(&manifest, last), crate::close::gates::checks(&failed)];
    for period in &to_send {
        let gates = crate::close::gates::Gates { period: period.to_string(), gates: checks.clone() };
        crate::close::gates::write(lake, *period, &gates).await?;
    }
    let gates = crate::close::gates::Gates { period: last.to_string(), gates: checks };
    if !failed.is_empty() {
        // A period whose checks failed has no indicators stored: there is nothing to render.
        text.push_str(&format!("\nClose {what} stopped: a check failed (above); no report was sent.\n"));
        return Ok((ExitCode::DataGate, text));
    }
    if !gates.passed() {
        for period in &to_send {
            let rendered = crate::report::render(config, lake, *period).await?;
            run.totals.reports += rendered.documents.len();
            text.push_str(&render_rendered(&rendered, lake));
        }
        text.push_str(&format!(
            "\nClose {what}: a gate failed, so the reports are DRAFT and nothing was sent:\n{}\nFix the input and run the close again.\n",
            gates.failures().iter().map(|f| format!("  - {f}")).collect::<Vec<_>>().join("\n")
        ));
        run.stage("reports (draft)", started);
        return Ok((ExitCode::DataGate, text));
    }
    // Reports go out for the periods the last month closes; a backfill's earlier months are
    // computed and stored, not mailed again.
    let mut sent_failed = false;
    for period in &to_send {
        let rendered = crate::report::render(config, lake, *period).await?;
        run.totals.reports += rendered.documents.len();
        text.push_str(&render_rendered(&rendered, lake));
        let outcome = crate::deliver::send(config, lake, *period, crate::deliver::Options::default()).await?;
        sent_failed |= !outcome.failed.is_empty() || !outcome.uncertain.is_empty();
        run.sent.extend(crate::deliver::sent_lines(*period, &outcome));
        text.push_str(&render_outcome(*period, &outcome));
    }
    run.stage("reports and mail", started);
    if sent_failed {
        text.push_str(&format!(
            "\nClose {what}: some mail was not delivered (above). The periods stay open: run the close again to retry only what failed.\n"
        ));
        return Ok((ExitCode::Runtime, text));
    }
    // Delivered: the periods are closed, and frozen from now on.
    for period in &written {
        crate::close::revision::finish(lake, *period).await?;
    }
    text.push_str(&format!("\nClose {what} done. The lake is at {}.\n", lake.location()));
    if config.delivery.transport == crate::config::Transport::Outbox && !to_send.is_empty() {
        text.push_str(&format!(
            "Mail is in the outbox: {} (open the .eml files with a mail program); the HTML archive is under reports/ in the lake.\n",
            config.delivery.outbox.display()
        ));
    }
    Ok((ExitCode::Ok, text))
}

/// A closed period that recomputes differently, without `--reopen`: what changed and how to restate.
fn render_changes(period: Period, revision: i64, changes: &[String], month: Period) -> String {
    let mut text = format!(
        "\n{period} is closed (revision {revision}) and the lake now gives different figures ({} change(s)):\n",
        changes.len()
    );
    for change in changes.iter().take(20) {
        text.push_str(&format!("  - {change}\n"));
    }
    if changes.len() > 20 {
        text.push_str(&format!("  … and {} more\n", changes.len() - 20));
    }
    text.push_str(&format!(
        "Nothing was written or sent: the figures as reported stand. To restate them as revision {}, run\n  kpi-close close --month {month} --reopen --reason \"<why: late data, a corrected rule, …>\"\n",
        revision + 1
    ));
    text
}

/// `schedule`: runs the close of the previous month at every time the cron expression names, in the
/// schedule's timezone; a failed close is logged and the next one still runs.
async fn schedule(config_path: &std::path::Path, config: &Config) -> Result<ExitCode> {
    let s = &config.schedule;
    loop {
        let now = chrono::Utc::now();
        let Some(next) = s.cron.next_after(now, s.timezone) else {
            tracing::error!(cron = %s.expression, "The cron expression never matches");
            return Ok(ExitCode::Usage);
        };
        let month = crate::close::schedule::month_to_close(next, s.timezone);
        tracing::info!(next = %next.with_timezone(&s.timezone), %month, "Next close");
        let wait = (next - now).to_std().unwrap_or_default();
        tokio::time::sleep(wait).await;
        // Re-read the config each time: an edit between runs takes effect without a restart.
        let result = match load_config(config_path) {
            Ok(config) => close(&config, month, month, 3600, None).await,
            Err(e) => Err(e),
        };
        match result {
            Ok((code, text)) => {
                println!("{text}");
                tracing::info!(%month, exit_code = code as i32, "Close finished");
            }
            Err(error) => tracing::error!(%month, %error, "Close failed; the schedule goes on"),
        }
    }
}

fn render_runs(runs: &[crate::close::runs::Run]) -> String {
    let rows: Vec<Vec<String>> = runs
        .iter()
        .map(|r| {
            let seconds: f64 = r.stages.iter().map(|s| s.seconds).sum();
            let sent = r.sent.iter().filter(|s| s.status == "sent").count();
            let failed = r.sent.iter().filter(|s| s.status == "failed" || s.status == "uncertain").count();
            vec![
                r.run_id.clone(),
                r.command.clone(),
                r.revision.to_string(),
                r.status.clone(),
                r.started_at.clone(),
                format!("{seconds:.1}"),
                format!("{sent} sent, {failed} failed"),
                r.message.clone().unwrap_or_default(),
            ]
        })
        .collect();
    table(&["run", "command", "rev", "status", "started", "seconds", "mail", "why"], &rows)
}

fn render_rendered(rendered: &crate::report::Rendered, lake: &Lake) -> String {
    let mut text = String::new();
    if !rendered.computed_months.is_empty() {
        let months: Vec<String> = rendered.computed_months.iter().map(ToString::to_string).collect();
        text.push_str(&format!("Indicators computed for the trends: {}\n", months.join(", ")));
    }
    let rows: Vec<Vec<String>> = rendered
        .documents
        .iter()
        .map(|d| {
            vec![
                d.id(),
                d.locale.tag().to_string(),
                if d.draft { "DRAFT".into() } else { String::new() },
                d.images.len().to_string(),
                d.subject.clone(),
            ]
        })
        .collect();
    text.push_str(&format!(
        "\nReports {} ({} documents, archive {}/)\n{}",
        rendered.period,
        rendered.documents.len(),
        lake.url(&crate::report::archive_folder(rendered.period)),
        table(&["report", "locale", "", "charts", "subject"], &rows)
    ));
    text
}

fn render_outcome(period: Period, outcome: &crate::deliver::Outcome) -> String {
    let mut rows: Vec<Vec<String>> = Vec::new();
    for (status, entries) in [
        ("sent", &outcome.sent),
        ("already sent", &outcome.skipped),
        ("FAILED", &outcome.failed),
        ("UNCERTAIN", &outcome.uncertain),
    ] {
        for e in entries {
            rows.push(vec![
                e.report.clone(),
                e.locale.clone(),
                e.recipient.clone(),
                status.to_string(),
                e.error.clone().unwrap_or_default(),
            ]);
        }
    }
    for d in &outcome.planned {
        rows.push(vec![d.audience.id(), d.locale.tag().into(), d.email.clone(), "would send".into(), String::new()]);
    }
    let mut text = format!("\nMail {period}\n{}", table(&["report", "locale", "to", "status", "error"], &rows));
    for u in &outcome.unreachable {
        text.push_str(&format!("not sent: {u}\n"));
    }
    if !outcome.uncertain.is_empty() {
        text.push_str("UNCERTAIN: an earlier run stopped while sending these; check the recipients' mail, then `send --resend` if they did not arrive.\n");
    }
    text
}

fn render_findings(indicators: &Indicators) -> String {
    let mut text = format!("Indicator checks failed for {}: nothing was written.\n", indicators.period);
    for finding in &indicators.findings {
        let rows: usize = finding.rows.iter().map(|b| b.num_rows()).sum();
        text.push_str(&format!("  {}: {rows} offending row(s)\n", finding.check.path()));
        if let Ok(shown) = datafusion::arrow::util::pretty::pretty_format_batches(&finding.rows) {
            for line in shown.to_string().lines().take(24) {
                text.push_str(&format!("    {line}\n"));
            }
        }
    }
    text
}

/// A plain text table, columns padded to their widest cell (by characters).
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        padded.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = line(headers.to_vec());
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    out.push_str(&line(rule.iter().map(String::as_str).collect()));
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

fn render_plan(plan: &IngestPlan, lake: &Lake) -> String {
    let rows: Vec<Vec<String>> = plan
        .files()
        .map(|f| {
            vec![
                f.source.clone(),
                f.display.clone(),
                format!("{:?}", f.format).to_lowercase(),
                f.bytes.to_string(),
                f.sha256[..12].to_string(),
                f.status.label().to_string(),
            ]
        })
        .collect();
    let mut out = format!("Ingest plan for lake {}\n\n", lake.location());
    out.push_str(&table(&["source", "file", "format", "bytes", "sha256", "status"], &rows));
    out.push('\n');
    for d in &plan.datasets {
        for removed in &d.removed {
            out.push_str(&format!(
                "{}: {removed} is gone from the exports; its rows will leave the lake\n",
                d.dataset.name
            ));
        }
    }
    let rebuild: Vec<&str> = plan.datasets.iter().filter(|d| d.rebuild).map(|d| d.dataset.name).collect();
    if rebuild.is_empty() {
        out.push_str("Nothing to do: every export is already in the lake.\n");
    } else {
        out.push_str(&format!("Would rebuild: {}\n", rebuild.join(", ")));
    }
    out
}

/// Which event datasets hold rows for the month being closed.
fn render_coverage(report: &IngestReport, month: Period) -> String {
    let label = month.to_string();
    let mut with = Vec::new();
    let mut without = Vec::new();
    for d in &report.datasets {
        if d.entry.months.is_empty() {
            continue;
        }
        if d.entry.months.contains(&label) { with.push(d.dataset) } else { without.push(d.dataset) }
    }
    let mut out =
        format!("\n{label}: data for {}", if with.is_empty() { "no dataset".to_string() } else { with.join(", ") });
    if !without.is_empty() {
        out.push_str(&format!("; none for {}", without.join(", ")));
    }
    out.push('\n');
    out
}

fn render_report(report: &IngestReport, lake: &Lake) -> String {
    let rows: Vec<Vec<String>> = report
        .datasets
        .iter()
        .map(|d| {
            let ratio = d.reject_ratio();
            let mut status = if d.rebuilt { "rebuilt".to_string() } else { "unchanged".to_string() };
            if ratio > report.max_reject_ratio {
                status.push_str(&format!(
                    "; rejects above {:.1}%: the close's gate will fail",
                    report.max_reject_ratio * 100.0
                ));
            }
            vec![
                d.dataset.to_string(),
                format!("{} ({} parsed)", d.files, d.files_parsed),
                d.rows_read().to_string(),
                format!("{} ({:.2}%)", d.entry.rows_rejected, ratio * 100.0),
                d.rows_superseded().to_string(),
                d.entry.rows.to_string(),
                status,
            ]
        })
        .collect();
    let mut out = format!("Ingest into lake {}\n\n", lake.location());
    out.push_str(&table(&["dataset", "files", "rows read", "rejected", "superseded", "in lake", "status"], &rows));
    out.push('\n');
    for p in &report.problems {
        out.push_str(&format!("held back: {}\n", p.message));
    }
    let secs = report.elapsed.as_secs_f64();
    if report.changed() {
        let mb = report.bytes_parsed as f64 / 1e6;
        out.push_str(&format!(
            "Parsed {mb:.1} MB of exports in {secs:.1} s ({:.1} MB/s). Rejected rows are in rejects/<dataset>.parquet; the manifest is manifests/ingest.json.\n",
            if secs > 0.0 { mb / secs } else { 0.0 }
        ));
    } else if report.problems.is_empty() {
        out.push_str("Nothing changed: every export was already in the lake.\n");
    }
    out
}
