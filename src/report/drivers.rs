//! Why a company indicator moved from the previous period: its teams' and channels' parts of the
//! change, from the stored indicators of both periods (`report_indicators`).
//!
//! - A count's change is split into each part's own change.
//! - A ratio R = N / D changes by Σ Δ(nᵢ / D): each part's numerator over the company's denominator.
//!   That part splits exactly into a rate effect, w̄ᵢ · Δrᵢ (the part's own rate moved), and a mix
//!   effect, r̄ᵢ · Δwᵢ (its weight wᵢ = dᵢ / D moved), with w̄ and r̄ the two periods' means.
//!
//! Parts overlap (a visitor seen by two teams) or miss some of the company (leads without a
//! campaign), so what they leave is stated as the rest: parts and rest add up to the change.

use super::data::IndicatorRow;
use crate::sql::cards::{Card, Kind};

/// One team's or channel's part of the company's change, in the indicator's unit.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    pub entity_id: String,
    pub change: f64,
    /// For a ratio, when the part has a rate in both periods: (rate effect, mix effect).
    pub rate_mix: Option<(f64, f64)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Split {
    /// The company's change.
    pub change: f64,
    /// Every part that moved, largest first.
    pub parts: Vec<Part>,
    /// The change no part explains.
    pub rest: f64,
}

/// The company's change of `card` split over the entities of `grain` (`team`, `channel`); none when
/// the company has no value in one of the periods, or a ratio no denominator.
pub fn split(rows: &[IndicatorRow], card: &Card, grain: &str, company: &str) -> Option<Split> {
    let total = rows.iter().find(|r| r.grain == "company" && r.entity_id == company && r.kpi == card.id)?;
    let change = total.value? - total.previous_value?;
    let of_grain = rows.iter().filter(|r| r.grain == grain && r.kpi == card.id);
    let mut parts: Vec<Part> = match card.kind {
        Kind::Count => of_grain
            .map(|r| Part {
                entity_id: r.entity_id.clone(),
                change: r.value.unwrap_or(0.0) - r.previous_value.unwrap_or(0.0),
                rate_mix: None,
            })
            .collect(),
        Kind::Ratio => {
            let d = total.denominator.filter(|d| *d != 0.0)?;
            let dp = total.previous_denominator.filter(|d| *d != 0.0)?;
            of_grain
                .map(|r| {
                    let (di, dpi) = (r.denominator.unwrap_or(0.0), r.previous_denominator.unwrap_or(0.0));
                    let rate = r.value.filter(|_| di != 0.0);
                    let before = r.previous_value.filter(|_| dpi != 0.0);
                    let (w, wp) = (di / d, dpi / dp);
                    let rate_mix = match (rate, before) {
                        (Some(a), Some(b)) => Some(((w + wp) / 2.0 * (a - b), (a + b) / 2.0 * (w - wp))),
                        _ => None,
                    };
                    Part {
                        entity_id: r.entity_id.clone(),
                        change: rate.map_or(0.0, |a| a * w) - before.map_or(0.0, |b| b * wp),
                        rate_mix,
                    }
                })
                .collect()
        }
    };
    parts.retain(|p| p.change.abs() > 1e-12);
    parts.sort_by(|a, b| b.change.abs().total_cmp(&a.change.abs()).then_with(|| a.entity_id.cmp(&b.entity_id)));
    let rest = change - parts.iter().map(|p| p.change).sum::<f64>();
    Some(Split { change, parts, rest })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::cards;

    fn row(grain: &str, entity: &str, kpi: &str, now: (f64, f64), before: (f64, f64)) -> IndicatorRow {
        IndicatorRow {
            grain: grain.into(),
            entity_id: entity.into(),
            kpi: kpi.into(),
            value: Some(now.0),
            gross_value: Some(now.0),
            excluded_share: None,
            low_volume: false,
            previous_value: Some(before.0),
            year_ago_value: None,
            target: None,
            denominator: Some(now.1),
            previous_denominator: Some(before.1),
        }
    }

    #[test]
    fn a_sum_splits_into_its_parts_changes() {
        let card = cards::card("revenue").unwrap().unwrap();
        let rows = [
            row("company", "C", "revenue", (150.0, 0.0), (100.0, 0.0)),
            row("team", "T1", "revenue", (60.0, 0.0), (80.0, 0.0)),
            row("team", "T2", "revenue", (80.0, 0.0), (20.0, 0.0)),
        ];
        let s = split(&rows, card, "team", "C").unwrap();
        assert_eq!(s.change, 50.0);
        assert_eq!(
            s.parts.iter().map(|p| (p.entity_id.as_str(), p.change)).collect::<Vec<_>>(),
            [("T2", 60.0), ("T1", -20.0)]
        );
        assert_eq!(s.rest, 10.0, "the company's 10 no team holds");
    }

    #[test]
    fn a_ratio_splits_into_rate_and_mix_that_add_up() {
        let card = cards::card("lead_conversion_rate").unwrap().unwrap();
        // Company: 30 / 1000 → 40 / 1000. T1: 10 / 500 → 30 / 500 (its rate moved); T2: 20 / 500 →
        // 10 / 500; nothing unassigned, so the parts add up to the whole change.
        let rows = [
            row("company", "C", card.id, (0.04, 1000.0), (0.03, 1000.0)),
            row("team", "T1", card.id, (0.06, 500.0), (0.02, 500.0)),
            row("team", "T2", card.id, (0.02, 500.0), (0.04, 500.0)),
        ];
        let s = split(&rows, card, "team", "C").unwrap();
        assert!((s.change - 0.01).abs() < 1e-12);
        assert!(s.rest.abs() < 1e-12, "rest {}", s.rest);
        let t1 = &s.parts[0];
        assert_eq!(t1.entity_id, "T1");
        assert!((t1.change - 0.02).abs() < 1e-12);
        let (rate, mix) = t1.rate_mix.unwrap();
        assert!((rate - 0.02).abs() < 1e-12 && mix.abs() < 1e-12, "same weight: all rate ({rate}, {mix})");
        // A shift of weight alone: T1 keeps its 2 % on 800 of 1000 visitors instead of 500.
        let rows = [
            row("company", "C", card.id, (0.024, 1000.0), (0.03, 1000.0)),
            row("team", "T1", card.id, (0.02, 800.0), (0.02, 500.0)),
            row("team", "T2", card.id, (0.04, 200.0), (0.04, 500.0)),
        ];
        let s = split(&rows, card, "team", "C").unwrap();
        for part in &s.parts {
            let (rate, mix) = part.rate_mix.unwrap();
            assert!(rate.abs() < 1e-12 && (rate + mix - part.change).abs() < 1e-12, "{part:?}");
        }
        assert!(s.rest.abs() < 1e-9, "rest {}", s.rest);
    }

    #[test]
    fn no_previous_value_no_split() {
        let card = cards::card("revenue").unwrap().unwrap();
        let mut company = row("company", "C", "revenue", (1.0, 0.0), (0.0, 0.0));
        company.previous_value = None;
        assert_eq!(split(&[company], card, "team", "C"), None);
    }
}
