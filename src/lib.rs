//! kpi-close runs a company's monthly performance close for marketing, digital-promotion and sales
//! teams: exports in, a validated Parquet lake, audited indicators, scorecards, reports and mail out.
//!
//! The stages are the top-level modules; `cli` turns command-line arguments into calls on them.
//! `config` is the typed configuration, `progress` the terminal's progress bars, `lake` the object store the stages share, `datasets` the
//! data contract every export is checked against, and `demo` the generator of the demo company.

pub mod audit;
pub mod cli;
pub mod close;
pub mod config;
pub mod datasets;
pub mod deliver;
pub mod demo;
pub mod engine;
pub mod error;
pub mod ingest;
pub mod kpis;
pub mod lake;
pub mod period;
pub mod progress;
pub mod proof;
pub mod report;
pub mod score;
pub mod sql;

pub use error::{Error, ExitCode, Result};
