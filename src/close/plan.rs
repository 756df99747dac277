//! Planning a close: what it would read, which periods it computes and what it does with each, and
//! who would receive the reports. `--dry-run` prints this plan; `execute` runs it.

use super::Result;
use super::revision::{self, Decision};
use crate::config::Config;
use crate::deliver::{self, Delivery};
use crate::ingest::{self, IngestPlan};
use crate::lake::Lake;
use crate::period::Period;
use crate::report::{self, data::ReportData};

/// A close as asked for on the command line, checked once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CloseRequest {
    /// The months to close, in order (one for `--month`).
    pub first: Period,
    pub last: Period,
    /// How long to wait for another close holding the lake.
    pub wait_seconds: u64,
    /// `--reopen --reason …`: the reason restated figures are shown with.
    pub reopen: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct RequestError(pub String);

impl CloseRequest {
    /// `first` … `last` must be months in order; a reopen needs a reason that says something.
    pub fn new(
        first: Period,
        last: Period,
        wait_seconds: u64,
        reopen: Option<String>,
    ) -> Result<CloseRequest, RequestError> {
        let is_month = |p: Period| matches!(p, Period::Month { .. });
        if !is_month(first) || !is_month(last) || first > last {
            return Err(RequestError("give --month M, or --from M1 --to M2 with M1 not after M2".into()));
        }
        let reopen = match reopen.map(|r| r.trim().to_string()) {
            Some(r) if r.is_empty() => {
                return Err(RequestError("--reason must say why the figures are restated".into()));
            }
            Some(_) if first != last => {
                return Err(RequestError("--reopen restates one month: give --month, not --from/--to".into()));
            }
            r => r,
        };
        Ok(CloseRequest { first, last, wait_seconds, reopen })
    }

    /// A close of one month, as the schedule runs it.
    pub fn month(month: Period, wait_seconds: u64) -> Result<CloseRequest, RequestError> {
        CloseRequest::new(month, month, wait_seconds, None)
    }

    /// The months, in order.
    pub fn months(&self) -> impl Iterator<Item = Period> {
        self.first.through(self.last)
    }

    /// How the close is named in messages: `2026-10`, or `2025-01 … 2026-10` for a backfill.
    pub fn label(&self) -> String {
        if self.first == self.last { self.first.to_string() } else { format!("{} … {}", self.first, self.last) }
    }

    /// The command line it stands for, as the run record and the lock name it.
    pub fn command(&self) -> String {
        match (self.first == self.last, &self.reopen) {
            (true, Some(reason)) => format!("close --month {} --reopen --reason {reason:?}", self.first),
            (true, None) => format!("close --month {}", self.first),
            (false, _) => format!("close --from {} --to {}", self.first, self.last),
        }
    }
}

/// One period of the close and what the close does with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PeriodPlan {
    pub period: Period,
    pub decision: Decision,
}

/// One month of the close: the month, and each period it computes.
#[derive(Debug, Clone)]
pub struct MonthPlan {
    pub month: Period,
    pub periods: Vec<PeriodPlan>,
}

/// Who would receive a period's reports, from the org and scorecards already in the lake (`None`:
/// not known before the period is scored).
#[derive(Debug, Clone)]
pub struct MailPreview {
    pub period: Period,
    pub recipients: Option<(Vec<Delivery>, Vec<String>)>,
}

#[derive(Debug, Clone)]
pub struct ClosePlan {
    pub request: CloseRequest,
    pub ingest: IngestPlan,
    pub months: Vec<MonthPlan>,
    /// The periods the last month ends: the ones mailed.
    pub mail: Vec<MailPreview>,
}

impl ClosePlan {
    /// Every period the close computes, in order.
    pub fn periods(&self) -> impl Iterator<Item = &PeriodPlan> {
        self.months.iter().flat_map(|m| m.periods.iter())
    }
}

/// Plans the close `request` asks for. Reads the exports and the lake; writes nothing.
pub async fn plan(config: &Config, lake: &Lake, request: CloseRequest) -> Result<ClosePlan> {
    let ingest = ingest::plan(config, lake).await?;
    let mut months = Vec::new();
    for month in request.months() {
        months.push(MonthPlan { month, periods: periods_of(lake, month, request.reopen.is_some()).await? });
    }
    let mut mail = Vec::new();
    for period in request.last.ended_by() {
        let recipients = match ReportData::read(config, lake, period).await {
            Ok(data) if !data.lines.is_empty() => {
                Some(deliver::recipients(config, &report::audiences(&data), &data.people))
            }
            _ => None,
        };
        mail.push(MailPreview { period, recipients });
    }
    Ok(ClosePlan { request, ingest, months, mail })
}

/// The periods a close of `month` computes — those it ends and, reopening, also the closed quarter,
/// half-year and year that hold it (a restated month changes them too) — each with its decision.
async fn periods_of(lake: &Lake, month: Period, reopen: bool) -> Result<Vec<PeriodPlan>> {
    let ended = month.ended_by();
    let mut out = Vec::new();
    for period in month.containing() {
        let state = revision::read(lake, period).await?;
        if ended.contains(&period) || (reopen && state.is_some()) {
            out.push(PeriodPlan { period, decision: revision::decide(state.as_ref(), reopen) });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn month(m: &str) -> Period {
        m.parse().unwrap()
    }

    #[test]
    fn a_request_is_months_in_order_and_a_reopen_says_why() {
        let ok = CloseRequest::new(month("2026-09"), month("2026-10"), 0, None).unwrap();
        assert_eq!(ok.command(), "close --from 2026-09 --to 2026-10");
        assert_eq!(ok.label(), "2026-09 … 2026-10");
        assert_eq!(ok.months().count(), 2);
        assert!(CloseRequest::new(month("2026-10"), month("2026-09"), 0, None).is_err());
        assert!(CloseRequest::new(month("2026-Q4"), month("2026-Q4"), 0, None).is_err());
        let err = CloseRequest::new(month("2026-10"), month("2026-10"), 0, Some("  ".into())).unwrap_err();
        assert!(err.0.contains("--reason must say why"), "{err}");
        let reopen = CloseRequest::new(month("2026-10"), month("2026-10"), 0, Some(" late orders ".into())).unwrap();
        assert_eq!(reopen.command(), "close --month 2026-10 --reopen --reason \"late orders\"");
    }
}
