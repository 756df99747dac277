//! Audit rule cards: each `sql/audit/<rule>.sql` opens with `-- rule:`, `-- dataset:`, `-- version:`,
//! `-- class:`, `-- catches:`, `-- judges:` and `-- reads:` lines; other leading comment lines are
//! notes. The class places the rule in the invalid-traffic taxonomy of the MRC's guideline (README,
//! "Audit"): `GIVT` or `SIVT`, then the kind of invalid activity it finds (a label of the reports,
//! `ivt_<kind>` in `report_templates/i18n/`). A rule
//! returns `record_key`, `month` and `detail` for every row of the judged months
//! (`$judge_from` … `$judge_to`) it catches.

use std::sync::OnceLock;

use super::{AUDIT_RULES, SqlFile};

#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub dataset: String,
    pub version: u32,
    pub catches: String,
    pub class: IvtClass,
    /// The kind of invalid activity within the class (`data_centre`, `automation`, …).
    pub kind: String,
    /// Whether the rule must judge one month at a time (`-- judges: month by month`): its verdict on a
    /// row can depend on rows after it, which a month's ledger must not see. The others judge every
    /// month in one pass (`-- judges: every month in one pass`).
    pub month_by_month: bool,
    /// `<version>-<first 8 hex of the SQL file's SHA-256>`, written to every ledger row.
    pub rule_version: String,
    pub file: &'static SqlFile,
}

/// General invalid traffic — found by lists and routine checks (crawlers, data centres, non-browser
/// agents, duplicates, internal and test records) — or sophisticated invalid traffic, found by
/// analysing behaviour (bursts, scripted forms, brushed orders, manipulated engagement).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum IvtClass {
    Givt,
    Sivt,
}

impl IvtClass {
    pub fn as_str(self) -> &'static str {
        match self {
            IvtClass::Givt => "GIVT",
            IvtClass::Sivt => "SIVT",
        }
    }
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}: rule card: {message}")]
pub struct RuleError {
    pub file: String,
    pub message: String,
}

impl Rule {
    pub fn parse(file: &'static SqlFile) -> Result<Rule, RuleError> {
        let fail = |message: String| RuleError { file: file.path(), message };
        let mut fields = std::collections::BTreeMap::new();
        for line in file.text().lines().map_while(|l| l.strip_prefix("-- ")) {
            if let Some((key, value)) = line.split_once(": ")
                && ["rule", "dataset", "version", "class", "catches", "judges"].contains(&key)
            {
                fields.insert(key, value.trim().to_string());
            }
        }
        let get = |key: &str| fields.get(key).cloned().ok_or_else(|| fail(format!("missing `-- {key}:`")));
        let id = get("rule")?;
        if id.to_lowercase() != file.name {
            return Err(fail(format!("rule `{id}` must live in sql/audit/{}.sql", id.to_lowercase())));
        }
        let dataset = get("dataset")?;
        if crate::datasets::dataset(&dataset).is_none() {
            return Err(fail(format!("no dataset `{dataset}`")));
        }
        let version: u32 = get("version")?.parse().map_err(|_| fail("version must be a whole number".into()))?;
        let digest = file.sha256();
        let month_by_month = match get("judges")?.split(':').next().unwrap_or_default().trim() {
            "month by month" => true,
            "every month in one pass" => false,
            other => {
                return Err(fail(format!("judges `{other}` is not `month by month` or `every month in one pass`")));
            }
        };
        let class_line = get("class")?;
        let (class, kind) = match class_line.split_once(' ') {
            Some(("GIVT", kind)) => (IvtClass::Givt, kind.trim()),
            Some(("SIVT", kind)) => (IvtClass::Sivt, kind.trim()),
            _ => return Err(fail(format!("class `{class_line}` is not `GIVT <kind>` or `SIVT <kind>`"))),
        };
        if kind.is_empty() || !kind.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            return Err(fail(format!("class kind `{kind}` must be a lower-case word like `data_centre`")));
        }
        Ok(Rule {
            rule_version: format!("{version}-{}", &digest[..8]),
            id,
            dataset,
            version,
            catches: get("catches")?,
            class,
            kind: kind.to_string(),
            month_by_month,
            file,
        })
    }
}

/// Every rule, in the order they run.
pub fn rules() -> Result<&'static [Rule], RuleError> {
    static RULES: OnceLock<Result<Vec<Rule>, RuleError>> = OnceLock::new();
    RULES
        .get_or_init(|| AUDIT_RULES.iter().map(Rule::parse).collect())
        .as_ref()
        .map(Vec::as_slice)
        .map_err(Clone::clone)
}

pub fn is_known(id: &str) -> bool {
    AUDIT_RULES.iter().any(|f| f.name == id.to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_of_the_spec_has_a_file_and_a_card() {
        let ids: Vec<&str> = rules().unwrap().iter().map(|r| r.id.as_str()).collect();
        for id in [
            "UA_BOT",
            "UA_NONBROWSER",
            "IP_DATACENTER",
            "IP_INTERNAL",
            "RATE_IP",
            "RATE_VISITOR",
            "DUP_EVENT",
            "FORM_FAST",
            "FORM_BURST",
            "LEAD_DUP",
            "LEAD_DISPOSABLE",
            "LEAD_TEST",
            "LEAD_FROM_FLAGGED",
            "ORDER_VOID",
            "ORDER_BRUSH",
            "SOCIAL_SPIKE",
            "SPEND_INVALID",
            "NPS_DUP",
        ] {
            assert!(ids.contains(&id), "{id} missing");
        }
        let from_flagged = ids.iter().position(|i| *i == "LEAD_FROM_FLAGGED").unwrap();
        for web in rules().unwrap().iter().filter(|r| r.dataset == "web_events") {
            assert!(
                ids.iter().position(|i| *i == web.id).unwrap() < from_flagged,
                "{} runs after LEAD_FROM_FLAGGED",
                web.id
            );
        }
    }
}
