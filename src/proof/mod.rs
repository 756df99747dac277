//! Proof bundles and `verify` (README, "Proof bundles and `verify`"): what an auditor needs to check
//! a closed period without trusting the people who ran it — weeks later, after later months were
//! ingested, on a copy of the lake.
//!
//! A close writes `proofs/period=<P>/bundle.json` for every period it computes, holding exactly
//! what the period read and gave: every lake object its figures were computed from (the month
//! partitions of data and ledger its SQL scanned, and the org and plan as they stood at the close,
//! archived beside the bundle as `proofs/period=<P>/org/`) with its SHA-256; the settings the
//! figures follow from, by content (`Config::figures`: no path, no location); the SHA-256 of every
//! SQL file and reference list; the program and engine versions; every indicator's numerator,
//! denominator, gross and net value, excluded rows, low-volume mark and definition version; and the
//! SHA-256 of the `indicators`, `scorecards` and `flags` objects written. Nothing in it depends on the
//! clock or on where the lake or the config live.
//!
//! `verify` compares a recomputation of the period (the indicator stage's, from the same objects,
//! which the close runs) and those objects as they are now with the bundle: it passes only if every
//! hash and every indicator is identical, and otherwise names each difference. A bundle of format 1
//! (before bundles were scoped to their period) is verified as it was written: the config file by
//! path, every export, every object under `data/` and `exclusions/`.

use std::collections::{BTreeMap, BTreeSet};

use datafusion::arrow::array::RecordBatch;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::config::Config;
use crate::exit::ExitCode;
use crate::lake::records::{AuditManifest, IngestManifest};
use crate::lake::{Lake, LakeError, layout};
use crate::period::Period;

#[derive(Debug, thiserror::Error)]
pub enum ProofError {
    #[error(transparent)]
    Lake(#[from] LakeError),
    #[error("cannot read the config file {path}: {source}")]
    Config {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("no proof bundle for {period} at {path}: close the period first (`close --month …`)")]
    Missing { period: Period, path: String },
    #[error("{path} is not a proof bundle: {source}")]
    Bundle {
        path: String,
        #[source]
        source: serde_json::Error,
    },
    #[error("the indicators cannot be read back: {0}")]
    Indicators(#[source] datafusion::arrow::error::ArrowError),
    #[error(
        "{period} read {object}, a month after its end: a period's figures may depend only on data up to its end (a bug; nothing was written)"
    )]
    AsOf { period: Period, object: String },
}

impl ProofError {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            ProofError::Missing { .. } => ExitCode::Usage,
            ProofError::Lake(_)
            | ProofError::Config { .. }
            | ProofError::Bundle { .. }
            | ProofError::Indicators(_)
            | ProofError::AsOf { .. } => ExitCode::Runtime,
        }
    }
}

/// The bundle format this program writes.
pub const FORMAT: u32 = 2;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bundle {
    /// 2: scoped to the period (below); absent in the bundles of format 1.
    #[serde(default)]
    pub format: u32,
    pub period: String,
    pub revision: i64,
    pub program: String,
    pub engine: String,
    /// Format 2: each settings section the figures follow from → SHA-256 of its content. Format 1: the
    /// config file's path → SHA-256 of its bytes.
    pub config: BTreeMap<String, String>,
    /// `sql/<layer>/<name>.sql` → SHA-256 of the text that ran.
    pub sql: BTreeMap<String, String>,
    /// Reference list → SHA-256.
    pub lists: BTreeMap<String, String>,
    /// Format 1 only: export path → (SHA-256, rows read), from the ingest manifest.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub exports: BTreeMap<String, (String, u64)>,
    /// Format 2: every lake object the period's figures were computed from → SHA-256. Format 1: every
    /// object under `data/` and `exclusions/`.
    pub lake: BTreeMap<String, String>,
    /// `kpi|grain|entity_id` → the row's figures as written.
    pub indicators: BTreeMap<String, BTreeMap<String, String>>,
    /// Output object → SHA-256.
    pub outputs: BTreeMap<String, String>,
}

/// A recomputation of a period: its indicator rows and the lake objects it read.
#[derive(Debug, Clone, Copy)]
pub struct Recomputed<'a> {
    pub indicators: &'a [RecordBatch],
    pub reads: &'a BTreeSet<String>,
}

