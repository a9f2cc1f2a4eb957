//! A deleted person's rows, erased by each service from the schemas it owns.
//!
//! auth asks for it when it deletes an account (`auth.request_erasure`, migration
//! `20261207000000_erasure.sql`); the agents and cron services each run [`run`]: every poll they
//! take the people whose erasure they have not finished, delete every row with that `user_id`
//! in their schemas (one transaction per person; the catalog says which tables, so a table a
//! later migration or plugin adds is covered without a list to keep), let the service remove
//! what lives outside Postgres (vector points), and record the pass. The pass that finds nothing
//! left finishes the service's part, so a write in flight during the first pass is caught.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::time::Duration;

use sqlx::{PgPool, Row as _};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// How often a service looks for erasures to do.
pub const POLL: Duration = Duration::from_secs(5);
/// People taken per poll.
const BATCH: i32 = 20;

/// The schemas a service erases in. System schemas (`pg_*`, `information_schema`) never are.
#[derive(Debug, Clone, Copy)]
pub enum Schemas {
    Only(&'static [&'static str]),
    /// Every schema but these (the agents service: its own and every plugin's).
    AllBut(&'static [&'static str]),
}

/// One service's part: its name in `auth.erasures` and its schemas.
#[derive(Debug, Clone, Copy)]
pub struct Part {
    pub service: &'static str,
    pub schemas: Schemas,
}

/// Polls for erasures until `stop`; `outside` removes what the service keeps of a person
/// outside Postgres (it runs after the rows are gone, every pass, and must be idempotent).
pub async fn run<F, Fut>(db: PgPool, part: Part, stop: CancellationToken, outside: F)
where
    F: Fn(Uuid) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    loop {
        if let Err(error) = poll(&db, part, &outside).await {
            tracing::warn!(
                service = part.service,
                error = format!("{error:#}"),
                "erasure failed; retrying at the next poll"
            );
        }
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(POLL) => {}
        }
    }
}

/// One poll: a pass over every person due. Returns how many parts it finished.
pub async fn poll<F, Fut>(db: &PgPool, part: Part, outside: &F) -> anyhow::Result<usize>
where
    F: Fn(Uuid) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let due: Vec<Uuid> = sqlx::query_scalar("SELECT auth.erasures_due($1, $2)")
        .bind(part.service)
        .bind(BATCH)
        .fetch_all(db)
        .await?;
    let mut finished = 0;
    for person in due {
        let removed = erase_rows(db, part.schemas, person).await?;
        outside(person).await?;
        let done: Option<bool> = sqlx::query_scalar("SELECT auth.erasure_pass($1, $2, $3)")
            .bind(part.service)
            .bind(person)
            .bind(i64::try_from(removed).unwrap_or(i64::MAX))
            .fetch_one(db)
            .await?;
        if done == Some(true) {
            finished += 1;
            tracing::info!(service = part.service, user_id = %person, "erased a deleted person");
        } else {
            tracing::info!(service = part.service, user_id = %person, removed, "erasing a deleted person: rows removed, another pass follows");
        }
    }
    Ok(finished)
}

/// Deletes every row of `person` in `schemas`' tables that have a `uuid` column `user_id`, in one
/// transaction, referencing tables before the tables they reference. Returns the rows deleted
/// (cascades not counted).
pub async fn erase_rows(db: &PgPool, schemas: Schemas, person: Uuid) -> sqlx::Result<u64> {
    let mut tx = db.begin().await?;
    let tables = tables_in_order(&mut tx, schemas).await?;
    let mut removed = 0;
    for (schema, table) in tables {
        let sql = format!("DELETE FROM {}.{} WHERE user_id = $1", ident(&schema), ident(&table));
        removed += sqlx::query(&sql).bind(person).execute(&mut *tx).await?.rows_affected();
    }
    tx.commit().await?;
    Ok(removed)
}

/// The tables with a person's rows, each after every table that references it.
async fn tables_in_order(
    tx: &mut sqlx::PgConnection,
    schemas: Schemas,
) -> sqlx::Result<Vec<(String, String)>> {
    let (names, only): (&[&str], bool) = match schemas {
        Schemas::Only(names) => (names, true),
        Schemas::AllBut(names) => (names, false),
    };
    let rows = sqlx::query(
        "SELECT c.oid::bigint AS oid, n.nspname::text AS schema, c.relname::text AS name \
         FROM pg_catalog.pg_class c \
         JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attname = 'user_id' \
              AND a.attnum > 0 AND NOT a.attisdropped AND a.atttypid = 'uuid'::regtype \
         WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition \
           AND n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema' \
           AND (n.nspname = ANY($1)) = $2",
    )
    .bind(names)
    .bind(only)
    .fetch_all(&mut *tx)
    .await?;
    let mut tables = BTreeMap::new();
    for row in rows {
        tables.insert(row.get::<i64, _>("oid"), (row.get("schema"), row.get("name")));
    }
    let edges: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT conrelid::bigint, confrelid::bigint FROM pg_catalog.pg_constraint \
         WHERE contype = 'f' AND conrelid <> confrelid",
    )
    .fetch_all(&mut *tx)
    .await?;
    // Edges to or from tables without a person's rows do not order anything.
    Ok(children_first(tables, edges.into_iter()))
}

/// `tables` ordered so that a table comes after every table referencing it (`edges` are
/// `(referencing, referenced)`); tables in a cycle come last, in id order.
fn children_first<T>(
    mut tables: BTreeMap<i64, T>,
    edges: impl Iterator<Item = (i64, i64)>,
) -> Vec<T> {
    let mut referenced_by: BTreeMap<i64, BTreeSet<i64>> = BTreeMap::new();
    for (from, to) in
        edges.filter(|(from, to)| tables.contains_key(from) && tables.contains_key(to))
    {
        referenced_by.entry(to).or_default().insert(from);
    }
    let mut order = Vec::with_capacity(tables.len());
    loop {
        let ready: Vec<i64> = tables
            .keys()
            .copied()
            .filter(|t| {
                referenced_by.get(t).is_none_or(|by| by.iter().all(|f| !tables.contains_key(f)))
            })
            .collect();
        if ready.is_empty() {
            break;
        }
        for table in ready {
            order.extend(tables.remove(&table));
        }
    }
    order.extend(tables.into_values());
    order
}

/// A Postgres identifier, quoted.
fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn referencing_tables_come_before_what_they_reference() {
        // 1 ← 2 ← 3, and 4 ← 3: 3 first, then 2 and 4, then 1.
        let tables = BTreeMap::from([(1, "a"), (2, "b"), (3, "c"), (4, "d")]);
        let order = children_first(tables, [(2, 1), (3, 2), (3, 4)].into_iter());
        assert_eq!(order, ["c", "b", "d", "a"]);
    }

    #[test]
    fn a_cycle_is_kept_rather_than_lost() {
        let tables = BTreeMap::from([(1, "a"), (2, "b"), (3, "c")]);
        let order = children_first(tables, [(1, 2), (2, 1)].into_iter());
        assert_eq!(order, ["c", "a", "b"]);
    }

    #[test]
    fn identifiers_are_quoted() {
        assert_eq!(ident("notes"), "\"notes\"");
        assert_eq!(ident("we\"ird"), "\"we\"\"ird\"");
    }
}
