//! `posey admin ...`: operator tasks on a stopped (or, with servers, running) system.
//!
//! `reindex` rebuilds vector collections from Postgres, the system of record: after the vector
//! store was lost, or to move to another embedding model (a collection built with one model is
//! refused under another until it is rebuilt). With the embedded store the services must be
//! stopped first: one process at a time may open it, and the command says so if it is busy.

use std::time::Instant;

use anyhow::Context;
use posey_agents::knowledge::{self, Knowledge};

use crate::LauncherConfig;
use crate::database::Database;

/// Rebuilds `only` (a collection name) or every collection, logging progress.
pub async fn reindex(config: &LauncherConfig, only: Option<&str>) -> anyhow::Result<()> {
    let database = Database::open(config, crate::database::Sharing::Shared).await?;
    let result = async {
        let pool = posey_db::connect(&database.config).await?;
        posey_db::migrate(&pool).await?;
        let knowledge = Knowledge::open(&config.agents.knowledge, None).await?;
        let sources = knowledge::sources(&knowledge)?;
        let names: Vec<&str> = sources.iter().map(|source| source.spec.name()).collect();
        if let Some(only) = only
            && !names.contains(&only)
        {
            anyhow::bail!("there is no collection {only:?}; the collections are {names:?}");
        }
        for source in sources.iter().filter(|s| only.is_none_or(|only| s.spec.name() == only)) {
            let name = source.spec.name();
            let started = Instant::now();
            let progress = |done: u64, total: u64| {
                let percent = (done * 100).checked_div(total).unwrap_or(100);
                tracing::info!(collection = name, done, total, "reindexing: {percent}%");
            };
            let indexed = knowledge
                .reindex(&pool, source, &progress)
                .await
                .with_context(|| format!("reindexing {name}"))?;
            tracing::info!(
                collection = name,
                indexed,
                seconds = format!("{:.1}", started.elapsed().as_secs_f64()),
                model = knowledge.embedder.model_name(),
                "reindexed"
            );
        }
        pool.close().await;
        anyhow::Ok(())
    }
    .await;
    let closed = database.close().await;
    result.and(closed)
}
