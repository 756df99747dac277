//! The order-derived indicators cross-checked on a real transaction log nobody here wrote: CDNOW's
//! 69,659 purchases by 23,570 customers (1997-01 … 1998-06), as shipped in the MIT-licensed PyPI
//! package `lifetimes`. The test maps the raw file into the `orders` contract, runs ingest and the
//! indicators, and compares them with figures it computes itself from the raw lines.

use std::collections::{BTreeMap, BTreeSet};

use kpi_close::config::Config;
use kpi_close::lake::Lake;
use kpi_close::period::Period;

use crate::common::*;

/// One purchase of the raw file: customer, `YYYYMMDD`, amount in cents.
struct Purchase {
    customer: String,
    date: String,
    cents: i64,
}

fn purchases() -> Vec<Purchase> {
    let path = pypi_file("lifetimes==0.11.3", "lifetimes/datasets/CDNOW_master.txt");
    let text = std::fs::read_to_string(&path).expect("CDNOW_master.txt");
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let (dollars, cents) = f[3].split_once('.').unwrap_or((f[3], "0"));
            let cents =
                dollars.parse::<i64>().expect("dollars") * 100 + format!("{cents:0<2}").parse::<i64>().expect("cents");
            Purchase { customer: f[0].to_string(), date: f[1].to_string(), cents }
        })
        .collect()
}

fn month_of(date: &str) -> String {
    format!("{}-{}", &date[..4], &date[4..6])
}

fn quarter_of(date: &str) -> String {
    let month: u32 = date[4..6].parse().expect("month");
    format!("{}-Q{}", &date[..4], (month - 1) / 3 + 1)
}

fn money(cents: i64) -> String {
    format!("{}.{:02}00", cents / 100, cents % 100)
}

