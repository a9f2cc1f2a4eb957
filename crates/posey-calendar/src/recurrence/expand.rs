//! One rule walked on the series' wall clock, within wall-clock bounds and a step budget. The
//! rrule crate sees only the rule's shape on floating time (its UTC, free of DST); COUNT, UNTIL
//! and the cost are handled here.

use chrono::{DateTime, Duration, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Tz;
use rrule::{Frequency, RRuleSet};

use super::{RecurrenceError, Rule};
use crate::When;

/// Wall-clock bounds of a walk, both inclusive; None is open.
#[derive(Debug, Clone, Copy)]
pub(super) struct Span {
    pub lower: Option<NaiveDateTime>,
    pub upper: Option<NaiveDateTime>,
}

/// The candidate times one call may still examine.
#[derive(Debug)]
pub(super) struct Budget {
    used: u64,
    limit: u64,
}

impl Budget {
    pub fn new(limit: u64) -> Self {
        Self { used: 0, limit }
    }

    /// Refuses up front a walk estimated to cost more than what is left.
    fn afford(&self, estimate: u64, freq: Frequency) -> Result<(), RecurrenceError> {
        if self.used.saturating_add(estimate) > self.limit {
            return Err(RecurrenceError::TooExpensive { freq, estimate, limit: self.limit });
        }
        Ok(())
    }

    fn spend(&mut self, freq: Frequency) -> Result<(), RecurrenceError> {
        self.used += 1;
        if self.used > self.limit {
            return Err(RecurrenceError::TooExpensive {
                freq,
                estimate: self.used,
                limit: self.limit,
            });
        }
        Ok(())
    }
}

fn floating(local: NaiveDateTime) -> DateTime<rrule::Tz> {
    rrule::Tz::UTC.from_utc_datetime(&local)
}

/// Visits the wall-clock times of `rule`'s occurrences in `span`, ascending, until `visit`
/// returns false. The sequence is RFC 5545's: DTSTART first, whether or not the rule gives it,
/// counting toward COUNT; then the rule's times up to COUNT or UNTIL. Times equal to DTSTART
/// are not repeated.
pub(super) fn walk(
    rule: &Rule,
    start: &When,
    span: Span,
    floating_zone: Tz,
    budget: &mut Budget,
    mut visit: impl FnMut(NaiveDateTime) -> Result<bool, RecurrenceError>,
) -> Result<(), RecurrenceError> {
    let freq = rule.frequency();
    let anchor = start.local();
    let (until_local, until_instant) = until_bound(start, rule.until().as_ref(), floating_zone);
    let upper = match (span.upper, until_local) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    };
    let in_span = |t: NaiveDateTime| span.lower.is_none_or(|l| t >= l);
    let from = rebase(rule, anchor, span.lower);
    let mut left = rule.count();
    if from == anchor {
        left = left.map(|n| n.saturating_sub(1));
        let dtstart_in_span = in_span(anchor) && span.upper.is_none_or(|u| anchor <= u);
        if dtstart_in_span && !visit(anchor)? {
            return Ok(());
        }
    }
    if left == Some(0) || upper.is_some_and(|u| u < from) || never_matches(rule, anchor) {
        return Ok(());
    }
    if let Some(estimate) = estimate(rule, from, upper) {
        budget.afford(estimate, freq)?;
    }
    let shape = rule.shape().clone().validate(floating(from));
    let shape = shape.map_err(|e| RecurrenceError::Invalid(e.to_string()))?;
    // `limit` makes rrule give up after 100,000 periods in a row without a time (a rule that
    // never matches in a way `never_matches` does not see) rather than search to the year 9999.
    let set = RRuleSet::new(floating(from)).rrule(shape).limit();
    for at in &set {
        budget.spend(freq)?;
        let local = at.naive_utc();
        if local == anchor {
            continue;
        }
        if upper.is_some_and(|u| local > u) {
            break;
        }
        if until_instant.is_some_and(|until| start.with_local(local).instant(floating_zone) > until)
        {
            break;
        }
        if in_span(local) && !visit(local)? {
            return Ok(());
        }
        if let Some(n) = left.as_mut() {
            *n -= 1;
            if *n == 0 {
                break;
            }
        }
    }
    Ok(())
}

/// The `k`th time (from 0, DTSTART being the first) of a rule with a fixed period and no BYxxx
/// part, which gives DTSTART's time once a period: known without walking. None for other rules.
pub(super) fn plain_time(rule: &Rule, anchor: NaiveDateTime, k: u32) -> Option<NaiveDateTime> {
    let shape = rule.shape();
    let plain = shape.get_by_month().is_empty()
        && shape.get_by_week_no().is_empty()
        && shape.get_by_year_day().is_empty()
        && shape.get_by_month_day().is_empty()
        && shape.get_by_weekday().is_empty()
        && shape.get_by_hour().is_empty()
        && shape.get_by_minute().is_empty()
        && shape.get_by_second().is_empty()
        && shape.get_by_set_pos().is_empty();
    let period = period_seconds(rule).filter(|_| plain)?;
    let shift = period.checked_mul(i64::from(k)).and_then(Duration::try_seconds)?;
    anchor.checked_add_signed(shift)
}

