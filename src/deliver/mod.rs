//! Stage `send`: mails each rendered report to exactly its audience (README, "Reports and
//! delivery").
//!
//! In: the period's rendered documents, the org (managers' and people's e-mail), `[delivery]`.
//! Out: one message per recipient — `multipart/mixed` [ `multipart/alternative` [ text,
//! `multipart/related` [ HTML, PNG charts by Content-ID ] ], CSV of the recipient's figures ] —
//! handed to the outbox (`.eml` files, the default) or SMTP, and the send ledger in the lake:
//! `deliveries/period=<P>/rev=<R>/<report>/<recipient>.json`, written `sending` before and `sent` or
//! `failed` after each message.
//!
//! A re-run sends nothing already `sent`; retries what `failed`; never re-sends a message whose
//! outcome is unknown (`sending`: the process died mid-send) unless `--resend` says so — over SMTP
//! the server may already have it, and nothing is ever mailed twice by accident. A DRAFT (a period
//! not closed, or one whose gates failed) is mailed to nobody.
//!
//! Each message goes to one address; a recipient's document is built from their own rows only
//! (the render stage's view models), so nobody receives another team's or person's figures.

pub mod transport;

use std::collections::BTreeSet;

use lettre::Message;
use lettre::message::header::{ContentType, Header, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use sha2::Digest;

use crate::config::{Config, Locale};
use crate::document::{self, Audience, Contact, Document};
use crate::exit::ExitCode;
use crate::lake::records::{self, SendEntry as Entry};
use crate::lake::{Lake, LakeError, layout};
use crate::period::Period;
use transport::{SendError, Sender};

#[derive(Debug, thiserror::Error)]
pub enum DeliverError {
    #[error(transparent)]
    Lake(#[from] LakeError),
    #[error("cannot build the message for {recipient}: {message}")]
    Message { recipient: String, message: String },
    #[error(transparent)]
    Transport(#[from] SendError),
    #[error("the reports of {period} are DRAFT and go to nobody: {reasons}. Fix that and run `kpi-close close` for it")]
    Draft { period: Period, reasons: String },
}

impl DeliverError {
    pub fn exit_code(&self) -> ExitCode {
        match self {
            DeliverError::Draft { .. } => ExitCode::DataGate,
            DeliverError::Transport(SendError::Setup(_)) => ExitCode::Usage,
            DeliverError::Lake(_) | DeliverError::Message { .. } | DeliverError::Transport(_) => ExitCode::Runtime,
        }
    }
}

/// One message to send: a document for one recipient.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub audience: Audience,
    pub locale: Locale,
    pub name: String,
    pub email: String,
}

impl Delivery {
    /// The ledger's name for the recipient: a hash of the address (no address in object names).
    pub fn recipient_key(&self) -> String {
        hex::encode(&sha2::Sha256::digest(self.email.trim().to_lowercase().as_bytes())[..8])
    }
}

/// Who receives what: leadership and auditors from config, each team's manager the team report, each
/// opted-in person their own scorecard — of the `audiences` the period has, with `people` from the
/// org. People without an e-mail address are listed in `unreachable`.
pub fn recipients(config: &Config, audiences: &[Audience], people: &[Contact]) -> (Vec<Delivery>, Vec<String>) {
    let d = &config.delivery;
    let locale_of = |key: &str, explicit: Option<Locale>| {
        explicit.or_else(|| d.locales.get(key).copied()).unwrap_or(config.company.locale)
    };
    let mut out = Vec::new();
    let mut unreachable = Vec::new();
    for (audience, list) in [(Audience::Leadership, &d.leadership), (Audience::Audit, &d.auditors)] {
        out.extend(list.iter().map(|r| Delivery {
            audience: audience.clone(),
            locale: locale_of(&r.email, r.locale),
            name: r.name.clone(),
            email: r.email.clone(),
        }));
    }
    for audience in audiences {
        let person = match audience {
            Audience::Team(team) => people.iter().find(|p| p.team_id == *team && p.is_manager),
            Audience::Person(id) if d.personal(id) => people.iter().find(|p| p.person_id == *id),
            _ => continue,
        };
        match person {
            Some(p) if p.email.as_deref().is_some_and(|e| e.parse::<lettre::Address>().is_ok()) => out.push(Delivery {
                audience: audience.clone(),
                locale: locale_of(&p.person_id, None),
                name: p.name.clone(),
                email: p.email.clone().unwrap_or_default(),
            }),
            Some(p) => unreachable.push(format!("{} ({}): no valid e-mail in `people`", audience.id(), p.person_id)),
            None => unreachable.push(format!("{}: no manager in `teams`", audience.id())),
        }
    }
    (out, unreachable)
}

/// The period's ledger entries, every revision.
pub async fn ledger(lake: &Lake, period: Period) -> Result<Vec<Entry>, DeliverError> {
    Ok(Entry::of_period(lake, period).await?)
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Options {
    /// Send again what the ledger says was sent (or may have been).
    pub resend: bool,
    /// Build every message, send none, write nothing.
    pub dry_run: bool,
}

/// What `send` did, per message.
#[derive(Debug, Default)]
pub struct Outcome {
    pub sent: Vec<Entry>,
    /// Already sent before (ledger), not sent again.
    pub skipped: Vec<Entry>,
    pub failed: Vec<Entry>,
    /// A previous run died while sending these: not re-sent without `--resend`.
    pub uncertain: Vec<Entry>,
    /// Dry run: what would be sent.
    pub planned: Vec<Delivery>,
    pub unreachable: Vec<String>,
}

/// What one period's mail is: its revision, why it is DRAFT (empty: final), and who gets what.
#[derive(Debug, Clone)]
pub struct Mailing {
    pub period: Period,
    pub revision: i64,
    pub draft_reasons: Vec<String>,
    pub deliveries: Vec<Delivery>,
    pub unreachable: Vec<String>,
}

impl Mailing {
    /// The (report, language) pairs the recipients need rendered.
    pub fn wanted(&self) -> Vec<(Audience, Locale)> {
        let wanted: BTreeSet<(Audience, Locale)> =
            self.deliveries.iter().map(|d| (d.audience.clone(), d.locale)).collect();
        wanted.into_iter().collect()
    }
}

/// Sends the period's documents to their recipients; a DRAFT goes to nobody. `documents` holds at
/// least every (report, language) the mailing `wanted` (none is needed for a dry run).
#[tracing::instrument(name = "send", skip_all, fields(period = %mailing.period))]
pub async fn send(
    config: &Config,
    lake: &Lake,
    mailing: Mailing,
    documents: &[Document],
    options: Options,
) -> Result<Outcome, DeliverError> {
    let Mailing { period, revision, draft_reasons, deliveries, unreachable } = mailing;
    if !draft_reasons.is_empty() {
        return Err(DeliverError::Draft { period, reasons: draft_reasons.join("; ") });
    }
    let mut outcome = Outcome { unreachable, ..Outcome::default() };
    if options.dry_run {
        outcome.planned = deliveries;
        return Ok(outcome);
    }
    let sender = Sender::new(config)?;
    let from: Mailbox = config
        .delivery
        .from
        .parse()
        .map_err(|e| DeliverError::Message { recipient: config.delivery.from.clone(), message: format!("{e}") })?;
    let mut first = true;
    let bar = crate::progress::bar(deliveries.len(), &format!("mail {period}"));
    for delivery in &deliveries {
        bar.inc(1);
        let Some(doc) = documents.iter().find(|d| d.audience == delivery.audience && d.locale == delivery.locale)
        else {
            continue;
        };
        let path = layout::delivery(period, revision, &doc.id(), &delivery.recipient_key());
        let previous: Option<Entry> = records::read(lake, &path).await?;
        let message_id = message_id(&from, period, revision, &doc.id(), &delivery.recipient_key());
        // `delivery.from`'s name speaks the company's language; other readers get theirs.
        let from = match &from.name {
            Some(_) if doc.locale == config.company.locale => from.clone(),
            _ => Mailbox::new(Some(doc.sender.clone()), from.email.clone()),
        };
        let mut entry = Entry {
            period: period.to_string(),
            revision,
            report: doc.id(),
            locale: delivery.locale.tag().to_string(),
            recipient: delivery.email.clone(),
            message_id: message_id.clone(),
            status: "sending".into(),
            transport: sender.name().into(),
            attempts: previous.as_ref().map(|p| p.attempts).unwrap_or(0),
            error: None,
        };
        match previous.as_ref().map(|p| p.status.as_str()) {
            Some("sent") if !options.resend => {
                outcome.skipped.push(previous.unwrap_or(entry));
                continue;
            }
            Some("sending") if !options.resend && sender.delivered(&message_id) => {
                entry.status = "sent".into();
                records::write(lake, &path, &entry).await?;
                outcome.skipped.push(entry);
                continue;
            }
            // Over SMTP the server may have it: never re-send without being told to.
            Some("sending") if !options.resend && !sender.can_tell() => {
                outcome.uncertain.push(previous.unwrap_or(entry));
                continue;
            }
            _ => {}
        }
        let message = build(doc, &from, delivery, &message_id)?;
        if !first {
            sender.pace().await;
        }
        first = false;
        records::write(lake, &path, &entry).await?;
        let result = sender.send(&message, &message_id, config.delivery.retries).await;
        entry.attempts += result.attempts;
        match result.error {
            None => {
                entry.status = "sent".into();
                records::write(lake, &path, &entry).await?;
                tracing::info!(report = %entry.report, to = %entry.recipient, "Sent");
                outcome.sent.push(entry);
            }
            Some(error) => {
                entry.status = "failed".into();
                entry.error = Some(error.to_string());
                records::write(lake, &path, &entry).await?;
                tracing::warn!(report = %entry.report, to = %entry.recipient, %error, "Send failed");
                outcome.failed.push(entry);
            }
        }
    }
    bar.finish_and_clear();
    Ok(outcome)
}

/// A Message-ID that names the period, revision, report and recipient: the same message always has
/// the same id, so a mail system can de-duplicate even a forced resend.
pub fn message_id(from: &Mailbox, period: Period, revision: i64, report: &str, recipient_key: &str) -> String {
    format!("<kpi-close.{period}.r{revision}.{report}.{recipient_key}@{}>", from.email.domain())
}

/// The MIME message for one recipient.
pub fn build(doc: &Document, from: &Mailbox, delivery: &Delivery, message_id: &str) -> Result<Message, DeliverError> {
    let fail = |message: String| DeliverError::Message { recipient: delivery.email.clone(), message };
    let to: Mailbox =
        format!("{} <{}>", quote(&delivery.name), delivery.email).parse().map_err(|e| fail(format!("{e}")))?;
    let png = ContentType::parse("image/png").map_err(|e| fail(format!("{e}")))?;
    let csv = ContentType::parse("text/csv; charset=utf-8").map_err(|e| fail(format!("{e}")))?;
    let xlsx = ContentType::parse("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .map_err(|e| fail(format!("{e}")))?;
    let mut related = MultiPart::related().singlepart(SinglePart::html(doc.html.clone()));
    for image in &doc.images {
        related = related
            .singlepart(Attachment::new_inline(document::content_id(&image.name)).body(image.png.clone(), png.clone()));
    }
    let body = MultiPart::mixed()
        .multipart(MultiPart::alternative().singlepart(SinglePart::plain(doc.text.clone())).multipart(related))
        .singlepart(Attachment::new(doc.xlsx_name.clone()).body(doc.xlsx.clone(), xlsx))
        .singlepart(Attachment::new(doc.csv_name.clone()).body(doc.csv.clone(), csv));
    Message::builder()
        .from(from.clone())
        .to(to)
        .subject(doc.subject.clone())
        .message_id(Some(message_id.to_string()))
        .header(AutoSubmitted)
        .header(AutoResponseSuppress)
        .multipart(body)
        .map_err(|e| fail(e.to_string()))
}

/// `Auto-Submitted: auto-generated` (RFC 3834): a report is sent by a program, so mail systems and
/// people's vacation responders do not answer it.
#[derive(Debug, Clone, Copy)]
struct AutoSubmitted;

/// `X-Auto-Response-Suppress: All`: the same for Exchange and Outlook, which ignore RFC 3834.
#[derive(Debug, Clone, Copy)]
struct AutoResponseSuppress;

/// A header with one fixed ASCII value.
fn fixed(name: &'static str, value: &'static str) -> HeaderValue {
    HeaderValue::dangerous_new_pre_encoded(HeaderName::new_from_ascii_str(name), value.into(), value.into())
}

impl Header for AutoSubmitted {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("Auto-Submitted")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoSubmitted)
    }
    fn display(&self) -> HeaderValue {
        fixed("Auto-Submitted", "auto-generated")
    }
}

impl Header for AutoResponseSuppress {
    fn name() -> HeaderName {
        HeaderName::new_from_ascii_str("X-Auto-Response-Suppress")
    }
    fn parse(_: &str) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        Ok(AutoResponseSuppress)
    }
    fn display(&self) -> HeaderValue {
        fixed("X-Auto-Response-Suppress", "All")
    }
}

/// A display name quoted for a mailbox (names may hold commas or angle brackets).
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
}
