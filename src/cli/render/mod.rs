//! What the commands print: every result as text (tables padded by characters), CSV or JSON.
//! Nothing here runs a stage; each function renders a value a command got back.

mod close;

pub use close::{close, close_plan};

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::DataType;

use super::OutputFormat;
use crate::audit::report::AuditReport;
use crate::config::Config;
use crate::deliver;
use crate::engine;
use crate::error::{Error, Result};
use crate::ingest::{FileStatus, IngestPlan, IngestReport};
use crate::kpis::Indicators;
use crate::lake::records::{AuditManifest, Run};
use crate::lake::{Lake, layout};
use crate::period::Period;
use crate::proof::Verification;
use crate::report::Rendered;
use crate::score::{Scorecards, flags::Flag};
use crate::sql::cards;
use crate::validate::Validation;

/// A plain text table, columns padded to their widest cell (by characters).
pub fn table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = headers.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
        padded.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = line(headers.to_vec());
    let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
    out.push_str(&line(rule.iter().map(String::as_str).collect()));
    for row in rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    out
}

/// `plan`: what ingest would read and rebuild.
pub fn ingest_plan(plan: &IngestPlan, lake: &Lake) -> String {
    let rows: Vec<Vec<String>> = plan
        .files()
        .map(|f| {
            vec![
                f.source.clone(),
                f.display.clone(),
                format!("{:?}", f.format).to_lowercase(),
                f.bytes.to_string(),
                f.sha256[..12].to_string(),
                match (f.status, f.hashed) {
                    (FileStatus::Unchanged, false) if f.in_store => {
                        "unchanged (same size, ETag, time: not read)".to_string()
                    }
                    (FileStatus::Unchanged, false) => "unchanged (same size, time, inode: not read)".to_string(),
                    (status, _) => status.label().to_string(),
                },
            ]
        })
        .collect();
    let mut out = format!("Ingest plan for lake {}\n\n", lake.location());
    out.push_str(&table(&["source", "file", "format", "bytes", "sha256", "status"], &rows));
    out.push('\n');
    for d in &plan.datasets {
        for removed in &d.removed {
            out.push_str(&format!(
                "{}: {removed} is gone from the exports; its rows will leave the lake\n",
                d.dataset.name
            ));
        }
    }
    let rebuild: Vec<&str> = plan.datasets.iter().filter(|d| d.rebuild).map(|d| d.dataset.name).collect();
    if rebuild.is_empty() {
        out.push_str("Nothing to do: every export is already in the lake.\n");
    } else {
        out.push_str(&format!("Would rebuild: {}\n", rebuild.join(", ")));
    }
    out
}

/// Which event datasets hold rows for the month being closed.
pub fn coverage(report: &IngestReport, month: Period) -> String {
    let label = month.to_string();
    let mut with = Vec::new();
    let mut without = Vec::new();
    for d in &report.datasets {
        if d.entry.months.is_empty() {
            continue;
        }
        if d.entry.months.contains(&label) { with.push(d.dataset) } else { without.push(d.dataset) }
    }
    let mut out =
        format!("\n{label}: data for {}", if with.is_empty() { "no dataset".to_string() } else { with.join(", ") });
    if !without.is_empty() {
        out.push_str(&format!("; none for {}", without.join(", ")));
    }
    out.push('\n');
    out
}

