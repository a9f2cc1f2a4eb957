//! A calendar's own VTIMEZONE, for a TZID no database knows (`custom_America/New_York`,
//! `MyTimezone`): the UTC offsets its STANDARD and DAYLIGHT observances give, and the IANA zone
//! that agrees with them, so times in it keep their DST.

use std::cmp::Reverse;
use std::collections::BTreeSet;
use std::ops::RangeInclusive;

use chrono::{
    DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Offset, TimeZone, Utc,
};
use chrono_tz::{TZ_VARIANTS, Tz};

use crate::ics::{Component, values};
use crate::recurrence::{Caps, Rule, Series};
use crate::when::{When, local_instant};

/// One change of offset: at `at` (UTC) the offset goes from `from` to `to` (seconds east).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Onset {
    at: NaiveDateTime,
    from: i32,
    to: i32,
}

impl Onset {
    /// The onset on the wall clock it interrupts (DTSTART is in TZOFFSETFROM, RFC 5545 3.6.5).
    fn local(&self) -> NaiveDateTime {
        self.at + Duration::seconds(i64::from(self.from))
    }
}

/// A VTIMEZONE's offsets over time: its observances' onsets, expanded through a given year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Definition {
    /// Sorted by instant.
    onsets: Vec<Onset>,
    /// Before every onset: the first observance's TZOFFSETFROM.
    initial: i32,
}

/// Bounds on expanding one observance: a zone changes its offset a few times a year at most.
const CAPS: Caps =
    Caps { max_occurrences: 5_000, max_window: Duration::days(366 * 1_000), max_steps: 200_000 };

/// The last year a definition is expanded through or sampled in: later times keep the offset
/// of the last onset before it.
const LAST_YEAR: i32 = 2_200;

/// The most years of days an IANA zone is compared on.
const MAX_YEARS: i32 = 100;

/// Zones calendars use most, preferred in this order when several agree and the TZID names
/// none of them.
const PREFERRED: &[&str] = &[
    "Europe/London",
    "Europe/Berlin",
    "Europe/Paris",
    "Europe/Helsinki",
    "Europe/Moscow",
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "America/Halifax",
    "America/St_Johns",
    "America/Mexico_City",
    "America/Sao_Paulo",
    "Pacific/Honolulu",
    "Asia/Tokyo",
    "Asia/Shanghai",
    "Asia/Kolkata",
    "Asia/Dubai",
    "Asia/Jerusalem",
    "Australia/Sydney",
    "Australia/Adelaide",
    "Australia/Brisbane",
    "Australia/Perth",
    "Pacific/Auckland",
    "Africa/Johannesburg",
    "Africa/Cairo",
];

/// The areas of the IANA names for places (not `EST5EDT`, `US/Eastern` or `Etc/GMT-1`).
const AREAS: &[&str] = &[
    "Africa",
    "America",
    "Antarctica",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
];

fn offset_of(observance: &Component, name: &str) -> Result<i32, String> {
    let property = observance
        .property(name)
        .ok_or_else(|| format!("its {} has no {name}", observance.name))?;
    Ok(values::utc_offset(&property.value)?.local_minus_utc())
}

/// A local time of an observance (DTSTART or RDATE); one written in UTC is made local, a date
/// (not RFC 5545, but written) is its midnight.
fn local_of(text: &str, from: i32) -> Result<NaiveDateTime, String> {
    if let Ok(day) = values::date(text) {
        return Ok(day.and_time(NaiveTime::MIN));
    }
    let (local, utc) = values::date_time(text)?;
    Ok(if utc { local + Duration::seconds(i64::from(from)) } else { local })
}

