//! The data contract (README, "The lake" and "What ingest accepts"): the canonical datasets, their columns, types, keys and the column
//! that decides a row's month partition in the lake.
//!
//! Every export is mapped onto one of these datasets by `sources.*` in the config; ingest checks each
//! cell against the column's type here and sends what does not fit to `rejects`.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};

/// How a cell is parsed and stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnType {
    /// Free text, stored as UTF-8 (trimmed; empty is null).
    Text,
    /// One of a fixed set of lower-case values.
    Enum(&'static [&'static str]),
    /// An instant: with an offset, or naive and read in the source's timezone. Stored in UTC.
    Timestamp,
    /// A calendar date.
    Date,
    /// An exact amount: thousands separators and currency symbols allowed; at most 4 decimals.
    Money,
    /// A whole number within bounds (inclusive).
    Int { min: i64, max: i64 },
    /// true/false, 1/0, yes/no, y/n, 是/否.
    Bool,
    /// A reporting period: `2026-10`, `2026-Q4`, `2026-H2` or `2026`.
    Period,
}

/// Decimal precision and scale of `Money` columns in the lake.
pub const MONEY_PRECISION: u8 = 18;
pub const MONEY_SCALE: i8 = 4;

impl ColumnType {
    pub fn arrow_type(self) -> DataType {
        match self {
            ColumnType::Text | ColumnType::Enum(_) | ColumnType::Period => DataType::Utf8,
            ColumnType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, Some("UTC".into())),
            ColumnType::Date => DataType::Date32,
            ColumnType::Money => DataType::Decimal128(MONEY_PRECISION, MONEY_SCALE),
            ColumnType::Int { .. } => DataType::Int64,
            ColumnType::Bool => DataType::Boolean,
        }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub ty: ColumnType,
    pub required: bool,
}

#[derive(Debug)]
pub struct Dataset {
    pub name: &'static str,
    /// Columns that identify a record; a newer export replaces an older one's rows with the same key.
    /// Empty: the whole row is the key.
    pub key: &'static [&'static str],
    /// The timestamp or date column whose month (company timezone) partitions the lake.
    pub partition_by: Option<&'static str>,
    pub columns: &'static [Column],
}

/// Lineage columns ingest appends to every lake row: which export file and line it came from.
pub const SOURCE_FILE: &str = "source_file";
pub const SOURCE_LINE: &str = "source_line";
/// Which copy of its key the row is among the rows of its export in its month: 1 for the first,
/// 2 for the second … (the staging views name copies `<key>#2`, so the audit can exclude them).
pub const KEY_COPY: &str = "key_copy";

impl Dataset {
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// The schema of this dataset's lake files: the canonical columns, then the lineage columns and
    /// the key's copy number.
    pub fn lake_schema(&self) -> SchemaRef {
        let mut fields: Vec<Field> =
            self.columns.iter().map(|c| Field::new(c.name, c.ty.arrow_type(), !c.required)).collect();
        fields.push(Field::new(SOURCE_FILE, DataType::Utf8, false));
        fields.push(Field::new(SOURCE_LINE, DataType::Int64, false));
        fields.push(Field::new(KEY_COPY, DataType::Int64, false));
        Arc::new(Schema::new(fields))
    }
}

const fn req(name: &'static str, ty: ColumnType) -> Column {
    Column { name, ty, required: true }
}

const fn opt(name: &'static str, ty: ColumnType) -> Column {
    Column { name, ty, required: false }
}

const TEXT: ColumnType = ColumnType::Text;
const TS: ColumnType = ColumnType::Timestamp;
const DATE: ColumnType = ColumnType::Date;
const MONEY: ColumnType = ColumnType::Money;
const COUNT: ColumnType = ColumnType::Int { min: 0, max: i64::MAX };
const BOOL: ColumnType = ColumnType::Bool;

pub const EVENT_TYPES: &[&str] = &["page_view", "form_submit", "click", "install", "other"];
pub const ORDER_STATUSES: &[&str] = &["paid", "refunded", "cancelled", "pending"];
pub const ENTITY_TYPES: &[&str] = &["company", "team", "person"];

