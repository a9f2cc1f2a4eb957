#![allow(clippy::unwrap_used)]

use chrono::{DateTime, Utc};

use super::{Schedule, ScheduleError, ScheduleKind};

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn parse(kind: ScheduleKind, spec: &str, tz: &str) -> Schedule {
    Schedule::parse(kind, spec, tz).unwrap()
}

fn err(kind: ScheduleKind, spec: &str, tz: &str) -> ScheduleError {
    Schedule::parse(kind, spec, tz).unwrap_err()
}

/// The next `n` runs after `after`, as RFC 3339 UTC strings.
fn runs(s: &Schedule, after: &str, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut cursor = utc(after);
    for _ in 0..n {
        let Some(next) = s.next_after(cursor) else {
            break;
        };
        out.push(next.format("%Y-%m-%dT%H:%M:%SZ").to_string());
        cursor = next;
    }
    out
}

fn assert_round_trip(s: &Schedule, after: &str) {
    let again = Schedule::parse(s.kind(), &s.spec(), s.time_zone().name()).unwrap();
    assert_eq!(again.spec(), s.spec());
    assert_eq!(runs(&again, after, 20), runs(s, after, 20), "{}", s.spec());
}

use ScheduleKind::{Cron, Interval, Once, Rrule};

#[test]
fn kind_text_round_trips() {
    for kind in [Cron, Once, Interval, Rrule] {
        assert_eq!(ScheduleKind::parse(kind.as_str()), Some(kind));
        let json = serde_json::to_string(&kind).unwrap();
        assert_eq!(json, format!("\"{}\"", kind.as_str()));
    }
    assert_eq!(ScheduleKind::parse("weekly"), None);
}

#[test]
fn cron_weekdays_in_a_zone() {
    let s = parse(Cron, "0 30 7 * * MON-FRI", "Europe/Berlin");
    // Friday 2027-03-05 after 07:30 CET, then the weekend is skipped.
    assert_eq!(
        runs(&s, "2027-03-05T07:00:00Z", 3),
        ["2027-03-08T06:30:00Z", "2027-03-09T06:30:00Z", "2027-03-10T06:30:00Z"]
    );
    // After the spring change the same wall-clock time is an hour earlier in UTC.
    assert_eq!(runs(&s, "2027-03-29T06:00:00Z", 1), ["2027-03-30T05:30:00Z"]);
    assert_eq!(s.kind(), Cron);
    assert_eq!(s.time_zone(), chrono_tz::Europe::Berlin);
    assert_round_trip(&s, "2027-03-01T00:00:00Z");
}

#[test]
fn cron_seconds_names_and_year() {
    let s = parse(Cron, "15 0 12 1 JAN,JUL ? 2028", "UTC");
    assert_eq!(
        runs(&s, "2027-01-01T00:00:00Z", 3),
        ["2028-01-01T12:00:15Z", "2028-07-01T12:00:15Z"]
    );
    let every_ten = parse(Cron, "*/10 * * * * *", "Asia/Tokyo");
    assert_eq!(
        runs(&every_ten, "2027-01-01T00:00:05Z", 2),
        ["2027-01-01T00:00:10Z", "2027-01-01T00:00:20Z"]
    );
    let last_day = parse(Cron, "0 0 18 L * *", "America/New_York");
    assert_eq!(runs(&last_day, "2027-02-01T00:00:00Z", 1), ["2027-02-28T23:00:00Z"]);
}

#[test]
fn cron_daily_0230_berlin_spring_gap_runs_right_after_it() {
    let s = parse(Cron, "0 30 2 * * *", "Europe/Berlin");
    assert_eq!(
        runs(&s, "2027-03-26T12:00:00Z", 3),
        [
            "2027-03-27T01:30:00Z", // 02:30 CET
            "2027-03-28T01:00:00Z", // 02:30 does not exist: 03:00 CEST
            "2027-03-29T00:30:00Z", // 02:30 CEST
        ]
    );
}

