//! Closed periods are frozen (README, "Operating the close"). `closes/period=P.json` in the lake
//! (`lake::records::PeriodClose`) records each period's
//! revisions: revision 1 is the first close; a later close of a closed period recomputes it and
//! compares, writing nothing, and only `close --reopen --reason "…"` makes revision 2 — after the
//! figures as reported are copied to `restatements/period=P/rev=1/` (indicators, scorecards, flags,
//! proof bundle, report archive), where the reports find them to show as-reported vs restated.
//!
//! A period is `closing` from the moment a close starts computing it until every report of it was
//! delivered; a close that died or could not deliver leaves it `closing`, and the next close resumes
//! the same revision (recomputing, and sending only what was not sent).

use crate::lake::records::{self, PeriodClose, Revision, Status};
use crate::lake::{Lake, LakeError, layout};
use crate::period::Period;

/// What a close does with one period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Never closed: compute revision 1.
    First,
    /// A close of this revision did not finish: compute it again.
    Resume(i64),
    /// Closed at this revision: recompute and compare; write nothing.
    Frozen(i64),
    /// Closed at this revision and `--reopen` given: recompute; if anything changed, restate.
    Reopen(i64),
}

pub fn decide(state: Option<&PeriodClose>, reopen: bool) -> Decision {
    match state {
        None => Decision::First,
        Some(s) if s.status == Status::Closing => Decision::Resume(s.revision),
        Some(s) if reopen => Decision::Reopen(s.revision),
        Some(s) => Decision::Frozen(s.revision),
    }
}

fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

pub async fn read(lake: &Lake, period: Period) -> Result<Option<PeriodClose>, LakeError> {
    PeriodClose::load(lake, period).await
}

async fn write(lake: &Lake, period: Period, state: &PeriodClose) -> Result<(), LakeError> {
    records::write(lake, &layout::close_state(period), state).await
}

/// Records that `revision` of `period` is being computed (by `run_id`, for `reason`).
pub async fn begin(
    lake: &Lake,
    period: Period,
    revision: i64,
    reason: Option<&str>,
    run_id: &str,
) -> Result<(), LakeError> {
    let mut state = read(lake, period).await?.unwrap_or(PeriodClose {
        period: period.to_string(),
        revision,
        status: Status::Closing,
        revisions: Vec::new(),
    });
    if state.revisions.last().map(|r| r.revision) == Some(revision) && state.status == Status::Closing {
        return Ok(());
    }
    state.revision = revision;
    state.status = Status::Closing;
    state.revisions.push(Revision {
        revision,
        reason: reason.map(str::to_string),
        run_id: run_id.to_string(),
        started_at: now(),
        closed_at: None,
    });
    write(lake, period, &state).await
}

/// Records that the period's current revision is closed: computed, gated and delivered.
pub async fn finish(lake: &Lake, period: Period) -> Result<(), LakeError> {
    let Some(mut state) = read(lake, period).await? else { return Ok(()) };
    if state.status == Status::Closed {
        return Ok(());
    }
    state.status = Status::Closed;
    if let Some(last) = state.revisions.last_mut() {
        last.closed_at = Some(now());
    }
    write(lake, period, &state).await
}

/// The lake objects that make up one revision of a period as reported, each with where its archived
/// copy goes.
async fn reported_objects(lake: &Lake, period: Period, revision: i64) -> Result<Vec<(String, String)>, LakeError> {
    let mut out = vec![
        (layout::indicators(period), layout::restated_table(period, revision, layout::INDICATORS_DIR)),
        (layout::scorecards(period), layout::restated_table(period, revision, layout::SCORECARDS_DIR)),
        (layout::flags(period), layout::restated_table(period, revision, layout::FLAGS_DIR)),
        (layout::bundle(period), layout::restated_bundle(period, revision)),
    ];
    let reports = layout::reports(period);
    let kept = layout::restated_reports(period, revision);
    for object in lake.list(&reports).await? {
        let rest = object.strip_prefix(&format!("{reports}/")).unwrap_or(&object).to_string();
        out.push((object, format!("{kept}/{rest}")));
    }
    Ok(out)
}

/// Copies revision `revision` of `period` as reported to its archive folder. Safe to repeat: until a
/// restatement is begun the tables still hold this revision.
pub async fn archive(lake: &Lake, period: Period, revision: i64) -> Result<usize, LakeError> {
    let mut copied = 0;
    for (from, to) in reported_objects(lake, period, revision).await? {
        if let Some(bytes) = lake.get(&from).await? {
            lake.put(&to, bytes).await?;
            copied += 1;
        }
    }
    Ok(copied)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(revision: i64, status: Status) -> PeriodClose {
        PeriodClose { period: "2026-10".into(), revision, status, revisions: Vec::new() }
    }

    #[test]
    fn a_closed_period_is_frozen_unless_reopened_and_an_unfinished_one_resumes() {
        assert_eq!(decide(None, false), Decision::First);
        assert_eq!(decide(None, true), Decision::First);
        assert_eq!(decide(Some(&state(1, Status::Closing)), false), Decision::Resume(1));
        assert_eq!(decide(Some(&state(2, Status::Closing)), true), Decision::Resume(2));
        assert_eq!(decide(Some(&state(1, Status::Closed)), false), Decision::Frozen(1));
        assert_eq!(decide(Some(&state(1, Status::Closed)), true), Decision::Reopen(1));
    }

    #[tokio::test]
    async fn revisions_are_recorded_once_each_and_the_reported_figures_are_archived() {
        let lake = Lake::in_memory();
        let period: Period = "2026-10".parse().unwrap();
        lake.put(&layout::indicators(period), "rev 1 figures").await.unwrap();
        lake.put(&layout::report_file(period, "en", "leadership", "html"), "<p>rev 1</p>").await.unwrap();
        begin(&lake, period, 1, None, "run-a").await.unwrap();
        begin(&lake, period, 1, None, "run-b").await.unwrap();
        assert_eq!(read(&lake, period).await.unwrap().unwrap().revisions.len(), 1, "a resumed close adds nothing");
        finish(&lake, period).await.unwrap();
        let closed = read(&lake, period).await.unwrap().unwrap();
        assert_eq!((closed.revision, closed.status), (1, Status::Closed));
        assert!(closed.revisions[0].closed_at.is_some());

        assert_eq!(archive(&lake, period, 1).await.unwrap(), 2);
        begin(&lake, period, 2, Some("late orders"), "run-c").await.unwrap();
        lake.put(&layout::indicators(period), "rev 2 figures").await.unwrap();
        let kept = lake.get(&layout::restated_table(period, 1, "indicators")).await.unwrap().unwrap();
        assert_eq!(&kept[..], b"rev 1 figures");
        assert!(lake.exists(&format!("{}/en/leadership.html", layout::restated_reports(period, 1))).await.unwrap());
        let state = read(&lake, period).await.unwrap().unwrap();
        assert_eq!((state.revision, state.status), (2, Status::Closing));
        assert_eq!(state.revisions[1].reason.as_deref(), Some("late orders"));
    }
}
