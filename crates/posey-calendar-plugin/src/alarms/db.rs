//! The SQL of alarms (`calendar.alarms`, and the objects' `alarms_until`).

use chrono::{DateTime, Utc};
use serde_json::Value;
use sqlx::{FromRow, PgExecutor, Postgres, Transaction};
use uuid::Uuid;

/// A ring to write out.
#[derive(Debug, Clone)]
pub struct NewRing {
    pub occurrence: DateTime<Utc>,
    pub ring_at: DateTime<Utc>,
    pub title: String,
    pub body: String,
    pub data: Value,
}

/// A ring claimed for delivery.
#[derive(Debug, Clone, FromRow)]
pub struct Due {
    pub object_id: Uuid,
    pub user_id: Uuid,
    pub occurrence: DateTime<Utc>,
    pub ring_at: DateTime<Utc>,
    pub title: String,
    pub body: String,
    pub data: Value,
    pub attempts: i32,
}

/// An object whose rings need writing out further.
#[derive(Debug, Clone, FromRow)]
pub struct Stale {
    pub id: Uuid,
    pub calendar_id: Uuid,
    pub user_id: Uuid,
    pub ics: String,
    pub time_zone: String,
    pub alarms_until: DateTime<Utc>,
}

/// Makes the waiting rings of `object` those of `rings`: waiting ones not among them go (the
/// event moved, an alarm was removed); those among them keep their place and take the new
/// text; new ones come, if they ring at `new_from` or later (a ring already past is not made
/// now, though one waiting already stays). Rings already done stay done. `until`: how far
/// ahead they are written (`None`: the object rings no alarm).
pub async fn replace(
    tx: &mut Transaction<'_, Postgres>,
    object: Uuid,
    person: Uuid,
    rings: &[NewRing],
    new_from: DateTime<Utc>,
    until: Option<DateTime<Utc>>,
) -> sqlx::Result<()> {
    let (occurrences, times) = keys(rings);
    sqlx::query(
        "DELETE FROM calendar.alarms a WHERE a.object_id = $1 AND a.done_at IS NULL
           AND NOT EXISTS (SELECT 1 FROM unnest($2::timestamptz[], $3::timestamptz[]) AS k(o, r)
                           WHERE k.o = a.occurrence AND k.r = a.ring_at)",
    )
    .bind(object)
    .bind(&occurrences)
    .bind(&times)
    .execute(&mut **tx)
    .await?;
    sqlx::query(
        "UPDATE calendar.alarms a SET title = k.t, body = k.b, data = k.d
         FROM unnest($2::timestamptz[], $3::timestamptz[], $4::text[], $5::text[], $6::jsonb[])
              AS k(o, r, t, b, d)
         WHERE a.object_id = $1 AND a.done_at IS NULL AND a.occurrence = k.o AND a.ring_at = k.r",
    )
    .bind(object)
    .bind(&occurrences)
    .bind(&times)
    .bind(rings.iter().map(|ring| ring.title.as_str()).collect::<Vec<_>>())
    .bind(rings.iter().map(|ring| ring.body.as_str()).collect::<Vec<_>>())
    .bind(rings.iter().map(|ring| &ring.data).collect::<Vec<_>>())
    .execute(&mut **tx)
    .await?;
    let new: Vec<NewRing> = rings.iter().filter(|ring| ring.ring_at >= new_from).cloned().collect();
    insert(tx, object, person, &new).await?;
    set_until(&mut **tx, object, until).await
}

/// Adds `rings` of `object` (those already there are left as they are).
pub async fn add(
    tx: &mut Transaction<'_, Postgres>,
    object: Uuid,
    person: Uuid,
    rings: &[NewRing],
    until: Option<DateTime<Utc>>,
) -> sqlx::Result<()> {
    insert(tx, object, person, rings).await?;
    set_until(&mut **tx, object, until).await
}

/// Forgets the waiting rings of a deleted object.
pub async fn clear(tx: &mut Transaction<'_, Postgres>, object: Uuid) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM calendar.alarms WHERE object_id = $1 AND done_at IS NULL")
        .bind(object)
        .execute(&mut **tx)
        .await?;
    set_until(&mut **tx, object, None).await
}

fn keys(rings: &[NewRing]) -> (Vec<DateTime<Utc>>, Vec<DateTime<Utc>>) {
    rings.iter().map(|ring| (ring.occurrence, ring.ring_at)).unzip()
}

