//! The view models: the contract between the SQL results (`data`) and the templates
//! (`report_templates/`). Every figure is formatted here, once, in the report's language; templates
//! only place strings. A team's or person's model is built from their own rows and nothing else, so
//! a template cannot show what its model does not hold.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::ReportError;
use super::chart::{self, Band, Series};
use super::cost::{self, Cost, CostLabels, LeadQualityLine};
use super::data::{IndicatorRow, LineRow, ReportData};
use super::drivers;
use super::explain;
use super::forecast;
pub use super::format::{Format, grouped};
use super::format::{axis_number, axis_percent, axis_score, percent};
use super::i18n::Labels;
use crate::config::{Config, Locale};
use crate::lake::tables::Unscored;
use crate::period::Period;
use crate::sql::cards::{self as catalog, Card};

/// Shared by every report.
#[derive(Debug, Clone, Serialize)]
pub struct Meta {
    pub company: String,
    pub period: String,
    pub revision: i64,
    /// Not closed, or a gate failed: every page says DRAFT, with why, and nothing is sent.
    pub draft: bool,
    pub draft_reasons: Vec<String>,
    /// Revision 2 or later: as reported vs restated, for what this report covers.
    pub restatement: Option<RestatementView>,
    pub locale: &'static str,
    pub currency: String,
    pub title: String,
    /// The labels of `report_templates/i18n/<locale>.toml` `[text]`.
    pub t: BTreeMap<String, String>,
}

/// What a restatement changed within one report's scope.
#[derive(Debug, Clone, Serialize)]
pub struct RestatementView {
    pub previous: i64,
    pub reason: String,
    /// Indicator, whose, as reported, restated.
    pub indicators: Vec<[String; 4]>,
    /// Person, as reported, restated (score · rating · bonus).
    pub scores: Vec<[String; 3]>,
}

/// A chart: the PNG, its alt text, and the figures it shows as a table.
#[derive(Debug, Clone, Serialize)]
pub struct ChartView {
    /// File name, also the basis of the inline image's Content-ID.
    pub name: String,
    pub title: String,
    pub alt: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<String>>,
    #[serde(skip)]
    pub png: Vec<u8>,
}

/// One indicator line: every cell already formatted.
#[derive(Debug, Clone, Serialize)]
pub struct IndicatorLine {
    pub kpi: String,
    pub name: String,
    pub value: String,
    pub target: String,
    pub vs_target: String,
    /// `good`, `bad` or empty: colours the "vs target" cell.
    pub status: &'static str,
    pub vs_previous: String,
    pub vs_year_ago: String,
    pub gross: String,
    /// How the audit changed the figure, gross → net, in the indicator's terms (pp for a rate).
    pub gross_to_net: String,
    /// The share of the rows behind the indicator that the audit removed.
    pub excluded: String,
    pub low_volume: bool,
    /// The figures as stored, for the attachments.
    #[serde(skip)]
    pub row: IndicatorRow,
}

/// The leadership report's first block: which targets were met, which indicators moved most, and
/// for each miss or move the teams and channels that drove it.
#[derive(Debug, Clone, Serialize)]
pub struct Headline {
    /// "3 of 5 targets met".
    pub met: String,
    /// Every company indicator with a target, misses first.
    pub targets: Vec<HeadlineLine>,
    /// Indicators without a target that moved by `reports.movers_threshold` or more, largest first (3 at most).
    pub movers: Vec<HeadlineLine>,
}

