//! The JSON records of the lake contract — what one stage writes and another (or an auditor's tool)
//! reads: the ingest manifest, the audit manifest, a period's close state, its gates, the record of
//! every close run and the send ledger's entries. Each lives at the path `layout` gives it.
//!
//! One policy for all of them: a record is written whole (pretty JSON, a newline at the end, one
//! atomic put); a record that is absent reads as `None`; a record that does not parse is an error
//! naming the object ([`LakeError::Corrupt`]), never silently taken for absent.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{Lake, LakeError, layout};

/// Reads a record: `None` when the object does not exist.
pub async fn read<T: DeserializeOwned>(lake: &Lake, path: &str) -> Result<Option<T>, LakeError> {
    let Some(bytes) = lake.get(path).await? else { return Ok(None) };
    serde_json::from_slice(&bytes)
        .map(Some)
        .map_err(|e| LakeError::Corrupt { path: path.to_string(), message: e.to_string() })
}

/// Writes a record atomically.
pub async fn write<T: Serialize>(lake: &Lake, path: &str, record: &T) -> Result<(), LakeError> {
    lake.put(path, to_bytes(record)).await
}

/// A record's bytes as `write` stores them.
pub fn to_bytes<T: Serialize>(record: &T) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(record).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}

/// Every record under a folder, in path order.
pub async fn read_all<T: DeserializeOwned>(lake: &Lake, folder: &str) -> Result<Vec<T>, LakeError> {
    let mut out = Vec::new();
    for path in lake.list(folder).await? {
        if let Some(record) = read(lake, &path).await? {
            out.push(record);
        }
    }
    Ok(out)
}

// --- ingest --------------------------------------------------------------------------------------

