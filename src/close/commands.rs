//! The single-stage commands (`ingest`, `audit`, `kpis`, `score`, `render`, `send`, `verify`), each
//! composed of the stages it needs: `score` computes the period's indicators first when the lake has
//! none, `render` the trend months never closed, `audit` the period's indicators for its report.
//! A closed period is printed as it recomputes but never rewritten by them.

use super::Result;
use crate::audit::{self, report::AuditReport};
use crate::config::Config;
use crate::deliver::{self, Mailing};
use crate::document::Document;
use crate::engine::{self, AsOf, Scope};
use crate::ingest::{self, IngestReport};
use crate::kpis::{self, Indicators};
use crate::lake::records::{AuditManifest, IngestManifest, PeriodClose};
use crate::lake::{Lake, layout};
use crate::period::Period;
use crate::proof::{self, Recomputed, Verification};
use crate::report::{self, Rendered, data::ReportData};
use crate::score::{self, Scorecards, flags::Flag};

/// The revision the lake holds for a period and whether it is closed — then a stage command prints
/// it as it recomputes but does not change it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    pub revision: i64,
    pub closed: bool,
}

impl Stored {
    pub async fn of(lake: &Lake, period: Period) -> Result<Stored> {
        let state = PeriodClose::load(lake, period).await?;
        Ok(Stored {
            revision: PeriodClose::revision_of(state.as_ref()),
            closed: state.as_ref().is_some_and(PeriodClose::is_closed),
        })
    }

    /// What the period is computed from: the lake up to its end, with the org archived when it
    /// was closed if it is.
    pub fn as_of(&self, period: Period) -> AsOf {
        if self.closed { AsOf::as_closed(period) } else { AsOf::end_of(period) }
    }
}

/// `query`: read-only SQL over the lake and its views, with the audit's list functions
/// (`bot_agent`, `non_browser_agent`, `datacenter_range`, `internal_range`, `office_range`, each the
/// matching entry or NULL) so an auditor can test an agent or an address against the lists in use.
pub async fn query(
    config: &Config,
    lake: &Lake,
    scope: Scope,
    text: &str,
) -> Result<Vec<datafusion::arrow::array::RecordBatch>> {
    let ctx = engine::query_session(config, lake, scope).await?;
    let lists = audit::Lists::load(&config.audit).map_err(audit::AuditError::from)?;
    lists.register(&ctx).map_err(audit::AuditError::Engine)?;
    Ok(engine::run_query(&ctx, text).await?)
}

/// `ingest`: plans and reads every export.
pub async fn ingest(config: &Config, lake: &Lake) -> Result<IngestReport> {
    let plan = ingest::plan(config, lake).await?;
    Ok(ingest::run(config, lake, &plan).await?)
}

/// `audit --period P`: runs the rules, then reports the period with its indicators.
pub async fn audit(config: &Config, lake: &Lake, period: Period) -> Result<(AuditManifest, AuditReport)> {
    let manifest = audit::run(config, lake).await?;
    let stored = Stored::of(lake, period).await?;
    let indicators = kpis::compute(config, lake, period, stored.revision, stored.as_of(period)).await?;
    let report = audit::report::build(config, lake, period, indicators.batches).await?;
    Ok((manifest, report))
}

/// `kpis --period P`: computes and checks the period; writes it unless a check failed or the period
/// is closed.
pub async fn kpis(config: &Config, lake: &Lake, period: Period) -> Result<(Stored, Indicators)> {
    let stored = Stored::of(lake, period).await?;
    let indicators = kpis::compute(config, lake, period, stored.revision, stored.as_of(period)).await?;
    if indicators.findings.is_empty() && !stored.closed {
        kpis::write(lake, &indicators).await?;
    }
    Ok((stored, indicators))
}

