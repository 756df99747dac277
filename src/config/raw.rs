//! The config file as written: serde types with `deny_unknown_fields` and their defaults, and the
//! conversion into the validated `Config`, collecting every problem on the way.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::{Audit, Company, Config, Engine, Ingest, Kpis, LakeLocation, Locale, Problem, Source, StoreUrl, resolve};
use crate::datasets;

const SECTIONS: &[&str] = &[
    "company", "lake", "ingest", "audit", "kpis", "scoring", "schemes", "reports", "delivery", "schedule", "engine",
    "sources",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Jsonl,
    Parquet,
    Xlsx,
}

impl Format {
    /// The format a file name implies (`.gz` is looked through).
    pub fn from_file_name(name: &str) -> Option<Format> {
        let name = name.to_ascii_lowercase();
        let name = name.strip_suffix(".gz").unwrap_or(&name);
        let ext = name.rsplit_once('.').map(|(_, e)| e)?;
        match ext {
            "csv" | "txt" | "tsv" => Some(Format::Csv),
            "jsonl" | "ndjson" | "json" => Some(Format::Jsonl),
            "parquet" => Some(Format::Parquet),
            "xlsx" | "xlsm" | "xls" => Some(Format::Xlsx),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
pub enum Encoding {
    /// UTF-8; a byte-order mark is skipped.
    #[default]
    #[serde(rename = "utf-8")]
    Utf8,
    /// GBK / GB18030, as Chinese Excel saves CSV.
    #[serde(rename = "gbk", alias = "gb18030", alias = "gb2312")]
    Gbk,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCompany {
    name: String,
    #[serde(default = "default_company_id")]
    id: String,
    #[serde(default = "default_timezone")]
    timezone: String,
    #[serde(default = "default_currency")]
    currency: String,
    #[serde(default)]
    locale: Locale,
    #[serde(default = "default_fiscal_year_start_month")]
    fiscal_year_start_month: u32,
}

fn default_company_id() -> String {
    "company".into()
}
fn default_timezone() -> String {
    "Asia/Shanghai".into()
}
fn default_currency() -> String {
    "CNY".into()
}
fn default_fiscal_year_start_month() -> u32 {
    1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLake {
    url: String,
    endpoint: Option<String>,
    region: Option<String>,
    #[serde(default)]
    allow_http: bool,
}

/// The settings of an object store that are not secret, beside a `url` or `path` naming one
/// (the same keys in `[lake]` and `[sources.NAME]`).
struct RawStore {
    endpoint: Option<String>,
    region: Option<String>,
    allow_http: bool,
}

impl RawStore {
    fn is_set(&self) -> bool {
        self.endpoint.is_some() || self.region.is_some() || self.allow_http
    }

    fn apply(self, url: StoreUrl) -> StoreUrl {
        StoreUrl { endpoint: self.endpoint, region: self.region, allow_http: self.allow_http, ..url }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIngest {
    #[serde(default = "default_max_reject_ratio")]
    max_reject_ratio: f64,
}

impl Default for RawIngest {
    fn default() -> Self {
        RawIngest { max_reject_ratio: default_max_reject_ratio() }
    }
}

fn default_max_reject_ratio() -> f64 {
    0.01
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAudit {
    #[serde(default = "yes")]
    enabled: bool,
    #[serde(default)]
    disabled_rules: Vec<String>,
    #[serde(default)]
    disabled_datasets: Vec<String>,
    #[serde(default)]
    internal_ranges: Vec<String>,
    #[serde(default)]
    office_ranges: Vec<String>,
    #[serde(default = "default_test_domains")]
    test_domains: Vec<String>,
    #[serde(default = "default_rate_ip")]
    rate_ip_per_minute: u64,
    #[serde(default = "default_rate_visitor")]
    rate_visitor_per_minute: u64,
    #[serde(default = "default_form_fast")]
    form_fast_seconds: f64,
    #[serde(default = "default_form_burst_count")]
    form_burst_count: u64,
    #[serde(default = "default_form_burst_hours")]
    form_burst_hours: f64,
    #[serde(default = "default_refund_days")]
    refund_days: f64,
    #[serde(default = "default_same_day_orders")]
    same_day_orders: u64,
    #[serde(default = "default_social_mad_factor")]
    social_mad_factor: f64,
    #[serde(default = "default_social_window_days")]
    social_window_days: u64,
    bot_user_agents: Option<String>,
    bot_user_agent_tokens: Option<String>,
    crawler_detect_patterns: Option<String>,
    crawler_detect_exclusions: Option<String>,
    non_browser_user_agents: Option<String>,
    disposable_email_domains: Option<String>,
    datacenter_ranges: Option<String>,
}

impl Default for RawAudit {
    fn default() -> Self {
        toml::from_str("").unwrap_or_else(|_| unreachable!("every audit key has a default"))
    }
}

fn yes() -> bool {
    true
}
fn default_test_domains() -> Vec<String> {
    ["example.com", "example.org", "example.net", "test.com"].map(String::from).to_vec()
}
fn default_rate_ip() -> u64 {
    60
}
fn default_rate_visitor() -> u64 {
    30
}
fn default_form_fast() -> f64 {
    3.0
}
fn default_form_burst_count() -> u64 {
    3
}
fn default_form_burst_hours() -> f64 {
    24.0
}
fn default_refund_days() -> f64 {
    7.0
}
fn default_same_day_orders() -> u64 {
    3
}
fn default_social_mad_factor() -> f64 {
    5.0
}
fn default_social_window_days() -> u64 {
    28
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKpis {
    #[serde(default = "default_min_volume")]
    min_volume: u64,
    #[serde(default)]
    min_volume_by_kpi: BTreeMap<String, u64>,
    #[serde(default = "default_margin_rate")]
    margin_rate: f64,
    #[serde(default = "default_max_lifetime_years")]
    max_lifetime_years: f64,
}

impl Default for RawKpis {
    fn default() -> Self {
        RawKpis {
            min_volume: default_min_volume(),
            min_volume_by_kpi: BTreeMap::new(),
            margin_rate: default_margin_rate(),
            max_lifetime_years: default_max_lifetime_years(),
        }
    }
}

fn default_min_volume() -> u64 {
    30
}
fn default_margin_rate() -> f64 {
    0.3
}
fn default_max_lifetime_years() -> f64 {
    5.0
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEngine {
    #[serde(default = "default_memory_limit")]
    memory_limit: String,
    #[serde(default)]
    target_partitions: Option<usize>,
    spill_dir: Option<String>,
    sql_dir: Option<String>,
    ballista: Option<String>,
}

impl Default for RawEngine {
    fn default() -> Self {
        RawEngine {
            memory_limit: default_memory_limit(),
            target_partitions: None,
            spill_dir: None,
            sql_dir: None,
            ballista: None,
        }
    }
}

fn default_memory_limit() -> String {
    "2GiB".into()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    dataset: Option<String>,
    path: String,
    format: Option<Format>,
    #[serde(default)]
    encoding: Encoding,
    delimiter: Option<String>,
    timezone: Option<String>,
    sheet: Option<String>,
    #[serde(default)]
    columns: BTreeMap<String, String>,
    endpoint: Option<String>,
    region: Option<String>,
    #[serde(default)]
    allow_http: bool,
}

/// Collects problems while sections are converted.
struct Problems(Vec<Problem>);

impl Problems {
    fn add(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.0.push(Problem { key: key.into(), message: message.into() });
    }

    /// Deserializes one section; on failure records the offending key and returns `None`.
    fn section<T: DeserializeOwned>(&mut self, prefix: &str, value: toml::Value) -> Option<T> {
        match serde_path_to_error::deserialize::<_, T>(value) {
            Ok(v) => Some(v),
            Err(e) => {
                let path = e.path().to_string();
                let key = if path == "." || path.is_empty() { prefix.to_string() } else { format!("{prefix}.{path}") };
                let message = e.into_inner().to_string();
                let message = message.lines().next().unwrap_or_default().trim().to_string();
                self.add(key, message);
                None
            }
        }
    }
}

pub(super) fn parse(text: &str, base: &Path) -> Result<Config, Vec<Problem>> {
    let mut problems = Problems(Vec::new());
    let mut table: toml::Table = match text.parse() {
        Ok(t) => t,
        Err(e) => {
            let at = e
                .span()
                .map(|s| {
                    let (line, col) = line_col(text, s.start);
                    format!(" at line {line}, column {col}")
                })
                .unwrap_or_default();
            problems.add("", format!("not valid TOML{at}: {}", e.message()));
            return Err(problems.0);
        }
    };
    for key in table.keys() {
        if !SECTIONS.contains(&key.as_str()) {
            problems.add(key.clone(), format!("unknown section; known sections are {}", SECTIONS.join(", ")));
        }
    }

    let mut take = |name: &str| table.remove(name);
    let company: Option<RawCompany> = match take("company") {
        Some(v) => problems.section("company", v),
        None => {
            problems.add("company", "missing section; at least `name` is required");
            None
        }
    };
    let lake: Option<RawLake> = match take("lake") {
        Some(v) => problems.section("lake", v),
        None => {
            problems.add("lake", "missing section; set `url` (a folder, `s3://bucket/prefix` or `memory://`)");
            None
        }
    };
    let ingest: RawIngest = match take("ingest") {
        Some(v) => problems.section("ingest", v).unwrap_or_default(),
        None => RawIngest::default(),
    };
    let audit: RawAudit = match take("audit") {
        Some(v) => problems.section("audit", v).unwrap_or_default(),
        None => RawAudit::default(),
    };
    let scoring: super::scoring::RawScoring = match take("scoring") {
        Some(v) => problems.section("scoring", v).unwrap_or_default(),
        None => super::scoring::RawScoring::default(),
    };
    let schemes = take("schemes");
    let kpis: RawKpis = match take("kpis") {
        Some(v) => problems.section("kpis", v).unwrap_or_default(),
        None => RawKpis::default(),
    };
    let reports: super::delivery::RawReports = match take("reports") {
        Some(v) => problems.section("reports", v).unwrap_or_default(),
        None => super::delivery::RawReports::default(),
    };
    let delivery: super::delivery::RawDelivery = match take("delivery") {
        Some(v) => problems.section("delivery", v).unwrap_or_default(),
        None => super::delivery::RawDelivery::default(),
    };
    let schedule: super::schedule::RawSchedule = match take("schedule") {
        Some(v) => problems.section("schedule", v).unwrap_or_default(),
        None => super::schedule::RawSchedule::default(),
    };
    let engine: RawEngine = match take("engine") {
        Some(v) => problems.section("engine", v).unwrap_or_default(),
        None => RawEngine::default(),
    };
    let raw_sources: BTreeMap<String, toml::Value> = match take("sources") {
        Some(toml::Value::Table(t)) => t.into_iter().collect(),
        Some(_) => {
            problems.add("sources", "must be a table of `[sources.NAME]` entries");
            BTreeMap::new()
        }
        None => BTreeMap::new(),
    };

    let company = company.and_then(|c| convert_company(c, &mut problems));
    let lake = lake.and_then(|l| convert_lake(l, base, &mut problems));
    let ingest = convert_ingest(ingest, &mut problems);
    let engine = convert_engine(engine, base, &mut problems);
    let kpis = convert_kpis(kpis, &mut problems);
    let audit = convert_audit(audit, base, &mut problems);
    let mut warnings = Vec::new();
    let scoring = super::scoring::convert(scoring, schemes, &mut problems.0, &mut warnings);
    let reports = super::delivery::convert_reports(reports, &mut problems.0);
    let delivery = super::delivery::convert_delivery(delivery, base, &mut problems.0);
    let default_tz = company.as_ref().map(|c| c.timezone).unwrap_or(chrono_tz::Asia::Shanghai);
    let schedule = super::schedule::convert(schedule, default_tz, &mut problems.0);
    let mut sources = Vec::new();
    for (name, value) in raw_sources {
        let key = format!("sources.{name}");
        if let Some(raw) = problems.section::<RawSource>(&key, value)
            && let Some(source) = convert_source(&name, raw, base, default_tz, &mut problems)
        {
            sources.push(source);
        }
    }

    match (company, lake) {
        (Some(company), Some(lake)) if problems.0.is_empty() => Ok(Config {
            file: PathBuf::new(),
            company,
            lake,
            ingest,
            audit,
            kpis,
            scoring,
            reports,
            delivery,
            schedule,
            warnings,
            engine,
            sources,
        }),
        _ => Err(problems.0),
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map(|l| l.chars().count()).unwrap_or(0) + 1;
    (line, col)
}

fn parse_tz(key: &str, name: &str, problems: &mut Problems) -> Option<Tz> {
    match name.parse::<Tz>() {
        Ok(tz) => Some(tz),
        Err(_) => {
            problems.add(key, format!("`{name}` is not an IANA timezone; write e.g. \"Asia/Shanghai\" or \"UTC\""));
            None
        }
    }
}

fn convert_company(raw: RawCompany, problems: &mut Problems) -> Option<Company> {
    let timezone = parse_tz("company.timezone", &raw.timezone, problems);
    if !(1..=12).contains(&raw.fiscal_year_start_month) {
        problems.add("company.fiscal_year_start_month", "must be a month number, 1 to 12");
    }
    if raw.name.trim().is_empty() {
        problems.add("company.name", "must not be empty");
    }
    if raw.id.trim().is_empty() {
        problems.add("company.id", "must not be empty; it is the company's entity_id in targets and indicators");
    }
    Some(Company {
        name: raw.name,
        id: raw.id,
        timezone: timezone?,
        currency: raw.currency,
        locale: raw.locale,
        fiscal_year_start_month: raw.fiscal_year_start_month,
    })
}

fn convert_lake(raw: RawLake, base: &Path, problems: &mut Problems) -> Option<LakeLocation> {
    let url = raw.url.trim();
    let store = RawStore { endpoint: raw.endpoint, region: raw.region, allow_http: raw.allow_http };
    let remote = StoreUrl::parse(url);
    if remote.is_none() && store.is_set() {
        problems.add(
            "lake",
            "only a lake in an object store (`s3://`, `az://`, `gs://`) takes `endpoint`, `region` or `allow_http`",
        );
    }
    let location = if let Some(remote) = remote {
        match remote {
            Ok(remote) => LakeLocation::Remote(store.apply(remote)),
            Err(message) => {
                problems.add("lake.url", message);
                return None;
            }
        }
    } else if url == "memory://" || url == "memory:///" {
        LakeLocation::Memory
    } else if let Some(path) = url.strip_prefix("file://") {
        LakeLocation::Local(resolve(base, path))
    } else if url.contains("://") {
        problems.add(
            "lake.url",
            format!(
                "`{url}`: the lake must be a folder, `file://PATH`, `s3://bucket/prefix`, `az://container/prefix`, `gs://bucket/prefix` or `memory://`"
            ),
        );
        return None;
    } else {
        LakeLocation::Local(resolve(base, url))
    };
    Some(location)
}

fn convert_ingest(raw: RawIngest, problems: &mut Problems) -> Ingest {
    if !(0.0..=1.0).contains(&raw.max_reject_ratio) {
        problems.add("ingest.max_reject_ratio", "must be a fraction between 0 and 1 (0.01 is 1%)");
    }
    Ingest { max_reject_ratio: raw.max_reject_ratio }
}

fn convert_audit(raw: RawAudit, base: &Path, problems: &mut Problems) -> Audit {
    for rule in &raw.disabled_rules {
        if !crate::sql::rules::is_known(rule) {
            problems.add("audit.disabled_rules", format!("no rule `{rule}`; the rules are listed in the README"));
        }
    }
    for dataset in &raw.disabled_datasets {
        if datasets::dataset(dataset).is_none() {
            problems.add("audit.disabled_datasets", format!("no dataset `{dataset}`"));
        }
    }
    let ranges = |key: &str, list: &[String], problems: &mut Problems| -> Vec<String> {
        for cidr in list {
            if let Err(e) = crate::net::parse_cidr(cidr) {
                problems.add(format!("audit.{key}"), e);
            }
        }
        list.to_vec()
    };
    for (key, value) in [
        ("form_fast_seconds", raw.form_fast_seconds),
        ("form_burst_hours", raw.form_burst_hours),
        ("refund_days", raw.refund_days),
        ("social_mad_factor", raw.social_mad_factor),
    ] {
        if !(value.is_finite() && value >= 0.0) {
            problems.add(format!("audit.{key}"), "must be a number of 0 or more");
        }
    }
    let file = |path: &Option<String>| path.as_ref().map(|p| resolve(base, p));
    Audit {
        enabled: raw.enabled,
        disabled_rules: raw.disabled_rules,
        disabled_datasets: raw.disabled_datasets,
        internal_ranges: ranges("internal_ranges", &raw.internal_ranges, problems),
        office_ranges: ranges("office_ranges", &raw.office_ranges, problems),
        test_domains: raw.test_domains.iter().map(|d| d.trim().to_lowercase()).collect(),
        rate_ip_per_minute: raw.rate_ip_per_minute,
        rate_visitor_per_minute: raw.rate_visitor_per_minute,
        form_fast_seconds: raw.form_fast_seconds,
        form_burst_count: raw.form_burst_count,
        form_burst_hours: raw.form_burst_hours,
        refund_days: raw.refund_days,
        same_day_orders: raw.same_day_orders,
        social_mad_factor: raw.social_mad_factor,
        social_window_days: raw.social_window_days,
        bot_user_agents: file(&raw.bot_user_agents),
        bot_user_agent_tokens: file(&raw.bot_user_agent_tokens),
        crawler_detect_patterns: file(&raw.crawler_detect_patterns),
        crawler_detect_exclusions: file(&raw.crawler_detect_exclusions),
        non_browser_user_agents: file(&raw.non_browser_user_agents),
        disposable_email_domains: file(&raw.disposable_email_domains),
        datacenter_ranges: file(&raw.datacenter_ranges),
    }
}

fn convert_kpis(raw: RawKpis, problems: &mut Problems) -> Kpis {
    if !(0.0..=1.0).contains(&raw.margin_rate) {
        problems.add("kpis.margin_rate", "must be a share between 0 and 1, e.g. 0.3");
    }
    if !(raw.max_lifetime_years > 0.0 && raw.max_lifetime_years.is_finite()) {
        problems.add("kpis.max_lifetime_years", "must be a positive number of years, e.g. 5");
    }
    for kpi in raw.min_volume_by_kpi.keys() {
        if !crate::sql::cards::is_known(kpi) {
            problems.add(
                format!("kpis.min_volume_by_kpi.{kpi}"),
                "no such indicator; `kpi-close explain` lists them".to_string(),
            );
        }
    }
    Kpis {
        min_volume: raw.min_volume,
        min_volume_by_kpi: raw.min_volume_by_kpi,
        margin_rate: rust_decimal::Decimal::from_f64_retain(raw.margin_rate).unwrap_or_default().round_dp(4),
        max_lifetime_years: raw.max_lifetime_years,
    }
}

fn convert_engine(raw: RawEngine, base: &Path, problems: &mut Problems) -> Engine {
    let memory_limit_bytes = parse_size(&raw.memory_limit).unwrap_or_else(|| {
        problems.add(
            "engine.memory_limit",
            format!("`{}` is not a size; write e.g. \"2GiB\" or \"512MiB\"", raw.memory_limit),
        );
        0
    });
    if raw.target_partitions == Some(0) {
        problems.add("engine.target_partitions", "must be at least 1");
    }
    match raw.ballista.as_deref() {
        None | Some("standalone") => {}
        Some(url) if url.starts_with("df://") && url::Url::parse(url).is_ok_and(|u| u.host().is_some()) => {}
        Some(other) => problems.add(
            "engine.ballista",
            format!("`{other}` is not a Ballista scheduler: write \"df://host:50050\", or \"standalone\" for an in-process cluster"),
        ),
    }
    if raw.ballista.is_some() && !cfg!(feature = "ballista") {
        problems.add(
            "engine.ballista",
            "this kpi-close was built without Ballista: build it with `cargo build --release --features ballista`, or remove the key",
        );
    }
    Engine {
        memory_limit_bytes,
        target_partitions: raw
            .target_partitions
            .unwrap_or_else(|| std::thread::available_parallelism().map(usize::from).unwrap_or(2)),
        spill_dir: raw.spill_dir.map(|d| resolve(base, &d)),
        sql_dir: raw.sql_dir.map(|d| resolve(base, &d)),
        ballista: raw.ballista,
    }
}

/// "2GiB", "512 MiB", "1.5GB", "1048576" → bytes.
fn parse_size(text: &str) -> Option<u64> {
    let t = text.trim();
    let split = t.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let number: f64 = number.parse().ok()?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        _ => return None,
    };
    let bytes = number * factor as f64;
    (bytes >= 1.0).then_some(bytes as u64)
}

fn convert_source(name: &str, raw: RawSource, base: &Path, default_tz: Tz, problems: &mut Problems) -> Option<Source> {
    let key = format!("sources.{name}");
    let dataset_name = raw.dataset.as_deref().unwrap_or(name);
    let Some(dataset) = datasets::dataset(dataset_name) else {
        let hint = if raw.dataset.is_some() {
            format!("`{dataset_name}` is not a dataset")
        } else {
            format!("`{name}` is not a dataset name, so say which dataset this source feeds")
        };
        problems.add(format!("{key}.dataset"), format!("{hint}; datasets are {}", datasets::names().join(", ")));
        return None;
    };
    let mut ok = true;
    for canonical in raw.columns.keys() {
        if dataset.column(canonical).is_none() {
            ok = false;
            let known: Vec<&str> = dataset.columns.iter().map(|c| c.name).collect();
            problems.add(
                format!("{key}.columns.{canonical}"),
                format!(
                    "`{canonical}` is not a column of `{}`; map one of {} to the export's header",
                    dataset.name,
                    known.join(", ")
                ),
            );
        }
    }
    let delimiter = match raw.delimiter.as_deref() {
        None => b',',
        Some("\\t") | Some("\t") => b'\t',
        Some(d) if d.len() == 1 => d.as_bytes()[0],
        Some(d) => {
            ok = false;
            problems.add(
                format!("{key}.delimiter"),
                format!("`{d}` must be a single character such as \",\", \";\" or \"\\t\""),
            );
            b','
        }
    };
    let timezone = match raw.timezone.as_deref() {
        Some(tz) => parse_tz(&format!("{key}.timezone"), tz, problems),
        None => Some(default_tz),
    };
    let settings = RawStore { endpoint: raw.endpoint, region: raw.region, allow_http: raw.allow_http };
    let (pattern, store) = match StoreUrl::parse(raw.path.trim()) {
        None => {
            if settings.is_set() {
                ok = false;
                problems.add(
                    key.to_string(),
                    "only a source in an object store (`s3://`, `az://`, `gs://`) takes `endpoint`, `region` or `allow_http`",
                );
            }
            (resolve(base, &raw.path).to_string_lossy().into_owned(), None)
        }
        Some(Err(message)) => {
            problems.add(format!("{key}.path"), message);
            return None;
        }
        // The glob covers the keys inside the bucket; listing starts at the folders before the
        // first wildcard (the last part is the objects' names).
        Some(Ok(url)) => {
            let parts: Vec<&str> = url.prefix.split('/').collect();
            let folders: Vec<&str> = parts[..parts.len() - 1]
                .iter()
                .take_while(|part| !part.contains(['*', '?', '[', '{']))
                .copied()
                .collect();
            let listed = url.with_prefix(&folders.join("/"));
            (url.prefix, Some(settings.apply(listed)))
        }
    };
    if let Err(e) = glob::Pattern::new(&pattern) {
        ok = false;
        problems.add(format!("{key}.path"), format!("not a valid glob pattern: {e}"));
    }
    if raw.sheet.is_some() && raw.format.is_some_and(|f| f != Format::Xlsx) {
        ok = false;
        problems.add(format!("{key}.sheet"), "only an xlsx source has sheets");
    }
    let timezone = timezone?;
    ok.then(|| Source {
        name: name.to_string(),
        dataset,
        pattern,
        store,
        format: raw.format,
        encoding: raw.encoding,
        delimiter,
        timezone,
        sheet: raw.sheet,
        columns: raw.columns,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("2GiB"), Some(2 << 30));
        assert_eq!(parse_size("512 MiB"), Some(512 << 20));
        assert_eq!(parse_size("1.5GB"), Some(1_500_000_000));
        assert_eq!(parse_size("1048576"), Some(1 << 20));
        assert_eq!(parse_size("lots"), None);
        assert_eq!(parse_size("0"), None);
    }

    #[test]
    fn formats_from_names() {
        assert_eq!(Format::from_file_name("a/web_2026-10.csv.gz"), Some(Format::Csv));
        assert_eq!(Format::from_file_name("x.JSONL"), Some(Format::Jsonl));
        assert_eq!(Format::from_file_name("t.xlsx"), Some(Format::Xlsx));
        assert_eq!(Format::from_file_name("noext"), None);
    }
}
