//! The benchmark company: one calendar year (2025) of every export, at the size a close must handle
//! (README, "Demo data") — at `--scale 1`, 50 million web events, about a million leads and 200 thousand
//! orders, daily spend for 50 campaigns and stats for 20 social accounts, 500 people in 30 teams.
//!
//! Unlike the demo company it streams: web events, leads and orders are written a day at a time as
//! they are generated, so the generator's memory stays flat (tens of MiB) however large the year.
//! Same seed and scale, same bytes.
//!
//! Traffic has a realistic share of fraud for the audit rules to find (about 4 % of events): search
//! crawlers, scripts, data-centre and office traffic, cookie-rotating and reloading bursts, events
//! the tracker sent twice, forms filled a second after landing and form bursts from one address;
//! leads re-entered with the same e-mail, disposable and test leads; brushed, voided and negative
//! orders. No `planted.csv`: the demo company is the one with a precision/recall key.

use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::io;
use std::path::Path;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, Weekday};

use super::company::{
    BOT_AGENTS, BROWSER_AGENTS, COMPANY_KINDS, COMPANY_WORDS, CONSUMER_PREFIXES, DATACENTER_PREFIXES,
    DISPOSABLE_DOMAINS, GIVEN_NAMES, MAIL_DOMAINS, NON_BROWSER_AGENTS, OFFICE_PREFIX, PAGES, SURNAMES,
};
use super::writer::{CsvStream, Files, SpendRow, Text};
use super::{EVENT_HEADER, LEAD_HEADER, ORDER_HEADER, OrderTerms, Rng, SEASON, iso, iso_utc, money, naive};

const YEAR: i32 = 2025;
/// Volumes of the year at scale 1 (README, "Demo data": the benchmark company).
const WEB_EVENTS: f64 = 50_000_000.0;
const LEADS: f64 = 1_000_000.0;
const ORDERS: f64 = 200_000.0;
const PEOPLE: usize = 500;
const TEAMS: usize = 30;
const CAMPAIGNS: usize = 50;
const ACCOUNTS: usize = 20;
/// Events in one human session, on average: 1–5 page views, a click in 35 % of them.
const EVENTS_PER_SESSION: f64 = 3.35;
/// Share of the day's events that are people; the rest is the fraud above.
const HUMAN_SHARE: f64 = 0.958;
const OFFLINE_LEAD_SHARE: f64 = 0.1;
/// The company's id in the plan (as the demo configuration names it).
const COMPANY_ID: &str = "DEMO";

/// What was written, with the row counts of the large exports.
pub struct YearSummary {
    pub files: Vec<(String, u64)>,
    pub rows: BTreeMap<&'static str, u64>,
}

impl fmt::Display for YearSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (path, bytes) in &self.files {
            writeln!(f, "{bytes:>12}  {path}")?;
        }
        let total: u64 = self.files.iter().map(|(_, b)| b).sum();
        writeln!(f, "{} files, {total} bytes", self.files.len())?;
        let rows: Vec<String> = self.rows.iter().map(|(k, v)| format!("{v} {k}")).collect();
        writeln!(f, "{}", rows.join(", "))
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Brand,
    Lead,
    Sales,
}

struct Team {
    id: String,
    name: String,
    kind: Kind,
    members: Vec<usize>,
}

struct Person {
    id: String,
    name: String,
    team: usize,
    role: &'static str,
    hired: NaiveDate,
    base_bonus_cents: i64,
    /// How well they perform against plan (1.0 = plan).
    ability: f64,
    /// The first of two months they fall short in, if any.
    slump: Option<u32>,
}

struct Campaign {
    id: String,
    team: usize,
    name: String,
    channel: &'static str,
    owner: usize,
    daily_cost: f64,
}

struct Account {
    id: String,
    team: usize,
    platform: &'static str,
    followers: f64,
    growth: f64,
    engagement: f64,
}

#[derive(Clone)]
struct Event {
    id: u64,
    at: NaiveDateTime,
    kind: &'static str,
    visitor: u64,
    session: u64,
    campaign: Option<usize>,
    page: &'static str,
    ip: String,
    agent: &'static str,
    duration_ms: Option<u32>,
    lead: Option<u64>,
    utc: bool,
}

struct Customer {
    id: u64,
    email: String,
    owner: usize,
    since: u32,
    churned: Option<u32>,
}

struct Order {
    id: u64,
    customer: u64,
    /// A customer whose first order this is: added to the customers when the order happens.
    new_customer: Option<(String, usize)>,
    email: String,
    owner: usize,
    at: NaiveDateTime,
    cents: i64,
    currency: &'static str,
    status: &'static str,
    refunded_at: Option<NaiveDateTime>,
    lead: Option<u64>,
    margin_cents: Option<i64>,
    brushed: bool,
}

/// Writes the benchmark year under `out/exports` (replacing it).
pub fn generate(out: &Path, scale: f64, seed: u64) -> io::Result<YearSummary> {
    let exports = out.join("exports");
    if exports.exists() {
        std::fs::remove_dir_all(&exports)?;
    }
    let mut g = Year::new(seed, scale.max(0.0001));
    let mut written = Vec::new();
    written.extend(g.org().write_beside(out)?);
    g.days(out, &mut written)?;
    let mut files = Files::default();
    g.ad_spend(&mut files);
    g.social(&mut files);
    g.fx_rates(&mut files);
    g.targets(&mut files);
    written.extend(files.write_beside(out)?);
    written.sort();
    Ok(YearSummary { files: written, rows: g.rows })
}

struct Year {
    rng: Rng,
    scale: f64,
    teams: Vec<Team>,
    people: Vec<Person>,
    campaigns: Vec<Campaign>,
    accounts: Vec<Account>,
    /// Campaign weights for web sessions (index `CAMPAIGNS` = no campaign) and their form rates.
    traffic: Vec<(usize, f64)>,
    traffic_cumulative: Vec<f64>,
    form_rate: Vec<f64>,
    next: BTreeMap<char, u64>,
    visitors: u64,
    recent_emails: Vec<(String, String)>,
    customers: Vec<Customer>,
    pending: BTreeMap<NaiveDate, Vec<Order>>,
    recent_buyers: Vec<u64>,
    nps_answered: HashSet<(u32, u64)>,
    /// Clean MQLs and paid revenue (cents) by (person, month), for the plan.
    clean_mql: BTreeMap<(usize, u32), f64>,
    clean_revenue: BTreeMap<(usize, u32), f64>,
    rows: BTreeMap<&'static str, u64>,
}