#[test]
fn cron_daily_0230_berlin_autumn_fold_runs_once() {
    let s = parse(Cron, "0 30 2 * * *", "Europe/Berlin");
    assert_eq!(
        runs(&s, "2027-10-29T12:00:00Z", 3),
        [
            "2027-10-30T00:30:00Z", // 02:30 CEST
            "2027-10-31T00:30:00Z", // first 02:30, CEST; the CET one at 01:30Z is skipped
            "2027-11-01T01:30:00Z", // 02:30 CET
        ]
    );
    // Asked from inside the fold, after the first pass: the repeat does not run.
    assert_eq!(runs(&s, "2027-10-31T00:45:00Z", 1), ["2027-11-01T01:30:00Z"]);
}

#[test]
fn cron_daily_0230_new_york_across_both_changes() {
    let s = parse(Cron, "0 30 2 * * *", "America/New_York");
    assert_eq!(
        runs(&s, "2027-03-13T00:00:00Z", 3),
        [
            "2027-03-13T07:30:00Z", // 02:30 EST
            "2027-03-14T07:00:00Z", // gap: 03:00 EDT
            "2027-03-15T06:30:00Z", // 02:30 EDT
        ]
    );
    // New York repeats 01:00-02:00; 02:30 is not in the fold.
    assert_eq!(
        runs(&s, "2027-11-06T00:00:00Z", 3),
        ["2027-11-06T06:30:00Z", "2027-11-07T07:30:00Z", "2027-11-08T07:30:00Z"]
    );
    let fold = parse(Cron, "0 30 1 * * *", "America/New_York");
    assert_eq!(
        runs(&fold, "2027-11-06T00:00:00Z", 3),
        [
            "2027-11-06T05:30:00Z", // 01:30 EDT
            "2027-11-07T05:30:00Z", // first 01:30 (EDT) only
            "2027-11-08T06:30:00Z", // 01:30 EST
        ]
    );
}

#[test]
fn cron_pinned_lists_follow_the_same_rule() {
    // Several pinned times inside Berlin's fold: each runs once, in the first pass.
    let s = parse(Cron, "0 0,30 2 * * *", "Europe/Berlin");
    assert_eq!(
        runs(&s, "2027-10-30T12:00:00Z", 3),
        ["2027-10-31T00:00:00Z", "2027-10-31T00:30:00Z", "2027-11-01T01:00:00Z"]
    );
    // Every quarter hour of 02:xx: all four fall in the gap and collapse into one run.
    let s = parse(Cron, "0 */15 2 * * *", "Europe/Berlin");
    assert_eq!(
        runs(&s, "2027-03-27T12:00:00Z", 2),
        ["2027-03-28T01:00:00Z", "2027-03-29T00:00:00Z"]
    );
    // A list of hours is still pinned: 02:30 in the gap runs at 03:00, 14:30 as usual.
    let s = parse(Cron, "0 30 2,14 * * *", "Europe/Berlin");
    assert_eq!(
        runs(&s, "2027-03-27T12:00:00Z", 3),
        ["2027-03-27T13:30:00Z", "2027-03-28T01:00:00Z", "2027-03-28T12:30:00Z"]
    );
}

