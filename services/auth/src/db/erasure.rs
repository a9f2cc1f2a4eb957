//! auth's part of erasing a deleted person, in the transaction that deletes the account: what
//! auth wrote about them outside their account's rows (the audit log, the emails sent to them),
//! and the request that every other service erases its part (`posey_db::erasure`).

use uuid::Uuid;

/// Forgets `id` (whose address was `email`) everywhere in auth but the deletion's own audit
/// entry, and asks the other services to erase them.
pub async fn forget(db: &mut sqlx::PgConnection, id: Uuid, email: &str) -> sqlx::Result<()> {
    let actor = id.to_string();
    // What they did (sign-ins, with their addresses and IPs).
    sqlx::query!("DELETE FROM auth.audit_log WHERE actor_id = $1", actor)
        .execute(&mut *db)
        .await?;
    // What was done to them by someone else stays as that person's act, without their details.
    sqlx::query!(
        "UPDATE auth.audit_log SET payload = jsonb_build_object('erased', true) \
         WHERE target_id = $1",
        actor,
    )
    .execute(&mut *db)
    .await?;
    // The emails sent to them (a record of each, and any still waiting to go).
    sqlx::query!("DELETE FROM auth.outbox WHERE lower(recipient) = lower($1)", email)
        .execute(&mut *db)
        .await?;
    sqlx::query!("SELECT auth.request_erasure($1)", id).execute(&mut *db).await?;
    Ok(())
}
