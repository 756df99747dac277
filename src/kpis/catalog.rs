//! `kpi_catalog`: the indicators' definition cards (`sql::cards`) as a table the mart and the checks
//! read — each indicator's kind, unit, bounds and the volume below which it is marked low (and on what).

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, BooleanArray, Float64Array, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::datasource::MemTable;
use datafusion::error::DataFusionError;

use crate::config::Kpis;
use crate::sql::cards::{Card, Kind, LowVolumeOn, cards};

/// `kpi_catalog`: one row per indicator with what the mart and the checks need.
pub fn catalog_table(settings: &Kpis) -> Result<MemTable, DataFusionError> {
    let cards = cards().map_err(|e| DataFusionError::External(Box::new(e)))?;
    let text =
        |f: &dyn Fn(&Card) -> String| Arc::new(StringArray::from(cards.iter().map(f).collect::<Vec<_>>())) as ArrayRef;
    let schema = Arc::new(Schema::new(vec![
        Field::new("kpi", DataType::Utf8, false),
        Field::new("kind", DataType::Utf8, false),
        Field::new("unit", DataType::Utf8, false),
        Field::new("direction", DataType::Utf8, false),
        Field::new("additive", DataType::Boolean, false),
        Field::new("min_volume", DataType::Int64, false),
        Field::new("low_volume_on_rows", DataType::Boolean, false),
        Field::new("lower_bound", DataType::Float64, true),
        Field::new("upper_bound", DataType::Float64, true),
        Field::new("definition_version", DataType::Utf8, false),
    ]));
    let columns = vec![
        text(&|c| c.id.to_string()),
        text(&|c| if c.kind == Kind::Ratio { "ratio" } else { "count" }.to_string()),
        text(&|c| c.unit.clone()),
        text(&|c| c.direction.clone()),
        Arc::new(BooleanArray::from(cards.iter().map(|c| c.additive).collect::<Vec<_>>())) as ArrayRef,
        Arc::new(Int64Array::from(
            cards.iter().map(|c| settings.min_volume_for(c.id).min(i64::MAX as u64) as i64).collect::<Vec<_>>(),
        )),
        Arc::new(BooleanArray::from(cards.iter().map(|c| c.low_volume_on == LowVolumeOn::Volume).collect::<Vec<_>>())),
        Arc::new(Float64Array::from(cards.iter().map(|c| c.lower_bound).collect::<Vec<_>>())),
        Arc::new(Float64Array::from(cards.iter().map(|c| c.upper_bound).collect::<Vec<_>>())),
        text(&|c| c.definition_version.clone()),
    ];
    let batch = RecordBatch::try_new(schema.clone(), columns)?;
    MemTable::try_new(schema, vec![vec![batch]])
}
