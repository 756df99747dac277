//! Typed configuration (README, "Configuration"), read from TOML.
//!
//! Loading happens in two steps. Each section is deserialized on its own (unknown keys are errors),
//! so one bad section does not hide problems in the others; then the values are checked against
//! each other and the data contract. Every problem found is reported at once, each naming its key.
//! Secrets are never read from this file: they come from environment variables only.

pub mod delivery;
mod raw;
pub mod schedule;
pub mod scoring;
mod store;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use serde::Deserialize;

use crate::datasets::{self, Dataset};
pub use delivery::{Delivery, Recipient, Reports, Smtp, TlsMode, Transport};
pub use raw::{Encoding, Format};
pub use scoring::{Level, Scheme, SchemeKpi, Scoring, Term, default_training};
pub use store::{StoreKind, StoreUrl};

/// A report language.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Default)]
pub enum Locale {
    #[default]
    #[serde(rename = "zh-CN")]
    ZhCn,
    #[serde(rename = "en")]
    En,
}

impl Locale {
    pub const ALL: [Locale; 2] = [Locale::ZhCn, Locale::En];

    /// The BCP 47 tag, as written in config and file names.
    pub fn tag(self) -> &'static str {
        match self {
            Locale::ZhCn => "zh-CN",
            Locale::En => "en",
        }
    }
}

/// A path from the config file, relative to its folder unless absolute.
fn resolve(base: &Path, path: &str) -> PathBuf {
    let p = Path::new(path);
    if p.is_absolute() { p.to_path_buf() } else { base.join(p) }
}

/// A validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file it was read from; relative paths in it are relative to this file's folder.
    pub file: PathBuf,
    pub company: Company,
    pub lake: LakeLocation,
    pub ingest: Ingest,
    pub audit: Audit,
    pub kpis: Kpis,
    pub scoring: Scoring,
    pub reports: Reports,
    pub delivery: Delivery,
    pub schedule: schedule::Schedule,
    /// Problems that do not stop a close (`validate` lists them): e.g. a scheme's short : long balance.
    pub warnings: Vec<Problem>,
    pub engine: Engine,
    /// Sources in name order.
    pub sources: Vec<Source>,
}

#[derive(Debug, Clone)]
pub struct Company {
    pub name: String,
    /// The company's `entity_id` in targets and indicators.
    pub id: String,
    pub timezone: Tz,
    pub currency: String,
    pub locale: Locale,
    pub fiscal_year_start_month: u32,
}

/// Where the lake lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LakeLocation {
    /// A folder on local disk (absolute).
    Local(PathBuf),
    /// An in-process store; contents vanish when the process ends. For tests.
    Memory,
    /// A prefix in an S3, Azure Blob or GCS bucket. Credentials come from the environment.
    Remote(StoreUrl),
}

impl fmt::Display for LakeLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LakeLocation::Local(p) => write!(f, "file://{}", p.display()),
            LakeLocation::Memory => write!(f, "memory://"),
            LakeLocation::Remote(url) => write!(f, "{url}"),
        }
    }
}

#[derive(Debug, Clone)]
pub struct Ingest {
    /// A dataset whose share of rejected rows is above this fails the close's gate.
    pub max_reject_ratio: f64,
}

/// Audit settings (README, "Audit"): which rules run, their thresholds and reference lists.
#[derive(Debug, Clone)]
pub struct Audit {
    pub enabled: bool,
    /// Rule ids switched off.
    pub disabled_rules: Vec<String>,
    /// Datasets no rule looks at.
    pub disabled_datasets: Vec<String>,
    /// The company's own networks (`IP_INTERNAL`), CIDR.
    pub internal_ranges: Vec<String>,
    /// Office egress ranges never flagged as data-centre traffic, CIDR.
    pub office_ranges: Vec<String>,
    /// E-mail domains of test leads (besides any `test.*` domain).
    pub test_domains: Vec<String>,
    pub rate_ip_per_minute: u64,
    pub rate_visitor_per_minute: u64,
    pub form_fast_seconds: f64,
    pub form_burst_count: u64,
    pub form_burst_hours: f64,
    pub refund_days: f64,
    pub same_day_orders: u64,
    pub social_mad_factor: f64,
    pub social_window_days: u64,
    /// Replacement reference lists (absolute paths); `None`: the shipped `reference/` lists.
    pub bot_user_agents: Option<PathBuf>,
    pub bot_user_agent_tokens: Option<PathBuf>,
    pub crawler_detect_patterns: Option<PathBuf>,
    pub crawler_detect_exclusions: Option<PathBuf>,
    pub non_browser_user_agents: Option<PathBuf>,
    pub disposable_email_domains: Option<PathBuf>,
    pub datacenter_ranges: Option<PathBuf>,
}

