//! Exports and lakes in object stores, against real servers started here on 127.0.0.1: S3 (moto)
//! and Azure Blob (Azurite). An S3 lake holds the same objects, byte for byte, as a local one; the
//! demo close from exports in each store into a lake in the same store gives the local close's
//! indicators, scorecards, flags, reports and mail, and a second close reads no export again;
//! missing or wrong credentials and a missing container are refused with the variable or the
//! container to fix; both stores refuse a second create-only put (the close's lock).
//!
//! Google Cloud Storage has no server here: object_store 0.13 speaks GCS's XML API for object
//! writes, listing and deletes, which neither emulator on PyPI answers (fake-gcs-server 1.54
//! replies "invalid uploadType" to an XML `PUT`; gcp-storage-emulator has no XML listing and
//! ignores `x-goog-if-generation-match`), so a `gs://` lake or source is built but not exercised.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use object_store::path::Path as ObjectPath;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};

use crate::common::*;

/// Azurite's well-known development account and key (from its README).
const AZURITE_ACCOUNT: &str = "devstoreaccount1";
const AZURITE_KEY: &str = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==";
const BUCKET: &str = "kpi";

fn start(program: &Path, args: &[String], port: u16) -> Server {
    let child = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {} ({e})", program.display()));
    let server = Server { child, port };
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "{} did not start on port {port}", program.display());
        std::thread::sleep(Duration::from_millis(200));
    }
    server
}

/// Azurite's blob server from npm, installed once under Cargo's target folder (or `AZURITE_BLOB`).
fn azurite() -> PathBuf {
    if let Ok(path) = std::env::var("AZURITE_BLOB") {
        return PathBuf::from(path);
    }
    npm_package("azurite@3", "node_modules/.bin/azurite-blob").join("node_modules/.bin/azurite-blob")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    S3,
    Azure,
}

/// A bucket named `kpi` on a fresh server of one kind.
struct Bucket {
    kind: Kind,
    server: Server,
    _data: tempfile::TempDir,
}

impl Bucket {
    fn start(kind: Kind) -> Bucket {
        let data = tempfile::tempdir().expect("temp dir");
        let port = free_port();
        let server = match kind {
            Kind::S3 => {
                let moto = python_tool("MOTO_SERVER", "moto_server", "moto[server]>=5,<6");
                let server = start(&moto, &["-H".into(), "127.0.0.1".into(), "-p".into(), port.to_string()], port);
                http(port, &format!("PUT /{BUCKET} HTTP/1.1"), "");
                server
            }
            Kind::Azure => {
                let args = [
                    "--blobHost",
                    "127.0.0.1",
                    "--blobPort",
                    &port.to_string(),
                    "--location",
                    &data.path().display().to_string(),
                    "--silent",
                    "--disableTelemetry",
                    "--skipApiVersionCheck",
                ]
                .map(String::from);
                let server = start(&azurite(), &args, port);
                // Creating a container needs a signed request object_store does not make.
                let python = python_with("azure.storage.blob", "azure-storage-blob>=12,<13");
                let create = format!(
                    "from azure.storage.blob import BlobServiceClient\n\
                     BlobServiceClient.from_connection_string('DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};\
                     AccountKey={AZURITE_KEY};BlobEndpoint=http://127.0.0.1:{port}/{AZURITE_ACCOUNT};').create_container('{BUCKET}')"
                );
                let status = Command::new(python).args(["-c", &create]).status().expect("python runs");
                assert!(status.success(), "container not created");
                server
            }
        };
        Bucket { kind, server, _data: data }
    }

