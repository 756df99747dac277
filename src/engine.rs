//! The DataFusion session every stage runs its SQL in: memory limit, spill folder, partitions, and
//! the lake's object store registered so `file://`, `memory://` and `s3://` lake URLs resolve.

use datafusion::error::DataFusionError;
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::config::Engine;
use crate::lake::Lake;

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