/// `ingest`, and the start of a close: what each dataset read, rejected and holds.
pub fn ingest_report(report: &IngestReport, lake: &Lake) -> String {
    let rows: Vec<Vec<String>> = report
        .datasets
        .iter()
        .map(|d| {
            let ratio = d.reject_ratio();
            let mut status = if d.rebuilt { "rebuilt".to_string() } else { "unchanged".to_string() };
            if ratio > report.max_reject_ratio {
                status.push_str(&format!(
                    "; rejects above {:.1}%: the close's gate will fail",
                    report.max_reject_ratio * 100.0
                ));
            }
            vec![
                d.dataset.to_string(),
                format!("{} ({} parsed)", d.files, d.files_parsed),
                d.rows_read().to_string(),
                format!("{} ({:.2}%)", d.entry.rows_rejected, ratio * 100.0),
                d.rows_superseded().to_string(),
                d.entry.rows.to_string(),
                status,
            ]
        })
        .collect();
    let mut out = format!("Ingest into lake {}\n\n", lake.location());
    out.push_str(&table(&["dataset", "files", "rows read", "rejected", "superseded", "in lake", "status"], &rows));
    out.push('\n');
    for p in &report.problems {
        out.push_str(&format!("held back: {}\n", p.message));
    }
    let secs = report.elapsed.as_secs_f64();
    if report.changed() {
        let mb = report.bytes_parsed as f64 / 1e6;
        out.push_str(&format!(
            "Parsed {mb:.1} MB of exports in {secs:.1} s ({:.1} MB/s). Rejected rows are in rejects/<dataset>.parquet; the manifest is manifests/ingest.json.\n",
            if secs > 0.0 { mb / secs } else { 0.0 }
        ));
    } else if report.problems.is_empty() {
        out.push_str("Nothing changed: every export was already in the lake.\n");
    }
    out
}

/// What the audit did: ran, or kept the last ledger.
pub fn audit_run(run: &AuditManifest) -> String {
    let flagged: u64 = run.rules.values().map(|r| r.rows_flagged).sum();
    let mut text = match run.kept {
        false => format!(
            "\nAudit: {} rule(s) judged {} month(s), each with only the data up to its end, and flagged {flagged} row(s); the ledger is {}.\n",
            run.rules.len(),
            run.months.len(),
            layout::ledger("<M>", "<RULE>")
        ),
        true => format!(
            "\nAudit: the exports, rules, lists and settings are those of the last audit; its ledger of {flagged} flagged row(s) from {} rule(s) stands ({}).\n",
            run.rules.len(),
            layout::ledger("<M>", "<RULE>")
        ),
    };
    for (rule, why) in &run.skipped {
        text.push_str(&format!("  {rule} did not run: {why}\n"));
    }
    text
}

/// `audit --period P` as a table.
pub fn audit_report(report: &AuditReport) -> Result<String> {
    let cells = |batches: &[datafusion::arrow::array::RecordBatch]| -> Result<Vec<Vec<String>>> {
        let rows = engine::text_rows(batches).map_err(Error::Output)?;
        Ok(rows.into_iter().map(|r| r.into_iter().map(Option::unwrap_or_default).collect()).collect())
    };
    let period = report.period;
    let mut text = format!("\nAudit report {period}\n\nRows per dataset (months of {period}):\n");
    text.push_str(&table(&["dataset", "rows in", "GIVT", "SIVT", "excluded", "net"], &cells(&report.datasets)?));
    text.push_str("(GIVT: a row any GIVT rule caught; SIVT: a row only SIVT rules caught. In − excluded = net.)\n");
    text.push_str("\nFlagged per rule (a row caught by two rules counts under both):\n");
    text.push_str(&table(&["dataset", "rule", "version", "class", "rows"], &cells(&report.rules)?));
    text.push_str("\nCompany indicators, gross → net:\n");
    let rows: Vec<Vec<String>> = display_rows(&report.indicators)
        .map_err(Error::Output)?
        .into_iter()
        .filter(|r| r[0] == "company")
        .map(|r| vec![r[2].clone(), r[4].clone(), r[3].clone(), r[5].clone()])
        .collect();
    text.push_str(&table(&["kpi", "gross", "net", "excluded rows"], &rows));
    text.push_str("\nIngest: rejects and de-duplicated re-exports per dataset:\n");
    let rows: Vec<Vec<String>> = report
        .ingest
        .datasets
        .iter()
        .map(|(name, d)| {
            let superseded: u64 = d.files.iter().map(|f| f.rows_superseded).sum();
            vec![name.clone(), d.rows.to_string(), d.rows_rejected.to_string(), superseded.to_string()]
        })
        .collect();
    text.push_str(&table(&["dataset", "rows in lake", "rejected", "superseded by a newer export"], &rows));
    text.push_str("\nInput files:\n");
    let rows: Vec<Vec<String>> = report
        .ingest
        .datasets
        .iter()
        .flat_map(|(name, d)| {
            d.files.iter().map(move |f| vec![name.clone(), f.path.clone(), f.rows_read.to_string(), f.sha256.clone()])
        })
        .collect();
    text.push_str(&table(&["dataset", "file", "rows", "sha256"], &rows));
    if let Some(audit) = &report.audit {
        text.push_str("\nReference lists:\n");
        let rows: Vec<Vec<String>> = audit
            .lists
            .iter()
            .map(|(name, l)| {
                let built = [l.source.as_deref(), l.as_of.as_deref().map(|d| d.split(' ').next().unwrap_or(d))];
                let built: Vec<&str> = built.into_iter().flatten().collect();
                vec![name.clone(), l.origin.clone(), built.join(", as of "), l.sha256.clone()]
            })
            .collect();
        text.push_str(&table(&["list", "from", "built from", "sha256"], &rows));
    }
    Ok(text)
}

