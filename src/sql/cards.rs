//! Definition cards: what each indicator means, read from the comment block that opens its SQL file
//! (`-- key: value` lines), so the definition and the query that computes it cannot drift apart.
//! `explain` prints a card; the `kpi_catalog` table (`kpis`) gives SQL (the mart and the checks)
//! each indicator's kind, bounds and volume threshold.

use std::fmt;
use std::sync::OnceLock;

use super::{INDICATORS, SqlFile};
use crate::period::PeriodKind;

/// Count-like indicators add up and default to 0; ratios are numerator / denominator and are n/a
/// when the denominator is 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Count,
    Ratio,
}

/// A ratio is marked low-volume on its denominator when that is a count (MQLs, orders, customers),
/// and on its rows in (`volume`) when the denominator is an amount (spend): 2 CNY of spend is not
/// "too few".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LowVolumeOn {
    Denominator,
    Volume,
}

#[derive(Debug, Clone)]
pub struct Card {
    pub id: &'static str,
    pub name: String,
    pub name_zh: String,
    pub formula: String,
    pub numerator: String,
    pub denominator: String,
    pub filters: String,
    pub grains: String,
    pub cycle: PeriodKind,
    /// `higher`, `lower` or `neutral` (supporting measures nobody is scored on directly).
    pub direction: String,
    /// `count`, `money`, `ratio` or `score`.
    pub unit: String,
    pub kind: Kind,
    pub additive: bool,
    pub lower_bound: Option<f64>,
    pub upper_bound: Option<f64>,
    /// What "rows in" means for the excluded share.
    pub volume: String,
    /// What a ratio's low-volume mark compares with `kpis.min_volume` (card key `low_volume`).
    pub low_volume_on: LowVolumeOn,
    /// A ratio that is exactly one indicator over another at every grain (card key
    /// `components: numerator / denominator`), so the plan's targets of the three can be checked
    /// against each other.
    pub components: Option<(String, String)>,
    pub version: u32,
    /// `v<version>-<first 8 hex of the SQL file's SHA-256>`: any edit to the query shows.
    pub definition_version: String,
    pub file: &'static SqlFile,
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}: definition card: {message}")]
pub struct CardError {
    pub file: String,
    pub message: String,
}

const KEYS: &[&str] = &[
    "kpi",
    "name",
    "name_zh",
    "formula",
    "numerator",
    "denominator",
    "filters",
    "grains",
    "cycle",
    "direction",
    "unit",
    "kind",
    "additive",
    "bounds",
    "volume",
    "low_volume",
    "components",
    "version",
];

impl Card {
    pub fn parse(file: &'static SqlFile) -> Result<Card, CardError> {
        let fail = |message: String| CardError { file: file.path(), message };
        let mut fields = std::collections::BTreeMap::new();
        for line in file.text().lines().map_while(|l| l.strip_prefix("-- ")) {
            let Some((key, value)) = line.split_once(": ") else {
                return Err(fail(format!("`{line}` is not `key: value`")));
            };
            if !KEYS.contains(&key) {
                return Err(fail(format!("unknown key `{key}`; known keys are {}", KEYS.join(", "))));
            }
            fields.insert(key, value.trim().to_string());
        }
        let get = |key: &str| fields.get(key).cloned().ok_or_else(|| fail(format!("missing `{key}`")));
        if get("kpi")? != file.name {
            return Err(fail(format!("`kpi: {}` must equal the file name `{}`", get("kpi")?, file.name)));
        }
        let cycle = match get("cycle")?.as_str() {
            "month" => PeriodKind::Month,
            "quarter" => PeriodKind::Quarter,
            "half" => PeriodKind::Half,
            "year" => PeriodKind::Year,
            other => return Err(fail(format!("cycle `{other}` is not month, quarter, half or year"))),
        };
        let direction = get("direction")?;
        if !["higher", "lower", "neutral"].contains(&direction.as_str()) {
            return Err(fail(format!("direction `{direction}` is not higher, lower or neutral")));
        }
        let unit = get("unit")?;
        if !["count", "money", "ratio", "score"].contains(&unit.as_str()) {
            return Err(fail(format!("unit `{unit}` is not count, money, ratio or score")));
        }
        let kind = match get("kind")?.as_str() {
            "count" => Kind::Count,
            "ratio" => Kind::Ratio,
            other => return Err(fail(format!("kind `{other}` is not count or ratio"))),
        };
        let additive = match get("additive")?.as_str() {
            "yes" => true,
            "no" => false,
            other => return Err(fail(format!("additive `{other}` is not yes or no"))),
        };
        let bounds = get("bounds")?;
        let (lower, upper) =
            bounds.split_once("..").ok_or_else(|| fail(format!("bounds `{bounds}` is not `low..high`")))?;
        let bound = |text: &str| -> Result<Option<f64>, CardError> {
            if text.is_empty() {
                return Ok(None);
            }
            text.parse().map(Some).map_err(|_| fail(format!("bound `{text}` is not a number")))
        };
        let low_volume_on = match fields.get("low_volume").map(String::as_str) {
            None | Some("denominator") => LowVolumeOn::Denominator,
            Some("volume") if kind == Kind::Ratio => LowVolumeOn::Volume,
            Some(other) => {
                return Err(fail(format!(
                    "low_volume `{other}` is not denominator or volume (volume only for a ratio)"
                )));
            }
        };
        let components = match fields.get("components") {
            None => None,
            Some(text) => match text.split_once(" / ") {
                Some((n, d)) if kind == Kind::Ratio && !n.trim().is_empty() && !d.trim().is_empty() => {
                    Some((n.trim().to_string(), d.trim().to_string()))
                }
                _ => return Err(fail(format!("components `{text}` is not `numerator / denominator` of a ratio"))),
            },
        };
        let version: u32 = get("version")?.parse().map_err(|_| fail("version must be a whole number".into()))?;
        let digest = file.sha256();
        Ok(Card {
            id: file.name,
            name: get("name")?,
            name_zh: get("name_zh")?,
            formula: get("formula")?,
            numerator: get("numerator")?,
            denominator: get("denominator")?,
            filters: get("filters")?,
            grains: get("grains")?,
            cycle,
            direction,
            unit,
            kind,
            additive,
            lower_bound: bound(lower)?,
            upper_bound: bound(upper)?,
            volume: get("volume")?,
            low_volume_on,
            components,
            version,
            definition_version: format!("v{version}-{}", &digest[..8]),
            file,
        })
    }
}

