//! Operating the close: two closes started at once on one lake (one runs, the other refuses and the
//! lake is intact); a close killed with SIGKILL while it ingests, while it runs the indicator SQL and
//! while it mails, re-run to the same outputs and the same outbox as an uninterrupted close, with no
//! message written twice; a failed gate; a closed period that stays frozen until it is reopened.

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

/// The run record of the close with process id `pid` (empty until it exists): the close saves it
/// after each stage.
fn run_record(dir: &Path, pid: u32) -> String {
    let Ok(entries) = std::fs::read_dir(dir.join("lake/runs")) else { return String::new() };
    entries
        .flatten()
        .find(|e| e.file_name().to_string_lossy().ends_with(&format!("-{pid}.json")))
        .and_then(|e| std::fs::read_to_string(e.path()).ok())
        .unwrap_or_default()
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
    // Killed early (ingest or audit), then while it runs the indicator SQL, then while mailing.
    let mut child = spawn_close(&config);
    std::thread::sleep(Duration::from_secs(3));
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    assert!(dir.path().join("lake/locks/close.lock").exists(), "a killed close leaves its lock");
    let mut child = spawn_close(&config);
    let deadline = Instant::now() + Duration::from_secs(600);
    while !run_record(dir.path(), child.id()).contains("\"audit\"") {
        assert!(Instant::now() < deadline, "the close never finished its audit");
        assert!(child.try_wait().expect("poll").is_none(), "the close ended before it could be killed");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("SIGKILL");
    child.wait().expect("reaped");
    assert!(
        !dir.path().join("lake/indicators/period=2026-10").exists(),
        "killed inside the indicator stage, before it wrote October"
    );
    let mut child = spawn_close(&config);
    let deadline = Instant::now() + Duration::from_secs(600);
    // The 18 messages go out within a fraction of a second: kill at the first one, polling often,
    // so the kill lands while the rest are still to go.
    while outbox(dir.path()).is_empty() {
        assert!(Instant::now() < deadline, "the close never started mailing");
        assert!(child.try_wait().expect("poll").is_none(), "the close ended before it could be killed");
        std::thread::sleep(Duration::from_millis(2));
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
fn a_failed_gate_sends_nothing_the_fixed_input_closes_and_late_data_waits_for_a_reopen() {
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
    // Closed, so frozen: a late export changes October, and a close without --reopen writes and
    // sends nothing, and says what changed and how to restate.
    let lake = dir.path().join("lake");
    let reported = std::fs::read(lake.join("indicators/period=2026-10/part-0.parquet")).unwrap();
    std::fs::write(
        fixtures.join("exports/shop/orders_2026-10_late.csv"),
        "order_id,customer_id,owner_id,order_at,amount,currency,status,refunded_at,lead_id,gross_margin,customer_email\n\
         O0009901,C009901,P011,2026-10-30T10:00:00+08:00,5000.00,CNY,paid,,,1500.00,late.buyer1@163.com\n\
         O0009902,C009902,P011,2026-10-31T11:00:00+08:00,5000.00,CNY,paid,,,1500.00,late.buyer2@163.com\n",
    )
    .unwrap();
    let out = run(&config, &["close", "--month", "2026-10"]);
    assert_eq!(out.status.code(), Some(1), "{}\n{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("2026-10 is closed (revision 1) and the lake now gives different figures"), "{text}");
    assert!(text.contains("revenue (company"), "the change is named: {text}");
    assert!(text.contains("--reopen --reason"), "{text}");
    assert_eq!(std::fs::read(lake.join("indicators/period=2026-10/part-0.parquet")).unwrap(), reported);
    assert_eq!(outbox(dir.path()).len(), 18, "nothing sent");

    let out =
        run(&config, &["close", "--month", "2026-10", "--reopen", "--reason", "late shop export: two October orders"]);
    assert_eq!(out.status.code(), Some(0), "{}\n{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("2026-10 restated: revision 2 replaces revision 1"), "{}", stdout(&out));
    let kept = std::fs::read(lake.join("restatements/period=2026-10/rev=1/indicators.parquet")).unwrap();
    assert_eq!(kept, reported, "revision 1 is kept as reported");
    assert!(lake.join("restatements/period=2026-10/rev=1/reports/zh-CN/leadership.html").exists());
    let mail = outbox(dir.path());
    assert_eq!(mail.len(), 36, "everyone receives revision 2: {mail:?}");
    assert_eq!(mail.iter().filter(|m| m.contains(".r2.")).count(), 18);
    let leadership = std::fs::read_to_string(lake.join("reports/period=2026-10/zh-CN/leadership.html")).unwrap();
    for shown in ["更正", "第 2 版取代此前发送的第 1 版", "late shop export: two October orders", "原报告", "更正后"]
    {
        assert!(leadership.contains(shown), "the leadership report shows {shown}");
    }
    let person = std::fs::read_to_string(lake.join("reports/period=2026-10/en/person-P011.html")).unwrap();
    assert!(person.contains("RESTATED") && person.contains("As reported"), "P011 sees their own change");
    let team = std::fs::read_to_string(lake.join("reports/period=2026-10/zh-CN/team-T03.html")).unwrap();
    assert!(team.contains("更正后"), "P011's manager sees the team's changes");
    let other = std::fs::read_to_string(lake.join("reports/period=2026-10/zh-CN/team-T01.html")).unwrap();
    assert!(!other.contains("徐明"), "another team's report names no one from T03");
    let runs = run(&config, &["runs", "--format", "json"]);
    let runs: serde_json::Value = serde_json::from_slice(&runs.stdout).expect("runs JSON");
    let last = &runs.as_array().unwrap()[3];
    assert_eq!((last["status"].as_str(), last["revision"].as_i64()), (Some("ok"), Some(2)), "{last}");
    let verify = run(&config, &["verify", "--period", "2026-10"]);
    assert_eq!(verify.status.code(), Some(0), "revision 2 verifies: {}", stdout(&verify));

    // Revision 2 is closed and frozen in turn: a re-run and a stage command change nothing.
    let restated = std::fs::read(lake.join("indicators/period=2026-10/part-0.parquet")).unwrap();
    let out = run(&config, &["close", "--month", "2026-10"]);
    assert_eq!(out.status.code(), Some(0), "{}\n{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("2026-10 is closed (revision 2); recomputed, the figures are identical"));
    let out = run(&config, &["kpis", "--period", "2026-10"]);
    assert!(stderr(&out).contains("2026-10 is closed (revision 2): printed"), "{}", stderr(&out));
    assert_eq!(std::fs::read(lake.join("indicators/period=2026-10/part-0.parquet")).unwrap(), restated);
    assert_eq!(outbox(dir.path()).len(), 36);
}
