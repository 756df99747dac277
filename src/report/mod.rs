//! Stage `render`: the four reports (README, "Reports and delivery") as documents ready to archive
//! and to mail.
//!
//! In: the period's stored `indicators`, `scorecards` and `flags`, the stored monthly indicators of
//! the 13 months a trend shows (the close computes those of months never closed first), the org and
//! targets datasets, the audit ledger and the proof bundle (`data`). Out: one [`Document`] per report,
//! audience and language — HTML for mail (charts as `cid:` images), the same HTML for the archive
//! (charts as files), plain text, PNG charts and a CSV of the audience's figures — and the archive
//! under `reports/period=<P>/<locale>/` in the lake.
//!
//! Templates are `report_templates/*.html|txt` (minijinja, autoescaped HTML, undefined variables are
//! errors); each gets one view model from `model`. A period that was not closed renders as DRAFT.
//!
//! Fails when: the period has no scorecards yet (run `score` first), a template or label is missing,
//! the lake cannot be read.

pub mod attachment;
pub mod chart;
pub mod cost;
pub mod data;
pub mod drivers;
pub mod explain;
pub mod forecast;
pub mod format;
pub mod i18n;
pub mod index;
pub mod model;

use std::collections::BTreeSet;

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::error::DataFusionError;
use minijinja::{Environment, UndefinedBehavior};

use crate::config::{Config, Locale};
pub use crate::document::{Audience, Document, Image};
use crate::engine::{self, AsOf, EngineError, Lookups, Scope};
use crate::exit::ExitCode;
use crate::lake::{Lake, LakeError, layout, tables};
use crate::period::Period;
use crate::sql::{self, SqlError};
use data::ReportData;
use i18n::{I18nError, Labels};
use model::Builder;

#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error(transparent)]
    Session(#[from] EngineError),
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
    #[error("cannot write the XLSX attachment: {0}")]
    Xlsx(String),
}

impl ReportError {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            ReportError::NotScored { .. } => ExitCode::Usage,
            _ => ExitCode::Runtime,
        }
    }
}

/// The template a report of this audience is rendered from.
fn template(audience: &Audience) -> &'static str {
    match audience {
        Audience::Leadership => "leadership",
        Audience::Team(_) => "team",
        Audience::Person(_) => "person",
        Audience::Audit => "audit",
    }
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
    ("index.html", include_str!("../../report_templates/index.html")),
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
    let (model, meta, charts, tables) = match audience {
        Audience::Leadership => {
            let m = builder.leadership()?;
            let mut charts = m.charts.clone();
            charts.extend([m.ratings.clone(), m.audit_chart.clone()]);
            let tables = attachment::leadership(builder, &m.meta, &m)?;
            (minijinja::Value::from_serialize(&m), m.meta, charts, tables)
        }
        Audience::Team(team) => {
            let m = builder.team(team)?;
            let tables = attachment::scorecards(builder, &m.meta, m.members.iter())?;
            (minijinja::Value::from_serialize(&m), m.meta.clone(), vec![m.chart.clone()], tables)
        }
        Audience::Person(person) => {
            let m = builder.personal(person)?;
            let tables = attachment::scorecards(builder, &m.meta, std::iter::once(&m.member))?;
            (minijinja::Value::from_serialize(&m), m.meta.clone(), m.charts.clone(), tables)
        }
        Audience::Audit => {
            let m = builder.audit()?;
            let tables = attachment::audit(builder, &m.meta)?;
            (minijinja::Value::from_serialize(&m), m.meta.clone(), Vec::new(), tables)
        }
    };
    let id = audience.id();
    let render = |name: String, prefix: &str, suffix: &str| -> Result<String, ReportError> {
        let template =
            env.get_template(&name).map_err(|source| ReportError::Template { name: name.clone(), source })?;
        let ctx = minijinja::context! { image_prefix => prefix, image_suffix => suffix, ..model.clone() };
        template.render(ctx).map_err(|source| ReportError::Template { name, source })
    };
    let stem = template(audience);
    let html = render(format!("{stem}.html"), "cid:", "@kpi-close")?;
    let archive_html = render(format!("{stem}.html"), &format!("{id}/"), "")?;
    let text = render(format!("{stem}.txt"), "", "")?;
    let restated = match meta.revision {
        1 => String::new(),
        r => builder.fmt.labels.text(builder.fmt.locale, "restated_subject")?.replace("{r}", &r.to_string()),
    };
    // Period and report first: a phone shows the first 30 or so characters of a subject.
    let subject = format!(
        "{}{restated}{} · {} · {}",
        if meta.draft { "[DRAFT] " } else { "" },
        meta.period,
        meta.title,
        meta.company
    );
    Ok(Document {
        audience: audience.clone(),
        locale: builder.fmt.locale,
        period,
        draft: meta.draft,
        subject,
        sender: builder.fmt.labels.text(builder.fmt.locale, "sender_name")?.to_string(),
        html,
        archive_html,
        text,
        images: charts.into_iter().map(|c| Image { name: c.name, alt: c.alt, png: c.png }).collect(),
        csv_name: format!("{id}-{period}.csv"),
        csv: attachment::csv(&tables[0])?,
        xlsx_name: format!("{id}-{period}.xlsx"),
        xlsx: attachment::xlsx(&tables, period)?,
    })
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
    /// What the documents were rendered from (their audiences, the org, why they are DRAFT).
    pub data: ReportData,
    pub documents: Vec<Document>,
    /// Lake objects written.
    pub objects: Vec<String>,
}

