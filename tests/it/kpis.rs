//! Indicators on a tiny company whose every figure is computed by hand in the comments below:
//! zero denominators, the last second of a month in Asia/Shanghai against 16:30Z the same day,
//! quarter, half-year and year ends, a year-ago month with no data, currency conversion, the
//! `unassigned` bucket, and net against gross once the exclusion ledger lists rows.

use std::collections::BTreeMap;
use std::path::Path;

use kpi_close::config::Config;
use kpi_close::engine::AsOf;
use kpi_close::kpis::{self, Indicators};
use kpi_close::lake::Lake;
use kpi_close::lake::tables::Unscored;
use kpi_close::period::Period;

use crate::common::*;

/// Team T1 (person A) runs campaign K1 (sem), team T2 (B, C) runs K2 (email). USD converts at 7.0
/// from 2026-09-30 and 7.1 from 2026-10-15.
const TINY: &[(&str, &str)] = &[
    (
        "ad_spend",
        r"date,channel,cost,campaign_id,team_id,currency
2026-10-01,sem,300.00,K1,,CNY
2026-10-31,email,10.00,K2,,USD
2026-11-01,sem,50.00,K1,,CNY
2026-10-15,display,29.00,,T2,CNY
",
    ),
    (
        "campaigns",
        r"campaign_id,team_id,channel,owner_id
K1,T1,sem,A
K2,T2,email,B
",
    ),
    (
        "customer_activity",
        r"customer_id,active_at,activity
CU1,2026-09-05T10:00:00+08:00,login
CU2,2026-09-10T10:00:00+08:00,login
CU3,2026-08-01T10:00:00+08:00,login
CU5,2026-10-20T10:00:00+08:00,login
CU4,2026-09-30T23:59:59+08:00,login
",
    ),
    (
        "fx_rates",
        r"date,currency,rate_to_base
2026-09-30,USD,7.0000
2026-10-15,USD,7.1000
",
    ),
    (
        "leads",
        r"lead_id,created_at,owner_id,campaign_id,channel,mql_at,sql_at
L1,2026-09-20T10:00:00+08:00,A,K1,sem,2026-10-02T10:00:00+08:00,2026-10-20T10:00:00+08:00
L2,2026-10-03T10:00:00+08:00,B,K2,email,2026-10-04T10:00:00+08:00,2026-11-05T10:00:00+08:00
L3,2026-10-10T10:00:00+08:00,B,,event,2026-10-31T23:59:59+08:00,
L4,2026-10-12T10:00:00+08:00,C,,,,
L5,2026-10-31T16:30:00Z,C,,,2026-11-02T10:00:00+08:00,
",
    ),
    (
        "nps_responses",
        r"response_id,submitted_at,score,customer_id,team_id
R1,2026-07-05T10:00:00+08:00,10,CU1,T2
R2,2026-08-05T10:00:00+08:00,9,CU2,T2
R3,2026-09-05T10:00:00+08:00,6,CU3,T2
R4,2026-10-05T10:00:00+08:00,9,CU1,T1
R5,2026-12-31T23:59:59+08:00,0,CU2,T1
R6,2027-01-01T00:00:00+08:00,10,CU3,T1
",
    ),
    (
        "orders",
        r"order_id,customer_id,owner_id,order_at,amount,currency,status,lead_id,gross_margin
O1,CU1,B,2026-10-02T09:00:00+08:00,100.00,CNY,paid,L1,40.00
O2,CU2,B,2026-10-15T09:00:00+08:00,10.00,USD,paid,,
O3,CU1,C,2026-10-20T09:00:00+08:00,50.00,CNY,refunded,,
O4,CU3,C,2026-10-14T23:00:00+08:00,20.00,USD,paid,,5.00
O5,CU1,B,2025-10-10T09:00:00+08:00,200.00,CNY,paid,,80.00
O6,CU4,C,2026-09-28T09:00:00+08:00,300.00,CNY,paid,,90.00
O7,CU2,B,2026-11-03T09:00:00+08:00,60.00,,paid,,
O8,CU6,C,2025-06-01T09:00:00+08:00,100.00,CNY,paid,,10.00
",
    ),
    (
        "people",
        r"person_id,name,team_id,base_bonus,hired_at
A,Ann,T1,1000,2019-03-01
B,Bo,T2,2000,2020-01-06
C,Cy,T2,3000,2021-05-10
D,Di,T2,4000,2026-11-01
",
    ),
    (
        "social_accounts",
        r"account_id,team_id,platform
S1,T1,wechat
",
    ),
    (
        "social_stats",
        r"date,account_id,followers,likes,comments,shares
2026-10-01,S1,1000,10,2,3
2026-10-30,S1,1100,5,0,0
2026-10-31,S1,1200,0,1,0
2026-11-01,S1,1300,100,0,0
",
    ),
    (
        "teams",
        r"team_id,name,scheme,manager_id
T1,Brand,brand,A
T2,Sales,sales,
",
    ),
    (
        "targets",
        r"period,entity_type,entity_id,kpi,target
2026-10,person,A,lead_conversion_rate,0.5
2026-10,team,T1,lead_conversion_rate,0.5
2026-10,team,T1,uv,2
2026-10,person,B,revenue,150
2026-10,person,B,orders,2
2026-10,person,C,revenue,100
2026-10,person,C,orders,1
2026-11,person,B,revenue,50
2026-11,person,B,orders,1
2026-Q4,team,T1,uv,5
2026-Q4,person,D,revenue,50
2026-Q4,person,D,orders,1
2026-Q4,person,A,lead_conversion_rate,0.5
2026-Q4,person,B,revenue,150
2026-Q4,person,B,orders,3
2026-Q4,person,C,revenue,200
2026-Q4,person,C,orders,2
",
    ),
    (
        "web_events",
        r"event_id,event_time,event_type,visitor_id,campaign_id,channel
E1,2026-10-01T00:00:00+08:00,page_view,V1,K1,
E2,2026-10-05T10:00:00+08:00,page_view,V1,K1,
E3,2026-10-05T10:01:00+08:00,form_submit,V1,K1,
E4,2026-10-31T23:59:59+08:00,page_view,V2,K2,
E5,2026-10-31T16:30:00Z,page_view,V3,,direct
E6,2026-10-10T09:00:00+08:00,page_view,V4,,
E7,2026-09-30T23:59:59+08:00,page_view,V5,K1,
E8,2025-10-15T12:00:00+08:00,page_view,V1,K1,
E9,2025-10-16T12:00:00+08:00,page_view,V9,K2,
E10,2026-10-06T00:00:00+08:00,form_submit,V2,K2,
",
    ),
];