async fn insert(
    tx: &mut Transaction<'_, Postgres>,
    object: Uuid,
    person: Uuid,
    rings: &[NewRing],
) -> sqlx::Result<()> {
    if rings.is_empty() {
        return Ok(());
    }
    let (occurrences, times) = keys(rings);
    let titles: Vec<&str> = rings.iter().map(|ring| ring.title.as_str()).collect();
    let bodies: Vec<&str> = rings.iter().map(|ring| ring.body.as_str()).collect();
    let data: Vec<&Value> = rings.iter().map(|ring| &ring.data).collect();
    sqlx::query(
        "INSERT INTO calendar.alarms
             (object_id, user_id, occurrence, ring_at, title, body, data, next_attempt_at)
         SELECT $1, $2, k.o, k.r, k.t, k.b, k.d, k.r
         FROM unnest($3::timestamptz[], $4::timestamptz[], $5::text[], $6::text[], $7::jsonb[])
              AS k(o, r, t, b, d)
         ON CONFLICT (object_id, occurrence, ring_at) DO NOTHING",
    )
    .bind(object)
    .bind(person)
    .bind(&occurrences)
    .bind(&times)
    .bind(&titles)
    .bind(&bodies)
    .bind(&data)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn set_until(
    db: impl PgExecutor<'_>,
    object: Uuid,
    until: Option<DateTime<Utc>>,
) -> sqlx::Result<()> {
    sqlx::query("UPDATE calendar.objects SET alarms_until = $2 WHERE id = $1")
        .bind(object)
        .bind(until)
        .execute(db)
        .await?;
    Ok(())
}

/// Up to `limit` live objects whose rings are written out only until before `before`, locked
/// for this transaction (another replica skips them). An object whose occurrences all ended
/// longer ago than any alarm reaches is left alone, as is one of a subscribed calendar (whose
/// alarms stay silent).
pub async fn lock_stale(
    tx: &mut Transaction<'_, Postgres>,
    before: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<Stale>> {
    sqlx::query_as(
        "SELECT o.id, o.calendar_id, o.user_id, o.ics, c.time_zone, o.alarms_until
         FROM calendar.objects o JOIN calendar.calendars c ON c.id = o.calendar_id
         WHERE o.alarms_until < $1 AND o.ics IS NOT NULL
           AND (o.last_end IS NULL OR o.last_end + interval '366 days' > o.alarms_until)
           AND NOT EXISTS (SELECT 1 FROM calendar.subscriptions s WHERE s.calendar_id = o.calendar_id)
         ORDER BY o.alarms_until LIMIT $2
         FOR UPDATE OF o SKIP LOCKED",
    )
    .bind(before)
    .bind(limit)
    .fetch_all(&mut **tx)
    .await
}

/// Claims up to `limit` rings due at `now` for delivery: each is leased until `lease_until`
/// (its next attempt is then), so another replica does not take it meanwhile and a worker that
/// dies leaves it to be taken again.
pub async fn claim_due(
    db: impl PgExecutor<'_>,
    now: DateTime<Utc>,
    lease_until: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<Due>> {
    sqlx::query_as(
        "UPDATE calendar.alarms a SET next_attempt_at = $2, attempts = a.attempts + 1
         FROM (SELECT object_id, occurrence, ring_at FROM calendar.alarms
               WHERE done_at IS NULL AND next_attempt_at <= $1
               ORDER BY next_attempt_at LIMIT $3 FOR UPDATE SKIP LOCKED) d
         WHERE a.object_id = d.object_id AND a.occurrence = d.occurrence AND a.ring_at = d.ring_at
         RETURNING a.object_id, a.user_id, a.occurrence, a.ring_at, a.title, a.body, a.data,
                   a.attempts",
    )
    .bind(now)
    .bind(lease_until)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// Records how a claimed ring ended: `outcome` is `sent` or `missed`.
pub async fn finish(
    db: impl PgExecutor<'_>,
    ring: &Due,
    at: DateTime<Utc>,
    outcome: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE calendar.alarms SET done_at = $4, outcome = $5, last_error = NULL
         WHERE object_id = $1 AND occurrence = $2 AND ring_at = $3 AND done_at IS NULL",
    )
    .bind(ring.object_id)
    .bind(ring.occurrence)
    .bind(ring.ring_at)
    .bind(at)
    .bind(outcome)
    .execute(db)
    .await?;
    Ok(())
}

/// Records a failed hand-over: tried again at `retry_at`.
pub async fn retry(
    db: impl PgExecutor<'_>,
    ring: &Due,
    retry_at: DateTime<Utc>,
    error: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "UPDATE calendar.alarms SET next_attempt_at = $4, last_error = $5
         WHERE object_id = $1 AND occurrence = $2 AND ring_at = $3 AND done_at IS NULL",
    )
    .bind(ring.object_id)
    .bind(ring.occurrence)
    .bind(ring.ring_at)
    .bind(retry_at)
    .bind(error)
    .execute(db)
    .await?;
    Ok(())
}

/// Forgets rings done before `before`.
pub async fn forget_done(db: impl PgExecutor<'_>, before: DateTime<Utc>) -> sqlx::Result<u64> {
    let done = sqlx::query("DELETE FROM calendar.alarms WHERE done_at < $1")
        .bind(before)
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}
