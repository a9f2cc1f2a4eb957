//! Writing out when an object's alarms ring, for the days ahead: in the transaction of every
//! write of the object (so what rings is always what is stored), and again by the worker as
//! the days pass.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;
use posey_calendar::alarms::{Ring, rings};
use posey_calendar::recurrence::Caps;
use posey_calendar::{Kind, Object};
use serde_json::json;
use sqlx::{Postgres, Transaction};
use uuid::Uuid;

use super::db::{self, NewRing};

/// How far ahead rings are written out.
pub const HORIZON: Duration = Duration::days(7);

/// A ring due longer ago than this when it could be handed over (nothing was running to ring
/// it) is given up as missed: an alarm for a meeting that is over is noise.
pub const GRACE: Duration = Duration::hours(1);

/// The most rings one object writes out at a time; more in a week is noise (or an attack).
const MAX_RINGS: usize = 500;

/// The object's rings in [from, to) as they are written out, with the text people see.
/// `None` when its recurrence cannot be expanded within the caps (it then rings nothing).
pub fn rings_of(
    object: &Object,
    calendar: Uuid,
    zone: Tz,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Option<Vec<NewRing>> {
    // The bounds the store expands series within.
    match rings(object, from, to, zone, &Caps::DEFAULT) {
        Ok(found) => Some(
            found
                .iter()
                .take(MAX_RINGS)
                .map(|ring| written(ring, &object.uid, calendar, zone))
                .collect(),
        ),
        Err(error) => {
            tracing::warn!(uid = %object.uid, error = %error, "an object's alarms ring nothing: its recurrence cannot be expanded");
            None
        }
    }
}

/// After `object` was stored as `object_id` at `now`: its rings from now to the horizon. A
/// ring waiting to be handed over (up to [`GRACE`] late) stays if the object still rings it.
pub async fn after_put(
    tx: &mut Transaction<'_, Postgres>,
    person: Uuid,
    calendar: Uuid,
    object_id: Uuid,
    object: &Object,
    zone: Tz,
    now: DateTime<Utc>,
) -> sqlx::Result<()> {
    let has_alarms = object.items().any(|item| !item.alarms.is_empty());
    let until = now + HORIZON;
    let rings =
        if has_alarms { rings_of(object, calendar, zone, now - GRACE, until) } else { None };
    match rings {
        Some(rings) => db::replace(tx, object_id, person, &rings, now, Some(until)).await,
        None => db::clear(tx, object_id).await,
    }
}

/// Nothing of the object `object_id` rings any more (it was deleted, or its calendar is a
/// subscription).
pub async fn clear(tx: &mut Transaction<'_, Postgres>, object_id: Uuid) -> sqlx::Result<()> {
    db::clear(tx, object_id).await
}

/// A ring as its notification reads: the summary, when (in the calendar's zone) and where, and
/// the alarm's own words when it has some.
fn written(ring: &Ring, uid: &str, calendar: Uuid, zone: Tz) -> NewRing {
    let title =
        ring.summary.clone().filter(|s| !s.trim().is_empty()).unwrap_or_else(|| match ring.kind {
            Kind::Event => "Event".to_owned(),
            Kind::Todo => "To-do".to_owned(),
        });
    let mut body = when(ring, zone);
    if let Some(location) = ring.location.as_deref().filter(|l| !l.trim().is_empty()) {
        body.push_str(" · ");
        body.push_str(location.trim());
    }
    // Clients write the summary again, or a stock word, where the alarm has nothing to say.
    if let Some(words) = ring.description.as_deref().map(str::trim).filter(|words| {
        !words.is_empty()
            && Some(*words) != ring.summary.as_deref().map(str::trim)
            && !words.eq_ignore_ascii_case("reminder")
            && !words.eq_ignore_ascii_case("this is an event reminder")
    }) {
        body.push('\n');
        body.push_str(words);
    }
    let data = json!({
        "kind": "calendar_alarm",
        "calendar_id": calendar,
        "uid": uid,
        "occurrence": ring.occurrence,
        "starts": ring.starts,
        "link": format!("/calendar?date={}", ring.starts.with_timezone(&zone).format("%Y-%m-%d")),
    });
    NewRing { occurrence: ring.occurrence, ring_at: ring.at, title, body, data }
}

/// "Thu 19 Mar, 09:00–10:00 CET", "All day, Thu 19 Mar", "Due Fri 10 Jul, 17:00 CEST".
fn when(ring: &Ring, zone: Tz) -> String {
    let starts = ring.starts.with_timezone(&zone);
    let ends = ring.ends.with_timezone(&zone);
    if ring.all_day {
        return format!("All day, {}", starts.format("%a %-d %b"));
    }
    match ring.kind {
        Kind::Todo => format!("Due {}", ends.format("%a %-d %b, %H:%M %Z")),
        Kind::Event if ends <= starts => starts.format("%a %-d %b, %H:%M %Z").to_string(),
        Kind::Event if ends.date_naive() == starts.date_naive() => {
            format!("{}–{}", starts.format("%a %-d %b, %H:%M"), ends.format("%H:%M %Z"))
        }
        Kind::Event => {
            format!(
                "{} – {}",
                starts.format("%a %-d %b, %H:%M"),
                ends.format("%a %-d %b, %H:%M %Z")
            )
        }
    }
}
