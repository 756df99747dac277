//! Late data for closed periods: which closed periods read a lake object that is no longer as it
//! was when they closed — a month partition rewritten by a late or corrected export, a ledger object
//! the audit changed, a new partition inside the months a period read — found by comparing each
//! closed period's proof bundle with the manifests ingest and the audit just wrote. The close
//! recomputes each period found and, where its figures change, names the months, the exports and
//! the figures and asks for `--reopen`; nothing else makes a closed period ask.

use std::collections::{BTreeMap, BTreeSet};

use super::Result;
use crate::ingest::IngestPlan;
use crate::lake::records::{AuditManifest, IngestManifest, PeriodClose};
use crate::lake::{Lake, layout, records};
use crate::period::Period;
use crate::proof;

/// A closed period whose inputs changed since it closed.
#[derive(Debug, Clone)]
pub struct Touched {
    pub period: Period,
    pub revision: i64,
    /// One line per changed object: what changed, and the exports that wrote that month.
    pub objects: Vec<String>,
}

/// Every closed period but `skip` whose bundle's objects changed, oldest first.
pub async fn touched(lake: &Lake, ingest: &IngestPlan, skip: &[Period]) -> Result<Vec<Touched>> {
    let manifest = IngestManifest::load(lake).await?;
    let audit = AuditManifest::load(lake).await?.unwrap_or_default();
    let mut now: BTreeMap<&str, &str> = BTreeMap::new();
    for entry in manifest.datasets.values() {
        now.extend(entry.objects.iter().map(|(p, h)| (p.as_str(), h.as_str())));
    }
    now.extend(audit.objects.iter().map(|(p, o)| (p.as_str(), o.sha256.as_str())));
    let mut out = Vec::new();
    for state in records::read_all::<PeriodClose>(lake, "closes").await? {
        let Ok(period) = state.period.parse::<Period>() else { continue };
        if !state.is_closed() || skip.contains(&period) {
            continue;
        }
        let Ok(bundle) = proof::load(lake, period).await else { continue };
        if bundle.format < proof::FORMAT {
            continue;
        }
        let mut objects = Vec::new();
        for (path, then) in &bundle.lake {
            if !layout::is_lake_input(path) || path.starts_with("proofs/") {
                continue;
            }
            let current = match now.get(path.as_str()) {
                Some(h) => Some(h.to_string()),
                None => lake.sha256(path).await?,
            };
            match current {
                Some(h) if h == *then => {}
                Some(_) => objects.push(format!("{path} changed{}", exports(&manifest, ingest, path))),
                None => objects.push(format!("{path} is gone{}", exports(&manifest, ingest, path))),
            }
        }
        objects.extend(new_partitions(&manifest, ingest, &bundle.lake, period));
        if !objects.is_empty() {
            out.push(Touched { period, revision: state.revision, objects });
        }
    }
    out.sort_by_key(|t| (t.period.months().last().copied(), t.period.kind().months()));
    Ok(out)
}

/// Partitions that exist now inside the months a period read of a dataset, but did not when it
/// closed (a late export for a month that had no rows): the months of the unbroken run of months
/// it read that ends with the last one it read.
fn new_partitions(
    manifest: &IngestManifest,
    ingest: &IngestPlan,
    read: &BTreeMap<String, String>,
    period: Period,
) -> Vec<String> {
    let last = period.months().last().copied().unwrap_or(period);
    let mut out = Vec::new();
    for (dataset, entry) in &manifest.datasets {
        let months: BTreeSet<Period> = read
            .keys()
            .filter(|p| p.starts_with(&layout::data_dir(dataset)))
            .filter_map(|p| layout::month_of(p)?.parse().ok())
            .collect();
        let Some(mut first) = months.last().copied() else { continue };
        while months.contains(&first.shifted(-1)) {
            first = first.shifted(-1);
        }
        for month in entry.months.iter().filter_map(|m| m.parse::<Period>().ok()) {
            let path = layout::data_month(dataset, month);
            if month >= first && month <= last && !read.contains_key(&path) {
                out.push(format!("{path} is new{}", exports(manifest, ingest, &path)));
            }
        }
    }
    out
}

/// `: from <export> (new), …` — the exports whose rows are in the object's month, new or changed
/// ones marked.
fn exports(manifest: &IngestManifest, ingest: &IngestPlan, path: &str) -> String {
    let Some(month) = layout::month_of(path) else { return String::new() };
    let dataset = path.strip_prefix(&format!("{}/", layout::DATA_DIR)).and_then(|p| p.split('/').next());
    let Some(entry) = dataset.and_then(|d| manifest.datasets.get(d)) else { return String::new() };
    let names: Vec<String> = entry
        .files
        .iter()
        .filter(|f| f.months.contains_key(month))
        .map(|f| {
            let status = ingest.files().find(|p| p.display == f.path).map(|p| p.status.label()).unwrap_or("");
            match status {
                "new" | "changed" => format!("{} ({status})", f.path),
                _ => f.path.clone(),
            }
        })
        .collect();
    let removed: Vec<&String> = ingest.datasets.iter().flat_map(|d| d.removed.iter()).collect();
    let mut text = match names.is_empty() {
        true => String::new(),
        false => format!(": rows from {}", names.join(", ")),
    };
    if !removed.is_empty() {
        let removed: Vec<&str> = removed.iter().map(|r| r.as_str()).collect();
        text.push_str(&format!("; exports gone: {}", removed.join(", ")));
    }
    text
}