fn day_weight(day: NaiveDate) -> f64 {
    let weekend = matches!(day.weekday(), Weekday::Sat | Weekday::Sun);
    SEASON[day.month0() as usize] * if weekend { 0.8 } else { 1.0 }
}

fn days_of_year() -> impl Iterator<Item = NaiveDate> {
    let first = NaiveDate::from_ymd_opt(YEAR, 1, 1).unwrap_or_default();
    first.iter_days().take_while(|d| d.year() == YEAR)
}

fn cutoff() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(YEAR + 1, 1, 1).unwrap_or_default().and_hms_opt(0, 0, 0).unwrap_or_default()
}

/// A fixed mixing of a number, for attributes derived from an id (a visitor's address and browser).
fn mix(n: u64) -> u64 {
    Rng(n ^ 0x005E_ED0F_B1A5).next()
}

fn person_email(id: &str) -> String {
    format!("{}@demo-trading.cn", id.to_lowercase())
}

impl Year {
    fn new(seed: u64, scale: f64) -> Year {
        Year {
            rng: Rng(seed),
            scale,
            teams: Vec::new(),
            people: Vec::new(),
            campaigns: Vec::new(),
            accounts: Vec::new(),
            traffic: Vec::new(),
            traffic_cumulative: Vec::new(),
            form_rate: Vec::new(),
            next: BTreeMap::new(),
            visitors: 0,
            recent_emails: Vec::new(),
            customers: Vec::new(),
            pending: BTreeMap::new(),
            recent_buyers: Vec::new(),
            nps_answered: HashSet::new(),
            clean_mql: BTreeMap::new(),
            clean_revenue: BTreeMap::new(),
            rows: BTreeMap::new(),
        }
    }

    fn id(&mut self, prefix: char) -> u64 {
        let n = self.next.entry(prefix).or_insert(0);
        *n += 1;
        *n
    }

    fn count(&mut self, what: &'static str, n: u64) {
        *self.rows.entry(what).or_insert(0) += n;
    }

    /// A count whose average is `mean`, small means included (0.3 is 1 in 30 % of calls).
    fn some(&mut self, mean: f64) -> usize {
        let whole = mean.max(0.0).floor();
        whole as usize + usize::from(self.rng.chance(mean - whole))
    }

    fn performance(&self, person: usize, month: u32) -> f64 {
        let p = &self.people[person];
        match p.slump {
            Some(m) if month == m || month == m + 1 => 0.55,
            _ => p.ability,
        }
    }

    fn chinese_name(&mut self) -> String {
        format!("{}{}", self.rng.pick(SURNAMES), self.rng.pick(GIVEN_NAMES))
    }

    fn email(&mut self) -> String {
        let letters: String = (0..5 + self.rng.below(4)).map(|_| (b'a' + self.rng.below(26) as u8) as char).collect();
        format!("{letters}{}@{}", self.rng.below(10_000), self.rng.pick(MAIL_DOMAINS))
    }

    fn phone(&mut self) -> String {
        format!("1{}{}{:08}", self.rng.pick(&["3", "5", "8"]), self.rng.below(10), self.rng.below(100_000_000))
    }

    /// A member of a team of this kind, hired by `day`.
    fn member(&mut self, kind: Kind, team: Option<usize>, day: NaiveDate) -> usize {
        for _ in 0..50 {
            let t = match team {
                Some(t) => t,
                None => {
                    let teams: Vec<usize> = (0..self.teams.len()).filter(|t| self.teams[*t].kind == kind).collect();
                    *self.rng.pick(&teams)
                }
            };
            let p = *self.rng.pick(&self.teams[t].members);
            if self.people[p].hired <= day {
                return p;
            }
        }
        self.teams.iter().find(|t| t.kind == kind).map(|t| t.members[0]).unwrap_or(0)
    }

