//! `validate`: everything that can be checked without running a close, all problems at once — the
//! configuration (already loaded), every source's files and headers, every SQL file planned over
//! the lake's schemas (not run), the audit's reference lists, and the plan as last ingested (every
//! target a scorecard needs, additive targets adding up: warnings, problems with `scoring.strict`).

use crate::audit::{self, AuditError};
use crate::config::Config;
use crate::exit::ExitCode;
use crate::ingest;
use crate::kpis::{self, KpiError};
use crate::lake::records::IngestManifest;
use crate::lake::{Lake, LakeError};
use crate::report::{self, ReportError};
use crate::score::{self, ScoreError};

#[derive(Debug, thiserror::Error)]
pub enum ValidateError {
    #[error(transparent)]
    Lake(#[from] LakeError),
    #[error(transparent)]
    Kpis(#[from] KpiError),
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error(transparent)]
    Score(#[from] ScoreError),
}

impl ValidateError {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            ValidateError::Lake(_) => ExitCode::Runtime,
            ValidateError::Kpis(e) => e.exit_code(),
            ValidateError::Audit(e) => e.exit_code(),
            ValidateError::Report(e) => e.exit_code(),
            ValidateError::Score(e) => e.exit_code(),
        }
    }
}

/// What `validate` found: problems stop a close; the config's warnings do not.
#[derive(Debug)]
pub struct Validation {
    pub problems: Vec<String>,
    pub warnings: Vec<String>,
    pub sources: usize,
    pub sql_files: usize,
}

pub async fn validate(config: &Config) -> Result<Validation, ValidateError> {
    let mut problems = ingest::check_sources(config).await;
    let sources = config.sources.len();
    let sql_files = crate::sql::all().count();
    // A lake its store refuses (credentials, a missing bucket) is one more problem to list with
    // the others; the checks that read it are left out.
    let lake = match Lake::open(&config.lake) {
        Ok(lake) => lake,
        Err(e) => {
            problems.push(e.to_string());
            return Ok(Validation { problems, warnings: Vec::new(), sources, sql_files });
        }
    };
    if let Err(e) = lake.check_access().await {
        problems.push(e.to_string());
        return Ok(Validation { problems, warnings: Vec::new(), sources, sql_files });
    }
    problems.extend(kpis::check_sql(config, &lake).await?);
    if let Ok(schema) = kpis::indicators_schema(config, &lake).await {
        problems.extend(report::check_sql(config, &lake, schema).await?);
    }
    problems.extend(audit::check(config, &lake).await?);
    let mut warnings = Vec::new();
    if IngestManifest::load(&lake).await?.datasets.contains_key("targets") {
        let plan = score::check_plan(config, &lake).await?.messages(None);
        if config.scoring.strict { problems.extend(plan) } else { warnings.extend(plan) }
    }
    Ok(Validation { problems, warnings, sources, sql_files })
}
