//! `schedule`: runs the close of the previous month at every time `[schedule] cron` names, in the
//! schedule's timezone; a failed close is logged and the next one still runs.

use std::path::Path;

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;

use super::{CloseOutcome, CloseRequest, Result, execute, plan};
use crate::config::{self, Config};
use crate::lake::Lake;
use crate::period::Period;

/// How long a scheduled close waits for another close holding the lake.
const WAIT_SECONDS: u64 = 3600;

/// The month a run at `at` closes: the month before, on the company's calendar.
pub fn month_to_close(at: DateTime<Utc>, tz: Tz) -> Period {
    let local = at.with_timezone(&tz);
    Period::Month { year: local.year(), month: local.month() }.shifted(-1)
}

/// Runs until stopped, handing each close's outcome to `report`. Returns only when the cron
/// expression never matches again.
pub async fn run(config_path: &Path, config: &Config, report: impl Fn(&CloseOutcome)) -> Result<()> {
    let s = &config.schedule;
    loop {
        let now = Utc::now();
        let Some(next) = s.cron.next_after(now, s.timezone) else {
            tracing::error!(cron = %s.expression, "The cron expression never matches");
            return Ok(());
        };
        let month = month_to_close(next, s.timezone);
        tracing::info!(next = %next.with_timezone(&s.timezone), %month, "Next close");
        tokio::time::sleep((next - now).to_std().unwrap_or_default()).await;
        // Re-read the config each time: an edit between runs takes effect without a restart.
        match close_once(config_path, month).await {
            Ok(outcome) => {
                report(&outcome);
                tracing::info!(%month, exit_code = outcome.ended.exit_code() as i32, "Close finished");
            }
            Err(error) => tracing::error!(%month, %error, "Close failed; the schedule goes on"),
        }
    }
}

async fn close_once(config_path: &Path, month: Period) -> Result<CloseOutcome> {
    let config = config::load(config_path)?;
    let lake = Lake::open(&config.lake)?;
    let request = CloseRequest::month(month, WAIT_SECONDS)?;
    let plan = plan(&config, &lake, request).await?;
    execute(&config, &lake, plan).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_run_closes_the_month_before_on_the_company_calendar() {
        let shanghai = chrono_tz::Asia::Shanghai;
        assert_eq!(month_to_close(utc("2026-11-03T06:00:00+08:00"), shanghai).to_string(), "2026-10");
        assert_eq!(month_to_close(utc("2027-01-03T06:00:00+08:00"), shanghai).to_string(), "2026-12");
        // 1 November 00:30 in Shanghai is still 31 October in UTC.
        assert_eq!(month_to_close(utc("2026-10-31T16:30:00Z"), shanghai).to_string(), "2026-10");
    }
}