#[test]
fn cron_hourly_runs_every_elapsed_hour_across_both_changes() {
    let s = parse(Cron, "0 0 * * * *", "Europe/Berlin");
    // Fold: wall clock 02:00 CEST, 02:00 CET, 03:00 CET, 04:00 CET.
    assert_eq!(
        runs(&s, "2027-10-30T23:30:00Z", 4),
        [
            "2027-10-31T00:00:00Z",
            "2027-10-31T01:00:00Z",
            "2027-10-31T02:00:00Z",
            "2027-10-31T03:00:00Z"
        ]
    );
    // Gap: 01:00 CET, then 03:00 CEST (02:00 never happens).
    assert_eq!(
        runs(&s, "2027-03-27T23:30:00Z", 3),
        ["2027-03-28T00:00:00Z", "2027-03-28T01:00:00Z", "2027-03-28T02:00:00Z"]
    );
    let ny = parse(Cron, "0 30 * * * *", "America/New_York");
    assert_eq!(
        runs(&ny, "2027-11-07T04:00:00Z", 4),
        [
            "2027-11-07T04:30:00Z", // 00:30 EDT
            "2027-11-07T05:30:00Z", // 01:30 EDT
            "2027-11-07T06:30:00Z", // 01:30 EST
            "2027-11-07T07:30:00Z", // 02:30 EST
        ]
    );
    assert_eq!(
        runs(&ny, "2027-03-14T05:00:00Z", 3),
        [
            "2027-03-14T05:30:00Z", // 00:30 EST
            "2027-03-14T06:30:00Z", // 01:30 EST; 02:30 does not exist
            "2027-03-14T07:30:00Z", // 03:30 EDT
        ]
    );
}

#[test]
fn cron_minutely_across_the_fold_runs_every_real_minute() {
    let s = parse(Cron, "0 * * * * *", "Europe/Berlin");
    let from = utc("2027-10-30T23:00:00Z");
    let to = utc("2027-10-31T03:00:00Z");
    let all = s.runs_between(from, to, 10_000);
    assert_eq!(all.len(), 240);
    assert!(all.windows(2).all(|w| (w[1] - w[0]).num_seconds() == 60));
    // From inside the second pass.
    assert_eq!(
        runs(&s, "2027-10-31T01:10:30Z", 2),
        ["2027-10-31T01:11:00Z", "2027-10-31T01:12:00Z"]
    );
}

#[test]
fn once_rfc3339_and_local() {
    let s = parse(Once, "2027-03-03T09:00:00+01:00", "America/New_York");
    assert_eq!(runs(&s, "2027-01-01T00:00:00Z", 2), ["2027-03-03T08:00:00Z"]);
    assert_eq!(s.next_after(utc("2027-03-03T08:00:00Z")), None);
    assert_eq!(s.first_at_or_after(utc("2027-03-03T08:00:00Z")), Some(utc("2027-03-03T08:00:00Z")));
    assert_round_trip(&s, "2027-01-01T00:00:00Z");

    let local = parse(Once, "2027-03-03T09:00:00", "Europe/Berlin");
    assert_eq!(local.spec(), "2027-03-03T09:00:00");
    assert_eq!(runs(&local, "2027-01-01T00:00:00Z", 1), ["2027-03-03T08:00:00Z"]);
    assert_round_trip(&local, "2027-01-01T00:00:00Z");

    let gap = parse(Once, "2027-03-28T02:30", "Europe/Berlin");
    assert_eq!(runs(&gap, "2027-01-01T00:00:00Z", 1), ["2027-03-28T01:00:00Z"]);
    let fold = parse(Once, "2027-10-31 02:30:00", "Europe/Berlin");
    assert_eq!(runs(&fold, "2027-01-01T00:00:00Z", 1), ["2027-10-31T00:30:00Z"]);

    // In the past: valid, with no more runs.
    let past = parse(Once, "2001-01-01T00:00:00Z", "UTC");
    assert_eq!(past.next_after(utc("2027-01-01T00:00:00Z")), None);
}

