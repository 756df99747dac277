//! The multi-period rules (README, "Scorecards and flags") that turn scores into flags: PIP, raise candidates, promotion
//! eligibility and training suggestions. Pure functions over stored scores, so every case is a table
//! in a unit test; every flag carries an explanation naming the periods, scores, ranks and rule
//! version that fired it, and the same facts as data (`detail`) for the reports to word in their
//! reader's language.

use serde_json::{Value, json};

use crate::period::Period;

/// Bumped whenever a rule below changes meaning; every explanation names it.
pub const RULE_VERSION: &str = "flags-v1";

#[derive(Debug, Clone, PartialEq)]
pub struct Flag {
    pub person_id: String,
    /// `pip`, `pip_passed`, `pip_review`, `raise_candidate`, `promotion_eligible`, `training`.
    pub flag: &'static str,
    pub period: Period,
    pub explanation: String,
    /// The facts the explanation words, as a JSON object (stored in `flags.detail`): for `pip`
    /// `months`, `scores`, `from`, `to`; for PIP outcomes `from`, `to`, `months`, `scores`, `met`;
    /// for `raise_candidate` `quarters`, `ranks`, `of`; for `promotion_eligible` `years`, `ratings`;
    /// for `training` `kpi`, `achievement`, `actual`, `target`, `topic`. Scores not scored are null.
    pub detail: Value,
}

/// One month's result for a person: the score, and whether it met the target (`None`: not scored).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Month {
    pub month: Period,
    pub score: Option<f64>,
    pub met: Option<bool>,
}

/// PIP: two consecutive months not meeting target → a PIP over the next three months; after them
/// `pip_passed` if every observed month met target, else `pip_review`. No new PIP while one is open;
/// months inside a PIP do not count towards the next one. A month not scored breaks a streak.
/// `months` must be consecutive and in order. Returns every flag the history implies.
pub fn pip(person: &str, months: &[Month]) -> Vec<Flag> {
    let mut flags = Vec::new();
    let mut missed: Vec<&Month> = Vec::new();
    let mut i = 0;
    while i < months.len() {
        let m = &months[i];
        match m.met {
            Some(false) => missed.push(m),
            _ => missed.clear(),
        }
        if missed.len() == 2 {
            let (a, b) = (missed[0], missed[1]);
            let start = b.month.shifted(1);
            let end = b.month.shifted(3);
            flags.push(Flag {
                person_id: person.to_string(),
                flag: "pip",
                period: b.month,
                explanation: format!(
                    "missed target in {} (score {}) and {} (score {}): PIP {start} … {end}, 3 months of observation ({RULE_VERSION})",
                    a.month,
                    score(a.score),
                    b.month,
                    score(b.score)
                ),
                detail: json!({
                    "months": [a.month.to_string(), b.month.to_string()],
                    "scores": [a.score, b.score],
                    "from": start.to_string(),
                    "to": end.to_string(),
                }),
            });
            missed.clear();
            let observed: Vec<&Month> = months.iter().skip(i + 1).take(3).collect();
            if observed.len() == 3 {
                let all_met = observed.iter().all(|o| o.met == Some(true));
                let detail: Vec<String> = observed.iter().map(|o| format!("{} {}", o.month, score(o.score))).collect();
                flags.push(Flag {
                    person_id: person.to_string(),
                    flag: if all_met { "pip_passed" } else { "pip_review" },
                    period: end,
                    explanation: format!(
                        "PIP {start} … {end}: {}; {} ({RULE_VERSION})",
                        detail.join(", "),
                        if all_met {
                            "every month met target"
                        } else {
                            "not every month met target: transfer or termination review, by people who follow labour law"
                        }
                    ),
                    detail: json!({
                        "from": start.to_string(),
                        "to": end.to_string(),
                        "months": observed.iter().map(|o| o.month.to_string()).collect::<Vec<_>>(),
                        "scores": observed.iter().map(|o| o.score).collect::<Vec<_>>(),
                        "met": all_met,
                    }),
                });
            }
            i += 4;
            continue;
        }
        i += 1;
    }
    flags
}

fn score(s: Option<f64>) -> String {
    s.map(|s| format!("{s:.1}")).unwrap_or_else(|| "not scored".into())
}

