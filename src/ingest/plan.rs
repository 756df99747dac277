//! Planning an ingest: which export files each source matches, their SHA-256, and whether each
//! dataset must be rebuilt. Reads the exports and the lake's manifest; writes nothing to the lake.
//!
//! A source in an object store is listed through `object_store`; an object whose size, ETag and
//! time are those the manifest recorded is not read at all, any other is streamed once to a local
//! spool folder while it is hashed, and staging parses that copy (`remote`).

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::IngestError;
use super::read::{Export, map_columns};
use super::remote::{self, RemoteObject, Spool};
use crate::config::{Config, Format, Source};
use crate::datasets::{self, Dataset};
use crate::lake::records::IngestManifest;
use crate::lake::{Lake, layout};

/// Bumped whenever parsing changes what a staged file contains, so old staging is not reused.
const PARSER_VERSION: &str = "2";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileStatus {
    /// Not in the lake yet.
    New,
    /// Its path is in the lake, with other contents or settings.
    Changed,
    /// Already staged with these exact bytes and settings.
    Unchanged,
}

impl FileStatus {
    pub fn label(self) -> &'static str {
        match self {
            FileStatus::New => "new",
            FileStatus::Changed => "changed",
            FileStatus::Unchanged => "unchanged",
        }
    }
}

#[derive(Debug, Clone)]
pub struct PlannedFile {
    /// The `[sources.NAME]` it matched.
    pub source: String,
    /// The file staging parses: the export itself, or for an object in a store its spooled copy
    /// (there only when the plan found it must be staged).
    pub path: PathBuf,
    /// The path as recorded in the lake: relative to the config's folder where possible.
    pub display: String,
    pub format: Format,
    pub bytes: u64,
    pub sha256: String,
    pub staging_id: String,
    /// Sorts older exports first: file name, then path.
    pub export_order: String,
    pub status: FileStatus,
    pub staged: bool,
    /// Whether planning read the file to hash it (not when its size, time and inode were those the
    /// manifest recorded).
    pub hashed: bool,
    /// Size, modification time and inode (for an object: size, ETag and modification time), as
    /// the manifest records them.
    pub identity: String,
    /// In an object store (`display` is its URL).
    pub in_store: bool,
    /// An object recognised by its identity and not fetched: `plan` fetches it if it must be staged.
    remote: Option<RemoteObject>,
}

#[derive(Debug, Clone)]
pub struct DatasetPlan {
    pub dataset: &'static Dataset,
    /// In export order.
    pub files: Vec<PlannedFile>,
    /// Paths in the lake whose export is gone; their rows leave the lake.
    pub removed: Vec<String>,
    pub rebuild: bool,
}

#[derive(Debug, Clone)]
pub struct IngestPlan {
    pub datasets: Vec<DatasetPlan>,
    /// The local copies of the objects to stage, removed when the last clone of the plan goes.
    _spool: Option<Arc<Spool>>,
}

impl IngestPlan {
    pub fn files(&self) -> impl Iterator<Item = &PlannedFile> {
        self.datasets.iter().flat_map(|d| d.files.iter())
    }

    pub fn is_noop(&self) -> bool {
        self.datasets.iter().all(|d| !d.rebuild)
    }
}