impl Audit {
    /// The rules' thresholds by name, as the audit manifest records them and the audit report
    /// states them (`{rate_ip_per_minute}` in a rule's description).
    pub fn thresholds(&self) -> BTreeMap<String, String> {
        [
            ("rate_ip_per_minute", self.rate_ip_per_minute.to_string()),
            ("rate_visitor_per_minute", self.rate_visitor_per_minute.to_string()),
            ("form_fast_seconds", self.form_fast_seconds.to_string()),
            ("form_burst_count", self.form_burst_count.to_string()),
            ("form_burst_hours", self.form_burst_hours.to_string()),
            ("refund_days", self.refund_days.to_string()),
            ("same_day_orders", self.same_day_orders.to_string()),
            ("social_mad_factor", self.social_mad_factor.to_string()),
            ("social_window_days", self.social_window_days.to_string()),
            ("test_domains", self.test_domains.join(" ")),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }
}

/// Indicator settings (README, "Indicators").
#[derive(Debug, Clone)]
pub struct Kpis {
    /// A ratio whose denominator is below this is marked low volume: shown, never scored or a trigger.
    pub min_volume: u64,
    /// Per-indicator overrides of `min_volume` (e.g. NPS responses).
    pub min_volume_by_kpi: BTreeMap<String, u64>,
    /// Margin as a share of the amount for orders without `gross_margin` (CLV).
    pub margin_rate: rust_decimal::Decimal,
    /// The cap on a customer's expected lifetime in years (CLV).
    pub max_lifetime_years: f64,
}

impl Kpis {
    pub fn min_volume_for(&self, kpi: &str) -> u64 {
        self.min_volume_by_kpi.get(kpi).copied().unwrap_or(self.min_volume)
    }
}

#[derive(Debug, Clone)]
pub struct Engine {
    pub memory_limit_bytes: u64,
    pub target_partitions: usize,
    pub spill_dir: Option<PathBuf>,
    /// Run the SQL files in this folder (`<layer>/<name>.sql`) instead of the ones compiled in.
    pub sql_dir: Option<PathBuf>,
    /// Run the indicator SQL on a Ballista cluster: its scheduler (`df://host:50050`), or
    /// `standalone` for a scheduler and an executor in this process. Needs the `ballista` feature.
    pub ballista: Option<String>,
}

/// One export location mapped onto a canonical dataset.
#[derive(Debug, Clone)]
pub struct Source {
    /// The key under `[sources]`.
    pub name: String,
    pub dataset: &'static Dataset,
    /// Absolute glob pattern; for a source in an object store, the glob of its keys inside the
    /// bucket (`exports/leads-*.csv`).
    pub pattern: String,
    /// The object store the exports are in; `None`: local files.
    pub store: Option<StoreUrl>,
    /// `None`: from each file's extension.
    pub format: Option<Format>,
    pub encoding: Encoding,
    pub delimiter: u8,
    /// Timezone for timestamps without an offset.
    pub timezone: Tz,
    pub sheet: Option<String>,
    /// Canonical column → the export's header. Unmapped columns use their canonical name.
    pub columns: BTreeMap<String, String>,
}

impl Source {
    /// The export header expected for a canonical column.
    pub fn header_for<'a>(&'a self, canonical: &'a str) -> &'a str {
        self.columns.get(canonical).map(String::as_str).unwrap_or(canonical)
    }
}

/// One problem with the configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Dotted key, e.g. `sources.leads.timezone`; empty for the whole file.
    pub key: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() { write!(f, "{}", self.message) } else { write!(f, "`{}`: {}", self.key, self.message) }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read config {}: {source}; pass --config PATH or set KPI_CLOSE_CONFIG", file.display())]
    Read {
        file: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} has {} problem(s):\n{}", file.display(), problems.len(), list(problems))]
    Invalid { file: PathBuf, problems: Vec<Problem> },
    #[error(transparent)]
    SqlDir(#[from] crate::sql::SqlDirError),
}

/// Loads the config a command runs with: reads and validates it, logs its warnings, and — when it
/// names `engine.sql_dir` — makes every SQL file run from there for the rest of the process.
pub fn load(path: &Path) -> Result<Config, ConfigError> {
    let config = Config::load(path)?;
    for warning in &config.warnings {
        tracing::warn!(key = %warning.key, message = %warning.message, "Config warning");
    }
    if let Some(dir) = &config.engine.sql_dir {
        crate::sql::load_dir(dir)?;
    }
    Ok(config)
}

fn list(problems: &[Problem]) -> String {
    problems.iter().map(|p| format!("  - {p}")).collect::<Vec<_>>().join("\n")
}

impl Config {
    /// Reads and validates a config file.
    pub fn load(file: &Path) -> Result<Config, ConfigError> {
        let text =
            std::fs::read_to_string(file).map_err(|source| ConfigError::Read { file: file.to_path_buf(), source })?;
        let file = std::path::absolute(file).unwrap_or_else(|_| file.to_path_buf());
        Config::from_toml(&text, &file)
    }