    /// The organisation: 30 teams (10 per scheme), 500 people, 50 campaigns, 20 social accounts.
    fn org(&mut self) -> Files {
        const NUMBERS: &[&str] = &["一", "二", "三", "四", "五", "六", "七", "八", "九", "十"];
        for t in 0..TEAMS {
            let kind = [Kind::Brand, Kind::Lead, Kind::Sales][t / 10];
            let prefix = match kind {
                Kind::Brand => "品牌曝光",
                Kind::Lead => "线索转化",
                Kind::Sales => "销售支持",
            };
            self.teams.push(Team {
                id: format!("T{:02}", t + 1),
                name: format!("{prefix}{}组", NUMBERS[t % 10]),
                kind,
                members: Vec::new(),
            });
        }
        let epoch = NaiveDate::from_ymd_opt(2014, 1, 1).unwrap_or_default();
        for p in 0..PEOPLE {
            // Team sizes differ by at most one; the first member of a team is its manager.
            let team = p % TEAMS;
            let manager = self.teams[team].members.is_empty();
            let role = match (manager, self.teams[team].kind) {
                (true, _) => "经理",
                (false, Kind::Brand) => *self.rng.pick(&["品牌专员", "内容运营", "社媒运营"]),
                (false, Kind::Lead) => *self.rng.pick(&["投放专员", "线索运营"]),
                (false, Kind::Sales) => "销售代表",
            };
            let hired = if !manager && self.rng.chance(0.04) {
                NaiveDate::from_ymd_opt(YEAR, 2 + self.rng.below(9) as u32, 1 + self.rng.below(28) as u32)
                    .unwrap_or(epoch)
            } else {
                epoch + Duration::days(self.rng.below(3650) as i64)
            };
            let base = if manager { 28_000 + self.rng.below(6) * 1000 } else { 12_000 + self.rng.below(8) * 1000 };
            let ability = self.rng.range(0.8, 1.3);
            let slump = self.rng.chance(0.04).then(|| 2 + self.rng.below(10) as u32);
            let name = self.chinese_name();
            self.people.push(Person {
                id: format!("P{:04}", p + 1),
                name,
                team,
                role,
                hired,
                base_bonus_cents: base as i64 * 100,
                ability,
                slump,
            });
            self.teams[team].members.push(p);
        }
        // 20 campaigns for the brand teams, 25 for lead conversion, 5 for sales.
        let owners: Vec<usize> = (0..10).flat_map(|t| [t, t]).chain((10..20).flat_map(|t| [t, t])).collect();
        let owners: Vec<usize> = owners.into_iter().chain(10..15).chain(20..25).collect();
        for (c, team) in owners.into_iter().enumerate() {
            let kind = self.teams[team].kind;
            let channel = match kind {
                Kind::Brand => *self.rng.pick(&["sem", "social", "seo", "social"]),
                Kind::Lead => *self.rng.pick(&["sem", "email", "event", "sem"]),
                Kind::Sales => "email",
            };
            let members = self.teams[team].members.len();
            let owner = self.teams[team].members[1 + self.rng.below(members - 1)];
            let (weight, form) = match kind {
                Kind::Brand => (1.4, 0.6),
                Kind::Lead => (1.0, 2.0),
                Kind::Sales => (0.3, 0.7),
            };
            self.traffic.push((c, weight * self.rng.range(0.5, 1.5)));
            self.form_rate.push(form * self.rng.range(0.8, 1.2));
            let name = format!("{}推广{:02}", channel.to_uppercase(), c + 1);
            let daily_cost = self.rng.range(4000.0, 12000.0) * self.scale;
            self.campaigns.push(Campaign { id: format!("C{:03}", c + 1), team, name, channel, owner, daily_cost });
        }
        // Sessions without a campaign: 18 % of traffic, forms at half the brand rate.
        let campaign_weight: f64 = self.traffic.iter().map(|(_, w)| w).sum();
        self.traffic.push((CAMPAIGNS, campaign_weight * 0.18 / 0.82));
        self.form_rate.push(0.3);
        // Scale the relative form rates so forms make 90 % of the year's leads.
        let sessions = WEB_EVENTS * HUMAN_SHARE / EVENTS_PER_SESSION;
        let average = self.traffic.iter().map(|(c, w)| w * self.form_rate[*c]).sum::<f64>()
            / self.traffic.iter().map(|(_, w)| w).sum::<f64>();
        let factor = LEADS * (1.0 - OFFLINE_LEAD_SHARE) / sessions / average;
        for r in &mut self.form_rate {
            *r *= factor;
        }
        self.traffic_cumulative = self
            .traffic
            .iter()
            .scan(0.0, |sum, (_, w)| {
                *sum += w;
                Some(*sum)
            })
            .collect();
        const PLATFORMS: &[&str] = &["wechat", "weibo", "douyin", "xiaohongshu", "bilibili"];
        for a in 0..ACCOUNTS {
            let followers = self.rng.range(5_000.0, 300_000.0);
            let (growth, engagement) = (self.rng.range(0.005, 0.04), self.rng.range(0.15, 0.2));
            self.accounts.push(Account {
                id: format!("A{:02}", a + 1),
                team: a / 2,
                platform: PLATFORMS[a % PLATFORMS.len()],
                followers,
                growth,
                engagement,
            });
        }

        let mut files = Files::default();
        let mut teams =
            Text::new("exports/org/teams.csv").bom().header(&["team_id", "name", "department", "manager_id", "scheme"]);
        for t in &self.teams {
            let (department, scheme) = match t.kind {
                Kind::Brand => ("市场部", "brand_exposure"),
                Kind::Lead => ("数字推广部", "lead_conversion"),
                Kind::Sales => ("销售部", "sales_support"),
            };
            teams.row(&[&t.id, &t.name, department, &self.people[t.members[0]].id, scheme]);
        }
        files.add(teams);
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
        for p in &self.people {
            let team = &self.teams[p.team];
            let manager = &self.people[team.members[0]].id;
            let manager = if *manager == p.id { "" } else { manager.as_str() };
            people.row(&[
                &p.id,
                &p.name,
                &team.id,
                &person_email(&p.id),
                p.role,
                manager,
                &p.hired.to_string(),
                "",
                &money(p.base_bonus_cents),
            ]);
        }
        files.add(people);
        let mut campaigns =
            Text::new("exports/org/campaigns.csv").header(&["campaign_id", "team_id", "name", "channel", "owner_id"]);
        for c in &self.campaigns {
            campaigns.row(&[&c.id, &self.teams[c.team].id, &c.name, c.channel, &self.people[c.owner].id]);
        }
        files.add(campaigns);
        let mut accounts =
            Text::new("exports/org/social_accounts.csv").header(&["account_id", "team_id", "platform", "name"]);
        for a in &self.accounts {
            let name = format!("示例贸易{}号 {}", a.platform, a.id);
            accounts.row(&[&a.id, &self.teams[a.team].id, a.platform, &name]);
        }
        files.add(accounts);
        files
    }

    /// The year day by day: web events and the leads their forms make, orders as they fall due,
    /// customer activity and survey answers; each month's files closed when the month ends.
    fn days(&mut self, out: &Path, written: &mut Vec<(String, u64)>) -> io::Result<()> {
        let total_weight: f64 = days_of_year().map(day_weight).sum();
        let per_weight = WEB_EVENTS * self.scale / total_weight;
        let orders_per_weight = ORDERS * self.scale / total_weight;
        // Customers from before the year: their repeat orders are most of the year's orders.
        for _ in 0..(25_000.0 * self.scale).round() as usize {
            let day = NaiveDate::from_ymd_opt(YEAR, 1, 1).unwrap_or_default();
            let owner = self.member(Kind::Sales, None, day);
            let id = self.id('C');
            let email = self.email();
            let churned = self.rng.chance(0.2).then(|| 1 + self.rng.below(12) as u32);
            self.customers.push(Customer { id, email, owner, since: 0, churned });
        }
        let mut month_files: Option<(u32, CsvStream, CsvStream, CsvStream)> = None;
        let mut nps: Option<(u32, CsvStream)> = None;
        let mut app = Text::new("exports/app/app_events.jsonl").jsonl(&[
            "event_id",
            "event_time",
            "event_type",
            "visitor_id",
            "channel",
            "user_agent",
        ]);
        for day in days_of_year() {
            let month = day.month();
            if month_files.as_ref().is_none_or(|(m, ..)| *m != month) {
                if let Some((m, events, leads, orders)) = month_files.take() {
                    written.extend([events.finish()?, leads.finish()?, orders.finish()?]);
                    written.push(self.customer_activity(out, m)?);
                }
                let label = format!("{YEAR}-{month:02}");
                month_files = Some((
                    month,
                    CsvStream::create(out, &format!("exports/web/web_events_{label}.csv"), EVENT_HEADER)?,
                    CsvStream::create(out, &format!("exports/crm/leads_{label}.csv"), LEAD_HEADER)?,
                    CsvStream::create(out, &format!("exports/shop/orders_{label}.csv"), ORDER_HEADER)?,
                ));
            }
            let half = if month <= 6 { 1 } else { 2 };
            if nps.as_ref().is_none_or(|(h, _)| *h != half) {
                if let Some((_, file)) = nps.take() {
                    written.push(file.finish()?);
                }
                let header = &["response_id", "submitted_at", "score", "customer_id", "team_id", "comment"];
                nps = Some((half, CsvStream::create(out, &format!("exports/survey/nps_{YEAR}-H{half}.csv"), header)?));
            }
            let Some((_, events, leads, orders)) = month_files.as_mut() else { continue };
            let target = (per_weight * day_weight(day)).round() as usize;
            self.web_day(day, target, events, leads)?;
            self.repeat_orders(day, orders_per_weight * day_weight(day));
            self.brushed_orders(day);
            self.orders_due(day, orders)?;
            if let Some((_, file)) = nps.as_mut() {
                self.nps_day(day, file)?;
            }
            for _ in 0..self.rng.around(110.0 * self.scale * day_weight(day)) {
                let t = self.time_on(day) - Duration::hours(8);
                let id = format!("A{:08}", self.id('A'));
                let visitor = self.id('V') + 1_000_000_000;
                let agent = *self.rng.pick(&["DemoTradeApp/2.3 (iPhone; iOS 17.5)", "DemoTradeApp/2.3 (Android 14)"]);
                app.row(&[&id, &naive(t), "install", &format!("V{visitor:010}"), "app_store", agent]);
            }
        }
        if let Some((m, events, leads, orders)) = month_files.take() {
            written.extend([events.finish()?, leads.finish()?, orders.finish()?]);
            written.push(self.customer_activity(out, m)?);
        }
        if let Some((_, file)) = nps.take() {
            written.push(file.finish()?);
        }
        let mut files = Files::default();
        files.add(app);
        written.extend(files.write_beside(out)?);
        Ok(())
    }

