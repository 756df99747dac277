//! The command line: arguments are parsed once and converted into the domain's requests; each
//! subcommand is one call — a close (planned, then executed), one single-stage command, `validate`
//! — whose result `render` turns into what goes to stdout. Logs go to stderr.

mod render;

use std::io::Write;
use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

use crate::close::{self, CloseRequest, RequestError, commands};
use crate::config::{self, Config};
use crate::engine::{self, Scope};
use crate::error::{Error, ExitCode, Result};
use crate::lake::Lake;
use crate::lake::records::Run;
use crate::period::Period;
use crate::sql::cards;

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

/// `close`'s arguments, converted once into a [`CloseRequest`].
#[derive(Debug, clap::Args)]
pub struct CloseArgs {
    /// The month to close, e.g. 2026-10.
    #[arg(long, value_parser = parse_month, conflicts_with_all = ["from", "to"])]
    pub month: Option<Period>,
    /// Backfill: the first month to close.
    #[arg(long, value_parser = parse_month, requires = "to")]
    pub from: Option<Period>,
    /// Backfill: the last month to close.
    #[arg(long, value_parser = parse_month, requires = "from")]
    pub to: Option<Period>,
    /// When another close holds the lake, wait this long for it before giving up.
    #[arg(long, default_value_t = 0)]
    pub wait_seconds: u64,
    /// Show what the close would read, compute, render and send; change and send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Restate the month's closed periods (and the closed quarter, half-year and year holding it)
    /// as the next revision, if recomputing them gives different figures. Needs `--reason`.
    #[arg(long, requires = "reason", requires = "month")]
    pub reopen: bool,
    /// Why the closed figures are restated (late data, a corrected rule): shown in the reports.
    #[arg(long, requires = "reopen")]
    pub reason: Option<String>,
}

impl TryFrom<&CloseArgs> for CloseRequest {
    type Error = RequestError;