/// Record batches as CSV with a header line.
pub fn csv(batches: &[RecordBatch]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut writer = datafusion::arrow::csv::WriterBuilder::new().with_header(true).build(&mut out);
    for batch in batches {
        writer.write(batch).map_err(Error::Output)?;
    }
    drop(writer);
    Ok(out)
}

/// Record batches as one JSON array of objects (`[]` when empty), then a newline.
pub fn json(batches: &[RecordBatch]) -> Result<Vec<u8>> {
    let mut writer = datafusion::arrow::json::ArrayWriter::new(Vec::new());
    for batch in batches {
        writer.write(batch).map_err(Error::Output)?;
    }
    writer.finish().map_err(Error::Output)?;
    let mut out = writer.into_inner();
    if out.is_empty() {
        out.extend_from_slice(b"[]");
    }
    out.push(b'\n');
    Ok(out)
}

/// `audit --period P --format json`: all of it.
pub fn audit_json(report: &AuditReport) -> Result<Vec<u8>> {
    let rows = |batches: &[RecordBatch]| -> Result<serde_json::Value> {
        Ok(serde_json::from_slice(&json(batches)?).unwrap_or_default())
    };
    let value = serde_json::json!({
        "period": report.period.to_string(),
        "datasets": rows(&report.datasets)?,
        "rules": rows(&report.rules)?,
        "indicators": rows(&report.indicators)?,
        "ingest": report.ingest,
        "audit": report.audit,
    });
    Ok(format!("{}\n", serde_json::to_string_pretty(&value).unwrap_or_default()).into_bytes())
}

