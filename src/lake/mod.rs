//! The lake: every file kpi-close keeps, behind `object_store`, on local disk, in memory or in an
//! S3, Azure Blob or GCS bucket (`store`).
//!
//! The layout under the lake root is a contract other tools read (README, "The lake"): `layout`
//! names every path, `records` the JSON records stages write for each other, `tables` the schemas
//! of the output tables.
//!
//! Every write is a single atomic put (object stores never show a partial object; the local store
//! writes a temporary file and renames it), so a crash leaves either the old or the new object.

pub mod layout;
pub mod records;
pub mod store;
pub mod tables;

use std::sync::Arc;

use bytes::Bytes;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::parquet::arrow::AsyncArrowWriter;
use datafusion::parquet::basic::Compression;
use datafusion::parquet::file::properties::WriterProperties;
use datafusion::prelude::SessionContext;
use futures::TryStreamExt;
use object_store::buffered::BufWriter;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use url::Url;

use crate::config::{LakeLocation, StoreUrl};

#[derive(Debug, thiserror::Error)]
pub enum LakeError {
    #[error("cannot open the lake at {location}: {reason}")]
    Open { location: String, reason: String },
    #[error("lake object {path}: {source}")]
    Store {
        path: String,
        #[source]
        source: object_store::Error,
    },
    /// An object store's error, with what to change when it is one of configuration (a missing
    /// bucket, missing or refused credentials) and without the request's query string.
    #[error("lake object {path}: {message}")]
    Remote { path: String, message: String },
    #[error("lake object {path}: cannot write Parquet: {source}")]
    Parquet {
        path: String,
        #[source]
        source: datafusion::parquet::errors::ParquetError,
    },
    #[error(
        "lake object {path} is damaged: {message} (restore it from a backup, or remove it to start that record afresh)"
    )]
    Corrupt { path: String, message: String },
}

/// An open lake.
#[derive(Clone)]
pub struct Lake {
    store: Arc<dyn ObjectStore>,
    /// Where the store is registered in DataFusion (`file:///`, `memory:///`, `s3://bucket/`, `az://…`, `gs://…`).
    store_url: Url,
    /// The lake root inside the store.
    root: Path,
    location: String,
    /// The object store and bucket, for a lake in one.
    remote: Option<Arc<StoreUrl>>,
}

impl std::fmt::Debug for Lake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Lake").field("location", &self.location).finish()
    }
}

impl Lake {
    /// Opens the lake a config names. Creates a local folder if needed; an object store's
    /// credentials come from the environment only (`store`).
    pub fn open(location: &LakeLocation) -> Result<Lake, LakeError> {
        let fail = |reason: String| LakeError::Open { location: location.to_string(), reason };
        match location {
            LakeLocation::Local(dir) => {
                std::fs::create_dir_all(dir).map_err(|e| fail(format!("cannot create folder: {e}")))?;
                let dir = std::fs::canonicalize(dir).map_err(|e| fail(e.to_string()))?;
                let root = Path::from_filesystem_path(&dir).map_err(|e| fail(e.to_string()))?;
                Ok(Lake {
                    store: Arc::new(object_store::local::LocalFileSystem::new()),
                    store_url: Url::parse("file:///").map_err(|e| fail(e.to_string()))?,
                    root,
                    location: format!("file://{}", dir.display()),
                    remote: None,
                })
            }
            LakeLocation::Memory => Ok(Lake::in_memory()),
            LakeLocation::Remote(url) => Ok(Lake {
                store: store::open(url).map_err(fail)?,
                store_url: Url::parse(&url.bucket_url()).map_err(|e| fail(e.to_string()))?,
                root: Path::from(url.prefix.as_str()),
                location: location.to_string(),
                remote: Some(Arc::new(url.clone())),
            }),
        }
    }