    fn scheme(&self) -> &'static str {
        match self.kind {
            Kind::S3 => "s3",
            Kind::Azure => "az",
        }
    }

    fn endpoint(&self) -> String {
        match self.kind {
            Kind::Azure => format!("http://127.0.0.1:{}/{AZURITE_ACCOUNT}", self.server.port),
            Kind::S3 => format!("http://127.0.0.1:{}", self.server.port),
        }
    }

    /// The test's own client for the bucket.
    fn client(&self) -> Arc<dyn ObjectStore> {
        match self.kind {
            Kind::S3 => Arc::new(
                object_store::aws::AmazonS3Builder::new()
                    .with_bucket_name(BUCKET)
                    .with_endpoint(self.endpoint())
                    .with_allow_http(true)
                    .with_region("us-east-1")
                    .with_access_key_id("test")
                    .with_secret_access_key("test")
                    .build()
                    .expect("s3 client"),
            ),
            Kind::Azure => Arc::new(
                object_store::azure::MicrosoftAzureBuilder::new()
                    .with_container_name(BUCKET)
                    .with_account(AZURITE_ACCOUNT)
                    .with_access_key(AZURITE_KEY)
                    .with_endpoint(self.endpoint())
                    .with_allow_http(true)
                    .build()
                    .expect("azure client"),
            ),
        }
    }

    /// The providers' standard variables a deployment would set, pointing at this server.
    fn env(&self) -> Vec<(&'static str, String)> {
        match self.kind {
            Kind::S3 => vec![
                ("AWS_ACCESS_KEY_ID", "test".into()),
                ("AWS_SECRET_ACCESS_KEY", "test".into()),
                ("AWS_DEFAULT_REGION", "us-east-1".into()),
                ("AWS_ENDPOINT", self.endpoint()),
                ("AWS_ALLOW_HTTP", "true".into()),
            ],
            Kind::Azure => vec![
                ("AZURE_STORAGE_ACCOUNT_NAME", AZURITE_ACCOUNT.into()),
                ("AZURE_STORAGE_ACCOUNT_KEY", AZURITE_KEY.into()),
                ("AZURE_STORAGE_ENDPOINT", self.endpoint()),
                ("AZURE_ALLOW_HTTP", "true".into()),
            ],
        }
    }

    /// The demo config in `dir` reading the exports from `exports/` in the bucket into a lake at
    /// `lake/` in it: the sources' endpoint from the environment, the lake's from the config.
    fn demo_config(&self, dir: &Path) -> PathBuf {
        let text = std::fs::read_to_string(repo().join("kpi-close.toml")).expect("root config");
        let lake = format!(
            "url = \"{}://{BUCKET}/lake\"\nendpoint = \"{}\"\nallow_http = true",
            self.scheme(),
            self.endpoint()
        );
        let text = text
            .replace("url = \"out/lake\"", &lake)
            .replace("\"fixtures/exports/", &format!("\"{}://{BUCKET}/exports/", self.scheme()));
        let path = dir.join("kpi-close.toml");
        std::fs::write(&path, text).expect("write config");
        path
    }

    async fn upload(&self, local: &Path, prefix: &str) {
        let client = self.client();
        for (rel, bytes) in tree(local) {
            let path = ObjectPath::from(format!("{prefix}/{rel}"));
            client.put(&path, PutPayload::from(bytes)).await.expect("upload");
        }
    }

    async fn objects(&self, prefix: &str) -> BTreeMap<String, Vec<u8>> {
        let client = self.client();
        let root = ObjectPath::from(prefix);
        let metas: Vec<_> = client.list(Some(&root)).try_collect().await.expect("list");
        let mut out = BTreeMap::new();
        for meta in metas {
            let bytes = client.get(&meta.location).await.expect("get").bytes().await.expect("bytes");
            let rel = meta.location.as_ref().strip_prefix(&format!("{prefix}/")).expect("under prefix").to_string();
            out.insert(rel, bytes.to_vec());
        }
        out
    }
}

/// A raw HTTP request to a loopback server; returns the response after asserting a 200.
fn http(port: u16, request_line: &str, body: &str) -> String {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    write!(
        stream,
        "{request_line}\r\nHost: 127.0.0.1:{port}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response");
    assert!(response.starts_with("HTTP/1.1 200"), "{request_line}: {response}");
    response
}