/// T1 is scored on its people's lead conversion (60) and the team's UV (40); T2 on revenue (60) and
/// paid orders (40), from November on revenue 40 and orders 60.
const SCHEMES: &str = "[[schemes.brand]]\nkpis = [{ kpi = 'lead_conversion_rate', weight = 60, term = 'short' }, \
    { kpi = 'uv', weight = 40, term = 'long', level = 'team' }]\n\
    [[schemes.sales]]\nkpis = [{ kpi = 'revenue', weight = 60, term = 'short' }, { kpi = 'orders', weight = 40, term = 'long' }]\n\
    [[schemes.sales]]\neffective_from = '2026-11'\n\
    kpis = [{ kpi = 'revenue', weight = 40, term = 'long' }, { kpi = 'orders', weight = 60, term = 'short' }]\n";

/// Writes the tiny exports and a config (min_volume 3) into `dir`, with `extra` rows (dataset, CSV
/// lines) added to the exports.
fn tiny_config(dir: &Path, extra: &[(&str, &str)]) -> std::path::PathBuf {
    let mut toml = format!(
        "[company]\nname = \"Tiny\"\nid = \"ACME\"\ntimezone = \"Asia/Shanghai\"\ncurrency = \"CNY\"\n\n\
         [lake]\nurl = \"{}\"\n\n[kpis]\nmin_volume = 3\nmargin_rate = 0.3\n\n{SCHEMES}\n",
        dir.join("lake").display()
    );
    for (dataset, text) in TINY {
        let more: String = extra.iter().filter(|(d, _)| d == dataset).map(|(_, lines)| *lines).collect();
        let text = format!("{text}{more}");
        std::fs::write(dir.join(format!("{dataset}.csv")), text).expect("write export");
        toml.push_str(&format!("[sources.{dataset}]\npath = \"{}/{dataset}.csv\"\n\n", dir.display()));
    }
    let path = dir.join("kpi-close.toml");
    std::fs::write(&path, toml).expect("write config");
    path
}

pub struct Tiny {
    _dir: tempfile::TempDir,
    pub config: Config,
    pub lake: Lake,
}

pub async fn tiny() -> Tiny {
    tiny_with(&[]).await
}

/// The tiny company with more targets in its plan.
pub async fn tiny_with_targets(extra_targets: &str) -> Tiny {
    tiny_with(&[("targets", extra_targets)]).await
}

/// The tiny company with more rows (dataset, CSV lines) in its exports.
pub async fn tiny_with(extra: &[(&str, &str)]) -> Tiny {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = Config::load(&tiny_config(dir.path(), extra)).expect("config");
    let lake = Lake::open(&config.lake).expect("lake");
    let plan = kpi_close::ingest::plan(&config, &lake).await.expect("plan");
    let report = kpi_close::ingest::run(&config, &lake, &plan).await.expect("ingest");
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    Tiny { _dir: dir, config, lake }
}

/// One indicator row, as text and numbers.
#[derive(Debug, Clone)]
struct Row {
    numerator: String,
    denominator: String,
    value: Option<f64>,
    gross_value: Option<f64>,
    excluded_share: f64,
    low_volume: bool,
    previous_value: Option<f64>,
    year_ago_value: Option<f64>,
}

struct Table(BTreeMap<(String, String, String), Row>);

impl Table {
    fn of(indicators: &Indicators) -> Table {
        assert!(indicators.findings.is_empty(), "checks failed: {:?}", indicators.findings);
        let schema = indicators.schema.clone();
        let index = |name: &str| schema.index_of(name).expect(name);
        let number = |s: &String| if s == "NULL" { None } else { Some(s.parse::<f64>().expect("number")) };
        let mut map = BTreeMap::new();
        for r in rows(&indicators.batches) {
            let key = (r[index("kpi")].clone(), r[index("grain")].clone(), r[index("entity_id")].clone());
            let row = Row {
                numerator: r[index("numerator")].clone(),
                denominator: r[index("denominator")].clone(),
                value: number(&r[index("value")]),
                gross_value: number(&r[index("gross_value")]),
                excluded_share: number(&r[index("excluded_share")]).expect("excluded share"),
                low_volume: r[index("low_volume")] == "true",
                previous_value: number(&r[index("previous_value")]),
                year_ago_value: number(&r[index("year_ago_value")]),
            };
            assert!(map.insert(key.clone(), row).is_none(), "duplicate row {key:?}");
        }
        Table(map)
    }

    fn row(&self, kpi: &str, grain: &str, entity: &str) -> &Row {
        self.0
            .get(&(kpi.to_string(), grain.to_string(), entity.to_string()))
            .unwrap_or_else(|| panic!("no row for {kpi} / {grain} / {entity}"))
    }

    fn value(&self, kpi: &str, grain: &str, entity: &str) -> Option<f64> {
        self.row(kpi, grain, entity).value
    }

    /// Asserts a value to 1e-9 (`None` = n/a).
    fn check(&self, kpi: &str, grain: &str, entity: &str, expected: Option<f64>) {
        let actual = self.value(kpi, grain, entity);
        match (actual, expected) {
            (Some(a), Some(e)) => assert!((a - e).abs() < 1e-9, "{kpi} {grain} {entity}: {a} != {e}"),
            (None, None) => {}
            _ => panic!("{kpi} {grain} {entity}: {actual:?} != {expected:?}"),
        }
    }
}

