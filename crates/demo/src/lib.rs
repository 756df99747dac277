//! The demo company: a deterministic generator of every export the close reads, 25 months of them
//! (2024-10 … 2026-10), with seasonality, growth, planted fraud of every kind the audit rules look
//! for, and the ugly cases real exports have. `fixtures/` in the repository is its output at scale
//! 1 with the default seed; `kpi-close demo-data --out DIR --scale N` makes more for benchmarks.
//!
//! Same seed and scale, same bytes: the generator uses its own small PRNG (no crate whose stream
//! could change between versions), writes gzip without timestamps, and Parquet with fixed settings.
//!
//! Besides the exports it writes `planted.csv`: every planted fraud, malformed row and overlapping
//! re-export, by dataset and record key, so tests can measure the audit's precision and recall.

mod company;
mod writer;
pub mod year;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};

use company::*;
use writer::{Files, Text};

pub const DEFAULT_SEED: u64 = 20_261_103;
const FIRST_YEAR: i32 = 2024;
const FIRST_MONTH: u32 = 10;
const MONTHS: usize = 25;

/// Seasonality by calendar month: Spring Festival dip, 618 and Double 11 peaks.
const SEASON: [f64; 12] = [0.9, 0.7, 1.0, 1.0, 1.05, 1.25, 0.95, 0.95, 1.05, 1.0, 1.4, 1.15];

/// What was written.
pub struct Summary {
    pub files: Vec<(String, u64)>,
    pub planted: usize,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (path, bytes) in &self.files {
            writeln!(f, "{bytes:>10}  {path}")?;
        }
        let total: u64 = self.files.iter().map(|(_, b)| b).sum();
        writeln!(f, "{} files, {total} bytes, {} planted records (planted.csv)", self.files.len(), self.planted)
    }
}

/// Writes a demo data set. `gzip` compresses the large analytics exports, as the fixtures do;
/// benchmarks turn it off to measure plain CSV.
pub fn generate(out: &Path, scale: u32, seed: u64, gzip: bool) -> std::io::Result<Summary> {
    let mut g = Generator::new(seed, scale.max(1));
    g.gzip = gzip;
    g.reference_data();
    for month in 0..MONTHS {
        g.web_and_leads(month);
    }
    g.orders();
    g.customer_activity();
    g.nps();
    g.ad_spend();
    g.social();
    g.fx_rates();
    g.targets();
    g.write_leads();
    g.files.planted(&g.planted);
    let planted = g.planted.len();
    let files = g.files.write(out)?;
    Ok(Summary { files, planted })
}

/// SplitMix64: tiny, fast, and fixed forever.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    fn range(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * self.unit()
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn weighted<'a, T>(&mut self, items: &'a [(T, f64)]) -> &'a T {
        let total: f64 = items.iter().map(|(_, w)| w).sum();
        let mut x = self.unit() * total;
        for (item, w) in items {
            if x < *w {
                return item;
            }
            x -= w;
        }
        &items[items.len() - 1].0
    }
    fn normal(&mut self) -> f64 {
        let u = self.unit().max(1e-12);
        let v = self.unit();
        (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
    }
    /// A count around `mean` (±15 %), at least 0.
    fn around(&mut self, mean: f64) -> usize {
        (mean * self.range(0.85, 1.15)).round().max(0.0) as usize
    }
}

fn month_start(index: usize) -> NaiveDate {
    let m = FIRST_MONTH as usize - 1 + index;
    NaiveDate::from_ymd_opt(FIRST_YEAR + (m / 12) as i32, (m % 12) as u32 + 1, 1).unwrap_or(NaiveDate::MIN)
}

fn days_in(index: usize) -> i64 {
    (month_start(index + 1) - month_start(index)).num_days()
}

fn month_label(index: usize) -> String {
    month_start(index).format("%Y-%m").to_string()
}

fn month_index(t: NaiveDateTime) -> Option<usize> {
    let months = (t.year() - FIRST_YEAR) * 12 + t.month() as i32 - FIRST_MONTH as i32;
    (0..MONTHS as i32).contains(&months).then_some(months as usize)
}

/// The instant exports were taken: 2026-11-01 00:00 company time. Nothing happens after it.
fn cutoff() -> NaiveDateTime {
    month_start(MONTHS).and_hms_opt(0, 0, 0).unwrap_or_default()
}

/// Company-time timestamp with its offset, as most exports write it.
fn iso(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%dT%H:%M:%S+08:00").to_string()
}

/// The same instant in UTC with `Z`.
fn iso_utc(t: NaiveDateTime) -> String {
    (t - Duration::hours(8)).format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn naive(t: NaiveDateTime) -> String {
    t.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents.abs() / 100, cents.abs() % 100)
}

/// 1,234.56 with a currency symbol, as some shop exports write amounts.
fn money_pretty(cents: i64) -> String {
    let whole = (cents.abs() / 100).to_string();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{}¥{grouped}.{:02}", if cents < 0 { "-" } else { "" }, cents.abs() % 100)
}

/// The canonical headers of the web, CRM and shop exports (as the data contract names the columns).
const EVENT_HEADER: &[&str] = &[
    "event_id",
    "event_time",
    "event_type",
    "visitor_id",
    "session_id",
    "campaign_id",
    "channel",
    "page",
    "ip",
    "user_agent",
    "duration_ms",
    "lead_id",
];
const LEAD_HEADER: &[&str] = &[
    "lead_id",
    "owner_id",
    "name",
    "email",
    "phone",
    "company",
    "channel",
    "campaign_id",
    "status",
    "created_at",
    "mql_at",
    "sql_at",
    "first_contact_at",
    "visitor_id",
    "is_test",
];
const ORDER_HEADER: &[&str] = &[
    "order_id",
    "customer_id",
    "owner_id",
    "order_at",
    "amount",
    "currency",
    "status",
    "refunded_at",
    "lead_id",
    "gross_margin",
    "customer_email",
];

/// What an order is worth and what became of it: a log-normal amount around 1,700 CNY (3 % in USD),
/// a margin on 70 % of them, and the status — pending near `cutoff`, 2 % refunded weeks later,
/// 1.5 % cancelled, the rest paid. Both generators draw them alike.
struct OrderTerms {
    cents: i64,
    currency: &'static str,
    margin_cents: Option<i64>,
    status: &'static str,
    refunded_at: Option<NaiveDateTime>,
}

impl OrderTerms {
    fn draw(rng: &mut Rng, at: NaiveDateTime, cutoff: NaiveDateTime) -> OrderTerms {
        let cents = ((7.45 + 0.55 * rng.normal()).exp() * 100.0).round() as i64;
        let usd = rng.chance(0.03);
        let (cents, currency) = if usd { (cents * 10 / 72, "USD") } else { (cents, "CNY") };
        let margin_cents = rng.chance(0.7).then(|| (cents as f64 * rng.range(0.28, 0.42)).round() as i64);
        let roll = rng.unit();
        let recent = cutoff - at < Duration::days(3);
        let (status, refunded_at) = if recent && roll < 0.3 {
            ("pending", None)
        } else if roll < 0.02 {
            let late = at + Duration::days(10 + rng.below(30) as i64);
            ("refunded", Some(late).filter(|t| *t < cutoff))
        } else if roll < 0.035 {
            ("cancelled", None)
        } else {
            ("paid", None)
        };
        OrderTerms { cents, currency, margin_cents, status, refunded_at }
    }
}

