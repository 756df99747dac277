//! Stage `audit`: flags fake traffic and brushed volume, row by row, never deleting anything.
//!
//! In: the lake's staging views (`stg_*`), the reference lists (`lists`) and the thresholds in
//! `[audit]`. Each rule of README, "Audit" is one `sql/audit/<rule>.sql` returning the rows it catches; the
//! stage labels them with the dataset, rule id and rule version and writes the exclusion ledger, one
//! object per rule: `exclusions/<RULE_ID>.parquet`, sorted by period and record key (rule cards:
//! `sql::rules`). A rule switched
//! off (or on a switched-off dataset) has no object. `manifests/audit.json`, written last, records the
//! rule set that ran, the thresholds and the SHA-256 of every list. The `aud_*` views, and so every
//! net indicator, read the ledger.
//!
//! The audit covers the whole lake: duplicate rules need history, and a rule change re-judges every
//! month. The manifest also keeps a fingerprint of everything the ledger follows from (the ingest
//! manifest, this program's SQL, the lists, `[audit]`, the timezone): an audit whose inputs have not
//! changed since the last finished one keeps that ledger instead of computing it again (at the
//! benchmark scale that is half an hour a re-run close does not spend). Fails: a list that does not
//! load (file, line), a rule that does not plan or run (named).

pub mod lists;
pub mod report;

use std::collections::BTreeMap;
use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::DataType;
use datafusion::datasource::MemTable;
use datafusion::error::DataFusionError;
use datafusion::prelude::{SessionContext, cast, col, lit};
use datafusion::scalar::ScalarValue;
use futures::{StreamExt, TryStreamExt};

