//! When the next scheduled run is: a five-field cron expression (minute hour day-of-month
//! month day-of-week; `*`, numbers, `a-b`, lists, `*/n` and `a-b/n`) read in the company's
//! timezone, so "06:00 on the 3rd" is 06:00 on the company's wall clock in every season. A local
//! time that does not exist (the hour skipped when DST starts) runs at the first minute after the
//! gap; a local time that happens twice (when DST ends) runs once, at the first.

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// The default: 06:00 on the 3rd of every month (closing the month before).
pub const DEFAULT: &str = "0 6 3 * *";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    minutes: Vec<u32>,
    hours: Vec<u32>,
    days: Vec<u32>,
    months: Vec<u32>,
    weekdays: Vec<u32>,
    /// Both day fields restricted: cron runs when either matches.
    day_or_weekday: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "cron expression `{expression}`: {message} (five fields: minute hour day-of-month month day-of-week, e.g. `0 6 3 * *`)"
)]
pub struct CronError {
    pub expression: String,
    pub message: String,
}

impl std::str::FromStr for Cron {
    type Err = CronError;

    fn from_str(expression: &str) -> Result<Cron, CronError> {
        let fail = |message: String| CronError { expression: expression.to_string(), message };
        let fields: Vec<&str> = expression.split_whitespace().collect();
        if fields.len() != 5 {
            return Err(fail(format!("{} fields", fields.len())));
        }
        let field = |i: usize, name: &str, lo: u32, hi: u32| {
            parse_field(fields[i], lo, hi).map_err(|m| fail(format!("{name}: {m}")))
        };
        let mut weekdays = field(4, "day of week", 0, 7)?;
        if weekdays.contains(&7) {
            weekdays.retain(|d| *d != 7);
            if !weekdays.contains(&0) {
                weekdays.insert(0, 0);
            }
        }
        Ok(Cron {
            minutes: field(0, "minute", 0, 59)?,
            hours: field(1, "hour", 0, 23)?,
            days: field(2, "day of month", 1, 31)?,
            months: field(3, "month", 1, 12)?,
            weekdays,
            day_or_weekday: fields[2] != "*" && fields[4] != "*",
        })
    }
}

fn parse_field(text: &str, lo: u32, hi: u32) -> Result<Vec<u32>, String> {
    let mut values = Vec::new();
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((r, s)) => (r, s.parse::<u32>().map_err(|_| format!("bad step in `{part}`"))?),
            None => (part, 1),
        };
        if step == 0 {
            return Err(format!("step 0 in `{part}`"));
        }
        let (from, to) = if range == "*" {
            (lo, hi)
        } else if let Some((a, b)) = range.split_once('-') {
            let a = a.parse::<u32>().map_err(|_| format!("`{part}` is not a number or range"))?;
            let b = b.parse::<u32>().map_err(|_| format!("`{part}` is not a number or range"))?;
            (a, b)
        } else {
            let v = range.parse::<u32>().map_err(|_| format!("`{part}` is not a number or range"))?;
            (v, if part.contains('/') { hi } else { v })
        };
        if from < lo || to > hi || from > to {
            return Err(format!("`{part}` is outside {lo}–{hi}"));
        }
        values.extend((from..=to).step_by(step as usize));
    }
    values.sort_unstable();
    values.dedup();
    Ok(values)
}

impl Cron {
    fn day_matches(&self, date: NaiveDate) -> bool {
        let dom = self.days.contains(&date.day());
        let dow = self.weekdays.contains(&date.weekday().num_days_from_sunday());
        if self.day_or_weekday { dom || dow } else { dom && dow }
    }

    /// The first run strictly after `now`.
    pub fn next_after(&self, now: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        let start = now.with_timezone(&tz).date_naive();
        for offset in 0..(366 * 8) {
            let date = start + Duration::days(offset);
            if !self.months.contains(&date.month()) || !self.day_matches(date) {
                continue;
            }
            for &hour in &self.hours {
                for &minute in &self.minutes {
                    let Some(local) = date.and_hms_opt(hour, minute, 0) else { continue };
                    if let Some(at) = resolve(local, tz)
                        && at > now
                    {
                        return Some(at);
                    }
                }
            }
        }
        None
    }
}