/// `score --period P`: the scorecards as a table, CSV or JSON.
pub fn scorecards(scorecards: &Scorecards, revision: i64, format: OutputFormat) -> Result<Vec<u8>> {
    let batch = scorecards.batch(revision).map_err(Error::Output)?;
    match format {
        OutputFormat::Csv => csv(&[batch]),
        OutputFormat::Json => json(&[batch]),
        OutputFormat::Table => {
            let number =
                |v: Option<f64>, digits: usize| v.map(|v| format!("{v:.digits$}")).unwrap_or_else(|| "n/a".into());
            let mut text = format!(
                "Scorecards {} (achievement capped; weights renormalised over the KPIs scored)\n",
                scorecards.period
            );
            let rows: Vec<Vec<String>> = scorecards
                .cards
                .iter()
                .map(|c| {
                    vec![
                        c.person_id.clone(),
                        c.team_id.clone(),
                        number(c.total_score, 1),
                        c.rating.unwrap_or("-").to_string(),
                        number(c.payout_share.map(|p| p * 100.0), 0),
                        if c.excess { "yes".into() } else { String::new() },
                        c.bonus.map(|b| b.round_dp(2).to_string()).unwrap_or_else(|| "n/a".into()),
                        c.lines.iter().filter(|l| l.note.is_none()).count().to_string(),
                    ]
                })
                .collect();
            text.push_str(&table(
                &["person", "team", "score", "rating", "payout %", "excess", "bonus", "KPIs scored"],
                &rows,
            ));
            text.push('\n');
            let rows: Vec<Vec<String>> = scorecards
                .cards
                .iter()
                .flat_map(|c| c.lines.iter())
                .map(|l| {
                    vec![
                        l.person_id.clone(),
                        l.kpi.clone(),
                        number(l.target, 4),
                        number(l.actual, 4),
                        number(l.achievement, 3),
                        number(Some(l.weight), 0),
                        number(Some(l.effective_weight), 1),
                        number(Some(l.points), 1),
                        l.note.map(|n| n.note()).unwrap_or_default().to_string(),
                    ]
                })
                .collect();
            text.push_str(&table(
                &["person", "kpi", "target", "actual", "achievement", "weight", "weight used", "points", "note"],
                &rows,
            ));
            Ok(text.into_bytes())
        }
    }
}

/// The indicators as a table (the columns a reader scans), CSV or JSON (every column).
pub fn indicators(indicators: &Indicators, format: OutputFormat) -> Result<Vec<u8>> {
    match format {
        OutputFormat::Csv => csv(&indicators.batches),
        OutputFormat::Json => json(&indicators.batches),
        OutputFormat::Table => {
            let headers =
                ["grain", "entity", "kpi", "value", "gross", "excluded", "low volume", "vs previous", "vs year ago"];
            let rows = display_rows(&indicators.batches).map_err(Error::Output)?;
            Ok(format!(
                "Indicators {} ({} rows, net values; n/a = zero denominator)\n{}",
                indicators.period,
                rows.len(),
                table(&headers, &rows)
            )
            .into_bytes())
        }
    }
}

pub fn findings(indicators: &Indicators) -> String {
    let mut text = format!("Indicator checks failed for {}: nothing was written.\n", indicators.period);
    for finding in &indicators.findings {
        let rows: usize = finding.rows.iter().map(|b| b.num_rows()).sum();
        text.push_str(&format!("  {}: {rows} offending row(s)\n", finding.check.path()));
        if let Ok(shown) = datafusion::arrow::util::pretty::pretty_format_batches(&finding.rows) {
            for line in shown.to_string().lines().take(24) {
                text.push_str(&format!("    {line}\n"));
            }
        }
    }
    text
}

/// `runs` as a table.
pub fn runs(runs: &[Run]) -> String {
    let rows: Vec<Vec<String>> = runs
        .iter()
        .map(|r| {
            let seconds: f64 = r.stages.iter().map(|s| s.seconds).sum();
            let sent = r.sent.iter().filter(|s| s.status == "sent").count();
            let failed = r.sent.iter().filter(|s| s.status == "failed" || s.status == "uncertain").count();
            vec![
                r.run_id.clone(),
                r.command.clone(),
                r.revision.to_string(),
                r.status.clone(),
                r.started_at.clone(),
                format!("{seconds:.1}"),
                format!("{sent} sent, {failed} failed"),
                r.message.clone().unwrap_or_default(),
            ]
        })
        .collect();
    table(&["run", "command", "rev", "status", "started", "seconds", "mail", "why"], &rows)
}

