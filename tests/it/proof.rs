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
    assert!(stdout(&out).contains("Verified 2026-10: 510 indicator rows"), "{}", stdout(&out));

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
