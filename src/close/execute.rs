//! Executing a close plan: the stages in their order, under the lake's lock, recorded in `runs/`.

use std::time::Instant;

use super::gates;
use super::late::{self, Touched};
use super::period::{self, Outcome};
use super::plan::ClosePlan;
use super::revision;
use super::revision::Decision;
use super::runs::sent_lines;
use super::{CloseError, Result, commands, lock};
use crate::audit;
use crate::config::Config;
use crate::deliver;
use crate::exit::ExitCode;
use crate::ingest::{self, IngestReport};
use crate::lake::Lake;
use crate::lake::records::{AuditManifest, Gates, IngestManifest, Run};
use crate::period::Period;
use crate::report::Rendered;
use crate::score;

/// How a close ended.
#[derive(Debug)]
pub enum Ended {
    /// Everything computed, gated, rendered and delivered; the periods are closed.
    Done,
    /// An export was held back at ingest: nothing computed.
    IngestHeld,
    /// A closed period recomputes to different figures and no `--reopen` was given: nothing written
    /// or sent.
    Frozen { period: Period, month: Period, revision: i64, changes: Vec<String> },
    /// An indicator check failed: nothing stored for that period, nothing rendered or sent.
    ChecksFailed,
    /// A gate failed: the reports are DRAFT and nothing was sent.
    GateFailed { failures: Vec<String> },
    /// Some mail was not delivered: the periods stay open for the next close to retry.
    MailFailed,
    /// Data that closed periods were computed from changed since they closed, and their figures
    /// with it: nothing computed, written or sent; each needs `--reopen`.
    LateData { findings: Vec<LateFinding> },
}

/// A closed period whose data changed since it closed, and how its figures change.
#[derive(Debug)]
pub struct LateFinding {
    pub touched: Touched,
    pub changes: Vec<String>,
}

impl Ended {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Ended::Done => ExitCode::Ok,
            Ended::MailFailed => ExitCode::Runtime,
            Ended::IngestHeld
            | Ended::Frozen { .. }
            | Ended::ChecksFailed
            | Ended::GateFailed { .. }
            | Ended::LateData { .. } => ExitCode::DataGate,
        }
    }
}

/// One mailed period: its reports and, when the gates passed, what was sent.
#[derive(Debug)]
pub struct PeriodMail {
    /// Months whose indicators were computed for the trends.
    pub trend_months: Vec<Period>,
    pub rendered: Rendered,
    pub sent: Option<deliver::Outcome>,
}

/// What a close did, in the order it did it; a stage that did not run is absent.
#[derive(Debug)]
pub struct CloseOutcome {
    pub plan: ClosePlan,
    pub ended: Ended,
    pub ingest: IngestReport,
    pub audit: Option<AuditManifest>,
    /// Every period computed (or recomputed), in order.
    pub periods: Vec<(Period, Outcome)>,
    pub mail: Vec<PeriodMail>,
    /// What the close noticed that changes nothing it does (closed periods whose data changed but
    /// whose figures did not, or that a restatement leaves to a later one).
    pub notes: Vec<String>,
    /// What is wrong with the plan of the periods it mails (missing targets, additive targets that
    /// do not add up): warnings, or the failing `targets` gate with `scoring.strict`.
    pub warnings: Vec<String>,
    /// The run record, finished.
    pub run: Run,
}

/// Runs the plan under the lake's lock and records it in `runs/`.
pub async fn execute(config: &Config, lake: &Lake, plan: ClosePlan) -> Result<CloseOutcome> {
    let command = plan.request.command();
    let wait = std::time::Duration::from_secs(plan.request.wait_seconds);
    let lock = lock::acquire(lake, &command, wait).await?;
    let periods = plan.periods().map(|p| p.period.to_string()).collect();
    let mut run = Run::start(&command, periods);
    run.save(lake).await?;
    let result = stages(config, lake, &plan, &mut run).await;
    match &result {
        Ok(done) => match done.ended.exit_code() {
            ExitCode::Ok => run.finish("ok", None),
            ExitCode::DataGate => run.finish("gate failed", Some("a data gate or check failed".into())),
            _ => run.finish("failed", Some("some mail was not delivered".into())),
        },
        Err(e) => run.finish("failed", Some(e.to_string())),
    }
    let saved = run.save(lake).await;
    lock.release().await?;
    saved?;
    let done = result?;
    Ok(CloseOutcome {
        plan,
        ended: done.ended,
        ingest: done.ingest,
        audit: done.audit,
        periods: done.periods,
        mail: done.mail,
        notes: done.notes,
        warnings: done.warnings,
        run,
    })
}

struct Done {
    ended: Ended,
    ingest: IngestReport,
    audit: Option<AuditManifest>,
    periods: Vec<(Period, Outcome)>,
    mail: Vec<PeriodMail>,
    notes: Vec<String>,
    warnings: Vec<String>,
}

