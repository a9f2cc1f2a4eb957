//! Occurrence expansion for a year: 1,000 events in Europe/Berlin, a quarter of them recurring
//! (daily, weekly on two days, monthly by day and by the last Friday, yearly), expanded over 2025
//! as the `/v1/events` listing and CalDAV's time-range queries do (`Object::instances`, with the
//! DST placement and overrides), beside the `rrule` crate expanding the same rules alone (its
//! own iterator, in UTC, no overrides or DST placement): the peer for the rule arithmetic.
//!
//! Run by `bench/calendar/run`, or `cargo bench -p posey-calendar --bench expand`.
//! Usage: expand [ROUNDS=20]
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::time::{Duration, Instant};

use chrono::{NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use posey_calendar::recurrence::{Caps, Rule};
use posey_calendar::{End, Item, Kind, Object, When};

const RULES: &[&str] = &[
    "FREQ=DAILY",
    "FREQ=WEEKLY;BYDAY=MO,TH",
    "FREQ=MONTHLY;BYMONTHDAY=15",
    "FREQ=MONTHLY;BYDAY=-1FR",
    "FREQ=YEARLY",
];

fn events() -> Vec<Object> {
    let zone = chrono_tz::Europe::Berlin;
    (0..1000)
        .map(|i| {
            let day =
                NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Duration::days(i % 700);
            let local = day.and_hms_opt(8 + (i % 10) as u32, 30, 0).unwrap();
            let mut item = Item::new(Kind::Event, format!("event-{i}"));
            item.summary = Some(format!("Event {i}"));
            item.start = Some(When::Zoned { local, zone });
            item.end = Some(End::Duration(chrono::Duration::minutes(45)));
            if i % 4 == 0 {
                item.rules = vec![Rule::parse(RULES[(i / 4) as usize % RULES.len()]).unwrap()];
            }
            Object {
                uid: item.uid.clone(),
                kind: Kind::Event,
                master: Some(item),
                overrides: Vec::new(),
            }
        })
        .collect()
}

fn main() {
    let rounds: usize = std::env::var("ROUNDS").ok().and_then(|r| r.parse().ok()).unwrap_or(20);
    let objects = events();
    let from = Utc.with_ymd_and_hms(2025, 1, 1, 0, 0, 0).unwrap();
    let to = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let caps = Caps::DEFAULT;

    let mut posey = Vec::with_capacity(rounds);
    let (mut count, mut recurring) = (0, 0);
    for _ in 0..rounds {
        let started = Instant::now();
        (count, recurring) = (0, 0);
        for object in &objects {
            let found = object.instances(from, to, Tz::UTC, &caps).unwrap().len();
            count += found;
            if object.master.as_ref().is_some_and(Item::is_recurring) {
                recurring += found;
            }
        }
        posey.push(started.elapsed());
    }

    // The peer: the rrule crate's own expansion of the recurring events' rules over the year.
    let sets: Vec<rrule::RRuleSet> = objects
        .iter()
        .filter_map(|object| {
            let item = object.master.as_ref()?;
            let rule = item.rules.first()?;
            let When::Zoned { local, .. } = item.start? else { return None };
            let text = format!("DTSTART:{}Z\nRRULE:{rule}", local.format("%Y%m%dT%H%M%S"));
            Some(text.parse::<rrule::RRuleSet>().unwrap())
        })
        .collect();
    let after = rrule::Tz::UTC.from_utc_datetime(&from.naive_utc());
    let before = rrule::Tz::UTC.from_utc_datetime(&to.naive_utc());
    let mut peer = Vec::with_capacity(rounds);
    let mut peer_count = 0;
    for _ in 0..rounds {
        let started = Instant::now();
        peer_count = 0;
        for set in &sets {
            peer_count += set.clone().after(after).before(before).all(u16::MAX).dates.len();
        }
        peer.push(started.elapsed());
    }

    let median = |times: &mut Vec<Duration>| {
        times.sort();
        times[times.len() / 2]
    };
    let (posey, peer) = (median(&mut posey), median(&mut peer));
    println!("expansion of 2025, 1,000 events (250 recurring), median of {rounds} rounds:");
    println!(
        "  posey-calendar Object::instances (all 1,000, DST placement): {:>8.2} ms, {count} occurrences ({recurring} of the recurring)",
        posey.as_secs_f64() * 1e3
    );
    println!(
        "  rrule crate, the 250 rules alone (UTC, no placement):        {:>8.2} ms, {peer_count} occurrences",
        peer.as_secs_f64() * 1e3
    );
    println!(
        "  (the recurring counts differ by the series whose DTSTART the rule would not produce: \
         RFC 5545 makes it the first occurrence, the rrule crate leaves it out)"
    );
}