fn run_in(config: &Path, args: &[&str], env: &[(&'static str, String)]) -> Output {
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    run_with_env(config, args, &env)
}

/// The local demo close of 2026-10, once for all the stores' tests.
fn local_close() -> &'static Path {
    static LOCAL: OnceLock<tempfile::TempDir> = OnceLock::new();
    LOCAL
        .get_or_init(|| {
            let dir = tempfile::tempdir().expect("temp dir");
            let config = demo_config(dir.path(), &dir.path().join("lake").display().to_string(), "");
            let out = run(&config, &["close", "--month", "2026-10"]);
            assert_eq!(out.status.code(), Some(0), "{}\n{}", stdout(&out), stderr(&out));
            dir
        })
        .path()
}

/// What must not depend on where the exports and the lake are: the indicators, scorecards, flags
/// and the people's reports (the audit report and the proof bundle name the export files).
fn outputs(lake: BTreeMap<String, Vec<u8>>) -> BTreeMap<String, Vec<u8>> {
    lake.into_iter()
        .filter(|(path, _)| {
            ["indicators/", "scorecards/", "flags/", "reports/"].iter().any(|p| path.starts_with(p))
                && !path.contains("/audit")
        })
        .collect()
}

/// Every message of an outbox, by file name, without its `Date` and with its MIME boundaries
/// (random) numbered; the auditors' messages only by name (their audit report lists the export
/// files, which are URLs here and paths there).
fn mail(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let normalise = |bytes: Vec<u8>| {
        let mut text: String = String::from_utf8(bytes)
            .expect("a message is ASCII")
            .lines()
            .filter(|l| !l.starts_with("Date: "))
            .map(|l| format!("{l}\n"))
            .collect();
        let boundaries: Vec<String> =
            text.split("boundary=\"").skip(1).filter_map(|rest| rest.split('"').next().map(str::to_string)).collect();
        for (n, boundary) in boundaries.iter().enumerate() {
            text = text.replace(boundary.as_str(), &format!("BOUNDARY-{n}"));
        }
        text.into_bytes()
    };
    tree(&dir.join("out/outbox"))
        .into_iter()
        .map(|(name, bytes)| if name.contains(".audit.") { (name, Vec::new()) } else { (name, normalise(bytes)) })
        .collect()
}

fn assert_same(got: &BTreeMap<String, Vec<u8>>, want: &BTreeMap<String, Vec<u8>>, what: &str) {
    assert_eq!(got.keys().collect::<Vec<_>>(), want.keys().collect::<Vec<_>>(), "{what}: not the same objects");
    for (path, bytes) in want {
        assert!(got[path] == *bytes, "{what}: {path} differs from the local close");
    }
}

/// The demo close from exports in the store into a lake in the same store.
async fn closes_from_the_store_like_the_local_close(kind: Kind) {
    let bucket = Bucket::start(kind);
    bucket.upload(&repo().join("fixtures/exports"), "exports").await;
    let dir = tempfile::tempdir().expect("temp dir");
    let config = bucket.demo_config(dir.path());
    let env = bucket.env();

    let validate = run_in(&config, &["validate"], &env);
    assert_eq!(validate.status.code(), Some(0), "{}\n{}", stdout(&validate), stderr(&validate));
    let plan = run_in(&config, &["plan"], &env);
    let listed = stdout(&plan);
    assert!(listed.contains(&format!("{}://{BUCKET}/exports/crm/leads_", bucket.scheme())), "{listed}");
    assert!(!listed.contains("unchanged"), "an empty lake has every export new:\n{listed}");

    let out = run_in(&config, &["close", "--month", "2026-10"], &env);
    assert_eq!(out.status.code(), Some(0), "{}\n{}", stdout(&out), stderr(&out));
    assert!(!dir.path().join("lake").exists(), "nothing of the lake is local");

    let local = local_close();
    let remote = outputs(bucket.objects("lake").await);
    assert!(remote.keys().any(|k| k.starts_with("indicators/period=2026-10/")), "{:?}", remote.keys());
    assert_same(&remote, &outputs(tree(&local.join("lake"))), &format!("{kind:?} lake"));
    assert_same(&mail(dir.path()), &mail(local), &format!("{kind:?} close's mail"));

    // Nothing changed in the bucket: no export is read again, and the plan says why.
    let again = run_in(&config, &["-v", "close", "--month", "2026-10"], &env);
    assert_eq!(again.status.code(), Some(0), "{}\n{}", stdout(&again), stderr(&again));
    assert!(!stderr(&again).contains("Fetched export"), "an export was read again:\n{}", stderr(&again));
    let plan = stdout(&run_in(&config, &["plan"], &env));
    assert!(plan.contains("unchanged (same size, ETag, time: not read)"), "{plan}");
    assert!(!plan.contains(" new") && !plan.contains("changed\n"), "{plan}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_close_from_an_s3_bucket_equals_the_local_close() {
    closes_from_the_store_like_the_local_close(Kind::S3).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_close_from_an_azure_container_equals_the_local_close() {
    closes_from_the_store_like_the_local_close(Kind::Azure).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn missing_or_wrong_credentials_and_a_missing_bucket_are_named() {
    let bucket = Bucket::start(Kind::Azure);
    bucket.upload(&repo().join("fixtures/exports"), "exports").await;
    let dir = tempfile::tempdir().expect("temp dir");
    let config = bucket.demo_config(dir.path());
    let with = |key: &str, value: &str| -> Vec<(&'static str, String)> {
        bucket.env().into_iter().map(|(k, v)| if k == key { (k, value.to_string()) } else { (k, v) }).collect()
    };

    // A key Azurite does not know: every source and the lake are refused, with the variable.
    let wrong = with("AZURE_STORAGE_ACCOUNT_KEY", "d3Jvbmcta2V5LXdyb25nLWtleS13cm9uZy1rZXk=");
    let out = run_in(&config, &["validate"], &wrong);
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert_ne!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("refused the credentials; check AZURE_STORAGE_ACCOUNT_NAME and AZURE_STORAGE_ACCOUNT_KEY"),
        "{text}"
    );
    assert!(text.contains("az://kpi/exports/crm"), "the source's URL is named:\n{text}");
    let out = run_in(&config, &["close", "--month", "2026-10"], &wrong);
    assert_ne!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("refused the credentials"), "{}", stderr(&out));
    assert!(!stderr(&out).contains(AZURITE_KEY) && !stdout(&out).contains("d3Jvbmcta2V5"), "no secret is printed");
    assert!(!dir.path().join("out/outbox").exists(), "nothing sent");

    // No account at all.
    let none: Vec<_> = bucket.env().into_iter().filter(|(k, _)| !k.starts_with("AZURE_STORAGE_ACCOUNT")).collect();
    let out = run_in(&config, &["validate"], &none);
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(text.contains("set AZURE_STORAGE_ACCOUNT_NAME"), "{text}");

    // A container that does not exist.
    let missing = dir.path().join("missing.toml");
    let text = std::fs::read_to_string(&config).expect("config").replace("az://kpi/exports/", "az://nope/exports/");
    std::fs::write(&missing, text).expect("write config");
    let out = run_in(&missing, &["validate"], &bucket.env());
    let text = format!("{}{}", stdout(&out), stderr(&out));
    assert!(text.contains("has no container `nope`"), "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_s3_lake_holds_the_same_objects_as_a_local_one() {
    let bucket = Bucket::start(Kind::S3);
    let env = [("AWS_ACCESS_KEY_ID", "test"), ("AWS_SECRET_ACCESS_KEY", "test"), ("AWS_DEFAULT_REGION", "us-east-1")];

    let s3_dir = tempfile::tempdir().expect("temp dir");
    let endpoint = format!("endpoint = \"{}\"\nallow_http = true", bucket.endpoint());
    let s3_config = demo_config(s3_dir.path(), &format!("s3://{BUCKET}/demo"), &endpoint);
    let out = run_with_env(&s3_config, &["ingest"], &env);
    assert_eq!(out.status.code(), Some(0), "{}\n{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("s3://kpi/demo"), "{}", stdout(&out));

    let local_dir = tempfile::tempdir().expect("temp dir");
    let lake = local_dir.path().join("lake");
    let local_config = demo_config(local_dir.path(), &lake.display().to_string(), "");
    let out = run(&local_config, &["ingest"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    assert_same(&bucket.objects("demo").await, &tree(&lake), "S3 lake");

    let again = run_with_env(&s3_config, &["ingest"], &env);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert!(stdout(&again).contains("Nothing changed"), "{}", stdout(&again));
}

#[tokio::test(flavor = "multi_thread")]
async fn every_store_takes_the_lock_once() {
    for kind in [Kind::S3, Kind::Azure] {
        let bucket = Bucket::start(kind);
        let client = bucket.client();
        let path = ObjectPath::from("locks/close.lock");
        let create = || object_store::PutOptions { mode: object_store::PutMode::Create, ..Default::default() };
        client.put_opts(&path, PutPayload::from_static(b"first"), create()).await.expect("first lock");
        let second = client.put_opts(&path, PutPayload::from_static(b"second"), create()).await;
        assert!(matches!(second, Err(object_store::Error::AlreadyExists { .. })), "{kind:?}: {second:?}");
        let held = client.get(&path).await.expect("lock").bytes().await.expect("bytes");
        assert_eq!(&held[..], b"first", "{kind:?}");
    }
}