/// `score --period P`: the period's scorecards and flags, from its stored indicators (computed and
/// stored first when there are none); written unless the period is closed.
pub async fn score(config: &Config, lake: &Lake, period: Period) -> Result<(Stored, Scorecards, Vec<Flag>)> {
    let stored = Stored::of(lake, period).await?;
    if !lake.exists(&layout::indicators(period)).await? {
        let indicators = kpis::compute(config, lake, period, 1, AsOf::end_of(period)).await?;
        kpis::write(lake, &indicators).await?;
    }
    let scorecards = score::compute(config, lake, period, stored.as_of(period)).await?;
    // Flags read the stored scorecards, this period's included: write them first.
    if !stored.closed {
        score::write(lake, &scorecards, stored.revision).await?;
    }
    let flags = score::flags(config, lake, &scorecards).await?;
    if !stored.closed {
        score::write_flags(lake, period, &flags).await?;
    }
    Ok((stored, scorecards, flags))
}

/// Computes and stores the monthly indicators a trend needs but the lake lacks (months never
/// closed), from the first month with data on. Returns the months computed.
pub async fn ensure_trend(config: &Config, lake: &Lake, period: Period) -> Result<Vec<Period>> {
    let first = IngestManifest::load(lake).await?.first_month();
    let mut computed = Vec::new();
    for month in report::data::trend_months(period) {
        if first.is_none_or(|f| month < f) || lake.exists(&layout::indicators(month)).await? {
            continue;
        }
        let indicators = kpis::compute(config, lake, month, 1, AsOf::end_of(month)).await?;
        kpis::write(lake, &indicators).await?;
        computed.push(month);
    }
    Ok(computed)
}

/// `render --period P`: the trend months the lake lacks, then every report, archived.
pub async fn render(config: &Config, lake: &Lake, period: Period) -> Result<(Vec<Period>, Rendered)> {
    let trend_months = ensure_trend(config, lake, period).await?;
    let rendered = report::render(config, lake, period).await?;
    Ok((trend_months, rendered))
}

/// Mails rendered documents to the period's recipients (the org in `data`); a DRAFT goes to nobody.
pub async fn mail(
    config: &Config,
    lake: &Lake,
    data: &ReportData,
    documents: &[Document],
    options: deliver::Options,
) -> Result<deliver::Outcome> {
    Ok(deliver::send(config, lake, mailing(config, data), documents, options).await?)
}

/// `send --period P`: renders what the recipients need (nothing for a dry run) and mails it.
pub async fn send(config: &Config, lake: &Lake, period: Period, options: deliver::Options) -> Result<deliver::Outcome> {
    let data = ReportData::read(config, lake, period).await?;
    if data.lines.is_empty() {
        return Err(report::ReportError::NotScored { period }.into());
    }
    let mailing = mailing(config, &data);
    let documents = match options.dry_run || !mailing.draft_reasons.is_empty() {
        true => Vec::new(),
        false => report::documents(config, &data, &mailing.wanted())?,
    };
    Ok(deliver::send(config, lake, mailing, &documents, options).await?)
}

fn mailing(config: &Config, data: &ReportData) -> Mailing {
    let (deliveries, unreachable) = deliver::recipients(config, &report::audiences(data), &data.people);
    Mailing {
        period: data.period,
        revision: data.revision,
        draft_reasons: data.draft_reasons.clone(),
        deliveries,
        unreachable,
    }
}

/// `verify --period P`: recomputes the closed period and compares it, and the lake, with its bundle.
pub async fn verify(config: &Config, lake: &Lake, period: Period) -> Result<Verification> {
    let bundle = proof::load(lake, period).await?;
    let as_of = AsOf::as_closed(period);
    let recomputed = kpis::compute(config, lake, period, bundle.revision, as_of).await.map_err(|e| e.to_string());
    let recomputed = match &recomputed {
        Ok(indicators) => Ok(Recomputed { indicators: &indicators.batches, reads: &indicators.reads }),
        Err(e) => Err(e.clone()),
    };
    Ok(proof::verify(config, lake, period, &bundle, recomputed).await?)
}
