//! Gates before anything is sent (README, "Operating the close"). A close mails a period only when every gate passes;
//! otherwise its reports are rendered as DRAFT, nothing is sent, and the close exits 1 with what
//! failed. The result is stored as `gates/period=<P>.json` (`lake::records::Gates`), which `render`
//! and `send` read.
//!
//! - sources: every dataset that had data in the month before has data in the closing month (a
//!   missing or stale export shows up as a dataset that stopped);
//! - ingest: no export was held back and no dataset's reject ratio is above `ingest.max_reject_ratio`
//!   (the ingest stage's own gate; a close stops there before computing anything);
//! - checks: every SQL check in `sql/checks/` returned no rows for every period computed, which
//!   includes the reconciliation of person → team → company sums;
//! - targets: with `scoring.strict`, the plan of the periods to mail holds every target their
//!   scorecards need and its additive targets add up (without it, what is wrong is a warning).

use crate::lake::records::{self, Gate, Gates, IngestManifest};
use crate::lake::{Lake, LakeError, layout};
use crate::period::Period;

/// Datasets that had data in the month before `month` but have none in it.
pub fn sources(manifest: &IngestManifest, month: Period) -> Gate {
    let (this, before) = (month.to_string(), month.shifted(-1).to_string());
    let stopped: Vec<&str> = manifest
        .datasets
        .iter()
        .filter(|(_, d)| d.months.contains(&before) && !d.months.contains(&this))
        .map(|(name, _)| name.as_str())
        .collect();
    Gate {
        name: "sources".into(),
        passed: stopped.is_empty(),
        detail: if stopped.is_empty() {
            format!("every dataset with data for {before} has data for {this}")
        } else {
            format!("no data for {this} in {} (there was for {before}): is an export missing?", stopped.join(", "))
        },
    }
}

/// The SQL checks over every period the close computed.
pub fn checks(failed_periods: &[Period]) -> Gate {
    Gate {
        name: "checks".into(),
        passed: failed_periods.is_empty(),
        detail: if failed_periods.is_empty() {
            "every SQL check (incl. person → team → company reconciliation) returned no rows".into()
        } else {
            let list: Vec<String> = failed_periods.iter().map(ToString::to_string).collect();
            format!("SQL checks returned rows for {} (listed above)", list.join(", "))
        },
    }
}

/// The plan's findings for the periods to mail (`score::check_plan`): they hold the mail back only
/// with `scoring.strict`.
pub fn targets(findings: &[String], strict: bool) -> Gate {
    Gate {
        name: "targets".into(),
        passed: findings.is_empty() || !strict,
        detail: match (findings.len(), strict) {
            (0, _) => "every target the scorecards need is planned, and additive targets add up".into(),
            (n, true) => format!("{n} finding(s) about the plan's targets (listed above; scoring.strict)"),
            (n, false) => {
                format!("{n} warning(s) about the plan's targets (listed above); scoring.strict would hold the mail")
            }
        },
    }
}

pub async fn write(lake: &Lake, period: Period, gates: &Gates) -> Result<(), LakeError> {
    records::write(lake, &layout::gates(period), gates).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lake::records::DatasetEntry;

    #[test]
    fn a_dataset_that_stops_fails_the_sources_gate() {
        let month: Period = "2026-10".parse().unwrap();
        let entry = |months: &[&str]| DatasetEntry {
            months: months.iter().map(|m| m.to_string()).collect(),
            ..Default::default()
        };
        let mut manifest = IngestManifest::default();
        manifest.datasets.insert("orders".into(), entry(&["2026-09", "2026-10"]));
        manifest.datasets.insert("nps_responses".into(), entry(&["2026-06"]));
        manifest.datasets.insert("people".into(), entry(&[]));
        assert!(sources(&manifest, month).passed, "a dataset with gaps before is not expected every month");
        manifest.datasets.insert("web_events".into(), entry(&["2026-08", "2026-09"]));
        let gate = sources(&manifest, month);
        assert!(!gate.passed);
        assert!(gate.detail.contains("no data for 2026-10 in web_events"), "{}", gate.detail);
        let gates = Gates { period: "2026-10".into(), gates: vec![gate, checks(&[])] };
        assert_eq!(gates.failures().len(), 1);
    }
}