impl Definition {
    /// Reads `zone`'s observances with their onsets through the end of year `through`. Errors
    /// say what is missing or wrong.
    pub fn read(zone: &Component, through: i32) -> Result<Self, String> {
        let through = through.min(LAST_YEAR);
        let end = NaiveDate::from_ymd_opt(through + 1, 1, 1)
            .ok_or_else(|| format!("the year {through} is out of range"))?
            .and_time(NaiveTime::MIN);
        let mut onsets = BTreeSet::new();
        let observances =
            zone.components.iter().filter(|c| matches!(c.name.as_str(), "STANDARD" | "DAYLIGHT"));
        for observance in observances {
            let from = offset_of(observance, "TZOFFSETFROM")?;
            let to = offset_of(observance, "TZOFFSETTO")?;
            let start = observance
                .property("DTSTART")
                .ok_or_else(|| format!("its {} has no DTSTART", observance.name))?;
            let start = local_of(&start.value, from)?;
            let mut rdates = Vec::new();
            for property in observance.properties_named("RDATE") {
                for text in property.value.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                    // A period's start is the onset.
                    let text = text.split('/').next().unwrap_or(text);
                    rdates.push(When::Floating(local_of(text, from)?));
                }
            }
            let rules = observance
                .properties_named("RRULE")
                .map(|property| Ok(local_until(Rule::parse(&property.value)?, from)))
                .collect::<Result<Vec<_>, crate::recurrence::RecurrenceError>>()
                .map_err(|error| error.to_string())?;
            let first = rdates.iter().map(When::local).fold(start, NaiveDateTime::min);
            let series =
                Series { start: When::Floating(start), rules, rdates, exdates: Vec::new() };
            let mut push = |local: NaiveDateTime| {
                onsets.insert(Onset { at: local - Duration::seconds(i64::from(from)), from, to });
            };
            // DTSTART is an onset even when later than the years asked for: a time before
            // every onset takes the first one's TZOFFSETFROM.
            push(start);
            // Onsets long before `through` (a DTSTART in year 1) matter to no time asked about.
            let first = first.max(end - CAPS.max_window + Duration::days(366));
            if first < end {
                let window = (Utc.from_utc_datetime(&first), Utc.from_utc_datetime(&end));
                let found = series
                    .occurrences(window.0, window.1, Duration::zero(), Tz::UTC, &CAPS)
                    .map_err(|error| format!("its {}: {error}", observance.name))?;
                for occurrence in found {
                    push(occurrence.id.local());
                }
            }
        }
        let onsets: Vec<Onset> = onsets.into_iter().collect();
        let initial =
            onsets.first().map(|onset| onset.from).ok_or("it has no STANDARD or DAYLIGHT")?;
        Ok(Self { onsets, initial })
    }

    /// The offset (seconds east of UTC) in force at the UTC time `at`: the latest onset's
    /// TZOFFSETTO at or before it.
    pub fn offset_at(&self, at: NaiveDateTime) -> i32 {
        match self.onsets.partition_point(|onset| onset.at <= at) {
            0 => self.initial,
            i => self.onsets[i - 1].to,
        }
    }

    /// The instant of wall-clock time `local`, RFC 5545's way: a time a change forward skips
    /// is read with the offset before it, one a change back repeats as its first occurrence.
    pub fn instant_of(&self, local: NaiveDateTime) -> DateTime<Utc> {
        let offset = match self.onsets.partition_point(|onset| onset.local() <= local) {
            0 => self.initial,
            i => {
                let onset = self.onsets[i - 1];
                let after = onset.at + Duration::seconds(i64::from(onset.to));
                if local < after { onset.from } else { onset.to }
            }
        };
        Utc.from_utc_datetime(&(local - Duration::seconds(i64::from(offset))))
    }

    /// Whether the offset changes within `years`.
    fn changes_in(&self, years: &RangeInclusive<i32>) -> bool {
        self.onsets.iter().any(|onset| onset.from != onset.to && years.contains(&onset.at.year()))
    }

    /// The IANA zone that gives every one of `times` (the local times the calendar writes in
    /// this zone) the instant this definition does, and the same offset at noon UTC of every
    /// day of `years`; among several, the one whose name shares most words with `tzid`, then
    /// a fixed `Etc/GMT±N` for a zone without changes, then a much-used zone, then a place.
    /// None when no zone agrees.
    pub fn iana_zone(
        &self,
        tzid: &str,
        times: &[NaiveDateTime],
        years: RangeInclusive<i32>,
    ) -> Option<Tz> {
        let last = (*years.end()).min(LAST_YEAR);
        let years = (*years.start()).max(last - MAX_YEARS)..=last;
        let first_day = NaiveDate::from_ymd_opt(*years.start(), 1, 1)?;
        let last_day = NaiveDate::from_ymd_opt(*years.end(), 12, 31)?;
        let noon = NaiveTime::from_hms_opt(12, 0, 0)?;
        let days: Vec<(NaiveDateTime, i32)> = first_day
            .iter_days()
            .take_while(|day| *day <= last_day)
            .map(|day| {
                let at = day.and_time(noon);
                (at, self.offset_at(at))
            })
            .collect();
        let expected: Vec<(NaiveDateTime, DateTime<Utc>)> =
            times.iter().map(|local| (*local, self.instant_of(*local))).collect();
        let fixed =
            (!self.changes_in(&years)).then(|| etc_name(self.offset_at(days.first()?.0))).flatten();
        let named = words(tzid);
        let rank = |zone: &Tz| {
            let name = zone.name();
            let shared = words(name).intersection(&named).count();
            let etc = fixed.as_deref() != Some(name);
            let preferred = PREFERRED.iter().position(|p| *p == name).unwrap_or(PREFERRED.len());
            let place = !AREAS.iter().any(|area| name.split('/').next() == Some(*area));
            (Reverse(shared), etc, preferred, place, name)
        };
        let mut zones: Vec<Tz> = TZ_VARIANTS.to_vec();
        zones.sort_by_cached_key(rank);
        zones.into_iter().find(|zone| {
            expected.iter().all(|(local, at)| local_instant(*zone, *local) == *at)
                && days.iter().all(|(at, offset)| {
                    zone.offset_from_utc_datetime(at).fix().local_minus_utc() == *offset
                })
        })
    }
}

