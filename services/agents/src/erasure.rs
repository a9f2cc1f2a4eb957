//! The agents service's part of erasing a deleted person (see `posey_db::erasure`): their rows
//! in its own schema and every plugin's (conversations, memories, documents and their files,
//! calendars, money, home connections, ...), then their points in every vector collection.

use std::sync::Arc;

use posey_db::erasure::{Part, Schemas};
use posey_domain::UserId;
use posey_vector::UserFilter;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::knowledge::{self, Knowledge};

/// Every schema but the other services' (and `public`, which holds the migrations' record):
/// a plugin's schema is covered the day it is added.
pub const PART: Part =
    Part { service: "agents", schemas: Schemas::AllBut(&["auth", "cron", "public"]) };

/// Erases deleted people until `stop`.
pub fn start(db: PgPool, knowledge: Arc<Knowledge>, stop: CancellationToken) {
    tokio::spawn(posey_db::erasure::run(db, PART, stop, move |person| {
        let knowledge = knowledge.clone();
        async move { forget_vectors(&knowledge, person).await }
    }));
}

/// Removes `person`'s points from every collection.
pub async fn forget_vectors(knowledge: &Knowledge, person: Uuid) -> anyhow::Result<()> {
    let filter = UserFilter::for_user(UserId::from_uuid(person));
    for source in knowledge::sources(knowledge)? {
        knowledge.store.delete_by_filter(source.spec.name(), &filter).await?;
    }
    Ok(())
}
