//! Ingest of the demo exports: every dataset arrives, bad rows are kept as rejects with reasons,
//! nothing good is lost, re-exports are de-duplicated, and a second run changes nothing.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use datafusion::arrow::array::AsArray;
use datafusion::arrow::datatypes::Int64Type;

use crate::common::*;

struct DemoLake {
    _dir: tempfile::TempDir,
    config: PathBuf,
    lake: PathBuf,
    first_stdout: String,
}

/// The demo fixtures ingested once into a lake shared by the tests in this module.
fn demo_lake() -> &'static DemoLake {
    static LAKE: OnceLock<DemoLake> = OnceLock::new();
    LAKE.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let lake = dir.path().join("lake");
        let config = demo_config(dir.path(), &lake.display().to_string(), "");
        let out = run(&config, &["ingest"]);
        assert_eq!(out.status.code(), Some(0), "ingest failed:\n{}\n{}", stdout(&out), stderr(&out));
        DemoLake { config, lake, first_stdout: stdout(&out), _dir: dir }
    })
}

/// A DataFusion session over the shared demo lake as `as_of` shows it, every dataset registered as
/// a table.
async fn demo_session(
    demo: &DemoLake,
    as_of: kpi_close::engine::AsOf,
) -> (kpi_close::config::Config, datafusion::prelude::SessionContext) {
    let config = kpi_close::config::Config::load(&demo.config).expect("config");
    let lake = kpi_close::lake::Lake::open(&config.lake).expect("lake");
    let ctx = kpi_close::engine::context(&config.engine, &lake).expect("session");
    kpi_close::engine::register_datasets(&ctx, &lake, as_of).await.expect("register");
    (config, ctx)
}

fn manifest(lake: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(lake.join("manifests/ingest.json")).expect("manifest"))
        .expect("manifest json")
}

fn count(batches: &[datafusion::arrow::array::RecordBatch]) -> i64 {
    batches[0].column(0).as_primitive::<Int64Type>().value(0)
}

#[test]
fn every_dataset_reaches_the_lake() {
    let demo = demo_lake();
    let manifest = manifest(&demo.lake);
    for dataset in kpi_close::datasets::names() {
        let entry = &manifest["datasets"][dataset];
        assert!(entry["rows"].as_u64().unwrap_or(0) > 0, "{dataset} has no rows: {entry}");
        assert!(demo.first_stdout.contains(dataset), "{dataset} missing from the summary");
    }
    // 25 months of web events, plus the one event already in November in company time.
    let months = manifest["datasets"]["web_events"]["months"].as_array().expect("months").len();
    assert_eq!(months, 26);
    assert!(demo.lake.join("data/web_events/month=2024-10/part-0.parquet").exists());
    assert!(demo.lake.join("data/people/part-0.parquet").exists());
}