/// A rule with an UNTIL in UTC made local in the observance's TZOFFSETFROM, as its onsets are
/// walked on the local clock.
fn local_until(rule: Rule, from: i32) -> Rule {
    match rule.until() {
        Some(When::Utc(at)) => {
            let local = at.naive_utc() + Duration::seconds(i64::from(from));
            rule.with_until(When::Floating(local))
        }
        _ => rule,
    }
}

/// `Etc/GMT±N` for a whole-hour offset (`Etc/UTC` for none).
fn etc_name(offset: i32) -> Option<String> {
    if offset % 3_600 != 0 {
        return None;
    }
    // Etc/GMT's sign is inverted: Etc/GMT-1 is UTC+1.
    Some(match offset / 3_600 {
        0 => "Etc/UTC".to_owned(),
        h if h > 0 => format!("Etc/GMT-{h}"),
        h => format!("Etc/GMT+{}", -h),
    })
}

/// The words of a zone's name, lower-case (`custom_America/New_York`: custom, america, new,
/// york), numbers and one-letter words left out.
fn words(name: &str) -> BTreeSet<String> {
    name.split(|c: char| !c.is_alphanumeric())
        .filter(|word| word.len() > 1 && !word.bytes().all(|b| b.is_ascii_digit()))
        .map(str::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ics::Limits;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d).and_then(|day| day.and_hms_opt(h, min, s)).expect("a time")
    }

    fn utc(y: i32, m: u32, d: u32, h: u32, min: u32, s: u32) -> DateTime<Utc> {
        Utc.from_utc_datetime(&at(y, m, d, h, min, s))
    }

    const HOUR: i32 = 3_600;

    /// The VTIMEZONE in `lines` (joined by '\n').
    fn vtimezone(lines: &str) -> Component {
        let text = format!("BEGIN:VCALENDAR\n{lines}\nEND:VCALENDAR\n").replace('\n', "\r\n");
        let mut tree = crate::ics::parse(&text, &Limits::FILE).expect("a calendar");
        tree.remove(0).components.remove(0)
    }

    /// New York's rules from 1967 as Mozilla wrote them, under a name no database knows.
    const NEW_YORK: &str = "BEGIN:VTIMEZONE
TZID:custom_America/New_York
BEGIN:DAYLIGHT
DTSTART:19670430T020000
RRULE:FREQ=YEARLY;BYMONTH=4;BYDAY=-1SU;UNTIL=19730429T070000Z
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
END:DAYLIGHT
BEGIN:STANDARD
DTSTART:19671029T020000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU;UNTIL=20061029T060000Z
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19740106T020000
RDATE:19750223T020000
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
END:DAYLIGHT
BEGIN:DAYLIGHT
DTSTART:19760425T020000
RRULE:FREQ=YEARLY;BYMONTH=4;BYDAY=-1SU;UNTIL=19860427T070000Z
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
END:DAYLIGHT
BEGIN:DAYLIGHT
DTSTART:19870405T020000
RRULE:FREQ=YEARLY;BYMONTH=4;BYDAY=1SU;UNTIL=20060402T070000Z
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
END:DAYLIGHT
BEGIN:DAYLIGHT
DTSTART:20070311T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
END:DAYLIGHT
BEGIN:STANDARD
DTSTART:20071104T020000
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
END:STANDARD
END:VTIMEZONE";

    /// The EU's rules since 1996 (last Sunday of March and October at 01:00 UTC).
    const EUROPE: &str = "BEGIN:VTIMEZONE
