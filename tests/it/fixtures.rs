//! The committed demo fixtures are exactly what the generator makes, and plant every kind of
//! fraud and ugliness the audit and ingest must handle.

use std::collections::BTreeSet;

use crate::common::*;

#[test]
fn fixtures_are_reproducible_from_the_generator() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = std::process::Command::new(bin()).args(["demo-data", "--out"]).arg(dir.path()).output().expect("run");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let generated = tree(dir.path());
    let committed = tree(&repo().join("fixtures"));
    let names = |t: &std::collections::BTreeMap<String, Vec<u8>>| {
        t.keys().filter(|k| !k.ends_with("README.md")).cloned().collect::<Vec<_>>()
    };
    assert_eq!(
        names(&generated),
        names(&committed),
        "the fixture file list differs; run `cargo run -- demo-data --out fixtures`"
    );
    for (path, bytes) in &generated {
        assert!(
            committed[path] == *bytes,
            "{path} differs from the generator's output; run `cargo run -- demo-data --out fixtures`"
        );
    }
    let total: usize = committed.values().map(Vec::len).sum();
    assert!(total < 8 << 20, "fixtures grew to {total} bytes");
}

#[test]
fn every_audit_rule_and_ingest_case_is_planted() {
    let rules: BTreeSet<String> = planted().into_iter().map(|p| p[2].clone()).collect();
    for rule in [
        "UA_BOT",
        "UA_NONBROWSER",
        "IP_DATACENTER",
        "IP_INTERNAL",
        "RATE_IP",
        "RATE_VISITOR",
        "DUP_EVENT",
        "FORM_FAST",
        "FORM_BURST",
        "LEAD_DUP",
        "LEAD_DISPOSABLE",
        "LEAD_TEST",
        "LEAD_FROM_FLAGGED",
        "ORDER_VOID",
        "ORDER_BRUSH",
        "SOCIAL_SPIKE",
        "SPEND_INVALID",
        "NPS_DUP",
        "INGEST_REJECT",
        "INGEST_REEXPORT",
    ] {
        assert!(rules.contains(rule), "nothing planted for {rule}");
    }
}

#[test]
fn ugly_exports_are_really_ugly() {
    let people = std::fs::read(repo().join("fixtures/exports/org/people.csv")).expect("people");
    assert!(std::str::from_utf8(&people).is_err(), "people.csv should be GBK, not UTF-8");
    let (text, _, errors) = encoding_rs::GBK.decode(&people);
    assert!(!errors && text.contains("王芳"));
    let teams = std::fs::read(repo().join("fixtures/exports/org/teams.csv")).expect("teams");
    assert!(teams.starts_with(b"\xEF\xBB\xBF"), "teams.csv should start with a UTF-8 BOM");
    let zoho = std::fs::read_to_string(repo().join("fixtures/exports/zoho/Leads_2026_10.csv")).expect("zoho");
    assert!(zoho.starts_with("Record Id,Lead Owner Id"));
}

/// The benchmark year: same seed and scale, same bytes; and the volumes and organisation of the
/// README's benchmark company, scaled (here 1/500 of the year: 100 000 web events).
#[test]
fn bench_data_is_reproducible_and_has_the_years_shape() {
    let generate = || {
        let dir = tempfile::tempdir().expect("temp dir");
        let out = std::process::Command::new(bin())
            .args(["bench-data", "--scale", "0.002", "--out"])
            .arg(dir.path())
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        (tree(dir.path()), String::from_utf8_lossy(&out.stdout).into_owned())
    };
    let (first, summary) = generate();
    let (second, _) = generate();
    assert!(first == second, "bench-data is not reproducible");

    let rows = |prefix: &str| -> usize {
        first
            .iter()
            .filter(|(path, _)| path.starts_with(prefix))
            .map(|(_, bytes)| bytes.iter().filter(|b| **b == b'\n').count() - 1)
            .sum()
    };
    let months = first.keys().filter(|p| p.starts_with("exports/web/web_events_2025-")).count();
    assert_eq!(months, 12, "{summary}");
    let near = |what: &str, got: usize, want: f64, tolerance: f64| {
        assert!((got as f64 - want).abs() <= want * tolerance, "{what}: {got}, expected about {want}\n{summary}");
    };
    near("web events", rows("exports/web/"), 100_000.0, 0.05);
    near("leads", rows("exports/crm/"), 2_000.0, 0.15);
    // Orders: 400, plus the weekly brushing, which does not shrink with the scale (about 230 a year).
    near("orders", rows("exports/shop/"), 630.0, 0.25);
    assert_eq!(rows("exports/org/campaigns.csv"), 50);
    assert_eq!(rows("exports/org/social_accounts.csv"), 20);
    assert_eq!(rows("exports/org/teams.csv"), 30);
    let (people, _, errors) = encoding_rs::GBK.decode(&first["exports/org/people.csv"]);
    assert!(!errors);
    assert_eq!(people.lines().count() - 1, 500);
    // Daily spend for every campaign and stats for every account, every day of the year.
    assert_eq!(rows("exports/social/"), 20 * 365);
    assert!(summary.contains("18250 ad spend rows"), "{summary}");
    // Bots are a few per cent of the traffic, as in real logs.
    let events = first.iter().filter(|(p, _)| p.starts_with("exports/web/")).map(|(_, b)| String::from_utf8_lossy(b));
    let (mut bots, mut total) = (0, 0);
    for file in events {
        for line in file.lines().skip(1) {
            total += 1;
            if line.contains("spider")
                || line.contains("bot")
                || line.contains("curl/")
                || line.contains("python-requests")
            {
                bots += 1;
            }
        }
    }
    let share = bots as f64 / total as f64;
    assert!((0.01..0.05).contains(&share), "crawler and script share {share}");
}
