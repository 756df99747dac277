//! The one integration-test binary: each module drives the real `kpi-close` binary or library
//! against the demo fixtures, a temporary lake, and real servers where a stage talks to one.

mod common;

mod audit;
#[cfg(feature = "ballista")]
mod ballista;
mod cdnow;
mod cli;
mod close;
mod fixtures;
mod ingest;
mod kpis;
mod proof;
mod reports;
mod score;
mod sql;
mod stores;