#[test]
fn interval_with_and_without_anchor() {
    let s = parse(Interval, "3600@2027-01-01T00:00:00Z", "Europe/Berlin");
    assert_eq!(
        runs(&s, "2027-01-01T01:30:00Z", 2),
        ["2027-01-01T02:00:00Z", "2027-01-01T03:00:00Z"]
    );
    assert_eq!(s.next_after(utc("2026-01-01T00:00:00Z")), Some(utc("2027-01-01T00:00:00Z")));
    // Intervals are elapsed time: DST changes nothing.
    assert_eq!(
        runs(&s, "2027-10-31T00:00:00Z", 2),
        ["2027-10-31T01:00:00Z", "2027-10-31T02:00:00Z"]
    );
    assert_round_trip(&s, "2027-01-01T00:00:00Z");

    let bare = parse(Interval, "90", "UTC");
    assert!(bare.needs_anchor());
    assert_eq!(bare.spec(), "90");
    let anchored = bare.anchored_at(utc("2027-05-05T10:00:00.750Z"));
    assert!(!anchored.needs_anchor());
    assert_eq!(anchored.spec(), "90@2027-05-05T10:00:00Z");
    assert_eq!(
        anchored.first_at_or_after(utc("2027-05-05T10:00:00Z")),
        Some(utc("2027-05-05T10:00:00Z"))
    );
    assert_eq!(
        runs(&anchored, "2027-05-05T10:02:00Z", 2),
        ["2027-05-05T10:03:00Z", "2027-05-05T10:04:30Z"]
    );
    // Anchoring twice keeps the first anchor.
    let again = anchored.clone().anchored_at(utc("2030-01-01T00:00:00Z"));
    assert_eq!(again.spec(), anchored.spec());
    assert_round_trip(&anchored, "2027-05-05T10:00:00Z");
}

#[test]
fn runs_between_is_bounded_and_oldest_first() {
    let s = parse(Interval, "60@2027-01-01T00:00:00Z", "UTC");
    let all = s.runs_between(utc("2027-01-01T00:00:00Z"), utc("2027-01-01T00:10:00Z"), 100);
    assert_eq!(all.len(), 10);
    assert_eq!(all[0], utc("2027-01-01T00:01:00Z"));
    assert_eq!(all[9], utc("2027-01-01T00:10:00Z"));
    let few = s.runs_between(utc("2027-01-01T00:00:00Z"), utc("2027-01-01T00:10:00Z"), 3);
    assert_eq!(few, all[..3]);
    let once = parse(Once, "2027-01-01T00:05:00Z", "UTC");
    assert_eq!(
        once.runs_between(utc("2027-01-01T00:00:00Z"), utc("2027-01-02T00:00:00Z"), 5),
        [utc("2027-01-01T00:05:00Z")]
    );
}

#[test]
fn rrule_weekdays_with_dtstart() {
    let s = parse(
        Rrule,
        "DTSTART;TZID=Europe/Berlin:20270301T073000\nRRULE:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR",
        "Europe/Berlin",
    );
    assert_eq!(
        runs(&s, "2027-03-05T07:00:00Z", 2),
        ["2027-03-08T06:30:00Z", "2027-03-09T06:30:00Z"]
    );
    // Across the spring change (Sunday 28 March): Monday is 07:30 CEST.
    assert_eq!(runs(&s, "2027-03-26T07:00:00Z", 1), ["2027-03-29T05:30:00Z"]);
    assert_round_trip(&s, "2027-02-01T00:00:00Z");
}

#[test]
fn rrule_count_and_until_end_the_schedule() {
    let counted = parse(
        Rrule,
        "DTSTART;TZID=America/New_York:20270101T090000\nRRULE:FREQ=DAILY;COUNT=3",
        "America/New_York",
    );
    assert_eq!(
        runs(&counted, "2026-12-31T00:00:00Z", 5),
        ["2027-01-01T14:00:00Z", "2027-01-02T14:00:00Z", "2027-01-03T14:00:00Z"]
    );
    assert_eq!(counted.next_after(utc("2027-01-03T14:00:00Z")), None);

    let until = parse(
        Rrule,
        "DTSTART;TZID=Europe/Berlin:20270301T073000\n\
         RRULE:FREQ=WEEKLY;BYDAY=MO,FR;UNTIL=20270312T063000Z",
        "Europe/Berlin",
    );
    assert_eq!(
        runs(&until, "2027-02-01T00:00:00Z", 10),
        [
            "2027-03-01T06:30:00Z",
            "2027-03-05T06:30:00Z",
            "2027-03-08T06:30:00Z",
            "2027-03-12T06:30:00Z"
        ]
    );
    assert_eq!(until.next_after(utc("2027-03-12T06:30:00Z")), None);
    assert_round_trip(&until, "2027-02-01T00:00:00Z");
}

