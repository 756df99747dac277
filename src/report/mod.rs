//! Stage `render`: the four reports of SPEC §7 as documents ready to archive and to mail.
//!
//! In: the period's stored `indicators`, `scorecards` and `flags`, the monthly indicators of the 13
//! months a trend shows (computed and stored here when a month was never closed), the org and targets
//! datasets, the audit ledger and the proof bundle (`data`). Out: one [`Document`] per report,
//! audience and language — HTML for mail (charts as `cid:` images), the same HTML for the archive
//! (charts as files), plain text, PNG charts and a CSV of the audience's figures — and the archive
//! under `reports/period=<P>/<locale>/` in the lake.
//!
//! Templates are `report_templates/*.html|txt` (minijinja, autoescaped HTML, undefined variables are
//! errors); each gets one view model from `model`. A period that was not closed renders as DRAFT.
//!
//! Fails when: the period has no scorecards yet (run `score` first), a template or label is missing,
//! the lake cannot be read.

pub mod chart;
pub mod data;
pub mod forecast;
pub mod i18n;
pub mod model;

use std::collections::BTreeSet;

use datafusion::error::DataFusionError;
use minijinja::{Environment, UndefinedBehavior};
use serde::Serialize;

use crate::config::{Config, Locale};
use crate::kpis::{self, KpiError};
use crate::lake::{Lake, LakeError};
use crate::period::Period;
use crate::sql::SqlError;
use data::ReportData;
use i18n::{I18nError, Labels};
use model::Builder;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Kpis(#[from] KpiError),
    #[error(transparent)]
    Lake(#[from] LakeError),
    #[error(transparent)]
    Sql(#[from] SqlError),
    #[error("the render stage cannot read its inputs: {0}")]
    Engine(#[source] DataFusionError),
    #[error("no {table} stored in the lake yet: run `kpi-close kpis --period P` (or `close`) first")]
    NothingStored { table: String },
    #[error("period {period} has no scorecards: run `kpi-close score --period {period}` (or `close`) first")]
    NotScored { period: Period },
    #[error(transparent)]
    Labels(#[from] I18nError),
    #[error(transparent)]
    Chart(#[from] chart::ChartError),
    #[error("report template {name}: {source}")]
    Template {
        name: String,
        #[source]
        source: minijinja::Error,
    },
    #[error("cannot write the CSV attachment: {0}")]
    Csv(String),
}

/// Which report, for whom.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Audience {
    Leadership,
    Team(String),
    Person(String),
    Audit,
}

impl Audience {
    /// `leadership`, `team-T01`, `person-P001`, `audit`: file names and the send ledger use it.
    pub fn id(&self) -> String {
        match self {
            Audience::Leadership => "leadership".into(),
            Audience::Team(t) => format!("team-{t}"),
            Audience::Person(p) => format!("person-{p}"),
            Audience::Audit => "audit".into(),
        }
    }

    fn template(&self) -> &'static str {
        match self {
            Audience::Leadership => "leadership",
            Audience::Team(_) => "team",
            Audience::Person(_) => "person",
            Audience::Audit => "audit",
        }
    }
}

/// A chart image of a document.
#[derive(Debug, Clone)]
pub struct Image {
    pub name: String,
    pub alt: String,
    pub png: Vec<u8>,
}

/// One rendered report for one audience in one language.
#[derive(Debug, Clone)]
pub struct Document {
    pub audience: Audience,
    pub locale: Locale,
    pub period: Period,
    pub draft: bool,
    pub subject: String,
    /// For mail: images referenced as `cid:<name>@kpi-close`.
    pub html: String,
    /// For the archive: images referenced as `<id>/<name>`.
    pub archive_html: String,
    pub text: String,
    pub images: Vec<Image>,
    pub csv_name: String,
    pub csv: String,
}

impl Document {
    pub fn id(&self) -> String {
        self.audience.id()
    }
}

/// The Content-ID of an inline chart.
pub fn content_id(image: &str) -> String {
    format!("{image}@kpi-close")
}

const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../report_templates/base.html")),
    ("macros.html", include_str!("../../report_templates/macros.html")),
    ("leadership.html", include_str!("../../report_templates/leadership.html")),
    ("team.html", include_str!("../../report_templates/team.html")),
    ("person.html", include_str!("../../report_templates/person.html")),
    ("audit.html", include_str!("../../report_templates/audit.html")),
    ("header.txt", include_str!("../../report_templates/header.txt")),
    ("footer.txt", include_str!("../../report_templates/footer.txt")),
    ("leadership.txt", include_str!("../../report_templates/leadership.txt")),
    ("team.txt", include_str!("../../report_templates/team.txt")),
    ("person.txt", include_str!("../../report_templates/person.txt")),
    ("audit.txt", include_str!("../../report_templates/audit.txt")),
];

/// The template environment: HTML autoescaped (by the `.html` name), undefined variables are errors.
pub fn environment() -> Result<Environment<'static>, ReportError> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_trim_blocks(true);
    for (name, source) in TEMPLATES {
        env.add_template(name, source).map_err(|source| ReportError::Template { name: (*name).to_string(), source })?;
    }
    Ok(env)
}

/// Every audience a period has: leadership, auditors, each team with scorecards, each person scored.
pub fn audiences(data: &ReportData) -> Vec<Audience> {
    let teams: BTreeSet<&str> = data.lines.iter().map(|l| l.team_id.as_str()).collect();
    let people: BTreeSet<&str> = data.lines.iter().map(|l| l.person_id.as_str()).collect();
    let mut out = vec![Audience::Leadership, Audience::Audit];
    out.extend(teams.into_iter().map(|t| Audience::Team(t.to_string())));
    out.extend(people.into_iter().map(|p| Audience::Person(p.to_string())));
    out
}

/// Renders the documents asked for.
pub fn documents(
    config: &Config,
    data: &ReportData,
    wanted: &[(Audience, Locale)],
) -> Result<Vec<Document>, ReportError> {
    let env = environment()?;
    let mut out = Vec::new();
    for locale in Locale::ALL {
        let of_locale: Vec<&Audience> = wanted.iter().filter(|(_, l)| *l == locale).map(|(a, _)| a).collect();
        if of_locale.is_empty() {
            continue;
        }
        let labels = Labels::load(locale)?;
        let builder = Builder::new(config, data, locale, &labels);
        for audience in of_locale {
            out.push(document(&env, &builder, audience, data.period)?);
        }
    }
    Ok(out)
}

fn document(
    env: &Environment<'static>,
    builder: &Builder<'_>,
    audience: &Audience,
    period: Period,
) -> Result<Document, ReportError> {
    let (model, meta, charts, csv) = match audience {
        Audience::Leadership => {
            let m = builder.leadership()?;
            let mut charts = m.charts.clone();
            charts.extend([m.ratings.clone(), m.audit_chart.clone()]);
            let csv = csv_of(
                &[
                    "kpi",
                    "indicator",
                    "actual",
                    "target",
                    "vs_target",
                    "vs_previous",
                    "vs_year_ago",
                    "gross",
                    "excluded",
                ],
                m.indicators.iter().map(|l| {
                    vec![
                        l.kpi.clone(),
                        l.name.clone(),
                        l.value.clone(),
                        l.target.clone(),
                        l.vs_target.clone(),
                        l.vs_previous.clone(),
                        l.vs_year_ago.clone(),
                        l.gross.clone(),
                        l.excluded.clone(),
                    ]
                }),
            )?;
            (minijinja::Value::from_serialize(&m), m.meta, charts, csv)
        }
        Audience::Team(team) => {
            let m = builder.team(team)?;
            let csv = scorecard_csv(m.members.iter())?;
            (minijinja::Value::from_serialize(&m), m.meta.clone(), vec![m.chart.clone()], csv)
        }
        Audience::Person(person) => {
            let m = builder.personal(person)?;
            let csv = scorecard_csv(std::iter::once(&m.member))?;
            (minijinja::Value::from_serialize(&m), m.meta.clone(), m.charts.clone(), csv)
        }
        Audience::Audit => {
            let m = builder.audit()?;
            let csv = csv_of(
                &["rule_id", "dataset", "rule_version", "rows_flagged"],
                m.rules.iter().map(|r| vec![r.rule.clone(), r.dataset.clone(), r.version.clone(), r.flagged.clone()]),
            )?;
            (minijinja::Value::from_serialize(&m), m.meta.clone(), Vec::new(), csv)
        }
    };
    let id = audience.id();
    let render = |name: String, prefix: &str, suffix: &str| -> Result<String, ReportError> {
        let template =
            env.get_template(&name).map_err(|source| ReportError::Template { name: name.clone(), source })?;
        let ctx = minijinja::context! { image_prefix => prefix, image_suffix => suffix, ..model.clone() };
        template.render(ctx).map_err(|source| ReportError::Template { name, source })
    };
    let stem = audience.template();
    let html = render(format!("{stem}.html"), "cid:", "@kpi-close")?;
    let archive_html = render(format!("{stem}.html"), &format!("{id}/"), "")?;
    let text = render(format!("{stem}.txt"), "", "")?;
    let restated = match meta.revision {
        1 => String::new(),
        r => builder.fmt.labels.text(builder.fmt.locale, "restated_subject")?.replace("{r}", &r.to_string()),
    };
    let subject = format!(
        "{}{restated}{} · {} · {}",
        if meta.draft { "[DRAFT] " } else { "" },
        meta.company,
        meta.title,
        meta.period
    );
    Ok(Document {
        audience: audience.clone(),
        locale: builder.fmt.locale,
        period,
        draft: meta.draft,
        subject,
        html,
        archive_html,
        text,
        images: charts.into_iter().map(|c| Image { name: c.name, alt: c.alt, png: c.png }).collect(),
        csv_name: format!("{id}-{period}.csv"),
        csv,
    })
}

fn scorecard_csv<'a>(members: impl Iterator<Item = &'a model::Member>) -> Result<String, ReportError> {
    let mut rows = Vec::new();
    for m in members {
        for l in &m.lines {
            rows.push(vec![
                m.name.clone(),
                l.name.clone(),
                l.target.clone(),
                l.actual.clone(),
                l.achievement.clone(),
                l.weight.clone(),
                l.points.clone(),
                m.total.clone(),
                m.rating.clone(),
                m.bonus.clone(),
            ]);
        }
    }
    csv_of(
        &[
            "person",
            "indicator",
            "target",
            "actual",
            "achievement",
            "weight",
            "points",
            "total_score",
            "rating",
            "bonus",
        ],
        rows.into_iter(),
    )
}

