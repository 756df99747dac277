//! How figures read in a report's language: values by their indicator's unit, changes, grouped
//! numbers and chart axes. One home for number formatting, shared by every view model.

use super::i18n::Labels;
use crate::config::Locale;
use crate::sql::cards::{self as catalog, Card};

/// Formats figures in one report's language.
pub struct Format<'a> {
    pub locale: Locale,
    pub labels: &'a Labels,
    /// The company's currency, an ISO 4217 code.
    pub currency: &'a str,
}

/// The one mark of an empty cell: no value, no target, nothing to compare with.
pub const EMPTY: &str = "—";

impl Format<'_> {
    pub fn na(&self) -> String {
        EMPTY.into()
    }

    fn label<'k>(&'k self, key: &'k str) -> &'k str {
        self.labels.text.get(key).map(String::as_str).unwrap_or(key)
    }

    pub fn value(&self, card: Option<&Card>, v: Option<f64>) -> String {
        let Some(v) = v else { return self.na() };
        match card.map(|c| c.unit.as_str()) {
            Some("ratio") => percent(v, 2),
            Some("money") => self.money(v),
            Some("score") => grouped(v, 1),
            _ => grouped(v, if v.fract() == 0.0 { 0 } else { 2 }),
        }
    }

    /// A forecast of the value: counts are whole numbers.
    pub fn estimate(&self, card: Option<&Card>, v: Option<f64>) -> String {
        match card.map(|c| c.unit.as_str()) {
            Some("count") => self.value(card, v.map(f64::round)),
            _ => self.value(card, v),
        }
    }

    /// An amount of the company's currency, with its sign: `¥1,234.50` in zh-CN, `CN¥1,234.50` in en.
    pub fn money(&self, v: f64) -> String {
        let text = grouped(v, 2);
        let sign = currency_sign(self.currency, self.locale);
        match text.strip_prefix(MINUS) {
            Some(abs) => format!("{MINUS}{sign}{abs}"),
            None => format!("{sign}{text}"),
        }
    }

    /// Money as stored (`1234.5000`).
    pub fn money_text(&self, v: &str) -> String {
        v.parse::<f64>().map(|v| self.money(v)).unwrap_or_else(|_| v.to_string())
    }

    /// A relative change: `+5.3%`.
    pub fn change(&self, v: Option<f64>) -> String {
        v.map(|v| format!("{}%", signed(v * 100.0, 1))).unwrap_or_else(|| self.na())
    }

    /// How `value` differs from `base`, in the indicator's terms: a rate in percentage points, a
    /// score (NPS) in points, anything else relative to the base (empty when the base is 0).
    pub fn delta(&self, card: Option<&Card>, value: Option<f64>, base: Option<f64>) -> String {
        let (Some(v), Some(b)) = (value, base) else { return self.na() };
        match card.map(|c| c.unit.as_str()) {
            Some("ratio" | "score") => self.difference(card, v - b),
            _ if b == 0.0 => self.na(),
            _ => self.change(Some((v - b) / b.abs())),
        }
    }

    /// A difference of the indicator's values, signed: `+1.20 pp`, `−3.5 pts`, `+CN¥20.00`, `−12`.
    pub fn difference(&self, card: Option<&Card>, d: f64) -> String {
        match card.map(|c| c.unit.as_str()) {
            Some("ratio") => format!("{} {}", signed(d * 100.0, 2), self.label("unit_pp")),
            Some("score") => format!("{} {}", signed(d, 1), self.label("unit_points")),
            Some("money") if d > 0.0 && self.money(d) != self.money(0.0) => format!("+{}", self.money(d)),
            Some("money") => self.money(d),
            _ => signed(d, if d.fract() == 0.0 { 0 } else { 2 }),
        }
    }

    pub fn number(&self, v: Option<f64>, decimals: usize) -> String {
        v.map(|v| grouped(v, decimals)).unwrap_or_else(|| self.na())
    }

    pub fn yes_no(&self, v: Option<bool>) -> String {
        let key = match v {
            Some(true) => "yes",
            Some(false) => "no",
            None => return self.na(),
        };
        self.labels.text.get(key).cloned().unwrap_or_default()
    }

    pub fn kpi_name(&self, kpi: &str) -> String {
        match catalog::card(kpi).ok().flatten() {
            Some(card) if self.locale == Locale::ZhCn => card.name_zh.clone(),
            Some(card) => card.name.clone(),
            None => kpi.to_string(),
        }
    }
}

/// The one minus sign of every figure (U+2212, the width of a plus).
pub const MINUS: char = '−';

