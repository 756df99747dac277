//! Where everything lives in the lake: one function per row of the README's lake table, and the
//! only place that writes `period=` or `month=` into a path. Paths are lake-relative (`Lake` adds
//! the root). Periods and months are taken as anything that prints as one, so the README test can
//! fill in the placeholders.

use std::fmt::Display;

/// Every dataset's lake objects.
pub const DATA_DIR: &str = "data";

/// Folder of a dataset's lake objects (with the trailing `/` DataFusion reads a folder by).
pub fn data_dir(dataset: &str) -> String {
    format!("{DATA_DIR}/{dataset}/")
}

/// One month partition of an event dataset (`YYYY-MM`, company timezone).
pub fn data_month(dataset: &str, month: impl Display) -> String {
    format!("data/{dataset}/month={month}/part-0.parquet")
}

/// The one object of a reference dataset (people, teams, campaigns, social accounts, targets, …).
pub fn data_reference(dataset: &str) -> String {
    format!("data/{dataset}/part-0.parquet")
}

/// The folder of an output table stored per period (`indicators`, `scorecards`, `flags`).
pub const INDICATORS_DIR: &str = "indicators";
pub const SCORECARDS_DIR: &str = "scorecards";
pub const FLAGS_DIR: &str = "flags";

fn period_table(table: &str, period: impl Display) -> String {
    format!("{table}/period={period}/part-0.parquet")
}

pub fn indicators(period: impl Display) -> String {
    period_table(INDICATORS_DIR, period)
}

pub fn scorecards(period: impl Display) -> String {
    period_table(SCORECARDS_DIR, period)
}

pub fn flags(period: impl Display) -> String {
    period_table(FLAGS_DIR, period)
}

/// The month of an object in a month partition (`…/month=YYYY-MM/…`), if it is in one.
pub fn month_of(path: &str) -> Option<&str> {
    let rest = &path[path.find("month=")? + 6..];
    Some(rest.split('/').next().unwrap_or(rest))
}

/// Whether a lake path is something a period's figures are computed from: a dataset's object, a
/// ledger object, or an org archived with a closed period.
pub fn is_lake_input(path: &str) -> bool {
    path.starts_with(&format!("{DATA_DIR}/"))
        || path.starts_with(&format!("{EXCLUSIONS_DIR}/"))
        || (path.starts_with("proofs/") && path.contains("/org/"))
}

/// The audit's exclusion ledger.
pub const EXCLUSIONS_DIR: &str = "exclusions";

/// The ledger object of one rule for one month: the rows of that month it flagged.
pub fn ledger(month: impl Display, rule_id: &str) -> String {
    format!("{EXCLUSIONS_DIR}/month={month}/{rule_id}.parquet")
}

/// A closed period's proof bundle.
pub fn bundle(period: impl Display) -> String {
    format!("proofs/period={period}/bundle.json")
}

/// A reference dataset (people, teams, campaigns, social accounts, targets) as it stood when the
/// period was closed: read instead of the lake's whenever the closed period is recomputed.
pub fn period_org(period: impl Display, dataset: &str) -> String {
    format!("proofs/period={period}/org/{dataset}.parquet")
}

pub const AUDIT_MANIFEST: &str = "manifests/audit.json";
pub const INGEST_MANIFEST: &str = "manifests/ingest.json";

/// Rows of a dataset's exports that broke the data contract.
pub fn rejects(dataset: &str) -> String {
    format!("rejects/{dataset}.parquet")
}

/// The rendered reports of a period.
pub fn reports(period: impl Display) -> String {
    format!("reports/period={period}")
}

/// One file of a rendered report: `<report>.html`, `.txt`, `.csv` or `.xlsx` (`extension` without the dot).
pub fn report_file(period: impl Display, locale: &str, report: &str, extension: &str) -> String {
    format!("{}/{locale}/{report}.{extension}", reports(period))
}

/// A chart of a rendered report (the archive's HTML links it as `<report>/<chart>`).
pub fn report_chart(period: impl Display, locale: &str, report: &str, chart: &str) -> String {
    format!("{}/{locale}/{report}/{chart}", reports(period))
}

/// The archive's table of contents: every period's reports and every replaced revision's.
pub const REPORT_INDEX: &str = "reports/index.html";

/// A rendered report's HTML, as the archive lists it: the period, the revision a kept copy belongs
/// to (`None` for the current one), the locale and the report id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ArchivedReport {
    pub period: String,
    pub revision: Option<i64>,
    pub locale: String,
    pub report: String,
}

/// Reads a path `report_file` (or `restated_reports`) wrote for an HTML report; none for anything else.
pub fn archived_report(path: &str) -> Option<ArchivedReport> {
    let (period, revision, rest) = if let Some(rest) = path.strip_prefix("reports/period=") {
        let (period, rest) = rest.split_once('/')?;
        (period, None, rest)
    } else {
        let rest = path.strip_prefix("restatements/period=")?;
        let (period, rest) = rest.split_once("/rev=")?;
        let (revision, rest) = rest.split_once("/reports/")?;
        (period, Some(revision.parse().ok()?), rest)
    };
    let (locale, file) = rest.split_once('/')?;
    let report = file.strip_suffix(".html").filter(|r| !r.contains('/'))?;
    Some(ArchivedReport { period: period.into(), revision, locale: locale.into(), report: report.into() })
}

/// The send ledger of a period, every revision.
pub fn deliveries(period: impl Display) -> String {
    format!("deliveries/period={period}")
}

