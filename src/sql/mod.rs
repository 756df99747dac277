//! The SQL files under `sql/`, embedded in the binary. One SELECT per file; the file stem is the
//! relation's name and the folder its layer: `stg` (typed, attributed views over the lake), `aud`
//! (staging minus the exclusion ledger), `kpi` (one file per indicator), `mart` (the output tables)
//! and `checks` (data checks: each returns the offending rows, none is a pass).
//!
//! Values such as the period's bounds reach the SQL as named parameters (`$start_at`), never by
//! formatting text into it. A file that does not plan is told apart from one that fails while running.
//!
//! The cards that open the indicator and audit-rule files (`cards`, `rules`) are read here too: the
//! ids they define are what the configuration checks its keys against.

pub mod cards;
pub mod rules;

use std::collections::HashMap;

use datafusion::common::ParamValues;
use datafusion::error::DataFusionError;
use datafusion::prelude::{DataFrame, SessionContext};
use datafusion::scalar::ScalarValue;
use sha2::Digest;

/// One SQL file: `sql/<layer>/<name>.sql`.
#[derive(Debug, Clone, Copy)]
pub struct SqlFile {
    pub layer: &'static str,
    pub name: &'static str,
    /// The text compiled into the binary.
    pub embedded: &'static str,
}

impl SqlFile {
    /// The path in the repository, for messages.
    pub fn path(&self) -> String {
        format!("sql/{}/{}.sql", self.layer, self.name)
    }

    /// The text that runs: the file under `engine.sql_dir` when one is configured, else the
    /// embedded one.
    pub fn text(&self) -> &'static str {
        FROM_DIR.get().and_then(|files| files.get(&self.path()).copied()).unwrap_or(self.embedded)
    }

    /// Whether the file's header says `-- materialize: <why>`: a view over all history that many
    /// queries read (a lookup such as the customers' owners) is computed once per session and kept
    /// in memory, instead of once per query that reads it.
    pub fn materialized(&self) -> bool {
        self.text().lines().take_while(|l| l.starts_with("--")).any(|l| l.starts_with("-- materialize:"))
    }

    /// SHA-256 of the text that runs.
    pub fn sha256(&self) -> String {
        hex::encode(sha2::Sha256::digest(self.text().as_bytes()))
    }
}

static FROM_DIR: std::sync::OnceLock<HashMap<String, &'static str>> = std::sync::OnceLock::new();

#[derive(Debug, thiserror::Error)]
#[error("cannot read {path}: {source} (engine.sql_dir must hold every SQL file the binary knows)")]
pub struct SqlDirError {
    pub path: String,
    #[source]
    pub source: std::io::Error,
}

/// Makes every SQL file run from `dir` (`dir/<layer>/<name>.sql`) instead of the embedded text, for
/// the rest of the process: an auditor can read, and re-run, exactly the SQL a close used.
pub fn load_dir(dir: &std::path::Path) -> Result<(), SqlDirError> {
    let mut files = HashMap::new();
    for file in all() {
        let path = dir.join(file.layer).join(format!("{}.sql", file.name));
        let text = std::fs::read_to_string(&path)
            .map_err(|source| SqlDirError { path: path.display().to_string(), source })?;
        files.insert(file.path(), &*Box::leak(text.into_boxed_str()));
    }
    let _ = FROM_DIR.set(files);
    Ok(())
}

macro_rules! sql_files {
    ($layer:literal: $($name:ident),* $(,)?) => {
        &[$(SqlFile {
            layer: $layer,
            name: stringify!($name),
            embedded: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/sql/", $layer, "/", stringify!($name), ".sql")),
        }),*]
    };
}

/// Staging views, in dependency order.
pub const STAGING: &[SqlFile] = sql_files!("stg":
    stg_fx_rates, stg_leads, stg_lead_channels, stg_web_events, stg_orders, stg_ad_spend, stg_social_stats,
    stg_nps_responses, stg_customers, stg_acquisitions, stg_customer_activity, stg_entities,
);

/// Audit rules, in the order they run: the web rules before `lead_from_flagged`, which reads them.
pub const AUDIT_RULES: &[SqlFile] = sql_files!("audit":
    ua_nonbrowser, ua_bot, ip_datacenter, ip_internal, rate_ip, rate_visitor, dup_event, form_fast,
    form_burst, lead_dup, lead_disposable, lead_test, lead_from_flagged, order_void, order_brush,
    social_spike, spend_invalid, nps_dup,
);

/// The audit report's figures for a period.
pub const AUDIT_REPORT: &[SqlFile] = sql_files!("audit_report": datasets, rules);

/// Audited (net) views: staging minus the exclusion ledger.
pub const AUDITED: &[SqlFile] = sql_files!("aud":
    aud_web_events, aud_leads, aud_orders, aud_ad_spend, aud_social_stats, aud_customer_activity,
    aud_nps_responses,
);

