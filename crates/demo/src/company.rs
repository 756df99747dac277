//! The demo company's organisation: teams, people, campaigns and social accounts, and the people
//! whose performance the generator bends so that every incentive rule has someone to fire for.

pub struct Team {
    pub id: &'static str,
    pub name: &'static str,
    pub department: &'static str,
    pub manager: &'static str,
    pub scheme: &'static str,
}

pub const TEAMS: &[Team] = &[
    Team { id: "T01", name: "品牌曝光组", department: "市场部", manager: "P001", scheme: "brand_exposure" },
    Team {
        id: "T02", name: "线索转化组", department: "数字推广部", manager: "P005", scheme: "lead_conversion"
    },
    Team { id: "T03", name: "销售支持组", department: "销售部", manager: "P009", scheme: "sales_support" },
];

pub struct Person {
    pub id: &'static str,
    pub name: &'static str,
    pub team: &'static str,
    pub role: &'static str,
    pub hired_at: &'static str,
    pub base_bonus: &'static str,
}

pub const PEOPLE: &[Person] = &[
    Person { id: "P001", name: "王芳", team: "T01", role: "经理", hired_at: "2019-03-01", base_bonus: "30000.00" },
    Person {
        id: "P002", name: "李娜", team: "T01", role: "品牌专员", hired_at: "2021-07-12", base_bonus: "15000.00"
    },
    Person {
        id: "P003", name: "张伟", team: "T01", role: "内容运营", hired_at: "2022-02-21", base_bonus: "15000.00"
    },
    Person {
        id: "P004", name: "刘洋", team: "T01", role: "社媒运营", hired_at: "2023-05-08", base_bonus: "12000.00"
    },
    Person { id: "P005", name: "陈静", team: "T02", role: "经理", hired_at: "2018-11-19", base_bonus: "30000.00" },
    Person {
        id: "P006", name: "杨磊", team: "T02", role: "投放专员", hired_at: "2020-04-01", base_bonus: "16000.00"
    },
    Person {
        id: "P007", name: "赵敏", team: "T02", role: "线索运营", hired_at: "2021-09-06", base_bonus: "15000.00"
    },
    Person {
        id: "P008", name: "黄强", team: "T02", role: "线索运营", hired_at: "2022-06-13", base_bonus: "14000.00"
    },
    Person { id: "P009", name: "周杰", team: "T03", role: "经理", hired_at: "2017-08-28", base_bonus: "32000.00" },
    Person {
        id: "P010", name: "吴婷", team: "T03", role: "销售代表", hired_at: "2020-01-06", base_bonus: "18000.00"
    },
    Person {
        id: "P011", name: "徐明", team: "T03", role: "销售代表", hired_at: "2021-03-15", base_bonus: "18000.00"
    },
    Person {
        id: "P012", name: "孙丽", team: "T03", role: "销售代表", hired_at: "2026-03-02", base_bonus: "16000.00"
    },
];

pub fn manager_of(person: &Person) -> &'static str {
    TEAMS.iter().find(|t| t.id == person.team).map(|t| t.manager).filter(|m| *m != person.id).unwrap_or("")
}

pub fn email_of(person_id: &str) -> String {
    format!("{}@demo-trading.cn", person_id.to_lowercase())
}

pub struct Campaign {
    pub id: &'static str,
    pub team: &'static str,
    pub name: &'static str,
    pub channel: &'static str,
    pub owner: &'static str,
    /// Share of web sessions.
    pub traffic: f64,
    /// Chance a session ends in a form.
    pub form_rate: f64,
    /// Average daily spend, CNY.
    pub daily_cost: f64,
}

pub const CAMPAIGNS: &[Campaign] = &[
    Campaign {
        id: "C101",
        team: "T01",
        name: "品牌搜索",
        channel: "sem",
        owner: "P002",
        traffic: 0.20,
        form_rate: 0.04,
        daily_cost: 900.0,
    },
    Campaign {
        id: "C102",
        team: "T01",
        name: "微信内容",
        channel: "social",
        owner: "P003",
        traffic: 0.14,
        form_rate: 0.03,
        daily_cost: 300.0,
    },
    Campaign {
        id: "C103",
        team: "T01",
        name: "抖音短视频",
        channel: "social",
        owner: "P004",
        traffic: 0.12,
        form_rate: 0.02,
        daily_cost: 650.0,
    },
    Campaign {
        id: "C104",
        team: "T01",
        name: "SEO 内容",
        channel: "seo",
        owner: "P002",
        traffic: 0.12,
        form_rate: 0.05,
        daily_cost: 120.0,
    },
    Campaign {
        id: "C201",
        team: "T02",
        name: "表单投放",
        channel: "sem",
        owner: "P006",
        traffic: 0.12,
        form_rate: 0.14,
        daily_cost: 1100.0,
    },
    Campaign {
        id: "C202",
        team: "T02",
        name: "邮件培育",
        channel: "email",
        owner: "P007",
        traffic: 0.06,
        form_rate: 0.12,
        daily_cost: 150.0,
    },
    Campaign {
        id: "C203",
        team: "T02",
        name: "线下活动",
        channel: "event",
        owner: "P008",
        traffic: 0.02,
        form_rate: 0.10,
        daily_cost: 400.0,
    },
    Campaign {
        id: "C301",
        team: "T03",
        name: "老客复购",
        channel: "email",
        owner: "P010",
        traffic: 0.04,
        form_rate: 0.03,
        daily_cost: 80.0,
    },
];