TZID:/Europe/CUSTOM
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE";

    /// A zone of its own: +12 from 2024, +10 from 2024-05-05 08:00 (so 06:00-08:00 repeats).
    const MY_TIMEZONE: &str = "BEGIN:VTIMEZONE
TZID:MyTimezone
BEGIN:STANDARD
TZOFFSETFROM:+1000
TZOFFSETTO:+1200
DTSTART:20240101T000000
END:STANDARD
BEGIN:DAYLIGHT
TZOFFSETFROM:+1200
TZOFFSETTO:+1000
DTSTART:20240505T080000
END:DAYLIGHT
END:VTIMEZONE";

    fn read(text: &str, through: i32) -> Definition {
        Definition::read(&vtimezone(text), through).expect("a readable VTIMEZONE")
    }

    #[test]
    fn new_yorks_rules_give_its_offsets_from_1967_on() {
        let zone = read(NEW_YORK, 2030);
        let cases = [
            // UNTIL=19730429T070000Z is that year's onset (02:00 EST): it is one.
            (at(1973, 5, 1, 12, 0, 0), -4),
            (at(1973, 12, 1, 12, 0, 0), -5),
            // 1974: DST from January 6th; 1975 from February 23rd (an RDATE).
            (at(1974, 1, 10, 12, 0, 0), -4),
            (at(1975, 2, 1, 12, 0, 0), -5),
            (at(1975, 3, 1, 12, 0, 0), -4),
            (at(2006, 4, 1, 12, 0, 0), -5),
            (at(2006, 4, 3, 12, 0, 0), -4),
            // The last STANDARD of the 1967 rule (UNTIL=20061029T060000Z) is one.
            (at(2006, 11, 1, 12, 0, 0), -5),
            (at(2025, 3, 8, 12, 0, 0), -5),
            (at(2025, 3, 10, 12, 0, 0), -4),
            (at(2025, 11, 3, 12, 0, 0), -5),
        ];
        for (when, hours) in cases {
            assert_eq!(zone.offset_at(when), hours * HOUR, "at {when}");
        }
        assert_eq!(zone.instant_of(at(2014, 8, 29, 8, 0, 0)), utc(2014, 8, 29, 12, 0, 0));
        // A time before every onset has the first one's TZOFFSETFROM.
        assert_eq!(zone.instant_of(at(1960, 7, 1, 8, 0, 0)), utc(1960, 7, 1, 13, 0, 0));
    }

    #[test]
    fn a_custom_new_york_is_new_york() {
        let zone = read(NEW_YORK, 2030);
        let times = [at(2014, 8, 29, 8, 0, 0)];
        let found = zone.iana_zone("custom_America/New_York", &times, 2014..=2014);
        assert_eq!(found, Some(chrono_tz::America::New_York));
        // Over all the years its rules cover, too, and without a name to go by, the much-used
        // zone of the ones that agree.
        let found = zone.iana_zone("Zone 1", &times, 1967..=2030);
        assert_eq!(found, Some(chrono_tz::America::New_York));
    }

    #[test]
    fn european_rules_are_a_european_zone_with_its_gap_and_fold() {
        let zone = read(EUROPE, 2030);
        let times = [at(2022, 10, 21, 20, 0, 0)];
        let found = zone.iana_zone("/Europe/CUSTOM", &times, 2022..=2030);
        assert_eq!(found, Some(chrono_tz::Europe::Berlin));
        assert_eq!(zone.instant_of(at(2022, 10, 21, 20, 0, 0)), utc(2022, 10, 21, 18, 0, 0));
        // 2024-03-31 02:00 jumps to 03:00: 02:30 is read with the offset before the gap.
        assert_eq!(zone.instant_of(at(2024, 3, 31, 2, 30, 0)), utc(2024, 3, 31, 1, 30, 0));
        assert_eq!(zone.instant_of(at(2024, 3, 31, 3, 0, 0)), utc(2024, 3, 31, 1, 0, 0));
        // 2024-10-27 03:00 falls back to 02:00: 02:30 is its first occurrence.
        assert_eq!(zone.instant_of(at(2024, 10, 27, 2, 30, 0)), utc(2024, 10, 27, 0, 30, 0));
        assert_eq!(zone.instant_of(at(2024, 10, 27, 3, 0, 0)), utc(2024, 10, 27, 2, 0, 0));
        assert_eq!(zone.offset_at(at(2024, 10, 27, 0, 59, 59)), 2 * HOUR);
        assert_eq!(zone.offset_at(at(2024, 10, 27, 1, 0, 0)), HOUR);
        // The same, and the IANA zone, agree on every one of these.
        for local in [at(2024, 3, 31, 2, 30, 0), at(2024, 10, 27, 2, 30, 0)] {
            assert_eq!(local_instant(chrono_tz::Europe::Berlin, local), zone.instant_of(local));
        }
    }

    #[test]
    fn a_zone_no_database_has_is_its_own_offsets() {
        let zone = read(MY_TIMEZONE, 2024);
        let times = [at(2024, 3, 3, 8, 0, 0), at(2024, 8, 3, 8, 0, 0)];
        assert_eq!(zone.iana_zone("MyTimezone", &times, 2024..=2024), None);
        assert_eq!(zone.instant_of(at(2024, 3, 3, 8, 0, 0)), utc(2024, 3, 2, 20, 0, 0));
        assert_eq!(zone.instant_of(at(2024, 8, 3, 8, 0, 0)), utc(2024, 8, 2, 22, 0, 0));
        // 08:00 (+12) becomes 06:00 (+10): 08:00:01 is only +10, 07:00:01 is first +12.
        assert_eq!(zone.instant_of(at(2024, 5, 5, 8, 0, 1)), utc(2024, 5, 4, 22, 0, 1));
        assert_eq!(zone.instant_of(at(2024, 5, 5, 7, 0, 1)), utc(2024, 5, 4, 19, 0, 1));
        assert_eq!(zone.offset_at(at(2024, 5, 4, 19, 59, 59)), 12 * HOUR);
        assert_eq!(zone.offset_at(at(2024, 5, 4, 20, 0, 0)), 10 * HOUR);
        // Before its first onset: the first observance's TZOFFSETFROM.
        assert_eq!(zone.offset_at(at(2023, 6, 1, 0, 0, 0)), 10 * HOUR);
        assert_eq!(zone.instant_of(at(2023, 12, 31, 23, 0, 0)), utc(2023, 12, 31, 13, 0, 0));
    }

    #[test]
    fn rules_from_the_first_year_are_read_near_the_years_asked_for() {
        let ancient = EUROPE.replace("19700329T020000", "00010325T020000");
        let zone = read(&ancient, 2030);
        assert_eq!(zone.offset_at(at(2024, 7, 1, 12, 0, 0)), 2 * HOUR);
        assert_eq!(zone.offset_at(at(2024, 12, 1, 12, 0, 0)), HOUR);
    }

    #[test]
    fn a_fixed_offset_is_its_etc_zone_and_a_date_start_is_read() {
        let fixed = "BEGIN:VTIMEZONE\nTZID:UTC+11\nBEGIN:STANDARD\nDTSTART;VALUE=DATE:20170101\n\
                     TZOFFSETFROM:+1100\nTZOFFSETTO:+1100\nEND:STANDARD\nEND:VTIMEZONE";
        let zone = read(fixed, 2017);
        let times = [at(2017, 2, 28, 23, 0, 0)];
        let etc: Tz = "Etc/GMT-11".parse().expect("a zone");
        assert_eq!(zone.iana_zone("UTC+11", &times, 2017..=2017), Some(etc));
    }

    #[test]
    fn a_vtimezone_without_offsets_or_observances_says_what_is_missing() {
        let cases = [
            ("BEGIN:VTIMEZONE\nTZID:X\nEND:VTIMEZONE", "no STANDARD or DAYLIGHT"),
            (
                "BEGIN:VTIMEZONE\nTZID:X\nBEGIN:STANDARD\nDTSTART:20240101T000000\n\
                 TZOFFSETTO:+0100\nEND:STANDARD\nEND:VTIMEZONE",
                "TZOFFSETFROM",
            ),
            (
                "BEGIN:VTIMEZONE\nTZID:X\nBEGIN:STANDARD\nTZOFFSETFROM:+0100\n\
                 TZOFFSETTO:+0100\nEND:STANDARD\nEND:VTIMEZONE",
                "DTSTART",
            ),
        ];
        for (text, named) in cases {
            let error = Definition::read(&vtimezone(text), 2024).expect_err(text);
            assert!(error.contains(named), "`{error}` should name {named}");
        }
    }
}
