//! Proof bundles: `verify` passes on an untouched close and fails, naming the difference, once one
//! byte of a lake file or of a SQL file changes.

use std::path::Path;

use crate::common::*;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir").flatten() {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

fn flip_one_byte(file: &Path, at: usize) {
    let mut bytes = std::fs::read(file).expect("read");
    bytes[at] ^= 0x01;
    std::fs::write(file, bytes).expect("write");
}

#[test]
fn verify_passes_on_a_close_and_names_what_changed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let lake = dir.path().join("lake");
    // The SQL runs from a copy, as an auditor re-running a close would run it.
    let sql = dir.path().join("sql");
    copy_dir(&repo().join("sql"), &sql);
    let config = demo_config(dir.path(), &lake.display().to_string(), "");
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace("[engine]\n", &format!("[engine]\nsql_dir = \"{}\"\n", sql.display()));
    std::fs::write(&config, text).unwrap();

    let out = run(&config, &["close", "--month", "2026-10"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let bundle = lake.join("proofs/period=2026-10/bundle.json");
    let first = std::fs::read(&bundle).expect("bundle written");
    let out = run(&config, &["verify", "--period", "2026-10"]);
    assert_eq!(out.status.code(), Some(0), "{}\n{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("Verified 2026-10: 585 indicator rows"), "{}", stdout(&out));

    // A second close writes the same bundle, byte for byte.
    let out = run(&config, &["close", "--month", "2026-10"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(std::fs::read(&bundle).unwrap() == first, "the bundle changed on a re-run");

    // One byte of one lake file.
    let orders = lake.join("data/orders/month=2026-10/part-0.parquet");
    let original = std::fs::read(&orders).unwrap();
    flip_one_byte(&orders, original.len() / 2);
    let out = run(&config, &["verify", "--period", "2026-10"]);
    assert_eq!(out.status.code(), Some(1), "{}\n{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("lake object data/orders/month=2026-10/part-0.parquet: was"), "{}", stdout(&out));
    std::fs::write(&orders, &original).unwrap();
    assert_eq!(run(&config, &["verify", "--period", "2026-10"]).status.code(), Some(0));

    // One byte of one SQL file: a letter of a comment in the CPL query.
    let cpl = sql.join("kpi/cpl.sql");
    let at = std::fs::read_to_string(&cpl).unwrap().find("Cost per lead").expect("card line") + 1;
    flip_one_byte(&cpl, at);
    let out = run(&config, &["verify", "--period", "2026-10"]);
    assert_eq!(out.status.code(), Some(1), "{}\n{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("SQL file sql/kpi/cpl.sql: was"), "{text}");
    assert!(text.contains("indicator cpl|company|DEMO"), "the definition version of every cpl row changed: {text}");

    // A period never closed has no bundle: a usage error that says so.
    let out = run(&config, &["verify", "--period", "2026-09"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no proof bundle for 2026-09"), "{}", stderr(&out));
}

/// The demo exports as they stood at the end of September (`september`) and after October's
/// arrived (`october`): October's files are left out of the first, the exports that span months are
/// cut at October's first row, and in the second October's rows follow September's, as an export
/// that grows does. Both trees are the committed fixtures otherwise.
fn fixtures_before_and_after_october(september: &Path, october: &Path) {
    copy_dir(&repo().join("fixtures"), october);
    copy_dir(&repo().join("fixtures"), september);
    // The exports that span months, and which field of a row dates it.
    let spanning: &[(&str, usize)] = &[
        ("exports/app/app_events.jsonl", 1),
        ("exports/finance/fx_rates.csv", 0),
        ("exports/survey/nps_2026-H2.csv", 1),
        ("exports/social/social_douyin_A03.csv", 0),
        ("exports/social/social_wechat_A01.csv", 0),
        ("exports/social/social_weibo_A02.csv", 0),
        ("exports/social/social_xiaohongshu_A04.csv", 0),
    ];
    for rel in tree(october).into_keys() {
        let (before, after) = (september.join(&rel), october.join(&rel));
        if rel.ends_with(".parquet") && rel.contains("2026-10") {
            split_parquet(&after, &before, &after);
        } else if let Some((_, field)) = spanning.iter().find(|(path, _)| *path == rel) {
            let text = std::fs::read_to_string(&after).expect("export");
            let dated_october = |line: &str| {
                let cell = line.split([',', '\n']).nth(*field).unwrap_or_default();
                cell.contains("2026-10-")
            };
            let (late, early): (Vec<&str>, Vec<&str>) = text.split_inclusive('\n').partition(|l| dated_october(l));
            std::fs::write(&before, early.concat()).expect("write");
            std::fs::write(&after, early.concat() + &late.concat()).expect("write");
        } else if rel.contains("2026-10") || rel.contains("2026_10") {
            std::fs::remove_file(&before).expect("leave October's export out");
        }
    }
}

/// Writes `from`'s rows dated before October 2026 to `early`, and those rows then the rest to `all`.
fn split_parquet(from: &Path, early: &Path, all: &Path) {
    use datafusion::arrow::array::{Array, BooleanArray, Date32Array};
    use datafusion::arrow::compute::{filter_record_batch, not};
    use datafusion::parquet::arrow::ArrowWriter;
    use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
    let reader = ParquetRecordBatchReaderBuilder::try_new(std::fs::File::open(from).expect("open"))
        .expect("parquet")
        .build()
        .expect("reader");
    let batches: Vec<_> = reader.map(|b| b.expect("batch")).collect();
    let october = 20_727; // 2026-10-01, in days since 1970-01-01
    let masks: Vec<BooleanArray> = batches
        .iter()
        .map(|b| {
            let dates = b.column_by_name("date").expect("date");
            let dates = dates.as_any().downcast_ref::<Date32Array>().expect("Date32");
            dates.iter().map(|d| Some(d.is_some_and(|d| d < october))).collect()
        })
        .collect();
    let write = |path: &Path, parts: Vec<_>| {
        let schema = batches[0].schema();
        let mut writer = ArrowWriter::try_new(std::fs::File::create(path).expect("create"), schema, None).expect("w");
        for part in parts {
            writer.write(&part).expect("write");
        }
        writer.close().expect("close");
    };
    let early_rows: Vec<_> = batches.iter().zip(&masks).map(|(b, m)| filter_record_batch(b, m).expect("f")).collect();
    let late_rows: Vec<_> =
        batches.iter().zip(&masks).map(|(b, m)| filter_record_batch(b, &not(m).expect("not")).expect("f")).collect();
    write(early, early_rows.clone());
    write(all, early_rows.into_iter().chain(late_rows).collect());
}

/// October's org change: a new hire, a person moving team, a campaign changing owner.
fn change_the_org(fixtures: &Path) {
    let people = fixtures.join("exports/org/people.csv");
    let bytes = std::fs::read(&people).expect("people");
    let (text, _, _) = encoding_rs::GBK.decode(&bytes);
    let text = text.replace("P012,孙丽,T03,", "P012,孙丽,T02,")
        + "P013,周新,T01,p013@demo-trading.cn,品牌专员,P001,2026-10-08,,12000.00\r\n";
    std::fs::write(&people, encoding_rs::GBK.encode(&text).0).expect("people");
    let campaigns = fixtures.join("exports/org/campaigns.csv");
    let text = std::fs::read_to_string(&campaigns)
        .expect("campaigns")
        .replace("C101,T01,品牌搜索,sem,P002", "C101,T01,品牌搜索,sem,P003");
    std::fs::write(&campaigns, text).expect("campaigns");
}

fn period_outputs(lake: &Path, period: &str) -> Vec<Vec<u8>> {
    ["indicators", "scorecards", "flags"]
        .iter()
        .map(|t| std::fs::read(lake.join(format!("{t}/period={period}/part-0.parquet"))).expect("output"))
        .collect()
}

/// The auditor's story: September is closed with the exports up to September; October's exports
/// arrive with an org change and October is closed; September (and Q3) still verify, on this lake
/// and on a copy of it elsewhere, and September's figures, scorecards and flags are what was
/// reported. A flipped byte in an object September read fails its verify; one in October's does not.
/// Then a late September order: the next close names it and refuses, and September no longer
/// verifies.
#[test]
fn a_closed_month_stays_frozen_and_verifies_after_later_months_arrive() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (fixtures, october) = (dir.path().join("fixtures"), dir.path().join("october"));
    fixtures_before_and_after_october(&fixtures, &october);
    let lake = dir.path().join("lake");
    let config = demo_config_with(dir.path(), &lake.display().to_string(), "", &fixtures);
    let out = run(&config, &["close", "--month", "2026-09"]);
    assert_eq!(out.status.code(), Some(0), "{}\n{}", stdout(&out), stderr(&out));
    let reported = period_outputs(&lake, "2026-09");
    let bundle: serde_json::Value =
        serde_json::from_slice(&std::fs::read(lake.join("proofs/period=2026-09/bundle.json")).unwrap()).unwrap();
    let read: Vec<&str> = bundle["lake"].as_object().expect("objects").keys().map(String::as_str).collect();
    assert!(read.contains(&"data/orders/month=2026-09/part-0.parquet"), "{read:?}");
    assert!(read.contains(&"proofs/period=2026-09/org/people.parquet"), "the org as it stood: {read:?}");
    assert!(read.iter().all(|o| !o.contains("month=2026-1")), "nothing after September: {read:?}");
    assert!(!bundle.to_string().contains(&dir.path().display().to_string()), "no absolute path in the bundle");

    std::fs::remove_dir_all(&fixtures).expect("swap");
    copy_dir(&october, &fixtures);
    change_the_org(&fixtures);
    let out = run(&config, &["close", "--month", "2026-10"]);
    assert_eq!(out.status.code(), Some(0), "{}\n{}", stdout(&out), stderr(&out));
    for period in ["2026-09", "2026-Q3"] {
        let out = run(&config, &["verify", "--period", period]);
        assert_eq!(out.status.code(), Some(0), "{period} after October: {}\n{}", stdout(&out), stderr(&out));
    }
    assert!(period_outputs(&lake, "2026-09") == reported, "September's tables are as reported");

    // The lake and the config, copied to another folder.
    let copy = dir.path().join("elsewhere");
    copy_dir(&lake, &copy.join("lake"));
    let text = std::fs::read_to_string(&config)
        .unwrap()
        .replace(&lake.display().to_string(), &copy.join("lake").display().to_string());
    std::fs::write(copy.join("kpi-close.toml"), text).unwrap();
    let moved = copy.join("kpi-close.toml");
    let out = run(&moved, &["verify", "--period", "2026-09"]);
    assert_eq!(out.status.code(), Some(0), "a copy verifies: {}\n{}", stdout(&out), stderr(&out));
    let read_by_september = copy.join("lake/data/orders/month=2026-09/part-0.parquet");
    let original = std::fs::read(&read_by_september).unwrap();
    flip_one_byte(&read_by_september, original.len() / 2);
    let out = run(&moved, &["verify", "--period", "2026-09"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("lake object data/orders/month=2026-09/part-0.parquet: was"), "{}", stdout(&out));
    std::fs::write(&read_by_september, original).unwrap();
    let later = copy.join("lake/data/orders/month=2026-10/part-0.parquet");
    flip_one_byte(&later, std::fs::read(&later).unwrap().len() / 2);
    let out = run(&moved, &["verify", "--period", "2026-09"]);
    assert_eq!(out.status.code(), Some(0), "October is not September's: {}\n{}", stdout(&out), stderr(&out));

    // A late September order.
    let orders = fixtures.join("exports/shop/orders_2026-09.csv");
    let mut text = std::fs::read_to_string(&orders).unwrap();
    text.push_str("O0009901,C009901,P011,2026-09-29T10:00:00+08:00,5000.00,CNY,paid,,,1500.00,late.buyer@163.com\r\n");
    std::fs::write(&orders, text).unwrap();
    let out = run(&config, &["close", "--month", "2026-10"]);
    assert_eq!(out.status.code(), Some(1), "{}\n{}", stdout(&out), stderr(&out));
    let text = stdout(&out);
    for named in [
        "2026-09 is closed (revision 1), and data it was computed from changed since it closed",
        "data/orders/month=2026-09/part-0.parquet changed: rows from",
        "orders_2026-09.csv (changed)",
        "revenue (company DEMO): numerator",
        "kpi-close close --month 2026-09 --reopen --reason",
        "2026-Q3 is closed",
    ] {
        assert!(text.contains(named), "{named:?} in\n{text}");
    }
    assert!(period_outputs(&lake, "2026-09") == reported, "nothing written");
    let out = run(&config, &["verify", "--period", "2026-09"]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    assert!(stdout(&out).contains("lake object data/orders/month=2026-09/part-0.parquet: was"), "{}", stdout(&out));
}
