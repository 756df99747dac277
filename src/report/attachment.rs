//! A report's figures as data, attached to its mail and kept in the archive: the same tables as a
//! CSV (the first table; machine column names, raw numbers: ratios as fractions, money in the
//! company's currency) and as an XLSX workbook (a sheet per table, headers in the report's
//! language, numeric cells with number formats). Each row carries its period, revision and currency.

use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook};

use super::ReportError;
use super::i18n::Labels;
use super::model::{Builder, Leadership, Member, Meta};
use crate::period::Period;
use crate::sql::cards as catalog;

/// How a number reads in a spreadsheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Whole numbers: `#,##0`.
    Count,
    /// Shares and rates, stored as fractions: `0.00%`.
    Percent,
    /// Amounts of the company's currency: `#,##0.00`.
    Money,
    /// Scores, weights, points: `0.0`.
    Decimal,
    /// Anything else: as stored.
    General,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Number(f64, Unit),
    Flag(bool),
    Empty,
}

impl Cell {
    pub fn text(s: impl Into<String>) -> Cell {
        Cell::Text(s.into())
    }

    pub fn number(v: Option<f64>, unit: Unit) -> Cell {
        v.filter(|v| v.is_finite()).map_or(Cell::Empty, |v| Cell::Number(v, unit))
    }

    /// The indicator unit of a card (`ratio`, `money`, `score`, `count`) as a spreadsheet unit.
    pub fn of_indicator(v: Option<f64>, unit: &str) -> Cell {
        let unit = match unit {
            "ratio" => Unit::Percent,
            "money" => Unit::Money,
            "score" => Unit::Decimal,
            "count" => Unit::Count,
            _ => Unit::General,
        };
        Cell::number(v, unit)
    }
}

/// One sheet: a name, columns (a machine key for the CSV and a label for the workbook) and rows.
#[derive(Debug, Clone)]
pub struct Table {
    pub sheet: String,
    pub columns: Vec<(&'static str, String)>,
    pub rows: Vec<Vec<Cell>>,
}

/// The first table as CSV, with a UTF-8 byte-order mark so spreadsheet programs read Chinese.
pub fn csv(table: &Table) -> Result<String, ReportError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let fail = |e: csv::Error| ReportError::Csv(e.to_string());
    w.write_record(table.columns.iter().map(|(key, _)| *key)).map_err(fail)?;
    for row in &table.rows {
        let cells: Vec<String> = row
            .iter()
            .map(|c| match c {
                Cell::Text(s) => s.clone(),
                Cell::Number(v, _) => v.to_string(),
                Cell::Flag(b) => b.to_string(),
                Cell::Empty => String::new(),
            })
            .collect();
        w.serialize(cells).map_err(fail)?;
    }
    let bytes = w.into_inner().map_err(|e| ReportError::Csv(e.to_string()))?;
    Ok(format!("\u{feff}{}", String::from_utf8_lossy(&bytes)))
}

/// Every table as a sheet of one workbook. Its creation date is the first day of the period's last
/// month, so the same figures give the same bytes.
pub fn xlsx(tables: &[Table], period: Period) -> Result<Vec<u8>, ReportError> {
    let fail = |e: rust_xlsxwriter::XlsxError| ReportError::Xlsx(e.to_string());
    let mut book = Workbook::new();
    let last = period.months().last().copied().unwrap_or(period);
    let created = match last {
        Period::Month { year, month } => ExcelDateTime::from_ymd(year as u16, month as u8, 1).map_err(fail)?,
        _ => ExcelDateTime::from_ymd(2000, 1, 1).map_err(fail)?,
    };
    book.set_properties(&DocProperties::new().set_creation_datetime(&created));
    let header = Format::new().set_bold();
    let formats = |unit: Unit| match unit {
        Unit::Count => Format::new().set_num_format("#,##0"),
        Unit::Percent => Format::new().set_num_format("0.00%"),
        Unit::Money => Format::new().set_num_format("#,##0.00"),
        Unit::Decimal => Format::new().set_num_format("0.0"),
        Unit::General => Format::new(),
    };
    for table in tables {
        let sheet = book.add_worksheet();
        sheet.set_name(sheet_name(&table.sheet)).map_err(fail)?;
        for (c, (_, label)) in table.columns.iter().enumerate() {
            sheet.write_string_with_format(0, c as u16, label, &header).map_err(fail)?;
        }
        for (r, row) in table.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Cell::Text(s) => sheet.write_string(r, c, s).map(|_| ()),
                    Cell::Number(v, unit) => sheet.write_number_with_format(r, c, *v, &formats(*unit)).map(|_| ()),
                    Cell::Flag(b) => sheet.write_boolean(r, c, *b).map(|_| ()),
                    Cell::Empty => Ok(()),
                }
                .map_err(fail)?;
            }
        }
        sheet.set_freeze_panes(1, 0).map_err(fail)?;
        sheet.autofit();
    }
    book.save_to_buffer().map_err(fail)
}