/// The figures of each indicator row that a bundle keeps.
const FIGURES: &[&str] = &[
    "numerator",
    "denominator",
    "value",
    "gross_numerator",
    "gross_denominator",
    "gross_value",
    "gross_rows",
    "net_rows",
    "excluded_share",
    "low_volume",
    "definition_version",
];

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Everything a bundle of `format` records for `period`, as of now; the indicator figures and what
/// they read from `recomputed` when they could be computed.
async fn collect(
    config: &Config,
    lake: &Lake,
    period: Period,
    format: u32,
    recomputed: Option<Recomputed<'_>>,
    revision: i64,
) -> Result<Bundle, ProofError> {
    // The lists the audit ran with (a period is closed only after an audit).
    let lists = match AuditManifest::load(lake).await? {
        Some(audit) => audit.lists.into_iter().map(|(name, l)| (name, l.sha256)).collect(),
        None => BTreeMap::new(),
    };
    let mut objects = BTreeMap::new();
    let (config_map, exports) = match format {
        FORMAT => {
            for path in recomputed.map(|r| read_objects(period, r.reads)).transpose()?.unwrap_or_default() {
                objects.insert(path.clone(), object_sha256(lake, &path).await?);
            }
            (config.figures(), BTreeMap::new())
        }
        _ => {
            let config_bytes = std::fs::read(&config.file)
                .map_err(|source| ProofError::Config { path: config.file.display().to_string(), source })?;
            for folder in [layout::DATA_DIR, layout::EXCLUSIONS_DIR] {
                for path in lake.list(folder).await? {
                    objects.insert(path.clone(), object_sha256(lake, &path).await?);
                }
            }
            let exports = IngestManifest::load(lake)
                .await?
                .datasets
                .values()
                .flat_map(|d| d.files.iter().map(|f| (f.path.clone(), (f.sha256.clone(), f.rows_read))))
                .collect();
            (BTreeMap::from([(config.file.display().to_string(), sha256(&config_bytes))]), exports)
        }
    };
    let mut outputs = BTreeMap::new();
    let tables = match format {
        FORMAT => vec![layout::indicators(period), layout::scorecards(period), layout::flags(period)],
        _ => vec![layout::indicators(period)],
    };
    for output in tables {
        if let Some(bytes) = lake.get(&output).await? {
            outputs.insert(output, sha256(&bytes));
        }
    }
    Ok(Bundle {
        format,
        period: period.to_string(),
        revision,
        program: format!("kpi-close {}", env!("CARGO_PKG_VERSION")),
        engine: format!("DataFusion {}", datafusion::DATAFUSION_VERSION),
        config: config_map,
        sql: crate::sql::all().map(|f| (f.path(), f.sha256())).collect(),
        lists,
        exports,
        lake: objects,
        indicators: match recomputed {
            Some(r) => figures(r.indicators)?,
            None => BTreeMap::new(),
        },
        outputs,
    })
}

/// The lake objects a recomputation of the period reads: what it read, with a reference dataset read
/// from the lake's `data/` named by its copy archived with the period (what a recomputation of the
/// closed period reads). A month after the period's end is refused: the as-of rule.
fn read_objects(period: Period, reads: &BTreeSet<String>) -> Result<BTreeSet<String>, ProofError> {
    let last = period.months().last().copied().unwrap_or(period).to_string();
    let mut out = BTreeSet::new();
    for object in reads {
        if let Some(month) = layout::month_of(object)
            && month > last.as_str()
        {
            return Err(ProofError::AsOf { period, object: object.clone() });
        }
        let archived = crate::datasets::DATASETS
            .iter()
            .find(|d| d.partition_by.is_none() && *object == layout::data_reference(d.name))
            .map(|d| layout::period_org(period, d.name));
        out.insert(archived.unwrap_or_else(|| object.clone()));
    }
    Ok(out)
}

async fn object_sha256(lake: &Lake, path: &str) -> Result<String, ProofError> {
    Ok(lake.sha256(path).await?.unwrap_or_else(|| "(missing)".to_string()))
}

