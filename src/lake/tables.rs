//! The schemas of the output tables other tools read (README, "The lake"): the exclusion ledger,
//! `scorecards` and `flags`. Their writers build rows against these, and every reader — the
//! reports, `validate`, the close's comparison of a recomputed period — registers them from here.
//! (`indicators` takes its columns from `sql/mart/indicators.sql`.)

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use crate::datasets::{MONEY_PRECISION, MONEY_SCALE};

/// The columns of the exclusion ledger.
pub fn exclusions() -> SchemaRef {
    let text = |name: &str, nullable| Field::new(name, DataType::Utf8, nullable);
    Arc::new(Schema::new(vec![
        text("dataset", false),
        text("record_key", false),
        text("period", true),
        text("rule_id", false),
        text("rule_version", false),
        text("detail", true),
        // GIVT or SIVT, and the kind of invalid activity within it (the rule card's `-- class:`); null
        // in ledgers written before the classes.
        text("ivt_class", true),
        text("ivt_kind", true),
    ]))
}

/// Money columns: exact, as in the lake.
const MONEY: DataType = DataType::Decimal128(MONEY_PRECISION, MONEY_SCALE);

/// The `scorecards` table, one row per person and KPI, plus the columns that explain it.
pub fn scorecards() -> SchemaRef {
    let f = |name: &str, ty: DataType| Field::new(name, ty, true);
    Arc::new(Schema::new(vec![
        f("period", DataType::Utf8),
        f("person_id", DataType::Utf8),
        f("team_id", DataType::Utf8),
        f("kpi", DataType::Utf8),
        f("target", DataType::Float64),
        f("actual", DataType::Float64),
        f("achievement", DataType::Float64),
        f("weight", DataType::Float64),
        f("points", DataType::Float64),
        f("total_score", DataType::Float64),
        f("rating", DataType::Utf8),
        f("revision", DataType::Int64),
        f("scheme", DataType::Utf8),
        f("level", DataType::Utf8),
        f("effective_weight", DataType::Float64),
        f("note", DataType::Utf8),
        f("met_target", DataType::Boolean),
        f("base_bonus", MONEY),
        f("payout_share", DataType::Float64),
        f("excess_reward", DataType::Boolean),
        f("bonus", MONEY),
    ]))
}

/// Why a scorecard line was not scored: the values of `scorecards.note`, stored as these words so
/// the table reads on its own; the reports label them in their language (`unscored_*`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unscored {
    Pilot,
    NoTarget,
    ZeroTarget,
    NoData,
    LowVolume,
}

impl Unscored {
    pub const ALL: [Unscored; 5] =
        [Unscored::Pilot, Unscored::NoTarget, Unscored::ZeroTarget, Unscored::NoData, Unscored::LowVolume];

    /// As stored in `scorecards.note`.
    pub fn note(self) -> &'static str {
        match self {
            Unscored::Pilot => "pilot KPI: reported, weight 0",
            Unscored::NoTarget => "no target",
            Unscored::ZeroTarget => "target is 0",
            Unscored::NoData => "n/a: no data",
            Unscored::LowVolume => "low volume",
        }
    }

    pub fn from_note(note: &str) -> Option<Unscored> {
        Unscored::ALL.into_iter().find(|u| u.note() == note)
    }

    /// The key of its label in `report_templates/i18n/`.
    pub fn label(self) -> &'static str {
        match self {
            Unscored::Pilot => "unscored_pilot",
            Unscored::NoTarget => "unscored_no_target",
            Unscored::ZeroTarget => "unscored_zero_target",
            Unscored::NoData => "unscored_no_data",
            Unscored::LowVolume => "unscored_low_volume",
        }
    }
}

/// The `flags` table.
pub fn flags() -> SchemaRef {
    let f = |name: &str| Field::new(name, DataType::Utf8, false);
    Arc::new(Schema::new(vec![
        f("person_id"),
        f("flag"),
        f("period"),
        f("explanation"),
        // The explanation's facts as a JSON object (src/score/flags.rs); null in flags written before it.
        Field::new("detail", DataType::Utf8, true),
    ]))
}