/// A sheet name Excel accepts: at most 31 characters, none of `[]:*?/\`.
fn sheet_name(name: &str) -> String {
    name.chars().filter(|c| !"[]:*?/\\".contains(*c)).take(31).collect()
}

/// The tables of the leadership report: the company's indicators, then every team's and channel's.
pub fn leadership(b: &Builder, meta: &Meta, m: &Leadership) -> Result<Vec<Table>, ReportError> {
    let label = Labeller::new(b);
    let company = Table {
        sheet: label.text("sheet_indicators")?,
        columns: label.stamped(&[
            "kpi",
            "indicator",
            "value",
            "target",
            "previous_value",
            "year_ago_value",
            "gross_value",
            "excluded_share",
            "low_volume",
        ])?,
        rows: m
            .indicators
            .iter()
            .map(|l| {
                let r = &l.row;
                let unit = unit_of(&r.kpi);
                stamped(
                    meta,
                    [
                        Cell::text(&r.kpi),
                        Cell::text(&l.name),
                        Cell::of_indicator(r.value, &unit),
                        Cell::of_indicator(r.target, &unit),
                        Cell::of_indicator(r.previous_value, &unit),
                        Cell::of_indicator(r.year_ago_value, &unit),
                        Cell::of_indicator(r.gross_value, &unit),
                        Cell::number(r.excluded_share, Unit::Percent),
                        Cell::Flag(r.low_volume),
                    ],
                )
            })
            .collect(),
    };
    let parts = Table {
        sheet: label.text("sheet_breakdown")?,
        columns: label.stamped(&[
            "grain",
            "entity_id",
            "kpi",
            "indicator",
            "value",
            "target",
            "previous_value",
            "low_volume",
        ])?,
        rows: b
            .data
            .indicators
            .iter()
            .filter(|r| r.grain == "team" || r.grain == "channel")
            .map(|r| {
                let unit = unit_of(&r.kpi);
                stamped(
                    meta,
                    [
                        Cell::text(&r.grain),
                        Cell::text(&r.entity_id),
                        Cell::text(&r.kpi),
                        Cell::text(b.fmt.kpi_name(&r.kpi)),
                        Cell::of_indicator(r.value, &unit),
                        Cell::of_indicator(r.target, &unit),
                        Cell::of_indicator(r.previous_value, &unit),
                        Cell::Flag(r.low_volume),
                    ],
                )
            })
            .collect(),
    };
    Ok(vec![company, parts])
}

/// A scorecard table: every line of the members shown, as the total used it (achievement as a
/// fraction, the scheme's weight and the weight used, points), with each person's total and bonus.
pub fn scorecards<'a>(
    b: &Builder,
    meta: &Meta,
    members: impl Iterator<Item = &'a Member>,
) -> Result<Vec<Table>, ReportError> {
    let label = Labeller::new(b);
    let mut rows = Vec::new();
    for m in members {
        for l in &m.lines {
            let r = &l.row;
            let unit = unit_of(&r.kpi);
            rows.push(stamped(
                meta,
                [
                    Cell::text(&r.person_id),
                    Cell::text(&m.name),
                    Cell::text(&r.team_id),
                    Cell::text(&r.kpi),
                    Cell::text(&l.name),
                    Cell::text(&r.level),
                    Cell::of_indicator(r.target, &unit),
                    Cell::of_indicator(r.actual, &unit),
                    Cell::number(r.achievement, Unit::Percent),
                    Cell::number(r.weight, Unit::Decimal),
                    Cell::number(r.effective_weight, Unit::Decimal),
                    Cell::number(r.points, Unit::Decimal),
                    Cell::text(&l.note),
                    Cell::number(r.total_score, Unit::Decimal),
                    Cell::text(r.rating.clone().unwrap_or_default()),
                    Cell::number(r.bonus.as_deref().and_then(|v| v.parse().ok()), Unit::Money),
                ],
            ));
        }
    }
    Ok(vec![Table {
        sheet: label.text("sheet_scorecards")?,
        columns: label.stamped(&[
            "person_id",
            "person",
            "team_id",
            "kpi",
            "indicator",
            "level",
            "target",
            "actual",
            "achievement",
            "scheme_weight",
            "weight_used",
            "points",
            "note",
            "total_score",
            "rating",
            "bonus",
        ])?,
        rows,
    }])
}

