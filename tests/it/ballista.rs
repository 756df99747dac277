//! Distributed execution: the indicator SQL on a Ballista cluster gives the local engine's
//! indicators, row for row and byte for byte — on a standalone cluster (`engine.ballista =
//! "standalone"`: a scheduler and an executor inside the kpi-close process) and on a cluster of
//! separate processes on loopback (`kpi-close scheduler`, `kpi-close executor`, and the close's
//! `engine.ballista = "df://127.0.0.1:<port>"`).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

/// Kills the cluster's processes however the test ends.
struct Cluster(Vec<Child>);

impl Drop for Cluster {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `run_with_env`, but a run that hangs (a Ballista job that never finishes) fails the test instead.
/// Output goes to files while it runs: a pipe nobody reads would stop a chatty process.
fn run_within(config: &std::path::Path, args: &[&str], env: &[(&str, &str)], what: &str) -> std::process::Output {
    let dir = tempfile::tempdir().expect("temp dir");
    let (out_path, err_path) = (dir.path().join("stdout"), dir.path().join("stderr"));
    let mut child = Command::new(bin())
        .args(args)
        .arg("--config")
        .arg(config)
        .env_remove("KPI_CLOSE_CONFIG")
        .envs(env.iter().copied())
        .stdout(std::fs::File::create(&out_path).expect("stdout file"))
        .stderr(std::fs::File::create(&err_path).expect("stderr file"))
        .spawn()
        .expect("start kpi-close");
    let deadline = Instant::now() + Duration::from_secs(300);
    let status = loop {
        if let Some(status) = child.try_wait().expect("poll") {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{what}: no answer in 300 s:\n{}", std::fs::read_to_string(&err_path).unwrap_or_default());
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let read = |path: &std::path::Path| std::fs::read(path).expect("output file");
    std::process::Output { status, stdout: read(&out_path), stderr: read(&err_path) }
}

fn spawn(config: &std::path::Path, args: &[&str]) -> Child {
    Command::new(bin())
        .args(args)
        .arg("--config")
        .arg(config)
        .env_remove("KPI_CLOSE_CONFIG")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start kpi-close")
}

#[test]
fn indicators_on_ballista_equal_the_local_engines_row_for_row() {
    let dir = tempfile::tempdir().expect("temp dir");
    let lake = dir.path().join("lake");
    let config = demo_config(dir.path(), &lake.display().to_string(), "");
    for step in [&["ingest"][..], &["audit", "--period", "2026-10"][..]] {
        let out = run(&config, step);
        assert_eq!(out.status.code(), Some(0), "{step:?}: {}", stderr(&out));
    }
    let local = run(&config, &["kpis", "--period", "2026-10", "--format", "csv"]);
    assert_eq!(local.status.code(), Some(0), "{}", stderr(&local));
    let stored = std::fs::read(lake.join("indicators/period=2026-10/part-0.parquet")).expect("indicators");

    let text = std::fs::read_to_string(&config).expect("config");
    assert!(text.contains("memory_limit = \"2GiB\""));
    let with_ballista = |name: &str, endpoint: &str| {
        let path = dir.path().join(name);
        let text =
            text.replace("memory_limit = \"2GiB\"", &format!("memory_limit = \"2GiB\"\nballista = \"{endpoint}\""));
        std::fs::write(&path, text).expect("write config");
        path
    };
    let expected = stdout(&local);
    assert!(expected.lines().count() > 500, "the demo's October has every indicator: {expected}");
    let log = [("KPI_CLOSE_LOG", "warn,kpi_close=info,ballista=info")];
    let same_as_local = |config: &std::path::Path, what: &str| {
        let out = run_within(config, &["kpis", "--period", "2026-10", "--format", "csv"], &log, what);
        assert_eq!(out.status.code(), Some(0), "{what}: {}", stderr(&out));
        let log = stderr(&out);
        assert!(log.contains("Indicator SQL runs on Ballista"), "{what}: {log}");
        assert!(log.contains("Server side SessionContext created"), "{what}: a Ballista session was made: {log}");
        let got = stdout(&out);
        for (i, (x, y)) in expected.lines().zip(got.lines()).enumerate() {
            assert_eq!(x, y, "{what}: row {i} differs between the local engine and Ballista");
        }
        assert_eq!(expected.lines().count(), got.lines().count(), "{what}");
        let again = std::fs::read(lake.join("indicators/period=2026-10/part-0.parquet")).expect("indicators");
        assert!(again == stored, "{what}: the table written from Ballista's results is byte-identical");
    };
    same_as_local(&with_ballista("standalone.toml", "standalone"), "standalone");

    // A cluster of separate processes: kpi-close's scheduler and executor, on loopback.
    let (scheduler, flight, grpc) = (free_port(), free_port(), free_port());
    let remote = with_ballista("remote.toml", &format!("df://127.0.0.1:{scheduler}"));
    let mut cluster = Cluster(vec![spawn(&remote, &["scheduler", "--bind", &format!("127.0.0.1:{scheduler}")])]);
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", scheduler)).is_err() {
        assert!(Instant::now() < deadline, "the scheduler never listened");
        std::thread::sleep(Duration::from_millis(100));
    }
    cluster.0.push(spawn(&remote, &["executor", "--port", &flight.to_string(), "--grpc-port", &grpc.to_string()]));
    same_as_local(&remote, "scheduler and executor processes");
    for child in &mut cluster.0 {
        assert!(child.try_wait().expect("poll").is_none(), "the cluster's processes are still up");
    }
}