/// The sign of a currency (CLDR's short symbols for the usual ones), else its code and a space.
fn currency_sign(code: &str, locale: Locale) -> String {
    let zh = locale == Locale::ZhCn;
    let sign = match code {
        "CNY" if zh => "¥",
        "CNY" => "CN¥",
        "USD" if zh => "US$",
        "USD" => "$",
        "JPY" if zh => "JP¥",
        "JPY" => "¥",
        "HKD" => "HK$",
        "EUR" => "€",
        "GBP" => "£",
        _ => return format!("{code} "),
    };
    sign.to_string()
}

/// `0.0523` → `5.23%` (the minus sign is U+2212).
pub fn percent(v: f64, decimals: usize) -> String {
    format!("{}%", grouped(v * 100.0, decimals))
}

/// A figure with its sign: `+1.2`, `−1.2`, `0.0`.
pub fn signed(v: f64, decimals: usize) -> String {
    let text = grouped(v, decimals);
    if v > 0.0 && text.chars().any(|c| c.is_ascii_digit() && c != '0') { format!("+{text}") } else { text }
}

/// `1234567.891` → `1,234,567.89`.
pub fn grouped(v: f64, decimals: usize) -> String {
    let text = format!("{:.*}", decimals, v.abs());
    let (int, frac) = text.split_once('.').map(|(i, f)| (i, Some(f))).unwrap_or((&text, None));
    let mut out = String::new();
    for (i, c) in int.chars().enumerate() {
        if i > 0 && (int.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if let Some(frac) = frac {
        out.push('.');
        out.push_str(frac);
    }
    if v < 0.0 && out.chars().any(|c| c.is_ascii_digit() && c != '0') {
        out.insert(0, MINUS);
    }
    out
}

pub fn axis_percent(v: f64) -> String {
    let p = v * 100.0;
    percent(v, if (p - p.round()).abs() < 1e-9 { 0 } else { 1 })
}

pub fn axis_number(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{}M", grouped(v / 1e6, 1))
    } else if a >= 1e4 {
        format!("{}k", grouped(v / 1e3, 0))
    } else if a >= 100.0 || v.fract() == 0.0 {
        grouped(v, 0)
    } else {
        grouped(v, 2)
    }
}

pub fn axis_score(v: f64) -> String {
    grouped(v, 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with<R>(locale: Locale, currency: &str, f: impl FnOnce(&Format) -> R) -> R {
        let labels = Labels::load(locale).unwrap();
        f(&Format { locale, labels: &labels, currency })
    }

    #[test]
    fn numbers_have_one_minus_sign_and_one_percent_style() {
        assert_eq!(grouped(1234567.891, 2), "1,234,567.89");
        assert_eq!(grouped(-1234.0, 0), "−1,234");
        assert_eq!(grouped(-0.001, 2), "0.00");
        assert_eq!(percent(-0.0309, 2), "−3.09%");
        assert_eq!(signed(0.04, 1), "0.0");
        assert_eq!(signed(2.0, 1), "+2.0");
        assert_eq!(
            (axis_number(1_250_000.0), axis_number(-12_000.0), axis_percent(-0.05)),
            ("1.2M".into(), "−12k".into(), "−5%".into())
        );
    }

    #[test]
    fn money_carries_the_currency_of_the_locale() {
        assert_eq!(with(Locale::ZhCn, "CNY", |f| f.money(-77100.0)), "−¥77,100.00");
        assert_eq!(with(Locale::En, "CNY", |f| f.money_text("12000.5000")), "CN¥12,000.50");
        assert_eq!(with(Locale::En, "SEK", |f| f.money(5.0)), "SEK 5.00");
    }

    #[test]
    fn rates_change_in_points_and_counts_relative_to_their_base() {
        let uv_growth = catalog::card("uv_growth_yoy").unwrap();
        let nps = catalog::card("nps").unwrap();
        let uv = catalog::card("uv").unwrap();
        with(Locale::En, "CNY", |f| {
            assert_eq!(f.delta(uv_growth, Some(0.037), Some(0.15)), "−11.30 pp");
            assert_eq!(f.delta(nps, Some(42.0), Some(38.5)), "+3.5 pts");
            assert_eq!(f.delta(uv, Some(110.0), Some(100.0)), "+10.0%");
            assert_eq!(f.delta(uv, Some(110.0), Some(0.0)), EMPTY);
            assert_eq!(f.estimate(catalog::card("mql_count").unwrap(), Some(83.97)), "84");
            let revenue = catalog::card("revenue").unwrap();
            assert_eq!(
                (f.difference(revenue, 20.0), f.difference(revenue, -20.0)),
                ("+CN¥20.00".into(), "−CN¥20.00".into())
            );
            assert_eq!(f.difference(uv, -12.0), "−12");
        });
        assert_eq!(with(Locale::ZhCn, "CNY", |f| f.delta(uv_growth, Some(0.2), Some(0.15))), "+5.00 百分点");
    }
}
