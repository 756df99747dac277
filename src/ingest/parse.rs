//! Text cells → typed values, by the data contract's column types.
//!
//! Each parser either returns a value or a reason a person can act on. Nothing is guessed: an
//! amount with five decimals, a timestamp that does not exist in the source's timezone, or a
//! score of 11 are rejected, not rounded or clamped.

use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use rust_decimal::Decimal;

use crate::datasets::{ColumnType, MONEY_PRECISION, MONEY_SCALE};
use crate::period::Period;

/// A parsed cell.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Text(String),
    /// Microseconds since the Unix epoch, UTC.
    Timestamp(i64),
    /// Days since the Unix epoch.
    Date(i32),
    /// The amount × 10^MONEY_SCALE.
    Money(i128),
    Int(i64),
    Bool(bool),
}

impl Value {
    /// A stable text form, used to build de-duplication keys.
    pub fn key_text(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Text(s) => s.clone(),
            Value::Timestamp(v) => v.to_string(),
            Value::Date(v) => v.to_string(),
            Value::Money(v) => v.to_string(),
            Value::Int(v) => v.to_string(),
            Value::Bool(v) => v.to_string(),
        }
    }
}

const UNIX_EPOCH_DAYS_FROM_CE: i32 = 719_163;

pub fn parse(ty: ColumnType, raw: &str, tz: Tz) -> Result<Value, String> {
    let text = raw.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}' || c == '\u{200b}');
    if text.is_empty() {
        return Ok(Value::Null);
    }
    if text.contains('\u{fffd}') {
        return Err("contains bytes that are not valid in the file's encoding; if this is a Chinese Excel export, set `encoding = \"gbk\"` on the source".into());
    }
    match ty {
        ColumnType::Text => Ok(Value::Text(text.to_string())),
        ColumnType::Enum(allowed) => {
            let lower = text.to_lowercase();
            if allowed.contains(&lower.as_str()) {
                Ok(Value::Text(lower))
            } else {
                Err(format!("`{text}` is not one of {}", allowed.join(", ")))
            }
        }
        ColumnType::Timestamp => parse_timestamp(text, tz).map(|t| Value::Timestamp(t.timestamp_micros())),
        ColumnType::Date => parse_date(text).map(|d| Value::Date(d.to_epoch_days_ce())),
        ColumnType::Money => parse_money(text).map(Value::Money),
        ColumnType::Int { min, max } => {
            let v = parse_int(text)?;
            if v < min || v > max { Err(format!("{v} is outside {min}..={max}")) } else { Ok(Value::Int(v)) }
        }
        ColumnType::Bool => parse_bool(text).map(Value::Bool),
        ColumnType::Period => Period::from_str(text).map(|p| Value::Text(p.to_string())).map_err(|e| e.to_string()),
    }
}

trait EpochDays {
    fn to_epoch_days_ce(self) -> i32;
}

impl EpochDays for NaiveDate {
    fn to_epoch_days_ce(self) -> i32 {
        use chrono::Datelike;
        self.num_days_from_ce() - UNIX_EPOCH_DAYS_FROM_CE
    }
}

const OFFSET_FORMATS: &[&str] =
    &["%Y-%m-%d %H:%M:%S%.f%:z", "%Y-%m-%d %H:%M:%S%.f%z", "%Y-%m-%dT%H:%M:%S%.f%z", "%Y-%m-%d %H:%M:%S%.f %z"];
const NAIVE_FORMATS: &[&str] = &[
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y/%m/%d %H:%M:%S%.f",
    "%Y/%m/%d %H:%M",
];
const DATE_FORMATS: &[&str] = &["%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y.%m.%d"];

/// An instant. With an offset (`Z`, `+08:00`) it is taken as written; without one it is read in
/// `tz`. A local time that falls in a DST gap is an error; one that repeats at a DST end is the
/// earlier of the two.
pub fn parse_timestamp(text: &str, tz: Tz) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    for f in OFFSET_FORMATS {
        if let Ok(t) = DateTime::parse_from_str(text, f) {
            return Ok(t.with_timezone(&Utc));
        }
    }
    let naive = NAIVE_FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())
        .or_else(|| parse_date(text).ok().and_then(|d| d.and_hms_opt(0, 0, 0)));
    let Some(naive) = naive else {
        return Err(format!(
            "`{text}` is not a timestamp; write e.g. 2026-10-31T23:59:59+08:00 or 2026-10-31 23:59:59 (read in {tz})"
        ));
    };
    match tz.from_local_datetime(&naive).earliest() {
        Some(t) => Ok(t.with_timezone(&Utc)),
        None => Err(format!("`{text}` does not exist in {tz}: clocks skip it at a daylight-saving change")),
    }
}

pub fn parse_date(text: &str) -> Result<NaiveDate, String> {
    if let Some(d) = DATE_FORMATS.iter().find_map(|f| NaiveDate::parse_from_str(text, f).ok()) {
        return Ok(d);
    }
    // Spreadsheets save dates as midnight date-times.
    match NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S") {
        Ok(t) if t.time() == chrono::NaiveTime::MIN => Ok(t.date()),
        _ => Err(format!("`{text}` is not a date; write e.g. 2026-10-31")),
    }
}