/// The people in the top 10 % (rounded up; ties at the line included) of one quarter's scores, with
/// their rank and the number scored.
pub fn top_decile(scores: &[(String, f64)]) -> Vec<(String, usize, usize)> {
    let mut sorted: Vec<&(String, f64)> = scores.iter().collect();
    sorted.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    let n = sorted.len();
    if n == 0 {
        return Vec::new();
    }
    let places = n.div_ceil(10);
    let line = sorted[places - 1].1;
    sorted
        .iter()
        .filter(|(_, s)| *s >= line)
        .map(|(p, s)| (p.clone(), 1 + sorted.iter().filter(|(_, o)| o > s).count(), n))
        .collect()
}

/// Raise candidates at `quarter`: in the top decile of each of the last three quarters.
/// `quarters` holds each quarter's (person, score), oldest first, ending with `quarter`.
pub fn raise_candidates(quarter: Period, quarters: &[(Period, Vec<(String, f64)>)]) -> Vec<Flag> {
    if quarters.len() < 3 {
        return Vec::new();
    }
    let last3 = &quarters[quarters.len() - 3..];
    if last3.windows(2).any(|w| w[0].0.shifted(3) != w[1].0) || last3[2].0 != quarter {
        return Vec::new();
    }
    let tops: Vec<Vec<(String, usize, usize)>> = last3.iter().map(|(_, s)| top_decile(s)).collect();
    let mut flags = Vec::new();
    for (person, _, _) in &tops[2] {
        let ranks: Option<Vec<(Period, usize, usize)>> = last3
            .iter()
            .zip(&tops)
            .map(|((q, _), top)| top.iter().find(|(p, _, _)| p == person).map(|(_, rank, n)| (*q, *rank, *n)))
            .collect();
        if let Some(ranks) = ranks {
            let text: Vec<String> = ranks.iter().map(|(q, rank, n)| format!("{q} rank {rank} of {n}")).collect();
            flags.push(Flag {
                person_id: person.clone(),
                flag: "raise_candidate",
                period: quarter,
                explanation: format!("top 10 % for 3 consecutive quarters: {} ({RULE_VERSION})", text.join("; ")),
                detail: json!({
                    "quarters": ranks.iter().map(|r| r.0.to_string()).collect::<Vec<_>>(),
                    "ranks": ranks.iter().map(|r| r.1).collect::<Vec<_>>(),
                    "of": ranks.iter().map(|r| r.2).collect::<Vec<_>>(),
                }),
            });
        }
    }
    flags
}

