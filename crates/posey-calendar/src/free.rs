//! Free time: the gaps of at least a given length between busy intervals, within the hours of
//! the day a person wants (09:00-18:00, say) in their zone, DST-correct.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;

use crate::when::local_instant;

/// The free intervals of at least `length` in [from, to), inside `hours` (local start and
/// end of the day in `zone`; `None`: the whole day), around `busy` (any order, may overlap).
/// At most `limit` are returned, earliest first.
pub fn free_slots(
    busy: &[(DateTime<Utc>, DateTime<Utc>)],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    length: Duration,
    hours: Option<(NaiveTime, NaiveTime)>,
    zone: Tz,
    limit: usize,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let mut busy: Vec<_> = busy.iter().copied().filter(|(start, end)| end > start).collect();
    busy.sort();
    let mut free = Vec::new();
    for (open, close) in windows(from, to, hours, zone) {
        let mut cursor = open;
        for &(start, end) in &busy {
            if end <= cursor || start >= close {
                continue;
            }
            if start > cursor && start - cursor >= length {
                free.push((cursor, start));
            }
            cursor = cursor.max(end);
            if cursor >= close {
                break;
            }
        }
        if cursor < close && close - cursor >= length {
            free.push((cursor, close));
        }
        if free.len() >= limit {
            free.truncate(limit);
            break;
        }
    }
    free
}

/// The parts of [from, to) inside the daily hours.
fn windows(
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    hours: Option<(NaiveTime, NaiveTime)>,
    zone: Tz,
) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
    let Some((open, close)) = hours else { return vec![(from, to)] };
    let first: NaiveDate = from.with_timezone(&zone).date_naive();
    let last: NaiveDate = to.with_timezone(&zone).date_naive();
    let mut out = Vec::new();
    let mut day = first;
    while day <= last {
        let start = local_instant(zone, day.and_time(open)).max(from);
        let end = local_instant(zone, day.and_time(close)).min(to);
        if end > start {
            out.push((start, end));
        }
        match day.succ_opt() {
            Some(next) => day = next,
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(d: u32, h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 6, d, h, m, 0).single().expect("a time")
    }

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).expect("a time")
    }

    #[test]
    fn gaps_between_overlapping_busy_times_within_working_hours() {
        let busy = [
            (at(2, 10, 0), at(2, 11, 0)),
            (at(2, 10, 30), at(2, 12, 0)),
            (at(2, 14, 0), at(2, 14, 20)),
        ];
        let free = free_slots(
            &busy,
            at(2, 0, 0),
            at(3, 0, 0),
            Duration::minutes(30),
            Some((hm(9, 0), hm(17, 0))),
            Tz::UTC,
            10,
        );
        assert_eq!(
            free,
            vec![
                (at(2, 9, 0), at(2, 10, 0)),
                (at(2, 12, 0), at(2, 14, 0)),
                (at(2, 14, 20), at(2, 17, 0))
            ]
        );
    }

    #[test]
    fn a_gap_shorter_than_asked_is_not_free() {
        let busy = [(at(2, 9, 0), at(2, 9, 50)), (at(2, 10, 0), at(2, 17, 0))];
        let free = free_slots(
            &busy,
            at(2, 0, 0),
            at(3, 0, 0),
            Duration::minutes(30),
            Some((hm(9, 0), hm(17, 0))),
            Tz::UTC,
            10,
        );
        assert!(free.is_empty(), "{free:?}");
    }

    #[test]
    fn working_hours_are_local_in_the_zone() {
        // Berlin in June is UTC+2: 09:00-17:00 local is 07:00-15:00 UTC.
        let free = free_slots(
            &[],
            at(2, 0, 0),
            at(3, 0, 0),
            Duration::hours(1),
            Some((hm(9, 0), hm(17, 0))),
            chrono_tz::Europe::Berlin,
            10,
        );
        assert_eq!(free, vec![(at(2, 7, 0), at(2, 15, 0))]);
    }

    #[test]
    fn the_limit_holds() {
        let free = free_slots(
            &[],
            at(1, 0, 0),
            at(30, 0, 0),
            Duration::hours(1),
            Some((hm(9, 0), hm(10, 0))),
            Tz::UTC,
            3,
        );
        assert_eq!(free.len(), 3);
    }
}