pub const DATASETS: &[Dataset] = &[
    Dataset {
        name: "web_events",
        key: &["event_id"],
        partition_by: Some("event_time"),
        columns: &[
            req("event_id", TEXT),
            req("event_time", TS),
            req("event_type", ColumnType::Enum(EVENT_TYPES)),
            req("visitor_id", TEXT),
            opt("session_id", TEXT),
            opt("campaign_id", TEXT),
            opt("channel", TEXT),
            opt("page", TEXT),
            opt("ip", TEXT),
            opt("user_agent", TEXT),
            opt("duration_ms", COUNT),
            opt("lead_id", TEXT),
        ],
    },
    Dataset {
        name: "leads",
        key: &["lead_id"],
        partition_by: Some("created_at"),
        columns: &[
            req("lead_id", TEXT),
            req("created_at", TS),
            opt("email", TEXT),
            opt("phone", TEXT),
            opt("name", TEXT),
            opt("company", TEXT),
            req("owner_id", TEXT),
            opt("campaign_id", TEXT),
            opt("channel", TEXT),
            opt("visitor_id", TEXT),
            opt("status", TEXT),
            opt("mql_at", TS),
            opt("sql_at", TS),
            opt("first_contact_at", TS),
            opt("is_test", BOOL),
        ],
    },
    Dataset {
        name: "orders",
        key: &["order_id"],
        partition_by: Some("order_at"),
        columns: &[
            req("order_id", TEXT),
            req("customer_id", TEXT),
            req("owner_id", TEXT),
            req("order_at", TS),
            req("amount", MONEY),
            opt("currency", TEXT),
            opt("status", ColumnType::Enum(ORDER_STATUSES)),
            opt("refunded_at", TS),
            opt("lead_id", TEXT),
            opt("gross_margin", MONEY),
            opt("customer_email", TEXT),
        ],
    },
    Dataset {
        name: "ad_spend",
        key: &["date", "channel", "campaign_id"],
        partition_by: Some("date"),
        columns: &[
            req("date", DATE),
            req("channel", TEXT),
            req("cost", MONEY),
            opt("campaign_id", TEXT),
            opt("team_id", TEXT),
            opt("currency", TEXT),
        ],
    },
    Dataset {
        name: "social_stats",
        key: &["date", "account_id"],
        partition_by: Some("date"),
        columns: &[
            req("date", DATE),
            req("account_id", TEXT),
            req("followers", COUNT),
            opt("platform", TEXT),
            opt("likes", COUNT),
            opt("comments", COUNT),
            opt("shares", COUNT),
            opt("posts", COUNT),
        ],
    },
    Dataset {
        name: "customer_activity",
        key: &[],
        partition_by: Some("active_at"),
        columns: &[req("customer_id", TEXT), req("active_at", TS), opt("activity", TEXT)],
    },
    Dataset {
        name: "nps_responses",
        key: &["response_id"],
        partition_by: Some("submitted_at"),
        columns: &[
            req("response_id", TEXT),
            req("submitted_at", TS),
            req("score", ColumnType::Int { min: 0, max: 10 }),
            opt("customer_id", TEXT),
            opt("team_id", TEXT),
            opt("comment", TEXT),
        ],
    },
    Dataset {
        name: "people",
        key: &["person_id"],
        partition_by: None,
        columns: &[
            req("person_id", TEXT),
            req("name", TEXT),
            req("team_id", TEXT),
            opt("email", TEXT),
            opt("role", TEXT),
            opt("manager_id", TEXT),
            opt("hired_at", DATE),
            opt("left_at", DATE),
            opt("base_bonus", MONEY),
        ],
    },
    Dataset {
        name: "teams",
        key: &["team_id"],
        partition_by: None,
        columns: &[
            req("team_id", TEXT),
            req("name", TEXT),
            opt("department", TEXT),
            opt("manager_id", TEXT),
            opt("scheme", TEXT),
        ],
    },
    Dataset {
        name: "campaigns",
        key: &["campaign_id"],
        partition_by: None,
        columns: &[
            req("campaign_id", TEXT),
            req("team_id", TEXT),
            opt("name", TEXT),
            opt("channel", TEXT),
            opt("owner_id", TEXT),
        ],
    },
    Dataset {
        name: "social_accounts",
        key: &["account_id"],
        partition_by: None,
        columns: &[req("account_id", TEXT), req("team_id", TEXT), opt("platform", TEXT), opt("name", TEXT)],
    },
    Dataset {
        name: "targets",
        key: &["period", "entity_type", "entity_id", "kpi"],
        partition_by: None,
        columns: &[
            req("period", ColumnType::Period),
            req("entity_type", ColumnType::Enum(ENTITY_TYPES)),
            req("entity_id", TEXT),
            req("kpi", TEXT),
            req("target", MONEY),
        ],
    },
    Dataset {
        name: "fx_rates",
        key: &["date", "currency"],
        partition_by: Some("date"),
        columns: &[req("date", DATE), req("currency", TEXT), req("rate_to_base", MONEY)],
    },
];

/// Datasets a close cannot run without; `fx_rates` is optional.
pub fn is_optional(name: &str) -> bool {
    name == "fx_rates"
}

pub fn dataset(name: &str) -> Option<&'static Dataset> {
    DATASETS.iter().find(|d| d.name == name)
}

pub fn names() -> Vec<&'static str> {
    DATASETS.iter().map(|d| d.name).collect()
}