pub async fn plan(config: &Config, lake: &Lake) -> Result<IngestPlan, IngestError> {
    let manifest = IngestManifest::load(lake).await?;
    let mut spool = None;
    let mut datasets = Vec::new();
    for dataset in datasets::DATASETS {
        let mut files = Vec::new();
        for source in config.sources_for(dataset.name) {
            for found in matching_files(source).await? {
                files.push(plan_file(config, source, found, &manifest, &mut spool).await?);
            }
        }
        files.sort_by(|a, b| a.export_order.cmp(&b.export_order));
        files.dedup_by(|a, b| a.display == b.display);
        let known = manifest.datasets.get(dataset.name);
        let known_files: BTreeMap<&str, &str> =
            known.map(|k| k.files.iter().map(|f| (f.path.as_str(), f.sha256.as_str())).collect()).unwrap_or_default();
        for file in &mut files {
            file.staged = lake.exists(&layout::staging_rows(dataset.name, &file.staging_id)).await?
                && lake.exists(&layout::staging_stats(dataset.name, &file.staging_id)).await?;
            let same_file = known
                .is_some_and(|k| k.files.iter().any(|f| f.path == file.display && f.staging_id == file.staging_id));
            file.status = match known_files.get(file.display.as_str()) {
                None => FileStatus::New,
                Some(_) if same_file && file.staged => FileStatus::Unchanged,
                Some(_) => FileStatus::Changed,
            };
        }
        let removed: Vec<String> =
            known_files.keys().filter(|p| !files.iter().any(|f| f.display == **p)).map(|p| p.to_string()).collect();
        let rebuild = !removed.is_empty() || files.iter().any(|f| f.status != FileStatus::Unchanged);
        if files.is_empty() && known.is_none() {
            continue;
        }
        datasets.push(DatasetPlan { dataset, files, removed, rebuild });
    }
    // An object recognised by its identity whose staging is gone must be read after all.
    for file in datasets.iter_mut().flat_map(|d| d.files.iter_mut()) {
        if let Some(object) = file.remote.take()
            && !file.staged
        {
            let copy = remote::spooled(&mut spool, config)?.fetch(&object).await?;
            if copy.sha256 != file.sha256 {
                return Err(IngestError::Source {
                    source_name: file.source.clone(),
                    message: format!(
                        "{} changed while it was being read (its ETag stayed the same); ingest again",
                        file.display
                    ),
                });
            }
            file.path = copy.path;
        }
    }
    Ok(IngestPlan { datasets, _spool: spool.map(Arc::new) })
}

/// An export a source's pattern matched.
enum Found {
    Local(PathBuf),
    Remote(Box<RemoteObject>),
}

async fn matching_files(source: &Source) -> Result<Vec<Found>, IngestError> {
    let fail = |message: String| IngestError::Source { source_name: source.name.clone(), message };
    if let Some(url) = &source.store {
        let objects = remote::list(url, &source.pattern).await.map_err(fail)?;
        return Ok(objects.into_iter().map(|o| Found::Remote(Box::new(o))).collect());
    }
    let paths = glob::glob(&source.pattern).map_err(|e| fail(format!("bad pattern {}: {e}", source.pattern)))?;
    let mut files = Vec::new();
    for entry in paths {
        let path = entry.map_err(|e| fail(e.to_string()))?;
        if path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files.into_iter().map(Found::Local).collect())
}

/// What a source's path names, for messages: the glob, or the store URL and key glob.
fn source_location(source: &Source) -> String {
    match &source.store {
        Some(url) => url.object_url(&source.pattern),
        None => source.pattern.clone(),
    }
}

/// The path as recorded in the lake: relative to the config's folder where possible.
fn display_path(config: &Config, path: &Path) -> String {
    path.strip_prefix(config.base_dir())
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|_| path.to_string_lossy().into_owned())
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// The source's format, or the one the file name implies.
fn format_of(source: &Source, name: &str, display: &str) -> Result<Format, String> {
    source.format.or_else(|| Format::from_file_name(name)).ok_or_else(|| {
        format!("{display}: cannot tell the format from the file name; set `sources.{}.format`", source.name)
    })
}

/// Every problem with the sources, without touching the lake: datasets with no source, patterns
/// matching nothing, files that cannot be opened or lack a required column. An object in a store
/// is read only as far as its header (the whole object for Parquet and XLSX).
pub async fn check_sources(config: &Config) -> Vec<String> {
    let mut problems: Vec<String> = config
        .unconfigured_datasets()
        .into_iter()
        .map(|d| format!("dataset `{d}` has no source; add a `[sources.{d}]` section"))
        .collect();
    let config_file = config.file.display().to_string();
    let mut spool = None;
    for source in &config.sources {
        let files = match matching_files(source).await {
            Ok(files) => files,
            Err(e) => {
                problems.push(e.to_string());
                continue;
            }
        };
        if files.is_empty() {
            problems.push(format!("`sources.{}.path`: no file matches {}", source.name, source_location(source)));
        }
        for found in files {
            let (path, display) = match found {
                Found::Local(path) => {
                    let display = display_path(config, &path);
                    (path, display)
                }
                Found::Remote(object) => {
                    let display = object.url();
                    let text =
                        matches!(format_of(source, &object.file_name(), &display), Ok(Format::Csv | Format::Jsonl));
                    let head = match remote::spooled(&mut spool, config) {
                        Ok(spool) => spool.fetch_head(&object, !text).await,
                        Err(e) => Err(e),
                    };
                    match head {
                        Ok(path) => (path, display),
                        Err(e) => {
                            problems.push(e.to_string());
                            continue;
                        }
                    }
                }
            };
            let opened = format_of(source, &file_name(&path), &display).and_then(|format| {
                Export::open(&path, format, source.encoding, source.delimiter, source.sheet.as_deref())
                    .map_err(|e| format!("{display}: {e}"))
            });
            match opened {
                Err(problem) => problems.push(problem),
                Ok(export) => {
                    if let Err(missing) = map_columns(source, &export.headers, &display, &config_file) {
                        problems.extend(missing);
                    }
                }
            }
        }
    }
    problems
}

