//! The ingest manifest (`manifests/ingest.json`): for every dataset, the exports the lake was built
//! from (path, SHA-256, rows read / rejected / superseded by a newer export / written) and the
//! months it holds. It is written last, so a crashed ingest is simply re-planned. It holds no
//! timestamps: ingesting the same exports twice gives the same bytes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::lake::{Lake, LakeError};

pub const PATH: &str = "manifests/ingest.json";

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
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
}

impl Manifest {
    pub async fn load(lake: &Lake) -> Result<Manifest, LakeError> {
        match lake.get(PATH).await? {
            None => Ok(Manifest::default()),
            // A manifest this version cannot read is treated as absent: the next ingest rebuilds.
            Some(bytes) => Ok(serde_json::from_slice(&bytes).unwrap_or_default()),
        }
    }

    pub async fn save(&self, lake: &Lake) -> Result<(), LakeError> {
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        lake.put(PATH, bytes).await
    }
}
