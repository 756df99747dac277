//! The command line's one error type: every module's error joined, each knowing its exit code
//! (`exit`): 0 ok, 1 a data gate or check failed, 2 usage or configuration error, 3 runtime or
//! infrastructure failure.

use crate::close::CloseError;
use crate::config::ConfigError;
use crate::engine::EngineError;
pub use crate::exit::ExitCode;
use crate::lake::LakeError;
use crate::sql::cards::CardError;
use crate::validate::ValidateError;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Lake(#[from] LakeError),
    #[error(transparent)]
    Close(#[from] CloseError),
    #[error(transparent)]
    Validate(#[from] ValidateError),
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error(transparent)]
    Card(#[from] CardError),
    #[error("{0}")]
    Usage(String),
    #[error("no indicator `{0}`; `kpi-close explain` lists them")]
    UnknownKpi(String),
    #[error("cannot write to standard output: {0}")]
    Stdout(#[source] std::io::Error),
    #[error("cannot format the output: {0}")]
    Output(#[source] datafusion::arrow::error::ArrowError),
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
            Error::Config(_) | Error::Usage(_) | Error::UnknownKpi(_) => ExitCode::Usage,
            Error::Close(e) => e.exit_code(),
            Error::Validate(e) => e.exit_code(),
            Error::Lake(_)
            | Error::Engine(_)
            | Error::Card(_)
            | Error::Stdout(_)
            | Error::Output(_)
            | Error::Demo { .. } => ExitCode::Runtime,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