    /// The settings a period's figures follow from, section by section, each as the SHA-256 of its
    /// content: what a proof bundle records of the config. No path, no location, no recipient: the
    /// same settings in a config moved elsewhere, pointing at a copy of the lake, give the same map.
    /// (The reference lists are recorded by their content on their own.)
    pub fn figures(&self) -> BTreeMap<String, String> {
        use sha2::{Digest, Sha256};
        let (c, a) = (&self.company, &self.audit);
        let sections = [
            ("company", format!("{:?}", (&c.id, c.timezone.name(), &c.currency, c.fiscal_year_start_month))),
            ("kpis", format!("{:?}", self.kpis)),
            ("scoring", format!("{:?}", self.scoring)),
            (
                "audit",
                format!(
                    "{:?}",
                    (
                        (a.enabled, &a.disabled_rules, &a.disabled_datasets, &a.internal_ranges, &a.office_ranges),
                        (&a.test_domains, a.rate_ip_per_minute, a.rate_visitor_per_minute, a.form_fast_seconds),
                        (a.form_burst_count, a.form_burst_hours, a.refund_days, a.same_day_orders),
                        (a.social_mad_factor, a.social_window_days),
                    )
                ),
            ),
        ];
        sections.into_iter().map(|(k, v)| (k.to_string(), hex::encode(Sha256::digest(v.as_bytes())))).collect()
    }

    /// Validates config text as if read from `file` (which anchors relative paths).
    pub fn from_toml(text: &str, file: &Path) -> Result<Config, ConfigError> {
        let base = file.parent().unwrap_or(Path::new(".")).to_path_buf();
        raw::parse(text, &base).map_err(|problems| ConfigError::Invalid { file: file.to_path_buf(), problems }).map(
            |mut config| {
                config.file = file.to_path_buf();
                config
            },
        )
    }

    /// The folder relative paths are resolved against.
    pub fn base_dir(&self) -> &Path {
        self.file.parent().unwrap_or(Path::new("."))
    }

    pub fn sources_for(&self, dataset: &str) -> impl Iterator<Item = &Source> {
        self.sources.iter().filter(move |s| s.dataset.name == dataset)
    }

    /// Datasets with no source configured (the optional ones left out).
    pub fn unconfigured_datasets(&self) -> Vec<&'static str> {
        datasets::names()
            .into_iter()
            .filter(|d| !datasets::is_optional(d) && self.sources_for(d).next().is_none())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Config, Vec<Problem>> {
        match Config::from_toml(text, Path::new("/etc/kpi/kpi-close.toml")) {
            Ok(c) => Ok(c),
            Err(ConfigError::Invalid { problems, .. }) => Err(problems),
            Err(other) => panic!("{other}"),
        }
    }

    const MINIMAL: &str = r#"
        [company]
        name = "Demo"
        [lake]
        url = "lake"
        [sources.people]
        path = "exports/people*.csv"
    "#;

