//! Ingest: export files in, a validated Parquet lake out.
//!
//! In: the files each `[sources.NAME]` glob matches (CSV, JSON lines, Parquet, XLSX; UTF-8, BOM or
//! GBK; optionally `.gz`). Out: `data/<dataset>/…` partitions, `rejects/<dataset>.parquet`, and
//! `manifests/ingest.json` (`lake::layout`, `lake::records::IngestManifest`).
//!
//! Steps: `plan` hashes every export and compares with the manifest; `stage` parses each new or
//! changed export to typed Parquet, sending rows that break the data contract to rejects with file,
//! line, column, raw value and reason; `merge` de-duplicates by key (the newest export wins) and
//! writes month partitions; the manifest is written last. Unchanged exports are never re-parsed and
//! an ingest with nothing new writes nothing.
//!
//! Can fail: an export missing a required column (the whole file is held back, the dataset keeps
//! its last good state, and the problem names the file, the column and the mapping key that fixes
//! it); an unreadable file; the lake or the engine failing.

mod merge;
mod parse;
mod plan;
mod read;
mod remote;
mod stage;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use datafusion::error::DataFusionError;
use datafusion::prelude::SessionContext;
use futures::StreamExt;
use tracing::Instrument;

pub use parse::{parse_money, parse_timestamp};
pub use plan::{DatasetPlan, FileStatus, IngestPlan, PlannedFile, check_sources, hash_file, plan};
pub use stage::{FileProblem, StageStats};

use crate::config::Config;
use crate::engine;
use crate::exit::ExitCode;
use crate::lake::records::{DatasetEntry, FileEntry, IngestManifest};
use crate::lake::{Lake, LakeError, layout};

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    #[error(transparent)]
    Lake(#[from] LakeError),
    #[error("source `{source_name}`: {message}")]
    Source { source_name: String, message: String },
    /// An object store refused or failed a read; the message names the object and the fix.
    #[error("{0}")]
    Store(String),
    #[error("cannot read {file}: {source}")]
    Read {
        file: String,
        #[source]
        source: std::io::Error,
    },
    #[error("lake object {path} is damaged ({reason}); delete it and ingest again")]
    Corrupt { path: String, reason: String },
    #[error("dataset `{dataset}`: {sql_file} failed: {source}")]
    Engine {
        dataset: &'static str,
        sql_file: String,
        #[source]
        source: DataFusionError,
    },
}

impl IngestError {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            IngestError::Source { .. } => ExitCode::Usage,
            IngestError::Lake(_)
            | IngestError::Store(_)
            | IngestError::Read { .. }
            | IngestError::Engine { .. }
            | IngestError::Corrupt { .. } => ExitCode::Runtime,
        }
    }
}

/// What an ingest did, per dataset.
#[derive(Debug, Clone)]
pub struct IngestReport {
    pub datasets: Vec<DatasetReport>,
    /// Files held back because they break the data contract.
    pub problems: Vec<FileProblem>,
    pub bytes_parsed: u64,
    pub elapsed: Duration,
    pub max_reject_ratio: f64,
}

#[derive(Debug, Clone)]
pub struct DatasetReport {
    pub dataset: &'static str,
    pub files: usize,
    pub files_parsed: usize,
    pub removed: usize,
    pub rebuilt: bool,
    pub entry: DatasetEntry,
}

impl DatasetReport {
    pub fn rows_read(&self) -> u64 {
        self.entry.files.iter().map(|f| f.rows_read).sum()
    }
    pub fn rows_superseded(&self) -> u64 {
        self.entry.files.iter().map(|f| f.rows_superseded).sum()
    }
    pub fn reject_ratio(&self) -> f64 {
        let read = self.rows_read();
        if read == 0 { 0.0 } else { self.entry.rows_rejected as f64 / read as f64 }
    }
}

impl IngestReport {
    pub fn changed(&self) -> bool {
        self.datasets.iter().any(|d| d.rebuilt)
    }
}

/// Carries out a plan.
pub async fn run(config: &Config, lake: &Lake, plan: &IngestPlan) -> Result<IngestReport, IngestError> {
    let started = Instant::now();
    let mut manifest = IngestManifest::load(lake).await?;
    // Each query of the merge runs on one partition — a month's sort spills within
    // `engine.memory_limit`, where parallel sorts and the shuffle between them can fail to reserve
    // memory for their merges — and months are merged several at once instead.
    let merge_engine = crate::config::Engine { target_partitions: 1, ..config.engine.clone() };
    let ctx = engine::context(&merge_engine, lake).map_err(|source| IngestError::Engine {
        dataset: "-",
        sql_file: "session".into(),
        source,
    })?;
    let mut problems = Vec::new();
    let mut reports = Vec::new();
    let mut bytes_parsed = 0;

    let bar = crate::progress::bar(plan.datasets.len(), "ingest");
    for dataset_plan in &plan.datasets {
        let name = dataset_plan.dataset.name;
        bar.set_message(format!("ingest {name}"));
        let known = manifest.datasets.get(name).cloned().unwrap_or_default();
        let span = tracing::info_span!("ingest", dataset = name);
        let outcome = ingest_dataset(config, lake, &ctx, dataset_plan, known).instrument(span).await?;
        bytes_parsed += outcome.bytes_parsed;
        problems.extend(outcome.problems);
        if outcome.report.rebuilt {
            manifest.datasets.insert(name.to_string(), outcome.report.entry.clone());
        }
        reports.push(outcome.report);
        bar.inc(1);
    }
    bar.finish_and_clear();
    if reports.iter().any(|r| r.rebuilt) {
        manifest.datasets.retain(|name, _| plan.datasets.iter().any(|d| d.dataset.name == name));
        manifest.save(lake).await?;
    }
    Ok(IngestReport {
        datasets: reports,
        problems,
        bytes_parsed,
        elapsed: started.elapsed(),
        max_reject_ratio: config.ingest.max_reject_ratio,
    })
}

