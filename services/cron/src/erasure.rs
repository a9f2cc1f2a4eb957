//! The cron service's part of erasing a deleted person (see `posey_db::erasure`): their tasks
//! and runs, notifications and their deliveries, push subscriptions, in schema `cron`.

use posey_db::erasure::{Part, Schemas};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

pub const PART: Part = Part { service: "cron", schemas: Schemas::Only(&["cron"]) };

/// Erases deleted people until `stop`.
pub fn start(db: PgPool, stop: CancellationToken) {
    // Cron keeps nothing of a person outside Postgres.
    tokio::spawn(posey_db::erasure::run(db, PART, stop, |_| async { Ok(()) }));
}