/// The audit report's tables: rows flagged per rule, and rows in → GIVT → SIVT → net per dataset.
pub fn audit(b: &Builder, meta: &Meta) -> Result<Vec<Table>, ReportError> {
    let label = Labeller::new(b);
    let count = |v: i64| Cell::Number(v as f64, Unit::Count);
    let rules = Table {
        sheet: label.text("sheet_rules")?,
        columns: label.stamped(&["rule_id", "dataset", "ivt_class", "rule_version", "rows_flagged"])?,
        rows: b
            .data
            .rules
            .iter()
            .map(|r| {
                stamped(
                    meta,
                    [
                        Cell::text(&r.rule_id),
                        Cell::text(&r.dataset),
                        Cell::text(&r.ivt_class),
                        Cell::text(&r.rule_version),
                        count(r.rows_flagged),
                    ],
                )
            })
            .collect(),
    };
    let datasets = Table {
        sheet: label.text("sheet_datasets")?,
        columns: label.stamped(&["dataset", "rows_in", "rows_givt", "rows_sivt", "rows_net"])?,
        rows: b
            .data
            .datasets
            .iter()
            .map(|d| {
                stamped(
                    meta,
                    [
                        Cell::text(&d.dataset),
                        count(d.rows_in),
                        count(d.rows_givt),
                        count(d.rows_sivt),
                        count(d.rows_net),
                    ],
                )
            })
            .collect(),
    };
    Ok(vec![rules, datasets])
}

/// A row: the period, revision and currency every row starts with, then `cells`.
fn stamped(meta: &Meta, cells: impl IntoIterator<Item = Cell>) -> Vec<Cell> {
    let mut row =
        vec![Cell::text(&meta.period), Cell::Number(meta.revision as f64, Unit::Count), Cell::text(&meta.currency)];
    row.extend(cells);
    row
}

fn unit_of(kpi: &str) -> String {
    catalog::card(kpi).ok().flatten().map(|c| c.unit.clone()).unwrap_or_default()
}

/// Column and sheet labels in the report's language (`col_<key>`, `sheet_<name>`).
struct Labeller<'a> {
    labels: &'a Labels,
    locale: crate::config::Locale,
}

impl<'a> Labeller<'a> {
    fn new(b: &'a Builder) -> Labeller<'a> {
        Labeller { labels: b.fmt.labels, locale: b.fmt.locale }
    }

    fn text(&self, key: &str) -> Result<String, ReportError> {
        Ok(self.labels.text(self.locale, key)?.to_string())
    }

    /// The columns `stamped` rows start with (period, revision, currency), then `keys`.
    fn stamped(&self, keys: &[&'static str]) -> Result<Vec<(&'static str, String)>, ReportError> {
        ["period", "revision", "currency"]
            .iter()
            .chain(keys)
            .map(|k| Ok((*k, self.text(&format!("col_{k}"))?)))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use calamine::{Data, Reader, Xlsx};

    use super::*;

    fn table() -> Table {
        Table {
            sheet: "Indicators: 2026/10".into(),
            columns: vec![("kpi", "Indicator".into()), ("value", "Value".into()), ("low_volume", "Low volume".into())],
            rows: vec![
                vec![Cell::text("lead_conversion_rate"), Cell::of_indicator(Some(0.0425), "ratio"), Cell::Flag(false)],
                vec![Cell::text("revenue"), Cell::of_indicator(Some(117596.9928), "money"), Cell::Flag(true)],
                vec![Cell::text("nps"), Cell::of_indicator(None, "score"), Cell::Flag(false)],
            ],
        }
    }

    #[test]
    fn the_csv_holds_raw_numbers() {
        let text = csv(&table()).unwrap();
        assert_eq!(
            text,
            "\u{feff}kpi,value,low_volume\nlead_conversion_rate,0.0425,false\nrevenue,117596.9928,true\nnps,,false\n"
        );
    }

    #[test]
    fn the_workbook_reads_back_as_numbers_and_is_the_same_bytes_twice() {
        let period: Period = "2026-10".parse().unwrap();
        let bytes = xlsx(&[table()], period).unwrap();
        assert_eq!(bytes, xlsx(&[table()], period).unwrap(), "deterministic");
        let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(book.sheet_names(), ["Indicators 202610"]);
        let range = book.worksheet_range("Indicators 202610").unwrap();
        assert_eq!(range.get((0, 0)), Some(&Data::String("Indicator".into())));
        assert_eq!(range.get((1, 1)), Some(&Data::Float(0.0425)));
        assert_eq!(range.get((2, 1)), Some(&Data::Float(117596.9928)));
        assert_eq!(range.get((2, 2)), Some(&Data::Bool(true)));
        assert!(matches!(range.get((3, 1)), None | Some(Data::Empty)));
    }
}
