//! The plan's own checks, before anything is scored (README, "Scorecards and flags"): every target a
//! scorecard will need is there, the targets of additive KPIs add up — a team's people's to the
//! team's, the teams' to the company's — and a ratio's target agrees with the targets of its
//! components where the plan holds all three (`cpl` against `spend` / `mql_count`). `validate`
//! lists what it finds; a close warns, and with `scoring.strict` holds the mail back (its `targets`
//! gate).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use rust_decimal::Decimal;

use super::{Inputs, ScoreError, assessed};
use crate::config::Config;
use crate::engine::{self, AsOf, Lookups, Scope};
use crate::lake::Lake;
use crate::period::Period;
use crate::sql::cards;

/// What the plan lacks or gets wrong.
#[derive(Debug, Default)]
pub struct PlanCheck {
    /// The plan holds no target at all: nobody can be scored.
    pub empty: bool,
    /// Targets a scorecard needs that the plan does not hold (or holds as zero), by period.
    pub missing: Vec<(Period, String)>,
    /// Additive targets that do not add up.
    pub gaps: Vec<CascadeGap>,
    /// Ratio targets that disagree with their components' targets.
    pub ratios: Vec<RatioGap>,
}

/// A ratio's target against its numerator's target over its denominator's, for one period and
/// entity (card key `components`).
#[derive(Debug, Clone, PartialEq)]
pub struct RatioGap {
    pub period: Period,
    pub grain: String,
    pub entity: String,
    pub kpi: String,
    pub target: f64,
    pub numerator: (String, Decimal),
    pub denominator: (String, Decimal),
}

/// How far a ratio's target may be from numerator / denominator before it is a finding: targets
/// are rounded (5.5 % for 5.47 %), a different plan is not.
const RATIO_TOLERANCE: f64 = 0.01;

impl RatioGap {
    fn implied(&self) -> f64 {
        use rust_decimal::prelude::ToPrimitive;
        self.numerator.1.to_f64().unwrap_or(f64::NAN) / self.denominator.1.to_f64().unwrap_or(f64::NAN)
    }
}

impl fmt::Display for RatioGap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let implied = self.implied();
        write!(
            f,
            "targets: {}: {} {}: the {} target {} is not its components' {} / {} = {} / {} = {:.4} (off by {:+.1} %)",
            self.period,
            self.grain,
            self.entity,
            self.kpi,
            self.target,
            self.numerator.0,
            self.denominator.0,
            self.numerator.1.normalize(),
            self.denominator.1.normalize(),
            implied,
            (self.target - implied) / implied * 100.0
        )
    }
}

/// For an additive KPI (a count or a sum), the targets one level down — a team's people, the
/// company's teams — whose sum is not the target above.
#[derive(Debug, Clone, PartialEq)]
pub struct CascadeGap {
    pub period: Period,
    pub kpi: String,
    /// `team` (against its people's targets) or `company` (against its teams').
    pub grain: &'static str,
    pub entity: String,
    /// How many targets one level down the sum is of.
    pub parts: usize,
    pub sum: Decimal,
    pub target: Decimal,
}

impl fmt::Display for CascadeGap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let part = if self.grain == "team" { "person" } else { "team" };
        write!(
            f,
            "targets: {}: {}: the {} {part} target(s) of {} {} sum to {}, its own target is {} (off by {})",
            self.period,
            self.kpi,
            self.parts,
            self.grain,
            self.entity,
            self.sum.normalize(),
            self.target.normalize(),
            (self.sum - self.target).normalize()
        )
    }
}

/// How many missing targets a list shows before it says how many more there are.
const SHOWN: usize = 20;

impl PlanCheck {
    /// One line per finding for the given periods (all when `None`), the missing targets capped at
    /// `SHOWN` lines and a count of the rest.
    pub fn messages(&self, periods: Option<&[Period]>) -> Vec<String> {
        if self.empty {
            return vec![
                "targets: the plan holds no targets (the `targets` export has no rows): nobody can be scored \
                 and every scorecard will show \"(no target)\"; export the plan as period, entity_type, \
                 entity_id, kpi, target (README, \"Scorecards and flags\")"
                    .to_string(),
            ];
        }
        let wanted = |p: &Period| periods.is_none_or(|ps| ps.contains(p));
        let missing: Vec<&String> = self.missing.iter().filter(|(p, _)| wanted(p)).map(|(_, m)| m).collect();
        let mut out: Vec<String> = missing.iter().take(SHOWN).map(|m| m.to_string()).collect();
        if missing.len() > SHOWN {
            out.push(format!(
                "targets: … and {} more missing targets (`kpi-close validate` lists the first {SHOWN}; the scorecards \
                 show \"(no target)\" for each)",
                missing.len() - SHOWN
            ));
        }
        out.extend(self.gaps.iter().filter(|g| wanted(&g.period)).map(ToString::to_string));
        out.extend(self.ratios.iter().filter(|g| wanted(&g.period)).map(ToString::to_string));
        out
    }
}

/// The three checks over the lake's `targets`, `people` and `teams` (as last ingested).
pub async fn check_plan(config: &Config, lake: &Lake) -> Result<PlanCheck, ScoreError> {
    let ctx = engine::session(config, lake, Scope::Net, Lookups::Views, AsOf::NOW).await?;
    let inputs = Inputs::read_org(&ctx).await.map_err(ScoreError::Engine)?;
    if inputs.targets.is_empty() {
        return Ok(PlanCheck { empty: true, ..PlanCheck::default() });
    }
    let missing = missing_targets(config, &inputs)?;
    let gaps = cascade_gaps(config, &inputs)?;
    let ratios = ratio_gaps(&inputs)?;
    Ok(PlanCheck { empty: false, missing, gaps, ratios })
}