/// Whether the rule can never give a time after DTSTART: its months are never reached (a
/// MONTHLY;INTERVAL=3 rule from May never sees BYMONTH=1) or BYMONTHDAY names no day they have
/// (February 30th). rrule would search 100,000 periods for one.
fn never_matches(rule: &Rule, anchor: NaiveDateTime) -> bool {
    use chrono::Datelike;
    let shape = rule.shape();
    let interval = u32::from(rule.interval());
    let reached = |month: u8| {
        let steps = (u32::from(month) + 12 - anchor.month()) % 12;
        // Months reached by steps of `interval` from DTSTART's, modulo a year.
        rule.frequency() != Frequency::Monthly || (0..12).any(|k| (k * interval) % 12 == steps)
    };
    let by_month = shape.get_by_month();
    let months: Vec<u8> =
        (1..=12).filter(|m| (by_month.is_empty() || by_month.contains(m)) && reached(*m)).collect();
    let length = |month: u8| match month {
        2 => 29,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    let days = shape.get_by_month_day();
    let has_day =
        |month: u8| days.is_empty() || days.iter().any(|day| day.unsigned_abs() <= length(month));
    !months.iter().any(|month| has_day(*month))
}

/// UNTIL as a wall-clock bound for the walk, and the instant to check exactly when it is one.
fn until_bound(
    start: &When,
    until: Option<&When>,
    floating_zone: Tz,
) -> (Option<NaiveDateTime>, Option<DateTime<Utc>>) {
    let Some(until) = until else {
        return (None, None);
    };
    match (start, until) {
        (When::Date(_), until) => (Some(start.in_form_of(until, floating_zone).local()), None),
        // A date UNTIL on a timed series (not RFC, but written): through the end of that day.
        (_, When::Date(day)) => {
            let next = day.succ_opt().map(|next| next.and_time(chrono::NaiveTime::MIN));
            (next.and_then(|next| next.checked_sub_signed(Duration::seconds(1))), None)
        }
        (_, When::Floating(local)) => (Some(*local), None),
        // An instant: where a DST fold repeats an hour, the wall clock is no exact bound, so
        // walk a day further and compare instants.
        (_, until) => {
            let local = start.in_form_of(until, floating_zone).local();
            (local.checked_add_signed(Duration::days(1)), Some(until.instant(floating_zone)))
        }
    }
}

/// Without COUNT, a rule with a fixed-length period (floating time has no DST, so a day is
/// always 24 hours) gives the same times from a start moved forward by whole periods: the
/// defaults it takes from DTSTART (time of day, weekday) and the period boundaries stay. One
/// period is kept in hand so the period containing `lower` is whole.
fn rebase(rule: &Rule, anchor: NaiveDateTime, lower: Option<NaiveDateTime>) -> NaiveDateTime {
    let (None, Some(period), Some(lower)) = (rule.count(), period_seconds(rule), lower) else {
        return anchor;
    };
    let periods = (lower - anchor).num_seconds() / period - 1;
    if periods <= 0 {
        return anchor;
    }
    periods
        .checked_mul(period)
        .and_then(Duration::try_seconds)
        .and_then(|shift| anchor.checked_add_signed(shift))
        .unwrap_or(anchor)
}

fn period_seconds(rule: &Rule) -> Option<i64> {
    let unit = match rule.frequency() {
        Frequency::Secondly => 1,
        Frequency::Minutely => 60,
        Frequency::Hourly => 3_600,
        Frequency::Daily => 86_400,
        Frequency::Weekly => 7 * 86_400,
        Frequency::Monthly | Frequency::Yearly => return None,
    };
    Some(unit * i64::from(rule.interval()))
}

/// The cost of walking from `from` to `upper`, in candidate times: the rule's periods times the
/// times each gives from BYHOUR/BYMINUTE/BYSECOND, or COUNT when every period surely gives one.
/// None when unbounded (no end and no COUNT a bound can be read from).
fn estimate(rule: &Rule, from: NaiveDateTime, upper: Option<NaiveDateTime>) -> Option<u64> {
    let shape = rule.shape();
    let freq = rule.frequency();
    let expands = |list_len: usize, finer_than: Frequency| {
        if freq < finer_than { list_len.max(1) as u64 } else { 1 }
    };
    let per_period = expands(shape.get_by_hour().len(), Frequency::Hourly)
        * expands(shape.get_by_minute().len(), Frequency::Minutely)
        * expands(shape.get_by_second().len(), Frequency::Secondly);
    let periods = upper.map(|upper| periods_between(rule, from, upper));
    let by_count = rule.count().filter(|_| is_dense(rule)).map(u64::from);
    match (periods.map(|p| p.saturating_mul(per_period)), by_count) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

fn periods_between(rule: &Rule, from: NaiveDateTime, to: NaiveDateTime) -> u64 {
    if to < from {
        return 0;
    }
    let interval = i64::from(rule.interval().max(1));
    let periods = match period_seconds(rule) {
        Some(period) => (to - from).num_seconds() / period,
        None => {
            use chrono::Datelike;
            let months = i64::from(to.year() - from.year()) * 12 + i64::from(to.month())
                - i64::from(from.month());
            if rule.frequency() == Frequency::Monthly {
                months / interval
            } else {
                months / 12 / interval
            }
        }
    };
    u64::try_from(periods).unwrap_or(0).saturating_add(1)
}

/// Whether every period of the rule gives at least one time, so COUNT bounds the periods
/// walked. Only for the fixed-length frequencies (a monthly rule on the 31st skips months).
fn is_dense(rule: &Rule) -> bool {
    let shape = rule.shape();
    let freq = rule.frequency();
    let days_free = shape.get_by_month().is_empty()
        && shape.get_by_week_no().is_empty()
        && shape.get_by_year_day().is_empty()
        && shape.get_by_month_day().is_empty()
        && shape.get_by_weekday().is_empty()
        && shape.get_by_set_pos().is_empty();
    let times_free = (freq < Frequency::Hourly || shape.get_by_hour().is_empty())
        && (freq < Frequency::Minutely || shape.get_by_minute().is_empty())
        && (freq < Frequency::Secondly || shape.get_by_second().is_empty());
    period_seconds(rule).is_some() && days_free && times_free
}
