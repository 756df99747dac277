//! kpi-close runs a company's monthly performance close for marketing, digital-promotion and sales
//! teams: exports in, a validated Parquet lake, audited indicators, scorecards, reports and mail out.
//!
//! The modules form layers; each imports only the ones below it (README, "Architecture";
//! `scripts/check-layers.sh` holds the rule):
//!
//! - `cli` turns arguments into one call and renders what it returns; `close` runs the stages in
//!   their order (and composes the single-stage commands); `validate` checks without running.
//! - The stages — `ingest`, `audit`, `kpis`, `score`, `proof`, `report`, `deliver` — never import
//!   each other: what one writes and another reads is a lake record, a lake table or a `document`.
//! - `engine` gives them sessions with the SQL layer's views and a period's parameters.
//! - `lake` is the store, its layout, its records and its tables; `document` a rendered report.
//! - `config`, `sql` (the SQL files and their cards), `datasets` (the data contract), `period`,
//!   `cron`, `net`, `exit` and `progress` are the foundation.

pub mod audit;
pub mod cli;
pub mod close;
pub mod config;
pub mod cron;
pub mod datasets;
pub mod deliver;
pub mod document;
pub mod engine;
pub mod error;
pub mod exit;
pub mod ingest;
pub mod kpis;
pub mod lake;
pub mod net;
pub mod period;
pub mod progress;
pub mod proof;
pub mod report;
pub mod score;
pub mod sql;
pub mod validate;

pub use error::{Error, Result};
pub use exit::ExitCode;