/// Every missing or zero target a scorecard would need: for each period the `targets` dataset
/// plans, each team's scheme version in force, each KPI assessed in that period, and each person
/// employed then (or their team, or the company, by the KPI's level).
fn missing_targets(config: &Config, inputs: &Inputs) -> Result<Vec<(Period, String)>, ScoreError> {
    let periods: BTreeSet<Period> = inputs.targets.keys().map(|k| k.0).collect();
    let cards = cards::cards()?;
    let mut problems = Vec::new();
    for period in periods {
        for person in inputs.people.iter().filter(|p| p.employed_in(period)) {
            let Some(scheme_name) = inputs.team_scheme.get(&person.team_id) else { continue };
            let Some(scheme) = config.scoring.scheme_for(scheme_name, period) else {
                let message = format!("team {} uses scheme `{scheme_name}`, which is not configured", person.team_id);
                problems.push((period, message));
                continue;
            };
            for k in scheme.kpis.iter().filter(|k| !k.pilot) {
                let Some(card) = cards.iter().find(|c| c.id == k.kpi) else { continue };
                if !assessed(card.cycle, period.kind()) {
                    continue;
                }
                let (_, grain, entity) = inputs.scored_entity(person, k.level, &config.company.id);
                match inputs.target(period, grain, entity, &k.kpi) {
                    Some(t) if t != 0.0 => {}
                    found => problems.push((
                        period,
                        format!(
                            "targets: {period}: {grain} {entity} has {} target for {} (scheme {scheme_name}{})",
                            if found.is_some() { "a zero" } else { "no" },
                            k.kpi,
                            if grain == "person" {
                                String::new()
                            } else {
                                format!(", scored for {}", person.person_id)
                            }
                        ),
                    )),
                }
            }
        }
    }
    problems.sort();
    problems.dedup();
    Ok(problems)
}

/// Additive targets against the targets one level down, for every period and KPI the plan splits:
/// a team target against its people's (when at least one of them has one), the company's against
/// its teams'. People belong to the team the org export gives them.
fn cascade_gaps(config: &Config, inputs: &Inputs) -> Result<Vec<CascadeGap>, ScoreError> {
    let targets = &inputs.targets;
    let additive: BTreeSet<&str> = cards::cards()?.iter().filter(|c| c.additive).map(|c| c.id).collect();
    let team_of: BTreeMap<&str, &str> =
        inputs.people.iter().map(|p| (p.person_id.as_str(), p.team_id.as_str())).collect();
    // (period, kpi, grain one level up, entity) → (count, sum) of the targets below it.
    let mut below: BTreeMap<(Period, &str, &str, &str), (usize, Decimal)> = BTreeMap::new();
    for ((period, grain, entity, kpi), (_, target)) in targets {
        if !additive.contains(kpi.as_str()) {
            continue;
        }
        let above = match grain.as_str() {
            "person" => team_of.get(entity.as_str()).map(|team| ("team", *team)),
            "team" => Some(("company", config.company.id.as_str())),
            _ => None,
        };
        if let Some((up, owner)) = above {
            let entry = below.entry((*period, kpi.as_str(), up, owner)).or_default();
            entry.0 += 1;
            entry.1 += *target;
        }
    }
    let mut gaps = Vec::new();
    for ((period, kpi, grain, entity), (parts, sum)) in below {
        let Some(&(_, target)) = targets.get(&(period, grain.to_string(), entity.to_string(), kpi.to_string())) else {
            continue;
        };
        if sum != target {
            gaps.push(CascadeGap {
                period,
                kpi: kpi.to_string(),
                grain,
                entity: entity.to_string(),
                parts,
                sum,
                target,
            });
        }
    }
    Ok(gaps)
}

/// Every ratio target whose components both have a target for the same period and entity, and
/// that differs from numerator / denominator by more than `RATIO_TOLERANCE` of it. A zero
/// denominator target implies no ratio, so it is not compared.
fn ratio_gaps(inputs: &Inputs) -> Result<Vec<RatioGap>, ScoreError> {
    let targets = &inputs.targets;
    let mut gaps = Vec::new();
    for card in cards::cards()? {
        let Some((numerator, denominator)) = &card.components else { continue };
        for ((period, grain, entity, kpi), (target, _)) in targets {
            if kpi != card.id {
                continue;
            }
            let part = |id: &str| targets.get(&(*period, grain.clone(), entity.clone(), id.to_string())).map(|t| t.1);
            let (Some(n), Some(d)) = (part(numerator), part(denominator)) else { continue };
            let gap = RatioGap {
                period: *period,
                grain: grain.clone(),
                entity: entity.clone(),
                kpi: kpi.clone(),
                target: *target,
                numerator: (numerator.clone(), n),
                denominator: (denominator.clone(), d),
            };
            let implied = gap.implied();
            if !d.is_zero() && (target - implied).abs() > RATIO_TOLERANCE * implied.abs() {
                gaps.push(gap);
            }
        }
    }
    Ok(gaps)
}