#[test]
fn rrule_bare_rule_is_anchored_at_creation() {
    let bare =
        parse(Rrule, "FREQ=WEEKLY;BYDAY=MO;BYHOUR=7;BYMINUTE=30;BYSECOND=0", "Europe/Berlin");
    assert!(bare.needs_anchor());
    let s = bare.anchored_at(utc("2027-03-03T10:15:42Z"));
    assert_eq!(
        s.spec(),
        "DTSTART;TZID=Europe/Berlin:20270303T111500\n\
         RRULE:FREQ=WEEKLY;BYDAY=MO;BYHOUR=7;BYMINUTE=30;BYSECOND=0"
    );
    assert_eq!(
        runs(&s, "2027-03-03T10:15:42Z", 2),
        ["2027-03-08T06:30:00Z", "2027-03-15T06:30:00Z"]
    );
    assert_round_trip(&s, "2027-03-03T10:15:42Z");

    // A bare DAILY rule takes its time of day from the anchor.
    let daily =
        parse(Rrule, "RRULE:FREQ=DAILY", "Asia/Kolkata").anchored_at(utc("2027-01-01T03:30:00Z"));
    assert_eq!(
        daily.first_at_or_after(utc("2027-01-01T03:30:00Z")),
        Some(utc("2027-01-01T03:30:00Z"))
    );
}

#[test]
fn rrule_dst_gap_and_fold_follow_the_cron_rules() {
    let daily = parse(
        Rrule,
        "DTSTART;TZID=Europe/Berlin:20270301T023000\nRRULE:FREQ=DAILY",
        "Europe/Berlin",
    );
    assert_eq!(
        runs(&daily, "2027-03-26T12:00:00Z", 3),
        ["2027-03-27T01:30:00Z", "2027-03-28T01:00:00Z", "2027-03-29T00:30:00Z"]
    );
    assert_eq!(
        runs(&daily, "2027-10-29T12:00:00Z", 3),
        ["2027-10-30T00:30:00Z", "2027-10-31T00:30:00Z", "2027-11-01T01:30:00Z"]
    );
    let ny = parse(
        Rrule,
        "DTSTART;TZID=America/New_York:20270101T023000\nRRULE:FREQ=DAILY",
        "America/New_York",
    );
    assert_eq!(
        runs(&ny, "2027-03-13T00:00:00Z", 3),
        ["2027-03-13T07:30:00Z", "2027-03-14T07:00:00Z", "2027-03-15T06:30:00Z"]
    );
    let hourly = parse(
        Rrule,
        "DTSTART;TZID=Europe/Berlin:20270101T000000\nRRULE:FREQ=HOURLY",
        "Europe/Berlin",
    );
    assert_eq!(
        runs(&hourly, "2027-10-30T23:30:00Z", 3),
        ["2027-10-31T00:00:00Z", "2027-10-31T01:00:00Z", "2027-10-31T02:00:00Z"]
    );
}

#[test]
fn rrule_fine_grained_rule_far_from_dtstart() {
    let s = parse(Rrule, "DTSTART:20200101T000000Z\nRRULE:FREQ=MINUTELY;INTERVAL=7", "UTC");
    // 2027-01-01T00:00Z is 3,681,360 minutes after DTSTART: a multiple of 7 plus 3.
    assert_eq!(
        runs(&s, "2027-01-01T00:00:00Z", 2),
        ["2027-01-01T00:04:00Z", "2027-01-01T00:11:00Z"]
    );
}

