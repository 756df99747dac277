//! Stage `score`: scorecards against targets (README, "Scorecards and flags").
//!
//! In: the period's stored `indicators`, the `targets`, `people` and
//! `teams` datasets, and the schemes in `[[schemes.*]]` (each team names its scheme). For every person
//! employed during the period, each KPI of their team's scheme version in force that is assessed in
//! the period (month: month-cycle KPIs; quarter adds quarter-cycle ones; half adds half-year ones;
//! year: all) gets its actual (the person's figure; the team's for team-level KPIs and for the team's
//! manager; the company's for company-level ones), its target,
//! its achievement and its points; weights are renormalised over the KPIs that can be scored (a
//! target, an actual, not low volume, not pilot). Then the total, the rating and, for quarters, the
//! bonus (payout curve plus the excess reward on revenue).
//!
//! Out: the `scorecards` rows, written to `scorecards/period=<P>/part-0.parquet`. Scores are small
//! (people × KPIs): the rules are plain Rust in `rules`, unit-tested case by case.

pub mod flags;
mod plan;
pub mod rules;

pub use plan::{CascadeGap, PlanCheck, check_plan};

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BooleanArray, Decimal128Array, Float64Array, Int64Array, RecordBatch, StringArray,
};
use datafusion::error::DataFusionError;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use rust_decimal::Decimal;

use crate::config::{Config, Level};
use crate::datasets::{MONEY_PRECISION, MONEY_SCALE};
use crate::engine::{self, AsOf, EngineError, Lookups, Scope};
use crate::exit::ExitCode;
use crate::lake::tables::{self, Unscored};
use crate::lake::{Lake, LakeError, layout};
use crate::period::{Period, PeriodKind};
use crate::sql::cards::{self, CardError};

#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    #[error(transparent)]
    Session(#[from] EngineError),
    #[error(transparent)]
    Card(#[from] CardError),
    #[error(transparent)]
    Lake(#[from] LakeError),
    #[error("{period} has no indicators in the lake: run `kpi-close kpis --period {period}` (or `close`) first")]
    NoIndicators { period: Period },
    #[error("the score stage cannot read its inputs: {0}")]
    Engine(#[source] DataFusionError),
    #[error("team {team} uses scheme `{scheme}`, which is not configured (schemes: {known})")]
    UnknownScheme { team: String, scheme: String, known: String },
}

impl ScoreError {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            ScoreError::UnknownScheme { .. } | ScoreError::NoIndicators { .. } => ExitCode::Usage,
            ScoreError::Session(_) | ScoreError::Card(_) | ScoreError::Lake(_) | ScoreError::Engine(_) => {
                ExitCode::Runtime
            }
        }
    }
}

/// One scorecard line: a person, a KPI of their scheme, in a period.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub person_id: String,
    pub team_id: String,
    pub scheme: String,
    pub kpi: String,
    pub level: Level,
    pub target: Option<f64>,
    pub actual: Option<f64>,
    pub achievement: Option<f64>,
    /// The scheme's weight.
    pub weight: f64,
    /// The weight after renormalising over the KPIs that could be scored (0 if this one could not).
    pub effective_weight: f64,
    pub points: f64,
    /// Why the KPI was not scored, if it was not.
    pub note: Option<Unscored>,
}

/// One person's scorecard.
#[derive(Debug, Clone, PartialEq)]
pub struct Card {
    pub person_id: String,
    pub team_id: String,
    pub lines: Vec<Line>,
    pub total_score: Option<f64>,
    pub rating: Option<&'static str>,
    pub met_target: Option<bool>,
    pub base_bonus: Option<Decimal>,
    pub payout_share: Option<f64>,
    pub excess: bool,
    /// base_bonus × payout share, plus base_bonus × excess_rate when earned; each part rounded to
    /// the cent (half away from zero), exact decimals.
    pub bonus: Option<Decimal>,
}

#[derive(Debug)]
pub struct Scorecards {
    pub period: Period,
    pub cards: Vec<Card>,
}

/// Whether a KPI of `cycle` is assessed in a period of `kind`.
pub fn assessed(cycle: PeriodKind, kind: PeriodKind) -> bool {
    cycle.months() <= kind.months()
}

