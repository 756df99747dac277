//! The close: the one place that runs the stages, and the only one that knows their order —
//! ingest → audit → for each period: indicators, proof bundle, scorecards, flags → gates → reports
//! → mail (`execute`).
//!
//! A close is planned, then executed (`plan`): the plan holds the exports ingest would read, every
//! period the close computes with what it will do with it (compute it, resume it, recompute a
//! closed one and compare, restate it), and who would receive the reports. `--dry-run` prints the
//! plan; a real close executes that plan under the lake's lock (`lock`) and returns a typed
//! outcome, recorded in `runs/` (`runs`). Around it: the gates a period must pass before anything
//! is sent (`gates`), closed periods frozen and restated only on purpose (`revision`, `period`),
//! the scheduled closes (`schedule`), and the single-stage commands, each composed of the stages it
//! needs (`commands`).

pub mod commands;
mod execute;
pub mod gates;
mod late;
pub mod lock;
mod period;
mod plan;
pub mod revision;
pub mod runs;
pub mod schedule;

pub use execute::{CloseOutcome, Ended, LateFinding, PeriodMail, execute};
pub use late::Touched;
pub use period::Outcome as PeriodOutcome;
pub use plan::{ClosePlan, CloseRequest, MailPreview, PeriodPlan, RequestError, plan};

use crate::audit::AuditError;
use crate::config::ConfigError;
use crate::deliver::DeliverError;
use crate::engine::EngineError;
use crate::exit::ExitCode;
use crate::ingest::IngestError;
use crate::kpis::KpiError;
use crate::lake::LakeError;
use crate::proof::ProofError;
use crate::report::ReportError;
use crate::score::ScoreError;
use lock::LockError;

/// Whatever a stage run by the close (or by a single-stage command) can fail with.
#[derive(Debug, thiserror::Error)]
pub enum CloseError {
    #[error(transparent)]
    Request(#[from] RequestError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Lake(#[from] LakeError),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error(transparent)]
    Kpis(#[from] KpiError),
    #[error(transparent)]
    Proof(#[from] ProofError),
    #[error(transparent)]
    Score(#[from] ScoreError),
    #[error(transparent)]
    Report(#[from] ReportError),
    #[error(transparent)]
    Deliver(#[from] DeliverError),
    /// An ad-hoc query (`query`) that failed to plan or run.
    #[error(transparent)]
    Query(#[from] EngineError),
    #[error("the close cannot shape its tables: {0}")]
    Arrow(#[source] datafusion::arrow::error::ArrowError),
}

impl CloseError {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            CloseError::Request(_) | CloseError::Config(_) => ExitCode::Usage,
            CloseError::Lake(_) | CloseError::Arrow(_) | CloseError::Query(_) => ExitCode::Runtime,
            CloseError::Lock(e) => e.exit_code(),
            CloseError::Ingest(e) => e.exit_code(),
            CloseError::Audit(e) => e.exit_code(),
            CloseError::Kpis(e) => e.exit_code(),
            CloseError::Proof(e) => e.exit_code(),
            CloseError::Score(e) => e.exit_code(),
            CloseError::Report(e) => e.exit_code(),
            CloseError::Deliver(e) => e.exit_code(),
        }
    }

    fn arrow(e: datafusion::arrow::error::ArrowError) -> CloseError {
        CloseError::Arrow(e)
    }
}

pub type Result<T, E = CloseError> = std::result::Result<T, E>;
