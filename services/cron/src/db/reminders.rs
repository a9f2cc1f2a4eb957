//! Reminders finished set-based, each batch in one statement: the runs marked succeeded and
//! their notifications stored, announced and queued (`notifications::store_notifications`).
//! Notifications are unique per run, so a reminder retried after a lost lease notifies once.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

use super::notifications::{CHANNEL, store_notifications};

/// `store_notifications!` for reminders: `$done` is the SQL (`WITH` and CTEs, the last one
/// `done`, yielding the finished runs' (id, task_id), and a comma); each run's notification
/// carries its task's payload `title` (else the task's name), `body` and `data` (a non-string
/// title or body counts as absent). Yields the ids of the runs done.
macro_rules! finish_reminders {
    ($done:literal $(, $arg:expr)* $(,)?) => {
        store_notifications!(
            query_scalar,
            [
                $done
                    // A time-ordered (version 7) UUID made in SQL (PostgreSQL 15 has no
                    // `uuidv7()`): the streams page by (created_at, id).
                    + " rows AS (
                          SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid())
                                     placing substring(int8send(floor(extract(epoch FROM
                                     clock_timestamp()) * 1000)::bigint) FROM 3) FROM 1 FOR 6),
                                     52, 1), 53, 1), 'hex')::uuid AS id,
                                 t.user_id,
                                 CASE WHEN jsonb_typeof(t.payload->'title') = 'string'
                                      THEN t.payload->>'title' ELSE t.name END AS title,
                                 CASE WHEN jsonb_typeof(t.payload->'body') = 'string'
                                      THEN t.payload->>'body' ELSE '' END AS body,
                                 coalesce(t.payload->'data', '{}'::jsonb) AS data,
                                 d.task_id, d.id AS run_id, NULL::text AS key
                          FROM done d JOIN cron.tasks t ON t.id = d.task_id),"
            ],
            r#"SELECT d.id AS "id!" FROM done d, (SELECT count(*) FROM announced) AS a"#
            $(, $arg)*
        )
    };
}

/// Finishes the reminder runs `ids` that `owner` still holds a lease on, at `now`: marked
/// succeeded and notified (emails queued when `email`). A run whose lease was lost, or whose
/// task has no owner, is left alone. Marking takes the runs' row locks: a worker that took a
/// run over waits, then finds it no longer running. Returns the ids of the runs done.
pub async fn finish_claimed(
    db: impl PgExecutor<'_>,
    ids: &[i64],
    owner: &str,
    now: DateTime<Utc>,
    email: bool,
) -> sqlx::Result<Vec<i64>> {
    finish_reminders!(
        "WITH done AS (
             UPDATE cron.runs r SET status = 'succeeded', finished_at = $5,
                 output = jsonb_build_object('scheduled_for', r.scheduled_for), error = NULL,
                 lease_owner = NULL, lease_expires_at = NULL
             FROM cron.tasks t
             WHERE t.id = r.task_id AND t.user_id IS NOT NULL AND r.id = ANY($3)
               AND r.lease_owner = $4 AND r.status = 'running'
             RETURNING r.id, r.task_id),",
        CHANNEL,
        email,
        ids,
        owner,
        now,
    )
    .fetch_all(db)
    .await
}

/// Claims up to `limit` ready reminders (of tasks with an owner and not paused) at `now` and
/// finishes them, in one statement: each an attempt started and finished now, marked succeeded
/// and notified. Nothing is held between statements, so no lease is needed. Returns the ids of
/// the runs done.
pub async fn finish_ready(
    db: impl PgExecutor<'_>,
    now: DateTime<Utc>,
    limit: i64,
    email: bool,
) -> sqlx::Result<Vec<i64>> {
    finish_reminders!(
        "WITH picked AS (
             SELECT r.id FROM cron.runs r JOIN cron.tasks t ON t.id = r.task_id
             WHERE r.status IN ('pending', 'retrying') AND r.available_at <= $3
               AND NOT t.paused AND t.kind = 'reminder' AND t.user_id IS NOT NULL
             ORDER BY r.available_at LIMIT $4 FOR UPDATE OF r SKIP LOCKED),
         done AS (
             UPDATE cron.runs r SET status = 'succeeded', attempts = r.attempts + 1,
                 started_at = $3, finished_at = $3,
                 output = jsonb_build_object('scheduled_for', r.scheduled_for), error = NULL,
                 lease_owner = NULL, lease_expires_at = NULL
             FROM picked WHERE r.id = picked.id
             RETURNING r.id, r.task_id),",
        CHANNEL,
        email,
        now,
        limit,
    )
    .fetch_all(db)
    .await
}
