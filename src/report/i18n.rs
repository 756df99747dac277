//! The reports' words in each shipped locale (`report_templates/i18n/<locale>.toml`): `[text]` for
//! templates (`t.key`), `[chart]` for what charts draw. Both files must hold the same keys (a test).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::config::Locale;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Labels {
    pub text: BTreeMap<String, String>,
    pub chart: BTreeMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
pub enum I18nError {
    #[error("report_templates/i18n/{locale}.toml: {message}")]
    Parse { locale: &'static str, message: String },
    #[error("report_templates/i18n/{locale}.toml has no `{key}`")]
    Missing { locale: &'static str, key: String },
}

const EN: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/report_templates/i18n/en.toml"));
const ZH_CN: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/report_templates/i18n/zh-CN.toml"));

impl Labels {
    pub fn load(locale: Locale) -> Result<Labels, I18nError> {
        let text = match locale {
            Locale::En => EN,
            Locale::ZhCn => ZH_CN,
        };
        toml::from_str(text).map_err(|e| I18nError::Parse { locale: locale.tag(), message: e.to_string() })
    }

    pub fn text(&self, locale: Locale, key: &str) -> Result<&str, I18nError> {
        self.text.get(key).map(String::as_str).ok_or(I18nError::Missing { locale: locale.tag(), key: key.into() })
    }

    pub fn chart(&self, locale: Locale, key: &str) -> Result<&str, I18nError> {
        self.chart.get(key).map(String::as_str).ok_or(I18nError::Missing { locale: locale.tag(), key: key.into() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_locale_has_the_same_keys() {
        let en = Labels::load(Locale::En).unwrap();
        let zh = Labels::load(Locale::ZhCn).unwrap();
        assert_eq!(en.text.keys().collect::<Vec<_>>(), zh.text.keys().collect::<Vec<_>>());
        assert_eq!(en.chart.keys().collect::<Vec<_>>(), zh.chart.keys().collect::<Vec<_>>());
        assert!(en.text(Locale::En, "draft").is_ok_and(|t| t.contains("DRAFT")));
        assert!(en.text(Locale::En, "no_such_label").is_err());
    }

    #[test]
    fn every_dataset_has_a_label() {
        for locale in Locale::ALL {
            let labels = Labels::load(locale).unwrap();
            for dataset in crate::datasets::DATASETS {
                assert!(
                    labels.chart(locale, &format!("dataset_{}", dataset.name)).is_ok(),
                    "{locale:?}: {}",
                    dataset.name
                );
            }
        }
    }

    #[test]
    fn every_rule_is_described_with_known_thresholds() {
        let demo = std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/kpi-close.toml"));
        let thresholds = crate::config::Config::load(demo).unwrap().audit.thresholds();
        let placeholder = regex::Regex::new(r"\{([a-z_]+)\}").unwrap();
        for locale in Locale::ALL {
            let labels = Labels::load(locale).unwrap();
            for rule in crate::sql::rules::rules().unwrap() {
                let text = labels.text(locale, &format!("rule_{}", rule.id)).unwrap();
                for name in placeholder.captures_iter(text).map(|c| c[1].to_string()) {
                    assert!(thresholds.contains_key(&name), "{locale:?} rule_{}: no threshold `{name}`", rule.id);
                }
            }
        }
    }

    #[test]
    fn every_rule_class_has_a_label() {
        let en = Labels::load(Locale::En).unwrap();
        for rule in crate::sql::rules::rules().unwrap() {
            assert!(en.text(Locale::En, &format!("ivt_{}", rule.kind)).is_ok(), "{}: ivt_{}", rule.id, rule.kind);
        }
    }
}