/// Copies the org and plan (the reference datasets) into the period's archive, which every later
/// recomputation of the period reads instead of the lake's: `replace` for a first close or a
/// restatement (the org as it is now), otherwise only where nothing is archived yet.
pub async fn archive_org(lake: &Lake, period: Period, replace: bool) -> Result<(), ProofError> {
    for dataset in crate::datasets::DATASETS.iter().filter(|d| d.partition_by.is_none()) {
        let archived = layout::period_org(period, dataset.name);
        if !replace && lake.exists(&archived).await? {
            continue;
        }
        match lake.get(&layout::data_reference(dataset.name)).await? {
            Some(bytes) => lake.put(&archived, bytes).await?,
            None => lake.delete(&archived).await?,
        }
    }
    Ok(())
}

fn figures(indicators: &[RecordBatch]) -> Result<BTreeMap<String, BTreeMap<String, String>>, ProofError> {
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::DataType;
    let mut out = BTreeMap::new();
    for batch in indicators {
        let text = |name: &str| -> Result<Vec<String>, ProofError> {
            let column = batch.column_by_name(name).ok_or_else(|| {
                ProofError::Indicators(datafusion::arrow::error::ArrowError::SchemaError(format!("no column {name}")))
            })?;
            let column = datafusion::arrow::compute::cast(column, &DataType::Utf8).map_err(ProofError::Indicators)?;
            let column = column.as_string::<i32>();
            Ok((0..column.len())
                .map(|i| if column.is_null(i) { "n/a".into() } else { column.value(i).to_string() })
                .collect())
        };
        let (kpi, grain, entity) = (text("kpi")?, text("grain")?, text("entity_id")?);
        let columns = FIGURES.iter().map(|name| Ok((*name, text(name)?))).collect::<Result<Vec<_>, ProofError>>()?;
        for i in 0..batch.num_rows() {
            let row = columns.iter().map(|(name, values)| (name.to_string(), values[i].clone())).collect();
            out.insert(format!("{}|{}|{}", kpi[i], grain[i], entity[i]), row);
        }
    }
    Ok(out)
}

/// Writes the bundle of a computed period, once its indicators, scorecards and flags are written.
pub async fn write(
    config: &Config,
    lake: &Lake,
    period: Period,
    recomputed: Recomputed<'_>,
    revision: i64,
) -> Result<String, ProofError> {
    let bundle = collect(config, lake, period, FORMAT, Some(recomputed), revision).await?;
    let path = layout::bundle(period);
    let json =
        serde_json::to_vec_pretty(&bundle).map_err(|source| ProofError::Bundle { path: path.clone(), source })?;
    lake.put(&path, json).await?;
    Ok(path)
}

/// What `verify` found.
#[derive(Debug)]
pub struct Verification {
    pub period: Period,
    pub differences: Vec<String>,
    /// How much was compared: indicators, lake objects, SQL files, lists, exports.
    pub compared: [usize; 5],
    pub notes: Vec<String>,
}

/// A closed period's bundle.
pub async fn load(lake: &Lake, period: Period) -> Result<Bundle, ProofError> {
    let path = layout::bundle(period);
    let bytes = lake.get(&path).await?.ok_or_else(|| ProofError::Missing { period, path: path.clone() })?;
    serde_json::from_slice(&bytes).map_err(|source| ProofError::Bundle { path, source })
}

