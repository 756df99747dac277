//! A close as text: its plan (`--dry-run`) and its outcome, stage by stage in the order it ran.

use super::{audit_run, coverage, findings, ingest_plan, ingest_report, mail, rendered, table};
use crate::close::revision::Decision;
use crate::close::{CloseOutcome, ClosePlan, Ended, LateFinding, PeriodOutcome};
use crate::config::{Config, Transport};
use crate::lake::{Lake, layout};
use crate::period::Period;
use crate::score::{Scorecards, flags::Flag};

/// `close --dry-run`: the exports ingest would read, the periods computed, and who would receive the
/// reports (from the org data already in the lake).
pub fn close_plan(plan: &ClosePlan, config: &Config, lake: &Lake) -> String {
    let mut text = ingest_plan(&plan.ingest, lake);
    let periods: Vec<String> = plan.periods().map(|p| p.period.to_string()).collect();
    text.push_str(&format!(
        "\nWould run the audit over the lake, then compute indicators, proof bundles, scorecards and flags for: {}\n",
        periods.join(", ")
    ));
    for p in plan.periods() {
        let (state, revision) = match p.decision {
            Decision::First => continue,
            Decision::Resume(r) => ("being closed (an earlier close did not finish; it resumes)", r),
            Decision::Frozen(r) | Decision::Reopen(r) => ("closed", r),
        };
        text.push_str(&format!(
            "{} is {state} at revision {revision}: it is recomputed and compared, and nothing is written unless `--reopen` restates it.\n",
            p.period
        ));
    }
    for preview in &plan.mail {
        let period = preview.period;
        match &preview.recipients {
            Some((deliveries, unreachable)) => {
                let rows: Vec<Vec<String>> = deliveries
                    .iter()
                    .map(|d| vec![d.audience.id(), d.locale.tag().to_string(), d.email.clone()])
                    .collect();
                text.push_str(&format!(
                    "\nWould render and send {period} (recipients from the org data now in the lake):\n{}",
                    table(&["report", "locale", "to"], &rows)
                ));
                for u in unreachable {
                    text.push_str(&format!("not sent: {u}\n"));
                }
            }
            None => text.push_str(&format!(
                "\nWould render and send {period}: leadership ({}), auditors ({}), each team's manager and the people in delivery.personal_opt_in — listed here once the org data and scores are in the lake.\n",
                config.delivery.leadership.len(),
                config.delivery.auditors.len()
            )),
        }
    }
    text.push_str("\nDry run: nothing was read into the lake, computed, rendered or sent.\n");
    text
}