    /// A fresh, empty lake in memory.
    pub fn in_memory() -> Lake {
        Lake {
            store: Arc::new(InMemory::new()),
            store_url: Url::parse("memory:///").expect("a constant URL parses"),
            root: Path::default(),
            location: "memory://".into(),
            remote: None,
        }
    }

    pub fn location(&self) -> &str {
        &self.location
    }

    /// Makes the lake's store readable by a DataFusion session.
    pub fn register(&self, ctx: &SessionContext) {
        ctx.register_object_store(&self.store_url, self.store.clone());
    }

    /// A lake-relative path (`data/leads/part-0.parquet`) as a store path.
    pub fn path(&self, relative: &str) -> Path {
        relative.split('/').filter(|p| !p.is_empty()).fold(self.root.clone(), |path, part| path.join(part))
    }

    /// A lake-relative path as a URL DataFusion can read (with a trailing `/` for a folder).
    pub fn url(&self, relative: &str) -> String {
        let path = self.path(relative);
        let mut url = format!("{}{}", self.store_url, path);
        if relative.ends_with('/') {
            url.push('/');
        }
        url
    }

    /// Strips the lake root from a store path.
    pub fn relative(&self, path: &Path) -> String {
        match path.prefix_match(&self.root) {
            Some(parts) => parts.map(|p| p.as_ref().to_string()).collect::<Vec<_>>().join("/"),
            None => path.to_string(),
        }
    }

    fn store_error(&self, relative: &str, source: object_store::Error) -> LakeError {
        let path = format!("{}/{}", self.location, relative);
        match &self.remote {
            Some(url) => LakeError::Remote { path, message: store::describe(url, &source) },
            None => LakeError::Store { path, source },
        }
    }

    /// Whether the lake's store answers with these credentials: lists its first object.
    pub async fn check_access(&self) -> Result<(), LakeError> {
        let mut objects = self.store.list(Some(&self.root));
        match objects.try_next().await {
            Ok(_) => Ok(()),
            Err(source) => Err(self.store_error("", source)),
        }
    }

    /// Reads an object, or `None` if there is none.
    pub async fn get(&self, relative: &str) -> Result<Option<Bytes>, LakeError> {
        match self.store.get(&self.path(relative)).await {
            Ok(r) => r.bytes().await.map(Some).map_err(|e| self.store_error(relative, e)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.store_error(relative, e)),
        }
    }

    /// The SHA-256 of an object's bytes, or `None` if there is none.
    pub async fn sha256(&self, relative: &str) -> Result<Option<String>, LakeError> {
        use sha2::{Digest, Sha256};
        Ok(self.get(relative).await?.map(|bytes| hex::encode(Sha256::digest(&bytes))))
    }