/// Renders every report of the period in every language in use and writes the archive.
#[tracing::instrument(name = "render", skip_all, fields(period = %period))]
pub async fn render(config: &Config, lake: &Lake, period: Period) -> Result<Rendered, ReportError> {
    let data = ReportData::read(config, lake, period).await?;
    if data.lines.is_empty() {
        return Err(ReportError::NotScored { period });
    }
    let wanted: Vec<(Audience, Locale)> =
        locales(config).into_iter().flat_map(|l| audiences(&data).into_iter().map(move |a| (a, l))).collect();
    let documents = documents(config, &data, &wanted)?;
    let mut objects = write_archive(lake, &documents).await?;
    objects.push(index::write(config, lake, &environment()?).await?);
    Ok(Rendered { period, data, documents, objects })
}

/// Writes each document's HTML, text, CSV and charts under `reports/period=<P>/<locale>/`.
pub async fn write_archive(lake: &Lake, documents: &[Document]) -> Result<Vec<String>, ReportError> {
    let mut written = Vec::new();
    for doc in documents {
        let (period, locale, id) = (doc.period, doc.locale.tag(), doc.id());
        let file = |extension| layout::report_file(period, locale, &id, extension);
        let mut objects: Vec<(String, Vec<u8>)> = vec![
            (file("html"), doc.archive_html.clone().into_bytes()),
            (file("txt"), doc.text.clone().into_bytes()),
            (file("csv"), doc.csv.clone().into_bytes()),
            (file("xlsx"), doc.xlsx.clone()),
        ];
        objects.extend(doc.images.iter().map(|i| (layout::report_chart(period, locale, &id, &i.name), i.png.clone())));
        for (path, bytes) in objects {
            lake.put(&path, bytes).await?;
            written.push(path);
        }
    }
    Ok(written)
}

/// Plans every report SQL file over empty output tables (`validate`); `indicators` is the schema of
/// the `indicators` table. One message per file that does not plan.
pub async fn check_sql(config: &Config, lake: &Lake, indicators: SchemaRef) -> Result<Vec<String>, ReportError> {
    let ctx = engine::session(config, lake, Scope::Net, Lookups::Views, AsOf::NOW).await?;
    let empty = |name: &str, schema: SchemaRef| -> Result<(), ReportError> {
        let table = datafusion::datasource::MemTable::try_new(schema, vec![vec![]]).map_err(ReportError::Engine)?;
        ctx.deregister_table(name).map_err(ReportError::Engine)?;
        ctx.register_table(name, std::sync::Arc::new(table)).map_err(ReportError::Engine)?;
        Ok(())
    };
    empty("indicators", indicators.clone())?;
    empty("reported_indicators", indicators)?;
    empty("scorecards", tables::scorecards())?;
    empty("reported_scorecards", tables::scorecards())?;
    empty("flags", tables::flags())?;
    let month = Period::Month { year: 2026, month: 1 };
    let mut params = data::params(month);
    params.extend(&engine::params(config, month));
    let mut problems = Vec::new();
    for file in sql::REPORT {
        if let Err(e) = sql::check_plans(&ctx, file, &params).await {
            problems.push(e.to_string());
        }
    }
    Ok(problems)
}
