//! Exports in an object store (S3, Azure Blob, GCS): listing a source's keys, and streaming an
//! object to a local spool file while hashing it, so staging parses it as it parses a local export.
//! An object is never held in memory whole; the spool folder goes when the plan does.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures::TryStreamExt;
use object_store::path::Path;
use object_store::{ObjectMeta, ObjectStore, ObjectStoreExt};
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::IngestError;
use crate::config::{Config, StoreUrl};
use crate::engine::Scratch;
use crate::lake::store;

/// CSV and JSON-lines headers are read from this much of an object's beginning (`validate`).
const HEAD_BYTES: u64 = 1 << 20;

/// One object a source's pattern matched.
#[derive(Debug, Clone)]
pub struct RemoteObject {
    store: Arc<dyn ObjectStore>,
    url: StoreUrl,
    meta: ObjectMeta,
}

impl RemoteObject {
    /// `s3://bucket/key`: the export's path as the lake records it.
    pub fn url(&self) -> String {
        self.url.object_url(self.meta.location.as_ref())
    }

    pub fn file_name(&self) -> String {
        self.meta.location.filename().unwrap_or_default().to_string()
    }

    /// Size, ETag and modification time: when all three are those the manifest recorded, the
    /// object is taken as unchanged without reading it.
    pub fn identity(&self) -> String {
        format!(
            "object:{}:{}:{}",
            self.meta.size,
            self.meta.e_tag.as_deref().unwrap_or(""),
            self.meta.last_modified.to_rfc3339()
        )
    }
}

/// The objects under `url` whose keys match `pattern` (a glob over the whole key, `*` not crossing
/// a `/`), in key order.
pub async fn list(url: &StoreUrl, pattern: &str) -> Result<Vec<RemoteObject>, String> {
    let glob = glob::Pattern::new(pattern).map_err(|e| format!("bad pattern {pattern}: {e}"))?;
    let options = glob::MatchOptions { require_literal_separator: true, ..Default::default() };
    let store = store::open(url)?;
    let prefix = (!url.prefix.is_empty()).then(|| Path::from(url.prefix.as_str()));
    let metas: Vec<ObjectMeta> =
        store.list(prefix.as_ref()).try_collect().await.map_err(|e| store::explain(url, &e))?;
    let mut objects: Vec<RemoteObject> = metas
        .into_iter()
        .filter(|m| glob.matches_with(m.location.as_ref(), options))
        .map(|meta| RemoteObject { store: store.clone(), url: url.clone(), meta })
        .collect();
    objects.sort_by(|a, b| a.meta.location.cmp(&b.meta.location));
    Ok(objects)
}

/// A local folder of fetched objects, removed when dropped.
#[derive(Debug)]
pub struct Spool {
    dir: Scratch,
    files: AtomicUsize,
}

/// The spool, created under `engine.spill_dir` (else the system's temporary folder) on first use.
pub fn spooled<'a>(spool: &'a mut Option<Spool>, config: &Config) -> Result<&'a Spool, IngestError> {
    if spool.is_none() {
        let dir = Scratch::new(config.engine.spill_dir.as_deref(), "exports").map_err(|source| IngestError::Read {
            file: "a spool folder for exports in object stores".into(),
            source,
        })?;
        *spool = Some(Spool { dir, files: AtomicUsize::new(0) });
    }
    Ok(spool.as_ref().expect("just set"))
}

/// An object copied to the spool.
pub struct Fetched {
    pub path: PathBuf,
    pub sha256: String,
    pub bytes: u64,
}

impl Spool {
    /// A fresh spool path ending in the object's own file name (its extension tells the format and
    /// whether it is gzipped).
    fn new_path(&self, object: &RemoteObject) -> PathBuf {
        let n = self.files.fetch_add(1, Ordering::Relaxed);
        self.dir.path().join(format!("{n:05}-{}", object.file_name()))
    }

    /// Streams the whole object to a spool file, hashing it on the way.
    pub async fn fetch(&self, object: &RemoteObject) -> Result<Fetched, IngestError> {
        let path = self.new_path(object);
        let url = object.url();
        let failed = |e: object_store::Error| {
            IngestError::Store(format!("cannot read {url}: {}", store::explain(&object.url, &e)))
        };
        let written = |source: std::io::Error| IngestError::Read { file: path.display().to_string(), source };
        let result = object.store.get(&object.meta.location).await.map_err(failed)?;
        let mut stream = result.into_stream();
        let mut file = tokio::fs::File::create(&path).await.map_err(written)?;
        let mut hasher = Sha256::new();
        let mut bytes = 0u64;
        while let Some(chunk) = stream.try_next().await.map_err(failed)? {
            hasher.update(&chunk);
            bytes += chunk.len() as u64;
            file.write_all(&chunk).await.map_err(written)?;
        }
        file.flush().await.map_err(written)?;
        tracing::debug!(object = %url, bytes, "Fetched export");
        Ok(Fetched { path, sha256: hex::encode(hasher.finalize()), bytes })
    }

    /// The object's first megabyte (or all of it, `whole`) in a spool file: enough for its header.
    pub async fn fetch_head(&self, object: &RemoteObject, whole: bool) -> Result<PathBuf, IngestError> {
        if whole || object.meta.size <= HEAD_BYTES {
            return self.fetch(object).await.map(|f| f.path);
        }
        let path = self.new_path(object);
        let url = object.url();
        let head = object
            .store
            .get_range(&object.meta.location, 0..HEAD_BYTES)
            .await
            .map_err(|e| IngestError::Store(format!("cannot read {url}: {}", store::explain(&object.url, &e))))?;
        tokio::fs::write(&path, &head)
            .await
            .map_err(|source| IngestError::Read { file: path.display().to_string(), source })?;
        Ok(path)
    }
}