#[derive(Debug, Clone, Serialize)]
pub struct HeadlineLine {
    pub name: String,
    /// `✓`, `✗`, `▲` or `▼`: the status never rests on colour alone.
    pub icon: &'static str,
    /// The status in words: met, missed, up, down.
    pub status: String,
    /// `good` or `bad`.
    pub tone: &'static str,
    pub value: String,
    pub target: String,
    pub vs_target: String,
    pub vs_previous: String,
    /// "Teams: …", "Channels: …": the parts of the change vs the previous period; empty when met and steady.
    pub drivers: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ForecastLine {
    pub name: String,
    pub period: String,
    pub point: String,
    pub low: String,
    pub high: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct OnTrackLine {
    pub name: String,
    pub period: String,
    pub target: String,
    pub projected: String,
    pub on_track: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct TeamLine {
    pub rank: usize,
    pub name: String,
    pub average: String,
    pub people: usize,
    /// How many KPIs its members were scored on (`4`, or `1–4` when they differ).
    pub kpis: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct FlagLine {
    pub person: String,
    pub team: String,
    pub flag: String,
    pub explanation: String,
}

/// One kind of people decision the close raised, with its flags.
#[derive(Debug, Clone, Serialize)]
pub struct Decisions {
    pub title: String,
    pub lines: Vec<FlagLine>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DatasetLine {
    pub dataset: String,
    pub rows_in: String,
    pub rows_givt: String,
    pub rows_sivt: String,
    pub rows_excluded: String,
    pub rows_net: String,
}

/// One scorecard line, as the total used it: points = achievement × weight used.
#[derive(Debug, Clone, Serialize)]
pub struct ScoreLine {
    pub name: String,
    pub target: String,
    pub actual: String,
    pub achievement: String,
    /// The weight the total used: the scheme's, spread over the KPIs that were scored; 0 otherwise.
    pub weight: String,
    /// The scheme's weight, when it differs from the weight used.
    pub scheme_weight: String,
    pub points: String,
    /// Why the KPI was not scored, or that its achievement was capped, in the report's language.
    pub note: String,
    /// The line as stored, for the attachments.
    #[serde(skip)]
    pub row: LineRow,
}

#[derive(Debug, Clone, Serialize)]
pub struct Member {
    pub name: String,
    pub total: String,
    pub rating: String,
    pub met: String,
    pub bonus: String,
    /// "n of m KPIs scored", with how the others' weights were spread, when some were not scored.
    pub scored: String,
    pub lines: Vec<ScoreLine>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Leadership {
    pub meta: Meta,
    pub headline: Headline,
    pub indicators: Vec<IndicatorLine>,
    pub cost: Cost,
    /// The campaigns whose MQLs sales accepts least.
    pub lead_quality: Vec<LeadQualityLine>,
    pub charts: Vec<ChartView>,
    pub forecasts: Vec<ForecastLine>,
    pub on_track: Vec<OnTrackLine>,
    pub teams: Vec<TeamLine>,
    pub ratings: ChartView,
    /// PIPs, PIP outcomes, raise candidates, promotion eligibility and training suggestions: the
    /// kinds that have flags this period, each with its flags…
    pub decisions: Vec<Decisions>,
    /// …and one line naming the kinds that have none ("None this period: …"), or empty.
    pub no_decisions: String,
    pub audit: Vec<DatasetLine>,
    pub audit_chart: ChartView,
}

#[derive(Debug, Clone, Serialize)]
pub struct Team {
    pub meta: Meta,
    pub team_id: String,
    pub team: String,
    pub indicators: Vec<IndicatorLine>,
    /// The team's own campaigns' MQLs and what sales made of them; empty for a team without any.
    pub lead_quality: Vec<LeadQualityLine>,
    pub members: Vec<Member>,
    pub chart: ChartView,
    pub flags: Vec<FlagLine>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Personal {
    pub meta: Meta,
    pub person_id: String,
    pub name: String,
    pub team: String,
    pub member: Member,
    /// How the bonus was computed, in words; empty when the period pays none.
    pub bonus_how: String,
    pub history: Vec<(String, String, String)>,
    pub charts: Vec<ChartView>,
    pub flags: Vec<FlagLine>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RuleLine {
    pub dataset: String,
    pub rule: String,
    /// GIVT or SIVT, and what kind of invalid activity the rule finds, in the report's language.
    pub class: String,
    pub kind: String,
    /// What the rule catches, with the thresholds in use, in the report's language.
    pub catches: String,
    pub version: String,
    pub flagged: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Audit {
    pub meta: Meta,
    pub datasets: Vec<DatasetLine>,
    pub rules: Vec<RuleLine>,
    pub indicators: Vec<IndicatorLine>,
    pub proof_path: String,
    pub proof_sha256: String,
    pub verify_command: String,
}

/// Builds the models of one period in one language.
pub struct Builder<'a> {
    pub config: &'a Config,
    pub data: &'a ReportData,
    pub fmt: Format<'a>,
}

impl<'a> Builder<'a> {
    pub fn new(config: &'a Config, data: &'a ReportData, locale: Locale, labels: &'a Labels) -> Builder<'a> {
        Builder { config, data, fmt: Format { locale, labels, currency: &config.company.currency } }
    }

    fn t(&self, key: &str) -> Result<String, ReportError> {
        Ok(self.fmt.labels.text(self.fmt.locale, key)?.to_string())
    }

    fn c(&self, key: &str) -> Result<String, ReportError> {
        Ok(self.fmt.labels.chart(self.fmt.locale, key)?.to_string())
    }

    /// A dataset's name in the report's language (`dataset_<id>`, drawn into charts too).
    fn dataset_name(&self, id: &str) -> String {
        self.fmt.labels.chart.get(&format!("dataset_{id}")).cloned().unwrap_or_else(|| id.to_string())
    }

    /// The restatement's changes this report may show: indicator rows `keep_row` accepts (grain,
    /// entity) and the people `keep_person` accepts.
    pub fn restatement(
        &self,
        keep_row: impl Fn(&str, &str) -> bool,
        keep_person: impl Fn(&str) -> bool,
    ) -> Option<RestatementView> {
        let r = self.data.restatement.as_ref()?;
        let f = &self.fmt;
        let name_of = |person: &str| {
            self.data.people.iter().find(|p| p.person_id == person).map(|p| p.name.clone()).unwrap_or(person.into())
        };
        let whose = |grain: &str, entity: &str| match grain {
            "company" => self.config.company.name.clone(),
            "team" => self.team_name(entity).unwrap_or_else(|| entity.into()),
            "person" => name_of(entity),
            _ => format!("{entity} ({})", self.fmt.labels.text.get("channel").map(String::as_str).unwrap_or("channel")),
        };
        let indicators = r
            .indicators
            .iter()
            .filter(|row| keep_row(&row.grain, &row.entity_id))
            .map(|row| {
                let card = catalog::card(&row.kpi).ok().flatten();
                [
                    f.kpi_name(&row.kpi),
                    whose(&row.grain, &row.entity_id),
                    f.value(card, row.as_reported),
                    f.value(card, row.restated),
                ]
            })
            .collect();
        let score = |total: Option<f64>, rating: &Option<String>, bonus: &Option<String>| {
            let mut parts = vec![f.number(total, 1)];
            parts.extend(rating.clone());
            parts.extend(bonus.as_deref().map(|b| f.money_text(b)));
            parts.join(" · ")
        };
        let scores = r
            .scores
            .iter()
            .filter(|s| keep_person(&s.person_id))
            .map(|s| {
                [
                    name_of(&s.person_id),
                    score(s.reported_score, &s.reported_rating, &s.reported_bonus),
                    score(s.restated_score, &s.restated_rating, &s.restated_bonus),
                ]
            })
            .collect();
        Some(RestatementView { previous: r.previous, reason: r.reason.clone(), indicators, scores })
    }

    pub fn meta(
        &self,
        title_key: &str,
        subject: &str,
        restatement: Option<RestatementView>,
    ) -> Result<Meta, ReportError> {
        let title =
            if subject.is_empty() { self.t(title_key)? } else { format!("{} — {subject}", self.t(title_key)?) };
        Ok(Meta {
            company: self.config.company.name.clone(),
            period: self.data.period.to_string(),
            revision: self.data.revision,
            draft: !self.data.draft_reasons.is_empty(),
            draft_reasons: self.data.draft_reasons.clone(),
            restatement,
            locale: self.fmt.locale.tag(),
            currency: self.config.company.currency.clone(),
            title,
            t: self.fmt.labels.text.clone(),
        })
    }

    fn cost_labels(&self) -> Result<CostLabels, ReportError> {
        Ok(CostLabels {
            answer: self.t("cost_answer")?,
            unassigned: self.t("unassigned")?,
            trend_headers: ["month", "cost_spend", "cost_cac", "cost_mroi", "cost_roas"]
                .iter()
                .map(|k| self.t(k))
                .collect::<Result<_, _>>()?,
        })
    }

    /// Below this many MQLs a campaign's lead quality is marked low volume, as the SQL conversion
    /// rate would be.
    fn lead_volume(&self) -> u64 {
        self.config.kpis.min_volume_for("sql_conversion_rate")
    }

    /// The framework's indicators (not the supporting measures) of one entity.
    fn indicator_lines(&self, grain: &str, entity: &str) -> Vec<IndicatorLine> {
        let cards = catalog::cards().unwrap_or_default();
        let mut out = Vec::new();
        for card in cards.iter().filter(|c| c.direction != "neutral") {
            let Some(row) =
                self.data.indicators.iter().find(|r| r.grain == grain && r.entity_id == entity && r.kpi == card.id)
            else {
                continue;
            };
            out.push(self.indicator_line(card, row));
        }
        out
    }

    fn indicator_line(&self, card: &Card, row: &IndicatorRow) -> IndicatorLine {
        let f = &self.fmt;
        let status = match (row.value, row.target) {
            (Some(v), Some(t)) if met(card, v, t) => "good",
            (Some(_), Some(_)) => "bad",
            _ => "",
        };
        IndicatorLine {
            kpi: card.id.to_string(),
            name: f.kpi_name(card.id),
            value: f.value(Some(card), row.value),
            target: f.value(Some(card), row.target),
            vs_target: f.delta(Some(card), row.value, row.target),
            status,
            vs_previous: f.delta(Some(card), row.value, row.previous_value),
            vs_year_ago: f.delta(Some(card), row.value, row.year_ago_value),
            gross: f.value(Some(card), row.gross_value),
            gross_to_net: f.delta(Some(card), row.value, row.gross_value),
            excluded: row.excluded_share.map(|s| percent(s, 1)).unwrap_or_else(|| f.na()),
            low_volume: row.low_volume,
            row: row.clone(),
        }
    }

    fn flag_lines(&self, keep: impl Fn(&str, &str) -> bool) -> Vec<FlagLine> {
        self.data
            .flags
            .iter()
            .filter(|f| keep(&f.flag, &f.team_id))
            .map(|f| FlagLine {
                person: f.person_name.clone(),
                team: self.team_name(&f.team_id).unwrap_or_default(),
                flag: f.flag.clone(),
                explanation: explain::flag(&self.fmt, &f.flag, f.detail.as_ref(), &f.explanation),
            })
            .collect()
    }

    /// One person's scorecard, from their own lines only.
    fn member(&self, lines: &[&LineRow]) -> Result<Member, ReportError> {
        let f = &self.fmt;
        let first = lines.first();
        let cap = self.config.scoring.cap;
        let mut out = Vec::new();
        for l in lines {
            let card = catalog::card(&l.kpi).ok().flatten();
            let unscored = l.note.as_deref().map(|n| Unscored::from_note(n).ok_or_else(|| n.to_string()));
            let note = match unscored {
                Some(Ok(reason)) => self.t(reason.label())?,
                Some(Err(stored)) => stored,
                None if l.achievement.is_some_and(|a| a >= cap - 1e-9) => {
                    self.t("capped")?.replace("{cap}", &percent(cap, 0))
                }
                None => String::new(),
            };
            let used = l.effective_weight.unwrap_or(0.0);
            let scheme = l.weight.unwrap_or(0.0);
            out.push(ScoreLine {
                name: f.kpi_name(&l.kpi),
                target: f.value(card, l.target),
                actual: f.value(card, l.actual),
                achievement: l.achievement.map(|a| percent(a, 1)).unwrap_or_else(|| f.na()),
                weight: grouped(used, 1),
                scheme_weight: if (used - scheme).abs() < 0.05 { String::new() } else { grouped(scheme, 0) },
                points: f.number(l.points, 1),
                note,
                row: (*l).clone(),
            });
        }
        let scored = lines.iter().filter(|l| l.note.is_none()).count();
        let mut scored = if scored == lines.len() {
            String::new()
        } else {
            self.t("scored_of")?.replace("{n}", &scored.to_string()).replace("{m}", &lines.len().to_string())
        };
        let later = self.assessed_later(first.copied());
        if !later.is_empty() {
            scored = format!(
                "{scored} {}",
                self.t("assessed_later")?.replace("{kpis}", &later.join(&self.t("list_separator")?))
            )
            .trim()
            .to_string();
        }
        Ok(Member {
            name: first.map(|l| l.person_name.clone()).unwrap_or_default(),
            total: f.number(first.and_then(|l| l.total_score), 1),
            rating: first.and_then(|l| l.rating.clone()).unwrap_or_else(|| f.na()),
            met: f.yes_no(first.and_then(|l| l.met_target)),
            bonus: first.and_then(|l| l.bonus.as_deref()).map(|b| f.money_text(b)).unwrap_or_else(|| f.na()),
            scored,
            lines: out,
        })
    }

    /// The KPIs of the line's scheme assessed on a cycle longer than the period (e.g. quarterly
    /// ones in a month), which its scorecard therefore does not hold.
    fn assessed_later(&self, line: Option<&LineRow>) -> Vec<String> {
        let Some(line) = line else { return Vec::new() };
        let period = self.data.period;
        let Some(scheme) = self.config.scoring.scheme_for(&line.scheme, period) else { return Vec::new() };
        scheme
            .kpis
            .iter()
            .filter_map(|k| catalog::card(&k.kpi).ok().flatten())
            .filter(|card| card.cycle.months() > period.kind().months())
            .map(|card| self.fmt.kpi_name(card.id))
            .collect()
    }

    /// How many KPIs a person was scored on.
    fn kpis_scored(&self, person: &str) -> usize {
        self.data.lines.iter().filter(|l| l.person_id == person && l.note.is_none()).count()
    }

    fn lines_of(&self, person: &str) -> Vec<&'a LineRow> {
        self.data.lines.iter().filter(|l| l.person_id == person).collect()
    }

    /// Each scored person's total, in person order.
    fn totals(&self, team: Option<&str>) -> Vec<(&'a LineRow, f64)> {
        let mut seen = BTreeSet::new();
        self.data
            .lines
            .iter()
            .filter(|l| team.is_none_or(|t| l.team_id == t))
            .filter(|l| seen.insert(l.person_id.clone()))
            .filter_map(|l| l.total_score.map(|s| (l, s)))
            .collect()
    }

    pub fn leadership(&self) -> Result<Leadership, ReportError> {
        let company = self.config.company.id.as_str();
        let f = &self.fmt;
        let months = &self.data.trend_months;
        let labels: Vec<String> = months.iter().map(ToString::to_string).collect();
        let mut charts = Vec::new();
        let mut forecasts = Vec::new();
        let mut on_track = Vec::new();
        for kpi in &self.config.reports.trend_kpis {
            let card = catalog::card(kpi).ok().flatten();
            let row = |m: &Period| self.data.trend.iter().find(|r| r.kpi == *kpi && r.month == *m);
            let actual: Vec<Option<f64>> = months.iter().map(|m| row(m).and_then(|r| r.value)).collect();
            let target: Vec<Option<f64>> = months.iter().map(|m| row(m).and_then(|r| r.target)).collect();
            let known: Vec<f64> = actual.iter().rev().take(12).rev().flatten().copied().collect();
            let fit = if actual.last().is_some_and(Option::is_some) { forecast::fit(&known) } else { None };
            let next = months.last().map(|m| m.shifted(1));
            let name = f.kpi_name(kpi);
            let mut series =
                vec![Series { name: self.c("actual")?, values: actual.clone(), color: chart::BLUE, dashed: false }];
            if target.iter().any(Option::is_some) {
                series.push(Series {
                    name: self.c("target")?,
                    values: target.clone(),
                    color: chart::GREY,
                    dashed: true,
                });
            }
            let band = fit.map(|fit| fit.next()).map(|n| Band { point: n.point, low: n.low, high: n.high });
            let forecast_label = self.c("forecast")?;
            let title = format!("{name}：{}", self.c("trend")?);
            let axis = if card.is_some_and(|c| c.unit == "ratio") { axis_percent } else { axis_number };
            let png =
                chart::line(&title, &labels, &series, band.as_ref().map(|b| (forecast_label.as_str(), *b)), axis)?;
            let mut rows: Vec<Vec<String>> = months
                .iter()
                .zip(actual.iter().zip(&target))
                .map(|(m, (a, t))| {
                    vec![m.to_string(), f.value(card, *a), t.map(|t| f.value(card, Some(t))).unwrap_or_default()]
                })
                .collect();
            if let (Some(b), Some(next)) = (band, next) {
                rows.push(vec![format!("{next} ({forecast_label})"), f.estimate(card, Some(b.point)), String::new()]);
                forecasts.push(ForecastLine {
                    name: name.clone(),
                    period: next.to_string(),
                    point: f.estimate(card, Some(b.point)),
                    low: f.estimate(card, Some(b.low)),
                    high: f.estimate(card, Some(b.high)),
                });
            }
            charts.push(ChartView {
                name: format!("trend-{kpi}.png"),
                alt: format!(
                    "{title}: {}",
                    rows.iter().map(|r| format!("{} {}", r[0], r[1])).collect::<Vec<_>>().join(", ")
                ),
                title,
                headers: vec![self.t("month")?, self.t("actual")?, self.t("target")?],
                rows,
                png,
            });
            if let (Some(fit), Some(card)) = (fit, card)
                && card.additive
            {
                on_track.extend(self.on_track(card, fit, company)?);
            }
        }

        let totals = self.totals(None);
        let mut teams: BTreeMap<&str, (String, Vec<f64>, BTreeSet<usize>)> = BTreeMap::new();
        for (line, score) in &totals {
            let team =
                teams.entry(line.team_id.as_str()).or_insert_with(|| (line.team_name.clone(), vec![], BTreeSet::new()));
            team.1.push(*score);
            team.2.insert(self.kpis_scored(&line.person_id));
        }
        let mut teams: Vec<(String, f64, usize, String)> = teams
            .into_values()
            .map(|(name, s, kpis)| {
                let kpis = match (kpis.first(), kpis.last()) {
                    (Some(lo), Some(hi)) if lo != hi => format!("{lo}–{hi}"),
                    (Some(n), _) => n.to_string(),
                    _ => f.na(),
                };
                (name, s.iter().sum::<f64>() / s.len() as f64, s.len(), kpis)
            })
            .collect();
        teams.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        let teams = teams
            .into_iter()
            .enumerate()
            .map(|(i, (name, avg, people, kpis))| TeamLine {
                rank: i + 1,
                name,
                average: grouped(avg, 1),
                people,
                kpis,
            })
            .collect();

        let bands = ["A", "B", "C", "D"];
        let counts: Vec<f64> = bands
            .iter()
            .map(|b| totals.iter().filter(|(l, _)| l.rating.as_deref() == Some(*b)).count() as f64)
            .collect();
        let title = self.c("ratings")?;
        let ratings = ChartView {
            name: "ratings.png".into(),
            alt: format!(
                "{title}: {}",
                bands.iter().zip(&counts).map(|(b, c)| format!("{b} {c}")).collect::<Vec<_>>().join(", ")
            ),
            png: chart::bars(&title, &bands.map(String::from), &counts, None, axis_score)?,
            title,
            headers: vec![self.t("rating")?, self.t("count")?],
            rows: bands.iter().zip(&counts).map(|(b, c)| vec![b.to_string(), format!("{c}")]).collect(),
        };

        let audit: Vec<DatasetLine> = self.dataset_lines();
        let flagged: Vec<_> = self.data.datasets.iter().filter(|d| d.rows_in > 0).collect();
        let shares: Vec<f64> = flagged.iter().map(|d| d.rows_excluded as f64 / d.rows_in as f64).collect();
        let title = self.c("excluded_share")?;
        let audit_chart = ChartView {
            name: "audit.png".into(),
            alt: format!(
                "{title}: {}",
                flagged
                    .iter()
                    .zip(&shares)
                    .map(|(d, s)| format!("{} {}", self.dataset_name(&d.dataset), percent(*s, 1)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            png: chart::bars(
                &title,
                &flagged.iter().map(|d| self.dataset_name(&d.dataset)).collect::<Vec<_>>(),
                &shares,
                None,
                axis_percent,
            )?,
            title,
            headers: vec![self.t("dataset")?, self.t("excluded")?],
            rows: flagged
                .iter()
                .zip(&shares)
                .map(|(d, s)| vec![self.dataset_name(&d.dataset), percent(*s, 1)])
                .collect(),
        };

        let kinds: [(&str, &[&str]); 5] = [
            ("pip", &["pip"]),
            ("pip_outcomes", &["pip_passed", "pip_review"]),
            ("raise", &["raise_candidate"]),
            ("promotion", &["promotion_eligible"]),
            ("training", &["training"]),
        ];
        let decisions = kinds
            .iter()
            .map(|(title, flags)| {
                Ok(Decisions { title: self.t(title)?, lines: self.flag_lines(|f, _| flags.contains(&f)) })
            })
            .collect::<Result<Vec<_>, ReportError>>()?;
        let empty: Vec<&str> = decisions.iter().filter(|d| d.lines.is_empty()).map(|d| d.title.as_str()).collect();
        let no_decisions = if empty.is_empty() {
            String::new()
        } else {
            self.t("none_this_period")?.replace("{kinds}", &empty.join(&self.t("list_separator")?))
        };
        let cost_labels = self.cost_labels()?;
        Ok(Leadership {
            meta: self.meta("leadership_title", "", self.restatement(|grain, _| grain != "person", |_| true))?,
            headline: self.headline(company)?,
            indicators: self.indicator_lines("company", company),
            cost: cost::cost(self.data, &self.fmt, &cost_labels, company),
            lead_quality: cost::lead_quality(self.data, &self.fmt, &cost_labels, None, self.lead_volume()),
            charts,
            forecasts,
            on_track,
            teams,
            ratings,
            decisions: decisions.into_iter().filter(|d| !d.lines.is_empty()).collect(),
            no_decisions,
            audit,
            audit_chart,
        })
    }

    /// Targets met, the biggest movers, and what drove each miss and move.
    fn headline(&self, company: &str) -> Result<Headline, ReportError> {
        let f = &self.fmt;
        let cards = catalog::cards().unwrap_or_default();
        let threshold = self.config.reports.movers_threshold;
        let mut targets = Vec::new();
        let mut movers = Vec::new();
        for card in cards.iter().filter(|c| c.direction != "neutral") {
            let Some(row) = self
                .data
                .indicators
                .iter()
                .find(|r| r.grain == "company" && r.entity_id == company && r.kpi == card.id)
            else {
                continue;
            };
            let Some(value) = row.value else { continue };
            let moved = row.previous_value.filter(|p| *p != 0.0).map(|p| (value - p) / p.abs());
            let moving = moved.is_some_and(|m| m.abs() >= threshold);
            let line = |icon, status: &str, tone, drivers| -> Result<HeadlineLine, ReportError> {
                Ok(HeadlineLine {
                    name: f.kpi_name(card.id),
                    icon,
                    status: self.t(status)?,
                    tone,
                    value: f.value(Some(card), row.value),
                    target: f.value(Some(card), row.target),
                    vs_target: f.delta(Some(card), row.value, row.target),
                    vs_previous: f.delta(Some(card), row.value, row.previous_value),
                    drivers,
                })
            };
            if let Some(target) = row.target {
                let met = met(card, value, target);
                let drivers = if met && !moving { Vec::new() } else { self.drivers(card, company)? };
                let (icon, status, tone) =
                    if met { ("✓", "status_met", "good") } else { ("✗", "status_missed", "bad") };
                targets.push((met, line(icon, status, tone, drivers)?));
            } else if let Some(m) = moved.filter(|_| moving) {
                let good = (m > 0.0) == (card.direction != "lower");
                let (icon, status) = if m > 0.0 { ("▲", "status_up") } else { ("▼", "status_down") };
                movers.push((
                    m.abs(),
                    line(icon, status, if good { "good" } else { "bad" }, self.drivers(card, company)?)?,
                ));
            }
        }
        let met = targets.iter().filter(|(met, _)| *met).count();
        let met = self.t("targets_met")?.replace("{n}", &met.to_string()).replace("{m}", &targets.len().to_string());
        targets.sort_by_key(|(met, _)| *met);
        movers.sort_by(|a, b| b.0.total_cmp(&a.0));
        Ok(Headline {
            met,
            targets: targets.into_iter().map(|(_, l)| l).collect(),
            movers: movers.into_iter().take(3).map(|(_, l)| l).collect(),
        })
    }

    /// "Teams: A −1.20 pp, B +0.40 pp (rate −0.10 pp, mix +0.50 pp)" and the same for channels: the
    /// three largest parts of the company's change vs the previous period (a ratio's part split into
    /// rate and mix when the mix is a quarter of it or more), and the rest when it matters.
    fn drivers(&self, card: &Card, company: &str) -> Result<Vec<String>, ReportError> {
        let f = &self.fmt;
        let change = |v: f64| f.difference(Some(card), v);
        let (rate_mix, rest, separator) =
            (self.t("drivers_rate_mix")?, self.t("drivers_rest")?, self.t("list_separator")?);
        let mut out = Vec::new();
        for (grain, label) in [("team", "drivers_teams"), ("channel", "drivers_channels")] {
            let Some(split) = drivers::split(&self.data.indicators, card, grain, company) else { continue };
            if split.parts.is_empty() {
                continue;
            }
            let mut parts: Vec<String> = split
                .parts
                .iter()
                .take(3)
                .map(|p| {
                    let name = self.entity_name(grain, &p.entity_id);
                    match p.rate_mix.filter(|(_, mix)| mix.abs() >= 0.25 * p.change.abs()) {
                        Some((rate, mix)) => format!(
                            "{name} {} ({})",
                            change(p.change),
                            rate_mix.replace("{r}", &change(rate)).replace("{m}", &change(mix))
                        ),
                        None => format!("{name} {}", change(p.change)),
                    }
                })
                .collect();
            if split.rest.abs() > split.change.abs() * 0.05 && split.rest.abs() > 1e-9 {
                parts.push(format!("{rest} {}", change(split.rest)));
            }
            out.push(self.t(label)?.replace("{parts}", &parts.join(&separator)));
        }
        Ok(out)
    }

    /// A team's name, or a channel's id.
    fn entity_name(&self, grain: &str, entity: &str) -> String {
        match grain {
            _ if entity == "unassigned" => self.t("unassigned").unwrap_or_else(|_| entity.to_string()),
            "team" => self.team_name(entity).unwrap_or_else(|| entity.to_string()),
            _ => entity.to_string(),
        }
    }

    /// A team's name, from the org its people carry.
    fn team_name(&self, team_id: &str) -> Option<String> {
        self.data.people.iter().find(|p| p.team_id == team_id).map(|p| p.team_name.clone())
    }

    /// Quarter and year containing the period's last month: closed months plus the fitted line for
    /// the months left, against the company's target.
    fn on_track(&self, card: &Card, fit: forecast::Fit, company: &str) -> Result<Vec<OnTrackLine>, ReportError> {
        let Some(&last) = self.data.trend_months.last() else { return Ok(Vec::new()) };
        let Period::Month { year, month } = last else { return Ok(Vec::new()) };
        let quarter: Option<Period> = format!("{year}-Q{}", (month - 1) / 3 + 1).parse().ok();
        let mut out = Vec::new();
        for period in [quarter, Some(Period::Year { year })].into_iter().flatten() {
            let target = self.data.targets_for(period, company, card.id);
            let Some(target) = target else { continue };
            let mut projected = 0.0;
            let mut ahead = 0;
            for m in period.months() {
                if m <= last {
                    projected += self
                        .data
                        .trend
                        .iter()
                        .find(|r| r.kpi == card.id && r.month == m)
                        .and_then(|r| r.value)
                        .unwrap_or(0.0);
                } else {
                    ahead += 1;
                    projected += fit.at(ahead).max(0.0);
                }
            }
            let on_track = met(card, projected, target);
            out.push(OnTrackLine {
                name: self.fmt.kpi_name(card.id),
                period: period.to_string(),
                target: self.fmt.value(Some(card), Some(target)),
                projected: self.fmt.estimate(Some(card), Some(projected)),
                on_track,
            });
        }
        Ok(out)
    }

    /// The rules that flagged rows, with their class; a rule the catalogue no longer holds keeps the
    /// class its ledger rows carry and no kind.
    fn rule_lines(&self) -> Result<Vec<RuleLine>, ReportError> {
        let cards = crate::sql::rules::rules().unwrap_or_default();
        let thresholds = self.config.audit.thresholds();
        self.data
            .rules
            .iter()
            .map(|r| {
                let kind = match cards.iter().find(|c| c.id == r.rule_id) {
                    Some(card) => self.t(&format!("ivt_{}", card.kind))?,
                    None => String::new(),
                };
                let catches = self.fmt.labels.text.get(&format!("rule_{}", r.rule_id)).map(|text| {
                    thresholds
                        .iter()
                        .fold(text.clone(), |text, (name, value)| text.replace(&format!("{{{name}}}"), value))
                });
                Ok(RuleLine {
                    dataset: self.dataset_name(&r.dataset),
                    rule: r.rule_id.clone(),
                    class: r.ivt_class.clone(),
                    kind,
                    catches: catches.unwrap_or_default(),
                    version: r.rule_version.clone(),
                    flagged: grouped(r.rows_flagged as f64, 0),
                })
            })
            .collect()
    }

    fn dataset_lines(&self) -> Vec<DatasetLine> {
        self.data
            .datasets
            .iter()
            .map(|d| DatasetLine {
                dataset: self.dataset_name(&d.dataset),
                rows_in: grouped(d.rows_in as f64, 0),
                rows_givt: grouped(d.rows_givt as f64, 0),
                rows_sivt: grouped(d.rows_sivt as f64, 0),
                rows_excluded: grouped(d.rows_excluded as f64, 0),
                rows_net: grouped(d.rows_net as f64, 0),
            })
            .collect()
    }

    /// The report a team's manager receives: the team's indicators, its members' scorecards and flags.
    pub fn team(&self, team_id: &str) -> Result<Team, ReportError> {
        let team_name = self.team_name(team_id).unwrap_or_else(|| team_id.to_string());
        let totals = self.totals(Some(team_id));
        let members: Vec<Member> =
            totals.iter().map(|(l, _)| self.member(&self.lines_of(&l.person_id))).collect::<Result<_, _>>()?;
        let names: Vec<String> = totals.iter().map(|(l, _)| l.person_name.clone()).collect();
        let scores: Vec<f64> = totals.iter().map(|(_, s)| *s).collect();
        let target = self.c("target")?;
        let title = self.c("members")?;
        let chart = ChartView {
            name: "members.png".into(),
            alt: format!(
                "{title}: {}",
                names.iter().zip(&scores).map(|(n, s)| format!("{n} {s:.1}")).collect::<Vec<_>>().join(", ")
            ),
            png: chart::bars(
                &title,
                &(1..=names.len()).map(|i| format!("#{i}")).collect::<Vec<_>>(),
                &scores,
                Some((100.0, target.as_str())),
                axis_score,
            )?,
            title,
            headers: vec!["#".into(), self.t("person")?, self.t("total")?],
            rows: names
                .iter()
                .zip(&scores)
                .enumerate()
                .map(|(i, (n, s))| vec![format!("#{}", i + 1), n.clone(), format!("{s:.1}")])
                .collect(),
        };
        Ok(Team {
            meta: self.meta(
                "team_title",
                &team_name,
                self.restatement(
                    |grain, entity| grain == "team" && entity == team_id,
                    |person| self.data.people.iter().any(|p| p.person_id == person && p.team_id == team_id),
                ),
            )?,
            team_id: team_id.to_string(),
            team: team_name,
            indicators: self.indicator_lines("team", team_id),
            lead_quality: cost::lead_quality(
                self.data,
                &self.fmt,
                &self.cost_labels()?,
                Some(team_id),
                self.lead_volume(),
            ),
            members,
            chart,
            flags: self.flag_lines(|_, team| team == team_id),
        })
    }

    /// A person's own scorecard: their lines, history and flags, nobody else's.
    pub fn personal(&self, person_id: &str) -> Result<Personal, ReportError> {
        let lines = self.lines_of(person_id);
        let person = self.data.people.iter().find(|p| p.person_id == person_id);
        let name = person.map(|p| p.name.clone()).unwrap_or_else(|| person_id.to_string());
        let member = self.member(&lines)?;
        let f = &self.fmt;
        let bonus_how = match lines.first() {
            Some(l) if l.bonus.is_some() => self
                .t("bonus_formula")?
                .replace("{base}", &l.base_bonus.as_deref().map(|b| f.money_text(b)).unwrap_or_else(|| f.na()))
                .replace("{payout}", &l.payout_share.map(|p| percent(p, 1)).unwrap_or_else(|| f.na()))
                .replace("{excess}", &if l.excess_reward { self.t("bonus_excess")? } else { String::new() })
                .replace("{bonus}", &l.bonus.as_deref().map(|b| f.money_text(b)).unwrap_or_default()),
            _ => self.t("bonus_none")?,
        };
        let kind = self.data.period.kind();
        let mut history: Vec<_> = self
            .data
            .history
            .iter()
            .filter(|h| h.person_id == person_id && h.period.kind() == kind && h.period <= self.data.period)
            .collect();
        history.sort_by_key(|h| h.period);
        let history: Vec<_> = history.into_iter().rev().take(6).rev().collect();
        let target = self.c("target")?;
        let title = self.c("history")?;
        let labels: Vec<String> = history.iter().map(|h| h.period.to_string()).collect();
        let scores: Vec<f64> = history.iter().map(|h| h.total_score.unwrap_or(0.0)).collect();
        let history_chart = ChartView {
            name: "history.png".into(),
            alt: format!(
                "{title}: {}",
                labels.iter().zip(&scores).map(|(p, s)| format!("{p} {s:.1}")).collect::<Vec<_>>().join(", ")
            ),
            png: chart::bars(&title, &labels, &scores, Some((100.0, target.as_str())), axis_score)?,
            title,
            headers: vec![self.t("period")?, self.t("score")?, self.t("rating")?],
            rows: history
                .iter()
                .map(|h| vec![h.period.to_string(), f.number(h.total_score, 1), h.rating.clone().unwrap_or_default()])
                .collect(),
        };
        let scored: Vec<&&LineRow> = lines.iter().filter(|l| l.achievement.is_some()).collect();
        let title = self.c("achievement")?;
        let achievement_chart = ChartView {
            name: "achievement.png".into(),
            alt: format!(
                "{title}: {}",
                scored
                    .iter()
                    .map(|l| format!("{} {}", f.kpi_name(&l.kpi), percent(l.achievement.unwrap_or(0.0), 1)))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            png: chart::bars(
                &title,
                &scored.iter().map(|l| f.kpi_name(&l.kpi)).collect::<Vec<_>>(),
                &scored.iter().map(|l| l.achievement.unwrap_or(0.0)).collect::<Vec<_>>(),
                Some((1.0, target.as_str())),
                axis_percent,
            )?,
            title,
            headers: vec![self.t("indicator")?, self.t("achievement")?],
            rows: scored.iter().map(|l| vec![f.kpi_name(&l.kpi), percent(l.achievement.unwrap_or(0.0), 1)]).collect(),
        };
        let flags = self
            .data
            .flags
            .iter()
            .filter(|fl| fl.person_id == person_id)
            .map(|fl| FlagLine {
                person: name.clone(),
                team: String::new(),
                flag: fl.flag.clone(),
                explanation: explain::flag(&self.fmt, &fl.flag, fl.detail.as_ref(), &fl.explanation),
            })
            .collect();
        Ok(Personal {
            meta: self.meta(
                "person_title",
                &name,
                self.restatement(|grain, entity| grain == "person" && entity == person_id, |p| p == person_id),
            )?,
            person_id: person_id.to_string(),
            team: person.map(|p| p.team_name.clone()).unwrap_or_default(),
            name,
            member,
            bonus_how,
            history: history
                .iter()
                .map(|h| (h.period.to_string(), f.number(h.total_score, 1), h.rating.clone().unwrap_or_default()))
                .collect(),
            charts: vec![achievement_chart, history_chart],
            flags,
        })
    }

    pub fn audit(&self) -> Result<Audit, ReportError> {
        let company = self.config.company.id.as_str();
        let cards = catalog::cards().unwrap_or_default();
        let indicators = cards
            .iter()
            .filter_map(|card| {
                let row = self
                    .data
                    .indicators
                    .iter()
                    .find(|r| r.grain == "company" && r.entity_id == company && r.kpi == card.id)?;
                Some(self.indicator_line(card, row))
            })
            .collect();
        let (proof_path, proof_sha256) = self.data.proof.clone().unwrap_or_default();
        Ok(Audit {
            meta: self.meta("audit_title", "", self.restatement(|_, _| true, |_| true))?,
            datasets: self.dataset_lines(),
            rules: self.rule_lines()?,
            indicators,
            proof_path,
            proof_sha256,
            verify_command: format!("kpi-close verify --period {}", self.data.period),
        })
    }
}

/// Whether `value` meets `target` in the indicator's direction (reaching it exactly meets it).
fn met(card: &Card, value: f64, target: f64) -> bool {
    if card.direction == "lower" { value <= target } else { value >= target }
}

impl ReportData {
    pub fn targets_for(&self, period: Period, entity: &str, kpi: &str) -> Option<f64> {
        self.targets.iter().find(|t| t.0 == period && t.1 == entity && t.2 == kpi).map(|t| t.3)
    }
}