/// The stages, in their order. Each saves the run record when it ends.
async fn stages(config: &Config, lake: &Lake, plan: &ClosePlan, run: &mut Run) -> Result<Done> {
    let started = Instant::now();
    let report = ingest::run(config, lake, &plan.ingest).await?;
    run.stage("ingest", started);
    run.totals.rows = report.datasets.iter().map(|d| d.entry.rows).sum();
    run.totals.rejected = report.datasets.iter().map(|d| d.entry.rows_rejected).sum();
    run.save(lake).await?;
    let mut done = Done {
        ended: Ended::Done,
        ingest: report,
        audit: None,
        periods: Vec::new(),
        mail: Vec::new(),
        notes: Vec::new(),
        warnings: Vec::new(),
    };
    if !done.ingest.problems.is_empty() {
        done.ended = Ended::IngestHeld;
        return Ok(done);
    }

    let started = Instant::now();
    let manifest = audit::run(config, lake).await?;
    run.stage("audit", started);
    run.totals.flagged = manifest.rules.values().map(|r| r.rows_flagged).sum();
    run.save(lake).await?;
    done.audit = Some(manifest);

    let started = Instant::now();
    let reopen = plan.request.reopen.as_deref();
    // Closed periods outside this close whose data changed since they closed: recomputed as they
    // were closed; changed figures stop the close (a restatement of another period only notes them).
    let in_plan: Vec<Period> = plan.periods().map(|p| p.period).collect();
    let mut findings = Vec::new();
    for touched in late::touched(lake, &plan.ingest, &in_plan).await? {
        let frozen = Decision::Frozen(touched.revision);
        let changes = match period::close(config, lake, touched.period, frozen, None, &run.run_id).await? {
            Outcome::Changed { changes, .. } => changes,
            Outcome::ChecksFailed(_) => vec!["its SQL checks now return rows".to_string()],
            Outcome::Unchanged { .. } | Outcome::Written { .. } => {
                done.notes.push(format!(
                    "{} is closed; data it was computed from changed since, its figures did not ({} object(s); `verify --period {}` names them)",
                    touched.period,
                    touched.objects.len(),
                    touched.period
                ));
                continue;
            }
        };
        findings.push(LateFinding { touched, changes });
    }
    if !findings.is_empty() {
        if reopen.is_none() {
            run.stage("late data", started);
            done.ended = Ended::LateData { findings };
            return Ok(done);
        }
        for f in findings {
            done.notes.push(format!(
                "{} is closed and its data changed too ({} change(s) of its figures): restate it in a close of its own",
                f.touched.period,
                f.changes.len()
            ));
        }
    }
    let mut failed = Vec::new();
    // The periods written by this close, and those of the last month (which are mailed).
    let (mut written, mut to_send) = (Vec::new(), Vec::new());
    for month in &plan.months {
        for p in &month.periods {
            let outcome = period::close(config, lake, p.period, p.decision, reopen, &run.run_id).await?;
            match &outcome {
                Outcome::ChecksFailed(_) => failed.push(p.period),
                Outcome::Unchanged { .. } => {}
                Outcome::Changed { revision, changes } => {
                    run.stage("indicators and scores", started);
                    done.ended = Ended::Frozen {
                        period: p.period,
                        month: month.month,
                        revision: *revision,
                        changes: changes.clone(),
                    };
                    done.periods.push((p.period, outcome));
                    return Ok(done);
                }
                Outcome::Written { revision, indicators, .. } => {
                    run.revision = run.revision.max(*revision);
                    run.totals.indicators += indicators.rows();
                    run.totals.periods += 1;
                    written.push(p.period);
                    if month.month == plan.request.last {
                        to_send.push(p.period);
                    }
                }
            }
            done.periods.push((p.period, outcome));
        }
    }
    run.stage("indicators and scores", started);
    run.save(lake).await?;

    let started = Instant::now();
    let manifest = IngestManifest::load(lake).await?;
    if !to_send.is_empty() {
        done.warnings = score::check_plan(config, lake).await?.messages(Some(&to_send));
    }
    for warning in &done.warnings {
        tracing::warn!("{warning}");
    }
    let checks = vec![
        gates::sources(&manifest, plan.request.last),
        gates::checks(&failed),
        gates::targets(&done.warnings, config.scoring.strict),
    ];
    for period in &to_send {
        let gates = Gates { period: period.to_string(), gates: checks.clone() };
        gates::write(lake, *period, &gates).await?;
    }
    let gates = Gates { period: plan.request.last.to_string(), gates: checks };
    if !failed.is_empty() {
        // A period whose checks failed has no indicators stored: there is nothing to render.
        done.ended = Ended::ChecksFailed;
        return Ok(done);
    }
    let gated = gates.passed();
    // Reports go out for the periods the last month closes; a backfill's earlier months are
    // computed and stored, not mailed again.
    let mut sent_failed = false;
    for period in &to_send {
        let (trend_months, rendered) = commands::render(config, lake, *period).await?;
        run.totals.reports += rendered.documents.len();
        let sent = match gated {
            false => None,
            true => {
                let outcome =
                    commands::mail(config, lake, &rendered.data, &rendered.documents, Default::default()).await?;
                sent_failed |= !outcome.failed.is_empty() || !outcome.uncertain.is_empty();
                run.sent.extend(sent_lines(*period, &outcome));
                Some(outcome)
            }
        };
        done.mail.push(PeriodMail { trend_months, rendered, sent });
    }
    if !gated {
        run.stage("reports (draft)", started);
        done.ended = Ended::GateFailed { failures: gates.failures() };
        return Ok(done);
    }
    run.stage("reports and mail", started);
    if sent_failed {
        done.ended = Ended::MailFailed;
        return Ok(done);
    }
    // Delivered: the periods are closed, and frozen from now on.
    for period in &written {
        revision::finish(lake, *period).await?;
    }
    Ok(done)
}

impl From<datafusion::arrow::error::ArrowError> for CloseError {
    fn from(e: datafusion::arrow::error::ArrowError) -> CloseError {
        CloseError::Arrow(e)
    }
}