/// Promotion eligibility at the close of `year`: annual rating B or better in it and the year before.
/// `ratings` holds (year, rating) for one person.
pub fn promotion(person: &str, year: Period, ratings: &[(Period, String)]) -> Option<Flag> {
    let rating_of = |y: Period| ratings.iter().find(|(p, _)| *p == y).map(|(_, r)| r.as_str());
    let (this, before) = (rating_of(year)?, rating_of(year.previous())?);
    let good = |r: &str| r == "A" || r == "B";
    (good(this) && good(before)).then(|| Flag {
        person_id: person.to_string(),
        flag: "promotion_eligible",
        period: year,
        explanation: format!(
            "annual rating {} in {} and {} in {year}: B or better both years ({RULE_VERSION})",
            before,
            year.previous(),
            this
        ),
        detail: json!({ "years": [year.previous().to_string(), year.to_string()], "ratings": [before, this] }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn months(from: &str, met: &[Option<bool>]) -> Vec<Month> {
        let first: Period = from.parse().unwrap();
        met.iter()
            .enumerate()
            .map(|(i, m)| Month {
                month: first.shifted(i as i32),
                score: m.map(|ok| if ok { 104.0 } else { 71.0 }),
                met: *m,
            })
            .collect()
    }

    fn kinds(flags: &[Flag]) -> Vec<(String, &'static str)> {
        flags.iter().map(|f| (f.period.to_string(), f.flag)).collect()
    }

    #[test]
    fn pip_starts_after_two_misses_and_ends_passed_or_review() {
        let (t, f) = (Some(true), Some(false));
        // (first month, met per month, expected flags)
        type Case = (&'static str, Vec<Option<bool>>, Vec<(&'static str, &'static str)>);
        let cases: &[Case] = &[
            ("2026-01", vec![t, f, t, f, t], vec![]),
            ("2026-01", vec![f, f, t, t, t], vec![("2026-02", "pip"), ("2026-05", "pip_passed")]),
            // Scores recover mid-observation, but one observed month missed: review.
            ("2026-01", vec![f, f, f, t, t], vec![("2026-02", "pip"), ("2026-05", "pip_review")]),
            // Across the year boundary.
            ("2025-10", vec![t, f, f, t, t, t], vec![("2025-12", "pip"), ("2026-03", "pip_passed")]),
            // No new PIP while one is open; the count restarts after it.
            (
                "2026-01",
                vec![f, f, f, f, f, f, f],
                vec![("2026-02", "pip"), ("2026-05", "pip_review"), ("2026-07", "pip")],
            ),
            // Observation not over yet: the PIP, no outcome.
            ("2026-08", vec![f, f, t], vec![("2026-09", "pip")]),
            // A month nobody scored breaks the streak.
            ("2026-01", vec![f, None, f, t], vec![]),
        ];
        for (from, met, expected) in cases {
            let flags = pip("P1", &months(from, met));
            let expected: Vec<(String, &str)> = expected.iter().map(|(p, k)| (p.to_string(), *k)).collect();
            assert_eq!(kinds(&flags), expected, "{from} {met:?}");
        }
        let flags = pip("P1", &months("2025-11", &[f, f]));
        assert!(
            flags[0].explanation.contains("2025-11 (score 71.0) and 2025-12 (score 71.0): PIP 2026-01 … 2026-03"),
            "{}",
            flags[0].explanation
        );
    }

    #[test]
    fn top_decile_rounds_up_and_includes_ties() {
        let people = |scores: &[f64]| -> Vec<(String, f64)> {
            scores.iter().enumerate().map(|(i, s)| (format!("P{i:02}"), *s)).collect()
        };
        let names = |top: Vec<(String, usize, usize)>| top.into_iter().map(|(p, _, _)| p).collect::<Vec<_>>();
        // 12 people: ceil(1.2) = 2 places.
        assert_eq!(
            names(top_decile(&people(&[90., 99., 80., 120., 70., 60., 50., 40., 30., 20., 10., 5.]))),
            ["P03", "P01"]
        );
        // A tie at the line: both included.
        assert_eq!(
            names(top_decile(&people(&[99., 120., 99., 1., 1., 1., 1., 1., 1., 1., 1., 1.]))),
            ["P01", "P00", "P02"]
        );
        // 5 people: one place.
        assert_eq!(top_decile(&people(&[1., 2., 3., 4., 5.])), [("P04".to_string(), 1, 5)]);
        assert!(top_decile(&[]).is_empty());
    }

    #[test]
    fn raise_needs_three_consecutive_top_quarters() {
        let q = |s: &str| s.parse::<Period>().unwrap();
        let scores = |top: &str| -> Vec<(String, f64)> {
            (0..10).map(|i| (format!("P{i}"), if format!("P{i}") == top { 130.0 } else { 90.0 + i as f64 })).collect()
        };
        let history = vec![(q("2026-Q1"), scores("P1")), (q("2026-Q2"), scores("P1")), (q("2026-Q3"), scores("P1"))];
        let flags = raise_candidates(q("2026-Q3"), &history);
        assert_eq!(flags.len(), 1);
        assert_eq!(flags[0].person_id, "P1");
        assert!(flags[0].explanation.contains("2026-Q1 rank 1 of 10; 2026-Q2 rank 1 of 10; 2026-Q3 rank 1 of 10"));
        let broken = vec![(q("2026-Q1"), scores("P1")), (q("2026-Q2"), scores("P2")), (q("2026-Q3"), scores("P1"))];
        assert!(raise_candidates(q("2026-Q3"), &broken).is_empty());
        let gap = vec![(q("2025-Q4"), scores("P1")), (q("2026-Q2"), scores("P1")), (q("2026-Q3"), scores("P1"))];
        assert!(raise_candidates(q("2026-Q3"), &gap).is_empty(), "quarters must be consecutive");
    }

    #[test]
    fn promotion_needs_two_closed_years_at_b_or_better() {
        let y = |s: &str| s.parse::<Period>().unwrap();
        let r = |v: &[(&str, &str)]| v.iter().map(|(p, r)| (y(p), r.to_string())).collect::<Vec<_>>();
        assert!(promotion("P1", y("2026"), &r(&[("2025", "B"), ("2026", "A")])).is_some());
        assert!(promotion("P1", y("2026"), &r(&[("2025", "C"), ("2026", "A")])).is_none());
        // Hired in 2026: one year of history is not yet eligible.
        assert!(promotion("P1", y("2026"), &r(&[("2026", "A")])).is_none());
    }
}
