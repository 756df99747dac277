//! `[schedule]`: when `kpi-close schedule` runs the close — a cron expression read in a timezone
//! (the company's unless set).

use chrono_tz::Tz;
use serde::Deserialize;

use super::Problem;
use crate::cron::{Cron, DEFAULT};

#[derive(Debug, Clone)]
pub struct Schedule {
    pub cron: Cron,
    pub expression: String,
    pub timezone: Tz,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSchedule {
    #[serde(default)]
    cron: Option<String>,
    #[serde(default)]
    timezone: Option<String>,
}

pub(super) fn convert(raw: RawSchedule, company_tz: Tz, problems: &mut Vec<Problem>) -> Schedule {
    let expression = raw.cron.unwrap_or_else(|| DEFAULT.to_string());
    let cron = expression.parse::<Cron>().unwrap_or_else(|e| {
        problems.push(Problem { key: "schedule.cron".into(), message: e.to_string() });
        DEFAULT.parse().unwrap_or_else(|_| unreachable!("the default parses"))
    });
    let timezone = match raw.timezone {
        None => company_tz,
        Some(name) => name.parse::<Tz>().unwrap_or_else(|_| {
            problems.push(Problem {
                key: "schedule.timezone".into(),
                message: format!("unknown timezone `{name}` (an IANA name such as Asia/Shanghai)"),
            });
            company_tz
        }),
    };
    Schedule { cron, expression, timezone }
}
