//! The command line as a user meets it: validate, plan, exit codes, errors that name the key.

use crate::common::*;

#[test]
fn the_demo_config_validates() {
    let out = run(&repo().join("kpi-close.toml"), &["validate"]);
    assert_eq!(out.status.code(), Some(0), "{}\n{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("15 source(s) and 79 SQL file(s) are valid"), "{}", stdout(&out));
}

#[test]
fn a_bad_config_lists_every_problem_and_exits_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = dir.path().join("bad.toml");
    std::fs::write(
        &config,
        "[company]\nname = \"x\"\ntimezone = \"Asia/Shenzhen\"\n[lake]\nurl = \"ftp://host/lake\"\n[sources.leads]\npath = \"x.csv\"\nencoding = \"latin1\"\n[sources.orderz]\npath = \"y.csv\"\n[kpis]\nmargin_rate = 2.0\n[kpis.min_volume_by_kpi]\nbounce_rate = 5\n",
    )
    .expect("write");
    let out = run(&config, &["validate"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    for key in [
        "company.timezone",
        "lake.url",
        "sources.leads.encoding",
        "sources.orderz.dataset",
        "kpis.margin_rate",
        "kpis.min_volume_by_kpi.bounce_rate",
        "bad.toml has 6 problem(s)",
    ] {
        assert!(err.contains(key), "missing {key:?} in\n{err}");
    }
}

#[test]
fn an_unbalanced_scheme_is_a_warning_that_strict_makes_an_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = demo_config(dir.path(), &dir.path().join("lake").display().to_string(), "");
    let scheme = "\n[[schemes.sales_support]]\nkpis = [{ kpi = \"revenue\", weight = 80, term = \"short\" }, { kpi = \"clv\", weight = 20, term = \"long\" }]\n";
    let text = std::fs::read_to_string(&config).unwrap() + scheme;
    std::fs::write(&config, &text).unwrap();
    let out = run(&config, &["validate"]);
    assert_eq!(out.status.code(), Some(0), "{}\n{}", stdout(&out), stderr(&out));
    assert!(
        stdout(&out).contains("warning: `schemes.sales_support[0].kpis`: short : long is 80 : 20"),
        "{}",
        stdout(&out)
    );
    std::fs::write(&config, text.replace("[kpis]\n", "[scoring]\nstrict = true\n\n[kpis]\n")).unwrap();
    let out = run(&config, &["validate"]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
}

#[test]
fn a_missing_config_says_how_to_point_at_one() {
    let out = run(std::path::Path::new("/nonexistent/kpi-close.toml"), &["plan"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--config PATH or set KPI_CLOSE_CONFIG"), "{}", stderr(&out));
}

#[test]
fn plan_lists_every_export_without_touching_the_lake() {
    let dir = tempfile::tempdir().expect("temp dir");
    let lake = dir.path().join("lake");
    let config = demo_config(dir.path(), &lake.display().to_string(), "");
    let out = run(&config, &["plan"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("people.csv")
            && text.contains("Leads_2026_10.csv")
            && text.contains("ad_spend_2025-10_2026-10.parquet"),
        "{text}"
    );
    assert!(text.contains("Would rebuild: web_events, leads, orders"), "{text}");
    assert!(!lake.join("manifests").exists(), "plan wrote to the lake");
}

#[test]
fn close_runs_every_stage_and_says_where_to_look() {
    let dir = tempfile::tempdir().expect("temp dir");
    let lake = dir.path().join("lake");
    // The fixtures through a link in the test's folder: the plan's columns are as wide as the
    // longest path, which must not follow where the checkout lies.
    let fixtures = dir.path().join("fixtures");
    std::os::unix::fs::symlink(repo().join("fixtures"), &fixtures).expect("link the fixtures");
    let config = demo_config_with(dir.path(), &lake.display().to_string(), "", &fixtures);
    let dry = run(&config, &["close", "--month", "2026-10", "--dry-run"]);
    assert_eq!(dry.status.code(), Some(0), "{}\n{}", stdout(&dry), stderr(&dry));
    snapshot_output("close_dry_run_empty_lake_2026-10", dir.path(), &stdout(&dry));
    let out = run(&config, &["close", "--month", "2026-10"]);
    assert_eq!(out.status.code(), Some(0), "{}\n{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    snapshot_output("close_2026-10", dir.path(), &text);
    let dry = run(&config, &["close", "--month", "2026-10", "--dry-run"]);
    assert_eq!(dry.status.code(), Some(0), "{}\n{}", stdout(&dry), stderr(&dry));
    snapshot_output("close_dry_run_closed_2026-10", dir.path(), &stdout(&dry));
    assert!(text.contains("2026-10: data for web_events, leads, orders"), "{text}");
    assert!(text.contains("Indicators 2026-10: 585 rows, all checks passed"), "{text}");
    assert!(text.contains("Scorecards 2026-10: 12 people scored"), "{text}");
    assert!(text.contains("Reports 2026-10 (34 documents"), "{text}");
    assert!(text.contains(&format!("Mail is in the outbox: {}", dir.path().join("out/outbox").display())), "{text}");
    assert_eq!(std::fs::read_dir(dir.path().join("out/outbox")).map(|d| d.count()).unwrap_or(0), 18);
    let summary = text.lines().rev().find(|l| !l.is_empty()).unwrap_or_default();
    assert!(summary.starts_with("OK: close --month 2026-10 · "), "one summary line at the end: {summary}");
    for part in [
        "rows in (",
        "flagged",
        "585 indicator rows for 1 period(s)",
        "34 reports",
        "18 mails sent, 0 already sent, 0 failed",
    ] {
        assert!(summary.contains(part), "{part} in {summary}");
    }
    // An auditor tests an agent and an address against the lists the audit used.
    let sql = "SELECT bot_agent('Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)') AS bot, \
               bot_agent('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36') AS browser, \
               non_browser_agent('curl/8.5.0') AS tool, datacenter_range('3.80.0.1') AS cloud";
    let out = run(&config, &["query", sql]);
    assert_eq!(out.status.code(), Some(0), "{}\n{}", stdout(&out), stderr(&out));
    let table = stdout(&out);
    let row = table.lines().find(|l| l.contains("Googlebot")).unwrap_or_else(|| panic!("{table}"));
    let cells: Vec<&str> = row.trim().trim_matches('|').split('|').map(str::trim).collect();
    assert_eq!(cells, ["Googlebot\\/", "", "^curl/", "3.64.0.0/11 (aws)"], "{table}");
    let out = run(&config, &["close", "--month", "2026-10", "--reopen"]);
    assert_eq!(out.status.code(), Some(2), "--reopen needs --reason");
    assert!(lake.join("manifests/ingest.json").exists());
    assert!(lake.join("indicators/period=2026-10/part-0.parquet").exists());

    let out = run(&config, &["close", "--month", "2026-Q4"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("is not a month"), "{}", stderr(&out));
    let out = run(&config, &["close", "--month", "2026-10", "--from", "2026-09"]);
    assert_eq!(out.status.code(), Some(2), "--month and --from do not go together");
}

/// A command's output as a reviewed snapshot, with what differs from run to run masked: the
/// test's folder, the checkout's, seconds and throughput.
fn snapshot_output(name: &str, dir: &std::path::Path, text: &str) {
    let dir = regex::escape(&dir.display().to_string());
    let repo = regex::escape(&repo().display().to_string());
    insta::with_settings!({ filters => vec![
        (dir.as_str(), "[DIR]"),
        (repo.as_str(), "[REPO]"),
        (r"\d+\.\d s\b", "[SECONDS] s"),
        (r"\d+\.\d MB/s", "[RATE] MB/s"),
    ] }, {
        insta::assert_snapshot!(name, text);
    });
}

/// A plan exported with headers only: `validate` and the close say so once (not a line per person
/// and KPI), and with `scoring.strict` the close's targets gate holds the mail back.
#[test]
fn an_empty_plan_is_a_warning_that_strict_makes_a_failed_gate() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fixtures = dir.path().join("fixtures");
    copy_dir(&repo().join("fixtures"), &fixtures);
    std::fs::write(fixtures.join("exports/plan/targets.csv"), "period,entity_type,entity_id,kpi,target\n").unwrap();
    let lake = dir.path().join("lake");
    let config = demo_config_with(dir.path(), &lake.display().to_string(), "", &fixtures);
    let out = run(&config, &["ingest"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let out = run(&config, &["validate"]);
    assert_eq!(out.status.code(), Some(0), "a warning: {}", stdout(&out));
    let said = stdout(&out);
    let warnings: Vec<&str> = said.lines().filter(|l| l.starts_with("warning: targets:")).collect();
    assert_eq!(warnings.len(), 1, "{said}");
    assert!(warnings[0].contains("the plan holds no targets"), "{warnings:?}");

    let text = std::fs::read_to_string(&config).unwrap() + "\n[scoring]\nstrict = true\n";
    std::fs::write(&config, text).unwrap();
    let out = run(&config, &["validate"]);
    assert_eq!(out.status.code(), Some(2), "strict: a problem: {}", stdout(&out));
    assert!(stdout(&out).contains("- targets: the plan holds no targets"), "{}", stdout(&out));
    let out = run(&config, &["close", "--month", "2026-10"]);
    assert_eq!(out.status.code(), Some(1), "{}\n{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("warning: targets: the plan holds no targets"), "{text}");
    assert!(
        text.contains("a gate failed") && text.contains("- targets: 1 finding(s) about the plan's targets"),
        "{text}"
    );
    let outbox = dir.path().join("out/outbox");
    assert_eq!(std::fs::read_dir(&outbox).map(|d| d.count()).unwrap_or(0), 0, "nothing sent");
}