/// The period's scorecards, from its indicators (computed and stored first, as a close does).
async fn scorecards(t: &Tiny, period: &str) -> kpi_close::score::Scorecards {
    let period: Period = period.parse().expect("period");
    let indicators = kpis::compute(&t.config, &t.lake, period, 1, AsOf::end_of(period)).await.expect("compute");
    kpis::write(&t.lake, &indicators).await.expect("write");
    kpi_close::score::compute(&t.config, &t.lake, period, AsOf::end_of(period)).await.expect("score")
}

/// Writes `rows` (dataset, record key) into the exclusion ledger of 2026-10, as one rule would.
async fn plant_exclusions(t: &Tiny, rows: &[(&str, &str)]) {
    let schema = kpi_close::lake::tables::exclusions();
    let column = |values: Vec<&str>| {
        std::sync::Arc::new(datafusion::arrow::array::StringArray::from(values)) as datafusion::arrow::array::ArrayRef
    };
    let n = rows.len();
    let batch = datafusion::arrow::array::RecordBatch::try_new(
        schema.clone(),
        vec![
            column(rows.iter().map(|r| r.0).collect()),
            column(rows.iter().map(|r| r.1).collect()),
            column(vec!["2026-10"; n]),
            column(vec!["TEST_RULE"; n]),
            column(vec!["1"; n]),
            column(vec!["planted by the test"; n]),
            column(vec!["GIVT"; n]),
            column(vec!["duplicate"; n]),
        ],
    )
    .expect("ledger batch");
    let object = kpi_close::lake::layout::ledger("2026-10", "TEST_RULE");
    t.lake.write_parquet(&object, schema, &[batch]).await.expect("write ledger");
}

async fn compute(t: &Tiny, period: &str) -> Table {
    let period: Period = period.parse().expect("period");
    Table::of(&kpis::compute(&t.config, &t.lake, period, 1, AsOf::end_of(period)).await.expect("compute"))
}

#[tokio::test(flavor = "multi_thread")]
async fn web_indicators_by_hand() {
    let t = tiny().await;
    let oct = compute(&t, "2026-10").await;
    // Page views in October (company time): E1 (00:00:00 on the 1st), E2 (V1 again), E4 (V2 at
    // 23:59:59 on the 31st), E6 (V4, no campaign). E5 (16:30Z on the 31st) is November; E7 September.
    oct.check("uv", "company", "ACME", Some(3.0));
    oct.check("uv", "team", "T1", Some(1.0));
    oct.check("uv", "team", "T2", Some(1.0));
    oct.check("uv", "team", "unassigned", Some(1.0));
    oct.check("uv", "person", "A", Some(1.0));
    oct.check("uv", "person", "C", Some(0.0));
    oct.check("uv", "channel", "sem", Some(1.0));
    oct.check("uv", "channel", "unassigned", Some(1.0));
    oct.check("form_submissions", "company", "ACME", Some(2.0));
    // Form submissions / UV: 2 / 3; T1 1 / 1; the unassigned team 0 / 1; C has neither: n/a.
    oct.check("lead_conversion_rate", "company", "ACME", Some(2.0 / 3.0));
    oct.check("lead_conversion_rate", "team", "T1", Some(1.0));
    oct.check("lead_conversion_rate", "team", "unassigned", Some(0.0));
    oct.check("lead_conversion_rate", "person", "C", None);
    assert_eq!(oct.row("lead_conversion_rate", "company", "ACME").numerator, "2.0000");
    assert_eq!(oct.row("lead_conversion_rate", "company", "ACME").denominator, "3.0000");
    // min_volume 3: a denominator of 3 is enough, 1 is not.
    assert!(!oct.row("lead_conversion_rate", "company", "ACME").low_volume);
    assert!(oct.row("lead_conversion_rate", "team", "T1").low_volume);
    // UV a year earlier: V1 (K1) and V9 (K2) → (3 − 2) / 2; per team 1 against 1; the unassigned
    // team had no visitors in October 2025: n/a.
    oct.check("uv_growth_yoy", "company", "ACME", Some(0.5));
    oct.check("uv_growth_yoy", "team", "T1", Some(0.0));
    oct.check("uv_growth_yoy", "team", "unassigned", None);
    assert_eq!(oct.row("uv", "company", "ACME").year_ago_value, Some(2.0));
    assert_eq!(oct.row("uv", "company", "ACME").previous_value, Some(1.0), "September: V5 at 23:59:59 on the 30th");

    // November: only E5 (16:30Z on 31 October is 00:30 on 1 November in Shanghai); November 2025
    // has no data at all, so growth is n/a, not infinity.
    let nov = compute(&t, "2026-11").await;
    nov.check("uv", "company", "ACME", Some(1.0));
    nov.check("uv", "channel", "direct", Some(1.0));
    nov.check("uv_growth_yoy", "company", "ACME", None);
    assert_eq!(nov.row("uv", "company", "ACME").year_ago_value, Some(0.0));

    // The quarter recomputes over all its events: V1, V2, V4, V3. The year adds V5; 2025 had 2.
    compute(&t, "2026-Q4").await.check("uv", "company", "ACME", Some(4.0));
    let year = compute(&t, "2026").await;
    year.check("uv", "company", "ACME", Some(5.0));
    year.check("uv_growth_yoy", "company", "ACME", Some(1.5));
}

