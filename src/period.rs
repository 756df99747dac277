//! Reporting periods: calendar months, quarters, half-years and years in the company timezone.
//!
//! Written `2026-10`, `2026-Q4`, `2026-H2`, `2026`. A period's bounds are instants: the first
//! instant of its first day in the company timezone, inclusive, to the first instant after it,
//! exclusive. So 2026-10-31T23:59:59+08:00 is October and 2026-10-31T16:30:00Z is November in
//! Asia/Shanghai.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Period {
    Month { year: i32, month: u32 },
    Quarter { year: i32, quarter: u32 },
    Half { year: i32, half: u32 },
    Year { year: i32 },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "`{input}` is not a period; write a month `2026-10`, a quarter `2026-Q4`, a half-year `2026-H2` or a year `2026`"
)]
pub struct PeriodParseError {
    pub input: String,
}

impl FromStr for Period {
    type Err = PeriodParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || PeriodParseError { input: s.to_string() };
        let s = s.trim();
        let (year, rest) = match s.split_once('-') {
            Some((y, r)) => (y, Some(r)),
            None => (s, None),
        };
        if year.len() != 4 || !year.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        let year: i32 = year.parse().map_err(|_| err())?;
        let Some(rest) = rest else {
            return Ok(Period::Year { year });
        };
        let number = |digits: &str, max: u32| -> Result<u32, PeriodParseError> {
            let n: u32 = digits.parse().map_err(|_| err())?;
            if (1..=max).contains(&n) { Ok(n) } else { Err(err()) }
        };
        match rest.as_bytes().first() {
            Some(b'Q' | b'q') => Ok(Period::Quarter { year, quarter: number(&rest[1..], 4)? }),
            Some(b'H' | b'h') => Ok(Period::Half { year, half: number(&rest[1..], 2)? }),
            Some(b'0'..=b'9') if rest.len() == 2 => Ok(Period::Month { year, month: number(rest, 12)? }),
            _ => Err(err()),
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Period::Month { year, month } => write!(f, "{year:04}-{month:02}"),
            Period::Quarter { year, quarter } => write!(f, "{year:04}-Q{quarter}"),
            Period::Half { year, half } => write!(f, "{year:04}-H{half}"),
            Period::Year { year } => write!(f, "{year:04}"),
        }
    }
}

/// What kind of period; the `period_kind` column of the output tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PeriodKind {
    Month,
    Quarter,
    Half,
    Year,
}

impl PeriodKind {
    pub fn as_str(self) -> &'static str {
        match self {
            PeriodKind::Month => "month",
            PeriodKind::Quarter => "quarter",
            PeriodKind::Half => "half",
            PeriodKind::Year => "year",
        }
    }

    /// Months in a period of this kind.
    pub fn months(self) -> u32 {
        match self {
            PeriodKind::Month => 1,
            PeriodKind::Quarter => 3,
            PeriodKind::Half => 6,
            PeriodKind::Year => 12,
        }
    }
}

impl Period {
    pub fn kind(self) -> PeriodKind {
        match self {
            Period::Month { .. } => PeriodKind::Month,
            Period::Quarter { .. } => PeriodKind::Quarter,
            Period::Half { .. } => PeriodKind::Half,
            Period::Year { .. } => PeriodKind::Year,
        }
    }

    /// The period of the same kind that starts `months` months (a multiple of the kind's length)
    /// after this one; negative goes back.
    pub fn shifted(self, months: i32) -> Period {
        let ((year, first), _) = self.month_span();
        let index = year * 12 + first as i32 - 1 + months;
        let (year, month) = (index.div_euclid(12), index.rem_euclid(12) as u32 + 1);
        match self.kind() {
            PeriodKind::Month => Period::Month { year, month },
            PeriodKind::Quarter => Period::Quarter { year, quarter: (month - 1) / 3 + 1 },
            PeriodKind::Half => Period::Half { year, half: (month - 1) / 6 + 1 },
            PeriodKind::Year => Period::Year { year },
        }
    }

    /// The month, quarter, half-year and year a month belongs to, in that order (a longer period:
    /// itself).
    pub fn containing(self) -> Vec<Period> {
        let Period::Month { year, month } = self else { return vec![self] };
        vec![
            self,
            Period::Quarter { year, quarter: (month - 1) / 3 + 1 },
            Period::Half { year, half: (month - 1) / 6 + 1 },
            Period::Year { year },
        ]
    }