    /// A company-time instant on `day`, weighted to waking hours.
    fn time_on(&mut self, day: NaiveDate) -> NaiveDateTime {
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
        day.and_hms_opt(0, 0, 0).unwrap_or_default() + Duration::seconds(seconds)
    }

    fn visitor_ip(visitor: u64) -> String {
        let h = mix(visitor);
        let prefix = CONSUMER_PREFIXES[(h % CONSUMER_PREFIXES.len() as u64) as usize];
        format!("{prefix}.{}.{}", (h >> 8) % 256, 1 + (h >> 16) % 254)
    }

    fn visitor_agent(visitor: u64) -> &'static str {
        BROWSER_AGENTS[((mix(visitor) >> 24) % BROWSER_AGENTS.len() as u64) as usize]
    }

    /// A person: new, or one of the last 200 000 coming back.
    fn human(&mut self) -> u64 {
        if self.visitors > 0 && self.rng.chance(0.3) {
            self.visitors - self.rng.below(self.visitors.min(200_000) as usize) as u64
        } else {
            self.visitors += 1;
            self.visitors
        }
    }

    fn new_visitor(&mut self) -> u64 {
        self.visitors += 1;
        self.visitors
    }

    #[allow(clippy::too_many_arguments)]
    fn event(
        &mut self,
        day: &mut Vec<Event>,
        at: NaiveDateTime,
        kind: &'static str,
        visitor: u64,
        session: u64,
        campaign: Option<usize>,
        page: &'static str,
        ip: &str,
        agent: &'static str,
        duration_ms: Option<u32>,
    ) -> usize {
        let id = self.id('E');
        let utc = self.rng.chance(0.05);
        day.push(Event {
            id,
            at,
            kind,
            visitor,
            session,
            campaign,
            page,
            ip: ip.to_string(),
            agent,
            duration_ms,
            lead: None,
            utc,
        });
        day.len() - 1
    }

    /// One visit: page views, maybe a click, maybe a form `form_after` seconds after the last view
    /// (or after landing, for a script); a form makes a lead.
    #[allow(clippy::too_many_arguments)]
    fn session(
        &mut self,
        day: &mut Vec<Event>,
        leads: &mut CsvStream,
        visitor: u64,
        ip: &str,
        agent: &'static str,
        start: NaiveDateTime,
        campaign: Option<usize>,
        views: usize,
        form: Option<(i64, bool)>,
    ) -> io::Result<()> {
        let session = self.id('S');
        let mut t = start;
        for v in 0..views {
            let page = if v == 0 { "/" } else { *self.rng.pick(PAGES) };
            let duration = 4_000 + self.rng.below(110_000) as u32;
            self.event(day, t, "page_view", visitor, session, campaign, page, ip, agent, Some(duration));
            t += Duration::seconds(10 + self.rng.below(170) as i64);
        }
        if form.is_none() && self.rng.chance(0.35) {
            self.event(day, t, "click", visitor, session, campaign, "/products", ip, agent, None);
        }
        let Some((after, fake)) = form else { return Ok(()) };
        let submitted = if fake { start + Duration::seconds(after) } else { t + Duration::seconds(after) };
        if submitted + Duration::seconds(30) >= cutoff() {
            return Ok(());
        }
        let i = self.event(day, submitted, "form_submit", visitor, session, campaign, "/contact", ip, agent, None);
        let lead = self.lead(leads, submitted + Duration::seconds(30), campaign, Some(visitor), fake)?;
        day[i].lead = Some(lead);
        Ok(())
    }

    /// One day of web traffic, `target` events, and the leads it makes (with the day's offline leads).
    fn web_day(
        &mut self,
        day: NaiveDate,
        target: usize,
        events: &mut CsvStream,
        leads: &mut CsvStream,
    ) -> io::Result<()> {
        let mut today: Vec<Event> = Vec::with_capacity(target + target / 20);
        let human = (target as f64 * HUMAN_SHARE) as usize;
        while today.len() < human {
            let campaign = self.campaign_pick();
            let form_rate = self.form_rate[campaign];
            let campaign = (campaign < CAMPAIGNS).then_some(campaign);
            let visitor = self.human();
            let (ip, agent) = (Self::visitor_ip(visitor), Self::visitor_agent(visitor));
            let start = self.time_on(day);
            let views = 1 + self.rng.below(5);
            let form = self.rng.chance(form_rate).then(|| (2 + self.rng.below(60) as i64, false));
            self.session(&mut today, leads, visitor, &ip, agent, start, campaign, views, form)?;
        }
        self.bots(day, target, &mut today, leads)?;
        let web_leads = human as f64 / EVENTS_PER_SESSION * self.form_rate_average();
        for _ in 0..self.rng.around(web_leads * OFFLINE_LEAD_SHARE / (1.0 - OFFLINE_LEAD_SHARE)) {
            let created = self.time_on(day);
            let kind = *self.rng.pick(&[Kind::Lead, Kind::Lead, Kind::Brand]);
            let candidates: Vec<usize> =
                (0..CAMPAIGNS).filter(|c| self.teams[self.campaigns[*c].team].kind == kind).collect();
            let campaign = self.rng.chance(0.7).then(|| *self.rng.pick(&candidates));
            self.lead(leads, created, campaign, None, false)?;
        }
        // The tracker sent some events twice.
        for _ in 0..self.some(today.len() as f64 * 0.0002) {
            let copy = today[self.rng.below(today.len())].clone();
            today.push(copy);
        }
        today.sort_by(|a, b| a.at.cmp(&b.at).then(a.id.cmp(&b.id)));
        let mut cells: [String; 12] = Default::default();
        for e in &today {
            cells[0] = format!("E{:09}", e.id);
            cells[1] = if e.utc { iso_utc(e.at) } else { iso(e.at) };
            cells[3] = format!("V{:09}", e.visitor);
            cells[4] = format!("S{:09}", e.session);
            cells[5] = e.campaign.map(|c| self.campaigns[c].id.clone()).unwrap_or_default();
            cells[6] = e.campaign.map(|c| self.campaigns[c].channel).unwrap_or("direct").to_string();
            cells[10] = e.duration_ms.map(|d| d.to_string()).unwrap_or_default();
            cells[11] = e.lead.map(|l| format!("L{l:08}")).unwrap_or_default();
            events.row(&[
                &cells[0], &cells[1], e.kind, &cells[3], &cells[4], &cells[5], &cells[6], e.page, &e.ip, e.agent,
                &cells[10], &cells[11],
            ])?;
        }
        self.count("web events", today.len() as u64);
        Ok(())
    }

    /// A session's campaign (`CAMPAIGNS` for none), by traffic share.
    fn campaign_pick(&mut self) -> usize {
        let total: f64 = self.traffic_cumulative.last().copied().unwrap_or(0.0);
        let x = self.rng.unit() * total;
        let i = self.traffic_cumulative.partition_point(|c| *c <= x);
        self.traffic[i.min(self.traffic.len() - 1)].0
    }

    fn form_rate_average(&self) -> f64 {
        let total: f64 = self.traffic.iter().map(|(_, w)| w).sum();
        self.traffic.iter().map(|(c, w)| w * self.form_rate[*c]).sum::<f64>() / total
    }

    /// The day's fraud: about 4 % of its events.
    fn bots(&mut self, day: NaiveDate, target: usize, today: &mut Vec<Event>, leads: &mut CsvStream) -> io::Result<()> {
        let share = |s: f64| (target as f64 * s) as usize;
        // Search crawlers walking the site.
        let until = today.len() + share(0.018);
        while today.len() < until {
            let v = self.new_visitor();
            let (ip, agent) = (Self::visitor_ip(v), *self.rng.pick(BOT_AGENTS));
            let mut t = self.time_on(day);
            let session = self.id('S');
            for _ in 0..3 + self.rng.below(10) {
                let page = *self.rng.pick(PAGES);
                self.event(today, t, "page_view", v, session, None, page, &ip, agent, Some(200));
                t += Duration::seconds(2 + self.rng.below(18) as i64);
            }
        }
        // Scripts, cloud machines, the office.
        for (share_of_day, kind) in [(0.006, 0), (0.008, 1), (0.004, 2)] {
            let until = today.len() + share(share_of_day);
            while today.len() < until {
                let v = self.new_visitor();
                let (ip, agent) = match kind {
                    0 => (Self::visitor_ip(v), *self.rng.pick(NON_BROWSER_AGENTS)),
                    1 => {
                        let prefix = self.rng.pick(DATACENTER_PREFIXES);
                        (
                            format!("{prefix}.{}.{}", self.rng.below(256), 1 + self.rng.below(254)),
                            Self::visitor_agent(v),
                        )
                    }
                    _ => (format!("{OFFICE_PREFIX}.{}", 10 + self.rng.below(40)), Self::visitor_agent(v)),
                };
                let campaign = self.rng.chance(0.5).then(|| self.rng.below(CAMPAIGNS));
                let start = self.time_on(day);
                let views = 1 + self.rng.below(3);
                self.session(today, leads, v, &ip, agent, start, campaign, views, None)?;
            }
        }
        // Cookie-rotating bots: 70–120 page views from one address in about a minute.
        for _ in 0..self.some(3.0 * self.scale) {
            let ip =
                format!("{}.{}.{}", self.rng.pick(CONSUMER_PREFIXES), self.rng.below(256), 1 + self.rng.below(254));
            let start = self.time_on(day);
            let campaign = Some(self.rng.below(CAMPAIGNS));
            for k in 0..70 + self.rng.below(50) as i64 {
                let v = self.new_visitor();
                let session = self.id('S');
                let agent = Self::visitor_agent(v);
                let t = start + Duration::milliseconds(k * 500);
                self.event(today, t, "page_view", v, session, campaign, "/", &ip, agent, Some(300));
            }
        }
        // Someone (or something) reloading one page 35–50 times in a minute.
        for _ in 0..self.some(2.0 * self.scale) {
            let v = self.new_visitor();
            let (ip, agent) = (Self::visitor_ip(v), Self::visitor_agent(v));
            let start = self.time_on(day);
            let session = self.id('S');
            let campaign = Some(self.rng.below(CAMPAIGNS));
            for k in 0..35 + self.rng.below(15) as i64 {
                let t = start + Duration::milliseconds(k * 1300);
                self.event(today, t, "page_view", v, session, campaign, "/pricing", &ip, agent, Some(500));
            }
        }
        // Forms a script filled a second after landing.
        for _ in 0..self.some(12.0 * self.scale) {
            let v = self.new_visitor();
            let (ip, agent) = (Self::visitor_ip(v), Self::visitor_agent(v));
            let start = self.time_on(day);
            let campaign = Some(self.rng.below(CAMPAIGNS));
            self.session(today, leads, v, &ip, agent, start, campaign, 1, Some((1, true)))?;
        }
        // One address sending five forms within three hours.
        for _ in 0..self.some(self.scale) {
            let ip =
                format!("{}.{}.{}", self.rng.pick(CONSUMER_PREFIXES), self.rng.below(256), 1 + self.rng.below(254));
            let start = self.time_on(day);
            let campaign = Some(self.rng.below(CAMPAIGNS));
            for k in 0..5 {
                let v = self.new_visitor();
                let t = start + Duration::minutes(k * 35);
                self.session(today, leads, v, &ip, BROWSER_AGENTS[2], t, campaign, 1, Some((25, k > 0)))?;
            }
        }
        Ok(())
    }

    /// A lead: its owner, funnel dates, and — if it reaches SQL — maybe a first order.
    fn lead(
        &mut self,
        leads: &mut CsvStream,
        created: NaiveDateTime,
        campaign: Option<usize>,
        visitor: Option<u64>,
        fake: bool,
    ) -> io::Result<u64> {
        let id = self.id('L');
        let day = created.date();
        let owner = match campaign.map(|c| self.campaigns[c].team) {
            Some(team) if self.teams[team].kind == Kind::Lead => self.member(Kind::Lead, Some(team), day),
            _ => self.member(Kind::Lead, None, day),
        };
        let month = created.month();
        let perf = self.performance(owner, month);
        let hours = |rng: &mut Rng, lo: f64, hi: f64| Duration::minutes((rng.range(lo, hi) * 60.0) as i64);
        let first_contact = Some(created + hours(&mut self.rng, 1.0, 30.0)).filter(|t| *t < cutoff());
        let mql_chance = if fake { 0.5 } else { (0.6 * perf).min(0.95) };
        let mql =
            self.rng.chance(mql_chance).then(|| created + hours(&mut self.rng, 20.0, 200.0)).filter(|t| *t < cutoff());
        let sql = mql
            .and_then(|m| self.rng.chance((0.4 * perf).min(0.9)).then(|| m + hours(&mut self.rng, 48.0, 430.0)))
            .filter(|t| *t < cutoff());
        // Re-entered leads (the same e-mail and phone as a recent one), disposable and test leads.
        let roll = self.rng.unit();
        let (email, phone, is_test) = if roll < 0.01 && !self.recent_emails.is_empty() {
            let (e, p) = self.recent_emails[self.rng.below(self.recent_emails.len())].clone();
            (e, p, false)
        } else if roll < 0.013 {
            let user = self.email();
            let user = user.split('@').next().unwrap_or("x").to_string();
            (format!("{user}@{}", self.rng.pick(DISPOSABLE_DOMAINS)), self.phone(), false)
        } else if roll < 0.014 {
            (format!("test{id}@test.com"), "13800000000".to_string(), true)
        } else {
            let pair = (self.email(), self.phone());
            if self.recent_emails.len() < 5000 {
                self.recent_emails.push(pair.clone());
            } else {
                let i = self.rng.below(5000);
                self.recent_emails[i] = pair.clone();
            }
            (pair.0, pair.1, false)
        };
        let clean = !fake && !is_test && roll >= 0.013;
        if clean && let Some(m) = mql {
            *self.clean_mql.entry((owner, m.month())).or_default() += 1.0;
        }
        let channel = campaign
            .map(|c| self.campaigns[c].channel)
            .unwrap_or_else(|| if visitor.is_some() { "direct" } else { "referral" });
        let status = match (sql, mql, first_contact) {
            (Some(_), ..) => "SQL",
            (None, Some(_), _) => "MQL",
            (None, None, Some(_)) => "Contacted",
            _ => "New",
        };
        let name = self.chinese_name();
        let company = format!("{}{}", self.rng.pick(COMPANY_WORDS), self.rng.pick(COMPANY_KINDS));
        let fmt = |t: Option<NaiveDateTime>| t.map(iso).unwrap_or_default();
        leads.row(&[
            &format!("L{id:08}"),
            &self.people[owner].id,
            &name,
            &email,
            &phone,
            &company,
            channel,
            campaign.map(|c| self.campaigns[c].id.as_str()).unwrap_or(""),
            status,
            &iso(created),
            &fmt(mql),
            &fmt(sql),
            &fmt(first_contact),
            &visitor.map(|v| format!("V{v:09}")).unwrap_or_default(),
            if is_test { "1" } else { "0" },
        ])?;
        self.count("leads", 1);
        // A won lead becomes a customer with a first order some days after it became SQL.
        if clean && let Some(s) = sql {
            let sales = self.member(Kind::Sales, None, s.date());
            if self.rng.chance((0.25 * self.performance(sales, s.month())).min(0.9)) {
                let at = s + Duration::hours(self.rng.range(48.0, 600.0) as i64);
                if at < cutoff() {
                    let customer = self.id('C');
                    let mut order = self.order(customer, email.clone(), sales, at, Some(id));
                    order.new_customer = Some((email, sales));
                    self.pending.entry(at.date()).or_default().push(order);
                }
            }
        }
        Ok(id)
    }

    fn order(&mut self, customer: u64, email: String, owner: usize, at: NaiveDateTime, lead: Option<u64>) -> Order {
        let OrderTerms { cents, currency, margin_cents, status, refunded_at } =
            OrderTerms::draw(&mut self.rng, at, cutoff());
        Order {
            id: self.id('O'),
            customer,
            new_customer: None,
            email,
            owner,
            at,
            cents,
            currency,
            status,
            refunded_at,
            lead,
            margin_cents,
            brushed: false,
        }
    }

    /// Customers buying again, and new customers through other channels.
    fn repeat_orders(&mut self, day: NaiveDate, expected: f64) {
        let month = day.month();
        // Won leads make about a quarter of the orders, new customers from elsewhere a tenth.
        for _ in 0..self.rng.around(expected * 0.1) {
            let owner = self.member(Kind::Sales, None, day);
            let customer = self.id('C');
            let email = self.email();
            let at = self.time_on(day);
            let mut order = self.order(customer, email.clone(), owner, at, None);
            order.new_customer = Some((email, owner));
            self.pending.entry(day).or_default().push(order);
        }
        for _ in 0..self.rng.around(expected * 0.55) {
            let c = self.rng.below(self.customers.len());
            let c = &self.customers[c];
            if c.churned.is_some_and(|m| m <= month) {
                continue;
            }
            let (id, email, owner) = (c.id, c.email.clone(), c.owner);
            let at = self.time_on(day);
            let order = self.order(id, email, owner, at, None);
            self.pending.entry(day).or_default().push(order);
        }
    }

    /// Brushed sales: refunded within days, bought by an employee, three identical orders in a day;
    /// a voided duplicate and a negative amount now and then.
    fn brushed_orders(&mut self, day: NaiveDate) {
        let sales = |g: &mut Year| g.member(Kind::Sales, None, day);
        for _ in 0..self.some(2.0 * self.scale) {
            let owner = sales(self);
            let c = self.rng.below(self.customers.len());
            let (id, email) = (self.customers[c].id, self.customers[c].email.clone());
            let at = self.time_on(day).min(cutoff() - Duration::days(3));
            let mut o = self.order(id, email, owner, at, None);
            o.status = "refunded";
            o.refunded_at = Some(at + Duration::days(2));
            o.cents *= 3;
            o.brushed = true;
            self.pending.entry(day).or_default().push(o);
        }
        if day.ordinal() % 7 == 3 {
            let employee = self.rng.below(PEOPLE);
            let email = person_email(&self.people[employee].id);
            let (owner, customer, at) = (sales(self), self.id('C'), self.time_on(day));
            let mut o = self.order(customer, email, owner, at, None);
            o.brushed = true;
            self.pending.entry(day).or_default().push(o);
        }
        if day.ordinal() % 7 == 5 {
            let c = self.rng.below(self.customers.len());
            let (id, email) = (self.customers[c].id, self.customers[c].email.clone());
            let (owner, at) = (sales(self), self.time_on(day));
            for k in 0..3 {
                let mut o = self.order(id, email.clone(), owner, at + Duration::minutes(17 * k), None);
                (o.cents, o.status, o.currency, o.brushed) = (88_800, "paid", "CNY", true);
                o.refunded_at = None;
                self.pending.entry(day).or_default().push(o);
            }
        }
        if day.day() == 15 {
            let c = self.rng.below(self.customers.len());
            let (id, email) = (self.customers[c].id, self.customers[c].email.clone());
            let (owner, at) = (sales(self), self.time_on(day));
            let mut o = self.order(id, email, owner, at, None);
            (o.cents, o.status, o.brushed) = (-12_000, "paid", true);
            self.pending.entry(day).or_default().push(o);
        }
    }

    /// Writes the orders that happen on `day`, in time order.
    fn orders_due(&mut self, day: NaiveDate, file: &mut CsvStream) -> io::Result<()> {
        let Some(mut orders) = self.pending.remove(&day) else { return Ok(()) };
        orders.sort_by(|a, b| a.at.cmp(&b.at).then(a.id.cmp(&b.id)));
        let month = day.month();
        let void = day.day() == 20 && month.is_multiple_of(4);
        for (i, o) in orders.iter().enumerate() {
            if let Some((email, owner)) = &o.new_customer {
                let churned = self.rng.chance(0.25).then(|| month + 1 + self.rng.below(12) as u32);
                self.customers.push(Customer {
                    id: o.customer,
                    email: email.clone(),
                    owner: *owner,
                    since: month,
                    churned,
                });
            }
            if o.status == "paid" {
                if !o.brushed {
                    let cny = if o.currency == "USD" { o.cents as f64 * 7.1 } else { o.cents as f64 };
                    *self.clean_revenue.entry((o.owner, month)).or_default() += cny;
                }
                if self.recent_buyers.len() < 20_000 {
                    self.recent_buyers.push(o.customer);
                } else {
                    let k = self.rng.below(20_000);
                    self.recent_buyers[k] = o.customer;
                }
            }
            let row = [
                format!("O{:08}", o.id),
                format!("C{:07}", o.customer),
                self.people[o.owner].id.clone(),
                iso(o.at),
                money(o.cents),
                o.currency.to_string(),
                o.status.to_string(),
                o.refunded_at.map(iso).unwrap_or_default(),
                o.lead.map(|l| format!("L{l:08}")).unwrap_or_default(),
                o.margin_cents.map(money).unwrap_or_default(),
                o.email.clone(),
            ];
            let cells: Vec<&str> = row.iter().map(String::as_str).collect();
            file.row(&cells)?;
            // The shop exported an order twice.
            if void && i == orders.len() / 2 {
                file.row(&cells)?;
            }
        }
        self.count("orders", orders.len() as u64);
        Ok(())
    }

    /// Survey answers from recent buyers: one per customer and half-year, and a few answering twice.
    fn nps_day(&mut self, day: NaiveDate, file: &mut CsvStream) -> io::Result<()> {
        if self.recent_buyers.is_empty() {
            return Ok(());
        }
        const COMMENTS: &[&str] = &["服务很好", "交付及时", "价格偏高", "客服响应慢", "产品好用", "", "", ""];
        let half = if day.month() <= 6 { 1 } else { 2 };
        for k in 0..self.some(12.0 * self.scale) {
            let customer = self.recent_buyers[self.rng.below(self.recent_buyers.len())];
            if !self.nps_answered.insert((half, customer)) && k > 0 {
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
            let team = if self.rng.chance(0.7) { 20 + self.rng.below(10) } else { 10 + self.rng.below(10) };
            let id = format!("R{:07}", self.id('R'));
            let t = self.time_on(day);
            let comment = *self.rng.pick(COMMENTS);
            file.row(&[&id, &iso(t), &score.to_string(), &format!("C{customer:07}"), &self.teams[team].id, comment])?;
            self.count("survey answers", 1);
        }
        Ok(())
    }

    /// The month's customer activity (app logins, tickets, webinars) as JSON lines.
    fn customer_activity(&mut self, out: &Path, month: u32) -> io::Result<(String, u64)> {
        let mut file = Text::new(&format!("exports/app/customer_activity_{YEAR}-{month:02}.jsonl")).jsonl(&[
            "customer_id",
            "active_at",
            "activity",
        ]);
        let first = NaiveDate::from_ymd_opt(YEAR, month, 1).unwrap_or_default();
        let days = first.iter_days().take_while(|d| d.month() == month).count();
        let mut rows = 0;
        for i in 0..self.customers.len() {
            let c = &self.customers[i];
            let active = c.since <= month && c.churned.is_none_or(|m| m > month);
            let id = c.id;
            if !active || !self.rng.chance(0.3) {
                continue;
            }
            for _ in 0..1 + self.rng.below(2) {
                let day = first + Duration::days(self.rng.below(days) as i64);
                let t = self.time_on(day);
                let what = *self.rng.pick(&["login", "app_open", "support_ticket", "webinar", "download"]);
                file.row(&[&format!("C{id:07}"), &iso(t), what]);
                rows += 1;
            }
        }
        self.count("customer activity", rows);
        let mut files = Files::default();
        files.add(file);
        Ok(files.write_beside(out)?.remove(0))
    }

    fn ad_spend(&mut self, files: &mut Files) {
        let mut rows = Vec::new();
        for day in days_of_year() {
            for campaign in &self.campaigns {
                let perf = self.performance(campaign.owner, day.month()).sqrt();
                let cents = (campaign.daily_cost * day_weight(day) * self.rng.range(0.7, 1.3) * 100.0 * perf).round();
                rows.push(SpendRow {
                    date: day,
                    channel: campaign.channel,
                    campaign: &campaign.id,
                    team: &self.teams[campaign.team].id,
                    cents: cents as i64,
                });
            }
        }
        let count = rows.len() as u64;
        files.add_spend(&format!("exports/ads/ad_spend_{YEAR}.parquet"), rows);
        self.count("ad spend rows", count);
    }

    fn social(&mut self, files: &mut Files) {
        for a in 0..ACCOUNTS {
            let account = &self.accounts[a];
            let (id, platform, growth, rate) =
                (account.id.clone(), account.platform, account.growth, account.engagement);
            let mut followers = account.followers * self.scale.max(0.05);
            let mut file = Text::new(&format!("exports/social/social_{platform}_{id}.csv")).header(&[
                "date",
                "account_id",
                "platform",
                "followers",
                "likes",
                "comments",
                "shares",
                "posts",
            ]);
            for day in days_of_year() {
                followers *= 1.0 + growth / 30.0 + 0.002 * self.rng.normal();
                let engagement = followers * rate * day_weight(day) * self.rng.range(0.6, 1.4) / 30.0;
                let posts = self.rng.below(3);
                file.row(&[
                    &day.to_string(),
                    &id,
                    platform,
                    &(followers.round() as i64).to_string(),
                    &((engagement * 0.7).round() as i64).to_string(),
                    &((engagement * 0.15).round() as i64).to_string(),
                    &((engagement * 0.15).round() as i64).to_string(),
                    &posts.to_string(),
                ]);
            }
            self.count("social rows", 365);
            files.add(file);
        }
    }

    fn fx_rates(&mut self, files: &mut Files) {
        let mut file = Text::new("exports/finance/fx_rates.csv").header(&["date", "currency", "rate_to_base"]);
        let mut rate: f64 = 7.10;
        let first = NaiveDate::from_ymd_opt(YEAR - 1, 12, 1).unwrap_or_default();
        for day in first.iter_days().take_while(|d| d.year() <= YEAR) {
            rate = (rate + 0.01 * self.rng.normal()).clamp(6.9, 7.4);
            file.row(&[&day.to_string(), "USD", &format!("{rate:.4}")]);
        }
        files.add(file);
    }

    /// The plan: every month, quarter, half-year and the year, for the company, each team and each
    /// person, with the KPIs of the team's scheme. Counts are planned a little under what a person
    /// at plan would reach, so people above plan beat them and the slumps miss.
    fn targets(&mut self, files: &mut Files) {
        const RATES: &[(&str, usize, f64)] = &[
            ("uv_growth_yoy", 1, 0.15),
            ("lead_conversion_rate", 1, 0.055),
            ("sql_conversion_rate", 1, 0.40),
            ("social_engagement_rate", 1, 0.17),
            ("cpl", 3, 160.0),
            ("win_rate", 3, 0.25),
            ("asp", 3, 2000.0),
            ("retention_rate", 3, 0.30),
            ("nps", 6, 35.0),
            ("clv", 12, 9000.0),
        ];
        let kpis_of = |kind: Kind| -> &'static [&'static str] {
            match kind {
                Kind::Brand => &["uv_growth_yoy", "social_engagement_rate", "lead_conversion_rate", "cpl", "mql_count"],
                Kind::Lead => &["lead_conversion_rate", "mql_count", "cpl", "sql_conversion_rate", "win_rate"],
                Kind::Sales => &["revenue", "win_rate", "asp", "clv", "retention_rate", "nps"],
            }
        };
        let mut periods: Vec<(String, Vec<u32>)> = (1..=12).map(|m| (format!("{YEAR}-{m:02}"), vec![m])).collect();
        periods.extend((1..=4).map(|q| (format!("{YEAR}-Q{q}"), (3 * q - 2..=3 * q).collect())));
        periods.extend((1..=2).map(|h| (format!("{YEAR}-H{h}"), (6 * h - 5..=6 * h).collect())));
        periods.push((YEAR.to_string(), (1..=12).collect()));
        let plan = |map: &BTreeMap<(usize, u32), f64>, people: &[usize], months: &[u32], g: &Year| -> f64 {
            people
                .iter()
                .flat_map(|p| months.iter().map(move |m| (*p, *m)))
                .map(|(p, m)| map.get(&(p, m)).copied().unwrap_or(0.0) / g.performance(p, m))
                .sum()
        };
        let mut file =
            Text::new("exports/plan/targets.csv").header(&["period", "entity_type", "entity_id", "kpi", "target"]);
        let everyone: Vec<usize> = (0..PEOPLE).collect();
        let company: &[&str] = &[
            "uv_growth_yoy",
            "lead_conversion_rate",
            "mql_count",
            "cpl",
            "sql_conversion_rate",
            "win_rate",
            "asp",
            "clv",
            "social_engagement_rate",
            "retention_rate",
            "nps",
            "revenue",
        ];
        let mut rows = 0;
        for (period, months) in &periods {
            let mut entities: Vec<(&str, String, Vec<usize>, Vec<&str>)> =
                vec![("company", COMPANY_ID.to_string(), everyone.clone(), company.to_vec())];
            for team in &self.teams {
                let kpis = kpis_of(team.kind);
                entities.push(("team", team.id.clone(), team.members.clone(), kpis.to_vec()));
                for &m in &team.members {
                    let personal: Vec<&str> = kpis
                        .iter()
                        .copied()
                        .filter(|k| !matches!(*k, "social_engagement_rate" | "nps" | "clv"))
                        .collect();
                    entities.push(("person", self.people[m].id.clone(), vec![m], personal));
                }
            }
            for (kind, id, people, kpis) in entities {
                for kpi in kpis {
                    let value = match kpi {
                        "mql_count" => (plan(&self.clean_mql, &people, months, self) * 0.95).round(),
                        "revenue" => {
                            (plan(&self.clean_revenue, &people, months, self) * 0.95 / 10_000.0).round() * 100.0
                        }
                        _ => match RATES.iter().find(|(k, _, _)| *k == kpi) {
                            Some((_, cycle, _)) if *cycle > months.len() => continue,
                            Some((_, _, rate)) => *rate,
                            None => continue,
                        },
                    };
                    if value <= 0.0 {
                        continue;
                    }
                    let text = if value.fract() == 0.0 { format!("{value:.0}") } else { format!("{value:.4}") };
                    file.row(&[period, kind, &id, kpi, &text]);
                    rows += 1;
                }
            }
        }
        self.count("targets", rows);
        files.add(file);
    }
}
