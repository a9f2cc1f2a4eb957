//! Wall-clock schedules (cron, rrule, a local `once`) produce local times; this maps them to
//! instants in a zone with the DST rules in the module doc of `schedule`.

use chrono::{DateTime, Duration, LocalResult, NaiveDateTime, Offset, TimeZone, Utc};
use chrono_tz::Tz;

/// How a schedule treats the local times a DST change removes or repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DstRule {
    /// Pinned to wall-clock hours: a missing time runs once right after the gap, a repeated
    /// time runs once, at its first occurrence.
    Pinned,
    /// Runs every hour: follows elapsed time, so a missing time is skipped (the instant after
    /// the gap has its own run) and a repeated time runs in both passes.
    Elapsed,
}

/// Safety net against a pathological walk; far above any real schedule near a transition.
const MAX_CANDIDATES: usize = 2_000_000;

/// The instants at which local time `local` runs under `rule`, earliest first (0, 1 or 2).
pub(super) fn instants(tz: Tz, local: NaiveDateTime, rule: DstRule) -> Vec<DateTime<Utc>> {
    match tz.from_local_datetime(&local) {
        LocalResult::Single(t) => vec![t.with_timezone(&Utc)],
        LocalResult::Ambiguous(first, second) => match rule {
            DstRule::Pinned => vec![first.with_timezone(&Utc)],
            DstRule::Elapsed => vec![first.with_timezone(&Utc), second.with_timezone(&Utc)],
        },
        LocalResult::None => match rule {
            DstRule::Pinned => gap_end(tz, local).into_iter().collect(),
            DstRule::Elapsed => Vec::new(),
        },
    }
}

/// One local time read the pinned way: the first occurrence, or the end of its gap.
pub(super) fn resolve_pinned(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    instants(tz, local, DstRule::Pinned).into_iter().next()
}

/// The first instant after the gap that swallows `local`: the transition itself.
fn gap_end(tz: Tz, local: NaiveDateTime) -> Option<DateTime<Utc>> {
    // Gaps are whole minutes in practice (a day at most, Samoa 2011); step by minutes, then
    // back by seconds for the odd LMT transition.
    let mut probe = local;
    for _ in 0..=(26 * 60) {
        probe += Duration::minutes(1);
        if let Some(valid) = tz.from_local_datetime(&probe).earliest() {
            let mut first = valid;
            let mut naive = probe;
            for _ in 0..60 {
                naive -= Duration::seconds(1);
                match tz.from_local_datetime(&naive).earliest() {
                    Some(earlier) if naive > local => first = earlier,
                    _ => break,
                }
            }
            return Some(first.with_timezone(&Utc));
        }
    }
    None
}

fn offset_seconds(tz: Tz, at: DateTime<Utc>) -> i64 {
    i64::from(tz.offset_from_utc_datetime(&at.naive_utc()).fix().local_minus_utc())
}

/// Smallest and largest UTC offset in force within a day either side of `at`.
fn offset_bounds(tz: Tz, at: DateTime<Utc>) -> (i64, i64) {
    [at - Duration::days(1), at, at + Duration::days(1)]
        .into_iter()
        .map(|t| offset_seconds(tz, t))
        .fold((i64::MAX, i64::MIN), |(lo, hi), o| (lo.min(o), hi.max(o)))
}

/// The first run strictly after `after` of a schedule whose local times (ascending) come from
/// `local_times(cursor)`, which yields the schedule's local times strictly after `cursor`.
pub(super) fn next_after<I>(
    tz: Tz,
    rule: DstRule,
    after: DateTime<Utc>,
    local_times: impl FnOnce(NaiveDateTime) -> I,
) -> Option<DateTime<Utc>>
where
    I: Iterator<Item = NaiveDateTime>,
{
    // A local time that maps after `after` is later than `after`'s own local time less the
    // offset change nearby, so start the walk there.
    let (lo, hi) = offset_bounds(tz, after);
    let local_after = after.with_timezone(&tz).naive_local();
    let start = local_after - Duration::seconds(hi - lo) - Duration::seconds(1);

    let mut best: Option<(DateTime<Utc>, i64)> = None;
    for local in local_times(start).take(MAX_CANDIDATES) {
        if let Some((found, max_offset)) = best {
            // Every instant of this or a later local time is at least `local - max_offset`.
            if local.and_utc() - Duration::seconds(max_offset) >= found {
                break;
            }
        }
        for instant in instants(tz, local, rule) {
            if instant > after && best.is_none_or(|(found, _)| instant < found) {
                let max_offset = hi.max(offset_bounds(tz, instant).1);
                best = Some((instant, max_offset));
            }
        }
    }
    best.map(|(found, _)| found)
}