/// A close: what each stage did, in order, how it ended, and its one-line summary.
pub fn close(outcome: &CloseOutcome, config: &Config, lake: &Lake) -> String {
    let request = &outcome.plan.request;
    let (what, last) = (request.label(), request.last);
    let mut text = ingest_report(&outcome.ingest, lake);
    text.push_str(&coverage(&outcome.ingest, last));
    if let Some(audit) = &outcome.audit {
        text.push_str(&audit_run(audit));
    }
    for (period, done) in &outcome.periods {
        match done {
            PeriodOutcome::ChecksFailed(indicators) => text.push_str(&findings(indicators)),
            PeriodOutcome::Unchanged { revision } => text.push_str(&format!(
                "{period} is closed (revision {revision}); recomputed, the figures are identical: kept as reported, nothing written or sent.\n"
            )),
            PeriodOutcome::Changed { .. } => {}
            PeriodOutcome::Written { indicators, scorecards, flags, restated, .. } => {
                if let Some(from) = restated {
                    text.push_str(&format!(
                        "{period} restated: revision {} replaces revision {from}, which is kept under {}/\n",
                        from + 1,
                        layout::restatement(period, from)
                    ));
                }
                text.push_str(&format!(
                    "Indicators {period}: {} rows, all checks passed, written to {}; proof bundle {}\n",
                    indicators.rows(),
                    indicators.lake_path(),
                    layout::bundle(period)
                ));
                text.push_str(&scored_line(scorecards, flags));
            }
        }
    }
    for note in &outcome.notes {
        text.push_str(&format!("note: {note}\n"));
    }
    for warning in &outcome.warnings {
        text.push_str(&format!("warning: {warning}\n"));
    }
    let reports = |text: &mut String, with_mail: bool| {
        for m in &outcome.mail {
            text.push_str(&rendered(&m.trend_months, &m.rendered, lake));
            if let (true, Some(sent)) = (with_mail, &m.sent) {
                text.push_str(&mail(m.rendered.period, sent));
            }
        }
    };
    match &outcome.ended {
        Ended::IngestHeld => {
            text.push_str(&format!("\nClose {last} stopped at the ingest gate: no indicators computed.\n"))
        }
        Ended::Frozen { period, month, revision, changes: list } => {
            text.push_str(&changes(*period, *revision, list, *month))
        }
        Ended::LateData { findings } => {
            for f in findings {
                text.push_str(&late(f));
            }
        }
        Ended::ChecksFailed => {
            text.push_str(&format!("\nClose {what} stopped: a check failed (above); no report was sent.\n"))
        }
        Ended::GateFailed { failures } => {
            reports(&mut text, false);
            text.push_str(&format!(
                "\nClose {what}: a gate failed, so the reports are DRAFT and nothing was sent:\n{}\nFix the input and run the close again.\n",
                failures.iter().map(|f| format!("  - {f}")).collect::<Vec<_>>().join("\n")
            ));
        }
        Ended::MailFailed => {
            reports(&mut text, true);
            text.push_str(&format!(
                "\nClose {what}: some mail was not delivered (above). The periods stay open: run the close again to retry only what failed.\n"
            ));
        }
        Ended::Done => {
            reports(&mut text, true);
            text.push_str(&format!("\nClose {what} done. The lake is at {}.\n", lake.location()));
            if config.delivery.transport == Transport::Outbox && !outcome.mail.is_empty() {
                text.push_str(&format!(
                    "Mail is in the outbox: {} (open the .eml files with a mail program); the HTML archive is under reports/ in the lake.\n",
                    config.delivery.outbox.display()
                ));
            }
        }
    }
    text.push_str(&format!("\n{}\n", outcome.run.summary()));
    text
}

/// A closed period whose data changed since it closed, and its figures with it.
fn late(finding: &LateFinding) -> String {
    let t = &finding.touched;
    let mut text = format!(
        "\n{} is closed (revision {}), and data it was computed from changed since it closed:\n",
        t.period, t.revision
    );
    for object in &t.objects {
        text.push_str(&format!("  - {object}\n"));
    }
    let month = t.period.months().last().copied().unwrap_or(t.period);
    text.push_str("Recomputed as it was closed, ");
    text.push_str(&restate(t.revision, &finding.changes, month));
    text
}

/// A closed period that recomputes differently, without `--reopen`: what changed and how to restate.
fn changes(period: Period, revision: i64, changes: &[String], month: Period) -> String {
    format!("\n{period} is closed (revision {revision}) and the lake now {}", restate(revision, changes, month))
}

/// `gives different figures (…):`, each change, and the command that restates them.
fn restate(revision: i64, changes: &[String], month: Period) -> String {
    let mut text = format!("gives different figures ({} change(s)):\n", changes.len());
    for change in changes.iter().take(20) {
        text.push_str(&format!("  - {change}\n"));
    }
    if changes.len() > 20 {
        text.push_str(&format!("  … and {} more\n", changes.len() - 20));
    }
    text.push_str(&format!(
        "Nothing was written or sent: the figures as reported stand. To restate them as revision {}, run\n  kpi-close close --month {month} --reopen --reason \"<why: late data, a corrected rule, …>\"\n",
        revision + 1
    ));
    text
}

/// One line on a period's scorecards and the flags they raised.
fn scored_line(scorecards: &Scorecards, flags: &[Flag]) -> String {
    let scored = scorecards.cards.iter().filter(|c| c.total_score.is_some()).count();
    let mut counts = std::collections::BTreeMap::new();
    for f in flags {
        *counts.entry(f.flag).or_insert(0) += 1;
    }
    let counts: Vec<String> = counts.iter().map(|(k, v)| format!("{v} {k}")).collect();
    format!(
        "Scorecards {}: {scored} people scored; flags: {}\n",
        scorecards.period,
        if counts.is_empty() { "none".to_string() } else { counts.join(", ") }
    )
}
