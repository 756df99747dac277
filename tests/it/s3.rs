//! The same ingest against a real S3-compatible server (moto, started here on 127.0.0.1) gives the
//! same lake, object for object and byte for byte, as a local folder.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use futures::TryStreamExt;
use object_store::ObjectStore;

use crate::common::*;

/// A moto S3 server on a free loopback port, stopped when dropped.
struct Moto {
    child: Child,
    port: u16,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_moto() -> Moto {
    let program = python_tool("MOTO_SERVER", "moto_server", "moto[server]>=5,<6");
    let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
    let child = Command::new(&program)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {} ({e})", program.display()));
    let moto = Moto { child, port };
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "moto did not start on port {port}");
        std::thread::sleep(Duration::from_millis(200));
    }
    moto
}

fn create_bucket(port: u16, bucket: &str) {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    write!(
        stream,
        "PUT /{bucket} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response");
    assert!(response.starts_with("HTTP/1.1 200"), "bucket not created: {response}");
}

async fn s3_objects(port: u16, bucket: &str, prefix: &str) -> BTreeMap<String, Vec<u8>> {
    let store = object_store::aws::AmazonS3Builder::new()
        .with_bucket_name(bucket)
        .with_endpoint(format!("http://127.0.0.1:{port}"))
        .with_allow_http(true)
        .with_region("us-east-1")
        .with_access_key_id("test")
        .with_secret_access_key("test")
        .build()
        .expect("s3 client");
    let root = object_store::path::Path::from(prefix);
    let metas: Vec<_> = store.list(Some(&root)).try_collect().await.expect("list");
    let mut out = BTreeMap::new();
    for meta in metas {
        let bytes =
            object_store::ObjectStoreExt::get(&store, &meta.location).await.expect("get").bytes().await.expect("bytes");
        let rel = meta.location.as_ref().strip_prefix(&format!("{prefix}/")).expect("under prefix").to_string();
        out.insert(rel, bytes.to_vec());
    }
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn an_s3_lake_holds_the_same_objects_as_a_local_one() {
    let moto = start_moto();
    create_bucket(moto.port, "kpi-lake");
    let env = [("AWS_ACCESS_KEY_ID", "test"), ("AWS_SECRET_ACCESS_KEY", "test"), ("AWS_DEFAULT_REGION", "us-east-1")];

    let s3_dir = tempfile::tempdir().expect("temp dir");
    let endpoint = format!("endpoint = \"http://127.0.0.1:{}\"\nallow_http = true", moto.port);
    let s3_config = demo_config(s3_dir.path(), "s3://kpi-lake/demo", &endpoint);
    let out = run_with_env(&s3_config, &["ingest"], &env);
    assert_eq!(out.status.code(), Some(0), "{}\n{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("s3://kpi-lake/demo"), "{}", stdout(&out));

    let local_dir = tempfile::tempdir().expect("temp dir");
    let lake = local_dir.path().join("lake");
    let local_config = demo_config(local_dir.path(), &lake.display().to_string(), "");
    let out = run(&local_config, &["ingest"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let remote = s3_objects(moto.port, "kpi-lake", "demo").await;
    let local = tree(&lake);
    assert_eq!(remote.keys().collect::<Vec<_>>(), local.keys().collect::<Vec<_>>());
    for (path, bytes) in &local {
        assert!(remote[path] == *bytes, "{path} differs between the S3 and the local lake");
    }

    let again = run_with_env(&s3_config, &["ingest"], &env);
    assert_eq!(again.status.code(), Some(0), "{}", stderr(&again));
    assert!(stdout(&again).contains("Nothing changed"), "{}", stdout(&again));
}