#[tokio::test(flavor = "multi_thread")]
async fn lead_indicators_by_hand() {
    let t = tiny().await;
    let oct = compute(&t, "2026-10").await;
    // Created in October: L2, L3, L4 (L1 in September, L5 at 16:30Z on the 31st is November).
    oct.check("leads", "company", "ACME", Some(3.0));
    oct.check("leads", "team", "T2", Some(3.0));
    oct.check("leads", "person", "C", Some(1.0));
    // MQL in October: L1 (created in September), L2, L3 (at 23:59:59 on the 31st).
    oct.check("mql_count", "company", "ACME", Some(3.0));
    oct.check("mql_count", "team", "T1", Some(1.0));
    oct.check("mql_count", "person", "B", Some(2.0));
    oct.check("mql_count", "channel", "event", Some(1.0));
    // Of those, only L1 reached SQL by the end of October (L2 on 5 November).
    oct.check("sqls", "company", "ACME", Some(1.0));
    oct.check("sql_conversion_rate", "company", "ACME", Some(1.0 / 3.0));
    oct.check("sql_conversion_rate", "person", "A", Some(1.0));
    oct.check("sql_conversion_rate", "person", "B", Some(0.0));
    oct.check("sql_conversion_rate", "person", "C", None);
    // SQL in October: L1, won by paid order O1 (by lead_id) before the end of the month.
    oct.check("win_rate", "company", "ACME", Some(1.0));
    oct.check("win_rate", "person", "A", Some(1.0));
    oct.check("win_rate", "person", "B", None);
    // The quarter: MQLs L1, L2, L3, L5; SQL by the end of December: L1, L2. SQLs L1, L2; won: L1.
    let q4 = compute(&t, "2026-Q4").await;
    q4.check("sql_conversion_rate", "company", "ACME", Some(0.5));
    q4.check("win_rate", "company", "ACME", Some(0.5));
    // Spend in October: 300 (K1) + 10 USD at 7.1 on the 31st (K2) + 29 (no campaign, team T2)
    // = 400 over 3 MQLs. T1 300 / 1; T2 (71 + 29) / 2; B 71 / 2; spend nobody owns: 29 / 0.
    oct.check("spend", "company", "ACME", Some(400.0));
    assert_eq!(oct.row("spend", "company", "ACME").numerator, "400.0000");
    oct.check("cpl", "company", "ACME", Some(400.0 / 3.0));
    oct.check("cpl", "team", "T1", Some(300.0));
    oct.check("cpl", "team", "T2", Some(50.0));
    oct.check("cpl", "person", "B", Some(35.5));
    oct.check("cpl", "person", "unassigned", None);
    oct.check("cpl", "channel", "event", Some(0.0));
    oct.check("cpl", "channel", "display", None);
}

/// The cost indicators on the tiny company plus three customers: CU7, won in October by lead L6 of
/// campaign K2 (T2, owner B, email); CU8, won in September by L7 of K1 (T1, A, sem), buying again in
/// October; and the tiny company's own CU1 (first paid order O5 in 2025, no lead), CU2 and CU3 (new
/// in October, no lead), which belong to no campaign.
#[tokio::test(flavor = "multi_thread")]
async fn cost_indicators_by_hand() {
    let t = tiny_with(&[
        ("leads", "L6,2026-10-05T10:00:00+08:00,C,K2,email,,\nL7,2026-09-01T10:00:00+08:00,A,K1,sem,,\n"),
        (
            "orders",
            "O9,CU7,C,2026-10-20T09:00:00+08:00,500.00,CNY,paid,L6,100.00\n\
             O10,CU8,A,2026-09-10T09:00:00+08:00,80.00,CNY,paid,L7,20.00\n\
             O11,CU8,A,2026-10-25T09:00:00+08:00,200.00,CNY,paid,,60.00\n",
        ),
    ])
    .await;
    let oct = compute(&t, "2026-10").await;
    // Spend in October: K1 300 (T1, A, sem), K2 10 USD at 7.1 = 71 (T2, B, email), 29 without a
    // campaign (team T2, nobody's, display): 400. New paying customers: CU2 and CU3 (no lead) and
    // CU7 (K2); CU1 (2025) and CU8 (September) were won before.
    oct.check("cac", "company", "ACME", Some(400.0 / 3.0));
    assert_eq!(oct.row("cac", "company", "ACME").denominator, "3.0000");
    oct.check("cac", "team", "T2", Some(100.0));
    oct.check("cac", "person", "B", Some(71.0));
    oct.check("cac", "channel", "email", Some(71.0));
    assert!(oct.row("cac", "team", "T2").low_volume, "one new customer");
    // T1 spent 300 and won nobody new; the unassigned bucket won two customers with no spend;
    // display spent 29 for nobody: all n/a.
    oct.check("cac", "team", "T1", None);
    oct.check("cac", "team", "unassigned", None);
    oct.check("cac", "channel", "unassigned", None);
    oct.check("cac", "channel", "display", None);
    // Margin of October's paid orders, each credited to its customer's acquisition: O1 40 (CU1:
    // unassigned, though O1 itself came from L1), O2 71 × 0.3 = 21.3 and O4 5 USD × 7.0 = 35
    // (unassigned), O9 100 (K2), O11 60 (CU8: K1, won in September). 256.3 in all.
    oct.check("mroi", "company", "ACME", Some((256.3 - 400.0) / 400.0));
    assert_eq!(oct.row("mroi", "company", "ACME").numerator, "-143.7000");
    assert_eq!(oct.row("mroi", "company", "ACME").denominator, "400.0000");
    oct.check("mroi", "team", "T1", Some((60.0 - 300.0) / 300.0));
    oct.check("mroi", "team", "T2", Some(0.0));
    oct.check("mroi", "person", "B", Some((100.0 - 71.0) / 71.0));
    oct.check("mroi", "channel", "sem", Some(-0.8));
    oct.check("mroi", "channel", "display", Some(-1.0));
    oct.check("mroi", "team", "unassigned", None);
    // Low volume counts paid orders (five; T1 has one), not yuan of spend.
    assert!(!oct.row("mroi", "company", "ACME").low_volume);
    assert!(oct.row("mroi", "team", "T1").low_volume);
    // Revenue: O1 100 + O2 71 + O4 140 + O9 500 + O11 200 = 1011.
    oct.check("roas", "company", "ACME", Some(1011.0 / 400.0));
    oct.check("roas", "team", "T1", Some(200.0 / 300.0));
    oct.check("roas", "team", "T2", Some(5.0));
    oct.check("roas", "channel", "display", Some(0.0));
    // Nobody's person: the 29 of spend without a campaign against the unattributed O1, O2, O4.
    oct.check("roas", "person", "unassigned", Some(311.0 / 29.0));

    // November: K1 spends 50 and nobody new buys; O7 (CU2, 60 CNY, margin 18) is unassigned.
    let nov = compute(&t, "2026-11").await;
    nov.check("cac", "company", "ACME", None);
    nov.check("mroi", "company", "ACME", Some((18.0 - 50.0) / 50.0));
    nov.check("mroi", "team", "T1", Some(-1.0));
    // The quarter: 450 of spend, the same three new customers; margin adds O7's 18.
    let q4 = compute(&t, "2026-Q4").await;
    q4.check("cac", "company", "ACME", Some(150.0));
    q4.check("mroi", "company", "ACME", Some((274.3 - 450.0) / 450.0));

    // Net: the audit excludes O9, CU7's first order, so CU7 is no new customer and its margin is
    // gone; gross keeps both.
    plant_exclusions(&t, &[("orders", "O9")]).await;
    let oct = compute(&t, "2026-10").await;
    oct.check("cac", "company", "ACME", Some(200.0));
    oct.check("cac", "team", "T2", None);
    assert_eq!(oct.row("cac", "company", "ACME").gross_value, Some(400.0 / 3.0));
    oct.check("mroi", "team", "T2", Some(-1.0));
    assert_eq!(oct.row("mroi", "team", "T2").gross_value, Some(0.0));
}