    fn try_from(args: &CloseArgs) -> Result<CloseRequest, RequestError> {
        let (first, last) = match (args.month, args.from, args.to) {
            (Some(m), _, _) => (m, m),
            (None, Some(f), Some(t)) => (f, t),
            _ => return Err(RequestError("give --month M, or --from M1 --to M2 with M1 not after M2".into())),
        };
        let reopen = if args.reopen { args.reason.clone() } else { None };
        CloseRequest::new(first, last, args.wait_seconds, reopen)
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Close a month (or backfill a range of months, in order): every stage built so far.
    Close(CloseArgs),
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
        #[arg(long, default_value_t = kpi_close_demo::DEFAULT_SEED)]
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
        #[arg(long, default_value_t = kpi_close_demo::DEFAULT_SEED)]
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

/// The config and the lake it names.
fn open(path: &std::path::Path) -> Result<(Config, Lake)> {
    let config = config::load(path)?;
    let lake = Lake::open(&config.lake)?;
    Ok((config, lake))
}

async fn run(args: Args) -> Result<ExitCode> {
    match args.command {
        Command::DemoData { out, scale, seed, uncompressed } => {
            let summary = kpi_close_demo::generate(&out, scale, seed, !uncompressed)
                .map_err(|source| Error::Demo { out: out.clone(), source })?;
            emit(&summary.to_string())?;
            Ok(ExitCode::Ok)
        }
        Command::BenchData { out, scale, seed } => {
            let summary = kpi_close_demo::year::generate(&out, scale, seed)
                .map_err(|source| Error::Demo { out: out.clone(), source })?;
            emit(&summary.to_string())?;
            Ok(ExitCode::Ok)
        }
        Command::Validate => {
            let config = config::load(&args.config)?;
            let validation = crate::validate::validate(&config).await?;
            emit(&render::validation(&args.config, &config, &validation))?;
            Ok(if validation.problems.is_empty() { ExitCode::Ok } else { ExitCode::Usage })
        }
        Command::Scheduler { bind } => {
            let (config, lake) = open(&args.config)?;
            tracing::info!(%bind, "Starting a Ballista scheduler");
            engine::serve_scheduler(&config, &lake, bind).await?;
            Ok(ExitCode::Ok)
        }
        Command::Executor { scheduler, bind, external_host, port, grpc_port } => {
            let (config, lake) = open(&args.config)?;
            let scheduler = scheduler.or_else(|| {
                config.engine.ballista.as_deref().and_then(|u| u.strip_prefix("df://")).map(str::to_string)
            });
            let Some((host, scheduler_port)) = scheduler.as_deref().and_then(|s| s.rsplit_once(':')) else {
                return Err(Error::Usage(
                    "give --scheduler host:port, or set engine.ballista = \"df://host:port\"".into(),
                ));
            };
            let scheduler_port =
                scheduler_port.parse().map_err(|_| Error::Usage(format!("`{scheduler_port}` is not a port")))?;
            tracing::info!(scheduler = %format!("{host}:{scheduler_port}"), %bind, port, grpc_port, "Starting a Ballista executor");
            let options = engine::ExecutorOptions {
                scheduler_host: host.to_string(),
                scheduler_port,
                bind_host: bind,
                external_host,
                port,
                grpc_port,
            };
            engine::serve_executor(&config, &lake, options).await?;
            Ok(ExitCode::Ok)
        }
        Command::Plan => {
            let (config, lake) = open(&args.config)?;
            let plan = crate::ingest::plan(&config, &lake).await.map_err(close::CloseError::from)?;
            emit(&render::ingest_plan(&plan, &lake))?;
            Ok(ExitCode::Ok)
        }
        Command::Close(close_args) => {
            let request = CloseRequest::try_from(&close_args).map_err(close::CloseError::from)?;
            let (config, lake) = open(&args.config)?;
            let plan = close::plan(&config, &lake, request).await?;
            if close_args.dry_run {
                emit(&render::close_plan(&plan, &config, &lake))?;
                return Ok(ExitCode::Ok);
            }
            let outcome = close::execute(&config, &lake, plan).await?;
            emit(&render::close(&outcome, &config, &lake))?;
            Ok(outcome.ended.exit_code())
        }
        Command::Runs { format } => {
            let (_, lake) = open(&args.config)?;
            let runs = Run::list(&lake).await?;
            if format == OutputFormat::Table {
                emit(&render::runs(&runs))?;
            } else {
                let mut bytes = serde_json::to_vec_pretty(&runs).map_err(|e| Error::Stdout(e.into()))?;
                bytes.push(b'\n');
                emit_bytes(&bytes)?;
            }
            Ok(ExitCode::Ok)
        }
        Command::Schedule => {
            let config = config::load(&args.config)?;
            close::schedule::run(&args.config, &config, |outcome| {
                if let Ok(lake) = Lake::open(&config.lake) {
                    println!("{}", render::close(outcome, &config, &lake));
                }
            })
            .await?;
            Ok(ExitCode::Ok)
        }
        Command::Audit { period, format } => {
            let (config, lake) = open(&args.config)?;
            let (run, report) = commands::audit(&config, &lake, period).await?;
            let output = match format {
                OutputFormat::Table => {
                    format!("{}{}", render::audit_run(&run), render::audit_report(&report)?).into_bytes()
                }
                OutputFormat::Csv => render::csv(&report.rules)?,
                OutputFormat::Json => render::audit_json(&report)?,
            };
            emit_bytes(&output)?;
            Ok(ExitCode::Ok)
        }
        Command::Kpis { period, format } => {
            let (config, lake) = open(&args.config)?;
            let (stored, indicators) = commands::kpis(&config, &lake, period).await?;
            if stored.closed {
                eprintln!("{}", render::closed_note(period, stored.revision));
            }
            if !indicators.findings.is_empty() {
                eprint!("{}", render::findings(&indicators));
                return Ok(ExitCode::DataGate);
            }
            emit_bytes(&render::indicators(&indicators, format)?)?;
            Ok(ExitCode::Ok)
        }
        Command::Query { sql, scope } => {
            let (config, lake) = open(&args.config)?;
            let scope = match scope {
                QueryScope::Gross => Scope::Gross,
                QueryScope::Net => Scope::Net,
            };
            let batches = commands::query(&config, &lake, scope, &sql).await?;
            let shown = datafusion::arrow::util::pretty::pretty_format_batches(&batches).map_err(Error::Output)?;
            emit(&format!("{shown}\n"))?;
            Ok(ExitCode::Ok)
        }
        Command::Score { period, format } => {
            let (config, lake) = open(&args.config)?;
            let (stored, scorecards, flags) = commands::score(&config, &lake, period).await?;
            if stored.closed {
                eprintln!("{}", render::closed_note(period, stored.revision));
            }
            emit_bytes(&render::scorecards(&scorecards, stored.revision, format)?)?;
            if format == OutputFormat::Table {
                emit(&render::flags(period, &flags))?;
            }
            Ok(ExitCode::Ok)
        }
        Command::Render { period } => {
            let (config, lake) = open(&args.config)?;
            let (trend_months, rendered) = commands::render(&config, &lake, period).await?;
            emit(&render::rendered(&trend_months, &rendered, &lake))?;
            Ok(ExitCode::Ok)
        }
        Command::Send { period, resend, dry_run } => {
            let (config, lake) = open(&args.config)?;
            let options = crate::deliver::Options { resend, dry_run };
            let outcome = commands::send(&config, &lake, period, options).await?;
            emit(&render::mail(period, &outcome))?;
            Ok(if outcome.failed.is_empty() && outcome.uncertain.is_empty() { ExitCode::Ok } else { ExitCode::Runtime })
        }
        Command::Verify { period } => {
            let (config, lake) = open(&args.config)?;
            let verification = commands::verify(&config, &lake, period).await?;
            emit(&render::verification(&verification))?;
            Ok(if verification.differences.is_empty() { ExitCode::Ok } else { ExitCode::DataGate })
        }
        Command::Explain { kpi } => {
            let config = Config::load(&args.config).ok();
            let timezone = config.as_ref().map(|c| c.company.timezone.name()).unwrap_or("Asia/Shanghai");
            let cards = cards::cards()?;
            match kpi {
                Some(id) => {
                    let card = cards.iter().find(|c| c.id == id).ok_or(Error::UnknownKpi(id))?;
                    emit(&card.render(timezone))?;
                }
                None => emit(&render::explain_list(cards))?,
            }
            Ok(ExitCode::Ok)
        }
        Command::Ingest => {
            let (config, lake) = open(&args.config)?;
            let report = commands::ingest(&config, &lake).await?;
            emit(&render::ingest_report(&report, &lake))?;
            Ok(if report.problems.is_empty() { ExitCode::Ok } else { ExitCode::DataGate })
        }
    }
}

fn emit(text: &str) -> Result<()> {
    emit_bytes(text.as_bytes())
}

fn emit_bytes(bytes: &[u8]) -> Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes).and_then(|_| out.flush()).map_err(Error::Stdout)
}
