//! The DataFusion session every stage runs its SQL in: memory limit, spill folder, partitions, and
//! the lake's object store registered so `file://`, `memory://` and `s3://` lake URLs resolve.
//! `register_datasets` makes every lake dataset a table named after it; partitioned datasets get a
//! `month` column (`YYYY-MM`, company timezone) that prunes whole partitions when filtered on.

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl};
use datafusion::error::DataFusionError;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::config::Engine;
use crate::datasets::DATASETS;
use crate::ingest::data_dir;
use crate::lake::Lake;

/// The partition column of partitioned datasets.
pub const MONTH: &str = "month";

pub fn session(engine: &Engine, lake: &Lake) -> Result<SessionContext, DataFusionError> {
    let mut runtime = RuntimeEnvBuilder::new().with_memory_limit(engine.memory_limit_bytes as usize, 1.0);
    if let Some(dir) = &engine.spill_dir {
        runtime = runtime.with_temp_file_path(dir);
    }
    let config = SessionConfig::new().with_target_partitions(engine.target_partitions).with_information_schema(false);
    let ctx = SessionContext::new_with_config_rt(config, runtime.build_arc()?);
    lake.register(&ctx);
    Ok(ctx)
}

/// Registers every dataset of the data contract as a table over the lake's `data/` folder. A dataset
/// with no files yet is an empty table with the contract's schema.
pub fn register_datasets(ctx: &SessionContext, lake: &Lake) -> Result<(), DataFusionError> {
    for dataset in DATASETS {
        let url = ListingTableUrl::parse(lake.url(&data_dir(dataset.name)))?;
        let mut options = ListingOptions::new(Arc::new(ParquetFormat::default())).with_file_extension(".parquet");
        if dataset.partition_by.is_some() {
            options = options.with_table_partition_cols(vec![(MONTH.to_string(), DataType::Utf8)]);
        }
        let config = ListingTableConfig::new(url).with_listing_options(options).with_schema(dataset.lake_schema());
        ctx.register_table(dataset.name, Arc::new(ListingTable::try_new(config)?))?;
    }
    Ok(())
}
