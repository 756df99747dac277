//! What the reports read, in one pass per period: the period's indicators with targets, the company's
//! monthly trend, scorecards, score history, flags, the org and the campaigns' lead quality
//! (`sql/report/`), and the audit's
//! per-dataset figures (`sql/audit_report/`). Plain rows; the view models are built from them.

use datafusion::prelude::SessionContext;
use datafusion::scalar::ScalarValue;
use sha2::Digest;

use super::ReportError;
use crate::config::Config;
use crate::document::Contact;
use crate::engine::{self, AsOf, Lookups, Scope};
use crate::lake::records::{Gates, PeriodClose};
use crate::lake::{Lake, layout, tables};
use crate::period::Period;
use crate::sql::{self, Params, SqlError, SqlFile};

/// One indicator of the period with its target.
#[derive(Debug, Clone)]
pub struct IndicatorRow {
    pub grain: String,
    pub entity_id: String,
    pub kpi: String,
    pub value: Option<f64>,
    pub gross_value: Option<f64>,
    pub excluded_share: Option<f64>,
    pub low_volume: bool,
    /// What the value is compared with: the previous period's and the year-ago period's.
    pub previous_value: Option<f64>,
    pub year_ago_value: Option<f64>,
    pub target: Option<f64>,
    /// The ratio's denominator (e.g. `cac`'s new customers); none for a count.
    pub denominator: Option<f64>,
    /// The ratio's denominator in the previous period.
    pub previous_denominator: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct TrendRow {
    pub month: Period,
    pub kpi: String,
    pub value: Option<f64>,
    pub target: Option<f64>,
}

/// One scorecard line (a person, a KPI).
#[derive(Debug, Clone)]
pub struct LineRow {
    pub person_id: String,
    pub person_name: String,
    pub team_id: String,
    pub team_name: String,
    pub kpi: String,
    pub level: String,
    pub target: Option<f64>,
    pub actual: Option<f64>,
    pub achievement: Option<f64>,
    pub weight: Option<f64>,
    pub effective_weight: Option<f64>,
    pub points: Option<f64>,
    pub note: Option<String>,
    pub total_score: Option<f64>,
    pub rating: Option<String>,
    pub met_target: Option<bool>,
    pub base_bonus: Option<String>,
    pub payout_share: Option<f64>,
    pub excess_reward: bool,
    pub bonus: Option<String>,
    /// The scheme (of `[scoring.schemes]`) the line was scored under.
    pub scheme: String,
}

#[derive(Debug, Clone)]
pub struct HistoryRow {
    pub period: Period,
    pub person_id: String,
    pub total_score: Option<f64>,
    pub rating: Option<String>,
}

#[derive(Debug, Clone)]
pub struct FlagRow {
    pub person_id: String,
    pub person_name: String,
    pub team_id: String,
    pub flag: String,
    pub explanation: String,
    /// The explanation's facts (`flags.detail`); none for flags stored before it.
    pub detail: Option<serde_json::Value>,
}

#[derive(Debug, Clone)]
pub struct DatasetRow {
    pub dataset: String,
    pub rows_in: i64,
    /// Rows a GIVT rule excluded; `rows_sivt`: rows only SIVT rules excluded.
    pub rows_givt: i64,
    pub rows_sivt: i64,
    pub rows_excluded: i64,
    pub rows_net: i64,
}

/// One campaign's MQLs of the period and what sales made of them (`report_lead_quality`); leads
/// without a campaign make one row per channel with `campaign_id` none.
#[derive(Debug, Clone)]
pub struct LeadQualityRow {
    pub campaign_id: Option<String>,
    pub campaign_name: String,
    /// The campaign's team (`unassigned` without a campaign).
    pub team_id: String,
    pub channel: String,
    pub mqls: i64,
    pub sqls: i64,
    pub won: i64,
    pub median_days_to_sql: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct RuleRow {
    pub dataset: String,
    pub rule_id: String,
    pub rule_version: String,
    pub ivt_class: String,
    pub rows_flagged: i64,
}

/// A restated period: the revision it replaced, why, and what changed.
#[derive(Debug, Clone)]
pub struct Restatement {
    pub previous: i64,
    pub reason: String,
    pub indicators: Vec<RestatedRow>,
    pub scores: Vec<RestatedScore>,
}

#[derive(Debug, Clone)]
pub struct RestatedRow {
    pub grain: String,
    pub entity_id: String,
    pub kpi: String,
    pub as_reported: Option<f64>,
    pub restated: Option<f64>,
}

#[derive(Debug, Clone)]
pub struct RestatedScore {
    pub person_id: String,
    pub reported_score: Option<f64>,
    pub restated_score: Option<f64>,
    pub reported_rating: Option<String>,
    pub restated_rating: Option<String>,
    pub reported_bonus: Option<String>,
    pub restated_bonus: Option<String>,
}

/// Everything one period's reports show.
#[derive(Debug, Clone)]
pub struct ReportData {
    pub period: Period,
    pub revision: i64,
    /// Revision 2 or later: what the revision before reported, and why it was restated.
    pub restatement: Option<Restatement>,
    /// The proof bundle's path and SHA-256, when the period was closed.
    pub proof: Option<(String, String)>,
    /// Why the period's reports are DRAFT: not closed, or the gates that failed. Empty: final.
    pub draft_reasons: Vec<String>,
    pub indicators: Vec<IndicatorRow>,
    pub trend: Vec<TrendRow>,
    pub trend_months: Vec<Period>,
    /// The company's targets: (period, entity, kpi, target).
    pub targets: Vec<(Period, String, String, f64)>,
    pub lines: Vec<LineRow>,
    pub history: Vec<HistoryRow>,
    pub flags: Vec<FlagRow>,
    pub people: Vec<Contact>,
    pub datasets: Vec<DatasetRow>,
    pub rules: Vec<RuleRow>,
    pub lead_quality: Vec<LeadQualityRow>,
}

/// The 13 months a trend shows: the period's last month and the 12 before it.
pub fn trend_months(period: Period) -> Vec<Period> {
    let last = period.months().last().copied().unwrap_or(period);
    (0..13).rev().map(|back| last.shifted(-back)).collect()
}

/// The parameters of the report SQL.
pub fn params(period: Period) -> Params {
    let months = trend_months(period);
    let text = |p: &Period| ScalarValue::Utf8(Some(p.to_string()));
    Params::default()
        .with("period", text(&period))
        .with("previous", text(&period.previous()))
        .with("trend_from", text(&months[0]))
        .with("trend_to", text(&months[months.len() - 1]))
}

impl ReportData {
    pub async fn read(config: &Config, lake: &Lake, period: Period) -> Result<ReportData, ReportError> {
        let ctx = engine::session(config, lake, Scope::Net, Lookups::Views, AsOf::as_closed(period)).await?;
        let register = |folder: &'static str, schema| {
            let ctx = &ctx;
            async move { engine::register_stored(ctx, lake, folder, schema).await.map_err(ReportError::Engine) }
        };
        if !register(layout::INDICATORS_DIR, None).await? {
            return Err(ReportError::NothingStored { table: layout::INDICATORS_DIR.into() });
        }
        register(layout::SCORECARDS_DIR, Some(tables::scorecards())).await?;
        register(layout::FLAGS_DIR, Some(tables::flags())).await?;
        // A restated period: the revision before, as reported, from its archive.
        let state = PeriodClose::load(lake, period).await?;
        let revision = PeriodClose::revision_of(state.as_ref());
        if revision > 1 {
            for table in [layout::INDICATORS_DIR, layout::SCORECARDS_DIR] {
                let archived = layout::restated_table(period, revision - 1, table);
                engine::register_object(&ctx, lake, &format!("reported_{table}"), &archived, table)
                    .await
                    .map_err(ReportError::Engine)?;
            }
        }
        let mut params = params(period);
        params.extend(&engine::params(config, period));
        let rows = Rows { ctx: &ctx, params: &params };
        let file = |name: &str| sql::REPORT.iter().chain(sql::AUDIT_REPORT).find(|f| f.name == name);
        let (f, d, b) = (float, text, |v: &Option<String>| v.as_deref() == Some("true"));
        let indicators = rows
            .of(file("report_indicators"))
            .await?
            .iter()
            .map(|r| IndicatorRow {
                grain: d(&r[0]),
                entity_id: d(&r[1]),
                kpi: d(&r[2]),
                value: f(&r[3]),
                gross_value: f(&r[4]),
                excluded_share: f(&r[5]),
                low_volume: b(&r[6]),
                previous_value: f(&r[7]),
                year_ago_value: f(&r[8]),
                target: f(&r[9]),
                denominator: f(&r[11]),
                previous_denominator: f(&r[12]),
            })
            .collect();
        let trend = rows
            .of(file("report_trend"))
            .await?
            .iter()
            .filter_map(|r| {
                Some(TrendRow { month: r[0].as_ref()?.parse().ok()?, kpi: d(&r[1]), value: f(&r[2]), target: f(&r[3]) })
            })
            .collect();
        let targets = rows
            .of(file("report_targets"))
            .await?
            .iter()
            .filter_map(|r| Some((r[0].as_ref()?.parse().ok()?, d(&r[1]), d(&r[2]), f(&r[3])?)))
            .collect();
        let lines = rows
            .of(file("report_scorecards"))
            .await?
            .iter()
            .map(|r| LineRow {
                person_id: d(&r[0]),
                person_name: d(&r[1]),
                team_id: d(&r[2]),
                team_name: d(&r[3]),
                kpi: d(&r[4]),
                level: d(&r[5]),
                target: f(&r[6]),
                actual: f(&r[7]),
                achievement: f(&r[8]),
                weight: f(&r[9]),
                effective_weight: f(&r[10]),
                points: f(&r[11]),
                note: r[12].clone(),
                total_score: f(&r[13]),
                rating: r[14].clone(),
                met_target: r[15].as_deref().map(|v| v == "true"),
                base_bonus: r[16].clone(),
                payout_share: f(&r[17]),
                excess_reward: b(&r[18]),
                bonus: r[19].clone(),
                scheme: d(&r[20]),
            })
            .collect();
        let history = rows
            .of(file("report_history"))
            .await?
            .iter()
            .filter_map(|r| {
                Some(HistoryRow {
                    period: r[0].as_ref()?.parse().ok()?,
                    person_id: d(&r[1]),
                    total_score: f(&r[2]),
                    rating: r[3].clone(),
                })
            })
            .collect();
        let flags = rows
            .of(file("report_flags"))
            .await?
            .iter()
            .map(|r| FlagRow {
                person_id: d(&r[0]),
                person_name: d(&r[1]),
                team_id: d(&r[2]),
                flag: d(&r[3]),
                explanation: d(&r[4]),
                detail: r[5].as_deref().and_then(|d| serde_json::from_str(d).ok()),
            })
            .collect();
        let people = rows
            .of(file("report_people"))
            .await?
            .iter()
            .map(|r| Contact {
                person_id: d(&r[0]),
                name: d(&r[1]),
                team_id: d(&r[2]),
                team_name: d(&r[3]),
                email: r[4].clone(),
                is_manager: b(&r[5]),
            })
            .collect();
        let int = |v: &Option<String>| v.as_ref().and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
        let datasets = rows
            .of(file("datasets"))
            .await?
            .iter()
            .map(|r| DatasetRow {
                dataset: d(&r[0]),
                rows_in: int(&r[1]),
                rows_givt: int(&r[2]),
                rows_sivt: int(&r[3]),
                rows_excluded: int(&r[4]),
                rows_net: int(&r[5]),
            })
            .collect();
        let rules = rows
            .of(file("rules"))
            .await?
            .iter()
            .map(|r| RuleRow {
                dataset: d(&r[0]),
                rule_id: d(&r[1]),
                rule_version: d(&r[2]),
                ivt_class: d(&r[3]),
                rows_flagged: int(&r[4]),
            })
            .collect();
        let lead_quality = rows
            .of(file("report_lead_quality"))
            .await?
            .iter()
            .map(|r| LeadQualityRow {
                campaign_id: r[0].clone(),
                campaign_name: d(&r[1]),
                team_id: d(&r[2]),
                channel: d(&r[3]),
                mqls: int(&r[4]),
                sqls: int(&r[5]),
                won: int(&r[6]),
                median_days_to_sql: f(&r[7]),
            })
            .collect();
        let bundle = layout::bundle(period);
        let proof = lake.get(&bundle).await?.map(|bytes| (bundle, hex::encode(sha2::Sha256::digest(&bytes))));
        let mut draft_reasons = Vec::new();
        if proof.is_none() {
            draft_reasons.push(format!("{period} has not been closed (no proof bundle)"));
        }
        if let Some(gates) = Gates::load(lake, period).await? {
            draft_reasons.extend(gates.failures());
        }
        let restatement = match state.and_then(|s| s.revisions.into_iter().find(|r| r.revision == revision)) {
            Some(current) if revision > 1 => Some(Restatement {
                previous: revision - 1,
                reason: current.reason.unwrap_or_default(),
                indicators: rows
                    .of(file("report_restated"))
                    .await?
                    .iter()
                    .map(|r| RestatedRow {
                        grain: d(&r[0]),
                        entity_id: d(&r[1]),
                        kpi: d(&r[2]),
                        as_reported: f(&r[3]),
                        restated: f(&r[4]),
                    })
                    .collect(),
                scores: rows
                    .of(file("report_restated_scores"))
                    .await?
                    .iter()
                    .map(|r| RestatedScore {
                        person_id: d(&r[0]),
                        reported_score: f(&r[1]),
                        restated_score: f(&r[2]),
                        reported_rating: r[3].clone(),
                        restated_rating: r[4].clone(),
                        reported_bonus: r[5].clone(),
                        restated_bonus: r[6].clone(),
                    })
                    .collect(),
            }),
            _ => None,
        };
        Ok(ReportData {
            period,
            revision,
            restatement,
            proof,
            draft_reasons,
            indicators,
            trend,
            trend_months: trend_months(period),
            targets,
            lines,
            history,
            flags,
            people,
            datasets,
            rules,
            lead_quality,
        })
    }
}

struct Rows<'a> {
    ctx: &'a SessionContext,
    params: &'a Params,
}

impl Rows<'_> {
    async fn of(&self, file: Option<&SqlFile>) -> Result<Vec<Vec<Option<String>>>, ReportError> {
        let Some(file) = file else { return Ok(Vec::new()) };
        let batches =
            sql::plan(self.ctx, file, self.params).await?.collect().await.map_err(|e| SqlError::execute(file, e))?;
        engine::text_rows(&batches).map_err(|e| ReportError::Engine(e.into()))
    }
}

fn float(v: &Option<String>) -> Option<f64> {
    v.as_ref().and_then(|v| v.parse::<f64>().ok()).filter(|v| v.is_finite())
}

fn text(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}