/// Compares the period as recomputed now (`recomputed`: its indicator rows, or why they could not be
/// computed) and the lake as it is now with `bundle`. Writes nothing.
pub async fn verify(
    config: &Config,
    lake: &Lake,
    period: Period,
    bundle: &Bundle,
    recomputed: Result<Recomputed<'_>, String>,
) -> Result<Verification, ProofError> {
    let mut differences = Vec::new();
    let mut notes = Vec::new();
    let recomputed = match recomputed {
        Ok(r) => Some(r),
        Err(e) => {
            differences.push(format!("recomputing the indicators failed: {e}"));
            None
        }
    };
    let format = bundle.format.max(1);
    // The hashes are compared even when the recomputation failed: they say what changed.
    let mut now = collect(config, lake, period, format, recomputed, bundle.revision).await?;
    if format >= FORMAT {
        // The objects the bundle names, as they are now (also those the recomputation no longer read).
        for path in bundle.lake.keys() {
            if !now.lake.contains_key(path) {
                now.lake.insert(path.clone(), object_sha256(lake, path).await?);
            }
        }
    }
    for (what, then, now) in [("program", &bundle.program, &now.program), ("engine", &bundle.engine, &now.engine)] {
        if then != now {
            notes.push(format!("the bundle was made by {then}; verified with {now} ({what})"));
        }
    }
    compare_maps("config file", &bundle.config, &now.config, &mut differences);
    compare_maps("SQL file", &bundle.sql, &now.sql, &mut differences);
    compare_maps("reference list", &bundle.lists, &now.lists, &mut differences);
    compare_maps("export", &bundle.exports, &now.exports, &mut differences);
    compare_maps("lake object", &bundle.lake, &now.lake, &mut differences);
    compare_maps("output", &bundle.outputs, &now.outputs, &mut differences);
    if recomputed.is_some() {
        compare_maps("indicator", &bundle.indicators, &now.indicators, &mut differences);
    }
    let compared =
        [bundle.indicators.len(), bundle.lake.len(), bundle.sql.len(), bundle.lists.len(), bundle.exports.len()];
    Ok(Verification { period, differences, compared, notes })
}

/// How a recomputation of a closed period differs from the figures its bundle recorded: one line per
/// indicator row that changed (each changed figure, old → new), appeared or disappeared.
pub async fn indicator_changes(
    lake: &Lake,
    period: Period,
    indicators: &[RecordBatch],
) -> Result<Vec<String>, ProofError> {
    let bundle = load(lake, period).await?;
    let now = figures(indicators)?;
    let name = |key: &str| {
        let mut parts = key.splitn(3, '|');
        let (kpi, grain, entity) = (parts.next(), parts.next(), parts.next());
        format!("{} ({} {})", kpi.unwrap_or(key), grain.unwrap_or(""), entity.unwrap_or(""))
    };
    // Company figures first, then teams, people and channels; by indicator within each.
    let rank = |key: &str| {
        let grain = key.split('|').nth(1).unwrap_or_default();
        (["company", "team", "person", "channel"].iter().position(|g| *g == grain).unwrap_or(4), key.to_string())
    };
    let mut keys: Vec<&String> = bundle.indicators.keys().chain(now.keys()).collect();
    keys.sort_by_key(|k| rank(k));
    keys.dedup();
    let mut out = Vec::new();
    for key in keys {
        match (bundle.indicators.get(key), now.get(key)) {
            (None, _) => out.push(format!("{}: new", name(key))),
            (Some(_), None) => out.push(format!("{}: reported, gone now", name(key))),
            (Some(old), Some(new)) if new != old => {
                let changed: Vec<(&String, &String, &String)> = old
                    .iter()
                    .filter_map(|(field, was)| Some((field, was, new.get(field)?)).filter(|(_, was, is)| was != is))
                    .collect();
                // The net value, numerator and denominator say it; the rest follows from them.
                let main: Vec<_> = changed
                    .iter()
                    .filter(|(f, ..)| ["value", "numerator", "denominator"].contains(&f.as_str()))
                    .collect();
                let shown = if main.is_empty() { changed.iter().collect() } else { main };
                let fields: Vec<String> = shown.iter().map(|(f, was, is)| format!("{f} {was} → {is}")).collect();
                out.push(format!("{}: {}", name(key), fields.join(", ")));
            }
            _ => {}
        }
    }
    if out.is_empty() {
        out.push(format!("the indicators table of {period} differs from the one reported"));
    }
    Ok(out)
}

/// One line per key that was added, removed or changed.
fn compare_maps<V: PartialEq + std::fmt::Debug>(
    what: &str,
    then: &BTreeMap<String, V>,
    now: &BTreeMap<String, V>,
    out: &mut Vec<String>,
) {
    for (key, old) in then {
        match now.get(key) {
            None => out.push(format!("{what} {key}: in the bundle, gone now")),
            Some(new) if new != old => out.push(format!("{what} {key}: was {old:?}, now {new:?}")),
            Some(_) => {}
        }
    }
    for key in now.keys().filter(|k| !then.contains_key(*k)) {
        out.push(format!("{what} {key}: new since the bundle"));
    }
}