/// Every indicator's card, in the order of `sql::INDICATORS`.
pub fn cards() -> Result<&'static [Card], CardError> {
    static CARDS: OnceLock<Result<Vec<Card>, CardError>> = OnceLock::new();
    CARDS.get_or_init(|| INDICATORS.iter().map(Card::parse).collect()).as_ref().map(Vec::as_slice).map_err(Clone::clone)
}

pub fn card(id: &str) -> Result<Option<&'static Card>, CardError> {
    Ok(cards()?.iter().find(|c| c.id == id))
}

pub fn is_known(id: &str) -> bool {
    INDICATORS.iter().any(|f| f.name == id)
}

impl Card {
    /// The card as `explain` prints it.
    pub fn render(&self, timezone: &str) -> String {
        let mut out = format!("{} — {} ({})\n", self.id, self.name, self.name_zh);
        let rows: [(&str, String); 13] = [
            ("formula", self.formula.clone()),
            ("numerator", self.numerator.clone()),
            ("denominator", self.denominator.clone()),
            ("filters", self.filters.clone()),
            ("grains", self.grains.clone()),
            ("cycle", self.cycle.as_str().to_string()),
            ("direction", format!("{} is better", self.direction).replace("neutral is better", "neutral")),
            ("unit", self.unit.clone()),
            ("zero denominator", if self.kind == Kind::Ratio { "n/a" } else { "not a ratio" }.to_string()),
            ("low volume", self.low_volume_rule()),
            ("timezone", format!("{timezone} (calendar periods)")),
            ("version", self.definition_version.clone()),
            ("sql", self.file.path()),
        ];
        for (key, value) in rows {
            out.push_str(&format!("  {key:<17}{value}\n"));
        }
        out
    }

    fn low_volume_rule(&self) -> String {
        match self.kind {
            Kind::Ratio if self.low_volume_on == LowVolumeOn::Volume => {
                format!("marked when the rows in ({}) are below kpis.min_volume", self.volume)
            }
            Kind::Ratio => "marked when the denominator is below kpis.min_volume".to_string(),
            Kind::Count => "never (a count)".to_string(),
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Count => "count",
            Kind::Ratio => "ratio",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_indicator_file_has_a_complete_card() {
        let cards = cards().unwrap();
        assert_eq!(cards.len(), INDICATORS.len());
        for card in cards {
            assert!(card.definition_version.starts_with(&format!("v{}-", card.version)));
            if card.kind == Kind::Count {
                assert_eq!(card.lower_bound, Some(0.0), "{}", card.id);
            }
        }
    }

    #[test]
    fn components_name_indicators_the_ratio_divides() {
        let with: Vec<&Card> = cards().unwrap().iter().filter(|c| c.components.is_some()).collect();
        assert!(with.len() >= 3, "lead_conversion_rate, cpl, asp");
        for card in with {
            let (n, d) = card.components.as_ref().unwrap();
            for part in [n, d] {
                let part = card_of(part);
                assert_eq!(part.kind, Kind::Count, "{}: {} is a count or a sum", card.id, part.id);
            }
        }
    }

    fn card_of(id: &str) -> &'static Card {
        card(id).unwrap().unwrap_or_else(|| panic!("no indicator {id}"))
    }

    #[test]
    fn the_twelve_framework_indicators_are_there_with_their_cycles() {
        let expected = [
            ("uv_growth_yoy", PeriodKind::Month),
            ("lead_conversion_rate", PeriodKind::Month),
            ("mql_count", PeriodKind::Month),
            ("cpl", PeriodKind::Quarter),
            ("sql_conversion_rate", PeriodKind::Month),
            ("win_rate", PeriodKind::Quarter),
            ("asp", PeriodKind::Quarter),
            ("clv", PeriodKind::Year),
            ("social_engagement_rate", PeriodKind::Month),
            ("retention_rate", PeriodKind::Quarter),
            ("nps", PeriodKind::Half),
            ("revenue", PeriodKind::Month),
        ];
        for (id, cycle) in expected {
            let card = card(id).unwrap().unwrap_or_else(|| panic!("{id} missing"));
            assert_eq!(card.cycle, cycle, "{id}");
        }
        assert_eq!(card("cpl").unwrap().unwrap().direction, "lower");
    }

    #[test]
    fn a_card_with_an_unknown_key_names_the_file_and_key() {
        static BAD: SqlFile = SqlFile { layer: "kpi", name: "bad", embedded: "-- kpi: bad\n-- colour: red\nSELECT 1" };
        let err = Card::parse(&BAD).unwrap_err();
        assert_eq!(err.file, "sql/kpi/bad.sql");
        assert!(err.message.contains("unknown key `colour`"), "{err}");
    }
}
