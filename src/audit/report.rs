//! The audit's figures for one period (README, "Audit"): per dataset rows in → GIVT removed → SIVT
//! removed → net, flagged per rule, gross → excluded → net for every company indicator, rejects,
//! de-duplicated re-exports, and the input files with their SHA-256. The counts come from
//! `sql/audit_report/`; files, rejects and re-exports from the ingest manifest; the indicator rows
//! are the period's, as the indicator stage computed them.

use datafusion::arrow::array::RecordBatch;

use super::AuditError;
use crate::config::Config;
use crate::engine::{self, AsOf, Lookups, Scope};
use crate::lake::Lake;
use crate::lake::records::{AuditManifest, IngestManifest};
use crate::period::Period;
use crate::sql::{self, SqlError};

#[derive(Debug)]
pub struct AuditReport {
    pub period: Period,
    /// dataset, rows_in, rows_givt, rows_sivt, rows_excluded, rows_net.
    pub datasets: Vec<RecordBatch>,
    /// dataset, rule_id, rule_version, ivt_class, rows_flagged.
    pub rules: Vec<RecordBatch>,
    /// The period's `indicators` rows.
    pub indicators: Vec<RecordBatch>,
    pub ingest: IngestManifest,
    pub audit: Option<AuditManifest>,
}

pub async fn build(
    config: &Config,
    lake: &Lake,
    period: Period,
    indicators: Vec<RecordBatch>,
) -> Result<AuditReport, AuditError> {
    let ctx = engine::session(config, lake, Scope::Net, Lookups::Views, AsOf::end_of(period)).await?;
    let params = engine::params(config, period);
    let (mut datasets, mut rules) = (Vec::new(), Vec::new());
    for file in sql::AUDIT_REPORT {
        let batches = sql::plan(&ctx, file, &params).await?.collect().await.map_err(|e| SqlError::execute(file, e))?;
        match file.name {
            "datasets" => datasets = batches,
            _ => rules = batches,
        }
    }
    let ingest = IngestManifest::load(lake).await?;
    let audit = AuditManifest::load(lake).await?;
    Ok(AuditReport { period, datasets, rules, indicators, ingest, audit })
}
