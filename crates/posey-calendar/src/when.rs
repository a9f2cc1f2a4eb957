//! `When`: the value of DTSTART, DTEND, DUE, RECURRENCE-ID, RDATE and EXDATE in its four forms,
//! and the instant it is, with RFC 5545's rules for local times a DST change removes or repeats.

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;

/// A date or date-time as iCalendar has them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum When {
    /// A whole day (`VALUE=DATE`): all-day events, birthdays.
    Date(NaiveDate),
    /// A wall-clock time with no zone: the same hour wherever the person is.
    Floating(NaiveDateTime),
    /// An instant (`...Z`).
    Utc(DateTime<Utc>),
    /// A wall-clock time in a zone (`TZID=Europe/Berlin`).
    Zoned { local: NaiveDateTime, zone: Tz },
}

impl When {
    /// The instant it is. Dates and floating times are read in `floating_zone` (the
    /// calendar's or the person's). A local time in a DST gap is read with the offset before
    /// the gap (02:30 on the spring-forward day in Berlin is 03:30 CEST), a repeated one as its
    /// first occurrence (RFC 5545, 3.3.5).
    pub fn instant(&self, floating_zone: Tz) -> DateTime<Utc> {
        match *self {
            Self::Utc(at) => at,
            Self::Zoned { local, zone } => local_instant(zone, local),
            Self::Floating(local) => local_instant(floating_zone, local),
            Self::Date(day) => local_instant(floating_zone, day.and_time(chrono::NaiveTime::MIN)),
        }
    }

    /// Its wall-clock time in its own zone (UTC's for an instant, midnight for a date): what
    /// recurrence rules step on.
    pub fn local(&self) -> NaiveDateTime {
        match *self {
            Self::Date(day) => day.and_time(chrono::NaiveTime::MIN),
            Self::Floating(local) | Self::Zoned { local, .. } => local,
            Self::Utc(at) => at.naive_utc(),
        }
    }

    /// The same form (date, floating, UTC or the same zone) at wall-clock time `local`; a date
    /// keeps only the day.
    pub fn with_local(&self, local: NaiveDateTime) -> Self {
        match *self {
            Self::Date(_) => Self::Date(local.date()),
            Self::Floating(_) => Self::Floating(local),
            Self::Utc(_) => Self::Utc(Utc.from_utc_datetime(&local)),
            Self::Zoned { zone, .. } => Self::Zoned { local, zone },
        }
    }

    /// `other` read in this one's form: how a RECURRENCE-ID or EXDATE given in another zone
    /// (or in UTC) is matched with the occurrences of a series.
    pub fn in_form_of(&self, other: &When, floating_zone: Tz) -> Self {
        match (*self, *other) {
            (Self::Date(_), Self::Date(day)) => Self::Date(day),
            (Self::Date(_), other) => Self::Date(other.local().date()),
            (Self::Floating(_), Self::Floating(local)) => Self::Floating(local),
            (Self::Floating(_), other) => Self::Floating(
                other.instant(floating_zone).with_timezone(&floating_zone).naive_local(),
            ),
            (Self::Utc(_), other) => Self::Utc(other.instant(floating_zone)),
            (Self::Zoned { zone, .. }, other) => Self::Zoned {
                local: match other {
                    Self::Zoned { local, zone: same } if same == zone => local,
                    Self::Date(day) => day.and_time(chrono::NaiveTime::MIN),
                    other => other.instant(floating_zone).with_timezone(&zone).naive_local(),
                },
                zone,
            },
        }
    }

    pub fn is_date(&self) -> bool {
        matches!(self, Self::Date(_))
    }

    /// The zone of a zoned time.
    pub fn zone(&self) -> Option<Tz> {
        match self {
            Self::Zoned { zone, .. } => Some(*zone),
            _ => None,
        }
    }
}

/// The instant of wall-clock time `local` in `zone`, RFC 5545's way (see [`When::instant`]).
pub fn local_instant(zone: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    match zone.from_local_datetime(&local) {
        LocalResult::Single(at) => at.with_timezone(&Utc),
        LocalResult::Ambiguous(first, second) => first.min(second).with_timezone(&Utc),
        LocalResult::None => {
            // In a gap: the offset in force just before it. Gaps are under a day (Samoa 2011
            // skipped one); step back a minute at a time to the last time before it.
            let mut probe = local;
            for _ in 0..=(25 * 60) {
                probe -= Duration::minutes(1);
                if let Some(before) = zone.from_local_datetime(&probe).latest() {
                    let offset = before.naive_local() - before.naive_utc();
                    return Utc.from_utc_datetime(&(local - offset));
                }
            }
            // No zone has a gap that long; read it as UTC rather than fail.
            Utc.from_utc_datetime(&local)
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    use super::*;

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d).and_then(|day| day.and_hms_opt(h, min, 0)).expect("a time")
    }

    #[test]
    fn a_time_in_the_spring_gap_is_read_with_the_offset_before_it() {
        // Berlin, 2024-03-31: 02:00 CET jumps to 03:00 CEST.
        let when = When::Zoned { local: at(2024, 3, 31, 2, 30), zone: chrono_tz::Europe::Berlin };
        assert_eq!(when.instant(Tz::UTC), Utc.from_utc_datetime(&at(2024, 3, 31, 1, 30)));
        // New York, 2024-03-10: 02:00 EST jumps to 03:00 EDT.
        let when =
            When::Zoned { local: at(2024, 3, 10, 2, 15), zone: chrono_tz::America::New_York };
        assert_eq!(when.instant(Tz::UTC), Utc.from_utc_datetime(&at(2024, 3, 10, 7, 15)));
    }

    #[test]
    fn a_repeated_time_in_the_autumn_fold_is_its_first_occurrence() {
        // Berlin, 2024-10-27: 03:00 CEST falls back to 02:00 CET; 02:30 happens twice.
        let when = When::Zoned { local: at(2024, 10, 27, 2, 30), zone: chrono_tz::Europe::Berlin };
        assert_eq!(when.instant(Tz::UTC), Utc.from_utc_datetime(&at(2024, 10, 27, 0, 30)));
        let when =
            When::Zoned { local: at(2024, 11, 3, 1, 30), zone: chrono_tz::America::New_York };
        assert_eq!(when.instant(Tz::UTC), Utc.from_utc_datetime(&at(2024, 11, 3, 5, 30)));
    }

    #[test]
    fn dates_and_floating_times_are_read_in_the_given_zone() {
        let day = When::Date(NaiveDate::from_ymd_opt(2024, 7, 1).expect("a day"));
        assert_eq!(
            day.instant(chrono_tz::Asia::Kolkata),
            Utc.from_utc_datetime(&at(2024, 6, 30, 18, 30))
        );
        let floating = When::Floating(at(2024, 7, 1, 9, 0));
        assert_eq!(
            floating.instant(chrono_tz::Europe::Berlin),
            Utc.from_utc_datetime(&at(2024, 7, 1, 7, 0))
        );
    }

    #[test]
    fn a_recurrence_id_in_utc_matches_a_zoned_series() {
        let start = When::Zoned { local: at(2024, 7, 1, 9, 0), zone: chrono_tz::Europe::Berlin };
        let id = When::Utc(Utc.from_utc_datetime(&at(2024, 7, 8, 7, 0)));
        assert_eq!(
            start.in_form_of(&id, Tz::UTC),
            When::Zoned { local: at(2024, 7, 8, 9, 0), zone: chrono_tz::Europe::Berlin }
        );
    }
}