/// A wall-clock time as an instant: the earlier one when it happens twice; the first minute after
/// the gap when it does not happen at all.
fn resolve(local: NaiveDateTime, tz: Tz) -> Option<DateTime<Utc>> {
    let mut t = local;
    for _ in 0..=180 {
        if let Some(at) = tz.from_local_datetime(&t).earliest() {
            return Some(at.with_timezone(&Utc));
        }
        t += Duration::minutes(1);
        t = t.with_second(0)?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn the_default_runs_at_six_on_the_third_in_company_time() {
        let cron: Cron = DEFAULT.parse().unwrap();
        let shanghai = chrono_tz::Asia::Shanghai;
        // After the October run, the next is 3 November 06:00 +08:00 — across the month end.
        let next = cron.next_after(utc("2026-10-31T23:59:59+08:00"), shanghai).unwrap();
        assert_eq!(next, utc("2026-11-03T06:00:00+08:00"));
        // Exactly at a run time: the next one, a month later; across the year end.
        assert_eq!(cron.next_after(utc("2026-12-03T06:00:00+08:00"), shanghai), Some(utc("2027-01-03T06:00:00+08:00")));
    }

    #[test]
    fn daylight_saving_time_in_new_york() {
        let ny = chrono_tz::America::New_York;
        let cron: Cron = "0 6 3 * *".parse().unwrap();
        // 06:00 on the wall clock: EST (-05:00) in March before the change, EDT (-04:00) in April.
        assert_eq!(cron.next_after(utc("2026-03-01T00:00:00Z"), ny), Some(utc("2026-03-03T06:00:00-05:00")));
        assert_eq!(cron.next_after(utc("2026-03-04T00:00:00Z"), ny), Some(utc("2026-04-03T06:00:00-04:00")));
        // 02:30 does not exist on 8 March 2026: the run is at 03:00 EDT.
        let gap: Cron = "30 2 8 3 *".parse().unwrap();
        assert_eq!(gap.next_after(utc("2026-03-01T00:00:00Z"), ny), Some(utc("2026-03-08T03:00:00-04:00")));
        // 01:30 happens twice on 1 November 2026: once, at the first (EDT).
        let twice: Cron = "30 1 1 11 *".parse().unwrap();
        let first = twice.next_after(utc("2026-10-01T00:00:00Z"), ny).unwrap();
        assert_eq!(first, utc("2026-11-01T01:30:00-04:00"));
        assert_eq!(twice.next_after(first, ny), Some(utc("2027-11-01T01:30:00-04:00")));
    }

    #[test]
    fn fields_lists_ranges_steps_and_errors() {
        let cron: Cron = "*/15 8-10 1,15 * 1-5".parse().unwrap();
        assert_eq!(cron.minutes, vec![0, 15, 30, 45]);
        assert_eq!(cron.hours, vec![8, 9, 10]);
        assert!(cron.day_or_weekday);
        let weekly: Cron = "0 6 * * 7".parse().unwrap();
        assert_eq!(weekly.weekdays, vec![0], "7 is Sunday too");
        // Sunday 2026-11-29 06:00 in Shanghai.
        assert_eq!(
            weekly.next_after(utc("2026-11-27T00:00:00Z"), chrono_tz::Asia::Shanghai),
            Some(utc("2026-11-29T06:00:00+08:00"))
        );
        for bad in ["0 6 3 *", "60 6 3 * *", "0 6 0 * *", "0 6 3 13 *", "*/0 6 3 * *", "a 6 3 * *"] {
            assert!(bad.parse::<Cron>().is_err(), "{bad}");
        }
        assert!(
            "0 6 31 2 *".parse::<Cron>().unwrap().next_after(utc("2026-01-01T00:00:00Z"), chrono_tz::UTC).is_none()
        );
    }
}