#[tokio::test(flavor = "multi_thread")]
async fn order_and_customer_indicators_by_hand() {
    let t = tiny().await;
    let oct = compute(&t, "2026-10").await;
    // Paid in October: O1 100 CNY, O2 10 USD at 7.1 (15 Oct) = 71, O4 20 USD at 7.0 (14 Oct, 23:00
    // local — still the 14th) = 140. O3 is refunded.
    oct.check("orders", "company", "ACME", Some(3.0));
    oct.check("revenue", "company", "ACME", Some(311.0));
    assert_eq!(oct.row("revenue", "company", "ACME").numerator, "311.0000");
    oct.check("revenue", "person", "B", Some(171.0));
    oct.check("revenue", "person", "C", Some(140.0));
    oct.check("revenue", "person", "A", Some(0.0));
    oct.check("revenue", "channel", "sem", Some(100.0));
    oct.check("asp", "company", "ACME", Some(311.0 / 3.0));
    oct.check("asp", "person", "A", None);
    // Customers' owners (first paid order): CU1 → B (O5), CU2 → B, CU3 → C, CU4 → C, CU6 → C.
    // Active in October: CU1, CU2, CU3 (orders) and CU5 (activity; never paid: unassigned).
    oct.check("active_customers", "company", "ACME", Some(4.0));
    oct.check("active_customers", "person", "unassigned", Some(1.0));
    // Active in September: CU1, CU2 (activity), CU4 (O6, and activity at 23:59:59 on the 30th).
    // Back in October: CU1, CU2. B keeps 2 of 2, C 0 of 1.
    oct.check("retention_rate", "company", "ACME", Some(2.0 / 3.0));
    oct.check("retention_rate", "person", "B", Some(1.0));
    oct.check("retention_rate", "person", "C", Some(0.0));
    // Buying in October having bought before: CU1 only (O5 in 2025).
    oct.check("repeat_customers", "company", "ACME", Some(1.0));
    // CLV, 12 months to 31 October: margins O1 40 + O2 71 × 0.3 + O4 5 USD × 7.0 + O6 90 = 186.3
    // over CU1–CU4; prior 12 months: CU1 (O5), CU6 (O8); CU1 came back → churn 0.5, lifetime 2.
    oct.check("clv", "company", "ACME", Some(186.3 / 4.0 * 2.0));
    assert_eq!(oct.row("clv", "company", "ACME").numerator, "186.3000");
    // Q3 → Q4 retention: Q3 active CU1, CU2, CU3, CU4; Q4 active CU1, CU2, CU3, CU5.
    compute(&t, "2026-Q4").await.check("retention_rate", "company", "ACME", Some(0.75));
    // The year 2026 adds O7 (60 CNY, no currency: company currency; margin 18): 204.3 over four
    // customers, churn 0.5 → 102.15. B: (40 + 21.3 + 18) / 2 with churn 0 → capped at 5 years.
    // C: (35 + 90) / 2, its prior customer CU6 did not return → churn 1, lifetime 1.
    let year = compute(&t, "2026").await;
    year.check("clv", "company", "ACME", Some(204.3 / 4.0 * 2.0));
    year.check("clv", "person", "B", Some(79.3 / 2.0 * 5.0));
    year.check("clv", "person", "C", Some(62.5));
    year.check("clv", "person", "A", None);
}

#[tokio::test(flavor = "multi_thread")]
async fn social_and_survey_indicators_by_hand() {
    let t = tiny().await;
    let oct = compute(&t, "2026-10").await;
    // Likes + comments + shares in October: 15 + 5 + 1 over followers on the 31st (1200).
    oct.check("followers", "company", "ACME", Some(1200.0));
    oct.check("social_engagement_rate", "company", "ACME", Some(21.0 / 1200.0));
    oct.check("social_engagement_rate", "team", "T1", Some(21.0 / 1200.0));
    oct.check("social_engagement_rate", "team", "T2", None);
    oct.check("social_engagement_rate", "channel", "social", Some(21.0 / 1200.0));
    // September has no social data: no followers, engagement n/a.
    let sep = compute(&t, "2026-09").await;
    sep.check("followers", "company", "ACME", Some(0.0));
    sep.check("social_engagement_rate", "company", "ACME", None);
    // H2 2026: R1 10, R2 9, R3 6, R4 9, R5 0 (at 23:59:59 on 31 December) → (3 − 2) / 5 × 100.
    let h2 = compute(&t, "2026-H2").await;
    h2.check("nps", "company", "ACME", Some(20.0));
    h2.check("nps", "team", "T2", Some(100.0 / 3.0));
    h2.check("nps", "team", "T1", Some(0.0));
    h2.check("responses", "company", "ACME", Some(5.0));
    compute(&t, "2026-Q4").await.check("nps", "company", "ACME", Some(0.0));
    // R6 at midnight on 1 January 2027 belongs to the new year.
    compute(&t, "2026").await.check("responses", "company", "ACME", Some(5.0));
    let next = compute(&t, "2027").await;
    next.check("nps", "company", "ACME", Some(100.0));
    assert!(next.row("nps", "company", "ACME").low_volume, "one response is low volume");
}

