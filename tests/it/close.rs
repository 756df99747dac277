//! Operating the close: two closes started at once on one lake (one runs, the other refuses and the
//! lake is intact), and a close killed with SIGKILL while it ingests and while it mails, re-run to
//! the same outputs and the same outbox as an uninterrupted close, with no message written twice.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::*;

fn config_in(dir: &Path) -> PathBuf {
    demo_config(dir, &dir.join("lake").display().to_string(), "")
}

fn spawn_close(config: &Path) -> Child {
    Command::new(bin())
        .args(["close", "--month", "2026-10", "--config"])
        .arg(config)
        .env_remove("KPI_CLOSE_CONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start kpi-close")
}

fn outbox(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir.join("out/outbox"))
        .map(|d| d.flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.sort();
    names
}

/// The outputs a close writes, for comparing two lakes: not the run records, the lock, staging, the
/// proof bundle and the audit report (they hold the config file's hash, and the two configs live in
/// different folders).
fn outputs(dir: &Path) -> Vec<(String, Vec<u8>)> {
    tree(&dir.join("lake"))
        .into_iter()
        .filter(|(path, _)| {
            ["indicators/", "scorecards/", "flags/", "exclusions/", "data/", "reports/"]
                .iter()
                .any(|p| path.starts_with(p))
                && !path.contains("/audit")
        })
        .collect()
}

#[test]
fn two_closes_at_once_one_runs_the_other_refuses() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = config_in(dir.path());
    let dry = run(&config, &["close", "--month", "2026-10", "--dry-run"]);
    assert_eq!(dry.status.code(), Some(0), "{}", stderr(&dry));
    assert!(stdout(&dry).contains("Dry run: nothing was read"), "{}", stdout(&dry));
    assert!(!dir.path().join("lake/data").exists() && !dir.path().join("out/outbox").exists());
    let a = spawn_close(&config);
    let b = spawn_close(&config);
    let (a, b) = (a.wait_with_output().expect("a"), b.wait_with_output().expect("b"));
    let mut codes = [a.status.code(), b.status.code()];
    codes.sort();
    assert_eq!(codes, [Some(0), Some(3)], "{}\n{}", stderr(&a), stderr(&b));
    let refused = if a.status.code() == Some(3) { &a } else { &b };
    assert!(stderr(refused).contains("another close holds the lake"), "{}", stderr(refused));
    assert!(!dir.path().join("lake/locks/close.lock").exists(), "the lock is released");
    let runs = run(&config, &["runs", "--format", "json"]);
    let runs: serde_json::Value = serde_json::from_slice(&runs.stdout).expect("runs JSON");
    assert_eq!(runs.as_array().map(Vec::len), Some(1), "{runs}");
    assert_eq!(runs[0]["status"], "ok");
    assert_eq!(runs[0]["sent"].as_array().map(Vec::len), Some(18));
    let verify = run(&config, &["verify", "--period", "2026-10"]);
    assert_eq!(verify.status.code(), Some(0), "the lake is intact: {}", stdout(&verify));
    assert_eq!(outbox(dir.path()).len(), 18);
    let dry = run(&config, &["close", "--month", "2026-10", "--dry-run"]);
    assert_eq!(stdout(&dry).matches("@demo-trading.cn").count(), 18, "{}", stdout(&dry));
}

