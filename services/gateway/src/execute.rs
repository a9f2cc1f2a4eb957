//! Running compiled statements: queries on the pool, mutations on the request's one transaction
//! (begun by its first mutation, committed by the handler only when every field succeeded).

use std::sync::Arc;

use sqlx::{PgPool, Postgres, Row, Transaction};
use tokio::sync::Mutex;

use crate::catalog::Catalog;
use crate::compile::Compiled;
use crate::config::Limits;
use crate::errors::{GResult, GatewayError};
use crate::live::LiveQueries;

/// What the resolvers of one catalog version share.
pub struct Engine {
    pub catalog: Arc<Catalog>,
    pub limits: Limits,
    pub pool: PgPool,
    pub live: LiveQueries,
    /// Operations that passed validation against this catalog version's schemas, by a keyed
    /// hash of (role, query, operation name, variables): validation is deterministic, so a
    /// repeated operation need not be validated again.
    pub validated: ValidatedCache,
}

/// Bounded set of validated operations (see `Engine::validated`).
#[derive(Default)]
pub struct ValidatedCache {
    hasher: std::hash::RandomState,
    seen: std::sync::Mutex<std::collections::HashSet<u64>>,
}

/// Entries kept; past this the set starts over.
const VALIDATED_CACHE_SIZE: usize = 4096;

impl ValidatedCache {
    pub fn key(&self, parts: &[&str]) -> u64 {
        use std::hash::{BuildHasher, Hash, Hasher};
        let mut hasher = self.hasher.build_hasher();
        for part in parts {
            part.hash(&mut hasher);
        }
        hasher.finish()
    }

    pub fn contains(&self, key: u64) -> bool {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).contains(&key)
    }

    pub fn insert(&self, key: u64) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        if seen.len() >= VALIDATED_CACHE_SIZE {
            seen.clear();
        }
        seen.insert(key);
    }
}

/// The transaction of one request's mutations.
#[derive(Clone, Default)]
pub struct TxSlot(pub Arc<Mutex<Option<Transaction<'static, Postgres>>>>);

impl TxSlot {
    /// Commits when `ok`, rolls back otherwise; nothing if no mutation ran.
    pub async fn finish(&self, ok: bool) -> GResult<()> {
        let Some(tx) = self.0.lock().await.take() else { return Ok(()) };
        let result = if ok { tx.commit().await } else { tx.rollback().await };
        result.map_err(|e| GatewayError::from_db(&e))
    }
}

/// The compiler's SQL with its parameters. Dynamic by nature (`sqlx::query`, not the checked
/// macros): the statement is compiled from each GraphQL operation against the catalog read at run
/// time.
pub fn bind_all<'q>(
    sql: &'q str,
    params: &'q [Option<String>],
) -> sqlx::query::Query<'q, Postgres, sqlx::postgres::PgArguments> {
    let mut query = sqlx::query(sql);
    for p in params {
        query = query.bind(p.as_deref());
    }
    query
}

impl Engine {
    /// A query's JSON as the text Postgres wrote (the fast path splices it into the answer).
    pub async fn query_text(&self, c: &Compiled) -> GResult<Option<String>> {
        let sql = format!("SELECT (_q.j)::text FROM ({}) AS _q", c.sql);
        let row = bind_all(&sql, &c.params)
            .fetch_optional(&self.pool)
            .await
            .map_err(|e| GatewayError::from_db(&e))?;
        match row {
            Some(row) => row.try_get::<Option<String>, _>(0).map_err(|e| GatewayError::from_db(&e)),
            None => Ok(None),
        }
    }

    pub async fn query(&self, c: &Compiled) -> GResult<Option<serde_json::Value>> {
        run_query(&self.pool, c).await
    }

    /// Runs a mutation in the request's transaction, or (no slot: a WebSocket operation) in a
    /// transaction of its own.
    pub async fn mutate(
        &self,
        slot: Option<&TxSlot>,
        c: &Compiled,
    ) -> GResult<Option<serde_json::Value>> {
        let Some(slot) = slot else {
            let own = TxSlot::default();
            let result = Box::pin(self.mutate(Some(&own), c)).await;
            own.finish(result.is_ok()).await?;
            return result;
        };
        let mut guard = slot.0.lock().await;
        if guard.is_none() {
            *guard = Some(self.pool.begin().await.map_err(|e| GatewayError::from_db(&e))?);
        }
        let Some(tx) = guard.as_mut() else {
            return Err(GatewayError::new("unexpected", "no transaction"));
        };
        let row = bind_all(&c.sql, &c.params)
            .fetch_one(&mut **tx)
            .await
            .map_err(|e| GatewayError::from_db(&e))?;
        let ok: bool = row.try_get("ok").map_err(|e| GatewayError::from_db(&e))?;
        if !ok {
            return Err(GatewayError::permission("check constraint of a permission has failed"));
        }
        row.try_get::<Option<serde_json::Value>, _>("j").map_err(|e| GatewayError::from_db(&e))
    }
}

pub async fn run_query(pool: &PgPool, c: &Compiled) -> GResult<Option<serde_json::Value>> {
    // A by-primary-key lookup that finds nothing yields no row: the answer is null.
    let Some(row) = bind_all(&c.sql, &c.params)
        .fetch_optional(pool)
        .await
        .map_err(|e| GatewayError::from_db(&e))?
    else {
        return Ok(None);
    };
    row.try_get::<Option<serde_json::Value>, _>(0).map_err(|e| GatewayError::from_db(&e))
}