struct DatasetOutcome {
    report: DatasetReport,
    problems: Vec<FileProblem>,
    bytes_parsed: u64,
}

/// Stages a dataset's new exports (several at once) and, if every export could be read, rebuilds
/// its partitions. A dataset with an export held back keeps its last good state.
async fn ingest_dataset(
    config: &Config,
    lake: &Lake,
    ctx: &SessionContext,
    plan: &DatasetPlan,
    known: DatasetEntry,
) -> Result<DatasetOutcome, IngestError> {
    let name = plan.dataset.name;
    let mut outcome = DatasetOutcome {
        report: DatasetReport {
            dataset: name,
            files: plan.files.len(),
            files_parsed: 0,
            removed: plan.removed.len(),
            rebuilt: false,
            entry: known,
        },
        problems: Vec::new(),
        bytes_parsed: 0,
    };
    if !plan.rebuild {
        return Ok(outcome);
    }
    let mut stats = BTreeMap::new();
    for file in plan.files.iter().filter(|f| f.staged) {
        stats.insert(file.staging_id.clone(), load_stats(lake, name, &file.staging_id).await?);
    }
    let config_file = config.file.display().to_string();
    let tz = config.company.timezone;
    let jobs = plan.files.iter().filter(|f| !f.staged).filter_map(|file| {
        let source = config.sources.iter().find(|s| s.name == file.source)?.clone();
        let (lake, file, config_file) = (lake.clone(), file.clone(), config_file.clone());
        Some(tokio::spawn(
            async move {
                tracing::debug!(file = %file.display, bytes = file.bytes, "Parsing export");
                let result = stage::stage(&lake, &source, &file, tz, &config_file).await;
                (file, result)
            }
            .in_current_span(),
        ))
    });
    let mut staged = futures::stream::iter(jobs).buffered(config.engine.target_partitions.max(1));
    while let Some(joined) = staged.next().await {
        let (file, result) =
            joined.map_err(|e| IngestError::Read { file: name.to_string(), source: std::io::Error::other(e) })?;
        match result {
            Ok(s) => {
                outcome.bytes_parsed += file.bytes;
                outcome.report.files_parsed += 1;
                stats.insert(file.staging_id.clone(), s);
            }
            Err(stage::StageError::File(problem)) => {
                tracing::error!(file = %problem.file, "Export held back");
                outcome.problems.push(problem);
            }
            Err(stage::StageError::Lake(e)) => return Err(e.into()),
        }
    }
    if !outcome.problems.is_empty() {
        return Ok(outcome);
    }
    let parallelism = engine::parallelism(&config.engine);
    let merged = merge::rebuild(ctx, lake, plan, &stats, &outcome.report.entry, parallelism).await?;
    let files = plan
        .files
        .iter()
        .map(|f| {
            let s = stats.get(&f.staging_id).cloned().unwrap_or_default();
            let months = merged.written_by_file.get(&f.display).cloned().unwrap_or_default();
            let written = months.values().sum();
            FileEntry {
                path: f.display.clone(),
                source: f.source.clone(),
                format: format!("{:?}", f.format).to_lowercase(),
                sha256: f.sha256.clone(),
                bytes: f.bytes,
                staging_id: f.staging_id.clone(),
                rows_read: s.rows_read,
                rows_rejected: s.rows_rejected,
                rows_superseded: s.rows_ok.saturating_sub(written),
                rows_written: written,
                months,
                identity: Some(f.identity.clone()),
            }
        })
        .collect::<Vec<_>>();
    let merged_written = merged.rewritten;
    outcome.report.entry = DatasetEntry {
        rows: merged.rows,
        rows_rejected: files.iter().map(|f| f.rows_rejected).sum(),
        months: merged.months,
        files,
        objects: merged.objects,
    };
    outcome.report.rebuilt = true;
    tracing::info!(
        rows = outcome.report.entry.rows,
        rejected = outcome.report.entry.rows_rejected,
        objects_written = merged_written,
        "Dataset rebuilt"
    );
    Ok(outcome)
}

async fn load_stats(lake: &Lake, dataset: &str, id: &str) -> Result<StageStats, IngestError> {
    let path = layout::staging_stats(dataset, id);
    let bytes = lake.get(&path).await?.unwrap_or_default();
    serde_json::from_slice(&bytes).map_err(|e| IngestError::Corrupt { path, reason: e.to_string() })
}
