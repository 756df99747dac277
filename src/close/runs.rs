//! The record of every close (`runs/<run id>.json` in the lake): what ran, for which periods, how
//! long each stage took, how it ended and what was mailed to whom. Written when a close starts
//! (`running`) and again when it ends, so a close that died shows as `running` with no end.

use serde::{Deserialize, Serialize};

use crate::lake::{Lake, LakeError};

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Stage {
    pub name: String,
    pub seconds: f64,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Sent {
    pub period: String,
    pub report: String,
    pub recipient: String,
    /// `sent`, `already sent`, `failed`, `uncertain`.
    pub status: String,
}

/// What a close got through: the figures of its one-line summary.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Totals {
    /// Rows in the lake after ingest, and rows rejected.
    pub rows: u64,
    pub rejected: u64,
    /// Rows the audit rules flagged (and the indicators exclude).
    pub flagged: u64,
    /// Indicator rows written, and for how many periods.
    pub indicators: usize,
    pub periods: usize,
    /// Report documents rendered.
    pub reports: usize,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Run {
    pub run_id: String,
    pub command: String,
    pub periods: Vec<String>,
    pub revision: i64,
    /// `running`, `ok`, `gate failed`, `failed`.
    pub status: String,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub stages: Vec<Stage>,
    pub sent: Vec<Sent>,
    #[serde(default)]
    pub totals: Totals,
    /// Why it did not end `ok`.
    pub message: Option<String>,
}

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

    pub fn path(&self) -> String {
        format!("runs/{}.json", self.run_id)
    }

    pub async fn save(&self, lake: &Lake) -> Result<(), LakeError> {
        let mut bytes = serde_json::to_vec_pretty(self).unwrap_or_default();
        bytes.push(b'\n');
        lake.put(&self.path(), bytes).await
    }
}

/// Every recorded close, oldest first.
pub async fn list(lake: &Lake) -> Result<Vec<Run>, LakeError> {
    let mut out = Vec::new();
    for path in lake.list("runs").await? {
        if let Some(bytes) = lake.get(&path).await?
            && let Ok(run) = serde_json::from_slice::<Run>(&bytes)
        {
            out.push(run);
        }
    }
    out.sort_by(|a, b| a.run_id.cmp(&b.run_id));
    Ok(out)
}