async fn plan_file(
    config: &Config,
    source: &Source,
    found: Found,
    manifest: &IngestManifest,
    spool: &mut Option<Spool>,
) -> Result<PlannedFile, IngestError> {
    let (display, name, identity) = match &found {
        Found::Local(path) => {
            let display = display_path(config, path);
            let identity =
                FileIdentity::of(path).map_err(|e| IngestError::Read { file: display.clone(), source: e })?;
            (display, file_name(path), identity.stamp())
        }
        Found::Remote(object) => (object.url(), object.file_name(), object.identity()),
    };
    let format = format_of(source, &name, &display)
        .map_err(|message| IngestError::Source { source_name: source.name.clone(), message })?;
    // The same size, modification time and inode as when it was ingested (for an object: the
    // same size, ETag and time): the same bytes, not read again to hash them. A local file
    // rewritten in place within the same nanosecond and size is the one case this misses; `touch`
    // the file to make ingest read it.
    let known = manifest
        .datasets
        .get(source.dataset.name)
        .and_then(|d| d.files.iter().find(|f| f.path == display))
        .filter(|f| f.identity.as_deref() == Some(identity.as_str()));
    let (path, remote_object, sha256, bytes, hashed) = match (found, known) {
        (Found::Local(path), Some(f)) => (path, None, f.sha256.clone(), f.bytes, false),
        (Found::Local(path), None) => {
            let (sha256, bytes) =
                hash_file(&path).map_err(|e| IngestError::Read { file: display.clone(), source: e })?;
            (path, None, sha256, bytes, true)
        }
        // Most likely staged already; `plan` fetches it if not.
        (Found::Remote(object), Some(f)) => (PathBuf::new(), Some(*object), f.sha256.clone(), f.bytes, false),
        (Found::Remote(object), None) => {
            let copy = remote::spooled(spool, config)?.fetch(&object).await?;
            (copy.path, None, copy.sha256, copy.bytes, true)
        }
    };
    let mut id = Sha256::new();
    for part in [
        PARSER_VERSION,
        &sha256,
        &display,
        source.dataset.name,
        &format!("{format:?}/{:?}/{}/{}", source.encoding, source.delimiter, source.timezone),
        source.sheet.as_deref().unwrap_or(""),
        &format!("{:?}", source.columns),
        config.company.timezone.name(),
    ] {
        id.update(part.as_bytes());
        id.update([0u8]);
    }
    Ok(PlannedFile {
        source: source.name.clone(),
        path,
        in_store: source.store.is_some(),
        remote: remote_object,
        export_order: format!("{name}\u{0}{display}"),
        display,
        format,
        bytes,
        sha256,
        staging_id: hex::encode(&id.finalize()[..16]),
        status: FileStatus::New,
        staged: false,
        hashed,
        identity,
    })
}

/// A file's size, modification time and inode: when all three match what the manifest recorded,
/// the file is taken as unchanged without reading it.
struct FileIdentity {
    bytes: u64,
    modified_ns: u128,
    inode: u64,
}

impl FileIdentity {
    fn of(path: &Path) -> std::io::Result<FileIdentity> {
        let meta = std::fs::metadata(path)?;
        let modified_ns =
            meta.modified()?.duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default();
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(&meta);
        #[cfg(not(unix))]
        let inode = 0;
        Ok(FileIdentity { bytes: meta.len(), modified_ns, inode })
    }

    /// As the manifest records it.
    fn stamp(&self) -> String {
        format!("{}:{}:{}", self.bytes, self.modified_ns, self.inode)
    }
}

/// SHA-256 and size of a file, streamed.
pub fn hash_file(path: &Path) -> std::io::Result<(String, u64)> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
        total += n as u64;
    }
    Ok((hex::encode(hasher.finalize()), total))
}