    #[test]
    fn defaults_and_relative_paths() {
        let c = load(MINIMAL).unwrap();
        assert_eq!(c.company.timezone, chrono_tz::Asia::Shanghai);
        assert_eq!(c.company.currency, "CNY");
        assert_eq!(c.lake, LakeLocation::Local("/etc/kpi/lake".into()));
        assert_eq!(c.sources[0].pattern, "/etc/kpi/exports/people*.csv");
        assert_eq!(c.sources[0].dataset.name, "people");
        assert_eq!(c.sources[0].delimiter, b',');
        assert_eq!(c.ingest.max_reject_ratio, 0.01);
        assert_eq!(c.engine.memory_limit_bytes, 2 << 30);
    }

    #[test]
    fn lake_urls() {
        let with = |url: &str| load(&MINIMAL.replace("url = \"lake\"", url)).map(|c| c.lake);
        assert_eq!(with("url = \"memory://\"").unwrap(), LakeLocation::Memory);
        assert_eq!(with("url = \"file:///var/lake\"").unwrap(), LakeLocation::Local("/var/lake".into()));
        let s3 =
            with("url = \"s3://bucket/kpi/lake\"\nendpoint = \"http://127.0.0.1:9000\"\nallow_http = true").unwrap();
        let LakeLocation::Remote(s3) = s3 else { panic!("an S3 lake: {s3:?}") };
        assert_eq!((s3.kind, s3.bucket.as_str(), s3.prefix.as_str()), (StoreKind::S3, "bucket", "kpi/lake"));
        assert_eq!((s3.endpoint.as_deref(), s3.allow_http), (Some("http://127.0.0.1:9000"), true));
        let gs = with("url = \"gs://kpi-lake\"").unwrap();
        assert!(matches!(gs, LakeLocation::Remote(StoreUrl { kind: StoreKind::Gcs, .. })), "{gs:?}");
        let problems = with("url = \"ftp://x/y\"").unwrap_err();
        assert_eq!(problems[0].key, "lake.url");
    }

    #[test]
    fn a_source_in_a_bucket_lists_the_folders_before_its_first_wildcard() {
        let source = |path: &str| {
            let c = load(&MINIMAL.replace("exports/people*.csv", path)).unwrap();
            let store = c.sources[0].store.clone().expect("a source in a store");
            (store.prefix, c.sources[0].pattern.clone())
        };
        assert_eq!(source("s3://b/exports/web/*.csv"), ("exports/web".into(), "exports/web/*.csv".into()));
        assert_eq!(source("s3://b/exports/*/web.csv"), ("exports".into(), "exports/*/web.csv".into()));
        assert_eq!(source("az://c/org/people.csv"), ("org".into(), "org/people.csv".into()));
        assert_eq!(source("gs://b/people.csv"), ("".into(), "people.csv".into()));
    }

    #[test]
    fn every_problem_is_reported_at_once_with_its_key() {
        let problems = load(
            r#"
            [company]
            name = "Demo"
            timezone = "Mars/Olympus"
            colour = "red"
            [lake]
            url = "lake"
            [engine]
            memory_limit = "lots"
            [sources.leads]
            path = "x.csv"
            encoding = "latin-7"
            [sources.crm]
            path = "y.csv"
            [sources.orders]
            path = "z.csv"
            delimiter = ";;"
            [sources.orders.columns]
            amount_due = "Amount"
            [reports]
            x = 1
            [delivery]
            from = "not a mailbox"
        "#,
        )
        .unwrap_err();
        let keys: Vec<&str> = problems.iter().map(|p| p.key.as_str()).collect();
        for key in [
            "company.colour",
            "engine.memory_limit",
            "sources.leads.encoding",
            "sources.crm.dataset",
            "sources.orders.delimiter",
            "sources.orders.columns.amount_due",
            "reports.x",
            "delivery.from",
        ] {
            assert!(keys.contains(&key), "missing {key} in {problems:#?}");
        }
        // `company.colour` makes the section unreadable, so its timezone is checked with it next time;
        // problems in other sections are all there.
        assert!(problems.iter().all(|p| !p.message.is_empty()));
    }

    #[test]
    fn bad_timezone_names_the_key() {
        let problems =
            load(&MINIMAL.replace("name = \"Demo\"", "name = \"Demo\"\ntimezone = \"Mars/Olympus\"")).unwrap_err();
        assert_eq!(problems[0].key, "company.timezone");
        assert!(problems[0].message.contains("Asia/Shanghai"));
    }

    #[test]
    fn toml_syntax_error_gives_line() {
        let problems = load("[company\nname = 1").unwrap_err();
        assert!(problems[0].message.contains("line 1"), "{problems:?}");
    }
}