/// Computes the period's scorecards from its stored indicators and the org and targets `as_of` shows.
/// Reads the lake; writes nothing.
#[tracing::instrument(name = "score", skip_all, fields(period = %period))]
pub async fn compute(config: &Config, lake: &Lake, period: Period, as_of: AsOf) -> Result<Scorecards, ScoreError> {
    if !lake.exists(&layout::indicators(period)).await? {
        return Err(ScoreError::NoIndicators { period });
    }
    let ctx = engine::session(config, lake, Scope::Net, Lookups::Views, as_of).await?;
    let inputs = Inputs::read(&ctx, lake, period).await.map_err(ScoreError::Engine)?;
    let cards = cards::cards()?;
    let scoring = &config.scoring;
    let mut out = Vec::new();
    for person in inputs.people.iter().filter(|p| p.employed_in(period)) {
        let Some(scheme_name) = inputs.team_scheme.get(&person.team_id) else { continue };
        let Some(scheme) = scoring.scheme_for(scheme_name, period) else {
            return Err(ScoreError::UnknownScheme {
                team: person.team_id.clone(),
                scheme: scheme_name.clone(),
                known: scoring.schemes.keys().cloned().collect::<Vec<_>>().join(", "),
            });
        };
        let mut lines = Vec::new();
        for k in &scheme.kpis {
            let Some(card) = cards.iter().find(|c| c.id == k.kpi) else { continue };
            if !assessed(card.cycle, period.kind()) {
                continue;
            }
            let (level, grain, entity) = inputs.scored_entity(person, k.level, &config.company.id);
            let figure = inputs.indicators.get(&(grain.to_string(), entity.to_string(), k.kpi.clone()));
            let target = inputs.target(period, grain, entity, &k.kpi);
            let actual = figure.and_then(|f| f.0);
            let low_volume = figure.is_some_and(|f| f.1);
            let achievement = match (actual, target) {
                (Some(a), Some(t)) => rules::achievement(a, t, card.direction == "lower", scoring.cap),
                _ => None,
            };
            let note = if k.pilot {
                Some(Unscored::Pilot)
            } else if target.is_none() {
                Some(Unscored::NoTarget)
            } else if target == Some(0.0) {
                Some(Unscored::ZeroTarget)
            } else if actual.is_none() {
                Some(Unscored::NoData)
            } else if low_volume {
                Some(Unscored::LowVolume)
            } else {
                None
            };
            lines.push(Line {
                person_id: person.person_id.clone(),
                team_id: person.team_id.clone(),
                scheme: scheme_name.clone(),
                kpi: k.kpi.clone(),
                level,
                target,
                actual,
                achievement,
                weight: if k.pilot { 0.0 } else { k.weight },
                effective_weight: 0.0,
                points: 0.0,
                note,
            });
        }
        let scored: f64 = lines.iter().filter(|l| l.note.is_none()).map(|l| l.weight).sum();
        for line in lines.iter_mut().filter(|l| l.note.is_none()) {
            line.effective_weight = line.weight / scored * 100.0;
            line.points = line.achievement.unwrap_or(0.0) * line.effective_weight;
        }
        let total_score = (scored > 0.0).then(|| lines.iter().map(|l| l.points).sum::<f64>());
        let is_bonus_period = period.kind() == PeriodKind::Quarter;
        let revenue = lines.iter().find(|l| l.kpi == "revenue" && l.level == Level::Person);
        let excess = is_bonus_period
            && revenue.is_some_and(|r| match (r.actual, r.target) {
                (Some(a), Some(t)) => rules::earns_excess(a, t, scoring.excess_threshold),
                _ => false,
            });
        let payout_share = total_score.filter(|_| is_bonus_period).map(rules::payout);
        let bonus = match (payout_share, person.base_bonus) {
            (Some(share), Some(base)) => Some(
                cents(base * decimal(share))
                    + if excess { cents(base * decimal(scoring.excess_rate)) } else { Decimal::ZERO },
            ),
            _ => None,
        };
        out.push(Card {
            person_id: person.person_id.clone(),
            team_id: person.team_id.clone(),
            total_score,
            rating: total_score.map(|s| rules::rating(s, scoring)),
            met_target: total_score.map(|s| s >= scoring.pass_score),
            base_bonus: person.base_bonus,
            payout_share,
            excess,
            bonus,
            lines,
        });
    }
    Ok(Scorecards { period, cards: out })
}

fn decimal(v: f64) -> Decimal {
    Decimal::from_f64_retain(v).unwrap_or_default().round_dp(10)
}

fn cents(v: Decimal) -> Decimal {
    v.round_dp_with_strategy(2, rust_decimal::RoundingStrategy::MidpointAwayFromZero)
}

