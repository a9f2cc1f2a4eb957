//! When an object's alarms go off: each VALARM of each occurrence (with its override applied),
//! relative to the occurrence's start or end or at an absolute time, and its repetitions
//! (REPEAT and DURATION, RFC 5545 3.8.6.2). Cancelled events and to-dos done or cancelled ring
//! no alarm.

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Tz;

use crate::ics::values;
use crate::object::{Alarm, End, Instance, Item, Kind, Object, Status, Trigger};
use crate::recurrence::{Caps, RecurrenceError};

/// An alarm's trigger further than this from its occurrence is not rung: the window of
/// occurrences looked at would have to grow by as much.
pub const MAX_LEAD: Duration = Duration::days(366);

/// Repetitions beyond these are not rung (an alarm repeated every minute for a day is noise).
pub const MAX_REPEAT: i32 = 10;

/// One time an alarm goes off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ring {
    /// When it goes off.
    pub at: DateTime<Utc>,
    /// The original start of the occurrence it is for (its RECURRENCE-ID as an instant): with
    /// `at`, what names this ring whatever else of the event changes.
    pub occurrence: DateTime<Utc>,
    /// The occurrence as it is now (moved by an override, say).
    pub starts: DateTime<Utc>,
    pub ends: DateTime<Utc>,
    pub all_day: bool,
    pub kind: Kind,
    pub summary: Option<String>,
    pub location: Option<String>,
    /// The alarm's DESCRIPTION, else the item's.
    pub description: Option<String>,
    /// DISPLAY, AUDIO, EMAIL, as given.
    pub action: String,
}

/// The rings of `object` at times in [from, to), in time order.
pub fn rings(
    object: &Object,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    floating_zone: Tz,
    caps: &Caps,
) -> Result<Vec<Ring>, RecurrenceError> {
    let mut found = Vec::new();
    if to <= from || !object.items().any(|item| !item.alarms.is_empty()) {
        return Ok(found);
    }
    // An occurrence rings `offset` from its start or end: those that can ring in the window
    // start within it widened by the largest offsets either way.
    let (mut before, mut after) = (Duration::zero(), Duration::zero());
    for alarm in object.items().flat_map(|item| &item.alarms) {
        if let Trigger::Relative { offset, .. } = alarm.trigger {
            let last = offset + repetition(alarm).map_or(Duration::zero(), |(every, n)| every * n);
            before = before.max(-offset).min(MAX_LEAD);
            after = after.max(last).min(MAX_LEAD);
        }
    }
    let mut occurrences = Vec::new();
    // A to-do's series without DTSTART has no occurrences to expand (its DUE rings, below).
    if object.master.as_ref().is_none_or(|master| master.start.is_some()) {
        // Occurrences that ended up to `after` before the window ring in it, as may those
        // starting up to `before` after it.
        let window_start = from - after - longest(object, floating_zone);
        for instance in object.instances(window_start, to + before, floating_zone, caps)? {
            let Instance { item, occurrence, start, end } = instance;
            occurrences.push((item, occurrence.start, start, end));
        }
    }
    // A to-do with only DUE (no DTSTART) is one occurrence at its due time.
    for item in object.items().filter(|item| item.kind == Kind::Todo && item.start.is_none()) {
        if let Some(End::At(due)) = item.end {
            let due = due.instant(floating_zone);
            let id = item.recurrence_id.map_or(due, |rid| rid.instant(floating_zone));
            occurrences.push((item, id, due, due));
        }
    }
    let mut push = |item: &Item, alarm: &Alarm, at, occurrence, starts, ends| {
        found.push(Ring {
            at,
            occurrence,
            starts,
            ends,
            all_day: item.start.is_some_and(|start| start.is_date()),
            kind: item.kind,
            summary: item.summary.clone(),
            location: item.location.clone(),
            description: alarm.description.clone().or_else(|| item.description.clone()),
            action: alarm.action.clone(),
        })
    };
    for (item, occurrence, starts, ends) in occurrences {
        if silent(item) {
            continue;
        }
        for alarm in &item.alarms {
            let Trigger::Relative { offset, to_end } = alarm.trigger else { continue };
            if offset.abs() > MAX_LEAD {
                continue;
            }
            let first = (if to_end { ends } else { starts }) + offset;
            for at in repeated(alarm, first).filter(|at| from <= *at && *at < to) {
                push(item, alarm, at, occurrence, starts, ends);
            }
        }
    }
    // An absolute trigger rings once, not per occurrence (RFC 5545 3.8.6.3): for the item's own
    // occurrence (a series' first).
    for item in object.items().filter(|item| !silent(item)) {
        for alarm in &item.alarms {
            let Trigger::Absolute(first) = alarm.trigger else { continue };
            let due = match item.end {
                Some(End::At(due)) if item.kind == Kind::Todo => Some(due),
                _ => None,
            };
            let Some(own) = item.start.or(due) else { continue };
            let starts = own.instant(floating_zone);
            let occurrence = item.recurrence_id.map_or(starts, |rid| rid.instant(floating_zone));
            let ends = starts + item.duration(floating_zone);
            for at in repeated(alarm, first).filter(|at| from <= *at && *at < to) {
                push(item, alarm, at, occurrence, starts, ends);
            }
        }
    }
    found.sort_by_key(|ring| (ring.at, ring.occurrence));
    found.dedup_by(|a, b| a.at == b.at && a.occurrence == b.occurrence);
    Ok(found)
}