/// One file per indicator and supporting measure; each starts with its definition card.
pub const INDICATORS: &[SqlFile] = sql_files!("kpi":
    uv, uv_growth_yoy, form_submissions, lead_conversion_rate, leads, mql_count, sqls,
    sql_conversion_rate, win_rate, orders, revenue, asp, spend, cpl, cac, mroi, roas, followers,
    social_engagement_rate, responses, nps, active_customers, retention_rate, repeat_customers, clv,
);

/// The output tables built from the indicators.
pub const MART: &[SqlFile] = sql_files!("mart": indicators);

/// Checks run on every computed period: each returns the rows that break it.
pub const CHECKS: &[SqlFile] = sql_files!("checks":
    additive_measures_reconcile, counts_not_negative, values_within_bounds, amounts_without_rate,
);

/// What the reports read from the output tables (`indicators`, `scorecards`, `flags`) and the org.
pub const REPORT: &[SqlFile] = sql_files!("report":
    report_indicators, report_trend, report_targets, report_scorecards, report_history, report_flags,
    report_people, report_restated, report_restated_scores, report_lead_quality,
);

/// Every embedded file, for `validate` and the test that no file on disk is forgotten.
pub fn all() -> impl Iterator<Item = &'static SqlFile> {
    STAGING
        .iter()
        .chain(AUDIT_RULES)
        .chain(AUDIT_REPORT)
        .chain(AUDITED)
        .chain(INDICATORS)
        .chain(MART)
        .chain(CHECKS)
        .chain(REPORT)
}

#[derive(Debug, thiserror::Error)]
pub enum SqlError {
    #[error("{file} does not plan: {source}")]
    Plan {
        file: String,
        #[source]
        source: DataFusionError,
    },
    #[error("{file} failed while running: {source}")]
    Execute {
        file: String,
        #[source]
        source: DataFusionError,
    },
}

impl SqlError {
    pub fn execute(file: &SqlFile, source: DataFusionError) -> SqlError {
        SqlError::Execute { file: file.path(), source }
    }
}

/// Named parameters (`$name` in SQL). A file may use any subset.
#[derive(Debug, Clone, Default)]
pub struct Params(HashMap<String, ScalarValue>);

impl Params {
    pub fn set(&mut self, name: &str, value: ScalarValue) -> &mut Self {
        self.0.insert(name.to_string(), value);
        self
    }

    pub fn with(mut self, name: &str, value: ScalarValue) -> Self {
        self.set(name, value);
        self
    }

    pub fn extend(&mut self, other: &Params) {
        self.0.extend(other.0.iter().map(|(k, v)| (k.clone(), v.clone())));
    }

    pub fn values(&self) -> ParamValues {
        ParamValues::from(self.0.clone())
    }
}

/// Plans one file with its parameters bound. Nothing runs yet.
pub async fn plan(ctx: &SessionContext, file: &SqlFile, params: &Params) -> Result<DataFrame, SqlError> {
    let fail = |source| SqlError::Plan { file: file.path(), source };
    let df = ctx.sql(file.text()).await.map_err(fail)?;
    df.with_param_values(params.values()).map_err(fail)
}

/// Plans every file down to a physical plan without running it (`validate`).
pub async fn check_plans(ctx: &SessionContext, file: &SqlFile, params: &Params) -> Result<(), SqlError> {
    let df = plan(ctx, file, params).await?;
    df.create_physical_plan().await.map(|_| ()).map_err(|source| SqlError::Plan { file: file.path(), source })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_sql_file_on_disk_is_embedded() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sql");
        let embedded: std::collections::BTreeSet<String> = all().map(SqlFile::path).collect();
        for layer in ["stg", "audit", "audit_report", "aud", "kpi", "mart", "checks", "report"] {
            for entry in std::fs::read_dir(root.join(layer)).unwrap() {
                let name = entry.unwrap().file_name().to_string_lossy().into_owned();
                let path = format!("sql/{layer}/{name}");
                assert!(embedded.contains(&path), "{path} is not listed in src/sql.rs");
            }
        }
    }

    #[tokio::test]
    async fn a_file_that_does_not_plan_is_named_and_parameters_are_bound() {
        let ctx = SessionContext::new();
        static BAD: SqlFile = SqlFile { layer: "kpi", name: "bad", embedded: "SELECT nope FROM nowhere" };
        let err = plan(&ctx, &BAD, &Params::default()).await.unwrap_err();
        assert!(matches!(&err, SqlError::Plan { file, .. } if file == "sql/kpi/bad.sql"), "{err}");

        static GOOD: SqlFile = SqlFile { layer: "kpi", name: "good", embedded: "SELECT $n + 1 AS answer" };
        let params = Params::default().with("n", ScalarValue::Int64(Some(41)));
        let batches = plan(&ctx, &GOOD, &params).await.unwrap().collect().await.unwrap();
        let answer =
            datafusion::arrow::compute::cast(batches[0].column(0), &datafusion::arrow::datatypes::DataType::Int64)
                .unwrap();
        assert_eq!(answer.as_any().downcast_ref::<datafusion::arrow::array::Int64Array>().unwrap().value(0), 42);

        let err = plan(&ctx, &GOOD, &Params::default()).await.unwrap_err();
        assert!(err.to_string().contains("$n"), "an unbound parameter is named: {err}");
    }
}
