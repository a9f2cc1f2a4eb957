//! Any item Posey can hold, written and read back, is the same item: text in any script, every
//! optional field, each form of time in and out of zones with DST, simple rules.

use chrono::Duration;
use posey_calendar::ics::Limits;
use posey_calendar::{Alarm, Status, Trigger};
use proptest::prelude::*;

use super::*;

const ZONES: [Tz; 3] = [BERLIN, NEW_YORK, Tz::UTC];

/// A time in 2000-2039 on the minute, in one of the four forms.
fn when(timed: bool) -> impl Strategy<Value = When> {
    (0..40 * 365i64, 0..24 * 60i64, 0..4usize, 0..3usize).prop_map(
        move |(days, minutes, form, zone)| {
            let local = at(2000, 1, 1, 0, 0) + Duration::days(days) + Duration::minutes(minutes);
            match (timed, form) {
                (false, _) => When::Date(local.date()),
                (true, 0) => When::Floating(local),
                (true, 1) => When::Utc(Utc.from_utc_datetime(&local)),
                (true, _) => zoned(ZONES[zone], local),
            }
        },
    )
}

fn text() -> impl Strategy<Value = String> {
    // Any printable text, with line breaks, commas, semicolons and backslashes.
    "[\\PC\n,;\\\\]{0,60}"
}

fn rule_text() -> impl Strategy<Value = Option<String>> {
    proptest::option::of(prop_oneof![
        (1..50u32).prop_map(|n| format!("FREQ=DAILY;COUNT={n}")),
        Just("FREQ=WEEKLY;BYDAY=MO,WE,FR".to_owned()),
        (1..4u16).prop_map(|n| format!("FREQ=MONTHLY;INTERVAL={n};BYMONTHDAY=-1")),
        Just("FREQ=YEARLY;UNTIL=20391231T235959Z".to_owned()),
    ])
}

fn alarm() -> impl Strategy<Value = Alarm> {
    let trigger = prop_oneof![
        (-2880..2880i64, any::<bool>())
            .prop_map(|(m, to_end)| Trigger::Relative { offset: Duration::minutes(m), to_end }),
        (0..1_000_000i64)
            .prop_map(|m| Trigger::Absolute(utc(2024, 1, 1, 0, 0) + Duration::minutes(m))),
    ];
    // A DISPLAY alarm needs a description; an AUDIO one may have none.
    (trigger, proptest::option::of(text())).prop_map(|(trigger, description)| Alarm {
        action: if description.is_some() { "DISPLAY" } else { "AUDIO" }.into(),
        trigger,
        description,
        extra: Vec::new(),
    })
}

fn stamp() -> impl Strategy<Value = Option<DateTime<Utc>>> {
    proptest::option::of(
        (0..100_000_000i64).prop_map(|s| utc(2020, 1, 1, 0, 0) + Duration::seconds(s)),
    )
}

prop_compose! {
    fn item()(
        todo in any::<bool>(),
        timed in any::<bool>(),
        uid in "[A-Za-z0-9@._-]{1,40}",
        (summary, description, location) in (proptest::option::of(text()), proptest::option::of(text()), proptest::option::of(text())),
        start in proptest::option::of(when(true)),
        day in when(false),
        length in 1..(3 * 24 * 60i64),
        end_form in 0..3usize,
        status in 0..4usize,
        categories in proptest::collection::vec("[\\PC,;]{1,12}", 0..4),
        (transparent, priority, sequence) in (any::<bool>(), proptest::option::of(1..=9u8), 0..1000u32),
        rule in rule_text(),
        exdates in proptest::collection::vec(when(true), 0..3),
        alarms in proptest::collection::vec(alarm(), 0..3),
        (created, last_modified) in (stamp(), stamp()),
    ) -> Item {
        let kind = if todo { Kind::Todo } else { Kind::Event };
        let mut item = Item::new(kind, uid);
        item.summary = summary;
        item.description = description;
        item.location = location;
        // An event always has a start; an all-day one a date.
        item.start = match (todo, timed) {
            (true, _) => start,
            (false, true) => start.or(Some(When::Floating(at(2024, 1, 1, 9, 0)))),
            (false, false) => Some(day),
        };
        item.end = match (item.start, end_form) {
            (Some(start), 0) if start.is_date() => Some(End::Duration(Duration::days(length / 1440 + 1))),
            (Some(_), 0) => Some(End::Duration(Duration::minutes(length))),
            (Some(start), 1) => {
                let by = if start.is_date() { Duration::days(length / 1440) } else { Duration::minutes(length) };
                Some(End::At(posey_calendar::object::shift(&start, by, Tz::UTC)))
            }
            (None, 1) if todo => Some(End::At(day)),
            _ => None,
        };
        item.status = match (todo, status) {
            (_, 0) => None,
            (false, 1) => Some(Status::Tentative),
            (false, 2) => Some(Status::Confirmed),
            (true, 1) => Some(Status::NeedsAction),
            (true, 2) => Some(Status::InProcess),
            _ => Some(Status::Cancelled),
        };
        item.categories = categories;
        item.transparent = transparent;
        item.priority = priority;
        item.sequence = sequence;
        if item.start.is_some() {
            item.rules = rule.into_iter().map(|text| super::rule(&text)).collect();
            item.exdates = exdates;
        }
        item.alarms = alarms;
        item.created = created;
        item.last_modified = last_modified;
        item
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn any_item_survives_a_round_trip(item in item()) {
        let object = object(item, Vec::new());
        let text = object.to_ics("-//Posey//test//EN");
        let back = Object::parse(&text, &Limits::OBJECT);
        prop_assert_eq!(back.as_ref(), Ok(&object), "{}", text);
    }
}
