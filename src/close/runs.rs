//! The record of every close (`runs/<run-id>.json`, `lake::records::Run`): started `running`,
//! saved after each stage and again when the close ends.

use crate::deliver;
use crate::lake::records::{Run, SendEntry, Sent, Stage, Totals};
use crate::period::Period;

fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

impl Run {
    pub fn start(command: &str, periods: Vec<String>) -> Run {
        let started = chrono::Utc::now();
        Run {
            run_id: format!("{}-{}", started.format("%Y%m%dT%H%M%S%.3fZ"), std::process::id()),
            command: command.to_string(),
            periods,
            revision: 1,
            status: "running".into(),
            started_at: now(),
            finished_at: None,
            stages: Vec::new(),
            sent: Vec::new(),
            totals: Totals::default(),
            message: None,
        }
    }

    pub fn stage(&mut self, name: &str, since: std::time::Instant) {
        self.stages
            .push(Stage { name: name.to_string(), seconds: (since.elapsed().as_secs_f64() * 10.0).round() / 10.0 });
    }

    pub fn finish(&mut self, status: &str, message: Option<String>) {
        self.status = status.to_string();
        self.message = message;
        self.finished_at = Some(now());
    }

    /// The line a close ends with: how it ended, rows in, flagged, indicators, reports, mails, time.
    pub fn summary(&self) -> String {
        let t = &self.totals;
        let count = |status: &[&str]| self.sent.iter().filter(|s| status.contains(&s.status.as_str())).count();
        let seconds: f64 = self.stages.iter().map(|s| s.seconds).sum();
        format!(
            "{}: {} · {} rows in ({} rejected) · {} flagged · {} indicator rows for {} period(s) · {} reports · {} mails sent, {} already sent, {} failed · {seconds:.1} s",
            self.status.to_uppercase(),
            self.command,
            t.rows,
            t.rejected,
            t.flagged,
            t.indicators,
            t.periods,
            t.reports,
            count(&["sent"]),
            count(&["already sent"]),
            count(&["failed", "uncertain"]),
        )
    }
}

/// The run record's view of what a send did.
pub fn sent_lines(period: Period, outcome: &deliver::Outcome) -> Vec<Sent> {
    let line = |e: &SendEntry, status: &str| Sent {
        period: period.to_string(),
        report: e.report.clone(),
        recipient: e.recipient.clone(),
        status: status.to_string(),
    };
    let mut out: Vec<_> = outcome.sent.iter().map(|e| line(e, "sent")).collect();
    out.extend(outcome.skipped.iter().map(|e| line(e, "already sent")));
    out.extend(outcome.failed.iter().map(|e| line(e, "failed")));
    out.extend(outcome.uncertain.iter().map(|e| line(e, "uncertain")));
    out
}
