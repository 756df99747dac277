//! The cost-control views: spend, CAC, marketing ROI and ROAS by channel with their 13-month trend
//! (leadership), and the MQL quality fed back to the teams whose campaigns bring the leads (a team's
//! own campaigns; for leadership, the campaigns whose MQLs sales accepts least).

use serde::Serialize;

use super::data::{LeadQualityRow, ReportData};
use super::format::Format;
use crate::sql::cards as catalog;

/// One channel's cost figures for the period, or the company's.
#[derive(Debug, Clone, Serialize)]
pub struct CostLine {
    pub name: String,
    pub spend: String,
    pub new_customers: String,
    pub cac: String,
    pub mroi: String,
    pub roas: String,
    /// The plan's targets for this line, empty where it has none.
    pub cac_target: String,
    pub mroi_target: String,
    /// CAC on few new customers or MROI on few paid orders (`kpis.min_volume`).
    pub low_volume: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Cost {
    pub company: CostLine,
    /// Channels with spend or new customers, most spend first.
    pub channels: Vec<CostLine>,
    /// Which channel has the lowest CAC and which the highest MROI, in words; empty without spend.
    pub answer: String,
    pub trend_headers: Vec<String>,
    /// The company's 13 months: month, spend, CAC, MROI, ROAS.
    pub trend: Vec<Vec<String>>,
}

/// One campaign's MQLs and what sales made of them.
#[derive(Debug, Clone, Serialize)]
pub struct LeadQualityLine {
    pub campaign: String,
    pub channel: String,
    pub mqls: String,
    /// Share of the MQLs sales accepted as SQL by the period's end.
    pub accepted: String,
    /// Share of the accepted that were won.
    pub won: String,
    pub median_days: String,
    /// Fewer MQLs than `kpis.min_volume` of `sql_conversion_rate`.
    pub low_volume: bool,
}

/// How many campaigns leadership sees: those whose MQLs sales accepts least.
const WORST_CAMPAIGNS: usize = 5;

/// Labels the builder looks up once (`[text]` keys), so this module needs only the formatter.
pub struct CostLabels {
    pub answer: String,
    pub unassigned: String,
    pub trend_headers: Vec<String>,
}

pub fn cost(data: &ReportData, f: &Format, labels: &CostLabels, company: &str) -> Cost {
    let figure = |kpi: &str, grain: &str, entity: &str| {
        data.indicators.iter().find(|r| r.kpi == kpi && r.grain == grain && r.entity_id == entity)
    };
    let name_of = |entity: &str| if entity == "unassigned" { labels.unassigned.clone() } else { entity.to_string() };
    let card = |kpi: &str| catalog::card(kpi).ok().flatten();
    let line = |grain: &str, entity: &str, name: String| {
        let value = |kpi: &str| f.value(card(kpi), figure(kpi, grain, entity).and_then(|r| r.value));
        let target = |kpi: &str| {
            figure(kpi, grain, entity).and_then(|r| r.target).map(|t| f.value(card(kpi), Some(t))).unwrap_or_default()
        };
        let low = |kpi: &str| figure(kpi, grain, entity).is_some_and(|r| r.low_volume && r.value.is_some());
        CostLine {
            name,
            spend: f.value(card("spend"), Some(figure("spend", grain, entity).and_then(|r| r.value).unwrap_or(0.0))),
            new_customers: f.number(Some(figure("cac", grain, entity).and_then(|r| r.denominator).unwrap_or(0.0)), 0),
            cac: value("cac"),
            mroi: value("mroi"),
            roas: value("roas"),
            cac_target: target("cac"),
            mroi_target: target("mroi"),
            low_volume: low("cac") || low("mroi"),
        }
    };
    let spend_of = |entity: &str| figure("spend", "channel", entity).and_then(|r| r.value).unwrap_or(0.0);
    let mut channels: Vec<&str> = data
        .indicators
        .iter()
        .filter(|r| r.grain == "channel" && r.kpi == "cac")
        .filter(|r| spend_of(&r.entity_id) > 0.0 || r.denominator.unwrap_or(0.0) > 0.0)
        .map(|r| r.entity_id.as_str())
        .collect();
    channels.sort_by(|a, b| spend_of(b).total_cmp(&spend_of(a)).then(a.cmp(b)));

    // The answer prefers figures with enough volume; a low-volume best is starred.
    let best = |kpi: &str, lowest: bool| {
        let candidates: Vec<(&str, f64, bool)> = channels
            .iter()
            .filter_map(|c| figure(kpi, "channel", c).and_then(|r| Some((*c, r.value?, r.low_volume))))
            .collect();
        let pool: Vec<_> = if candidates.iter().any(|c| !c.2) {
            candidates.into_iter().filter(|c| !c.2).collect()
        } else {
            candidates
        };
        let pick = if lowest {
            pool.into_iter().min_by(|a, b| a.1.total_cmp(&b.1))
        } else {
            pool.into_iter().max_by(|a, b| a.1.total_cmp(&b.1))
        };
        pick.map(|(c, v, low)| {
            format!("{} ({}{})", name_of(c), f.value(card(kpi), Some(v)), if low { " *" } else { "" })
        })
    };
    let answer = match (best("cac", true), best("mroi", false)) {
        (Some(cac), Some(mroi)) => labels.answer.replace("{cac}", &cac).replace("{mroi}", &mroi),
        _ => String::new(),
    };

    let trend_value = |month: &crate::period::Period, kpi: &str| {
        f.value(card(kpi), data.trend.iter().find(|r| r.kpi == kpi && r.month == *month).and_then(|r| r.value))
    };
    let trend = data
        .trend_months
        .iter()
        .map(|m| {
            let mut row = vec![m.to_string()];
            row.extend(["spend", "cac", "mroi", "roas"].map(|kpi| trend_value(m, kpi)));
            row
        })
        .collect();
    Cost {
        company: line("company", company, String::new()),
        channels: channels.iter().map(|c| line("channel", c, name_of(c))).collect(),
        answer,
        trend_headers: labels.trend_headers.clone(),
        trend,
    }
}

/// The lead quality of `team`'s own campaigns (most MQLs first), or with `team` none the
/// `WORST_CAMPAIGNS` campaigns whose MQLs sales accepts least: by share among those with enough
/// MQLs, then by count among the rest. Leads without a campaign are nobody's to fix: left out.
pub fn lead_quality(
    data: &ReportData,
    f: &Format,
    labels: &CostLabels,
    team: Option<&str>,
    min_volume: u64,
) -> Vec<LeadQualityLine> {
    let share = |part: i64, whole: i64| if whole == 0 { None } else { Some(part as f64 / whole as f64) };
    let ratio = catalog::card("sql_conversion_rate").ok().flatten();
    let low = |r: &LeadQualityRow| (r.mqls as u64) < min_volume;
    let mut rows: Vec<(&str, &LeadQualityRow)> = data
        .lead_quality
        .iter()
        .filter(|r| team.is_none_or(|t| r.team_id == t))
        .filter_map(|r| Some((r.campaign_id.as_deref()?, r)))
        .collect();
    match team {
        Some(_) => rows.sort_by(|(a_id, a), (b_id, b)| b.mqls.cmp(&a.mqls).then(a_id.cmp(b_id))),
        None => {
            // Campaigns with enough MQLs by the share sales accepted, lowest first; then those
            // with few MQLs by how many sales did not accept, so two leads never top the list.
            let accepted = |r: &LeadQualityRow| share(r.sqls, r.mqls).unwrap_or(0.0);
            rows.sort_by(|(_, a), (_, b)| {
                low(a).cmp(&low(b)).then_with(|| match low(a) {
                    false => accepted(a).total_cmp(&accepted(b)).then(b.mqls.cmp(&a.mqls)),
                    true => (b.mqls - b.sqls).cmp(&(a.mqls - a.sqls)).then(b.mqls.cmp(&a.mqls)),
                })
            });
            rows.truncate(WORST_CAMPAIGNS);
        }
    }
    rows.into_iter()
        .map(|(id, r)| LeadQualityLine {
            campaign: if r.campaign_name == id { id.to_string() } else { format!("{} ({id})", r.campaign_name) },
            channel: if r.channel == "unassigned" { labels.unassigned.clone() } else { r.channel.clone() },
            mqls: f.number(Some(r.mqls as f64), 0),
            accepted: f.value(ratio, share(r.sqls, r.mqls)),
            won: f.value(ratio, share(r.won, r.sqls)),
            median_days: f.number(r.median_days_to_sql, 1),
            low_volume: low(r),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Locale;
    use crate::report::data::IndicatorRow;
    use crate::report::i18n::Labels;

    fn row(kpi: &str, grain: &str, entity: &str, value: Option<f64>, denominator: f64, low: bool) -> IndicatorRow {
        IndicatorRow {
            grain: grain.into(),
            entity_id: entity.into(),
            kpi: kpi.into(),
            value,
            gross_value: value,
            excluded_share: Some(0.0),
            low_volume: low,
            previous_value: None,
            year_ago_value: None,
            target: None,
            denominator: Some(denominator),
            previous_denominator: None,
        }
    }

    fn campaign(id: Option<&str>, team: &str, channel: &str, mqls: i64, sqls: i64) -> LeadQualityRow {
        LeadQualityRow {
            campaign_id: id.map(String::from),
            campaign_name: id.map(|i| format!("Campaign {i}")).unwrap_or_default(),
            team_id: team.into(),
            channel: channel.into(),
            mqls,
            sqls,
            won: sqls / 2,
            median_days_to_sql: Some(3.0),
        }
    }

    fn data(indicators: Vec<IndicatorRow>, lead_quality: Vec<LeadQualityRow>) -> ReportData {
        ReportData {
            period: "2026-Q3".parse().unwrap(),
            revision: 1,
            restatement: None,
            proof: None,
            draft_reasons: Vec::new(),
            indicators,
            trend: Vec::new(),
            trend_months: Vec::new(),
            targets: Vec::new(),
            lines: Vec::new(),
            history: Vec::new(),
            flags: Vec::new(),
            people: Vec::new(),
            datasets: Vec::new(),
            rules: Vec::new(),
            lead_quality,
        }
    }

    fn cost_labels() -> CostLabels {
        CostLabels {
            answer: "Lowest CAC: {cac}. Highest marketing ROI: {mroi}.".into(),
            unassigned: "unassigned".into(),
            trend_headers: Vec::new(),
        }
    }

    /// The channel a reader is told is cheapest has the lowest CAC among those with enough volume;
    /// a cheaper channel on two customers does not win, a channel that spent nothing is not "free",
    /// and the company's row carries the plan's target.
    #[test]
    fn the_answer_names_the_lowest_cac_and_the_highest_mroi_with_enough_volume() {
        let mut company_cac = row("cac", "company", "ACME", Some(300.0), 40.0, false);
        company_cac.target = Some(250.0);
        let rows = vec![
            row("spend", "channel", "sem", Some(9000.0), 0.0, false),
            row("cac", "channel", "sem", Some(300.0), 30.0, false),
            row("mroi", "channel", "sem", Some(0.10), 9000.0, false),
            row("spend", "channel", "email", Some(3000.0), 0.0, false),
            row("cac", "channel", "email", Some(100.0), 30.0, false),
            row("mroi", "channel", "email", Some(-0.20), 3000.0, false),
            row("spend", "channel", "event", Some(100.0), 0.0, false),
            row("cac", "channel", "event", Some(50.0), 2.0, true),
            row("mroi", "channel", "event", Some(3.0), 100.0, true),
            row("cac", "channel", "unassigned", None, 8.0, false),
            row("mroi", "channel", "unassigned", None, 0.0, false),
            company_cac,
        ];
        let labels = Labels::load(Locale::En).unwrap();
        let f = Format { locale: Locale::En, labels: &labels, currency: "CNY" };
        let cost = cost(&data(rows, Vec::new()), &f, &cost_labels(), "ACME");
        assert_eq!(cost.answer, "Lowest CAC: email (CN¥100.00). Highest marketing ROI: sem (10.00%).");
        let names: Vec<&str> = cost.channels.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["sem", "email", "event", "unassigned"], "most spend first");
        let unassigned = &cost.channels[3];
        assert_eq!((unassigned.spend.as_str(), unassigned.cac.as_str()), ("CN¥0.00", "—"));
        assert_eq!(unassigned.new_customers, "8");
        assert!(cost.channels[2].low_volume);
        assert_eq!((cost.company.cac.as_str(), cost.company.cac_target.as_str()), ("CN¥300.00", "CN¥250.00"));
        assert_eq!(cost.company.mroi_target, "");
    }

    /// A team sees its own campaigns only, most MQLs first; leadership sees the campaigns whose
    /// MQLs sales accepts least, those with too few MQLs after, and no leads without a campaign.
    #[test]
    fn lead_quality_goes_to_the_campaigns_team_and_leadership_sees_the_worst() {
        let rows = vec![
            campaign(Some("K1"), "T1", "sem", 40, 30),
            campaign(Some("K2"), "T1", "email", 50, 10),
            campaign(Some("K3"), "T2", "event", 5, 0),
            campaign(None, "unassigned", "referral", 60, 6),
        ];
        let labels = Labels::load(Locale::En).unwrap();
        let f = Format { locale: Locale::En, labels: &labels, currency: "CNY" };
        let data = data(Vec::new(), rows);
        let team = lead_quality(&data, &f, &cost_labels(), Some("T1"), 30);
        let campaigns: Vec<&str> = team.iter().map(|l| l.campaign.as_str()).collect();
        assert_eq!(campaigns, ["Campaign K2 (K2)", "Campaign K1 (K1)"]);
        assert_eq!((team[0].accepted.as_str(), team[0].won.as_str()), ("20.00%", "50.00%"));
        let worst = lead_quality(&data, &f, &cost_labels(), None, 30);
        let campaigns: Vec<&str> = worst.iter().map(|l| l.campaign.as_str()).collect();
        assert_eq!(
            campaigns,
            ["Campaign K2 (K2)", "Campaign K1 (K1)", "Campaign K3 (K3)"],
            "K3's 5 MQLs come last, however few were accepted; leads without a campaign are nobody's to fix"
        );
        assert!(worst[2].low_volume && !worst[0].low_volume);
        assert!(lead_quality(&data, &f, &cost_labels(), Some("T9"), 30).is_empty());
    }
}