/// One message's send-ledger entry.
pub fn delivery(period: impl Display, revision: impl Display, report: &str, recipient_key: &str) -> String {
    format!("{}/rev={revision}/{report}/{recipient_key}.json", deliveries(period))
}

/// The gates a period passed or failed before sending.
pub fn gates(period: impl Display) -> String {
    format!("gates/period={period}.json")
}

pub const RUNS_DIR: &str = "runs";

/// The record of one close.
pub fn run(run_id: &str) -> String {
    format!("{RUNS_DIR}/{run_id}.json")
}

/// A period's close state: its revisions, closing or closed.
pub fn close_state(period: impl Display) -> String {
    format!("closes/period={period}.json")
}

/// Where revision `revision` of a period is kept once a later revision replaced it.
pub fn restatement(period: impl Display, revision: impl Display) -> String {
    format!("restatements/period={period}/rev={revision}")
}

/// The kept copy of one of a replaced revision's tables (`indicators`, `scorecards`, `flags`).
pub fn restated_table(period: impl Display, revision: impl Display, table: &str) -> String {
    format!("{}/{table}.parquet", restatement(period, revision))
}

/// The kept copy of a replaced revision's proof bundle.
pub fn restated_bundle(period: impl Display, revision: impl Display) -> String {
    format!("{}/bundle.json", restatement(period, revision))
}

/// The kept copy of a replaced revision's reports.
pub fn restated_reports(period: impl Display, revision: impl Display) -> String {
    format!("{}/reports", restatement(period, revision))
}

/// Present while a close runs.
pub const LOCK: &str = "locks/close.lock";

/// One parsed export: its rows, its rejected cells and what staging it produced.
pub fn staging_rows(dataset: &str, id: &str) -> String {
    format!("staging/{dataset}/{id}.parquet")
}

pub fn staging_rejects(dataset: &str, id: &str) -> String {
    format!("staging/{dataset}/{id}.rejects.parquet")
}

pub fn staging_stats(dataset: &str, id: &str) -> String {
    format!("staging/{dataset}/{id}.json")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The left column of the README's lake table, line by line.
    fn readme_layout() -> Vec<String> {
        let readme = include_str!("../../README.md");
        let start = readme.find("## The lake").expect("the README has a lake section");
        let block = &readme[start..];
        let block = &block[block.find("```text\n").expect("a text block") + 8..];
        let block = &block[..block.find("```").expect("closed")];
        block
            .lines()
            .filter(|l| !l.starts_with(' ') && !l.trim().is_empty())
            .filter_map(|l| l.split_whitespace().next())
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn the_layout_is_the_readme_lake_table() {
        let (p, r, d) = ("<P>", "<R>", "<dataset>");
        let chart = report_chart(p, "<locale>", "<report>", "<chart>.png");
        let ours = [
            data_month(d, "YYYY-MM"),
            data_reference(d),
            indicators(p),
            ledger("YYYY-MM", "<RULE_ID>"),
            bundle(p),
            period_org(p, d),
            scorecards(p),
            flags(p),
            AUDIT_MANIFEST.to_string(),
            rejects(d),
            REPORT_INDEX.to_string(),
            report_file(p, "<locale>", "<report>", "html|.txt|.csv|.xlsx"),
            chart,
            delivery(p, r, "<report>", "<hash>"),
            gates(p),
            run("<run-id>"),
            close_state(p),
            format!("{}/", restatement(p, r)),
            LOCK.to_string(),
            INGEST_MANIFEST.to_string(),
            staging_rows(d, "<id>").replace(".parquet", ".parquet|.rejects.parquet|.json"),
        ];
        assert_eq!(readme_layout(), ours, "README.md's lake table and src/lake/layout.rs disagree");
        assert!(data_dir(d).ends_with('/') && staging_stats(d, "x").ends_with(".json"));
        assert_eq!(staging_rejects(d, "x"), "staging/<dataset>/x.rejects.parquet");
        assert_eq!(restated_table(p, r, "indicators"), "restatements/period=<P>/rev=<R>/indicators.parquet");
        assert_eq!(restated_bundle(p, r), "restatements/period=<P>/rev=<R>/bundle.json");
        assert_eq!(restated_reports(p, r), "restatements/period=<P>/rev=<R>/reports");
        assert_eq!(month_of(&data_month("orders", "2026-09")), Some("2026-09"));
        assert_eq!(month_of(&ledger("2026-10", "UA_BOT")), Some("2026-10"));
        assert_eq!(month_of(&data_reference("people")), None);
        assert!(is_lake_input(&ledger("2026-10", "UA_BOT")) && is_lake_input(&period_org(p, "people")));
        assert!(!is_lake_input(&bundle(p)) && !is_lake_input(&indicators(p)));
        let current = report_file("2026-10", "en", "team-T01", "html");
        let kept = format!("{}/zh-CN/leadership.html", restated_reports("2026-09", 1));
        assert_eq!(
            (archived_report(&current), archived_report(&kept)),
            (
                Some(ArchivedReport {
                    period: "2026-10".into(),
                    revision: None,
                    locale: "en".into(),
                    report: "team-T01".into()
                }),
                Some(ArchivedReport {
                    period: "2026-09".into(),
                    revision: Some(1),
                    locale: "zh-CN".into(),
                    report: "leadership".into()
                }),
            )
        );
        assert_eq!(archived_report(&report_file("2026-10", "en", "audit", "csv")), None);
        assert_eq!(archived_report(&report_chart("2026-10", "en", "audit", "a.png")), None);
        assert_eq!(archived_report(REPORT_INDEX), None);
    }
}