#[test]
fn a_killed_close_reruns_to_the_same_lake_and_outbox_without_sending_twice() {
    // The uninterrupted close, for reference.
    let reference = tempfile::tempdir().expect("temp dir");
    let out = run(&config_in(reference.path()), &["close", "--month", "2026-10"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let dir = tempfile::tempdir().expect("temp dir");
    let config = config_in(dir.path());
    // Killed early (ingest or audit), then killed while mailing.
    let mut child = spawn_close(&config);
    std::thread::sleep(Duration::from_secs(3));
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    assert!(dir.path().join("lake/locks/close.lock").exists(), "a killed close leaves its lock");
    let mut child = spawn_close(&config);
    let deadline = Instant::now() + Duration::from_secs(600);
    while outbox(dir.path()).len() < 5 {
        assert!(Instant::now() < deadline, "the close never started mailing");
        assert!(child.try_wait().expect("poll").is_none(), "the close ended before it could be killed");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    let partial = outbox(dir.path());
    assert!(partial.len() < 18, "killed before the last message");

    let out = run(&config, &["close", "--month", "2026-10"]);
    assert_eq!(out.status.code(), Some(0), "{}\n{}", stdout(&out), stderr(&out));
    assert!(stderr(&out).contains("Taking over the lock"), "{}", stderr(&out));
    let text = stdout(&out);
    let already = text.lines().filter(|l| l.contains("already sent")).count();
    assert!(already >= partial.len().saturating_sub(1), "what went before is not sent again:\n{text}");
    assert_eq!(outbox(dir.path()), outbox(reference.path()), "the same 18 messages, each once");
    let (got, want) = (outputs(dir.path()), outputs(reference.path()));
    assert_eq!(got.iter().map(|(p, _)| p).collect::<Vec<_>>(), want.iter().map(|(p, _)| p).collect::<Vec<_>>());
    for ((path, a), (_, b)) in got.iter().zip(&want) {
        assert!(a == b, "{path} differs from the uninterrupted close");
    }
    let runs = run(&config, &["runs"]);
    assert!(stdout(&runs).contains("running"), "the killed closes show as never finished:\n{}", stdout(&runs));
}

#[test]
fn a_failed_gate_sends_nothing_and_the_fixed_input_closes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fixtures = dir.path().join("fixtures");
    copy_dir(&repo().join("fixtures"), &fixtures);
    let missing = fixtures.join("exports/app/customer_activity_2026-10.jsonl.gz");
    let held = dir.path().join("customer_activity_2026-10.jsonl.gz");
    std::fs::rename(&missing, &held).expect("hold the October export back");
    let config = demo_config_with(dir.path(), &dir.path().join("lake").display().to_string(), "", &fixtures);

    let out = run(&config, &["close", "--month", "2026-10"]);
    assert_eq!(out.status.code(), Some(1), "{}\n{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("a gate failed, so the reports are DRAFT and nothing was sent"), "{text}");
    assert!(text.contains("no data for 2026-10 in customer_activity (there was for 2026-09)"), "{text}");
    assert!(outbox(dir.path()).is_empty(), "nothing sent");
    let leadership =
        std::fs::read_to_string(dir.path().join("lake/reports/period=2026-10/zh-CN/leadership.html")).unwrap();
    assert!(
        leadership.contains("草稿") && leadership.contains("customer_activity"),
        "the archive is marked DRAFT, with why"
    );
    let send = run(&config, &["send", "--period", "2026-10"]);
    assert_eq!(send.status.code(), Some(1));
    assert!(stderr(&send).contains("DRAFT and go to nobody"), "{}", stderr(&send));

    std::fs::rename(&held, &missing).expect("the export arrives");
    let out = run(&config, &["close", "--month", "2026-10"]);
    assert_eq!(out.status.code(), Some(0), "{}\n{}", stdout(&out), stderr(&out));
    assert_eq!(outbox(dir.path()).len(), 18);
    let leadership =
        std::fs::read_to_string(dir.path().join("lake/reports/period=2026-10/zh-CN/leadership.html")).unwrap();
    assert!(!leadership.contains("草稿"), "final now");
    let runs = run(&config, &["runs", "--format", "json"]);
    let runs: serde_json::Value = serde_json::from_slice(&runs.stdout).expect("runs JSON");
    let statuses: Vec<&str> = runs.as_array().unwrap().iter().map(|r| r["status"].as_str().unwrap()).collect();
    assert_eq!(statuses, ["gate failed", "ok"]);
}