#[tokio::test(flavor = "multi_thread")]
async fn order_indicators_match_figures_computed_from_the_raw_cdnow_log() {
    let purchases = purchases();
    assert_eq!(purchases.len(), 69_659, "transactions in the published data set");
    let customers: BTreeSet<&str> = purchases.iter().map(|p| p.customer.as_str()).collect();
    assert_eq!(customers.len(), 23_570, "customers in the published data set");

    // The raw file as a shop export: one paid order per line, dated at midnight New York time.
    let dir = tempfile::tempdir().expect("temp dir");
    let mut csv = String::from("order_id,customer_id,owner_id,order_at,amount,status\n");
    for (i, p) in purchases.iter().enumerate() {
        let date = format!("{}-{}-{}", &p.date[..4], &p.date[4..6], &p.date[6..]);
        csv.push_str(&format!("T{:05},{},CDNOW,{date} 00:00:00,{},paid\n", i + 1, p.customer, money(p.cents)));
    }
    std::fs::write(dir.path().join("cdnow_orders.csv"), csv).expect("write export");
    let toml = format!(
        "[company]\nname = \"CDNOW\"\nid = \"CDNOW\"\ntimezone = \"America/New_York\"\ncurrency = \"USD\"\n\n\
         [lake]\nurl = \"{lake}\"\n\n[sources.orders]\npath = \"{dir}/cdnow_orders.csv\"\n",
        lake = dir.path().join("lake").display(),
        dir = dir.path().display()
    );
    let config_path = dir.path().join("kpi-close.toml");
    std::fs::write(&config_path, toml).expect("write config");
    let config = Config::load(&config_path).expect("config");
    let lake = Lake::open(&config.lake).expect("lake");
    let plan = kpi_close::ingest::plan(&config, &lake).await.expect("plan");
    let report = kpi_close::ingest::run(&config, &lake, &plan).await.expect("ingest");
    assert!(report.problems.is_empty(), "{:?}", report.problems);

    // Figures from the raw lines, in whole cents.
    let mut orders: BTreeMap<String, i64> = BTreeMap::new();
    let mut revenue: BTreeMap<String, i64> = BTreeMap::new();
    let mut buyers: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    let mut first_month: BTreeMap<&str, String> = BTreeMap::new();
    for p in &purchases {
        for period in [month_of(&p.date), quarter_of(&p.date), p.date[..4].to_string()] {
            *orders.entry(period.clone()).or_default() += 1;
            *revenue.entry(period.clone()).or_default() += p.cents;
            buyers.entry(period).or_default().insert(&p.customer);
        }
        let first = first_month.entry(&p.customer).or_insert_with(|| month_of(&p.date));
        if month_of(&p.date) < *first {
            *first = month_of(&p.date);
        }
    }
    let empty = BTreeSet::new();

    // Every quarter; the first months (no one has bought before January 1997) and the last; the year.
    let periods = [
        "1997-01", "1997-02", "1997-03", "1997-04", "1998-06", "1997-Q1", "1997-Q2", "1997-Q3", "1997-Q4", "1998-Q1",
        "1998-Q2", "1997",
    ];
    let mut compared = 0;
    for label in periods {
        let period: Period = label.parse().expect("period");
        let indicators = kpi_close::kpis::compute(&config, &lake, period, 1, kpi_close::engine::AsOf::end_of(period))
            .await
            .expect("compute");
        assert!(indicators.findings.is_empty(), "{label}: checks failed: {:?}", indicators.findings);
        let table = company_rows(&indicators);
        let get = |kpi: &str| table.get(kpi).unwrap_or_else(|| panic!("{label}: no {kpi}")).clone();

        let n = orders.get(label).copied().unwrap_or(0);
        let cents = revenue.get(label).copied().unwrap_or(0);
        assert_eq!(get("orders").0, format!("{n}.0000"), "{label}: orders");
        assert_eq!(get("revenue").0, money(cents), "{label}: revenue, to the cent");
        let asp = get("asp");
        assert_eq!((asp.0.as_str(), asp.1.as_str()), (money(cents).as_str(), format!("{n}.0000").as_str()), "{label}");
        let expected_asp = cents as f64 / 100.0 / n as f64;
        assert!((asp.2.expect("asp") - expected_asp).abs() < 1e-9 * expected_asp, "{label}: asp");

        let active = buyers.get(label).unwrap_or(&empty);
        assert_eq!(get("active_customers").0, format!("{}.0000", active.len()), "{label}: active customers");
        // Repeat customers: buying in the period, having bought before it started.
        let start_month = period.months()[0].to_string();
        let repeat = active.iter().filter(|c| first_month[*c] < start_month).count();
        assert_eq!(get("repeat_customers").0, format!("{repeat}.0000"), "{label}: repeat customers");
        // Retention: bought in the previous period and again in this one / bought in the previous.
        let before = buyers.get(&period.previous().to_string()).unwrap_or(&empty);
        let kept = before.intersection(active).count();
        let retention = get("retention_rate");
        assert_eq!(
            (retention.0.as_str(), retention.1.as_str()),
            (format!("{kept}.0000").as_str(), format!("{}.0000", before.len()).as_str()),
            "{label}: retention"
        );
        compared += 1;
    }
    assert_eq!(compared, periods.len());
    // Every CDNOW customer first bought in the first quarter of 1997: the whole cohort is active in
    // 1997, and half of them never came back after their first month.
    assert_eq!(buyers["1997"].len(), 23_570);
}

/// The company rows: kpi → (numerator, denominator, value).
fn company_rows(indicators: &kpi_close::kpis::Indicators) -> BTreeMap<String, (String, String, Option<f64>)> {
    let schema = indicators.schema.clone();
    let index = |name: &str| schema.index_of(name).expect(name);
    rows(&indicators.batches)
        .into_iter()
        .filter(|r| r[index("grain")] == "company")
        .map(|r| {
            let value = r[index("value")].parse::<f64>().ok();
            (r[index("kpi")].clone(), (r[index("numerator")].clone(), r[index("denominator")].clone(), value))
        })
        .collect()
}
