//! `[reports]` and `[delivery]` (README, "Reports and delivery"): who receives what, in which language, and how mail
//! leaves. The SMTP password is never in the file: `delivery.smtp.password_env` names the variable.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{Locale, Problem};

#[derive(Debug, Clone)]
pub struct Reports {
    /// Company indicators drawn as 13-month trends in the leadership report.
    pub trend_kpis: Vec<String>,
    /// A company indicator whose value moved by at least this share of the previous period's is a
    /// mover: the leadership report's headline names it with its drivers.
    pub movers_threshold: f64,
}

#[derive(Debug, Clone)]
pub struct Delivery {
    pub transport: Transport,
    /// Where the outbox transport writes `.eml` files (absolute).
    pub outbox: PathBuf,
    pub from: String,
    pub leadership: Vec<Recipient>,
    pub auditors: Vec<Recipient>,
    /// People who receive their own scorecard; `*` for everyone.
    pub personal_opt_in: Vec<String>,
    /// Language per person id or e-mail address; others get `company.locale`.
    pub locales: BTreeMap<String, Locale>,
    pub smtp: Smtp,
    pub rate_per_minute: u32,
    pub retries: u32,
}

impl Delivery {
    pub fn personal(&self, person_id: &str) -> bool {
        self.personal_opt_in.iter().any(|p| p == "*" || p == person_id)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Transport {
    Outbox,
    Smtp,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Recipient {
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub locale: Option<Locale>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Plain connection upgraded with STARTTLS (refused if the server does not offer it).
    Starttls,
    /// TLS from the first byte (port 465).
    Implicit,
    /// No TLS: only for a relay on the same host.
    None,
}

#[derive(Debug, Clone)]
pub struct Smtp {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub username: Option<String>,
    /// The environment variable holding the password.
    pub password_env: String,
    /// Extra CA certificate (PEM) to trust, e.g. a company CA.
    pub ca_file: Option<PathBuf>,
    pub timeout_seconds: u64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawReports {
    #[serde(default = "default_trend_kpis")]
    trend_kpis: Vec<String>,
    #[serde(default = "default_movers_threshold")]
    movers_threshold: f64,
}

impl Default for RawReports {
    fn default() -> RawReports {
        RawReports { trend_kpis: default_trend_kpis(), movers_threshold: default_movers_threshold() }
    }
}

fn default_movers_threshold() -> f64 {
    0.1
}

fn default_trend_kpis() -> Vec<String> {
    ["revenue", "mql_count", "lead_conversion_rate", "cpl"].map(String::from).to_vec()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDelivery {
    #[serde(default = "default_transport")]
    transport: Transport,
    #[serde(default = "default_outbox")]
    outbox: String,
    #[serde(default = "default_from")]
    from: String,
    #[serde(default)]
    leadership: Vec<Recipient>,
    #[serde(default)]
    auditors: Vec<Recipient>,
    #[serde(default)]
    personal_opt_in: Vec<String>,
    #[serde(default)]
    locales: BTreeMap<String, Locale>,
    #[serde(default)]
    smtp: RawSmtp,
    #[serde(default = "default_rate")]
    rate_per_minute: u32,
    #[serde(default = "default_retries")]
    retries: u32,
}

impl Default for RawDelivery {
    fn default() -> Self {
        toml::from_str("").unwrap_or_else(|_| unreachable!("every field has a default"))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSmtp {
    #[serde(default = "default_host")]
    host: String,
    #[serde(default)]
    port: Option<u16>,
    #[serde(default = "default_tls")]
    tls: TlsMode,
    #[serde(default)]
    username: Option<String>,
    #[serde(default = "default_password_env")]
    password_env: String,
    #[serde(default)]
    ca_file: Option<String>,
    #[serde(default = "default_timeout")]
    timeout_seconds: u64,
}

impl Default for RawSmtp {
    fn default() -> Self {
        toml::from_str("").unwrap_or_else(|_| unreachable!("every field has a default"))
    }
}

fn default_transport() -> Transport {
    Transport::Outbox
}
fn default_outbox() -> String {
    "out/outbox".into()
}
fn default_from() -> String {
    "kpi-close <kpi-close@localhost>".into()
}
fn default_rate() -> u32 {
    60
}
fn default_retries() -> u32 {
    3
}
fn default_host() -> String {
    "localhost".into()
}
fn default_tls() -> TlsMode {
    TlsMode::Starttls
}
fn default_password_env() -> String {
    "KPI_CLOSE_SMTP_PASSWORD".into()
}
fn default_timeout() -> u64 {
    30
}

pub(super) fn convert_reports(raw: RawReports, problems: &mut Vec<Problem>) -> Reports {
    for (i, kpi) in raw.trend_kpis.iter().enumerate() {
        if !crate::sql::cards::is_known(kpi) {
            problems.push(Problem { key: format!("reports.trend_kpis[{i}]"), message: format!("unknown KPI `{kpi}`") });
        }
    }
    if !(raw.movers_threshold > 0.0 && raw.movers_threshold.is_finite()) {
        problems.push(Problem {
            key: "reports.movers_threshold".into(),
            message: format!(
                "{} is not a share above 0 (0.1 names indicators that moved by 10 % or more)",
                raw.movers_threshold
            ),
        });
    }
    Reports { trend_kpis: raw.trend_kpis, movers_threshold: raw.movers_threshold }
}

pub(super) fn convert_delivery(raw: RawDelivery, base: &Path, problems: &mut Vec<Problem>) -> Delivery {
    let mut add = |key: String, message: String| problems.push(Problem { key, message });
    if raw.from.parse::<lettre::message::Mailbox>().is_err() {
        add("delivery.from".into(), format!("`{}` is not a mailbox (`Name <user@example.com>`)", raw.from));
    }
    for (list, recipients) in [("leadership", &raw.leadership), ("auditors", &raw.auditors)] {
        for (i, r) in recipients.iter().enumerate() {
            if r.email.parse::<lettre::Address>().is_err() {
                add(format!("delivery.{list}[{i}].email"), format!("`{}` is not an e-mail address", r.email));
            }
        }
    }
    if raw.rate_per_minute == 0 {
        add("delivery.rate_per_minute".into(), "must be at least 1".into());
    }
    let smtp = raw.smtp;
    let port = smtp.port.unwrap_or(match smtp.tls {
        TlsMode::Implicit => 465,
        TlsMode::Starttls => 587,
        TlsMode::None => 25,
    });
    Delivery {
        transport: raw.transport,
        outbox: super::resolve(base, &raw.outbox),
        from: raw.from,
        leadership: raw.leadership,
        auditors: raw.auditors,
        personal_opt_in: raw.personal_opt_in,
        locales: raw.locales,
        smtp: Smtp {
            host: smtp.host,
            port,
            tls: smtp.tls,
            username: smtp.username,
            password_env: smtp.password_env,
            ca_file: smtp.ca_file.map(|f| super::resolve(base, &f)),
            timeout_seconds: smtp.timeout_seconds,
        },
        rate_per_minute: raw.rate_per_minute,
        retries: raw.retries,
    }
}