pub struct SocialAccount {
    pub id: &'static str,
    pub team: &'static str,
    pub platform: &'static str,
    pub name: &'static str,
    pub followers_at_start: f64,
    pub monthly_growth: f64,
    pub engagement: f64,
}

pub const SOCIAL_ACCOUNTS: &[SocialAccount] = &[
    SocialAccount {
        id: "A01",
        team: "T01",
        platform: "wechat",
        name: "示例贸易服务号",
        followers_at_start: 42_000.0,
        monthly_growth: 0.012,
        engagement: 0.006,
    },
    SocialAccount {
        id: "A02",
        team: "T01",
        platform: "weibo",
        name: "示例贸易官方微博",
        followers_at_start: 88_000.0,
        monthly_growth: 0.008,
        engagement: 0.003,
    },
    SocialAccount {
        id: "A03",
        team: "T01",
        platform: "douyin",
        name: "示例贸易抖音号",
        followers_at_start: 15_000.0,
        monthly_growth: 0.035,
        engagement: 0.018,
    },
    SocialAccount {
        id: "A04",
        team: "T02",
        platform: "xiaohongshu",
        name: "示例贸易小红书",
        followers_at_start: 6_000.0,
        monthly_growth: 0.03,
        engagement: 0.012,
    },
];

/// Lead owners and their share of new leads.
pub const LEAD_OWNERS: &[(&str, f64)] = &[("P005", 0.16), ("P006", 0.30), ("P007", 0.28), ("P008", 0.26)];

/// Sales owners; P012 joins in March 2026.
pub const SALES_OWNERS: &[&str] = &["P009", "P010", "P011", "P012"];

/// How well a person performs in a month (1.0 = plan), indexed by month number from 2024-10.
/// The bends make the incentive rules fire on the demo data:
/// - P008 falls short in 2026-06 and 2026-07 (a PIP from 2026-08), and recovers;
/// - P003 falls short in 2026-08 and 2026-09 (a PIP from 2026-10, still open);
/// - P011 and P006 outperform every quarter of the last year (raise candidates);
/// - P010 is steady above plan for two years (promotion eligible).
pub fn performance(person: &str, month_index: usize) -> f64 {
    match (person, month_index) {
        ("P008", 20 | 21) => 0.55,
        ("P003", 22 | 23) => 0.6,
        ("P011", 12..) => 1.35,
        ("P006", 12..) => 1.3,
        ("P010", _) => 1.12,
        _ => 1.0,
    }
}

pub const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马",
    "罗",
];
pub const GIVEN_NAMES: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "霞",
    "平", "刚", "桂英", "建华", "志强",
];
pub const COMPANY_WORDS: &[&str] =
    &["华信", "东方", "恒通", "新元", "瑞丰", "安达", "远景", "博雅", "嘉禾", "天成", "众合", "金桥"];
pub const COMPANY_KINDS: &[&str] =
    &["科技有限公司", "贸易有限公司", "信息技术有限公司", "实业有限公司", "咨询有限公司"];

pub const BROWSER_AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; V2309A) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.6478.71 Mobile Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.49 NetType/WIFI Language/zh_CN",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/127.0.0.0 Safari/537.36 Edg/127.0.0.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:129.0) Gecko/20100101 Firefox/129.0",
];

pub const BOT_AGENTS: &[&str] = &[
    "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Sogou web spider/4.0(+http://www.sogou.com/docs/help/webmasters.htm#07)",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
];

pub const NON_BROWSER_AGENTS: &[&str] = &[
    "curl/8.4.0",
    "python-requests/2.31.0",
    "Go-http-client/1.1",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.109 Safari/537.36",
    "",
];

/// Consumer broadband prefixes (China Telecom, Unicom, Mobile).
pub const CONSUMER_PREFIXES: &[&str] =
    &["58.34", "113.87", "183.14", "117.136", "221.216", "36.110", "123.118", "112.96"];

/// Cloud hosting prefixes: AWS (3.64.0.0/11) and Google Cloud (35.186.0.0/16).
pub const DATACENTER_PREFIXES: &[&str] = &["3.85", "35.186"];

/// The company's office egress range (configured as internal in the demo config).
pub const OFFICE_PREFIX: &str = "203.0.113";

pub const PAGES: &[&str] = &[
    "/",
    "/products",
    "/products/erp",
    "/products/crm",
    "/pricing",
    "/cases",
    "/blog/digital-marketing",
    "/blog/kpi",
    "/about",
];

pub const DISPOSABLE_DOMAINS: &[&str] = &["mailinator.com", "guerrillamail.com", "10minutemail.com", "yopmail.com"];
pub const MAIL_DOMAINS: &[&str] =
    &["qq.com", "163.com", "126.com", "gmail.com", "outlook.com", "sina.com", "foxmail.com"];