#[derive(Clone)]
struct Visitor {
    id: String,
    ip: String,
    agent: &'static str,
}

struct Lead {
    id: String,
    created: NaiveDateTime,
    email: String,
    phone: String,
    name: String,
    company: String,
    owner: &'static str,
    campaign: Option<&'static str>,
    channel: &'static str,
    visitor: Option<String>,
    mql: Option<NaiveDateTime>,
    sql: Option<NaiveDateTime>,
    first_contact: Option<NaiveDateTime>,
    is_test: bool,
    /// Planted (fake) leads do not become customers.
    fake: bool,
}

struct Order {
    id: String,
    customer: String,
    owner: &'static str,
    at: NaiveDateTime,
    cents: i64,
    currency: &'static str,
    status: &'static str,
    refunded_at: Option<NaiveDateTime>,
    lead: Option<String>,
    margin_cents: Option<i64>,
    email: String,
    pretty_amount: bool,
    /// Planted brushing: not part of the plan the targets come from.
    brushed: bool,
}

struct Customer {
    id: String,
    email: String,
    owner: &'static str,
    since: usize,
    churned_at: Option<usize>,
}

struct Generator {
    rng: Rng,
    gzip: bool,
    scale: f64,
    files: Files,
    planted: Vec<[String; 4]>,
    visitors: Vec<Visitor>,
    leads: Vec<Lead>,
    customers: Vec<Customer>,
    orders: Vec<Order>,
    counters: BTreeMap<&'static str, u64>,
    /// Clean MQLs and paid revenue by (person, month), for targets.
    clean_mql: BTreeMap<(&'static str, usize), f64>,
    clean_revenue: BTreeMap<(&'static str, usize), f64>,
}

impl Generator {
    fn new(seed: u64, scale: u32) -> Generator {
        Generator {
            rng: Rng(seed),
            gzip: true,
            scale: f64::from(scale),
            files: Files::default(),
            planted: Vec::new(),
            visitors: Vec::new(),
            leads: Vec::new(),
            customers: Vec::new(),
            orders: Vec::new(),
            counters: BTreeMap::new(),
            clean_mql: BTreeMap::new(),
            clean_revenue: BTreeMap::new(),
        }
    }

    /// A large export: gzip-compressed (`.gz` appended) unless turned off.
    fn text(&self, path: &str) -> Text {
        if self.gzip { Text::new(&format!("{path}.gz")).gzip() } else { Text::new(path) }
    }

    fn next_id(&mut self, prefix: &'static str, width: usize) -> String {
        let n = self.counters.entry(prefix).or_insert(0);
        *n += 1;
        format!("{prefix}{:0width$}", *n)
    }

    fn plant(&mut self, dataset: &str, key: &str, rule: &str, detail: impl Into<String>) {
        self.planted.push([dataset.to_string(), key.to_string(), rule.to_string(), detail.into()]);
    }

    /// A random company-time instant in month `index`, weighted to waking hours.
    fn time_in(&mut self, index: usize) -> NaiveDateTime {
        let day = self.rng.below(days_in(index) as usize) as i64;
        let hour = *self.rng.weighted(&[
            (0i64, 0.5),
            (7, 1.0),
            (9, 3.0),
            (12, 2.0),
            (14, 3.0),
            (18, 2.0),
            (20, 2.5),
            (22, 1.0),
        ]);
        let seconds = hour * 3600 + self.rng.below(2 * 3600) as i64;
        month_start(index).and_hms_opt(0, 0, 0).unwrap_or_default() + Duration::days(day) + Duration::seconds(seconds)
    }

    fn volume(&self, index: usize) -> f64 {
        let month = month_start(index).month0() as usize;
        SEASON[month] * (1.0 + 0.018 * index as f64) * self.scale
    }

    fn chinese_name(&mut self) -> String {
        format!("{}{}", self.rng.pick(SURNAMES), self.rng.pick(GIVEN_NAMES))
    }

    fn email(&mut self) -> String {
        let letters: String = (0..5 + self.rng.below(4)).map(|_| (b'a' + self.rng.below(26) as u8) as char).collect();
        format!("{letters}{}@{}", self.rng.below(1000), self.rng.pick(MAIL_DOMAINS))
    }

    fn phone(&mut self) -> String {
        format!("1{}{}{:08}", self.rng.pick(&["3", "5", "8"]), self.rng.below(10), self.rng.below(100_000_000))
    }

    fn visitor(&mut self, returning: f64) -> Visitor {
        if !self.visitors.is_empty() && self.rng.chance(returning) {
            let i = self.visitors.len() - 1 - self.rng.below(self.visitors.len().min(3000));
            return self.visitors[i].clone();
        }
        let prefix = *self.rng.pick(CONSUMER_PREFIXES);
        let v = Visitor {
            id: self.next_id("V", 7),
            ip: format!("{prefix}.{}.{}", self.rng.below(256), 1 + self.rng.below(254)),
            agent: self.rng.pick::<&str>(BROWSER_AGENTS),
        };
        self.visitors.push(v.clone());
        v
    }

    fn reference_data(&mut self) {
        let teams = Text::new("exports/org/teams.csv").bom();
        let mut teams = teams.header(&["team_id", "name", "department", "manager_id", "scheme"]);
        for t in TEAMS {
            teams.row(&[t.id, t.name, t.department, t.manager, t.scheme]);
        }
        self.files.add(teams);

        // Saved by Excel on a Chinese Windows machine: GBK.
        let mut people = Text::new("exports/org/people.csv").gbk().header(&[
            "工号 person_id",
            "姓名 name",
            "团队 team_id",
            "邮箱 email",
            "岗位 role",
            "上级 manager_id",
            "入职日期 hired_at",
            "离职日期 left_at",
            "奖金基数 base_bonus",
        ]);
        for p in PEOPLE {
            let email = email_of(p.id);
            people.row(&[p.id, p.name, p.team, &email, p.role, manager_of(p), p.hired_at, "", p.base_bonus]);
        }
        self.files.add(people);

        let mut campaigns =
            Text::new("exports/org/campaigns.csv").header(&["campaign_id", "team_id", "name", "channel", "owner_id"]);
        for c in CAMPAIGNS {
            campaigns.row(&[c.id, c.team, c.name, c.channel, c.owner]);
        }
        self.files.add(campaigns);

        let mut accounts =
            Text::new("exports/org/social_accounts.csv").header(&["account_id", "team_id", "platform", "name"]);
        for a in SOCIAL_ACCOUNTS {
            accounts.row(&[a.id, a.team, a.platform, a.name]);
        }
        self.files.add(accounts);
    }

    /// One month of web analytics and the leads its forms (and offline channels) produce.
    fn web_and_leads(&mut self, index: usize) {
        let label = month_label(index);
        let mut events: Vec<[String; 12]> = Vec::new();
        let volume = self.volume(index);
        let sessions = self.rng.around(430.0 * volume);
        let campaign_weights: Vec<(Option<&'static Campaign>, f64)> = CAMPAIGNS
            .iter()
            .map(|c| (Some(c), c.traffic * performance(c.owner, index)))
            .chain([(None, 0.18)])
            .collect();
        for _ in 0..sessions {
            let campaign = *self.rng.weighted(&campaign_weights);
            let visitor = self.visitor(0.3);
            let start = self.time_in(index);
            let form_rate = campaign.map(|c| c.form_rate).unwrap_or(0.025);
            let submits = self.rng.chance(form_rate);
            let delay = 2 + self.rng.below(60) as i64;
            self.session(&mut events, &visitor, campaign, start, submits, delay, None);
        }
        self.plant_web_fraud(index, &mut events);
        self.offline_leads(index);
        self.plant_lead_fraud(index);

        if index == MONTHS - 1 {
            // The last second of October in company time, and an instant that is already November there.
            let v = self.visitor(0.0);
            let last = month_start(MONTHS).and_hms_opt(0, 0, 0).unwrap_or_default() - Duration::seconds(1);
            let id = self.next_id("E", 8);
            events.push(event_row(&id, &iso(last), "page_view", &v, "S-BOUNDARY-1", None, "/", Some(4200), None));
            let id = self.next_id("E", 8);
            events.push([
                id,
                "2026-10-31T16:30:00Z".into(),
                "page_view".into(),
                v.id.clone(),
                "S-BOUNDARY-2".into(),
                String::new(),
                "direct".into(),
                "/".into(),
                v.ip.clone(),
                v.agent.into(),
                "3100".into(),
                String::new(),
            ]);
        }

        events.sort_by(|a, b| a[1].cmp(&b[1]).then(a[0].cmp(&b[0])));
        let mut file = self.text(&format!("exports/web/web_events_{label}.csv")).header(EVENT_HEADER);
        for e in &events {
            file.row(&e.iter().map(String::as_str).collect::<Vec<_>>());
        }
        self.files.add(file);
    }

    /// Page views, maybe a click and a form; a form makes a lead. Returns the lead id.
    #[allow(clippy::too_many_arguments)]
    fn session(
        &mut self,
        events: &mut Vec<[String; 12]>,
        visitor: &Visitor,
        campaign: Option<&'static Campaign>,
        start: NaiveDateTime,
        submits: bool,
        form_delay_seconds: i64,
        fake: Option<&str>,
    ) -> Option<String> {
        let session = self.next_id("S", 7);
        let views = 1 + self.rng.below(4);
        let mut t = start;
        for v in 0..views {
            let page = if v == 0 { "/" } else { *self.rng.pick(PAGES) };
            let id = self.next_id("E", 8);
            let duration = 4_000 + self.rng.below(110_000) as i64;
            let time = if self.rng.chance(0.1) { iso_utc(t) } else { iso(t) };
            events.push(event_row(&id, &time, "page_view", visitor, &session, campaign, page, Some(duration), None));
            if fake.is_some() && v == 0 {
                break;
            }
            t += Duration::seconds(10 + self.rng.below(170) as i64);
        }
        if fake.is_none() && self.rng.chance(0.35) {
            let id = self.next_id("E", 8);
            events.push(event_row(&id, &iso(t), "click", visitor, &session, campaign, "/products", None, None));
        }
        if !submits {
            return None;
        }
        let submitted = if fake.is_some() {
            start + Duration::seconds(form_delay_seconds)
        } else {
            t + Duration::seconds(form_delay_seconds)
        };
        if submitted >= cutoff() {
            return None;
        }
        let lead_id = self.next_id("L", 6);
        let event_id = self.next_id("E", 8);
        events.push(event_row(
            &event_id,
            &iso(submitted),
            "form_submit",
            visitor,
            &session,
            campaign,
            "/contact",
            None,
            Some(&lead_id),
        ));
        if let Some(rule) = fake {
            self.plant(
                "web_events",
                &event_id,
                rule,
                format!("form {}s after the first page view", form_delay_seconds),
            );
        }
        let channel = campaign.map(|c| c.channel).unwrap_or("direct");
        self.new_lead(
            lead_id.clone(),
            submitted + Duration::seconds(30),
            campaign.map(|c| c.id),
            channel,
            Some(visitor.id.clone()),
            fake.is_some(),
        );
        Some(lead_id)
    }

    fn new_lead(
        &mut self,
        id: String,
        created: NaiveDateTime,
        campaign: Option<&'static str>,
        channel: &'static str,
        visitor: Option<String>,
        fake: bool,
    ) {
        let owner = *self.rng.weighted(LEAD_OWNERS);
        let index = month_index(created).unwrap_or(0);
        let perf = performance(owner, index);
        let hours = |rng: &mut Rng, lo: f64, hi: f64| Duration::minutes((rng.range(lo, hi) * 60.0) as i64);
        let first_contact = Some(created + hours(&mut self.rng, 1.0, 30.0)).filter(|t| *t < cutoff());
        let mql_chance = if fake { 0.5 } else { (0.62 * perf).min(0.95) };
        let mql =
            self.rng.chance(mql_chance).then(|| created + hours(&mut self.rng, 20.0, 200.0)).filter(|t| *t < cutoff());
        let sql_chance = (0.42 * perf).min(0.9);
        let sql = mql
            .and_then(|m| self.rng.chance(sql_chance).then(|| m + hours(&mut self.rng, 48.0, 430.0)))
            .filter(|t| *t < cutoff());
        if !fake && let Some(m) = mql.and_then(month_index) {
            *self.clean_mql.entry((owner, m)).or_default() += 1.0;
        }
        let lead = Lead {
            id,
            created,
            email: self.email(),
            phone: self.phone(),
            name: self.chinese_name(),
            company: format!("{}{}", self.rng.pick(COMPANY_WORDS), self.rng.pick(COMPANY_KINDS)),
            owner,
            campaign,
            channel,
            visitor,
            mql,
            sql,
            first_contact,
            is_test: false,
            fake,
        };
        self.leads.push(lead);
    }

    fn offline_leads(&mut self, index: usize) {
        let count = self.rng.around(70.0 * self.volume(index));
        for _ in 0..count {
            let created = self.time_in(index);
            let (campaign, channel) = *self.rng.weighted(&[
                ((Some("C202"), "email"), 0.35),
                ((Some("C203"), "event"), 0.35),
                ((None, "referral"), 0.3),
            ]);
            let id = self.next_id("L", 6);
            self.new_lead(id, created, campaign, channel, None, false);
        }
    }

    /// Bots, scripts, data-centre and office traffic, bursts, duplicates and fast or repeated forms.
    fn plant_web_fraud(&mut self, index: usize, events: &mut Vec<[String; 12]>) {
        for (rule, agents, count) in [("UA_BOT", BOT_AGENTS, 14), ("UA_NONBROWSER", NON_BROWSER_AGENTS, 6)] {
            for _ in 0..count {
                let t = self.time_in(index);
                let v = Visitor {
                    id: self.next_id("V", 7),
                    ip: format!(
                        "{}.{}.{}",
                        self.rng.pick(CONSUMER_PREFIXES),
                        self.rng.below(256),
                        1 + self.rng.below(254)
                    ),
                    agent: self.rng.pick::<&str>(agents),
                };
                let page = *self.rng.pick(PAGES);
                let id = self.planted_view(events, &v, t, None, page, 0);
                self.plant(
                    "web_events",
                    &id,
                    rule,
                    if v.agent.is_empty() { "empty user agent".to_string() } else { v.agent.to_string() },
                );
            }
        }
        for (rule, count) in [("IP_DATACENTER", 5), ("IP_INTERNAL", 8)] {
            for _ in 0..count {
                let ip = if rule == "IP_INTERNAL" {
                    format!("{OFFICE_PREFIX}.{}", 10 + self.rng.below(40))
                } else {
                    format!(
                        "{}.{}.{}",
                        self.rng.pick(DATACENTER_PREFIXES),
                        self.rng.below(256),
                        1 + self.rng.below(254)
                    )
                };
                let v =
                    Visitor { id: self.next_id("V", 7), ip: ip.clone(), agent: self.rng.pick::<&str>(BROWSER_AGENTS) };
                let t = self.time_in(index);
                let campaign = Some(&CAMPAIGNS[self.rng.below(4)]);
                let id = self.planted_view(events, &v, t, campaign, "/", 8000);
                self.plant("web_events", &id, rule, ip);
            }
        }
        let label = month_label(index);
        // A cookie-rotating bot: 75 page views from one IP in under a minute.
        if ["2025-11", "2026-06", "2026-10"].contains(&label.as_str()) {
            let ip = format!("{}.77.{}", CONSUMER_PREFIXES[1], 10 + index);
            let start = self.time_in(index);
            let campaign = Some(&CAMPAIGNS[4]);
            for k in 0..75 {
                let v = Visitor { id: self.next_id("V", 7), ip: ip.clone(), agent: BROWSER_AGENTS[0] };
                let t = start + Duration::milliseconds(k * 700);
                let id = self.planted_view(events, &v, t, campaign, "/", 300);
                self.plant("web_events", &id, "RATE_IP", format!("75 events from {ip} in 53 s"));
            }
        }
        // One visitor reloading 40 times in under a minute.
        if ["2025-06", "2026-10"].contains(&label.as_str()) {
            let v = self.visitor(0.0);
            let start = self.time_in(index);
            let session = self.next_id("S", 7);
            for k in 0..40 {
                let id = self.next_id("E", 8);
                let t = start + Duration::milliseconds(k * 1400);
                events.push(event_row(
                    &id,
                    &iso(t),
                    "page_view",
                    &v,
                    &session,
                    Some(&CAMPAIGNS[0]),
                    "/pricing",
                    Some(500),
                    None,
                ));
                self.plant("web_events", &id, "RATE_VISITOR", format!("40 events from visitor {} in 55 s", v.id));
            }
        }
        // The tracker sent a few events twice.
        if index >= MONTHS - 3 {
            for _ in 0..4 {
                let i = self.rng.below(events.len());
                let copy = events[i].clone();
                self.plant("web_events", &copy[0], "DUP_EVENT", "the same event_id twice in one export");
                events.push(copy);
            }
        }
        // Forms filled by a script one second after landing.
        for _ in 0..2 {
            let v = self.visitor(0.0);
            let t = self.time_in(index);
            let campaign = Some(&CAMPAIGNS[4]);
            if let Some(lead) = self.session(events, &v, campaign, t, true, 1, Some("FORM_FAST")) {
                self.plant("leads", &lead, "LEAD_FROM_FLAGGED", "its form was FORM_FAST");
            }
        }
        // One IP submitting five forms within three hours.
        if ["2026-03", "2026-10"].contains(&label.as_str()) {
            let ip = format!("{}.99.{}", CONSUMER_PREFIXES[3], 20 + index);
            let start = self.time_in(index).min(cutoff() - Duration::hours(4));
            for k in 0..5 {
                let v = Visitor { id: self.next_id("V", 7), ip: ip.clone(), agent: BROWSER_AGENTS[2] };
                let t = start + Duration::minutes(k * 35);
                let rule = if k == 0 { None } else { Some("FORM_BURST") };
                let lead = self.session(events, &v, Some(&CAMPAIGNS[4]), t, true, 25, rule);
                if let (Some(lead), Some(_)) = (lead, rule) {
                    self.plant("leads", &lead, "LEAD_FROM_FLAGGED", "its form was FORM_BURST");
                }
            }
        }
    }

    /// One planted page view in a session of its own; returns the event id.
    fn planted_view(
        &mut self,
        events: &mut Vec<[String; 12]>,
        visitor: &Visitor,
        t: NaiveDateTime,
        campaign: Option<&Campaign>,
        page: &str,
        duration_ms: i64,
    ) -> String {
        let id = self.next_id("E", 8);
        let session = self.next_id("S", 7);
        events.push(event_row(&id, &iso(t), "page_view", visitor, &session, campaign, page, Some(duration_ms), None));
        id
    }

    /// Duplicate, disposable and test leads.
    fn plant_lead_fraud(&mut self, index: usize) {
        let month_leads: Vec<usize> = (0..self.leads.len())
            .filter(|&i| month_index(self.leads[i].created) == Some(index) && !self.leads[i].fake)
            .collect();
        for k in 0..2 {
            let Some(&original) = month_leads.get(k * 7) else { break };
            let created = (self.leads[original].created + Duration::hours(30)).min(cutoff() - Duration::minutes(5));
            let id = self.next_id("L", 6);
            let campaign = self.leads[original].campaign;
            let channel = self.leads[original].channel;
            self.new_lead(id.clone(), created, campaign, channel, None, true);
            let (email, phone, name) = {
                let o = &self.leads[original];
                (o.email.clone(), o.phone.clone(), o.name.clone())
            };
            let dup = self.leads.last_mut().map(|l| {
                if k == 0 {
                    // Same mailbox, written differently.
                    let (local, domain) = email.split_once('@').unwrap_or((&email, "gmail.com"));
                    l.email = if domain == "gmail.com" {
                        format!("{}.{}+promo@gmail.com", &local[..2], &local[2..]).to_uppercase()
                    } else {
                        email.to_uppercase()
                    };
                } else {
                    // Same phone, written as E.164 with separators.
                    l.phone = format!("+86 {}-{}-{}", &phone[..3], &phone[3..7], &phone[7..]);
                }
                l.name = name;
            });
            if dup.is_some() {
                let why = if k == 0 { "same e-mail as" } else { "same phone as" };
                self.plant("leads", &id, "LEAD_DUP", format!("{why} {}", self.leads[original].id));
            }
        }
        for k in 0..2 {
            let t = self.time_in(index).min(cutoff() - Duration::minutes(5));
            let id = self.next_id("L", 6);
            self.new_lead(id.clone(), t, Some("C201"), "sem", None, true);
            let domain = DISPOSABLE_DOMAINS[(index + k) % DISPOSABLE_DOMAINS.len()];
            if let Some(l) = self.leads.last_mut() {
                l.email = format!("x{}{}@{domain}", index, k);
            }
            self.plant("leads", &id, "LEAD_DISPOSABLE", domain);
        }
        let t = self.time_in(index).min(cutoff() - Duration::minutes(5));
        let id = self.next_id("L", 6);
        self.new_lead(id.clone(), t, None, "direct", None, true);
        let detail = match index % 3 {
            0 => {
                if let Some(l) = self.leads.last_mut() {
                    l.is_test = true;
                }
                "is_test"
            }
            1 => {
                if let Some(l) = self.leads.last_mut() {
                    l.email = format!("qa{index}@example.com");
                }
                "example.com"
            }
            _ => {
                if let Some(l) = self.leads.last_mut() {
                    l.email = format!("demo{index}@test.com");
                }
                "test.com"
            }
        };
        self.plant("leads", &id, "LEAD_TEST", detail);
    }

    /// Orders: won leads become customers; customers buy again, some churn; and the brushing.
    fn orders(&mut self) {
        // Customers from before the data starts.
        for _ in 0..(600.0 * self.scale) as usize {
            let owner = *self.rng.pick(&SALES_OWNERS[..3]);
            let c = Customer { id: self.next_id("C", 6), email: self.email(), owner, since: 0, churned_at: None };
            self.customers.push(c);
        }
        // Won leads.
        let won: Vec<(String, NaiveDateTime)> = self
            .leads
            .iter()
            .filter(|l| !l.fake && l.sql.is_some())
            .filter_map(|l| l.sql.map(|s| (l.id.clone(), s)))
            .collect();
        for (lead, sql) in won {
            if !self.rng.chance(0.32) {
                continue;
            }
            let at = sql + Duration::hours(self.rng.range(48.0, 600.0) as i64);
            let Some(index) = month_index(at).filter(|_| at < cutoff()) else { continue };
            let owner = self.sales_owner(index);
            let c = Customer { id: self.next_id("C", 6), email: self.email(), owner, since: index, churned_at: None };
            let (id, email) = (c.id.clone(), c.email.clone());
            self.customers.push(c);
            self.order(id, email, owner, at, Some(lead));
        }
        for index in 0..MONTHS {
            // New customers through other channels.
            for _ in 0..self.rng.around(30.0 * self.volume(index)) {
                let owner = self.sales_owner(index);
                let c =
                    Customer { id: self.next_id("C", 6), email: self.email(), owner, since: index, churned_at: None };
                let (id, email) = (c.id.clone(), c.email.clone());
                self.customers.push(c);
                let at = self.time_in(index);
                self.order(id, email, owner, at, None);
            }
            // Repeat purchases and churn.
            let season = SEASON[month_start(index).month0() as usize];
            for i in 0..self.customers.len() {
                let c = &self.customers[i];
                if c.churned_at.is_some() || c.since > index {
                    continue;
                }
                let (id, email, owner) = (c.id.clone(), c.email.clone(), c.owner);
                if self.rng.chance(0.025) {
                    self.customers[i].churned_at = Some(index);
                    continue;
                }
                if self.rng.chance(0.085 * season * performance(owner, index)) {
                    let at = self.time_in(index);
                    self.order(id, email, owner, at, None);
                }
            }
            self.plant_order_fraud(index);
        }
        self.write_orders();
    }

    fn sales_owner(&mut self, index: usize) -> &'static str {
        let hired = month_start(index) >= NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or(NaiveDate::MAX);
        let owners = if hired { SALES_OWNERS } else { &SALES_OWNERS[..3] };
        self.rng.pick::<&str>(owners)
    }

    fn order(&mut self, customer: String, email: String, owner: &'static str, at: NaiveDateTime, lead: Option<String>) {
        let OrderTerms { cents, currency, margin_cents, status, refunded_at } =
            OrderTerms::draw(&mut self.rng, at, cutoff());
        let id = self.next_id("O", 7);
        let pretty_amount = self.rng.chance(0.05);
        self.orders.push(Order {
            id,
            customer,
            owner,
            at,
            cents,
            currency,
            status,
            refunded_at,
            lead,
            margin_cents,
            email,
            pretty_amount,
            brushed: false,
        });
    }

    fn plant_order_fraud(&mut self, index: usize) {
        let quarter_end = month_start(index).month().is_multiple_of(3);
        if quarter_end {
            // Refunded within days: a brushed sale.
            let owner = self.sales_owner(index);
            let at = self.time_in(index).min(cutoff() - Duration::days(3));
            let customer = self.customers[self.rng.below(self.customers.len())].id.clone();
            let email = self.email();
            self.order(customer, email, owner, at, None);
            if let Some(o) = self.orders.last_mut() {
                o.status = "refunded";
                o.refunded_at = Some(at + Duration::days(2));
                o.cents *= 3;
                o.brushed = true;
                let id = o.id.clone();
                self.plant("orders", &id, "ORDER_BRUSH", "refunded 2 days after the order");
            }
            // An employee buying from their own team.
            let employee = PEOPLE[8 + index % 3].id;
            let at = self.time_in(index);
            let id = self.next_id("C", 6);
            let owner = self.sales_owner(index);
            self.order(id, email_of(employee), owner, at, None);
            if let Some(o) = self.orders.last_mut() {
                o.brushed = true;
                let id = o.id.clone();
                self.plant("orders", &id, "ORDER_BRUSH", format!("customer_email is {employee}'s"));
            }
            // Three identical orders from one customer in one day.
            let customer = self.customers[self.rng.below(self.customers.len())].id.clone();
            let email = self.email();
            let owner = self.sales_owner(index);
            let at = self.time_in(index).min(cutoff() - Duration::days(1));
            let cents = 88_800;
            for k in 0..3 {
                self.order(customer.clone(), email.clone(), owner, at + Duration::minutes(17 * k), None);
                if let Some(o) = self.orders.last_mut() {
                    o.cents = cents;
                    o.status = "paid";
                    o.currency = "CNY";
                    o.brushed = true;
                    let id = o.id.clone();
                    self.plant("orders", &id, "ORDER_BRUSH", format!("3 orders of 888.00 from {customer} on one day"));
                }
            }
        }
        if index % 8 == 3 {
            let owner = self.sales_owner(index);
            let at = self.time_in(index);
            let customer = self.customers[self.rng.below(self.customers.len())].id.clone();
            let email = self.email();
            self.order(customer, email, owner, at, None);
            if let Some(o) = self.orders.last_mut() {
                o.cents = if index % 16 == 3 { 0 } else { -12_000 };
                o.status = "paid";
                o.brushed = true;
            }
        }
    }

    fn order_row(o: &Order) -> Vec<String> {
        vec![
            o.id.clone(),
            o.customer.clone(),
            o.owner.to_string(),
            iso(o.at),
            if o.pretty_amount { money_pretty(o.cents) } else { money(o.cents) },
            o.currency.to_string(),
            o.status.to_string(),
            o.refunded_at.map(iso).unwrap_or_default(),
            o.lead.clone().unwrap_or_default(),
            o.margin_cents.map(money).unwrap_or_default(),
            o.email.clone(),
        ]
    }

    fn write_orders(&mut self) {
        self.orders.sort_by(|a, b| a.at.cmp(&b.at).then(a.id.cmp(&b.id)));
        let mut by_month: BTreeMap<usize, Vec<Vec<String>>> = BTreeMap::new();
        for o in &self.orders {
            by_month.entry(month_index(o.at).unwrap_or(0)).or_default().push(Self::order_row(o));
        }
        let mut planted = Vec::new();
        // Duplicate order ids: the shop exported a few orders twice.
        for index in [6usize, 14, 19] {
            if let Some(rows) = by_month.get_mut(&index)
                && let Some(row) = rows.get(rows.len() / 2).cloned()
            {
                planted.push((row[0].clone(), "ORDER_VOID", "duplicate order_id".to_string()));
                rows.push(row);
            }
        }
        for (index, rows) in &by_month {
            let mut file = Text::new(&format!("exports/shop/orders_{}.csv", month_label(*index))).header(ORDER_HEADER);
            for row in rows {
                file.row(&row.iter().map(String::as_str).collect::<Vec<_>>());
            }
            if *index == MONTHS - 2 {
                // Malformed rows a real shop export had.
                file.row(&[
                    "O9000001",
                    "C000001",
                    "P010",
                    "2026-09-31 10:00:00",
                    "100.00",
                    "CNY",
                    "paid",
                    "",
                    "",
                    "",
                    "a@qq.com",
                ]);
                file.row(&[
                    "O9000002",
                    "C000002",
                    "P010",
                    "2026-09-12T10:00:00+08:00",
                    "N/A",
                    "CNY",
                    "paid",
                    "",
                    "",
                    "",
                    "b@qq.com",
                ]);
                file.row(&[
                    "O9000003",
                    "",
                    "P011",
                    "2026-09-13T11:00:00+08:00",
                    "250.00",
                    "CNY",
                    "paid",
                    "",
                    "",
                    "",
                    "c@qq.com",
                ]);
                file.row(&[
                    "O9000004",
                    "C000004",
                    "P011",
                    "2026-09-14T12:00:00+08:00",
                    "80.00",
                    "CNY",
                    "paid",
                    "",
                    "",
                    "",
                    "d@qq.com",
                    "extra",
                ]);
                file.row(&[
                    "O9000005",
                    "C000005",
                    "P009",
                    "2026-09-15T13:00:00+08:00",
                    "99.00",
                    "CNY",
                    "shipped",
                    "",
                    "",
                    "",
                    "e@qq.com",
                ]);
                for (k, why) in ["invalid date", "amount N/A", "customer_id empty", "12 fields", "status shipped"]
                    .iter()
                    .enumerate()
                {
                    let line = rows.len() + 2 + k;
                    planted.push((
                        format!("exports/shop/orders_{}.csv:{line}", month_label(*index)),
                        "INGEST_REJECT",
                        why.to_string(),
                    ));
                }
            }
            self.files.add(file);
        }
        // A re-export of the last ten days of October, taken two days later: three sales were refunded.
        let window = cutoff() - Duration::days(10);
        let mut reexport =
            Text::new(&format!("exports/shop/orders_{}_reexport.csv", month_label(MONTHS - 1))).header(ORDER_HEADER);
        let mut changed = 0;
        for o in self.orders.iter_mut().filter(|o| o.at >= window && o.at < cutoff()) {
            planted.push((o.id.clone(), "INGEST_REEXPORT", "superseded by the re-export".to_string()));
            if changed < 3
                && o.status == "paid"
                && o.currency == "CNY"
                && o.cents > 0
                && o.at < cutoff() - Duration::days(4)
                && o.at > cutoff() - Duration::days(6)
            {
                changed += 1;
                o.status = "refunded";
                o.refunded_at = Some(cutoff() - Duration::hours(20));
                o.brushed = true;
                planted.push((o.id.clone(), "ORDER_BRUSH", "refunded within 7 days (in the re-export)".to_string()));
            }
            let row = Self::order_row(o);
            reexport.row(&row.iter().map(String::as_str).collect::<Vec<_>>());
        }
        self.files.add(reexport);
        // Void orders and the plan's revenue, from each order's final state.
        for o in &self.orders {
            if o.status != "paid" {
                planted.push((o.id.clone(), "ORDER_VOID", o.status.to_string()));
            } else if o.cents <= 0 {
                planted.push((o.id.clone(), "ORDER_VOID", "amount ≤ 0".to_string()));
            } else if !o.brushed
                && o.currency == "CNY"
                && let Some(index) = month_index(o.at)
            {
                *self.clean_revenue.entry((o.owner, index)).or_default() += o.cents as f64 / 100.0;
            }
        }
        for (key, rule, detail) in planted {
            let dataset = "orders";
            self.plant(dataset, &key, rule, detail);
        }
    }

    fn customer_activity(&mut self) {
        let mut ordered: BTreeMap<(usize, String), ()> = BTreeMap::new();
        for o in &self.orders {
            if let Some(i) = month_index(o.at) {
                ordered.insert((i, o.customer.clone()), ());
            }
        }
        for index in 0..MONTHS {
            let mut rows = Vec::new();
            for i in 0..self.customers.len() {
                let c = &self.customers[i];
                let active = c.since <= index && c.churned_at.is_none_or(|m| m > index);
                let id = c.id.clone();
                if !active || !self.rng.chance(0.3) {
                    continue;
                }
                for _ in 0..1 + self.rng.below(2) {
                    let t = self.time_in(index);
                    let what = *self.rng.pick(&["login", "app_open", "support_ticket", "webinar", "download"]);
                    rows.push((t, id.clone(), what));
                }
            }
            rows.sort();
            let mut file = self.text(&format!("exports/app/customer_activity_{}.jsonl", month_label(index))).jsonl(&[
                "customer_id",
                "active_at",
                "activity",
            ]);
            for (t, id, what) in rows {
                file.row(&[&id, &iso(t), what]);
            }
            self.files.add(file);
        }
        // App installs since the app launched in 2026; the app backend writes naive UTC times.
        let mut installs = Text::new("exports/app/app_events.jsonl").jsonl(&[
            "event_id",
            "event_time",
            "event_type",
            "visitor_id",
            "channel",
            "user_agent",
        ]);
        for index in 15..MONTHS {
            for _ in 0..self.rng.around(40.0 * self.volume(index)) {
                let t = self.time_in(index);
                let id = self.next_id("A", 8);
                let v = self.next_id("V", 7);
                let agent = *self.rng.pick(&["DemoTradeApp/2.3 (iPhone; iOS 17.5)", "DemoTradeApp/2.3 (Android 14)"]);
                installs.row(&[&id, &naive(t - Duration::hours(8)), "install", &v, "app_store", agent]);
            }
        }
        self.files.add(installs);
    }

    fn nps(&mut self) {
        let recent: Vec<(usize, String)> = self
            .orders
            .iter()
            .filter(|o| o.status == "paid")
            .filter_map(|o| Some((month_index(o.at)?, o.customer.clone())))
            .collect();
        let comments = ["服务很好", "交付及时", "价格偏高", "客服响应慢", "产品好用", "", "", ""];
        let mut halves: BTreeMap<String, Vec<[String; 6]>> = BTreeMap::new();
        let mut answered = std::collections::BTreeSet::new();
        for index in 0..MONTHS {
            let pool: Vec<&String> =
                recent.iter().filter(|(m, _)| *m + 2 >= index && *m <= index).map(|(_, c)| c).collect();
            if pool.is_empty() {
                continue;
            }
            let start = month_start(index);
            let half = format!("{}-H{}", start.year(), if start.month() <= 6 { 1 } else { 2 });
            for k in 0..self.rng.around(45.0 * self.scale) {
                // One response per customer and half-year; only the planted duplicates break that.
                let mut customer = pool[self.rng.below(pool.len())].clone();
                for _ in 0..20 {
                    if !answered.contains(&(half.clone(), customer.clone())) {
                        break;
                    }
                    customer = pool[self.rng.below(pool.len())].clone();
                }
                if !answered.insert((half.clone(), customer.clone())) {
                    continue;
                }
                let score = *self.rng.weighted(&[
                    (10, 0.25),
                    (9, 0.22),
                    (8, 0.2),
                    (7, 0.13),
                    (6, 0.08),
                    (5, 0.05),
                    (3, 0.04),
                    (0, 0.03),
                ]);
                let team = if self.rng.chance(0.7) { "T03" } else { "T02" };
                let id = self.next_id("R", 6);
                let t = self.time_in(index);
                let row = [
                    id.clone(),
                    iso(t),
                    score.to_string(),
                    customer.clone(),
                    team.to_string(),
                    self.rng.pick(&comments).to_string(),
                ];
                halves.entry(half.clone()).or_default().push(row);
                if k == 0 && index % 3 == 1 {
                    // The same customer answering twice in a half-year.
                    let again = self.next_id("R", 6);
                    let later = (t + Duration::days(9)).min(cutoff() - Duration::hours(1));
                    halves.entry(half.clone()).or_default().push([
                        again.clone(),
                        iso(later),
                        "10".into(),
                        customer,
                        team.into(),
                        String::new(),
                    ]);
                    self.plant("nps_responses", &again, "NPS_DUP", "second response in the half-year");
                }
            }
        }
        for (half, mut rows) in halves {
            rows.sort_by(|a, b| a[1].cmp(&b[1]).then(a[0].cmp(&b[0])));
            let mut file = Text::new(&format!("exports/survey/nps_{half}.csv")).header(&[
                "response_id",
                "submitted_at",
                "score",
                "customer_id",
                "team_id",
                "comment",
            ]);
            for r in &rows {
                file.row(&r.iter().map(String::as_str).collect::<Vec<_>>());
            }
            self.files.add(file);
        }
    }

    /// Daily spend per campaign, as the ads platform exports it: Parquet with typed columns.
    fn ad_spend(&mut self) {
        let mut years: BTreeMap<String, Vec<writer::SpendRow>> = BTreeMap::new();
        let mut day = month_start(0);
        let mut n = 0;
        while day < month_start(MONTHS) {
            let index = month_index(day.and_hms_opt(12, 0, 0).unwrap_or_default()).unwrap_or(0);
            let season = SEASON[day.month0() as usize];
            for c in CAMPAIGNS {
                let cents =
                    (c.daily_cost * season * self.rng.range(0.7, 1.3) * 100.0 * performance(c.owner, index).sqrt())
                        .round() as i64;
                let fiscal = if day < NaiveDate::from_ymd_opt(2025, 10, 1).unwrap_or(NaiveDate::MAX) {
                    "2024-10_2025-09"
                } else {
                    "2025-10_2026-10"
                };
                let row = writer::SpendRow { date: day, channel: c.channel, campaign: c.id, team: c.team, cents };
                let rows = years.entry(fiscal.to_string()).or_default();
                n += 1;
                if n % 2400 == 7 {
                    // A correction posted as a negative cost.
                    rows.push(writer::SpendRow { cents: -cents, ..row });
                    self.plant(
                        "ad_spend",
                        &format!("{}|{}|{}", day, c.channel, c.id),
                        "SPEND_INVALID",
                        "negative cost",
                    );
                    continue;
                }
                rows.push(writer::SpendRow { ..row });
                if n % 2400 == 1201 {
                    rows.push(writer::SpendRow { ..row });
                    self.plant(
                        "ad_spend",
                        &format!("{}|{}|{}", day, c.channel, c.id),
                        "SPEND_INVALID",
                        "duplicate row",
                    );
                }
            }
            day += Duration::days(1);
        }
        for (span, rows) in years {
            self.files.add_spend(&format!("exports/ads/ad_spend_{span}.parquet"), rows);
        }
    }

    fn social(&mut self) {
        let spikes = [("A03", "2026-10-12"), ("A02", "2026-03-08"), ("A04", "2025-11-11")];
        for a in SOCIAL_ACCOUNTS {
            let mut file = Text::new(&format!("exports/social/social_{}_{}.csv", a.platform, a.id)).header(&[
                "date",
                "account_id",
                "platform",
                "followers",
                "likes",
                "comments",
                "shares",
                "posts",
            ]);
            let mut followers = a.followers_at_start * self.scale;
            let mut day = month_start(0);
            while day < month_start(MONTHS) {
                followers *= 1.0 + a.monthly_growth / 30.0 + 0.002 * self.rng.normal();
                let season = SEASON[day.month0() as usize];
                let mut engagement = followers * a.engagement * season * self.rng.range(0.6, 1.4);
                let date = day.format("%Y-%m-%d").to_string();
                if spikes.contains(&(a.id, date.as_str())) {
                    engagement *= 15.0;
                    self.plant("social_stats", &format!("{date}|{}", a.id), "SOCIAL_SPIKE", "engagement 15× the usual");
                }
                let likes = (engagement * 0.7).round() as i64;
                let comments = (engagement * 0.15).round() as i64;
                let shares = (engagement * 0.15).round() as i64;
                let posts = self.rng.below(3);
                file.row(&[
                    &date,
                    a.id,
                    a.platform,
                    &(followers.round() as i64).to_string(),
                    &likes.to_string(),
                    &comments.to_string(),
                    &shares.to_string(),
                    &posts.to_string(),
                ]);
                day += Duration::days(1);
            }
            self.files.add(file);
        }
    }

    fn fx_rates(&mut self) {
        let mut file = Text::new("exports/finance/fx_rates.csv").header(&["date", "currency", "rate_to_base"]);
        let mut rate = 7.10;
        let mut day = month_start(0);
        while day < month_start(MONTHS) {
            rate = f64::clamp(rate + 0.01 * self.rng.normal(), 6.9, 7.4);
            file.row(&[&day.format("%Y-%m-%d").to_string(), "USD", &format!("{rate:.4}")]);
            day += Duration::days(1);
        }
        self.files.add(file);
    }

    /// Targets for every period, entity and KPI a scheme scores: counts from the plan (the clean
    /// actuals without the performance bends), rates from the company's plan figures.
    fn targets(&mut self) {
        // (kpi, cycle months, company plan rate or None for counts)
        const RATES: &[(&str, usize, f64)] = &[
            ("uv_growth_yoy", 1, 0.15),
            ("lead_conversion_rate", 1, 0.055),
            ("sql_conversion_rate", 1, 0.40),
            ("social_engagement_rate", 1, 0.17),
            ("cpl", 3, 160.0),
            ("cac", 3, 2100.0),
            ("mroi", 3, 0.05),
            ("win_rate", 3, 0.25),
            ("asp", 3, 2000.0),
            ("retention_rate", 3, 0.30),
            ("nps", 6, 35.0),
            ("clv", 12, 9000.0),
        ];
        const TEAM_KPIS: &[(&str, &[&str])] = &[
            ("T01", &["uv_growth_yoy", "social_engagement_rate", "lead_conversion_rate", "cpl", "mql_count"]),
            ("T02", &["lead_conversion_rate", "mql_count", "cpl", "sql_conversion_rate", "win_rate"]),
            ("T03", &["revenue", "win_rate", "asp", "clv", "retention_rate", "nps"]),
        ];
        let mut periods: Vec<(String, Vec<usize>, usize)> = Vec::new();
        for index in 0..MONTHS {
            periods.push((month_label(index), vec![index], 1));
        }
        for (label, len) in [("Q", 3usize), ("H", 6), ("", 12)] {
            let mut groups: BTreeMap<String, Vec<usize>> = BTreeMap::new();
            for index in 0..MONTHS {
                let d = month_start(index);
                let n = d.month0() as usize / len + 1;
                let key = if label.is_empty() { d.year().to_string() } else { format!("{}-{label}{n}", d.year()) };
                groups.entry(key).or_default().push(index);
            }
            periods.extend(groups.into_iter().map(|(k, v)| (k, v, len)));
        }
        let plan_count = |map: &BTreeMap<(&'static str, usize), f64>, people: &[&str], months: &[usize]| -> f64 {
            people
                .iter()
                .map(|p| {
                    months.iter().map(|m| map.get(&(*p, *m)).copied().unwrap_or(0.0) / performance(p, *m)).sum::<f64>()
                })
                .sum()
        };
        let mut file =
            Text::new("exports/plan/targets.csv").header(&["period", "entity_type", "entity_id", "kpi", "target"]);
        let all: Vec<&str> = PEOPLE.iter().map(|p| p.id).collect();
        for (period, months, len) in &periods {
            let mut entities: Vec<(&str, &str, Vec<&str>, Vec<&str>)> = vec![(
                "company",
                "DEMO",
                all.clone(),
                vec![
                    "uv_growth_yoy",
                    "lead_conversion_rate",
                    "mql_count",
                    "cpl",
                    "cac",
                    "mroi",
                    "sql_conversion_rate",
                    "win_rate",
                    "asp",
                    "clv",
                    "social_engagement_rate",
                    "retention_rate",
                    "nps",
                    "revenue",
                ],
            )];
            for (team, kpis) in TEAM_KPIS {
                let members: Vec<&str> = PEOPLE.iter().filter(|p| p.team == *team).map(|p| p.id).collect();
                entities.push(("team", team, members.clone(), kpis.to_vec()));
                for m in members {
                    let personal: Vec<&str> = kpis
                        .iter()
                        .copied()
                        .filter(|k| !matches!(*k, "social_engagement_rate" | "nps" | "clv"))
                        .collect();
                    entities.push(("person", m, vec![m], personal));
                }
            }
            // A period the data ends inside (2026-Q4, 2026) is planned for all its months: the months
            // without data at the average of those with it.
            let ends_inside = months.last() == Some(&(MONTHS - 1)) && months.len() < *len;
            let whole = if ends_inside { *len as f64 / months.len() as f64 } else { 1.0 };
            // Counts are planned per person (revenue in hundreds); a team's target is its people's summed
            // and the company's its teams' (those planned on the KPI), so the plan adds up.
            let person_target = |kpi: &str, person: &str| {
                let (plan, unit) = if kpi == "revenue" { (&self.clean_revenue, 100.0) } else { (&self.clean_mql, 1.0) };
                (plan_count(plan, &[person], months) * 0.95 * whole / unit).round() * unit
            };
            let planned = |kpi: &str| -> Vec<&str> {
                TEAM_KPIS
                    .iter()
                    .filter(|(_, kpis)| kpis.contains(&kpi))
                    .flat_map(|(team, _)| PEOPLE.iter().filter(move |p| p.team == *team).map(|p| p.id))
                    .collect()
            };
            for (kind, id, people, kpis) in entities {
                for kpi in kpis {
                    let value = match kpi {
                        "mql_count" | "revenue" => {
                            let people = if kind == "company" { planned(kpi) } else { people.clone() };
                            people.iter().map(|p| person_target(kpi, p)).sum()
                        }
                        _ => match RATES.iter().find(|(k, _, _)| *k == kpi) {
                            Some((_, cycle, _)) if cycle > len => continue,
                            Some((_, _, rate)) => *rate,
                            None => continue,
                        },
                    };
                    if value <= 0.0 {
                        continue;
                    }
                    let text = if value.fract() == 0.0 { format!("{value:.0}") } else { format!("{value:.4}") };
                    file.row(&[period, kind, id, kpi, &text]);
                }
            }
        }
        self.files.add(file);
    }

    fn write_leads(&mut self) {
        // Until 2026-06 the old CRM's canonical export; from 2026-07 Zoho CRM with its own headers
        // and naive local times.
        let migrated = month_start(21).and_hms_opt(0, 0, 0).unwrap_or_default();
        let mut by_month: BTreeMap<usize, Vec<&Lead>> = BTreeMap::new();
        let mut leads: Vec<&Lead> = self.leads.iter().collect();
        leads.sort_by(|a, b| a.created.cmp(&b.created).then(a.id.cmp(&b.id)));
        for l in leads {
            by_month.entry(month_index(l.created).unwrap_or(0)).or_default().push(l);
        }
        let mut files = Vec::new();
        for (index, leads) in by_month {
            let zoho = month_start(index).and_hms_opt(0, 0, 0).unwrap_or_default() >= migrated;
            let fmt = |t: Option<NaiveDateTime>| t.map(if zoho { naive } else { iso }).unwrap_or_default();
            let mut file = if zoho {
                Text::new(&format!("exports/zoho/Leads_{}.csv", month_start(index).format("%Y_%m"))).header(&[
                    "Record Id",
                    "Lead Owner Id",
                    "Full Name",
                    "Email",
                    "Phone",
                    "Company",
                    "Lead Source",
                    "Campaign Id",
                    "Lead Status",
                    "Created Time",
                    "MQL Date",
                    "SQL Date",
                    "First Contacted Time",
                    "Visitor Id",
                    "Test Lead",
                ])
            } else {
                Text::new(&format!("exports/crm/leads_{}.csv", month_label(index))).header(LEAD_HEADER)
            };
            for l in leads {
                let status = if l.sql.is_some() {
                    "SQL"
                } else if l.mql.is_some() {
                    "MQL"
                } else if l.first_contact.is_some() {
                    "Contacted"
                } else {
                    "New"
                };
                let test = if zoho {
                    if l.is_test { "true" } else { "false" }
                } else if l.is_test {
                    "1"
                } else {
                    "0"
                };
                file.row(&[
                    &l.id,
                    l.owner,
                    &l.name,
                    &l.email,
                    &l.phone,
                    &l.company,
                    l.channel,
                    l.campaign.unwrap_or(""),
                    status,
                    &fmt(Some(l.created)),
                    &fmt(l.mql),
                    &fmt(l.sql),
                    &fmt(l.first_contact),
                    l.visitor.as_deref().unwrap_or(""),
                    test,
                ]);
            }
            files.push(file);
        }
        for f in files {
            self.files.add(f);
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn event_row(
    id: &str,
    time: &str,
    kind: &str,
    visitor: &Visitor,
    session: &str,
    campaign: Option<&Campaign>,
    page: &str,
    duration: Option<i64>,
    lead: Option<&str>,
) -> [String; 12] {
    [
        id.to_string(),
        time.to_string(),
        kind.to_string(),
        visitor.id.clone(),
        session.to_string(),
        campaign.map(|c| c.id.to_string()).unwrap_or_default(),
        campaign.map(|c| c.channel).unwrap_or("direct").to_string(),
        page.to_string(),
        visitor.ip.clone(),
        visitor.agent.to_string(),
        duration.map(|d| d.to_string()).unwrap_or_default(),
        lead.unwrap_or("").to_string(),
    ]
}