#[test]
fn bad_specs_name_what_is_wrong() {
    let e = err(Cron, "0 30 7 * *", "UTC");
    assert_eq!(e.field, "schedule");
    assert!(e.message.contains("6 fields"), "{e}");
    assert!(err(Cron, "0 61 7 * * *", "UTC").message.contains("invalid cron"));
    assert!(err(Cron, "0 0 0 30 2 *", "UTC").message.contains("never"));
    assert!(err(Cron, "   ", "UTC").message.contains("empty"));

    let e = err(Cron, "0 0 * * * *", "Mars/Olympus");
    assert_eq!(e.field, "time_zone");
    assert!(e.message.contains("Mars/Olympus"), "{e}");
    assert_eq!(err(Once, "2027-01-01T00:00:00Z", "").field, "time_zone");

    assert!(err(Once, "next tuesday", "UTC").message.contains("not a date-time"));
    assert!(err(Interval, "0", "UTC").message.contains("between"));
    assert!(err(Interval, "999999999999", "UTC").message.contains("10 years"));
    assert!(err(Interval, "5m", "UTC").message.contains("whole number"));
    assert!(err(Interval, "60@yesterday", "UTC").message.contains("anchor"));
    assert!(err(Rrule, "FREQ=SOMETIMES", "UTC").message.contains("RRULE"));
    assert!(
        err(Rrule, "DTSTART;TZID=Europe/Paris:20270101T090000\nRRULE:FREQ=DAILY", "Europe/Berlin")
            .message
            .contains("Europe/Paris")
    );
    assert_eq!(err(Interval, "", "UTC").to_string(), "schedule: the interval schedule is empty");
}

#[test]
fn rrule_exdate_removes_a_run() {
    let s = parse(
        Rrule,
        "DTSTART;TZID=Europe/Berlin:20270301T090000\nRRULE:FREQ=DAILY;COUNT=3\n\
         EXDATE;TZID=Europe/Berlin:20270302T090000",
        "Europe/Berlin",
    );
    assert_eq!(
        runs(&s, "2027-02-01T00:00:00Z", 5),
        ["2027-03-01T08:00:00Z", "2027-03-03T08:00:00Z"]
    );
    assert_round_trip(&s, "2027-02-01T00:00:00Z");
}

#[test]
fn secondly_cron_inside_the_fold_stays_cheap() {
    let s = parse(Cron, "* * * * * *", "Europe/Berlin");
    let started = std::time::Instant::now();
    assert_eq!(runs(&s, "2027-10-31T01:30:00Z", 1), ["2027-10-31T01:30:01Z"]);
    assert!(started.elapsed() < std::time::Duration::from_secs(2));
}

/// Every kind of schedule that fires more often than a minimum is caught, with the gap.
#[test]
fn runs_closer_than_catches_every_frequent_kind() {
    let from = utc("2027-03-01T10:00:00Z");
    let minute = chrono::Duration::seconds(60);
    let gap = |kind, spec: &str| parse(kind, spec, "Europe/Berlin").runs_closer_than(from, minute);
    let secs = |n| Some(chrono::Duration::seconds(n));
    assert_eq!(gap(Cron, "* * * * * *"), secs(1));
    assert_eq!(gap(Cron, "*/30 * * * * *"), secs(30));
    assert_eq!(gap(Cron, "0,59 * * * * *"), secs(1));
    // A burst once a day, far from `from`, is still found.
    assert_eq!(gap(Cron, "0-2 0 3 * * *"), secs(1));
    assert_eq!(gap(Interval, "1"), secs(1));
    assert_eq!(gap(Interval, "59@2027-01-01T00:00:00Z"), secs(59));
    assert_eq!(gap(Rrule, "FREQ=SECONDLY"), secs(1));
    assert_eq!(gap(Rrule, "FREQ=SECONDLY;INTERVAL=30"), secs(30));
    assert_eq!(gap(Rrule, "FREQ=MINUTELY;BYSECOND=0,10"), secs(10));
    assert_eq!(gap(Rrule, "FREQ=DAILY;BYHOUR=9;BYMINUTE=0;BYSECOND=0,1"), secs(1));
    // RDATEs next to the rule's runs, or to each other, years away.
    let rdates = "DTSTART;TZID=Europe/Berlin:20270301T090000\nRRULE:FREQ=DAILY\n\
                  RDATE;TZID=Europe/Berlin:20300101T090010";
    assert_eq!(gap(Rrule, rdates), secs(10));
    let rdates = "DTSTART;TZID=Europe/Berlin:20270301T090000\nRRULE:FREQ=WEEKLY\n\
                  RDATE;TZID=Europe/Berlin:20300101T120000,20300101T120005";
    assert_eq!(gap(Rrule, rdates), secs(5));

    // Schedules at or over the minimum pass.
    for (kind, spec) in [
        (Cron, "0 * * * * *"),
        (Cron, "0 */5 * * * *"),
        (Cron, "0 30 7 * * Mon-Fri"),
        // Times a DST gap moves to the same instant run once: not a zero gap.
        (Cron, "0 30,45 2 * * *"),
        (Interval, "60"),
        (Once, "2027-03-03T09:00:00"),
        (Rrule, "FREQ=MINUTELY"),
        (Rrule, "FREQ=HOURLY;BYMINUTE=0,30"),
    ] {
        assert_eq!(gap(kind, spec), None, "{spec}");
    }
}

