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
