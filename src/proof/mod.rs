//! Proof bundles and `verify` (README, "Proof bundles and `verify`"): what an auditor needs to check
//! a closed period without trusting the people who ran it.
//!
//! A close writes `proofs/period=<P>/bundle.json` for every period it computes: the program and
//! engine versions, the SHA-256 of the config file, of every SQL file that ran and of every reference
//! list, the exports ingest read (path, SHA-256, rows), every lake object the indicators were
//! computed from (`data/`, `exclusions/`) with its SHA-256, every indicator's numerator, denominator,
//! gross and net value and excluded rows, and the SHA-256 of the `indicators` object written.
//!
//! `verify` compares a recomputation of the period (the indicator stage's, which the close runs)
//! and the lake as it is now with the bundle: it passes only if every hash and every indicator is
//! identical, and otherwise names each difference.

use std::collections::BTreeMap;

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
}

impl ProofError {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            ProofError::Missing { .. } => ExitCode::Usage,
            ProofError::Lake(_) | ProofError::Config { .. } | ProofError::Bundle { .. } | ProofError::Indicators(_) => {
                ExitCode::Runtime
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Bundle {
    pub period: String,
    pub revision: i64,
    pub program: String,
    pub engine: String,
    /// Config file path → SHA-256 of its bytes.
    pub config: BTreeMap<String, String>,
    /// `sql/<layer>/<name>.sql` → SHA-256 of the text that ran.
    pub sql: BTreeMap<String, String>,
    /// Reference list → SHA-256.
    pub lists: BTreeMap<String, String>,
    /// Export path → (SHA-256, rows read), from the ingest manifest.
    pub exports: BTreeMap<String, (String, u64)>,
    /// Lake object → SHA-256, for every object under `data/` and `exclusions/`.
    pub lake: BTreeMap<String, String>,
    /// `kpi|grain|entity_id` → the row's figures as written.
    pub indicators: BTreeMap<String, BTreeMap<String, String>>,
    /// Output object → SHA-256.
    pub outputs: BTreeMap<String, String>,
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

/// Everything a bundle records for `period`, as of now; the indicator figures from `indicators` when
/// they could be computed.
async fn collect(
    config: &Config,
    lake: &Lake,
    period: Period,
    indicators: Option<&[RecordBatch]>,
    revision: i64,
) -> Result<Bundle, ProofError> {
    let config_bytes = std::fs::read(&config.file)
        .map_err(|source| ProofError::Config { path: config.file.display().to_string(), source })?;
    // The lists the audit ran with (a period is closed only after an audit).
    let lists = match AuditManifest::load(lake).await? {
        Some(audit) => audit.lists.into_iter().map(|(name, l)| (name, l.sha256)).collect(),
        None => BTreeMap::new(),
    };
    let ingest = IngestManifest::load(lake).await?;
    let exports = ingest
        .datasets
        .values()
        .flat_map(|d| d.files.iter().map(|f| (f.path.clone(), (f.sha256.clone(), f.rows_read))))
        .collect();
    let mut objects = BTreeMap::new();
    for folder in [layout::DATA_DIR, layout::EXCLUSIONS_DIR] {
        for path in lake.list(folder).await? {
            if let Some(bytes) = lake.get(&path).await? {
                objects.insert(path, sha256(&bytes));
            }
        }
    }
    let mut outputs = BTreeMap::new();
    let output = layout::indicators(period);
    if let Some(bytes) = lake.get(&output).await? {
        outputs.insert(output, sha256(&bytes));
    }
    Ok(Bundle {
        period: period.to_string(),
        revision,
        program: format!("kpi-close {}", env!("CARGO_PKG_VERSION")),
        engine: format!("DataFusion {}", datafusion::DATAFUSION_VERSION),
        config: BTreeMap::from([(config.file.display().to_string(), sha256(&config_bytes))]),
        sql: crate::sql::all().map(|f| (f.path(), f.sha256())).collect(),
        lists,
        exports,
        lake: objects,
        indicators: match indicators {
            Some(indicators) => figures(indicators)?,
            None => BTreeMap::new(),
        },
        outputs,
    })
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

/// Writes the bundle of a computed (and written) period.
pub async fn write(
    config: &Config,
    lake: &Lake,
    period: Period,
    indicators: &[RecordBatch],
    revision: i64,
) -> Result<String, ProofError> {
    let bundle = collect(config, lake, period, Some(indicators), revision).await?;
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
    recomputed: Result<&[RecordBatch], String>,
) -> Result<Verification, ProofError> {
    let mut differences = Vec::new();
    let mut notes = Vec::new();
    let indicators = match recomputed {
        Ok(batches) => Some(batches),
        Err(e) => {
            differences.push(format!("recomputing the indicators failed: {e}"));
            None
        }
    };
    // The hashes are compared even when the recomputation failed: they say what changed.
    let now = collect(config, lake, period, indicators, bundle.revision).await?;
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
    if indicators.is_some() {
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
