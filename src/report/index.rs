//! `reports/index.html`: the archive's table of contents, rewritten after every render. Every
//! period the archive holds, newest first, with its revision and each language's reports, and every
//! replaced revision kept under `restatements/` — relative links, so the file opens straight from
//! the lake folder in a browser. Worded in the company's language.

use std::collections::BTreeMap;

use minijinja::Environment;
use serde::Serialize;

use super::ReportError;
use super::i18n::Labels;
use crate::config::Config;
use crate::lake::records::PeriodClose;
use crate::lake::{Lake, layout};
use crate::period::Period;

/// Locale → the ids of the reports archived in it.
type Locales = BTreeMap<String, Vec<String>>;

#[derive(Debug, Serialize)]
struct IndexPeriod {
    period: String,
    /// The current revision ("1", "2"), or the DRAFT mark for a period not closed.
    revision: String,
    /// Locale → the current revision's reports.
    current: Vec<IndexLocale>,
    /// Replaced revisions, newest first, with their kept reports.
    kept: Vec<(i64, Vec<IndexLocale>)>,
}

#[derive(Debug, Serialize)]
struct IndexLocale {
    locale: String,
    reports: Vec<IndexLink>,
}

#[derive(Debug, Serialize)]
struct IndexLink {
    name: String,
    href: String,
}

/// Writes `reports/index.html` from what the lake's archive holds; returns its path.
pub async fn write(config: &Config, lake: &Lake, env: &Environment<'static>) -> Result<String, ReportError> {
    let locale = config.company.locale;
    let labels = Labels::load(locale)?;
    let mut found = lake.list("reports").await?;
    found.extend(lake.list("restatements").await?);
    // period → revision (None: the current one) → locale → report ids
    let mut tree: BTreeMap<String, BTreeMap<Option<i64>, Locales>> = BTreeMap::new();
    for report in found.iter().filter_map(|p| layout::archived_report(p)) {
        tree.entry(report.period)
            .or_default()
            .entry(report.revision)
            .or_default()
            .entry(report.locale)
            .or_default()
            .push(report.report);
    }
    let name = |id: &str| -> Result<String, ReportError> {
        let (key, subject) = match id.split_once('-') {
            Some(("team", t)) => ("team_title", t),
            Some(("person", p)) => ("person_title", p),
            _ => (if id == "audit" { "audit_title" } else { "leadership_title" }, ""),
        };
        let title = labels.text(locale, key)?;
        Ok(if subject.is_empty() { title.to_string() } else { format!("{title} {subject}") })
    };
    let links = |revision: Option<i64>, period: &str, locales: &Locales| {
        locales
            .iter()
            .map(|(locale, reports)| {
                let mut reports = reports.clone();
                // Leadership, audit, the teams, then the people, each in id order.
                let rank = |r: &str| match r {
                    "leadership" => 0,
                    "audit" => 1,
                    _ if r.starts_with("team-") => 2,
                    _ => 3,
                };
                reports.sort_by_key(|r| (rank(r), r.clone()));
                Ok(IndexLocale {
                    locale: locale.clone(),
                    reports: reports
                        .iter()
                        .map(|r| {
                            let file = match revision {
                                None => layout::report_file(period, locale, r, "html"),
                                Some(rev) => format!("{}/{locale}/{r}.html", layout::restated_reports(period, rev)),
                            };
                            // Relative to reports/index.html.
                            let href =
                                file.strip_prefix("reports/").map(str::to_string).unwrap_or(format!("../{file}"));
                            Ok(IndexLink { name: name(r)?, href })
                        })
                        .collect::<Result<_, ReportError>>()?,
                })
            })
            .collect::<Result<Vec<_>, ReportError>>()
    };
    let mut periods = Vec::new();
    for (period, revisions) in tree.iter().rev() {
        let state = match period.parse::<Period>() {
            Ok(p) => PeriodClose::load(lake, p).await?,
            Err(_) => None,
        };
        let revision = match &state {
            Some(s) => s.revision.to_string(),
            None => "DRAFT".to_string(),
        };
        let current = match revisions.get(&None) {
            Some(locales) => links(None, period, locales)?,
            None => Vec::new(),
        };
        let kept = revisions
            .iter()
            .rev()
            .filter_map(|(rev, locales)| rev.map(|r| (r, locales)))
            .map(|(r, locales)| Ok((r, links(Some(r), period, locales)?)))
            .collect::<Result<_, ReportError>>()?;
        periods.push(IndexPeriod { period: period.clone(), revision, current, kept });
    }
    let template =
        env.get_template("index.html").map_err(|source| ReportError::Template { name: "index.html".into(), source })?;
    let html = template
        .render(minijinja::context! {
            locale => locale.tag(),
            company => config.company.name.clone(),
            t => labels.text.clone(),
            periods => periods,
        })
        .map_err(|source| ReportError::Template { name: "index.html".into(), source })?;
    lake.put(layout::REPORT_INDEX, html.into_bytes()).await?;
    Ok(layout::REPORT_INDEX.to_string())
}