/// `render`, and a close's reports: the trend months computed first, then each document.
pub fn rendered(trend_months: &[Period], rendered: &Rendered, lake: &Lake) -> String {
    let mut text = String::new();
    if !trend_months.is_empty() {
        let months: Vec<String> = trend_months.iter().map(ToString::to_string).collect();
        text.push_str(&format!("Indicators computed for the trends: {}\n", months.join(", ")));
    }
    let rows: Vec<Vec<String>> = rendered
        .documents
        .iter()
        .map(|d| {
            vec![
                d.id(),
                d.locale.tag().to_string(),
                if d.draft { "DRAFT".into() } else { String::new() },
                d.images.len().to_string(),
                d.subject.clone(),
            ]
        })
        .collect();
    text.push_str(&format!(
        "\nReports {} ({} documents, archive {}/)\n{}",
        rendered.period,
        rendered.documents.len(),
        lake.url(&layout::reports(rendered.period)),
        table(&["report", "locale", "", "charts", "subject"], &rows)
    ));
    text
}

/// `send`, and a close's mail: every message and what became of it.
pub fn mail(period: Period, outcome: &deliver::Outcome) -> String {
    let mut rows: Vec<Vec<String>> = Vec::new();
    for (status, entries) in [
        ("sent", &outcome.sent),
        ("already sent", &outcome.skipped),
        ("FAILED", &outcome.failed),
        ("UNCERTAIN", &outcome.uncertain),
    ] {
        for e in entries {
            rows.push(vec![
                e.report.clone(),
                e.locale.clone(),
                e.recipient.clone(),
                status.to_string(),
                e.error.clone().unwrap_or_default(),
            ]);
        }
    }
    for d in &outcome.planned {
        rows.push(vec![d.audience.id(), d.locale.tag().into(), d.email.clone(), "would send".into(), String::new()]);
    }
    let mut text = format!("\nMail {period}\n{}", table(&["report", "locale", "to", "status", "error"], &rows));
    for u in &outcome.unreachable {
        text.push_str(&format!("not sent: {u}\n"));
    }
    if !outcome.uncertain.is_empty() {
        text.push_str("UNCERTAIN: an earlier run stopped while sending these; check the recipients' mail, then `send --resend` if they did not arrive.\n");
    }
    text
}

/// `verify --period P`: what was compared, or every difference.
pub fn verification(v: &Verification) -> String {
    let period = v.period;
    let [indicators, objects, sql, lists, exports] = v.compared;
    let mut text = String::new();
    for note in &v.notes {
        text.push_str(&format!("note: {note}\n"));
    }
    if v.differences.is_empty() {
        text.push_str(&format!(
            "Verified {period}: {indicators} indicator rows, {objects} lake objects, {sql} SQL files, {lists} reference lists, {exports} exports and the config are identical to the proof bundle.\n"
        ));
    } else {
        text.push_str(&format!(
            "{period} does NOT verify: {} difference(s) from the proof bundle:\n",
            v.differences.len()
        ));
        for d in &v.differences {
            text.push_str(&format!("  - {d}\n"));
        }
    }
    text
}

/// `validate`: the warnings, then all problems or that everything is valid.
pub fn validation(file: &std::path::Path, config: &Config, v: &Validation) -> String {
    let mut text = String::new();
    for warning in &config.warnings {
        text.push_str(&format!("warning: {warning}\n"));
    }
    for warning in &v.warnings {
        text.push_str(&format!("warning: {warning}\n"));
    }
    if v.problems.is_empty() {
        text.push_str(&format!(
            "{}: configuration, {} source(s) and {} SQL file(s) are valid\n",
            file.display(),
            v.sources,
            v.sql_files
        ));
    } else {
        text.push_str(&format!("{}: {} problem(s):\n", file.display(), v.problems.len()));
        for p in &v.problems {
            text.push_str(&format!("  - {p}\n"));
        }
    }
    text
}

/// `explain` without an indicator: one line each.
pub fn explain_list(cards: &[crate::sql::cards::Card]) -> String {
    let rows: Vec<Vec<String>> = cards
        .iter()
        .map(|c| vec![c.id.to_string(), c.cycle.as_str().to_string(), c.unit.clone(), c.formula.clone()])
        .collect();
    table(&["kpi", "cycle", "unit", "formula"], &rows)
}