    /// The periods a close of this month computes: the month, and the quarter, half-year and year
    /// it ends (a longer period: itself).
    pub fn ended_by(self) -> Vec<Period> {
        let Period::Month { year, month } = self else { return vec![self] };
        let mut periods = vec![self];
        if month % 3 == 0 {
            periods.push(Period::Quarter { year, quarter: month / 3 });
        }
        if month % 6 == 0 {
            periods.push(Period::Half { year, half: month / 6 });
        }
        if month == 12 {
            periods.push(Period::Year { year });
        }
        periods
    }

    /// The months `self` … `last`, in order (none when `last` is earlier).
    pub fn through(self, last: Period) -> impl Iterator<Item = Period> {
        std::iter::successors(Some(self).filter(|m| *m <= last), move |m| Some(m.shifted(1)).filter(|m| *m <= last))
    }

    /// The period just before (for MoM / QoQ change).
    pub fn previous(self) -> Period {
        self.shifted(-(self.kind().months() as i32))
    }

    /// The same period a year earlier (for YoY change).
    pub fn year_ago(self) -> Period {
        self.shifted(-12)
    }

    /// The months the period covers, in order.
    pub fn months(self) -> Vec<Period> {
        let ((year, first), _) = self.month_span();
        (0..self.kind().months() as i32).map(|i| Period::Month { year, month: first }.shifted(i)).collect()
    }

    /// The month partitions (`YYYY-MM`) the period spans: first inclusive, last exclusive.
    pub fn partition_range(self) -> (String, String) {
        let months = self.months();
        let first = months.first().copied().unwrap_or(self);
        let after = months.last().copied().unwrap_or(self).shifted(1);
        (first.to_string(), after.to_string())
    }

    /// The month that contains `instant` in `tz`.
    pub fn month_of(instant: DateTime<Utc>, tz: Tz) -> Period {
        let local = instant.with_timezone(&tz);
        Period::Month { year: local.year(), month: local.month() }
    }

    /// The month that contains `date`.
    pub fn month_of_date(date: NaiveDate) -> Period {
        Period::Month { year: date.year(), month: date.month() }
    }

    /// First and one-past-last month of the period, as (year, month) pairs.
    fn month_span(self) -> ((i32, u32), (i32, u32)) {
        let (year, first, count) = match self {
            Period::Month { year, month } => (year, month, 1),
            Period::Quarter { year, quarter } => (year, 3 * quarter - 2, 3),
            Period::Half { year, half } => (year, 6 * half - 5, 6),
            Period::Year { year } => (year, 1, 12),
        };
        let end = first + count;
        let end = if end > 12 { (year + 1, end - 12) } else { (year, end) };
        ((year, first), end)
    }

    /// The period's first day and the next period's first day (calendar dates, exclusive end).
    pub fn dates(self) -> (NaiveDate, NaiveDate) {
        let ((y0, m0), (y1, m1)) = self.month_span();
        let day = |y, m| NaiveDate::from_ymd_opt(y, m, 1).unwrap_or(NaiveDate::MIN);
        (day(y0, m0), day(y1, m1))
    }

    /// The month `n` months before the period's last month: the first month of the trailing `n + 1`
    /// months that end with the period.
    pub fn last_month_minus(self, n: i32) -> Period {
        let last = self.months().last().copied().unwrap_or(self);
        last.shifted(-n)
    }

    /// The period's first instant (inclusive) and the next period's first instant (exclusive).
    pub fn bounds(self, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
        let ((y0, m0), (y1, m1)) = self.month_span();
        (month_start(y0, m0, tz), month_start(y1, m1, tz))
    }
}