#[tokio::test(flavor = "multi_thread")]
async fn net_leaves_out_what_the_exclusion_ledger_lists() {
    let t = tiny().await;
    plant_exclusions(&t, &[("web_events", "E3"), ("orders", "O2"), ("leads", "L3")]).await;
    let oct = compute(&t, "2026-10").await;
    let forms = oct.row("form_submissions", "company", "ACME");
    assert_eq!((forms.value, forms.gross_value), (Some(1.0), Some(2.0)));
    assert_eq!(forms.excluded_share, 0.5);
    let revenue = oct.row("revenue", "company", "ACME");
    assert_eq!((revenue.value, revenue.gross_value), (Some(240.0), Some(311.0)));
    assert!((revenue.excluded_share - 1.0 / 3.0).abs() < 1e-12, "one of three paid orders");
    oct.check("mql_count", "company", "ACME", Some(2.0));
    oct.check("lead_conversion_rate", "company", "ACME", Some(1.0 / 3.0));
    // Unlisted datasets are untouched.
    let spend = oct.row("spend", "company", "ACME");
    assert_eq!((spend.value, spend.excluded_share), (Some(400.0), 0.0));
}

/// The demo company's indicators, reviewed and committed: any change to a figure shows in review.
#[test]
fn demo_indicators_snapshot() {
    let dir = tempfile::tempdir().expect("temp dir");
    let lake = dir.path().join("lake");
    let config = demo_config(dir.path(), &lake.display().to_string(), "");
    for args in [&["ingest"][..], &["audit", "--period", "2026-10"]] {
        let out = run(&config, args);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
    }
    for period in ["2026-10", "2026-Q3"] {
        let out = run(&config, &["kpis", "--period", period, "--format", "csv"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let csv = stdout(&out);
        // Every indicator at every grain.
        let mut seen = std::collections::BTreeSet::new();
        for line in csv.lines().skip(1) {
            let cells: Vec<&str> = line.split(',').collect();
            seen.insert((cells[4].to_string(), cells[2].to_string()));
        }
        let cards = kpi_close::sql::cards::cards().expect("cards");
        for card in cards {
            for grain in ["company", "team", "person", "channel"] {
                assert!(
                    seen.contains(&(card.id.to_string(), grain.to_string())),
                    "{period}: no {} at {grain}",
                    card.id
                );
            }
        }
        insta::assert_snapshot!(format!("demo_indicators_{period}"), csv);
        assert!(lake.join(format!("indicators/period={period}/part-0.parquet")).exists());
    }
}

#[test]
fn explain_prints_the_definition_card() {
    let out = run(&repo().join("kpi-close.toml"), &["explain", "cpl"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    for expected in [
        "cpl — Cost per lead (单线索成本)",
        "formula          spend in P / mql_count(P)",
        "cycle            quarter",
        "direction        lower is better",
        "zero denominator n/a",
        "timezone         Asia/Shanghai",
        "sql              sql/kpi/cpl.sql",
    ] {
        assert!(text.contains(expected), "missing `{expected}` in:\n{text}");
    }
    let out = run(&repo().join("kpi-close.toml"), &["explain", "bounce_rate"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("no indicator `bounce_rate`"), "{}", stderr(&out));
}

/// An indicator file reads only the month partitions its period needs: the plan of `uv` for
/// October 2026 lists October's file; `uv_growth_yoy` adds October 2025's and nothing else.
#[tokio::test(flavor = "multi_thread")]
async fn indicator_queries_read_only_their_months() {
    let t = tiny().await;
    let ctx = kpi_close::engine::session(
        &t.config,
        &t.lake,
        kpi_close::engine::Scope::Net,
        kpi_close::engine::Lookups::Views,
        AsOf::NOW,
    )
    .await
    .expect("session");
    let period: Period = "2026-10".parse().expect("period");
    let params = kpi_close::engine::params(&t.config, period);
    let months_read = |plan: &str| -> std::collections::BTreeSet<String> {
        plan.split("web_events/month=").skip(1).map(|rest| rest[..7].to_string()).collect()
    };
    for (kpi, expected) in [("uv", vec!["2026-10"]), ("uv_growth_yoy", vec!["2025-10", "2026-10"])] {
        let file = kpi_close::sql::INDICATORS.iter().find(|f| f.name == kpi).expect("file");
        let plan = kpi_close::sql::plan(&ctx, file, &params).await.expect("plan");
        let physical = plan.create_physical_plan().await.expect("physical plan");
        let text = datafusion::physical_plan::displayable(physical.as_ref()).indent(true).to_string();
        let read: Vec<String> = months_read(&text).into_iter().collect();
        assert_eq!(read, expected, "{kpi} reads other months:\n{text}");
    }
}

/// The checks catch what they claim to: a person's revenue that no longer adds up to the company's,
/// and an order in a currency with no rate.
#[tokio::test(flavor = "multi_thread")]
async fn checks_return_the_offending_rows() {
    use datafusion::arrow::array::{Array, AsArray, Decimal128Array};
    let t = tiny().await;
    let october: Period = "2026-10".parse().expect("period");
    let indicators = kpis::compute(&t.config, &t.lake, october, 1, AsOf::end_of(october)).await.expect("compute");
    assert!(indicators.findings.is_empty());

    // Add 1 to every person's net revenue numerator.
    let schema = indicators.schema.clone();
    let (kpi, grain, numerator) =
        (schema.index_of("kpi").unwrap(), schema.index_of("grain").unwrap(), schema.index_of("numerator").unwrap());
    let doctored: Vec<_> = indicators
        .batches
        .iter()
        .map(|b| {
            let (k, g) = (b.column(kpi).as_string::<i32>(), b.column(grain).as_string::<i32>());
            let n = b.column(numerator).as_primitive::<datafusion::arrow::datatypes::Decimal128Type>();
            let bumped: Decimal128Array = (0..b.num_rows())
                .map(|i| {
                    let bump = k.value(i) == "revenue" && g.value(i) == "person";
                    (!n.is_null(i)).then(|| n.value(i) + if bump { 10_000 } else { 0 })
                })
                .collect::<Decimal128Array>()
                .with_data_type(n.data_type().clone());
            let mut columns = b.columns().to_vec();
            columns[numerator] = std::sync::Arc::new(bumped);
            datafusion::arrow::array::RecordBatch::try_new(b.schema(), columns).unwrap()
        })
        .collect();
    let ctx = kpi_close::engine::session(
        &t.config,
        &t.lake,
        kpi_close::engine::Scope::Net,
        kpi_close::engine::Lookups::Views,
        AsOf::NOW,
    )
    .await
    .expect("session");
    let table = datafusion::datasource::MemTable::try_new(schema, vec![doctored]).unwrap();
    ctx.register_table("indicators", std::sync::Arc::new(table)).unwrap();
    let catalog = kpis::catalog_table(&t.config.kpis).unwrap();
    ctx.register_table("kpi_catalog", std::sync::Arc::new(catalog)).unwrap();
    let params = kpi_close::engine::params(&t.config, "2026-10".parse().unwrap());
    let check = |name: &str| kpi_close::sql::CHECKS.iter().find(|f| f.name == name).expect("check");
    let found = rows(
        &kpi_close::sql::plan(&ctx, check("additive_measures_reconcile"), &params)
            .await
            .unwrap()
            .collect()
            .await
            .unwrap(),
    );
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0][0].as_str(), found[0][1].as_str()), ("revenue", "person"));
    assert_eq!(
        (found[0][2].as_str(), found[0][3].as_str()),
        ("316.0000", "311.0000"),
        "A, B, C, D and unassigned: one unit each"
    );

    // An order in a currency nobody gave a rate for.
    let text = "order_id,customer_id,owner_id,order_at,amount,currency,status\nO9,CU9,B,2026-10-09T10:00:00+08:00,5.00,EUR,paid\n";
    std::fs::write(t._dir.path().join("orders_eur.csv"), text).unwrap();
    let mut config = t.config.clone();
    let mut source = config.sources.iter().find(|s| s.name == "orders").unwrap().clone();
    source.name = "orders_eur".into();
    source.pattern = t._dir.path().join("orders_eur.csv").display().to_string();
    config.sources.push(source);
    let plan = kpi_close::ingest::plan(&config, &t.lake).await.unwrap();
    kpi_close::ingest::run(&config, &t.lake, &plan).await.unwrap();
    let october: Period = "2026-10".parse().unwrap();
    let indicators = kpis::compute(&config, &t.lake, october, 1, AsOf::end_of(october)).await.expect("compute");
    let names: Vec<&str> = indicators.findings.iter().map(|f| f.check.name).collect();
    assert_eq!(names, ["amounts_without_rate"]);
    let found = rows(&indicators.findings[0].rows);
    assert_eq!(found[0][..4], ["orders", "O9", "5.0000", "EUR"]);
}

/// Scorecards by hand on the tiny company (targets above, min_volume 3).
#[tokio::test(flavor = "multi_thread")]
async fn scorecards_by_hand() {
    let t = tiny().await;
    let card = |cards: &kpi_close::score::Scorecards, person: &str| {
        cards.cards.iter().find(|c| c.person_id == person).cloned().unwrap_or_else(|| panic!("no card for {person}"))
    };
    let oct = scorecards(&t, "2026-10").await;
    // B: revenue 171 against 150 → 1.14; orders 2 against 2 → 1.0: 1.14 × 60 + 1.0 × 40 = 108.4, B.
    let b = card(&oct, "B");
    assert!((b.total_score.unwrap() - 108.4).abs() < 1e-9, "{b:?}");
    assert_eq!(b.rating, Some("B"));
    // C: revenue 140 against 100 → 1.4; orders 1 against 1: 84 + 40 = 124, A.
    let c = card(&oct, "C");
    assert!((c.total_score.unwrap() - 124.0).abs() < 1e-9, "{c:?}");
    assert_eq!(c.rating, Some("A"));
    // A manages T1, so is scored on T1's figures: lead conversion 1 / 1 is low volume (denominator
    // 1 < 3) so not scored; the team's UV 1 against 2 → 0.5 carries the whole weight: 50, D. Months
    // pay no bonus.
    let a = card(&oct, "A");
    assert!((a.total_score.unwrap() - 50.0).abs() < 1e-9, "{a:?}");
    assert_eq!(a.rating, Some("D"));
    let conversion = a.lines.iter().find(|l| l.kpi == "lead_conversion_rate").unwrap();
    assert_eq!((conversion.note, conversion.effective_weight), (Some(Unscored::LowVolume), 0.0));
    assert_eq!(conversion.level, kpi_close::config::Level::Team, "a manager is scored on the team");
    assert_eq!(a.bonus, None);

    // D, hired on 1 November, has no October scorecard.
    assert!(oct.cards.iter().all(|c| c.person_id != "D"));
    // November: the scheme's new version (revenue 40, orders 60). B: revenue 60 (O7) against 50 → 1.2;
    // orders 1 against 1: 1.2 × 40 + 1.0 × 60 = 108 (the old weights would give 112).
    let nov = scorecards(&t, "2026-11").await;
    let b = card(&nov, "B");
    assert!((b.total_score.unwrap() - 108.0).abs() < 1e-9, "{b:?}");

    // The quarter: B's revenue 231 (O1, O2 at 7.1, O7) against 150 → capped at 1.5, and at least
    // 120 % of target: excess reward. Orders 3 against 3. Score 130: full payout + 20 %.
    let q4 = scorecards(&t, "2026-Q4").await;
    let b = card(&q4, "B");
    assert!((b.total_score.unwrap() - 130.0).abs() < 1e-9, "{b:?}");
    assert!(b.excess);
    assert_eq!(b.bonus.map(|d| d.to_string()).as_deref(), Some("2400.00"), "{b:?}");
    // C: revenue 140 against 200 → 0.7; orders 1 against 2 → 0.5: 42 + 20 = 62 → no bonus, and
    // training for both KPIs.
    let c = card(&q4, "C");
    assert!((c.total_score.unwrap() - 62.0).abs() < 1e-9, "{c:?}");
    assert_eq!((c.payout_share, c.bonus.map(|d| d.is_zero())), (Some(0.0), Some(true)));
    // D, hired mid-quarter, is scored on it: no orders against targets of 50 and 1 → 0, D.
    let d = card(&q4, "D");
    assert_eq!((d.total_score, d.rating), (Some(0.0), Some("D")), "{d:?}");
    let flags = kpi_close::score::flags(&t.config, &t.lake, &q4).await.expect("flags");
    let training: Vec<&str> =
        flags.iter().filter(|f| f.person_id == "C" && f.flag == "training").map(|f| f.explanation.as_str()).collect();
    assert_eq!(training.len(), 2, "{training:?}");
    assert!(training.iter().any(|e| e.starts_with("revenue: achievement 0.70")), "{training:?}");
}

/// The plan's additive targets add up or are listed: T2's people's October revenue (B 150 + C 100)
/// against a team target of 300, and the teams' against the company's; a rate is never summed, a
/// team whose people have no target of that KPI is not split, and the tiny plan itself adds up.
#[tokio::test(flavor = "multi_thread")]
async fn targets_that_do_not_add_up_are_listed() {
    let plain = tiny().await;
    let quiet = kpi_close::score::check_plan(&plain.config, &plain.lake).await.expect("check");
    assert!(quiet.gaps.is_empty(), "{:?}", quiet.gaps);
    let t = tiny_with_targets(
        "2026-10,team,T2,revenue,300\n2026-10,company,ACME,revenue,300\n2026-11,team,T2,revenue,50\n\
         2026-11,company,ACME,revenue,80\n2026-10,company,ACME,lead_conversion_rate,0.9\n",
    )
    .await;
    let plan = kpi_close::score::check_plan(&t.config, &t.lake).await.expect("check");
    let gaps: Vec<String> = plan.gaps.iter().map(ToString::to_string).collect();
    assert_eq!(
        gaps,
        [
            "targets: 2026-10: revenue: the 2 person target(s) of team T2 sum to 250, its own target is 300 (off by -50)",
            "targets: 2026-11: revenue: the 1 team target(s) of company ACME sum to 50, its own target is 80 (off by -30)",
        ]
    );
    let october: Vec<String> = plan.messages(Some(&["2026-10".parse().unwrap()]));
    assert!(october.iter().any(|m| m.contains("team T2 sum to 250")) && !october.iter().any(|m| m.contains("2026-11")));
}

/// A ratio's target against its components' (`asp` = `revenue` / `orders`): B plans 150 of revenue
/// on 2 orders, so an ASP target of 100 disagrees with the 75 it implies; C's 100 on 1 order agrees,
/// and 99.5 is within the 1 % that rounding a target allows. D has no orders target: not compared.
#[tokio::test(flavor = "multi_thread")]
async fn ratio_targets_that_disagree_with_their_components_are_listed() {
    let quiet = tiny().await;
    let plan = kpi_close::score::check_plan(&quiet.config, &quiet.lake).await.expect("check");
    assert!(plan.ratios.is_empty(), "{:?}", plan.ratios);
    let t = tiny_with_targets(
        "2026-10,person,B,asp,100\n2026-10,person,C,asp,100\n2026-Q4,person,C,asp,99.5\n2026-11,person,D,asp,10\n",
    )
    .await;
    let plan = kpi_close::score::check_plan(&t.config, &t.lake).await.expect("check");
    let ratios: Vec<String> = plan.ratios.iter().map(ToString::to_string).collect();
    assert_eq!(
        ratios,
        [
            "targets: 2026-10: person B: the asp target 100 is not its components' revenue / orders = 150 / 2 = 75.0000 (off by +33.3 %)"
        ]
    );
    assert!(plan.messages(None).contains(&ratios[0]), "validate and the close list it");
}

/// A plan with headers only: one clear finding, not a line per person and KPI.
#[tokio::test(flavor = "multi_thread")]
async fn an_empty_plan_is_one_finding() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = tiny_config(dir.path(), &[]);
    std::fs::write(dir.path().join("targets.csv"), "period,entity_type,entity_id,kpi,target\n").expect("write");
    let config = Config::load(&path).expect("config");
    let lake = Lake::open(&config.lake).expect("lake");
    let plan = kpi_close::ingest::plan(&config, &lake).await.expect("plan");
    kpi_close::ingest::run(&config, &lake, &plan).await.expect("ingest");
    let plan = kpi_close::score::check_plan(&config, &lake).await.expect("check");
    assert!(plan.empty);
    let messages = plan.messages(None);
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(messages[0].contains("the plan holds no targets") && messages[0].contains("(no target)"), "{messages:?}");
    assert!(!messages[0].contains("  "), "one line of text: {messages:?}");
}

/// `validate` lists every target a scorecard would miss: here November, which plans only B's.
#[tokio::test(flavor = "multi_thread")]
async fn missing_targets_are_listed() {
    let t = tiny().await;
    let plan = kpi_close::score::check_plan(&t.config, &t.lake).await.expect("check");
    let problems: Vec<String> = plan.missing.into_iter().map(|(_, m)| m).collect();
    for expected in [
        "targets: 2026-11: team T1 has no target for lead_conversion_rate (scheme brand, scored for A)",
        "targets: 2026-11: team T1 has no target for uv (scheme brand, scored for A)",
        "targets: 2026-11: person C has no target for revenue (scheme sales)",
        "targets: 2026-11: person D has no target for orders (scheme sales)",
    ] {
        assert!(problems.iter().any(|p| p == expected), "missing `{expected}` in {problems:#?}");
    }
    assert!(!problems.iter().any(|p| p.contains("2026-10")), "October is fully planned: {problems:#?}");
    assert!(!problems.iter().any(|p| p.contains("person D") && p.contains("2026-10")), "D starts in November");
}