/// A CSV with a UTF-8 byte-order mark, so spreadsheet programs read Chinese correctly.
fn csv_of<R: Serialize>(headers: &[&str], rows: impl Iterator<Item = R>) -> Result<String, ReportError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(headers).map_err(|e| ReportError::Csv(e.to_string()))?;
    for row in rows {
        w.serialize(row).map_err(|e| ReportError::Csv(e.to_string()))?;
    }
    let bytes = w.into_inner().map_err(|e| ReportError::Csv(e.to_string()))?;
    Ok(format!("\u{feff}{}", String::from_utf8_lossy(&bytes)))
}

/// The lake folder of a period's archive.
pub fn archive_folder(period: Period) -> String {
    format!("reports/period={period}")
}

/// Computes and stores the monthly indicators a trend needs but the lake lacks (months never closed),
/// from the first month with data on.
pub async fn ensure_trend(config: &Config, lake: &Lake, period: Period) -> Result<Vec<Period>, ReportError> {
    let manifest = crate::ingest::Manifest::load(lake).await?;
    let first: Option<Period> =
        manifest.datasets.values().flat_map(|d| d.months.iter()).filter_map(|m| m.parse().ok()).min();
    let mut computed = Vec::new();
    for month in data::trend_months(period) {
        if first.is_none_or(|f| month < f) || lake.exists(&kpis::lake_path(month)).await? {
            continue;
        }
        let indicators = kpis::compute(config, lake, month, 1).await?;
        kpis::write(lake, &indicators).await?;
        computed.push(month);
    }
    Ok(computed)
}

