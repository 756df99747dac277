//! The scoring rules (README, "Scorecards and flags") as pure functions: achievement, ratings, the bonus payout curve.

use crate::config::Scoring;

/// a = 1 + d · (actual − target) / |target|, d = +1 when higher is better, −1 when lower; clamped to
/// [0, cap]. `None` when there is no target or it is 0 (the KPI cannot be scored).
pub fn achievement(actual: f64, target: f64, lower_is_better: bool, cap: f64) -> Option<f64> {
    if target == 0.0 || !target.is_finite() || !actual.is_finite() {
        return None;
    }
    let d = if lower_is_better { -1.0 } else { 1.0 };
    Some((1.0 + d * (actual - target) / target.abs()).clamp(0.0, cap))
}

/// A ≥ rating_a, B ≥ rating_b, C ≥ rating_c, else D.
pub fn rating(score: f64, scoring: &Scoring) -> &'static str {
    if score >= scoring.rating_a {
        "A"
    } else if score >= scoring.rating_b {
        "B"
    } else if score >= scoring.rating_c {
        "C"
    } else {
        "D"
    }
}

/// Share of base bonus paid for a score: 0 below 80, 50 % → 100 % linearly from 80 to 100, 100 % at
/// or above 100 (the on-target award).
pub fn payout(score: f64) -> f64 {
    if score < 80.0 {
        0.0
    } else if score >= 100.0 {
        1.0
    } else {
        0.5 + 0.5 * (score - 80.0) / 20.0
    }
}

/// Whether revenue earns the excess reward: actual at or above `threshold` × target (target > 0).
pub fn earns_excess(revenue: f64, target: f64, threshold: f64) -> bool {
    target > 0.0 && revenue >= threshold * target - 1e-9 * target
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scoring() -> Scoring {
        crate::config::Config::from_toml(
            "[company]\nname='x'\n[lake]\nurl='memory://'\n",
            std::path::Path::new("k.toml"),
        )
        .unwrap()
        .scoring
    }

    #[test]
    fn achievement_for_both_directions_and_odd_targets() {
        // (actual, target, lower is better, expected)
        let cases: &[(f64, f64, bool, Option<f64>)] = &[
            (110.0, 100.0, false, Some(1.1)),
            (90.0, 100.0, false, Some(0.9)),
            (90.0, 100.0, true, Some(1.1)), // cost below target is good
            (130.0, 100.0, true, Some(0.7)),
            (300.0, 100.0, false, Some(1.5)), // clamped to the cap
            (0.0, 100.0, false, Some(0.0)),
            (250.0, 100.0, true, Some(0.0)), // clamped at 0
            (-5.0, -10.0, false, Some(1.5)), // negative target: improvement over it, then the cap
            (-12.0, -10.0, false, Some(0.8)),
            (5.0, 0.0, false, None), // zero target: cannot be scored
        ];
        for &(actual, target, lower, expected) in cases {
            let got = achievement(actual, target, lower, 1.5);
            match (got, expected) {
                (Some(g), Some(e)) => assert!((g - e).abs() < 1e-12, "{actual} vs {target}: {g} != {e}"),
                (None, None) => {}
                _ => panic!("{actual} vs {target}: {got:?} != {expected:?}"),
            }
        }
    }

    #[test]
    fn rating_bands() {
        let s = scoring();
        for (score, expected) in [(110.0, "A"), (109.99, "B"), (95.0, "B"), (94.99, "C"), (80.0, "C"), (79.99, "D")] {
            assert_eq!(rating(score, &s), expected, "{score}");
        }
    }

    #[test]
    fn payout_curve() {
        for (score, expected) in [(79.99, 0.0), (80.0, 0.5), (90.0, 0.75), (100.0, 1.0), (130.0, 1.0)] {
            assert!((payout(score) - expected).abs() < 1e-12, "{score}: {}", payout(score));
        }
    }

    #[test]
    fn excess_reward_threshold() {
        assert!(!earns_excess(119_990.0, 100_000.0, 1.2));
        assert!(earns_excess(120_000.0, 100_000.0, 1.2));
        assert!(!earns_excess(500.0, 0.0, 1.2));
    }

    #[test]
    fn default_schemes_sum_to_100_and_are_balanced() {
        let config = crate::config::Config::from_toml(
            "[company]\nname='x'\n[lake]\nurl='memory://'\n",
            std::path::Path::new("k.toml"),
        )
        .unwrap();
        assert!(config.warnings.is_empty(), "{:?}", config.warnings);
        for name in ["brand_exposure", "lead_conversion", "sales_support"] {
            let scheme = config.scoring.scheme_for(name, "2026-10".parse().unwrap()).unwrap();
            let total: f64 = scheme.kpis.iter().map(|k| k.weight).sum();
            assert_eq!(total, 100.0, "{name}");
        }
    }

    #[test]
    fn schemes_are_effective_dated_and_checked() {
        let text = "[company]\nname='x'\n[lake]\nurl='memory://'\n\
            [[schemes.s]]\nkpis = [{ kpi = 'revenue', weight = 60, term = 'short' }, { kpi = 'clv', weight = 40, term = 'long' }]\n\
            [[schemes.s]]\neffective_from = '2026-Q3'\nkpis = [{ kpi = 'revenue', weight = 70, term = 'short' }, { kpi = 'clv', weight = 30, term = 'long' }, { kpi = 'nps', weight = 10, term = 'long', pilot = true }]\n";
        let config = crate::config::Config::from_toml(text, std::path::Path::new("k.toml")).unwrap();
        let weight = |p: &str| config.scoring.scheme_for("s", p.parse().unwrap()).unwrap().kpis[0].weight;
        assert_eq!(weight("2026-06"), 60.0);
        assert_eq!(weight("2026-07"), 70.0);
        assert_eq!(weight("2026-Q3"), 70.0);
        assert_eq!(config.warnings.len(), 1, "70 : 30 is off 60 : 40 by 10: {:?}", config.warnings);

        let bad = "[company]\nname='x'\n[lake]\nurl='memory://'\n[scoring]\nstrict = true\n\
            [[schemes.s]]\nkpis = [{ kpi = 'revenue', weight = 70, term = 'short' }, { kpi = 'bounce', weight = 20, term = 'long' }]\n";
        let Err(crate::config::ConfigError::Invalid { problems, .. }) =
            crate::config::Config::from_toml(bad, std::path::Path::new("k.toml"))
        else {
            panic!("the config should not load");
        };
        let text: Vec<String> = problems.iter().map(|p| p.to_string()).collect();
        assert!(text.iter().any(|p| p.contains("no indicator `bounce`")), "{text:?}");
        assert!(text.iter().any(|p| p.contains("sum to 90, not 100")), "{text:?}");
        assert!(
            text.iter().any(|p| p.contains("short : long is 70 : 30")),
            "strict makes the balance an error: {text:?}"
        );
    }
}
