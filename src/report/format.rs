//! How figures read in a report's language: values by their indicator's unit, changes, grouped
//! numbers and chart axes. One home for number formatting, shared by every view model.

use super::i18n::Labels;
use crate::config::Locale;
use crate::sql::cards::{self as catalog, Card};

/// Formats figures in one report's language.
pub struct Format<'a> {
    pub locale: Locale,
    pub labels: &'a Labels,
}

impl Format<'_> {
    pub fn na(&self) -> String {
        self.labels.text.get("not_available").cloned().unwrap_or_else(|| "n/a".into())
    }

    pub fn value(&self, card: Option<&Card>, v: Option<f64>) -> String {
        let Some(v) = v else { return self.na() };
        match card.map(|c| c.unit.as_str()) {
            Some("ratio") => format!("{:.2} %", v * 100.0),
            Some("money") => grouped(v, 2),
            Some("score") => format!("{v:.1}"),
            _ => grouped(v, if v.fract() == 0.0 { 0 } else { 2 }),
        }
    }

    pub fn change(&self, v: Option<f64>) -> String {
        match v {
            Some(v) => format!(
                "{}{:.1} %",
                if v > 0.0 {
                    "+"
                } else if v < 0.0 {
                    "−"
                } else {
                    ""
                },
                v.abs() * 100.0
            ),
            None => self.na(),
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
        out.insert(0, '−');
    }
    out
}

pub fn axis_percent(v: f64) -> String {
    let p = v * 100.0;
    if (p - p.round()).abs() < 1e-9 { format!("{p:.0}%") } else { format!("{p:.1}%") }
}

pub fn axis_number(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{:.1}M", v / 1e6)
    } else if a >= 1e4 {
        format!("{:.0}k", v / 1e3)
    } else if a >= 100.0 || v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

pub fn axis_score(v: f64) -> String {
    format!("{v:.0}")
}
