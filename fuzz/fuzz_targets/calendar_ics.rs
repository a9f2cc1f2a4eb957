//! iCalendar text as a CalDAV PUT, a REST body, an import or a subscribed feed gives it: parsed
//! into objects, each expanded (span, instances, alarms) as the calendar plugin does, written
//! back, and what Posey writes read again (a stored object that no longer parses is lost).
#![no_main]

use chrono::{TimeZone, Utc};
use chrono_tz::Tz;
use libfuzzer_sys::fuzz_target;
use posey_calendar::ics::{self, Limits};
use posey_calendar::object::parse_calendar_lenient;
use posey_calendar::{Object, alarms};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(tree) = ics::parse(text, &Limits::OBJECT) {
        for component in &tree {
            let _ = ics::write(component);
        }
    }
    let Ok((objects, _skipped)) = parse_calendar_lenient(text, &Limits::OBJECT) else { return };
    let zone = Tz::Europe__Berlin;
    let caps = posey_fuzz::CALENDAR_CAPS;
    let from = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let to = Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0).unwrap();
    for object in &objects {
        let _ = object.span(zone, &caps);
        let _ = object.instances(from, to, zone, &caps);
        let _ = alarms::rings(object, from, to, zone, &caps);
        let written = object.to_ics("-//Posey//fuzz//EN");
        if let Err(error) = Object::parse(&written, &Limits::FILE) {
            panic!("Posey cannot read what it wrote ({error}):\n{written}");
        }
    }
});
