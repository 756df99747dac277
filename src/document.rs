//! A rendered report for one audience in one language — what `report` renders and archives and
//! `deliver` mails — and the people a document can go to.

use crate::config::Locale;
use crate::period::Period;

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
    /// The sender's display name in the document's language (the address is `delivery.from`'s).
    pub sender: String,
    /// For mail: images referenced as `cid:<name>@kpi-close`.
    pub html: String,
    /// For the archive: images referenced as `<id>/<name>`.
    pub archive_html: String,
    pub text: String,
    pub images: Vec<Image>,
    pub csv_name: String,
    pub csv: String,
    /// The same figures as a workbook, a sheet per table (`report::attachment`).
    pub xlsx_name: String,
    pub xlsx: Vec<u8>,
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

/// A person of the org as the reports and the mail see them.
#[derive(Debug, Clone)]
pub struct Contact {
    pub person_id: String,
    pub name: String,
    pub team_id: String,
    pub team_name: String,
    pub email: Option<String>,
    /// Manages their team (`teams.manager_id`): receives the team report.
    pub is_manager: bool,
}
