//! Process exit codes, by class of outcome (README, "Exit codes"): every error type of the crate says
//! which class it belongs to, so the command line never matches on another module's variants.

/// Process exit codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitCode {
    /// Done.
    Ok = 0,
    /// A data gate or check failed: nothing was sent.
    DataGate = 1,
    /// A usage or configuration error.
    Usage = 2,
    /// A runtime or infrastructure failure.
    Runtime = 3,
}