/// `manifests/ingest.json`: for every dataset, the exports the lake was built from (path, SHA-256,
/// rows read / rejected / superseded by a newer export / written) and the months it holds. Written
/// last by ingest, so a crashed ingest is simply re-planned; it holds no timestamps, so ingesting
/// the same exports twice gives the same bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestManifest {
    pub datasets: BTreeMap<String, DatasetEntry>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatasetEntry {
    /// Rows in the lake after de-duplication.
    pub rows: u64,
    pub rows_rejected: u64,
    /// Partitions present (`YYYY-MM`); empty for reference datasets.
    pub months: Vec<String>,
    /// In export order (oldest first).
    pub files: Vec<FileEntry>,
    /// Every lake object of the dataset → its SHA-256.
    #[serde(default)]
    pub objects: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileEntry {
    pub path: String,
    pub source: String,
    pub format: String,
    pub sha256: String,
    pub bytes: u64,
    pub staging_id: String,
    pub rows_read: u64,
    pub rows_rejected: u64,
    /// Rows whose key a newer export also holds: the newer one's rows were kept.
    pub rows_superseded: u64,
    pub rows_written: u64,
    /// Its rows in the lake per month (`""` for a reference dataset).
    #[serde(default)]
    pub months: BTreeMap<String, u64>,
    /// Size, modification time (ns) and inode when it was read: the same three next time, and it is
    /// not read again to hash it.
    #[serde(default)]
    pub identity: Option<String>,
}

impl IngestManifest {
    /// The manifest, or an empty one when nothing was ingested yet.
    pub async fn load(lake: &Lake) -> Result<IngestManifest, LakeError> {
        Ok(read(lake, layout::INGEST_MANIFEST).await?.unwrap_or_default())
    }

    pub async fn save(&self, lake: &Lake) -> Result<(), LakeError> {
        write(lake, layout::INGEST_MANIFEST, self).await
    }

    /// The first month any dataset holds.
    pub fn first_month(&self) -> Option<crate::period::Period> {
        self.datasets.values().flat_map(|d| d.months.iter()).filter_map(|m| m.parse().ok()).min()
    }
}

// --- audit ---------------------------------------------------------------------------------------

/// `manifests/audit.json`: what one audit run did.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct AuditManifest {
    pub enabled: bool,
    /// Rules that ran: id → (version, rows flagged).
    pub rules: BTreeMap<String, RuleRun>,
    /// Rules that did not run, with why.
    pub skipped: BTreeMap<String, String>,
    /// The thresholds the rules were given.
    pub thresholds: BTreeMap<String, String>,
    /// Reference lists: name → origin and SHA-256.
    pub lists: BTreeMap<String, ListEntry>,
    /// SHA-256 of the audit's inputs; empty in manifests written before it existed.
    #[serde(default)]
    pub inputs: String,
    /// The months judged.
    #[serde(default)]
    pub months: Vec<String>,
    /// Every ledger object written, `exclusions/month=M/<RULE>.parquet` → its rows and SHA-256.
    #[serde(default)]
    pub objects: BTreeMap<String, LedgerObject>,
    /// This run kept the last audit's ledger: its inputs had not changed.
    #[serde(skip)]
    pub kept: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RuleRun {
    pub dataset: String,
    pub rule_version: String,
    pub rows_flagged: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerObject {
    pub rows: u64,
    pub sha256: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ListEntry {
    pub origin: String,
    pub sha256: String,
    /// The list's `# Source:` header: the package or publisher it was built from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// The list's `# As of:` header: the date of the data it holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<String>,
}

impl AuditManifest {
    pub async fn load(lake: &Lake) -> Result<Option<AuditManifest>, LakeError> {
        read(lake, layout::AUDIT_MANIFEST).await
    }
}

// --- the close -----------------------------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Closing,
    Closed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Revision {
    pub revision: i64,
    /// Why it was made: none for revision 1, the `--reason` for a restatement.
    pub reason: Option<String>,
    pub run_id: String,
    pub started_at: String,
    pub closed_at: Option<String>,
}

/// `closes/period=P.json`: one period's close state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PeriodClose {
    pub period: String,
    /// The revision the lake's tables hold.
    pub revision: i64,
    pub status: Status,
    pub revisions: Vec<Revision>,
}

impl PeriodClose {
    pub async fn load(lake: &Lake, period: crate::period::Period) -> Result<Option<PeriodClose>, LakeError> {
        read(lake, &layout::close_state(period)).await
    }

    /// The revision the lake holds for a period: 1 when it was never closed.
    pub fn revision_of(state: Option<&PeriodClose>) -> i64 {
        state.map(|s| s.revision).unwrap_or(1)
    }

    pub fn is_closed(&self) -> bool {
        self.status == Status::Closed
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Gate {
    pub name: String,
    pub passed: bool,
    pub detail: String,
}

/// `gates/period=P.json`: the gates a period passed or failed before sending.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct Gates {
    pub period: String,
    pub gates: Vec<Gate>,
}

impl Gates {
    pub fn passed(&self) -> bool {
        self.gates.iter().all(|g| g.passed)
    }

    /// One line per failed gate.
    pub fn failures(&self) -> Vec<String> {
        self.gates.iter().filter(|g| !g.passed).map(|g| format!("{}: {}", g.name, g.detail)).collect()
    }

    pub async fn load(lake: &Lake, period: crate::period::Period) -> Result<Option<Gates>, LakeError> {
        read(lake, &layout::gates(period)).await
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Stage {
    pub name: String,
    pub seconds: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Sent {
    pub period: String,
    pub report: String,
    pub recipient: String,
    /// `sent`, `already sent`, `failed`, `uncertain`.
    pub status: String,
}

/// What a close got through: the figures of its one-line summary.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Totals {
    /// Rows in the lake after ingest, and rows rejected.
    pub rows: u64,
    pub rejected: u64,
    /// Rows the audit rules flagged (and the indicators exclude).
    pub flagged: u64,
    /// Indicator rows written, and for how many periods.
    pub indicators: usize,
    pub periods: usize,
    /// Report documents rendered.
    pub reports: usize,
}

/// `runs/<run-id>.json`: the record of one close — what ran, for which periods, how long each stage
/// took, how it ended and what was mailed to whom. Written when the close starts (`running`) and
/// after each stage, so a close that died shows as `running` with no end.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Run {
    pub run_id: String,
    pub command: String,
    pub periods: Vec<String>,
    pub revision: i64,
    /// `running`, `ok`, `gate failed`, `failed`.
    pub status: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub stages: Vec<Stage>,
    pub sent: Vec<Sent>,
    #[serde(default)]
    pub totals: Totals,
    /// Why it did not end `ok`.
    pub message: Option<String>,
}

impl Run {
    pub async fn save(&self, lake: &Lake) -> Result<(), LakeError> {
        write(lake, &layout::run(&self.run_id), self).await
    }

    /// Every recorded close, oldest first.
    pub async fn list(lake: &Lake) -> Result<Vec<Run>, LakeError> {
        let mut out: Vec<Run> = read_all(lake, layout::RUNS_DIR).await?;
        out.sort_by(|a, b| a.run_id.cmp(&b.run_id));
        Ok(out)
    }
}

// --- delivery ------------------------------------------------------------------------------------

/// `deliveries/period=P/rev=R/<report>/<recipient>.json`: one message's send-ledger entry, written
/// `sending` before the message goes and `sent` or `failed` after.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SendEntry {
    pub period: String,
    pub revision: i64,
    pub report: String,
    pub locale: String,
    pub recipient: String,
    pub message_id: String,
    /// `sending`, `sent` or `failed`.
    pub status: String,
    pub transport: String,
    pub attempts: u32,
    pub error: Option<String>,
}

impl SendEntry {
    /// Every entry of a period's ledger, all revisions.
    pub async fn of_period(lake: &Lake, period: crate::period::Period) -> Result<Vec<SendEntry>, LakeError> {
        read_all(lake, &layout::deliveries(period)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_record_reads_back_is_none_when_absent_and_a_damaged_one_is_named() {
        let lake = Lake::in_memory();
        let period: crate::period::Period = "2026-10".parse().unwrap();
        assert!(Gates::load(&lake, period).await.unwrap().is_none());
        let gates = Gates {
            period: "2026-10".into(),
            gates: vec![Gate { name: "sources".into(), passed: false, detail: "no orders".into() }],
        };
        write(&lake, &layout::gates(period), &gates).await.unwrap();
        assert_eq!(Gates::load(&lake, period).await.unwrap(), Some(gates));
        let bytes = lake.get(&layout::gates(period)).await.unwrap().unwrap();
        assert!(bytes.ends_with(b"}\n"), "pretty JSON and a newline");

        lake.put(&layout::gates(period), "{\"period\": ").await.unwrap();
        let err = Gates::load(&lake, period).await.unwrap_err();
        assert!(err.to_string().contains(&format!("{} is damaged", layout::gates(period))), "{err}");
        lake.put(layout::INGEST_MANIFEST, "[]").await.unwrap();
        assert!(IngestManifest::load(&lake).await.unwrap_err().to_string().contains("manifests/ingest.json"));
    }
}