/// Found by fuzzing (fuzz/fuzz_targets/cron_schedule.rs): the rrule crate read this bare rule's
/// text before the colon as a property's parameters and accepted it, so the task was created,
/// but the spec stored for it (`RRULE:` + the text) no longer parsed.
#[test]
fn bare_rrule_with_parameters_is_refused_not_stored_unreadable() {
    let spec = "D\u{1}\0\0\0R$T;TZID=Europe/Ber0301T0731T07300,0E:FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR";
    let e = err(Rrule, spec, "Europe/Berlin");
    assert!(e.message.contains("single FREQ=... line"), "{e}");
    let e = err(Rrule, "RRULE;X-NAME=1:FREQ=DAILY", "UTC");
    assert!(e.message.contains("single FREQ=... line"), "{e}");
    // Every bare rule that is taken is stored as a spec that reads back the same.
    for spec in ["FREQ=DAILY", "rrule:freq=daily;until=20280101T000000Z", "FREQ=HOURLY;BYMINUTE=5"]
    {
        let s = parse(Rrule, spec, "Europe/Berlin").anchored_at(utc("2027-03-27T23:59:30Z"));
        assert_round_trip(&s, "2027-03-27T23:59:30Z");
    }
}

/// Found by fuzzing (cron_schedule, CI): the rrule crate cut the weekday off a BYDAY value by
/// byte and panicked inside a multi-byte character, taking the request's task down with it.
#[test]
fn rrule_with_non_ascii_is_refused_not_a_panic() {
    for (spec, zone) in [
        ("FREQ=WEEKLY;BYDAY=1\u{472}O", "UTC"),
        ("DTSTART:20270101T090000Z\nRRULE:FREQ=MONTHLY;BYDAY=T9\u{472}O", "UTC"),
        ("FREQ=DAILY;X-NAME=caf\u{e9}", "Europe/Berlin"),
    ] {
        let e = err(Rrule, spec, zone);
        assert!(e.message.contains("other than ASCII"), "{spec}: {e}");
    }
}

/// Found by fuzzing (cron_schedule, a timeout): croner reads a lone `,` as a field that
/// matches nothing, and checking that such an expression ever runs walked every day to the
/// year 5000, seconds of CPU for one request.
#[test]
fn cron_field_that_matches_nothing_is_refused_at_once() {
    for (spec, field) in
        [("0 */15 , * * *", "hour"), ("0 , * * * *", "minute"), (", * * * * *", "second")]
    {
        let started = std::time::Instant::now();
        let e = err(Cron, spec, "Europe/Berlin");
        assert!(e.message.contains(&format!("{field} field matches no")), "{spec}: {e}");
        assert!(started.elapsed() < std::time::Duration::from_secs(1), "{spec} took long");
    }
}

#[test]
fn over_long_specs_are_refused() {
    let long = format!("FREQ=DAILY{}", ";BYHOUR=9".repeat(300));
    let e = err(Rrule, &long, "UTC");
    assert!(e.message.contains("longer than"), "{e}");
}