struct Person {
    person_id: String,
    team_id: String,
    hired_at: Option<chrono::NaiveDate>,
    left_at: Option<chrono::NaiveDate>,
    base_bonus: Option<Decimal>,
}

struct Inputs {
    people: Vec<Person>,
    team_scheme: BTreeMap<String, String>,
    team_manager: BTreeMap<String, String>,
    /// (grain, entity, kpi) → (net value, low volume).
    indicators: BTreeMap<(String, String, String), (Option<f64>, bool)>,
    /// (period, entity type, entity, kpi) → target.
    /// (period, entity type, entity, kpi) → the target as scored, and as the exact amount planned.
    targets: BTreeMap<(Period, String, String, String), (f64, Decimal)>,
}

impl Person {
    /// Employed on at least one day of the period.
    fn employed_in(&self, period: Period) -> bool {
        let (first_day, next_day) = period.dates();
        self.hired_at.is_none_or(|d| d < next_day) && self.left_at.is_none_or(|d| d >= first_day)
    }
}

impl Inputs {
    /// The org and every target, then the period's indicators.
    async fn read(ctx: &SessionContext, lake: &Lake, period: Period) -> Result<Inputs, DataFusionError> {
        let mut inputs = Inputs::read_org(ctx).await?;
        let url = lake.url(&layout::indicators(period));
        ctx.register_parquet("period_indicators", &url, ParquetReadOptions::default()).await?;
        let sql = "SELECT grain, entity_id, kpi, value, low_volume FROM period_indicators \
                   WHERE grain IN ('person', 'team', 'company')";
        for r in engine::text_rows(&ctx.sql(sql).await?.collect().await?)? {
            let value = r[3].as_ref().and_then(|v| v.parse::<f64>().ok());
            inputs.indicators.insert((text(&r[0]), text(&r[1]), text(&r[2])), (value, r[4].as_deref() == Some("true")));
        }
        Ok(inputs)
    }

    /// People, teams and the targets of every period.
    async fn read_org(ctx: &SessionContext) -> Result<Inputs, DataFusionError> {
        let rows = |sql: &'static str| async move {
            Ok::<_, DataFusionError>(engine::text_rows(&ctx.sql(sql).await?.collect().await?)?)
        };
        let mut targets = BTreeMap::new();
        let sql = "SELECT period, entity_type, entity_id, kpi, CAST(target AS DOUBLE) AS target, \
                   CAST(target AS VARCHAR) AS amount FROM targets";
        for r in rows(sql).await? {
            let (Some(period), Some(target), Some(amount)) = (
                r[0].as_ref().and_then(|p| p.parse::<Period>().ok()),
                r[4].as_ref().and_then(|v| v.parse::<f64>().ok()),
                r[5].as_ref().and_then(|v| v.parse::<Decimal>().ok()),
            ) else {
                continue;
            };
            targets.insert((period, text(&r[1]), text(&r[2]), text(&r[3])), (target, amount));
        }
        let date = |v: &Option<String>| v.as_ref().and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        let people = rows(
            "SELECT person_id, team_id, CAST(hired_at AS VARCHAR), CAST(left_at AS VARCHAR), \
             CAST(base_bonus AS VARCHAR) FROM people ORDER BY person_id",
        )
        .await?
        .into_iter()
        .map(|r| Person {
            person_id: text(&r[0]),
            team_id: text(&r[1]),
            hired_at: date(&r[2]),
            left_at: date(&r[3]),
            base_bonus: r[4].as_ref().and_then(|v| v.parse::<Decimal>().ok()),
        })
        .collect();
        let teams = rows("SELECT team_id, scheme, manager_id FROM teams").await?;
        let team_scheme = teams.iter().filter(|r| r[1].is_some()).map(|r| (text(&r[0]), text(&r[1]))).collect();
        let team_manager = teams.iter().filter(|r| r[2].is_some()).map(|r| (text(&r[0]), text(&r[2]))).collect();
        Ok(Inputs { people, team_scheme, team_manager, indicators: BTreeMap::new(), targets })
    }

    /// Whose figure and target a person's KPI at `level` uses: their own; their team's for team-level
    /// KPIs and for every KPI of the team's manager; the company's for company-level ones.
    fn scored_entity<'a>(
        &'a self,
        person: &'a Person,
        level: Level,
        company: &'a str,
    ) -> (Level, &'static str, &'a str) {
        let is_manager = self.team_manager.get(&person.team_id) == Some(&person.person_id);
        match level {
            Level::Person if !is_manager => (Level::Person, "person", &person.person_id),
            Level::Person | Level::Team => (Level::Team, "team", &person.team_id),
            Level::Company => (Level::Company, "company", company),
        }
    }

    fn target(&self, period: Period, grain: &str, entity: &str, kpi: &str) -> Option<f64> {
        self.targets.get(&(period, grain.to_string(), entity.to_string(), kpi.to_string())).map(|t| t.0)
    }
}

