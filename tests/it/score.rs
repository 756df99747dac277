//! Scorecards and flags on the demo company, committed as snapshots: the periods the flags need are
//! scored in order (years, quarters, then months), so PIPs, raises and promotions read real history.

use std::collections::BTreeSet;

use crate::common::*;

#[test]
fn demo_scorecards_and_every_kind_of_flag() {
    let dir = tempfile::tempdir().expect("temp dir");
    let lake = dir.path().join("lake");
    let config = demo_config(dir.path(), &lake.display().to_string(), "");
    for args in [&["ingest"][..], &["audit", "--period", "2026-10"]] {
        let out = run(&config, args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    }
    let periods = [
        "2024", "2025", "2026-Q1", "2026-Q2", "2026-Q3", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09",
        "2026-10",
    ];
    let mut flags = Vec::new();
    for period in periods {
        let out = run(&config, &["score", "--period", period, "--format", "csv"]);
        assert_eq!(out.status.code(), Some(0), "{period}: {}", stderr(&out));
        if period == "2026-Q3" {
            insta::assert_snapshot!("demo_scorecards_2026-Q3", stdout(&out));
        }
        let table = &[("flags", format!("flags/period={period}/part-0.parquet"))];
        let tables: Vec<(&str, &str)> = table.iter().map(|(n, p)| (*n, p.as_str())).collect();
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        let batches = runtime.block_on(query(
            &lake,
            &tables,
            "SELECT period, person_id, flag, explanation FROM flags ORDER BY 2, 3, 4",
        ));
        flags.extend(rows(&batches).into_iter().map(|r| r.join(" | ")));
    }
    let kinds: BTreeSet<&str> = flags.iter().filter_map(|f| f.split(" | ").nth(2)).collect();
    for kind in ["pip", "pip_passed", "pip_review", "raise_candidate", "promotion_eligible", "training"] {
        assert!(kinds.contains(kind), "no {kind} flag on the demo:\n{}", flags.join("\n"));
    }
    insta::assert_snapshot!("demo_flags", flags.join("\n"));
}
