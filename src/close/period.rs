//! One period inside a close: compute and write it (first close, or a close that did not finish),
//! or — when it is already closed — recompute it, compare with what was reported, and write nothing
//! unless `--reopen` asks for a restatement and something changed.

use super::revision::{self, Decision};
use super::{CloseError, Result};
use crate::config::Config;
use crate::engine::AsOf;
use crate::kpis::{self, Indicators};
use crate::lake::{self, Lake, layout, tables};
use crate::period::Period;
use crate::proof::Recomputed;
use crate::score::{self, Scorecards};

/// What became of one period.
#[derive(Debug)]
pub enum Outcome {
    /// Computed and written; `restated` is the revision it replaced, when it is a restatement.
    Written {
        revision: i64,
        indicators: Indicators,
        scorecards: Scorecards,
        flags: Vec<score::flags::Flag>,
        restated: Option<i64>,
    },
    /// An indicator check failed: nothing written.
    ChecksFailed(Indicators),
    /// Closed at `revision`, and recomputing gives the same figures: nothing written.
    Unchanged { revision: i64 },
    /// Closed at `revision`, recomputing gives different figures, and no `--reopen`: nothing written.
    Changed { revision: i64, changes: Vec<String> },
}

/// Closes `period` under the decision its close state implied when the close was planned
/// (`reopen`: the reason, when the close was started with `--reopen`).
pub async fn close(
    config: &Config,
    lake: &Lake,
    period: Period,
    decision: Decision,
    reopen: Option<&str>,
    run_id: &str,
) -> Result<Outcome> {
    let revision = match decision {
        Decision::First => 1,
        Decision::Resume(r) | Decision::Frozen(r) | Decision::Reopen(r) => r,
    };
    // A first close takes the org and plan as they are now (and archives them with the proof
    // bundle); every later computation of the period — a resumed close, a check of a closed one, a
    // restatement — takes them as archived, so a later hire, team move or target edit never moves a
    // closed period: only its data and the rules do.
    let as_of = match decision {
        Decision::First => AsOf::end_of(period),
        Decision::Resume(_) | Decision::Frozen(_) | Decision::Reopen(_) => AsOf::as_closed(period),
    };
    let indicators = kpis::compute(config, lake, period, revision, as_of).await?;
    if !indicators.findings.is_empty() {
        return Ok(Outcome::ChecksFailed(indicators));
    }
    let (revision, reason, restated) = match decision {
        Decision::First | Decision::Resume(_) => (revision, None, None),
        Decision::Frozen(r) | Decision::Reopen(r) => {
            let changes = changes(config, lake, &indicators, r, as_of).await?;
            if changes.is_empty() {
                return Ok(Outcome::Unchanged { revision: r });
            }
            let Some(reason) = reopen else { return Ok(Outcome::Changed { revision: r, changes }) };
            let copied = revision::archive(lake, period, r).await?;
            tracing::info!(%period, revision = r, objects = copied, "Kept the figures as reported");
            (r + 1, Some(reason), Some(r))
        }
    };
    revision::begin(lake, period, revision, reason, run_id).await?;
    // The org the figures were computed from is archived with the period: a first close archives the
    // lake's; later ones keep what was archived (a close that died before archiving archives now).
    crate::proof::archive_org(lake, period, decision == Decision::First).await?;
    let indicators = indicators.with_revision(revision).map_err(CloseError::arrow)?;
    kpis::write(lake, &indicators).await?;
    let scorecards = score::compute(config, lake, period, AsOf::as_closed(period)).await?;
    score::write(lake, &scorecards, revision).await?;
    let flags = score::flags(config, lake, &scorecards).await?;
    score::write_flags(lake, period, &flags).await?;
    let recomputed = Recomputed { indicators: &indicators.batches, reads: &indicators.reads };
    crate::proof::write(config, lake, period, recomputed, revision).await?;
    Ok(Outcome::Written { revision, indicators, scorecards, flags, restated })
}

/// How a closed period's recomputation differs from what is stored: each indicator whose figures
/// changed, then the scorecards and flags as a whole (they are recomputed from the stored
/// indicators, so they differ only when targets, schemes or rules did). `revision`: the one stored.
/// Empty: identical.
async fn changes(
    config: &Config,
    lake: &Lake,
    indicators: &Indicators,
    revision: i64,
    as_of: AsOf,
) -> Result<Vec<String>> {
    let period = indicators.period;
    let stored = lake.get(&layout::indicators(period)).await?;
    let now = lake::parquet_bytes(indicators.schema.clone(), &indicators.batches)?;
    if stored.as_deref() != Some(&now[..]) {
        return Ok(crate::proof::indicator_changes(lake, period, &indicators.batches).await?);
    }
    let mut out = Vec::new();
    let scorecards = score::compute(config, lake, period, as_of).await?;
    let batch = scorecards.batch(revision).map_err(CloseError::arrow)?;
    if lake.get(&layout::scorecards(period)).await?.as_deref()
        != Some(&lake::parquet_bytes(tables::scorecards(), &[batch])?[..])
    {
        out.push(format!(
            "scorecards {period}: differ from those reported (targets, schemes or scoring rules changed)"
        ));
    }
    let flags = score::flags(config, lake, &scorecards).await?;
    let batch = score::flags_batch(&flags).map_err(CloseError::arrow)?;
    if lake.get(&layout::flags(period)).await?.as_deref() != Some(&lake::parquet_bytes(tables::flags(), &[batch])?[..])
    {
        out.push(format!("flags {period}: differ from those reported"));
    }
    Ok(out)
}
