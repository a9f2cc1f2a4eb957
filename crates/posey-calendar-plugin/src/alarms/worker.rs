//! The alarm worker, run by every agents replica: it writes rings out further as the days
//! pass, and hands those that fall due to cron through the host's notifier. Rings are claimed
//! with a lease (row locks taken with `SKIP LOCKED`, none held across the hand-over), so
//! replicas share the work and a replica that dies leaves its rings to the others.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use anyhow::Context as _;
use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use futures::StreamExt as _;
use posey_calendar::Object;
use posey_calendar::ics::Limits;
use posey_plugin::{CancellationToken, Host, Notice, Notifier};
use sqlx::PgPool;

use super::db::{self, Due};
use super::schedule::{GRACE, HORIZON, rings_of};

/// How often the worker looks for work.
const TICK: StdDuration = StdDuration::from_secs(5);
/// How long a claimed ring is someone's before another replica may take it again.
const LEASE: Duration = Duration::seconds(60);
/// Rings handed over per tick, and at once.
const BATCH: i64 = 100;
const AT_ONCE: usize = 8;
/// Objects written out further per tick, once they have less than a day written out left.
const TOP_UP_BATCH: i64 = 100;
const TOP_UP_LEFT: Duration = Duration::days(1);
/// How long rings are kept once done (then they are forgotten, every `FORGET_EVERY` ticks).
const KEEP_DONE: Duration = Duration::days(30);
const FORGET_EVERY: u64 = 720;

/// Runs until `stop`.
pub async fn run(host: Host, stop: CancellationToken) {
    if host.notifier.is_none() {
        tracing::warn!(
            "calendar alarms are written out but not rung: the agents service has no notifier \
             (CRON_URL, AUTH_URL and AGENTS_SERVICE_CLIENT_ID/SECRET)"
        );
    }
    let mut ticks: u64 = 0;
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(TICK) => {}
        }
        let now = Utc::now();
        if let Err(error) = top_up(&host.db, now).await {
            tracing::warn!(error = %format!("{error:#}"), "writing calendar alarms out further");
        }
        if let Some(notifier) = &host.notifier
            && let Err(error) = deliver(&host.db, notifier, now).await
        {
            tracing::warn!(error = %format!("{error:#}"), "ringing calendar alarms");
        }
        if ticks.is_multiple_of(FORGET_EVERY)
            && let Err(error) = db::forget_done(&host.db, now - KEEP_DONE).await
        {
            tracing::warn!(error = %error, "forgetting rung calendar alarms");
        }
        ticks += 1;
    }
}

/// Writes the rings of objects running out of written-out rings on to the horizon.
async fn top_up(pool: &PgPool, now: DateTime<Utc>) -> anyhow::Result<()> {
    let mut tx = pool.begin().await.context("starting to write alarms out")?;
    let stale = db::lock_stale(&mut tx, now + HORIZON - TOP_UP_LEFT, TOP_UP_BATCH)
        .await
        .context("finding objects to write alarms out for")?;
    let until = now + HORIZON;
    for object in &stale {
        let rings = match Object::parse(&object.ics, &Limits::FILE) {
            Ok(parsed) => {
                let zone: Tz = object.time_zone.parse().unwrap_or(Tz::UTC);
                rings_of(&parsed, object.calendar_id, zone, object.alarms_until, until)
            }
            Err(error) => {
                tracing::warn!(object = %object.id, error = %error, "a stored object does not parse");
                None
            }
        };
        match rings {
            Some(rings) => db::add(&mut tx, object.id, object.user_id, &rings, Some(until)).await,
            None => db::clear(&mut tx, object.id).await,
        }
        .context("writing alarms out")?;
    }
    tx.commit().await.context("writing alarms out")?;
    if !stale.is_empty() {
        tracing::debug!(objects = stale.len(), "wrote calendar alarms out further");
    }
    Ok(())
}

/// Hands the rings due at `now` to cron; gives up those too late to matter.
async fn deliver(
    pool: &PgPool,
    notifier: &Arc<dyn Notifier>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let due = db::claim_due(pool, now, now + LEASE, BATCH).await.context("claiming due alarms")?;
    let handed = futures::stream::iter(due)
        .map(|ring| async move {
            let result = if now - ring.ring_at > GRACE {
                Ok(Outcome::Missed)
            } else {
                notifier.notify(notice(&ring)).await.map(|()| Outcome::Sent)
            };
            (ring, result)
        })
        .buffer_unordered(AT_ONCE)
        .collect::<Vec<_>>()
        .await;
    for (ring, result) in handed {
        match result {
            Ok(outcome) => {
                if outcome == Outcome::Missed {
                    tracing::info!(object = %ring.object_id, ring_at = %ring.ring_at, "a calendar alarm was missed: nothing ran to ring it in time");
                }
                db::finish(pool, &ring, Utc::now(), outcome.as_str()).await
            }
            Err(error) => {
                let error = format!("{error:#}");
                tracing::warn!(object = %ring.object_id, attempts = ring.attempts, error = %error, "handing a calendar alarm to cron");
                db::retry(pool, &ring, Utc::now() + backoff(ring.attempts), &error).await
            }
        }
        .context("recording a calendar alarm's hand-over")?;
    }
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Sent,
    Missed,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "sent",
            Self::Missed => "missed",
        }
    }
}

/// The notice a ring is: keyed by the object, the occurrence and the time, so handing it over
/// again (after a lost answer) is one notification.
fn notice(ring: &Due) -> Notice {
    Notice {
        person: ring.user_id,
        key: format!(
            "calendar-alarm:{}:{}:{}",
            ring.object_id,
            ring.occurrence.timestamp(),
            ring.ring_at.timestamp()
        ),
        title: ring.title.clone(),
        body: ring.body.clone(),
        data: ring.data.clone(),
    }
}

/// How long after its `attempts`-th failed hand-over a ring is tried again: 30 s, doubling, at
/// most 10 minutes (it is given up [`GRACE`] after it was due).
fn backoff(attempts: i32) -> Duration {
    let doublings = attempts.clamp(1, 6) - 1;
    (Duration::seconds(30) * 2i32.pow(doublings as u32)).min(Duration::minutes(10))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_hand_overs_back_off_up_to_ten_minutes() {
        let waits: Vec<i64> = (1..=8).map(|n| backoff(n).num_seconds()).collect();
        assert_eq!(waits, [30, 60, 120, 240, 480, 600, 600, 600]);
        assert_eq!(backoff(0).num_seconds(), 30);
    }
}
