//! Flags in the reader's language: each flag's facts (`flags.detail`, written by the score stage)
//! worded with the `flag_*` labels, figures formatted as everywhere else. A flag stored before the
//! facts existed keeps its stored English explanation.

use serde_json::Value;

use super::format::{Format, percent};
use crate::sql::cards as catalog;

/// The flag's explanation in `f`'s language; `stored` when its facts are missing or not understood.
pub fn flag(f: &Format, flag: &str, detail: Option<&Value>, stored: &str) -> String {
    detail.and_then(|d| worded(f, flag, d)).unwrap_or_else(|| stored.to_string())
}

fn worded(f: &Format, flag: &str, d: &Value) -> Option<String> {
    let label = |key: &str| f.labels.text.get(key).cloned();
    let text = |v: &Value| v.as_str().map(str::to_string);
    let score = |v: &Value| match v.as_f64() {
        Some(s) => Some(f.number(Some(s), 1)),
        None => label("not_scored"),
    };
    let list = |key: &str| d.get(key).and_then(Value::as_array);
    let months_with_scores = || -> Option<String> {
        let month_score = label("flag_month_score")?;
        let parts: Option<Vec<String>> = list("months")?
            .iter()
            .zip(list("scores")?)
            .map(|(m, s)| Some(month_score.replace("{month}", &text(m)?).replace("{score}", &score(s)?)))
            .collect();
        Some(parts?.join(", "))
    };
    let range = |template: String| -> Option<String> {
        Some(template.replace("{from}", &text(d.get("from")?)?).replace("{to}", &text(d.get("to")?)?))
    };
    match flag {
        "pip" => {
            let (months, scores) = (list("months")?, list("scores")?);
            let template = label("flag_pip")?
                .replace("{m1}", &text(months.first()?)?)
                .replace("{s1}", &score(scores.first()?)?)
                .replace("{m2}", &text(months.get(1)?)?)
                .replace("{s2}", &score(scores.get(1)?)?);
            range(template)
        }
        "pip_passed" | "pip_review" => {
            range(label(&format!("flag_{flag}"))?.replace("{months}", &months_with_scores()?))
        }
        "raise_candidate" => {
            let rank = label("flag_rank")?;
            let ranks: Option<Vec<String>> = list("quarters")?
                .iter()
                .zip(list("ranks")?)
                .zip(list("of")?)
                .map(|((q, r), n)| {
                    Some(
                        rank.replace("{quarter}", &text(q)?)
                            .replace("{rank}", &r.as_u64()?.to_string())
                            .replace("{of}", &n.as_u64()?.to_string()),
                    )
                })
                .collect();
            Some(label("flag_raise_candidate")?.replace("{ranks}", &ranks?.join("; ")))
        }
        "promotion_eligible" => {
            let (years, ratings) = (list("years")?, list("ratings")?);
            Some(
                label("flag_promotion_eligible")?
                    .replace("{y1}", &text(years.first()?)?)
                    .replace("{r1}", &text(ratings.first()?)?)
                    .replace("{y2}", &text(years.get(1)?)?)
                    .replace("{r2}", &text(ratings.get(1)?)?),
            )
        }
        "training" => {
            let kpi = text(d.get("kpi")?)?;
            let card = catalog::card(&kpi).ok().flatten();
            let topic = text(d.get("topic")?)?;
            // A topic left at its default reads in the report's language; one the company wrote, as written.
            let topic = match crate::config::default_training().get(&kpi) {
                Some(default) if *default == topic => label(&format!("training_{kpi}")).unwrap_or(topic),
                _ => topic,
            };
            Some(
                label("flag_training")?
                    .replace("{kpi}", &f.kpi_name(&kpi))
                    .replace("{achievement}", &percent(d.get("achievement")?.as_f64()?, 1))
                    .replace("{actual}", &f.value(card, d.get("actual").and_then(Value::as_f64)))
                    .replace("{target}", &f.value(card, d.get("target").and_then(Value::as_f64)))
                    .replace("{topic}", &topic),
            )
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::config::Locale;
    use crate::report::i18n::Labels;

    fn worded_in(locale: Locale, flag_kind: &str, detail: Value) -> String {
        let labels = Labels::load(locale).unwrap();
        let f = Format { locale, labels: &labels, currency: "CNY" };
        flag(&f, flag_kind, Some(&detail), "stored")
    }

    #[test]
    fn every_flag_is_worded_in_both_languages() {
        let pip =
            json!({ "months": ["2026-08", "2026-09"], "scores": [71.0, null], "from": "2026-10", "to": "2026-12" });
        assert_eq!(
            worded_in(Locale::En, "pip", pip.clone()),
            "missed target in 2026-08 (score 71.0) and 2026-09 (score not scored): PIP 2026-10 … 2026-12, 3 months of observation"
        );
        assert!(worded_in(Locale::ZhCn, "pip", pip).contains("2026-08（得分 71.0）"));
        let training = json!({ "kpi": "uv_growth_yoy", "achievement": 0.0, "actual": -0.0309, "target": 0.15, "topic": "Content and SEO for organic reach" });
        assert_eq!(
            worded_in(Locale::En, "training", training.clone()),
            "UV growth rate, year on year: achievement 0.0% (actual −3.09%, target 15.00%) is below 80% → Content and SEO for organic reach"
        );
        let zh = worded_in(Locale::ZhCn, "training", training);
        assert!(zh.contains("独立访客增长率") && zh.contains("内容与 SEO") && !zh.contains("Content"), "{zh}");
        let custom =
            json!({ "kpi": "nps", "achievement": 0.5, "actual": 20.0, "target": 40.0, "topic": "客服话术培训" });
        assert!(
            worded_in(Locale::En, "training", custom).ends_with("→ 客服话术培训"),
            "a topic the company wrote stays as written"
        );
        let raise = json!({ "quarters": ["2026-Q1", "2026-Q2", "2026-Q3"], "ranks": [1, 2, 1], "of": [10, 10, 11] });
        assert!(worded_in(Locale::ZhCn, "raise_candidate", raise).contains("2026-Q2 第 2 名（共 10 人）"));
        let promotion = json!({ "years": ["2025", "2026"], "ratings": ["B", "A"] });
        assert_eq!(
            worded_in(Locale::En, "promotion_eligible", promotion),
            "annual rating B in 2025 and A in 2026: B or better both years"
        );
        let review = json!({ "from": "2026-01", "to": "2026-03", "months": ["2026-01", "2026-02", "2026-03"], "scores": [85.0, 70.5, 90.0], "met": false });
        assert!(
            worded_in(Locale::En, "pip_review", review)
                .starts_with("PIP 2026-01 … 2026-03: 2026-01 85.0, 2026-02 70.5, 2026-03 90.0; not every month")
        );
    }

    #[test]
    fn every_default_training_topic_is_worded_in_every_locale() {
        for locale in Locale::ALL {
            let labels = Labels::load(locale).unwrap();
            for (kpi, topic) in crate::config::default_training() {
                let label = labels.text(locale, &format!("training_{kpi}")).unwrap();
                assert!(locale != Locale::En || label == topic, "{kpi}: the en label is the default topic");
            }
        }
    }

    #[test]
    fn facts_missing_or_unknown_keep_the_stored_explanation() {
        assert_eq!(worded_in(Locale::En, "pip", json!({ "months": [] })), "stored");
        assert_eq!(worded_in(Locale::En, "new_kind", json!({})), "stored");
    }
}
