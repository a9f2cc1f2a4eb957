//! A task's schedule as the cron API takes it: a kind (cron, once, interval, rrule), an IANA
//! zone and the spec text. Parsed, its runs computed as the dispatcher does, and the spec it
//! stores read again: a stored spec that no longer parses is a task that never runs again.
#![no_main]

use chrono::{TimeZone, Utc};
use libfuzzer_sys::fuzz_target;
use posey_cron::schedule::{Schedule, ScheduleKind};

const KINDS: [ScheduleKind; 4] =
    [ScheduleKind::Cron, ScheduleKind::Once, ScheduleKind::Interval, ScheduleKind::Rrule];
const ZONES: [&str; 5] =
    ["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "UTC", "Pacific/Apia"];

fuzz_target!(|data: &[u8]| {
    let [kind, zone, spec @ ..] = data else { return };
    let Ok(spec) = std::str::from_utf8(spec) else { return };
    let kind = KINDS[usize::from(*kind) % KINDS.len()];
    let zone = ZONES[usize::from(*zone) % ZONES.len()];
    let now = Utc.with_ymd_and_hms(2027, 3, 27, 23, 59, 30).unwrap();
    let Ok(schedule) = Schedule::parse(kind, spec, zone) else { return };
    let schedule = schedule.anchored_at(now);
    let stored = schedule.spec();
    let again = match Schedule::parse(kind, &stored, zone) {
        Ok(again) => again,
        Err(error) => panic!("the stored spec {stored:?} (from {spec:?}) does not parse: {error}"),
    };
    let next = schedule.next_after(now);
    assert_eq!(next, again.next_after(now), "the stored spec {stored:?} runs at other times");
    let _ = schedule.first_at_or_after(now);
    let _ = schedule.runs_between(now, now + chrono::Duration::days(2), 20);
    let _ = schedule.runs_closer_than(now, chrono::Duration::minutes(1));
});