/// Midnight at the start of the first day of a month in `tz`, as an instant. Where a zone skips
/// midnight (a DST change at 00:00), the first instant that exists that day.
fn month_start(year: i32, month: u32, tz: Tz) -> DateTime<Utc> {
    let day = NaiveDate::from_ymd_opt(year, month, 1).unwrap_or(NaiveDate::MIN);
    let mut local = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    for _ in 0..=24 * 4 {
        if let Some(t) = tz.from_local_datetime(&local).earliest() {
            return t.with_timezone(&Utc);
        }
        local += chrono::Duration::minutes(15);
    }
    Utc.from_utc_datetime(&local)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_close_computes_the_month_and_every_period_it_ends() {
        let periods =
            |m: &str| m.parse::<Period>().unwrap().ended_by().iter().map(|p| p.to_string()).collect::<Vec<_>>();
        assert_eq!(periods("2026-10"), ["2026-10"]);
        assert_eq!(periods("2026-09"), ["2026-09", "2026-Q3"]);
        assert_eq!(periods("2026-06"), ["2026-06", "2026-Q2", "2026-H1"]);
        assert_eq!(periods("2026-12"), ["2026-12", "2026-Q4", "2026-H2", "2026"]);
        let months = |a: &str, b: &str| {
            a.parse::<Period>().unwrap().through(b.parse().unwrap()).map(|p| p.to_string()).collect::<Vec<_>>()
        };
        assert_eq!(months("2025-11", "2026-01"), ["2025-11", "2025-12", "2026-01"]);
        assert!(months("2026-02", "2026-01").is_empty());
    }

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).map(|t| t.with_timezone(&Utc)).unwrap()
    }

    #[test]
    fn parses_and_prints_every_kind() {
        for text in ["2026-10", "2026-Q4", "2026-H2", "2026", "2025-01"] {
            assert_eq!(text.parse::<Period>().unwrap().to_string(), text);
        }
        for bad in ["2026-13", "2026-Q5", "2026-H3", "26-10", "2026-1", "2026/10", ""] {
            assert!(bad.parse::<Period>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_month_belongs_to_its_quarter_half_and_year() {
        let names =
            |m: &str| m.parse::<Period>().unwrap().containing().iter().map(ToString::to_string).collect::<Vec<_>>();
        assert_eq!(names("2026-09"), ["2026-09", "2026-Q3", "2026-H2", "2026"]);
        assert_eq!(names("2026-01"), ["2026-01", "2026-Q1", "2026-H1", "2026"]);
        assert_eq!(names("2026-06"), ["2026-06", "2026-Q2", "2026-H1", "2026"]);
        assert_eq!(names("2026-Q4"), ["2026-Q4"]);
    }

    #[test]
    fn month_boundaries_follow_the_company_timezone() {
        let sh: Tz = "Asia/Shanghai".parse().unwrap();
        let oct: Period = "2026-10".parse().unwrap();
        assert_eq!(Period::month_of(utc("2026-10-31T23:59:59+08:00"), sh), oct);
        assert_eq!(Period::month_of(utc("2026-10-31T16:30:00Z"), sh).to_string(), "2026-11");
        assert_eq!(Period::month_of(utc("2026-12-31T16:00:00Z"), sh).to_string(), "2027-01");
        let (start, end) = oct.bounds(sh);
        assert_eq!(start, utc("2026-09-30T16:00:00Z"));
        assert_eq!(end, utc("2026-10-31T16:00:00Z"));
    }

    #[test]
    fn quarter_half_and_year_bounds_cross_the_year_end() {
        let sh: Tz = "Asia/Shanghai".parse().unwrap();
        let (s, e) = "2026-Q4".parse::<Period>().unwrap().bounds(sh);
        assert_eq!((s, e), (utc("2026-09-30T16:00:00Z"), utc("2026-12-31T16:00:00Z")));
        let (s, e) = "2026-H2".parse::<Period>().unwrap().bounds(sh);
        assert_eq!((s, e), (utc("2026-06-30T16:00:00Z"), utc("2026-12-31T16:00:00Z")));
        let (s, e) = "2026".parse::<Period>().unwrap().bounds(sh);
        assert_eq!((s, e), (utc("2025-12-31T16:00:00Z"), utc("2026-12-31T16:00:00Z")));
    }

    #[test]
    fn previous_year_ago_and_months() {
        let p = |s: &str| s.parse::<Period>().unwrap();
        assert_eq!(p("2026-01").previous(), p("2025-12"));
        assert_eq!(p("2026-Q1").previous(), p("2025-Q4"));
        assert_eq!(p("2026-H1").previous(), p("2025-H2"));
        assert_eq!(p("2026").previous(), p("2025"));
        assert_eq!(p("2026-10").year_ago(), p("2025-10"));
        assert_eq!(p("2026-Q4").year_ago(), p("2025-Q4"));
        assert_eq!(
            p("2026-H2").months().iter().map(ToString::to_string).collect::<Vec<_>>(),
            ["2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2026-12"]
        );
        assert_eq!(p("2026-Q4").partition_range(), ("2026-10".to_string(), "2027-01".to_string()));
        assert_eq!(p("2026-12").partition_range(), ("2026-12".to_string(), "2027-01".to_string()));
        assert_eq!(p("2026-Q4").kind().as_str(), "quarter");
    }

    #[test]
    fn bounds_respect_daylight_saving_time() {
        let ny: Tz = "America/New_York".parse().unwrap();
        // November starts in EDT (UTC-4); December starts in EST (UTC-5).
        let (s, e) = "2026-11".parse::<Period>().unwrap().bounds(ny);
        assert_eq!(s, utc("2026-11-01T04:00:00Z"));
        assert_eq!(e, utc("2026-12-01T05:00:00Z"));
    }
}