/// An exact amount, scaled by 10^MONEY_SCALE. Accepts thousands separators, currency symbols and
/// codes, and accounting negatives `(12.50)`.
pub fn parse_money(text: &str) -> Result<i128, String> {
    let bad = || format!("`{text}` is not an amount; write e.g. 1234.50, ¥1,234.50 or -12.00");
    let mut t = text.trim();
    let negative_parens = t.starts_with('(') && t.ends_with(')');
    if negative_parens {
        t = &t[1..t.len() - 1];
    }
    for code in ["CNY", "RMB", "USD", "EUR", "HKD", "元"] {
        t = t.trim_start_matches(code).trim_end_matches(code).trim();
    }
    let cleaned: String =
        t.chars().filter(|c| !matches!(c, ',' | '¥' | '￥' | '$' | '€' | '£' | ' ' | '\u{a0}')).collect();
    if cleaned.is_empty() || cleaned.contains(['e', 'E']) {
        return Err(bad());
    }
    let mut d = Decimal::from_str_exact(&cleaned).map_err(|_| bad())?;
    if d.scale() > MONEY_SCALE as u32 {
        d = d.normalize();
        if d.scale() > MONEY_SCALE as u32 {
            return Err(format!("`{text}` has more than {MONEY_SCALE} decimal places"));
        }
    }
    d.rescale(MONEY_SCALE as u32);
    let mut mantissa = d.mantissa();
    if negative_parens {
        mantissa = -mantissa;
    }
    if mantissa.abs() >= 10i128.pow(MONEY_PRECISION as u32) {
        return Err(format!("`{text}` is too large for an amount"));
    }
    Ok(mantissa)
}

fn parse_int(text: &str) -> Result<i64, String> {
    let cleaned: String = text.chars().filter(|c| *c != ',' && *c != '_').collect();
    if let Ok(v) = cleaned.parse::<i64>() {
        return Ok(v);
    }
    // Spreadsheets write whole numbers as 12.0.
    match cleaned.parse::<f64>() {
        Ok(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(f as i64),
        _ => Err(format!("`{text}` is not a whole number")),
    }
}

fn parse_bool(text: &str) -> Result<bool, String> {
    match text.to_lowercase().as_str() {
        "true" | "t" | "1" | "yes" | "y" | "是" => Ok(true),
        "false" | "f" | "0" | "no" | "n" | "否" => Ok(false),
        _ => Err(format!("`{text}` is not true/false (also 1/0, yes/no, 是/否)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SH: Tz = chrono_tz::Asia::Shanghai;

    fn ts(text: &str, tz: Tz) -> String {
        parse_timestamp(text, tz).map(|t| t.to_rfc3339()).unwrap_or_else(|e| e)
    }

    #[test]
    fn timestamps_with_and_without_offsets() {
        assert_eq!(ts("2026-10-31T23:59:59+08:00", SH), "2026-10-31T15:59:59+00:00");
        assert_eq!(ts("2026-10-31T16:30:00Z", SH), "2026-10-31T16:30:00+00:00");
        assert_eq!(ts("2026-10-31 23:59:59", SH), "2026-10-31T15:59:59+00:00");
        assert_eq!(ts("2026/10/03 14:22", SH), "2026-10-03T06:22:00+00:00");
        assert_eq!(ts("2026-10-03", SH), "2026-10-02T16:00:00+00:00");
        assert_eq!(ts("2026-10-31 23:59:59", Tz::UTC), "2026-10-31T23:59:59+00:00");
        assert!(ts("31/10/2026", SH).contains("is not a timestamp"));
    }

    #[test]
    fn naive_timestamps_across_daylight_saving_changes() {
        let ny: Tz = chrono_tz::America::New_York;
        // 2026-03-08 02:30 does not exist in New York; 2026-11-01 01:30 happens twice.
        assert!(ts("2026-03-08 02:30:00", ny).contains("does not exist"));
        assert_eq!(ts("2026-11-01 01:30:00", ny), "2026-11-01T05:30:00+00:00");
    }

    #[test]
    fn money_is_exact() {
        assert_eq!(parse_money("1234.5"), Ok(12_345_000));
        assert_eq!(parse_money("¥1,234.50"), Ok(12_345_000));
        assert_eq!(parse_money("CNY 1,234.50"), Ok(12_345_000));
        assert_eq!(parse_money("(12.00)"), Ok(-120_000));
        assert_eq!(parse_money("-0.01"), Ok(-100));
        assert_eq!(parse_money("0.1000"), Ok(1_000));
        assert_eq!(parse_money("3元"), Ok(30_000));
        assert!(parse_money("0.00001").unwrap_err().contains("decimal places"));
        assert!(parse_money("abc").unwrap_err().contains("not an amount"));
        assert!(parse_money("1e5").is_err());
    }

    #[test]
    fn ints_bools_enums_and_encoding_damage() {
        let score = ColumnType::Int { min: 0, max: 10 };
        assert_eq!(parse(score, "9", SH), Ok(Value::Int(9)));
        assert_eq!(parse(score, "10.0", SH), Ok(Value::Int(10)));
        assert!(parse(score, "11", SH).unwrap_err().contains("outside"));
        assert_eq!(parse(ColumnType::Int { min: 0, max: i64::MAX }, "1,024", SH), Ok(Value::Int(1024)));
        assert_eq!(parse(ColumnType::Bool, "是", SH), Ok(Value::Bool(true)));
        assert_eq!(parse(ColumnType::Bool, "N", SH), Ok(Value::Bool(false)));
        let status = ColumnType::Enum(crate::datasets::ORDER_STATUSES);
        assert_eq!(parse(status, " Paid ", SH), Ok(Value::Text("paid".into())));
        assert!(parse(status, "shipped", SH).is_err());
        assert!(parse(ColumnType::Text, "\u{fffd}\u{fffd}", SH).unwrap_err().contains("gbk"));
        assert_eq!(parse(ColumnType::Text, "  ", SH), Ok(Value::Null));
        assert_eq!(parse(ColumnType::Period, "2026-q4", SH), Ok(Value::Text("2026-Q4".into())));
        assert_eq!(parse(ColumnType::Date, "2026-10-31 00:00:00", SH), Ok(Value::Date(20_757)));
    }
}