/// The note on stderr when a stage command meets a closed period.
pub fn closed_note(period: Period, revision: i64) -> String {
    format!(
        "note: {period} is closed (revision {revision}): printed from the lake as it is now, not written. \
         To restate it: kpi-close close --month <its last month> --reopen --reason \"…\""
    )
}

/// `score --period P`'s table of flags.
pub fn flags(period: Period, flags: &[Flag]) -> String {
    let rows: Vec<Vec<String>> =
        flags.iter().map(|f| vec![f.person_id.clone(), f.flag.to_string(), f.explanation.clone()]).collect();
    format!("\nFlags {period}\n{}", table(&["person", "flag", "why"], &rows))
}

/// The indicators as text cells for a terminal table: grain, entity, kpi, value, gross value,
/// excluded share, low volume, change vs previous, change vs a year ago. Values are rounded by unit
/// (the CSV and JSON outputs and the lake keep every digit); `n/a` marks a zero denominator.
fn display_rows(batches: &[RecordBatch]) -> Result<Vec<Vec<String>>, datafusion::arrow::error::ArrowError> {
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::Float64Type;
    use datafusion::arrow::error::ArrowError;

    let units: std::collections::HashMap<&str, &str> = cards::cards()
        .map_err(|e| ArrowError::ExternalError(Box::new(e)))?
        .iter()
        .map(|c| (c.id, c.unit.as_str()))
        .collect();
    let mut rows = Vec::new();
    for batch in batches {
        let column = |name: &str| {
            batch.column_by_name(name).cloned().ok_or_else(|| ArrowError::SchemaError(format!("no column {name}")))
        };
        let text = |name: &str| -> Result<Vec<String>, ArrowError> {
            let c = datafusion::arrow::compute::cast(&column(name)?, &DataType::Utf8)?;
            let c = c.as_string::<i32>();
            Ok((0..c.len()).map(|i| if c.is_null(i) { String::new() } else { c.value(i).to_string() }).collect())
        };
        let float = |name: &str| -> Result<Vec<Option<f64>>, ArrowError> {
            let c = datafusion::arrow::compute::cast(&column(name)?, &DataType::Float64)?;
            let c = c.as_primitive::<Float64Type>();
            Ok((0..c.len()).map(|i| (!c.is_null(i)).then(|| c.value(i))).collect())
        };
        let (grain, entity, kpi) = (text("grain")?, text("entity_id")?, text("kpi")?);
        let (value, gross, excluded) = (float("value")?, float("gross_value")?, float("excluded_share")?);
        let (previous, year_ago) = (float("change_vs_previous")?, float("change_vs_year_ago")?);
        let low = text("low_volume")?;
        for i in 0..batch.num_rows() {
            let unit = units.get(kpi[i].as_str()).copied().unwrap_or("ratio");
            let number = |v: Option<f64>| match v {
                None => "n/a".to_string(),
                Some(v) => match unit {
                    "count" => format!("{v:.0}"),
                    "money" => format!("{v:.2}"),
                    "score" => format!("{v:.1}"),
                    _ => format!("{v:.4}"),
                },
            };
            let percent = |v: Option<f64>, sign: bool| match v {
                None => "n/a".to_string(),
                Some(v) if sign => format!("{:+.1}%", v * 100.0),
                Some(v) => format!("{:.1}%", v * 100.0),
            };
            rows.push(vec![
                grain[i].clone(),
                entity[i].clone(),
                kpi[i].clone(),
                number(value[i]),
                number(gross[i]),
                percent(excluded[i], false),
                if low[i] == "true" { "low volume".to_string() } else { String::new() },
                percent(previous[i], true),
                percent(year_ago[i], true),
            ]);
        }
    }
    Ok(rows)
}
