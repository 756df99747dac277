//! The audit's figures for one period (SPEC §5): rows in, flagged per rule per dataset, gross →
//! excluded → net for every company indicator, rejects, de-duplicated re-exports, and the input
//! files with their SHA-256. The counts come from `sql/audit_report/`; the indicators from the
//! `kpis` stage; files, rejects and re-exports from the ingest manifest.

use datafusion::arrow::array::RecordBatch;

use super::{AuditError, AuditManifest};
use crate::config::Config;
use crate::engine::Scope;
use crate::ingest::Manifest;
use crate::kpis::{self, Indicators};
use crate::lake::Lake;
use crate::period::Period;
use crate::sql::{self, SqlError};

#[derive(Debug)]
pub struct AuditReport {
    pub period: Period,
    /// dataset, rows_in, rows_excluded, rows_net.
    pub datasets: Vec<RecordBatch>,
    /// dataset, rule_id, rule_version, rows_flagged.
    pub rules: Vec<RecordBatch>,
    pub indicators: Indicators,
    pub ingest: Manifest,
    pub audit: Option<AuditManifest>,
}

pub async fn build(config: &Config, lake: &Lake, period: Period) -> Result<AuditReport, AuditError> {
    let ctx = kpis::session(config, lake, Scope::Net).await?;
    let params = kpis::params(config, period);
    let (mut datasets, mut rules) = (Vec::new(), Vec::new());
    for file in sql::AUDIT_REPORT {
        let batches = sql::plan(&ctx, file, &params).await?.collect().await.map_err(|e| SqlError::execute(file, e))?;
        match file.name {
            "datasets" => datasets = batches,
            _ => rules = batches,
        }
    }
    let indicators = kpis::compute(config, lake, period, 1).await?;
    let ingest = Manifest::load(lake).await?;
    let audit = AuditManifest::load(lake).await?;
    Ok(AuditReport { period, datasets, rules, indicators, ingest, audit })
}
