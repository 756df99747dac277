//! The close around the stages (SPEC §9): one close at a time per lake (`lock`), the gates a period
//! must pass before anything is sent (`gates`), a record of every close (`runs`), closed periods
//! frozen and restated only on purpose (`revision`, `period`), and when the next one runs
//! (`schedule`). The stages' order lives in `cli`'s
//! `close`: ingest → audit → indicators → scores → render → send.

pub mod gates;
pub mod lock;
pub mod period;
pub mod revision;
pub mod runs;
pub mod schedule;