    pub async fn exists(&self, relative: &str) -> Result<bool, LakeError> {
        match self.store.head(&self.path(relative)).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::NotFound { .. }) => Ok(false),
            Err(e) => Err(self.store_error(relative, e)),
        }
    }

    /// Writes an object atomically.
    pub async fn put(&self, relative: &str, bytes: impl Into<Bytes>) -> Result<(), LakeError> {
        let payload = PutPayload::from_bytes(bytes.into());
        self.store.put(&self.path(relative), payload).await.map(|_| ()).map_err(|e| self.store_error(relative, e))
    }

    /// Creates an object only if none exists at that path; `false` if one does (the lake's lock).
    pub async fn put_new(&self, relative: &str, bytes: impl Into<Bytes>) -> Result<bool, LakeError> {
        let payload = PutPayload::from_bytes(bytes.into());
        let options = object_store::PutOptions { mode: object_store::PutMode::Create, ..Default::default() };
        match self.store.put_opts(&self.path(relative), payload, options).await {
            Ok(_) => Ok(true),
            Err(object_store::Error::AlreadyExists { .. }) => Ok(false),
            Err(e) => Err(self.store_error(relative, e)),
        }
    }

    pub async fn delete(&self, relative: &str) -> Result<(), LakeError> {
        match self.store.delete(&self.path(relative)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(self.store_error(relative, e)),
        }
    }

    /// Lake-relative paths of every object under a folder, sorted.
    pub async fn list(&self, folder: &str) -> Result<Vec<String>, LakeError> {
        let prefix = self.path(folder);
        let metas: Vec<_> =
            self.store.list(Some(&prefix)).try_collect().await.map_err(|e| self.store_error(folder, e))?;
        let mut paths: Vec<String> = metas.iter().map(|m| self.relative(&m.location)).collect();
        paths.sort();
        Ok(paths)
    }

    /// Starts a Parquet object; nothing is visible until `ParquetSink::finish`.
    pub fn parquet_sink(&self, relative: &str, schema: SchemaRef) -> Result<ParquetSink, LakeError> {
        self.sink_with(relative, schema, writer_properties())
    }

    /// A Parquet object for staged rows, which only ingest's merge reads (whole, never filtered by
    /// a query): no dictionaries, whose upkeep was a tenth of the staging's time.
    pub fn staging_sink(&self, relative: &str, schema: SchemaRef) -> Result<ParquetSink, LakeError> {
        let properties = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_dictionary_enabled(false)
            .set_max_row_group_row_count(Some(128 * 1024))
            .build();
        self.sink_with(relative, schema, properties)
    }

    fn sink_with(
        &self,
        relative: &str,
        schema: SchemaRef,
        properties: WriterProperties,
    ) -> Result<ParquetSink, LakeError> {
        let writer = BufWriter::new(self.store.clone(), self.path(relative));
        let writer = AsyncArrowWriter::try_new(writer, schema, Some(properties))
            .map_err(|source| LakeError::Parquet { path: relative.to_string(), source })?;
        Ok(ParquetSink { writer, path: relative.to_string(), rows: 0 })
    }

    /// Writes record batches as one Parquet object.
    pub async fn write_parquet(
        &self,
        relative: &str,
        schema: SchemaRef,
        batches: &[RecordBatch],
    ) -> Result<u64, LakeError> {
        let mut sink = self.parquet_sink(relative, schema)?;
        for batch in batches {
            sink.write(batch).await?;
        }
        sink.finish().await
    }
}

/// The bytes `Lake::write_parquet` would write for these batches, without writing them: for comparing
/// a recomputed table with the stored one.
pub fn parquet_bytes(schema: SchemaRef, batches: &[RecordBatch]) -> Result<Vec<u8>, LakeError> {
    let fail = |source| LakeError::Parquet { path: "(in memory)".into(), source };
    let mut out = Vec::new();
    let mut writer =
        datafusion::parquet::arrow::ArrowWriter::try_new(&mut out, schema, Some(writer_properties())).map_err(fail)?;
    for batch in batches {
        writer.write(batch).map_err(fail)?;
    }
    writer.close().map_err(fail)?;
    Ok(out)
}

/// Parquet settings shared by every lake file: deterministic bytes for the same rows.
fn writer_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_created_by(format!("kpi-close {}", env!("CARGO_PKG_VERSION")))
        .set_max_row_group_row_count(Some(128 * 1024))
        .build()
}

/// A Parquet object being written.
pub struct ParquetSink {
    writer: AsyncArrowWriter<BufWriter>,
    path: String,
    rows: u64,
}

impl ParquetSink {
    pub async fn write(&mut self, batch: &RecordBatch) -> Result<(), LakeError> {
        self.rows += batch.num_rows() as u64;
        self.writer.write(batch).await.map_err(|source| LakeError::Parquet { path: self.path.clone(), source })
    }

    /// Completes the object (the atomic put) and returns the row count.
    pub async fn finish(self) -> Result<u64, LakeError> {
        let path = self.path;
        self.writer.close().await.map_err(|source| LakeError::Parquet { path, source })?;
        Ok(self.rows)
    }
}
