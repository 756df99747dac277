//! SQL as data: every indicator file's rows on the tiny company (`kpis::tiny`), as a reviewed
//! snapshot per file — what each SELECT returns for a month and a quarter, at every grain, before
//! the mart joins it. A change to a query shows here as a changed table. Regenerate after a
//! deliberate change with `INSTA_UPDATE=always cargo test --features ballista -- sql::` and review
//! the diff.

use kpi_close::engine::{self, AsOf, Lookups, Scope};
use kpi_close::sql;

use crate::common::*;
use crate::kpis::tiny;

#[tokio::test(flavor = "multi_thread")]
async fn every_indicator_file_returns_what_its_snapshot_shows() {
    let t = tiny().await;
    let ctx = engine::session(&t.config, &t.lake, Scope::Net, Lookups::Views, AsOf::NOW).await.expect("session");
    for file in sql::INDICATORS {
        let mut text = String::new();
        for period in ["2026-10", "2026-Q4"] {
            let params = engine::params(&t.config, period.parse().expect("period"));
            let df = sql::plan(&ctx, file, &params).await.expect("plan");
            let df = df
                .sort_by(vec![datafusion::prelude::col("grain"), datafusion::prelude::col("entity_id")])
                .expect("sort");
            let batches = df.collect().await.unwrap_or_else(|e| panic!("{}: {e}", file.path()));
            text.push_str(&format!("-- {period}\n{}\n", pretty(&batches)));
        }
        insta::assert_snapshot!(format!("kpi_{}", file.name), text);
    }
}