#[test]
fn a_second_ingest_changes_nothing_and_says_so() {
    let demo = demo_lake();
    let before = tree(&demo.lake);
    let out = run(&demo.config, &["ingest"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("Nothing changed"), "{}", stdout(&out));
    assert_eq!(tree(&demo.lake), before, "the lake changed on a second ingest");
    let plan = run(&demo.config, &["plan"]);
    assert!(stdout(&plan).contains("Nothing to do"), "{}", stdout(&plan));
    assert!(!stdout(&plan).contains(" new"), "{}", stdout(&plan));
}

#[tokio::test]
async fn malformed_rows_become_rejects_naming_file_line_column_and_reason() {
    let demo = demo_lake();
    let rejects = query(
        &demo.lake,
        &[("r", "rejects/orders.parquet")],
        "SELECT file, line, \"column\", raw_value, reason FROM r ORDER BY line",
    )
    .await;
    let text = pretty(&rejects);
    let expected: BTreeSet<String> = planted()
        .into_iter()
        .filter(|p| p[2] == "INGEST_REJECT")
        .map(|p| p[1].rsplit_once(':').expect("file:line").1.to_string())
        .collect();
    let lines: BTreeSet<String> = rows(&rejects).into_iter().map(|r| r[1].clone()).collect();
    assert_eq!(lines, expected, "{text}");
    for needle in [
        "exports/shop/orders_2026-09.csv",
        "2026-09-31 10:00:00",
        "is not a timestamp",
        "`N/A` is not an amount",
        "required value is empty",
        "row has 12 fields",
        "`shipped` is not one of",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    let manifest = manifest(&demo.lake);
    assert_eq!(manifest["datasets"]["orders"]["rows_rejected"], 5);
}

/// Order ids in every orders export, read independently of kpi-close.
fn order_ids_in_exports() -> (BTreeSet<String>, BTreeMap<String, String>) {
    let mut ids = BTreeSet::new();
    let mut newest_status = BTreeMap::new();
    let mut files: Vec<PathBuf> =
        std::fs::read_dir(repo().join("fixtures/exports/shop")).expect("shop").flatten().map(|e| e.path()).collect();
    files.sort_by_key(|p| p.file_name().map(|n| n.to_os_string()));
    for file in files {
        let mut reader = csv::ReaderBuilder::new().flexible(true).from_path(&file).expect("csv");
        for record in reader.records() {
            let record = record.expect("record");
            if record[0].starts_with("O9") {
                continue; // the planted malformed rows
            }
            ids.insert(record[0].to_string());
            newest_status.insert(record[0].to_string(), record[6].to_string());
        }
    }
    (ids, newest_status)
}

#[tokio::test]
async fn no_good_row_is_lost_and_the_newest_export_wins() {
    let demo = demo_lake();
    let (ids, newest_status) = order_ids_in_exports();
    let batches = query(&demo.lake, &[("o", "data/orders/")], "SELECT order_id, status, source_file FROM o").await;
    let mut lake_ids = BTreeSet::new();
    let mut lake_status = BTreeMap::new();
    for row in rows(&batches) {
        let [id, status, file] = [&row[0], &row[1], &row[2]];
        lake_ids.insert(id.clone());
        if lake_status.insert(id.clone(), (status.clone(), file.clone())).is_some() {
            // A duplicate inside one export is kept for the audit; across exports it must not be.
            assert!(!file.contains("reexport"), "order {id} twice after the re-export");
        }
    }
    assert_eq!(lake_ids, ids, "order ids in the lake differ from the exports");
    let superseded: Vec<String> =
        planted().into_iter().filter(|p| p[2] == "INGEST_REEXPORT").map(|p| p[1].clone()).collect();
    assert!(superseded.len() > 10, "the fixtures re-export the end of October");
    for id in &superseded {
        let (status, file) = &lake_status[id];
        assert!(file.ends_with("orders_2026-10_reexport.csv"), "{id} came from {file}");
        assert_eq!(status, &newest_status[id], "{id}");
    }
    let refunded_in_reexport = planted().iter().filter(|p| p[3] == "refunded within 7 days (in the re-export)").count();
    assert_eq!(refunded_in_reexport, 3);
    let manifest = manifest(&demo.lake);
    let files = manifest["datasets"]["orders"]["files"].as_array().expect("files");
    let october = files
        .iter()
        .find(|f| f["path"].as_str().is_some_and(|p| p.ends_with("orders_2026-10.csv")))
        .expect("october file");
    assert_eq!(october["rows_superseded"].as_u64(), Some(superseded.len() as u64));
    for f in files {
        let read = f["rows_read"].as_u64().unwrap_or(0);
        let accounted = f["rows_rejected"].as_u64().unwrap_or(0)
            + f["rows_superseded"].as_u64().unwrap_or(0)
            + f["rows_written"].as_u64().unwrap_or(0);
        assert_eq!(read, accounted, "rows unaccounted for in {f}");
    }
}

#[tokio::test]
async fn gbk_people_and_zoho_leads_ingest_correctly() {
    let demo = demo_lake();
    let people = rows(
        &query(
            &demo.lake,
            &[("p", "data/people/")],
            "SELECT person_id, name, team_id, base_bonus, hired_at FROM p ORDER BY person_id",
        )
        .await,
    );
    assert_eq!(people.len(), 12);
    assert_eq!(people[0], ["P001", "王芳", "T01", "30000.0000", "2019-03-01"]);
    assert_eq!(people[11], ["P012", "孙丽", "T03", "16000.0000", "2026-03-02"]);

    // Zoho rows: naive local times read in Asia/Shanghai, headers mapped through the config.
    let zoho = std::fs::read_to_string(repo().join("fixtures/exports/zoho/Leads_2026_07.csv")).expect("zoho export");
    let mut reader = csv::Reader::from_reader(zoho.as_bytes());
    let first = reader.records().next().expect("a row").expect("row");
    let (id, owner, created) = (first[0].to_string(), first[1].to_string(), first[9].to_string());
    let sql = format!("SELECT owner_id, CAST(created_at AS VARCHAR) AS created FROM l WHERE lead_id = '{id}'");
    let rows = pretty(&query(&demo.lake, &[("l", "data/leads/")], &sql).await);
    let local = chrono::NaiveDateTime::parse_from_str(&created, "%Y-%m-%d %H:%M:%S").expect("naive time");
    let utc = (local - chrono::Duration::hours(8)).format("%Y-%m-%dT%H:%M:%SZ").to_string();
    assert!(rows.contains(&owner) && rows.contains(&utc), "expected {owner} at {utc} in\n{rows}");

    let zoho_rows: usize = std::fs::read_dir(repo().join("fixtures/exports/zoho"))
        .expect("zoho dir")
        .flatten()
        .map(|e| csv::Reader::from_path(e.path()).expect("csv").records().count())
        .sum();
    let counted = count(
        &query(&demo.lake, &[("l", "data/leads/")], "SELECT count(*) FROM l WHERE source_file LIKE '%zoho%'").await,
    );
    assert_eq!(counted as usize, zoho_rows);
}

#[tokio::test]
async fn month_partitions_follow_the_company_timezone() {
    let demo = demo_lake();
    // 2026-10-31T23:59:59+08:00 is October; 2026-10-31T16:30:00Z is November in Asia/Shanghai.
    let oct = query(
        &demo.lake,
        &[("e", "data/web_events/month=2026-10/part-0.parquet")],
        "SELECT count(*) FROM e WHERE session_id = 'S-BOUNDARY-1'",
    )
    .await;
    assert_eq!(count(&oct), 1);
    let nov = query(
        &demo.lake,
        &[("e", "data/web_events/month=2026-11/part-0.parquet")],
        "SELECT count(*) FROM e WHERE session_id = 'S-BOUNDARY-2'",
    )
    .await;
    assert_eq!(count(&nov), 1);
    // App events are naive UTC times: the lake keeps the instant.
    let app = std::fs::read_to_string(repo().join("fixtures/exports/app/app_events.jsonl")).expect("app events");
    let first: serde_json::Value = serde_json::from_str(app.lines().next().expect("line")).expect("json");
    let sql = format!(
        "SELECT CAST(event_time AS VARCHAR) FROM e WHERE event_id = '{}'",
        first["event_id"].as_str().expect("id")
    );
    let got = pretty(&query(&demo.lake, &[("e", "data/web_events/")], &sql).await);
    let expected = first["event_time"].as_str().expect("time").replace(' ', "T") + "Z";
    assert!(got.contains(&expected), "{expected} not in\n{got}");
}

#[test]
fn an_export_missing_a_required_column_is_held_back_with_the_fix() {
    let dir = tempfile::tempdir().expect("temp dir");
    let exports = dir.path().join("exports");
    std::fs::create_dir_all(&exports).expect("mkdir");
    std::fs::write(exports.join("leads.csv"), "lead_id,created_at,email\nL1,2026-10-01 10:00:00,a@qq.com\n")
        .expect("write");
    std::fs::write(exports.join("teams.csv"), "team_id,name\nT01,品牌曝光组\n").expect("write");
    let config = dir.path().join("kpi-close.toml");
    std::fs::write(
        &config,
        "[company]\nname = \"t\"\n[lake]\nurl = \"lake\"\n[sources.leads]\npath = \"exports/leads.csv\"\n[sources.teams]\npath = \"exports/teams.csv\"\n",
    )
    .expect("write");
    let out = run(&config, &["ingest"]);
    assert_eq!(out.status.code(), Some(1), "{}\n{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    for needle in
        ["exports/leads.csv", "column `owner_id`", "sources.leads.columns.owner_id", "lead_id, created_at, email"]
    {
        assert!(text.contains(needle), "missing {needle:?} in\n{text}");
    }
    // The other dataset still arrived; the held-back one left no partial state.
    assert!(dir.path().join("lake/data/teams/part-0.parquet").exists());
    assert!(!dir.path().join("lake/data/leads").exists());

    // validate says the same before anything is run.
    let out = run(&config, &["validate"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stdout(&out).contains("sources.leads.columns.owner_id"), "{}", stdout(&out));
}

#[tokio::test]
async fn xlsx_and_changed_exports() {
    let dir = tempfile::tempdir().expect("temp dir");
    let book = dir.path().join("targets.xlsx");
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet().set_name("2026").expect("sheet name");
    for (c, h) in ["period", "entity_type", "entity_id", "kpi", "target"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).expect("write");
    }
    let input = [
        ("2026-10", "team", "T01", "mql_count", 120.0),
        ("2026-Q4", "company", "DEMO", "revenue", 1_250_000.5),
        ("2026-13", "team", "T02", "mql_count", 3.0),
    ];
    for (r, (period, kind, id, kpi, target)) in input.iter().enumerate() {
        let r = r as u32 + 1;
        sheet.write_string(r, 0, *period).expect("write");
        sheet.write_string(r, 1, *kind).expect("write");
        sheet.write_string(r, 2, *id).expect("write");
        sheet.write_string(r, 3, *kpi).expect("write");
        sheet.write_number(r, 4, *target).expect("write");
    }
    workbook.save(&book).expect("save xlsx");
    let config = dir.path().join("kpi-close.toml");
    std::fs::write(&config, "[company]\nname = \"t\"\n[lake]\nurl = \"lake\"\n[sources.targets]\npath = \"targets.xlsx\"\nsheet = \"2026\"\n").expect("write");
    let out = run(&config, &["ingest"]);
    assert_eq!(out.status.code(), Some(0), "{}\n{}", stdout(&out), stderr(&out));
    let lake = dir.path().join("lake");
    let targets = rows(
        &query(
            &lake,
            &[("t", "data/targets/")],
            "SELECT period, entity_id, target, source_line FROM t ORDER BY source_line",
        )
        .await,
    );
    assert_eq!(targets, [["2026-10", "T01", "120.0000", "2"], ["2026-Q4", "DEMO", "1250000.5000", "3"]]);
    let rejects =
        rows(&query(&lake, &[("r", "rejects/targets.parquet")], "SELECT line, \"column\", raw_value FROM r").await);
    assert_eq!(rejects, [["4", "period", "2026-13"]]);

    // Change the workbook: only it is parsed again, and the lake follows it.
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet().set_name("2026").expect("sheet name");
    for (c, h) in ["period", "entity_type", "entity_id", "kpi", "target"].iter().enumerate() {
        sheet.write_string(0, c as u16, *h).expect("write");
    }
    for (c, v) in ["2026-11", "team", "T01", "mql_count"].iter().enumerate() {
        sheet.write_string(1, c as u16, *v).expect("write");
    }
    sheet.write_number(1, 4, 130.0).expect("write");
    workbook.save(&book).expect("save xlsx");
    let plan = run(&config, &["plan"]);
    assert!(stdout(&plan).contains("changed"), "{}", stdout(&plan));
    let out = run(&config, &["ingest"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let targets = rows(&query(&lake, &[("t", "data/targets/")], "SELECT period, target FROM t").await);
    assert_eq!(targets, [["2026-11", "130.0000"]]);
    let rejects = rows(&query(&lake, &[("r", "rejects/targets.parquet")], "SELECT count(*) FROM r").await);
    assert_eq!(rejects, [["0"]]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_memory_lake_works_in_process() {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = kpi_close::config::Config::load(&demo_config(dir.path(), "memory://", "")).expect("config");
    let lake = kpi_close::lake::Lake::open(&config.lake).expect("lake");
    let plan = kpi_close::ingest::plan(&config, &lake).await.expect("plan");
    assert!(!plan.is_noop());
    let report = kpi_close::ingest::run(&config, &lake, &plan).await.expect("ingest");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert!(lake.exists("data/people/part-0.parquet").await.expect("exists"));
    assert!(kpi_close::ingest::plan(&config, &lake).await.expect("plan").is_noop());
    assert!(!dir.path().join("lake").exists() && !dir.path().join("memory:").exists());
}

#[tokio::test]
async fn lake_datasets_are_tables_that_prune_by_month() {
    let demo = demo_lake();
    let (_, ctx) = demo_session(demo, kpi_close::engine::AsOf::NOW).await;

    let sql = "SELECT count(*) FROM orders WHERE month = '2026-09'";
    let counted = rows(&ctx.sql(sql).await.expect("plan").collect().await.expect("run"));
    let manifest = manifest(&demo.lake);
    let september_file = manifest["datasets"]["orders"]["files"]
        .as_array()
        .expect("files")
        .iter()
        .find(|f| f["path"].as_str().is_some_and(|p| p.ends_with("orders_2026-09.csv")))
        .expect("september export")["rows_written"]
        .as_u64()
        .expect("rows");
    assert_eq!(counted, [[september_file.to_string()]]);

    let scan = "EXPLAIN SELECT order_id FROM orders WHERE month = '2026-09'";
    let plan = rows(&ctx.sql(scan).await.expect("plan").collect().await.expect("explain"));
    let physical = plan.iter().map(|r| r[1].clone()).collect::<Vec<_>>().join("\n");
    assert!(physical.contains("month=2026-09/part-0.parquet"), "{physical}");
    assert!(!physical.contains("month=2026-08"), "the scan was not pruned to one month:\n{physical}");

    // Reference datasets have no month; every contract dataset is registered, even empty ones.
    let people = rows(&ctx.sql("SELECT count(*) FROM people").await.expect("plan").collect().await.expect("run"));
    assert_eq!(people, [["12"]]);

    // As of September's end, no query sees a later month, whatever it asks for.
    let (_, september) = demo_session(demo, kpi_close::engine::AsOf::end_of("2026-09".parse().unwrap())).await;
    let sql = "SELECT max(month), max(order_at) < TIMESTAMP '2026-09-30T16:00:00Z' FROM orders";
    let seen = rows(&september.sql(sql).await.expect("plan").collect().await.expect("run"));
    assert_eq!(seen, [["2026-09", "true"]]);
}

#[tokio::test]
async fn period_parameters_bound_periods_in_company_time() {
    let demo = demo_lake();
    let (config, ctx) = demo_session(demo, kpi_close::engine::AsOf::NOW).await;
    let boundary = "SELECT session_id FROM web_events \
        WHERE event_time >= $start_at AND event_time < $end_at AND month >= $month_from AND month < $month_to \
        AND session_id LIKE 'S-BOUNDARY-%' ORDER BY 1";
    let run = async |sql: &str, period: &str| {
        let params = kpi_close::engine::period_params(period.parse().expect("period"), config.company.timezone);
        let df = ctx.sql(sql).await.expect("plan").with_param_values(params.values()).expect("bind");
        rows(&df.collect().await.expect("run"))
    };
    for (period, expected) in [
        ("2026-10", vec!["S-BOUNDARY-1"]),
        ("2026-Q4", vec!["S-BOUNDARY-1", "S-BOUNDARY-2"]),
        ("2026-11", vec!["S-BOUNDARY-2"]),
    ] {
        let got: Vec<String> = run(boundary, period).await.into_iter().map(|r| r[0].clone()).collect();
        assert_eq!(got, expected, "{period}");
    }
    let row =
        run("SELECT $month_from, $month_to, $prev_month_from, $yoy_month_from, $start_at, $end_date", "2026-11").await;
    assert_eq!(row, [["2026-11", "2026-12", "2026-10", "2025-11", "2026-10-31T16:00:00Z", "2026-12-01"]]);
}

/// The lake's objects under a folder, with their modification times.
fn modified(root: &Path) -> std::collections::BTreeMap<String, std::time::SystemTime> {
    tree(root)
        .into_keys()
        .map(|p| {
            let time = std::fs::metadata(root.join(&p)).and_then(|m| m.modified()).expect("mtime");
            (p, time)
        })
        .collect()
}

/// Exports that only grew — a new month's file, then a re-export overlapping an older one — rewrite
/// only the months those files hold: every other object stays as it was, the unchanged exports are
/// not read again, and the lake is the one a full ingest makes.
#[test]
fn a_new_months_export_rewrites_only_its_months() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fixtures = dir.path().join("fixtures");
    copy_dir(&repo().join("fixtures"), &fixtures);
    let october = fixtures.join("exports/web/web_events_2026-10.csv.gz");
    let held = dir.path().join("web_events_2026-10.csv.gz");
    std::fs::rename(&october, &held).expect("hold October back");
    let reexport = fixtures.join("exports/shop/orders_2026-10_reexport.csv");
    let held_reexport = dir.path().join("orders_2026-10_reexport.csv");
    std::fs::rename(&reexport, &held_reexport).expect("hold the orders' re-export back");
    let lake = dir.path().join("lake");
    let config = demo_config_with(dir.path(), &lake.display().to_string(), "", &fixtures);
    let out = run(&config, &["ingest"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let before = modified(&lake.join("data"));
    std::thread::sleep(std::time::Duration::from_millis(20));

    std::fs::rename(&held, &october).expect("October arrives");
    let out = run(&config, &["plan"]);
    let plan = stdout(&out);
    assert!(plan.contains("web_events_2026-10.csv.gz") && plan.contains("new"), "{plan}");
    assert!(plan.contains("web_events_2026-09.csv.gz") && plan.contains("not read"), "{plan}");
    let out = run(&config, &["ingest"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let after = modified(&lake.join("data"));
    let rewritten: Vec<&String> = after.iter().filter(|(p, t)| before.get(*p) != Some(t)).map(|(p, _)| p).collect();
    assert_eq!(
        rewritten,
        ["web_events/month=2026-10/part-0.parquet", "web_events/month=2026-11/part-0.parquet"],
        "only the months the new export holds"
    );
    // A new export holding keys older exports hold too: the months of those keys are written again
    // (the newest export's rows win), nothing else.
    let before = after;
    std::thread::sleep(std::time::Duration::from_millis(20));
    std::fs::rename(&held_reexport, &reexport).expect("the re-export arrives");
    let out = run(&config, &["ingest"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let after = modified(&lake.join("data"));
    let rewritten: Vec<&String> = after.iter().filter(|(p, t)| before.get(*p) != Some(t)).map(|(p, _)| p).collect();
    assert_eq!(rewritten, ["orders/month=2026-10/part-0.parquet"], "only the month the re-export's keys are in");
    // The same lake as ingesting everything at once.
    let fresh = dir.path().join("fresh");
    let config = demo_config_with(dir.path(), &fresh.display().to_string(), "", &fixtures);
    assert_eq!(run(&config, &["ingest"]).status.code(), Some(0));
    assert!(tree(&fresh.join("data")) == tree(&lake.join("data")), "incremental and full ingest differ");
}

/// An empty export is said to be empty (not a column to map); a huge bad cell is kept whole in
/// `raw_value` once, and its reason is cut.
#[tokio::test]
async fn an_empty_export_is_named_empty_and_a_huge_bad_cell_is_not_copied_into_its_reason() {
    let dir = tempfile::tempdir().expect("temp dir");
    let exports = dir.path().join("exports");
    std::fs::create_dir_all(&exports).expect("mkdir");
    std::fs::write(exports.join("leads.csv"), "").expect("write");
    let huge = "9".repeat(2 << 20);
    std::fs::write(
        exports.join("orders.csv"),
        format!(
            "order_id,customer_id,owner_id,order_at,amount\nO1,C1,P1,2026-10-01T10:00:00+08:00,{huge}\nO2,C1,P1,2026-10-01T11:00:00+08:00,1.00\n"
        ),
    )
    .expect("write");
    let config = dir.path().join("kpi-close.toml");
    std::fs::write(
        &config,
        "[company]\nname = \"t\"\n[lake]\nurl = \"lake\"\n[sources.leads]\npath = \"exports/leads.csv\"\n[sources.orders]\npath = \"exports/orders.csv\"\n",
    )
    .expect("write");
    let out = run(&config, &["ingest"]);
    assert_eq!(out.status.code(), Some(1), "{}\n{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("exports/leads.csv is empty (0 bytes): no header and no rows"), "{text}");
    assert!(!text.contains("sources.leads.columns"), "no column to map in an empty file: {text}");
    let rejects = query(
        &dir.path().join("lake"),
        &[("rejects", "rejects/orders.parquet")],
        "SELECT line, \"column\", length(raw_value), length(reason) FROM rejects",
    )
    .await;
    let rows = rows(&rejects);
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(rows[0][..3], ["2".to_string(), "amount".to_string(), (2 << 20).to_string()]);
    assert!(rows[0][3].parse::<usize>().unwrap() < 600, "the reason is cut: {rows:?}");
}
