//! The crate's one error type and the exit code each class of failure maps to.
//!
//! Stages have their own error enums (`ConfigError`, `LakeError`, `IngestError`, `KpiError`); this module joins
//! them and decides the process exit code (SPEC §1): 0 ok, 1 a data gate or check failed,
//! 2 usage or configuration error, 3 runtime or infrastructure failure.

use crate::audit::AuditError;
use crate::config::ConfigError;
use crate::ingest::IngestError;
use crate::kpis::KpiError;
use crate::lake::LakeError;

/// Process exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    Ok = 0,
    DataGate = 1,
    Usage = 2,
    Runtime = 3,
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Lake(#[from] LakeError),
    #[error(transparent)]
    Ingest(#[from] IngestError),
    #[error(transparent)]
    Audit(#[from] AuditError),
    #[error(transparent)]
    Kpis(#[from] KpiError),
    #[error(transparent)]
    SqlDir(#[from] crate::sql::SqlDirError),
    #[error(transparent)]
    Proof(#[from] crate::proof::ProofError),
    #[error(transparent)]
    Score(#[from] crate::score::ScoreError),
    #[error(transparent)]
    Report(#[from] crate::report::ReportError),
    #[error(transparent)]
    Deliver(#[from] crate::deliver::DeliverError),
    #[error(transparent)]
    Lock(#[from] crate::close::lock::LockError),
    #[error("no indicator `{0}`; `kpi-close explain` lists them")]
    UnknownKpi(String),
    #[error("cannot write to standard output: {0}")]
    Stdout(#[source] std::io::Error),
    #[error("cannot write demo data to {}: {source}", out.display())]
    Demo {
        out: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl Error {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            Error::Config(_) | Error::UnknownKpi(_) | Error::SqlDir(_) => ExitCode::Usage,
            Error::Lake(_) | Error::Stdout(_) | Error::Demo { .. } | Error::Kpis(_) | Error::Audit(_) => {
                ExitCode::Runtime
            }
            Error::Ingest(e) => e.exit_code(),
            Error::Proof(crate::proof::ProofError::Missing { .. }) => ExitCode::Usage,
            Error::Proof(_) => ExitCode::Runtime,
            Error::Score(crate::score::ScoreError::UnknownScheme { .. }) => ExitCode::Usage,
            Error::Score(_) => ExitCode::Runtime,
            Error::Report(crate::report::ReportError::NotScored { .. })
            | Error::Deliver(crate::deliver::DeliverError::Report(crate::report::ReportError::NotScored { .. })) => {
                ExitCode::Usage
            }
            Error::Deliver(crate::deliver::DeliverError::Draft { .. }) => ExitCode::DataGate,
            Error::Deliver(crate::deliver::DeliverError::Transport(crate::deliver::transport::SendError::Setup(_))) => {
                ExitCode::Usage
            }
            Error::Report(_) | Error::Deliver(_) | Error::Lock(_) => ExitCode::Runtime,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