/// An item whose alarms stay silent: a cancelled event, a to-do done or cancelled.
fn silent(item: &Item) -> bool {
    matches!(item.status, Some(Status::Cancelled) | Some(Status::Completed))
        || item.completed.is_some()
}

/// The longest any item of `object` lasts: an occurrence that began that long before the
/// window may still end in it.
fn longest(object: &Object, floating_zone: Tz) -> Duration {
    object
        .items()
        .map(|item| item.duration(floating_zone))
        .max()
        .unwrap_or_else(Duration::zero)
        .min(MAX_LEAD)
}

/// The times an alarm first ringing at `first` rings.
fn repeated(alarm: &Alarm, first: DateTime<Utc>) -> impl Iterator<Item = DateTime<Utc>> {
    let (every, times) = repetition(alarm).unwrap_or((Duration::zero(), 0));
    (0..=times).map(move |n| first + every * n)
}

/// REPEAT and DURATION of an alarm: how often it rings again and how many times (both are
/// needed, RFC 5545 3.6.6); `None` when it rings once.
fn repetition(alarm: &Alarm) -> Option<(Duration, i32)> {
    let value = |name: &str| alarm.extra.iter().find(|p| p.name == name).map(|p| p.value.trim());
    let times: i32 = value("REPEAT")?.parse().ok()?;
    let every = values::duration(value("DURATION")?).ok()?;
    (times > 0 && every > Duration::zero()).then_some((every, times.min(MAX_REPEAT)))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::ics::Limits;

    fn object(text: &str) -> Object {
        Object::parse(text, &Limits::OBJECT).expect("parses")
    }

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text).unwrap().with_timezone(&Utc)
    }

    fn rings_in(object: &Object, from: &str, to: &str) -> Vec<DateTime<Utc>> {
        rings(object, at(from), at(to), Tz::UTC, &Caps::DEFAULT)
            .unwrap()
            .into_iter()
            .map(|ring| ring.at)
            .collect()
    }

    const WEEKLY: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n\
        BEGIN:VEVENT\r\nUID:w@t\r\nDTSTAMP:20260101T000000Z\r\n\
        DTSTART;TZID=Europe/Berlin:20260319T090000\r\nDURATION:PT1H\r\n\
        RRULE:FREQ=WEEKLY;COUNT=3\r\nSUMMARY:Stand-up\r\n\
        BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT15M\r\nDESCRIPTION:Soon\r\nEND:VALARM\r\n\
        BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER;RELATED=END:PT0S\r\nDESCRIPTION:Over\r\nEND:VALARM\r\n\
        END:VEVENT\r\n\
        BEGIN:VEVENT\r\nUID:w@t\r\nDTSTAMP:20260101T000000Z\r\n\
        RECURRENCE-ID;TZID=Europe/Berlin:20260402T090000\r\n\
        DTSTART;TZID=Europe/Berlin:20260402T140000\r\nDURATION:PT1H\r\nSUMMARY:Stand-up (moved)\r\n\
        BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:-PT5M\r\nDESCRIPTION:Moved\r\nEND:VALARM\r\n\
        END:VEVENT\r\nEND:VCALENDAR\r\n";

    #[test]
    fn each_occurrence_rings_each_alarm_across_a_dst_change_and_an_override() {
        let weekly = object(WEEKLY);
        let found = rings(
            &weekly,
            at("2026-03-01T00:00:00Z"),
            at("2026-05-01T00:00:00Z"),
            Tz::UTC,
            &Caps::DEFAULT,
        )
        .unwrap();
        let times: Vec<_> = found.iter().map(|r| (r.at, r.description.clone().unwrap())).collect();
        assert_eq!(
            times,
            vec![
                // 19 and 26 March: Berlin is on UTC+1 (summer time begins on the 29th).
                (at("2026-03-19T07:45:00Z"), "Soon".to_owned()),
                (at("2026-03-19T09:00:00Z"), "Over".to_owned()),
                (at("2026-03-26T07:45:00Z"), "Soon".to_owned()),
                (at("2026-03-26T09:00:00Z"), "Over".to_owned()),
                // 2 April, on summer time (UTC+2), moved to 14:00 with an alarm of its own.
                (at("2026-04-02T11:55:00Z"), "Moved".to_owned()),
            ]
        );
        let moved = found.last().unwrap();
        assert_eq!(moved.occurrence, at("2026-04-02T07:00:00Z"), "named by its original start");
        assert_eq!(moved.starts, at("2026-04-02T12:00:00Z"));
        assert_eq!(moved.summary.as_deref(), Some("Stand-up (moved)"));
    }

    #[test]
    fn the_window_is_half_open_and_counts_ring_times_not_occurrences() {
        let weekly = object(WEEKLY);
        // The first occurrence starts at 08:00Z; its "soon" alarm at 07:45Z is in this window.
        assert_eq!(
            rings_in(&weekly, "2026-03-19T07:45:00Z", "2026-03-19T08:00:00Z"),
            vec![at("2026-03-19T07:45:00Z")]
        );
        assert!(rings_in(&weekly, "2026-03-19T07:45:01Z", "2026-03-19T09:00:00Z").is_empty());
        // The occurrence is over before the window; its end alarm still rings in it.
        assert_eq!(
            rings_in(&weekly, "2026-03-19T09:00:00Z", "2026-03-19T09:00:01Z"),
            vec![at("2026-03-19T09:00:00Z")]
        );
    }

    #[test]
    fn cancelled_events_and_exdates_ring_nothing() {
        let cancelled =
            WEEKLY.replacen("SUMMARY:Stand-up\r\n", "SUMMARY:Stand-up\r\nSTATUS:CANCELLED\r\n", 1);
        let cancelled = object(&cancelled);
        // The master is cancelled; the override (not cancelled) still rings.
        assert_eq!(
            rings_in(&cancelled, "2026-03-01T00:00:00Z", "2026-05-01T00:00:00Z"),
            vec![at("2026-04-02T11:55:00Z")]
        );
        let excluded = WEEKLY.replacen(
            "RRULE:FREQ=WEEKLY;COUNT=3\r\n",
            "RRULE:FREQ=WEEKLY;COUNT=3\r\nEXDATE;TZID=Europe/Berlin:20260326T090000\r\n",
            1,
        );
        let excluded = object(&excluded);
        assert_eq!(
            rings_in(&excluded, "2026-03-26T00:00:00Z", "2026-03-27T00:00:00Z"),
            Vec::<DateTime<Utc>>::new()
        );
    }

    #[test]
    fn absolute_triggers_ring_once_and_repeats_ring_again() {
        let text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n\
            BEGIN:VEVENT\r\nUID:a@t\r\nDTSTAMP:20260101T000000Z\r\n\
            DTSTART:20260601T100000Z\r\nDTEND:20260601T110000Z\r\nRRULE:FREQ=DAILY;COUNT=5\r\n\
            BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER;VALUE=DATE-TIME:20260531T180000Z\r\n\
            DESCRIPTION:Pack\r\nEND:VALARM\r\n\
            BEGIN:VALARM\r\nACTION:AUDIO\r\nTRIGGER:-PT10M\r\nREPEAT:2\r\nDURATION:PT5M\r\nEND:VALARM\r\n\
            END:VEVENT\r\nEND:VCALENDAR\r\n";
        let object = object(text);
        assert_eq!(
            rings_in(&object, "2026-05-31T00:00:00Z", "2026-06-02T00:00:00Z"),
            vec![
                at("2026-05-31T18:00:00Z"),
                at("2026-06-01T09:50:00Z"),
                at("2026-06-01T09:55:00Z"),
                at("2026-06-01T10:00:00Z"),
            ]
        );
    }

    #[test]
    fn an_absolute_trigger_rings_even_when_its_occurrence_is_outside_the_window() {
        let text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n\
            BEGIN:VEVENT\r\nUID:b@t\r\nDTSTAMP:20260101T000000Z\r\n\
            DTSTART:20260601T100000Z\r\nRRULE:FREQ=DAILY;COUNT=5\r\n\
            BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER;VALUE=DATE-TIME:20260603T120000Z\r\n\
            DESCRIPTION:Halfway\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let object = object(text);
        let found = rings(
            &object,
            at("2026-06-03T11:00:00Z"),
            at("2026-06-03T13:00:00Z"),
            Tz::UTC,
            &Caps::DEFAULT,
        )
        .unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].at, found[0].occurrence),
            (at("2026-06-03T12:00:00Z"), at("2026-06-01T10:00:00Z"))
        );
    }

    #[test]
    fn todos_ring_before_they_are_due_until_done() {
        let text = |extra: &str| {
            format!(
                "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n\
                 BEGIN:VTODO\r\nUID:t@t\r\nDTSTAMP:20260101T000000Z\r\nDUE:20260710T170000Z\r\n\
                 SUMMARY:Taxes\r\n{extra}\
                 BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER;RELATED=END:-P1D\r\n\
                 DESCRIPTION:Due tomorrow\r\nEND:VALARM\r\nEND:VTODO\r\nEND:VCALENDAR\r\n"
            )
        };
        let open = object(&text(""));
        assert_eq!(
            rings_in(&open, "2026-07-01T00:00:00Z", "2026-08-01T00:00:00Z"),
            vec![at("2026-07-09T17:00:00Z")]
        );
        let done = object(&text("STATUS:COMPLETED\r\nCOMPLETED:20260705T100000Z\r\n"));
        assert!(rings_in(&done, "2026-07-01T00:00:00Z", "2026-08-01T00:00:00Z").is_empty());
    }

    #[test]
    fn an_endless_daily_series_rings_only_in_the_window() {
        let text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//t//EN\r\n\
            BEGIN:VEVENT\r\nUID:d@t\r\nDTSTAMP:20200101T000000Z\r\n\
            DTSTART;VALUE=DATE:20200101\r\nRRULE:FREQ=DAILY\r\nSUMMARY:Pills\r\n\
            BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:PT8H\r\nDESCRIPTION:Pills\r\nEND:VALARM\r\n\
            END:VEVENT\r\nEND:VCALENDAR\r\n";
        let object = object(text);
        let found = rings(
            &object,
            at("2030-01-01T00:00:00Z"),
            at("2030-01-08T00:00:00Z"),
            Tz::UTC,
            &Caps::DEFAULT,
        )
        .unwrap();
        assert_eq!(found.len(), 7);
        assert_eq!(found[0].at, Utc.with_ymd_and_hms(2030, 1, 1, 8, 0, 0).unwrap());
        assert!(found.iter().all(|ring| ring.all_day));
    }
}
