//! auth's part of erasing a deleted person, in the transaction that deletes the account: what
//! auth wrote about them outside their account's rows (the audit log, the emails sent to them),
//! and the request that every other service erases its part (`posey_db::erasure`).

use uuid::Uuid;

/// Forgets `id` (whose address was `email`) everywhere in auth but the deletion's own audit
/// entry, and asks the other services to erase them.
pub async fn forget(db: &mut sqlx::PgConnection, id: Uuid, email: &str) -> sqlx::Result<()> {
    let actor = id.to_string();
    // What they did (sign-ins, with their addresses and IPs), and the attempts made on their
    // address (failed sign-ins name the address they were tried for).
    sqlx::query!(
        "DELETE FROM auth.audit_log WHERE actor_id = $1 OR lower(payload ->> 'email') = lower($2)",
        actor,
        email,
    )
    .execute(&mut *db)
    .await?;
    // What was done to them by someone else stays as that person's act, without their address
    // (GoTrue's entries carry it as `user_email`, at the top or in `traits`).
    sqlx::query!(
        "UPDATE auth.audit_log SET payload = CASE \
             WHEN jsonb_typeof(payload -> 'traits') = 'object' THEN jsonb_set( \
                 payload - 'user_email' - 'email', '{traits}', \
                 (payload -> 'traits') - 'user_email' - 'email') \
             ELSE payload - 'user_email' - 'email' END \
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