use crate::config::Config;
use crate::engine::{self, AsOf, EngineError, Lookups, Scope};
use crate::exit::ExitCode;
use crate::lake::records::{self, AuditManifest, IngestManifest, LedgerObject, ListEntry, RuleRun};
use crate::lake::{Lake, LakeError, layout, tables};
use crate::period::Period;
use crate::sql::rules::{self, Rule, RuleError};
use crate::sql::{self, Params, SqlError};
pub use lists::{ListError, Lists};

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error(transparent)]
    List(#[from] ListError),
    #[error(transparent)]
    Rule(#[from] RuleError),
    #[error(transparent)]
    Sql(#[from] SqlError),
    #[error(transparent)]
    Session(#[from] EngineError),
    #[error(transparent)]
    Lake(#[from] LakeError),
    #[error("the audit engine failed: {0}")]
    Engine(#[source] DataFusionError),
}

impl AuditError {
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::Runtime
    }
}

/// The thresholds as SQL parameters (`$rate_ip_per_minute`, …).
pub fn params(config: &Config) -> Params {
    let a = &config.audit;
    let int = |v: u64| ScalarValue::Int64(Some(v.min(i64::MAX as u64) as i64));
    let float = |v: f64| ScalarValue::Float64(Some(v));
    Params::default()
        .with("rate_ip_per_minute", int(a.rate_ip_per_minute))
        .with("rate_visitor_per_minute", int(a.rate_visitor_per_minute))
        .with("form_fast_seconds", float(a.form_fast_seconds))
        .with("form_burst_count", int(a.form_burst_count))
        .with("form_burst_hours", float(a.form_burst_hours))
        .with("refund_days", float(a.refund_days))
        .with("same_day_orders", int(a.same_day_orders))
        .with("social_mad_factor", float(a.social_mad_factor))
        .with("social_window_days", int(a.social_window_days))
}

/// A session over the lake's staging data (no exclusions) with the lists registered; `to_run`: for
/// running the rules (the staging lookups computed once), else for planning them.
pub async fn session(config: &Config, lake: &Lake, lists: &Lists, to_run: bool) -> Result<SessionContext, AuditError> {
    let lookups = if to_run { Lookups::Computed } else { Lookups::Views };
    let ctx = engine::session(config, lake, Scope::Gross, lookups, AsOf::NOW).await?;
    lists.register(&ctx).map_err(AuditError::Engine)?;
    Ok(ctx)
}

/// Computes the web events' staging view once for all the rules that read it (nine of them): its
/// copy numbering sorts every event, which would otherwise happen once per rule. The columns the
/// rules do not read are left out. The result is written to a Parquet file in a scratch folder
/// (under `engine.spill_dir`, else the system's temporary folder), not kept in memory: it is the
/// size of the whole web history, so it streams to disk within `engine.memory_limit`. The folder
/// goes when the returned guard is dropped.
async fn cache_web_events(ctx: &SessionContext, config: &Config) -> Result<engine::Scratch, AuditError> {
    let engine = |e: DataFusionError| AuditError::Engine(e.context("computing stg_web_events once for the web rules"));
    let columns = [
        "record_key",
        "event_id",
        "event_time",
        "event_type",
        "visitor_id",
        "session_id",
        "ip",
        "user_agent",
        "lead_id",
        "month",
    ];
    let scratch = engine::Scratch::new(config.engine.spill_dir.as_deref(), "audit").map_err(|e| engine(e.into()))?;
    let events = ctx.table("stg_web_events").await.map_err(engine)?.select_columns(&columns).map_err(engine)?;
    let cached = engine::materialize(events, &scratch, "stg_web_events", None).await.map_err(engine)?;
    let cached = cached.read(ctx).await.map_err(engine)?;
    ctx.deregister_table("stg_web_events").map_err(engine)?;
    ctx.register_table("stg_web_events", cached.into_view()).map_err(engine)?;
    Ok(scratch)
}

/// Judges every month the lake holds with every enabled rule and writes the ledger, month by month,
/// and the manifest.
#[tracing::instrument(name = "audit", skip_all)]
pub async fn run(config: &Config, lake: &Lake) -> Result<AuditManifest, AuditError> {
    let started = std::time::Instant::now();
    let lists = Lists::load(&config.audit)?;
    let mut manifest = AuditManifest {
        enabled: config.audit.enabled,
        thresholds: config.audit.thresholds(),
        lists: lists
            .texts
            .iter()
            .map(|l| {
                let entry = ListEntry {
                    origin: l.origin.clone(),
                    sha256: l.sha256(),
                    source: l.header("Source"),
                    as_of: l.header("As of"),
                };
                (l.name.to_string(), entry)
            })
            .collect(),
        ..AuditManifest::default()
    };
    manifest.inputs = fingerprint(config, lake, &manifest).await?;
    if let Some(last) = unchanged(lake, &manifest).await? {
        tracing::info!(
            rules = last.rules.len(),
            flagged = last.rules.values().map(|r| r.rows_flagged).sum::<u64>(),
            "Audit inputs unchanged since the last audit: its ledger stands"
        );
        return Ok(AuditManifest { kept: true, ..last });
    }
    lake.delete(layout::AUDIT_MANIFEST).await?;
    let mut to_run: Vec<&'static Rule> = Vec::new();
    for rule in rules::rules()? {
        match why_not(config, rule) {
            Some(why) => drop(manifest.skipped.insert(rule.id.clone(), why.to_string())),
            None => to_run.push(rule),
        }
    }
    let months: Vec<Period> = IngestManifest::load(lake)
        .await?
        .datasets
        .values()
        .flat_map(|d| d.months.iter().filter_map(|m| m.parse().ok()))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    manifest.months = months.iter().map(ToString::to_string).collect();
    let ctx = session(config, lake, &lists, true).await?;
    let _scratch = match to_run.is_empty() {
        true => None,
        false => Some(cache_web_events(&ctx, config).await?),
    };
    // The rules judge every month in one pass, or — those whose verdict can depend on later rows —
    // one month at a time, several runs at once; LEAD_FROM_FLAGGED last, reading what the web rules
    // found.
    let (from_flagged, first): (Vec<&'static Rule>, Vec<&'static Rule>) =
        to_run.iter().copied().partition(|r| r.id == "LEAD_FROM_FLAGGED");
    let (Some(&earliest), Some(&latest)) = (months.first(), months.last()) else {
        return finish(lake, manifest, std::collections::BTreeSet::new(), started).await;
    };
    let runs = |rules: &[&'static Rule]| -> Vec<(&'static Rule, Period, Period)> {
        rules
            .iter()
            .flat_map(|r| match r.month_by_month {
                true => months.iter().map(|m| (*r, *m, *m)).collect::<Vec<_>>(),
                false => vec![(*r, earliest, latest)],
            })
            .collect()
    };
    let bar = crate::progress::bar(runs(&to_run).len(), "audit");
    let judge = |jobs: Vec<(&'static Rule, Period, Period)>| {
        let (ctx, bar) = (&ctx, &bar);
        futures::stream::iter(jobs)
            .map(move |(rule, from, to)| async move {
                let began = std::time::Instant::now();
                let batches = run_rule(ctx, rule, &judge_params(config, from, to)).await?;
                bar.inc(1);
                let rows: usize = batches.iter().map(RecordBatch::num_rows).sum();
                tracing::debug!(rule = %rule.id, %from, %to, rows, elapsed_ms = began.elapsed().as_millis() as u64, "Rule ran");
                Ok::<_, AuditError>((rule, batches))
            })
            .buffered(engine::parallelism(&config.engine))
            .try_collect::<Vec<_>>()
    };
    let mut judged = judge(runs(&first)).await?;
    let mut web_flags = Vec::new();
    for (_, batches) in judged.iter().filter(|(r, _)| r.dataset == "web_events") {
        for b in batches {
            // record_key, rule_id and the row's month (`period`).
            let columns = vec![b.column(1).clone(), b.column(3).clone(), b.column(2).clone()];
            web_flags.push(RecordBatch::try_new(flag_schema(), columns).map_err(|e| AuditError::Engine(e.into()))?);
        }
    }
    if !from_flagged.is_empty() {
        let table = MemTable::try_new(flag_schema(), vec![web_flags]).map_err(AuditError::Engine)?;
        ctx.deregister_table("web_flags").map_err(AuditError::Engine)?;
        ctx.register_table("web_flags", Arc::new(table)).map_err(AuditError::Engine)?;
        judged.extend(judge(runs(&from_flagged)).await?);
    }
    let mut written = std::collections::BTreeSet::new();
    for rule in &to_run {
        let entry = RuleRun { dataset: rule.dataset.clone(), rule_version: rule.rule_version.clone(), rows_flagged: 0 };
        manifest.rules.insert(rule.id.clone(), entry);
    }
    // One ledger object per month and rule: the rows of a run, split by their month.
    let mut by_object: BTreeMap<String, Vec<RecordBatch>> = BTreeMap::new();
    for (rule, batches) in judged {
        if let Some(run) = manifest.rules.get_mut(&rule.id) {
            run.rows_flagged += batches.iter().map(|b| b.num_rows() as u64).sum::<u64>();
        }
        for batch in &batches {
            for (month, part) in by_month(batch)? {
                by_object.entry(layout::ledger(month, &rule.id)).or_default().push(part);
            }
        }
    }
    for (path, batches) in by_object {
        let rows: u64 = batches.iter().map(|b| b.num_rows() as u64).sum();
        let bytes = crate::lake::parquet_bytes(tables::exclusions(), &batches)?;
        manifest.objects.insert(path.clone(), LedgerObject { rows, sha256: sha256(&bytes) });
        lake.put(&path, bytes).await?;
        written.insert(path);
    }
    bar.finish_and_clear();
    finish(lake, manifest, written, started).await
}

/// Removes the ledger objects no rule produced this time (a rule switched off, a month that no
/// longer flags, the ledger of an earlier layout) and writes the manifest.
async fn finish(
    lake: &Lake,
    manifest: AuditManifest,
    written: std::collections::BTreeSet<String>,
    started: std::time::Instant,
) -> Result<AuditManifest, AuditError> {
    for stale in lake.list(layout::EXCLUSIONS_DIR).await? {
        if !written.contains(&stale) {
            lake.delete(&stale).await?;
        }
    }
    records::write(lake, layout::AUDIT_MANIFEST, &manifest).await?;
    let flagged: u64 = manifest.rules.values().map(|r| r.rows_flagged).sum();
    tracing::info!(
        rules = manifest.rules.len(),
        objects = manifest.objects.len(),
        flagged,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "Audit done"
    );
    Ok(manifest)
}

/// A ledger batch (sorted by period) split into its runs of one month.
fn by_month(batch: &RecordBatch) -> Result<Vec<(String, RecordBatch)>, AuditError> {
    use datafusion::arrow::array::{Array, AsArray};
    let periods = batch.column(2).as_string::<i32>();
    let mut out: Vec<(String, RecordBatch)> = Vec::new();
    let mut start = 0;
    while start < batch.num_rows() {
        let month = if periods.is_valid(start) { periods.value(start) } else { "" };
        let mut end = start + 1;
        while end < batch.num_rows() && periods.is_valid(end) && periods.value(end) == month {
            end += 1;
        }
        out.push((month.to_string(), batch.slice(start, end - start)));
        start = end;
    }
    Ok(out)
}

/// Why a rule does not run, if it does not.
fn why_not(config: &Config, rule: &Rule) -> Option<&'static str> {
    if !config.audit.enabled {
        Some("the audit is switched off (audit.enabled)")
    } else if config.audit.disabled_rules.iter().any(|r| r.eq_ignore_ascii_case(&rule.id)) {
        Some("switched off in audit.disabled_rules")
    } else if config.audit.disabled_datasets.contains(&rule.dataset) {
        Some("its dataset is in audit.disabled_datasets")
    } else {
        None
    }
}

/// The parameters a rule judges the months `first` … `last` with: the thresholds; the judged months
/// `$judge_from` … `$judge_to` (the month after the last) and their span `$judge_start_at` …
/// `$judge_end_at`, past which no rule reads; and where each rule's look back begins —
/// `$prev_month_from` (the month before the first), `$rate_from_at` / `$rate_month_from` (60 s),
/// `$burst_from_at` / `$burst_month_from` (`audit.form_burst_hours`), `$social_from_date` /
/// `$social_month_from` (`audit.social_window_days`) and `$half_month_from` (the first month of the
/// half-year holding the first judged month).
fn judge_params(config: &Config, first: Period, last: Period) -> Params {
    let tz = config.company.timezone;
    let text = |p: Period| ScalarValue::Utf8(Some(p.to_string()));
    let (start, _) = first.bounds(tz);
    let (_, end) = last.bounds(tz);
    let (first_day, _) = first.dates();
    let rate_from = start - chrono::Duration::seconds(60);
    let burst_from = start - chrono::Duration::seconds((config.audit.form_burst_hours * 3600.0).ceil() as i64);
    let social_from = first_day - chrono::Duration::days(config.audit.social_window_days.min(36_500) as i64);
    let half = first.containing().into_iter().find(|p| p.kind() == crate::period::PeriodKind::Half);
    let mut p = params(config);
    p.set("judge_from", text(first))
        .set("judge_to", text(last.shifted(1)))
        .set("judge_start_at", engine::instant_value(start))
        .set("judge_end_at", engine::instant_value(end))
        .set("prev_month_from", text(first.shifted(-1)))
        .set("rate_from_at", engine::instant_value(rate_from))
        .set("rate_month_from", text(Period::month_of(rate_from, tz)))
        .set("burst_from_at", engine::instant_value(burst_from))
        .set("burst_month_from", text(Period::month_of(burst_from, tz)))
        .set("social_from_date", engine::date_value(social_from))
        .set("social_month_from", text(Period::month_of_date(social_from)))
        .set("half_month_from", text(half.and_then(|h| h.months().first().copied()).unwrap_or(first)));
    p
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(bytes))
}

/// SHA-256 over what the ledger follows from: the exports (by the ingest manifest, which holds each
/// one's SHA-256), the program version and its staging, rule and audited-view SQL, `[audit]` (lists,
/// thresholds, switches), the company timezone, and the lists' contents (in `manifest`).
async fn fingerprint(config: &Config, lake: &Lake, manifest: &AuditManifest) -> Result<String, AuditError> {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    let mut part = |bytes: &[u8]| {
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(bytes);
    };
    part(env!("CARGO_PKG_VERSION").as_bytes());
    // The exports by content: when they were last read (their size, time and inode) does not matter.
    let mut ingest = IngestManifest::load(lake).await?;
    for file in ingest.datasets.values_mut().flat_map(|d| d.files.iter_mut()) {
        file.identity = None;
    }
    part(&serde_json::to_vec(&ingest).unwrap_or_default());
    for file in sql::STAGING.iter().chain(sql::AUDIT_RULES).chain(sql::AUDITED) {
        part(file.path().as_bytes());
        part(file.text().as_bytes());
    }
    part(format!("{:?}", config.audit).as_bytes());
    part(format!("{:?}", config.company.timezone).as_bytes());
    part(&serde_json::to_vec(manifest).unwrap_or_default());
    Ok(hex::encode(hash.finalize()))
}

/// The last finished audit, if its inputs were the same and every ledger object it wrote is there.
async fn unchanged(lake: &Lake, manifest: &AuditManifest) -> Result<Option<AuditManifest>, AuditError> {
    let Some(last) = AuditManifest::load(lake).await? else { return Ok(None) };
    if last.inputs != manifest.inputs {
        return Ok(None);
    }
    for object in last.objects.keys() {
        if !lake.exists(object).await? {
            return Ok(None);
        }
    }
    Ok(Some(last))
}

/// Loads the lists and plans every rule and report file without running them (`validate`); one
/// message per problem.
pub async fn check(config: &Config, lake: &Lake) -> Result<Vec<String>, AuditError> {
    let lists = match Lists::load(&config.audit) {
        Ok(lists) => lists,
        Err(e) => return Ok(vec![e.to_string()]),
    };
    let mut problems = Vec::new();
    if let Err(e) = rules::rules() {
        problems.push(e.to_string());
    }
    let ctx = session(config, lake, &lists, false).await?;
    let table = MemTable::try_new(flag_schema(), vec![vec![]]).map_err(AuditError::Engine)?;
    ctx.register_table("web_flags", Arc::new(table)).map_err(AuditError::Engine)?;
    let month = Period::Month { year: 2026, month: 1 };
    let params = judge_params(config, month, month);
    for file in sql::AUDIT_RULES {
        if let Err(e) = sql::check_plans(&ctx, file, &params).await {
            problems.push(e.to_string());
        }
    }
    let report_params = engine::params(config, crate::period::Period::Month { year: 2026, month: 1 });
    for file in sql::AUDIT_REPORT {
        if let Err(e) = sql::check_plans(&ctx, file, &report_params).await {
            problems.push(e.to_string());
        }
    }
    Ok(problems)
}

/// `web_flags`: what the web rules flagged so far (for `LEAD_FROM_FLAGGED`), by month.
fn flag_schema() -> datafusion::arrow::datatypes::SchemaRef {
    use datafusion::arrow::datatypes::{Field, Schema};
    Arc::new(Schema::new(vec![
        Field::new("record_key", DataType::Utf8, false),
        Field::new("rule_id", DataType::Utf8, false),
        Field::new("month", DataType::Utf8, true),
    ]))
}

/// One rule's ledger rows, in the ledger's schema, sorted by period and record key.
async fn run_rule(ctx: &SessionContext, rule: &Rule, params: &Params) -> Result<Vec<RecordBatch>, AuditError> {
    let plan_err = |e| SqlError::Plan { file: rule.file.path(), source: e };
    let df = sql::plan(ctx, rule.file, params).await?;
    let df = df
        .select(vec![
            lit(rule.dataset.as_str()).alias("dataset"),
            cast(col("record_key"), DataType::Utf8).alias("record_key"),
            cast(col("month"), DataType::Utf8).alias("period"),
            lit(rule.id.as_str()).alias("rule_id"),
            lit(rule.rule_version.as_str()).alias("rule_version"),
            cast(col("detail"), DataType::Utf8).alias("detail"),
            lit(rule.class.as_str()).alias("ivt_class"),
            lit(rule.kind.as_str()).alias("ivt_kind"),
        ])
        .map_err(plan_err)?
        .sort(vec![col("period").sort(true, true), col("record_key").sort(true, true)])
        .map_err(plan_err)?;
    let batches = df.collect().await.map_err(|e| SqlError::execute(rule.file, e))?;
    let schema = tables::exclusions();
    batches
        .iter()
        .map(|b| RecordBatch::try_new(schema.clone(), b.columns().to_vec()))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| AuditError::Engine(e.into()))
}