/// The languages a period is rendered in: the company's and every recipient's.
pub fn locales(config: &Config) -> Vec<Locale> {
    let d = &config.delivery;
    let mut set: BTreeSet<Locale> = BTreeSet::from([config.company.locale]);
    set.extend(d.locales.values().copied());
    set.extend(d.leadership.iter().chain(&d.auditors).filter_map(|r| r.locale));
    set.into_iter().collect()
}

/// What `render` did.
#[derive(Debug)]
pub struct Rendered {
    pub period: Period,
    pub documents: Vec<Document>,
    /// Months whose indicators were computed for the trends.
    pub computed_months: Vec<Period>,
    /// Lake objects written.
    pub objects: Vec<String>,
}

/// Renders every report of the period in every language in use and writes the archive.
#[tracing::instrument(name = "render", skip_all, fields(period = %period))]
pub async fn render(config: &Config, lake: &Lake, period: Period) -> Result<Rendered, ReportError> {
    let computed_months = ensure_trend(config, lake, period).await?;
    let data = ReportData::read(config, lake, period).await?;
    if data.lines.is_empty() {
        return Err(ReportError::NotScored { period });
    }
    let wanted: Vec<(Audience, Locale)> =
        locales(config).into_iter().flat_map(|l| audiences(&data).into_iter().map(move |a| (a, l))).collect();
    let documents = documents(config, &data, &wanted)?;
    let objects = write_archive(lake, &documents).await?;
    Ok(Rendered { period, documents, computed_months, objects })
}

/// Writes each document's HTML, text, CSV and charts under `reports/period=<P>/<locale>/`.
pub async fn write_archive(lake: &Lake, documents: &[Document]) -> Result<Vec<String>, ReportError> {
    let mut written = Vec::new();
    for doc in documents {
        let folder = format!("{}/{}", archive_folder(doc.period), doc.locale.tag());
        let id = doc.id();
        let mut objects: Vec<(String, Vec<u8>)> = vec![
            (format!("{folder}/{id}.html"), doc.archive_html.clone().into_bytes()),
            (format!("{folder}/{id}.txt"), doc.text.clone().into_bytes()),
            (format!("{folder}/{id}.csv"), doc.csv.clone().into_bytes()),
        ];
        objects.extend(doc.images.iter().map(|i| (format!("{folder}/{id}/{}", i.name), i.png.clone())));
        for (path, bytes) in objects {
            lake.put(&path, bytes).await?;
            written.push(path);
        }
    }
    Ok(written)
}