fn text(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

impl Scorecards {
    pub fn batch(&self, revision: i64) -> Result<RecordBatch, datafusion::arrow::error::ArrowError> {
        let rows: Vec<(&Card, &Line)> = self.cards.iter().flat_map(|c| c.lines.iter().map(move |l| (c, l))).collect();
        let text = |f: &dyn Fn(&Card, &Line) -> Option<String>| {
            Arc::new(StringArray::from(rows.iter().map(|(c, l)| f(c, l)).collect::<Vec<_>>())) as ArrayRef
        };
        let num = |f: &dyn Fn(&Card, &Line) -> Option<f64>| {
            Arc::new(Float64Array::from(rows.iter().map(|(c, l)| f(c, l)).collect::<Vec<_>>())) as ArrayRef
        };
        let money =
            |f: &dyn Fn(&Card, &Line) -> Option<Decimal>| -> Result<ArrayRef, datafusion::arrow::error::ArrowError> {
                let values: Vec<Option<i128>> = rows
                    .iter()
                    .map(|(c, l)| {
                        f(c, l).map(|mut d| {
                            d.rescale(MONEY_SCALE as u32);
                            d.mantissa()
                        })
                    })
                    .collect();
                Ok(Arc::new(Decimal128Array::from(values).with_precision_and_scale(MONEY_PRECISION, MONEY_SCALE)?))
            };
        let flag = |f: &dyn Fn(&Card, &Line) -> Option<bool>| {
            Arc::new(BooleanArray::from(rows.iter().map(|(c, l)| f(c, l)).collect::<Vec<_>>())) as ArrayRef
        };
        let period = self.period.to_string();
        let columns = vec![
            text(&|_, _| Some(period.clone())),
            text(&|_, l| Some(l.person_id.clone())),
            text(&|_, l| Some(l.team_id.clone())),
            text(&|_, l| Some(l.kpi.clone())),
            num(&|_, l| l.target),
            num(&|_, l| l.actual),
            num(&|_, l| l.achievement),
            num(&|_, l| Some(l.weight)),
            num(&|_, l| Some(l.points)),
            num(&|c, _| c.total_score),
            text(&|c, _| c.rating.map(str::to_string)),
            Arc::new(Int64Array::from(vec![revision; rows.len()])),
            text(&|_, l| Some(l.scheme.clone())),
            text(&|_, l| {
                Some(
                    match l.level {
                        Level::Person => "person",
                        Level::Team => "team",
                        Level::Company => "company",
                    }
                    .to_string(),
                )
            }),
            num(&|_, l| Some(l.effective_weight)),
            text(&|_, l| l.note.map(|n| n.note().to_string())),
            flag(&|c, _| c.met_target),
            money(&|c, _| c.base_bonus)?,
            num(&|c, _| c.payout_share),
            flag(&|c, _| Some(c.excess)),
            money(&|c, _| c.bonus)?,
        ];
        RecordBatch::try_new(tables::scorecards(), columns)
    }
}

/// Writes the period's scorecards to the lake.
pub async fn write(lake: &Lake, scorecards: &Scorecards, revision: i64) -> Result<u64, ScoreError> {
    let batch = scorecards.batch(revision).map_err(|e| ScoreError::Engine(e.into()))?;
    Ok(lake.write_parquet(&layout::scorecards(scorecards.period), tables::scorecards(), &[batch]).await?)
}

/// The flags a period's close raises (README, "Scorecards and flags"): PIP decisions and outcomes for a month, raise
/// candidates for a quarter, promotion eligibility for a year, training for any period. Reads the
/// scorecards stored for earlier periods — a backfill (`close --from … --to …`) stores them in order.
pub async fn flags(config: &Config, lake: &Lake, scorecards: &Scorecards) -> Result<Vec<flags::Flag>, ScoreError> {
    let period = scorecards.period;
    let stored = stored_scores(lake).await.map_err(ScoreError::Engine)?;
    let mut out = Vec::new();
    match period.kind() {
        PeriodKind::Month => {
            for card in &scorecards.cards {
                let mut history = Vec::new();
                let mut month = period.shifted(-23);
                while month <= period {
                    let s = stored.get(&(month, card.person_id.clone()));
                    history.push(flags::Month { month, score: s.and_then(|s| s.0), met: s.and_then(|s| s.1) });
                    month = month.shifted(1);
                }
                out.extend(flags::pip(&card.person_id, &history).into_iter().filter(|f| f.period == period));
            }
        }
        PeriodKind::Quarter => {
            let quarters: Vec<(Period, Vec<(String, f64)>)> = [period.shifted(-6), period.shifted(-3), period]
                .into_iter()
                .map(|q| {
                    let scores = stored
                        .iter()
                        .filter(|((p, _), _)| *p == q)
                        .filter_map(|((_, person), (score, _, _))| score.map(|s| (person.clone(), s)))
                        .collect();
                    (q, scores)
                })
                .collect();
            out.extend(flags::raise_candidates(period, &quarters));
        }
        PeriodKind::Year => {
            for card in &scorecards.cards {
                let ratings: Vec<(Period, String)> = [period.previous(), period]
                    .into_iter()
                    .filter_map(|y| stored.get(&(y, card.person_id.clone())).and_then(|s| s.2.clone()).map(|r| (y, r)))
                    .collect();
                out.extend(flags::promotion(&card.person_id, period, &ratings));
            }
        }
        PeriodKind::Half => {}
    }
    for card in &scorecards.cards {
        for line in card.lines.iter().filter(|l| l.note.is_none() && l.achievement.is_some_and(|a| a < 0.8)) {
            let topic =
                config.scoring.training.get(&line.kpi).cloned().unwrap_or_else(|| format!("{} skills", line.kpi));
            out.push(flags::Flag {
                person_id: card.person_id.clone(),
                flag: "training",
                period,
                explanation: format!(
                    "{}: achievement {:.2} (actual {}, target {}) is below 0.8 → {topic} ({})",
                    line.kpi,
                    line.achievement.unwrap_or_default(),
                    line.actual.map(|v| format!("{v:.4}")).unwrap_or_default(),
                    line.target.map(|v| format!("{v:.4}")).unwrap_or_default(),
                    flags::RULE_VERSION
                ),
                detail: serde_json::json!({
                    "kpi": line.kpi,
                    "achievement": line.achievement,
                    "actual": line.actual,
                    "target": line.target,
                    "topic": topic,
                }),
            });
        }
    }
    Ok(out)
}

/// (period, person) → (total score, met target, rating) of every stored scorecard.
async fn stored_scores(
    lake: &Lake,
) -> Result<BTreeMap<(Period, String), (Option<f64>, Option<bool>, Option<String>)>, DataFusionError> {
    let mut out = BTreeMap::new();
    let ctx = SessionContext::new();
    lake.register(&ctx);
    if !engine::register_stored(&ctx, lake, layout::SCORECARDS_DIR, Some(tables::scorecards())).await? {
        return Ok(out);
    }
    let sql = "SELECT period, person_id, max(total_score), bool_or(met_target), max(rating) FROM scorecards GROUP BY period, person_id";
    for r in engine::text_rows(&ctx.sql(sql).await?.collect().await?)? {
        let Some(period) = r[0].as_ref().and_then(|p| p.parse::<Period>().ok()) else { continue };
        out.insert(
            (period, text(&r[1])),
            (r[2].as_ref().and_then(|v| v.parse().ok()), r[3].as_deref().map(|v| v == "true"), r[4].clone()),
        );
    }
    Ok(out)
}

pub fn flags_batch(list: &[flags::Flag]) -> Result<RecordBatch, datafusion::arrow::error::ArrowError> {
    let column = |f: &dyn Fn(&flags::Flag) -> String| {
        Arc::new(StringArray::from(list.iter().map(f).collect::<Vec<_>>())) as ArrayRef
    };
    RecordBatch::try_new(
        tables::flags(),
        vec![
            column(&|f| f.person_id.clone()),
            column(&|f| f.flag.to_string()),
            column(&|f| f.period.to_string()),
            column(&|f| f.explanation.clone()),
            column(&|f| f.detail.to_string()),
        ],
    )
}

/// Writes the period's flags (an empty table when none fired).
pub async fn write_flags(lake: &Lake, period: Period, list: &[flags::Flag]) -> Result<u64, ScoreError> {
    let batch = flags_batch(list).map_err(|e| ScoreError::Engine(e.into()))?;
    Ok(lake.write_parquet(&layout::flags(period), tables::flags(), &[batch]).await?)
}
