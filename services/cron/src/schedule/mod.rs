//! The schedule engine: parses a task's schedule (cron, once, interval, rrule) in its IANA time
//! zone and computes its runs as UTC instants. Pure logic; the dispatcher and the API call it.
//!
//! # DST rules
//!
//! Cron, rrule and a local `once` name wall-clock times; a DST change removes an hour (the
//! spring-forward gap) or repeats one (the autumn fold). One rule decides both, by what the
//! schedule is tied to:
//!
//! - **Pinned to wall-clock hours** (the cron hour field names hours, e.g. `0 30 2 * * *`,
//!   `0 0 9,17 * * MON-FRI`, `0 0 */2 * * *`; an RRULE that is DAILY or coarser, or has BYHOUR;
//!   any `once`): a time in the gap runs once, right after it (Berlin 02:30 on 2027-03-28 runs
//!   at 03:00 CEST = 01:00 UTC; several gap times collapse into that one run); a time in the
//!   repeated hour runs once, at its first occurrence (the summer-time one).
//! - **Every hour** (cron hour field `*`, e.g. `0 0 * * * *`, `0 */5 * * * *`; an HOURLY,
//!   MINUTELY or SECONDLY RRULE without BYHOUR): follows elapsed time, so every real hour gets
//!   its runs: gap times are skipped (they never happen, and the hour after the gap has its own
//!   runs) and the repeated hour runs in both passes (`0 0 * * * *` runs at 00:00, 01:00 and
//!   02:00 UTC across Berlin's fold, wall clock 02:00 CEST, 02:00 CET, 03:00 CET).
//!
//! RFC 5545 itself would move a gap time by the gap's length (02:30 → 03:30); we run right
//! after the gap for every kind, as the cron service promises.
//!
//! # Spec formats
//!
//! - `cron`: `sec min hour day-of-month month day-of-week [year]`, with ranges, lists, steps,
//!   names (`MON`, `JAN`), `?`, `L`, `W`, `#`; weekdays are POSIX (0 and 7 are Sunday); when
//!   both day fields are restricted a day matches either (Vixie cron).
//! - `once`: RFC 3339 with an offset, or a local `YYYY-MM-DDTHH:MM[:SS]` read in the zone.
//! - `interval`: `<seconds>` or `<seconds>@<RFC 3339 anchor>`; runs at anchor + k * every.
//! - `rrule`: `DTSTART[;TZID=zone]:...` plus `RRULE:` (and `RDATE`/`EXDATE`) lines, or a bare
//!   `FREQ=...` rule whose DTSTART comes from [`Schedule::anchored_at`] (local time, to the
//!   minute).
//!
//! An interval or bare rrule not yet anchored behaves as if anchored at the instant asked
//! about; the API anchors new tasks at creation with [`Schedule::anchored_at`] so that
//! [`Schedule::spec`] stores the anchor.

mod cron_expr;
mod error;
mod rrule_spec;
#[cfg(test)]
mod tests;
mod wall_clock;

use chrono::{DateTime, Duration, FixedOffset, NaiveDateTime, SubsecRound, Utc};
use chrono_tz::Tz;
use posey_domain::TimeZone;

use cron_expr::CronExpr;
pub use error::ScheduleError;
use rrule_spec::RruleSpec;

/// The shortest interval.
pub const MIN_INTERVAL_SECONDS: i64 = 1;
/// The longest interval: ten years of 365.25 days.
pub const MAX_INTERVAL_SECONDS: i64 = 10 * 31_557_600;
/// The longest spec: every schedule is re-read on each dispatch, and RDATEs are checked one by
/// one ([`Schedule::runs_closer_than`]).
pub const MAX_SPEC_CHARS: usize = 2_000;

/// The upcoming runs [`Schedule::runs_closer_than`] looks at. Cron fields and RRULE parts
/// repeat one pattern every minute, hour and day, so runs that keep their distance for the
/// next thousand keep it afterwards; RDATEs, which do not repeat, are looked at one by one.
const GAP_SAMPLES: usize = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ScheduleKind {
    Cron,
    Once,
    Interval,
    Rrule,
}

impl ScheduleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cron => "cron",
            Self::Once => "once",
            Self::Interval => "interval",
            Self::Rrule => "rrule",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "cron" => Some(Self::Cron),
            "once" => Some(Self::Once),
            "interval" => Some(Self::Interval),
            "rrule" => Some(Self::Rrule),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Schedule {
    tz: Tz,
    spec: Spec,
}

#[derive(Debug, Clone)]
enum Spec {
    Cron(Box<CronExpr>),
    Once { at: DateTime<Utc>, text: String },
    Interval { every: Duration, anchor: Option<DateTime<Utc>> },
    Rrule(RruleSpec),
}

impl Schedule {
    /// `spec` as the user gave it, read in IANA zone `time_zone` (a name that is not a zone
    /// is an error naming it, never UTC).
    pub fn parse(kind: ScheduleKind, spec: &str, time_zone: &str) -> Result<Self, ScheduleError> {
        let zone =
            TimeZone::parse(time_zone).map_err(|e| ScheduleError::time_zone(e.to_string()))?;
        Self::in_zone(kind, spec, zone)
    }

    /// `spec` as the user gave it, read in `zone`.
    pub fn in_zone(kind: ScheduleKind, spec: &str, zone: TimeZone) -> Result<Self, ScheduleError> {
        let tz = zone.tz();
        let spec = spec.trim();
        if spec.chars().count() > MAX_SPEC_CHARS {
            return Err(ScheduleError::schedule(format!(
                "the schedule is longer than {MAX_SPEC_CHARS} characters"
            )));
        }
        if spec.is_empty() {
            return Err(ScheduleError::schedule(format!(
                "the {} schedule is empty",
                kind.as_str()
            )));
        }
        let spec = match kind {
            ScheduleKind::Cron => Spec::Cron(Box::new(CronExpr::parse(spec)?)),
            ScheduleKind::Once => parse_once(spec, tz)?,
            ScheduleKind::Interval => parse_interval(spec)?,
            ScheduleKind::Rrule => Spec::Rrule(RruleSpec::parse(spec, tz)?),
        };
        Ok(Self { tz, spec })
    }

    /// Fixes the start of an interval or a bare rrule at `at` (to the second for an interval,
    /// to the minute of local time for an rrule); a no-op for other kinds and for specs that
    /// already carry their anchor.
    pub fn anchored_at(self, at: DateTime<Utc>) -> Self {
        let spec = match self.spec {
            Spec::Interval { every, anchor: None } => {
                Spec::Interval { every, anchor: Some(at.trunc_subsecs(0)) }
            }
            Spec::Rrule(rule) => Spec::Rrule(rule.anchored_at(at, self.tz)),
            other => other,
        };
        Self { spec, ..self }
    }

    /// Whether the spec still lacks the anchor [`Schedule::anchored_at`] gives it.
    pub fn needs_anchor(&self) -> bool {
        match &self.spec {
            Spec::Interval { anchor, .. } => anchor.is_none(),
            Spec::Rrule(rule) => !rule.is_anchored(),
            Spec::Cron(_) | Spec::Once { .. } => false,
        }
    }

    /// The first run strictly after `after`, or None when the schedule has no more runs.
    pub fn next_after(&self, after: DateTime<Utc>) -> Option<DateTime<Utc>> {
        if self.needs_anchor() {
            return self.clone().anchored_at(after).next_after(after);
        }
        match &self.spec {
            Spec::Cron(expr) => wall_clock::next_after(self.tz, expr.dst_rule(), after, |cursor| {
                expr.local_times_after(cursor)
            }),
            Spec::Once { at, .. } => (*at > after).then_some(*at),
            Spec::Interval { every, anchor: Some(anchor) } => next_interval(*anchor, *every, after),
            Spec::Interval { anchor: None, .. } => None,
            Spec::Rrule(rule) => wall_clock::next_after(self.tz, rule.dst_rule(), after, |c| {
                rule.local_times_after(c)
            }),
        }
    }

    /// The first run at or after `from` (a new task's first next_run_at).
    pub fn first_at_or_after(&self, from: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let schedule =
            if self.needs_anchor() { self.clone().anchored_at(from) } else { self.clone() };
        let just_before = from.checked_sub_signed(Duration::nanoseconds(1))?;
        schedule.next_after(just_before)
    }

    /// All runs in `(after, up_to]`, at most `limit`, oldest first (misfire handling).
    pub fn runs_between(
        &self,
        after: DateTime<Utc>,
        up_to: DateTime<Utc>,
        limit: usize,
    ) -> Vec<DateTime<Utc>> {
        let schedule =
            if self.needs_anchor() { self.clone().anchored_at(after) } else { self.clone() };
        let mut runs = Vec::new();
        let mut cursor = after;
        while runs.len() < limit {
            match schedule.next_after(cursor) {
                Some(run) if run <= up_to => {
                    runs.push(run);
                    cursor = run;
                }
                _ => break,
            }
        }
        runs
    }

    /// The shortest time between two runs from `from` on, when shorter than `min`: the
    /// schedule fires more often than `min` allows. Exact for intervals; for cron and rrule
    /// schedules, judged on the next runs and around each RDATE.
    pub fn runs_closer_than(&self, from: DateTime<Utc>, min: Duration) -> Option<Duration> {
        let shortest = |runs: &[DateTime<Utc>]| runs.windows(2).map(|w| w[1] - w[0]).min();
        let gap = match &self.spec {
            Spec::Once { .. } => None,
            Spec::Interval { every, .. } => Some(*every),
            Spec::Cron(_) => shortest(&self.sample(from, GAP_SAMPLES)),
            Spec::Rrule(rule) => {
                let rdates = rule.rdates().iter().filter_map(|local| {
                    let at = wall_clock::resolve_pinned(self.tz, *local)?;
                    let around = self.sample(at.checked_sub_signed(min)?, 64);
                    let near: Vec<_> = around.into_iter().take_while(|t| *t <= at + min).collect();
                    shortest(&near)
                });
                shortest(&self.sample(from, GAP_SAMPLES)).into_iter().chain(rdates).min()
            }
        };
        gap.filter(|gap| *gap < min)
    }

    /// Up to `n` runs of a cron or rrule schedule from about `from` on, in order, each instant
    /// once (times a DST gap collapses run once).
    fn sample(&self, from: DateTime<Utc>, n: usize) -> Vec<DateTime<Utc>> {
        let schedule =
            if self.needs_anchor() { self.clone().anchored_at(from) } else { self.clone() };
        let local = from.with_timezone(&self.tz).naive_local();
        let (locals, rule): (Box<dyn Iterator<Item = NaiveDateTime> + '_>, _) = match &schedule.spec
        {
            Spec::Cron(expr) => (Box::new(expr.local_times_after(local)), expr.dst_rule()),
            Spec::Rrule(rrule) => (rrule.local_times_after(local), rrule.dst_rule()),
            Spec::Once { .. } | Spec::Interval { .. } => return Vec::new(),
        };
        let mut runs: Vec<_> =
            locals.take(n).flat_map(|l| wall_clock::instants(self.tz, l, rule)).collect();
        runs.sort_unstable();
        runs.dedup();
        runs
    }

    /// The spec normalised for storage (e.g. an interval gets its anchor written in).
    pub fn spec(&self) -> String {
        match &self.spec {
            Spec::Cron(expr) => expr.text().to_owned(),
            Spec::Once { text, .. } => text.clone(),
            Spec::Interval { every, anchor } => match anchor {
                Some(anchor) => format!(
                    "{}@{}",
                    every.num_seconds(),
                    anchor.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
                ),
                None => every.num_seconds().to_string(),
            },
            Spec::Rrule(rule) => rule.text(self.tz),
        }
    }

    pub fn kind(&self) -> ScheduleKind {
        match self.spec {
            Spec::Cron(_) => ScheduleKind::Cron,
            Spec::Once { .. } => ScheduleKind::Once,
            Spec::Interval { .. } => ScheduleKind::Interval,
            Spec::Rrule(_) => ScheduleKind::Rrule,
        }
    }

    pub fn time_zone(&self) -> TimeZone {
        TimeZone::from(self.tz)
    }
}

const LOCAL_FORMATS: [&str; 4] =
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"];

fn parse_once(spec: &str, tz: Tz) -> Result<Spec, ScheduleError> {
    if let Ok(at) = DateTime::<FixedOffset>::parse_from_rfc3339(spec) {
        return Ok(Spec::Once {
            at: at.with_timezone(&Utc),
            text: at.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true),
        });
    }
    let local = LOCAL_FORMATS
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(spec, f).ok())
        .ok_or_else(|| {
            ScheduleError::schedule(format!(
                "\"{spec}\" is not a date-time: use RFC 3339 (2027-03-03T09:00:00+01:00) or a \
                 local time in the task's zone (2027-03-03T09:00:00)"
            ))
        })?;
    let at = wall_clock::resolve_pinned(tz, local).ok_or_else(|| {
        ScheduleError::schedule(format!("\"{spec}\" does not exist in {}", tz.name()))
    })?;
    Ok(Spec::Once { at, text: local.format("%Y-%m-%dT%H:%M:%S%.f").to_string() })
}

fn parse_interval(spec: &str) -> Result<Spec, ScheduleError> {
    let (seconds, anchor) = match spec.split_once('@') {
        Some((seconds, anchor)) => (seconds.trim(), Some(anchor.trim())),
        None => (spec, None),
    };
    let seconds: i64 = seconds.parse().map_err(|_| {
        ScheduleError::schedule(format!(
            "the interval \"{seconds}\" is not a whole number of seconds; use <seconds> or \
             <seconds>@<RFC 3339 anchor>"
        ))
    })?;
    if !(MIN_INTERVAL_SECONDS..=MAX_INTERVAL_SECONDS).contains(&seconds) {
        return Err(ScheduleError::schedule(format!(
            "the interval must be between {MIN_INTERVAL_SECONDS} second and \
             {MAX_INTERVAL_SECONDS} seconds (10 years); got {seconds}"
        )));
    }
    let anchor = anchor
        .map(|a| {
            DateTime::parse_from_rfc3339(a).map(|a| a.with_timezone(&Utc)).map_err(|e| {
                ScheduleError::schedule(format!(
                    "the interval anchor \"{a}\" is not an RFC 3339 date-time: {e}"
                ))
            })
        })
        .transpose()?;
    Ok(Spec::Interval { every: Duration::seconds(seconds), anchor })
}

fn next_interval(
    anchor: DateTime<Utc>,
    every: Duration,
    after: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if after < anchor {
        return Some(anchor);
    }
    // i128 nanoseconds: exact for any anchor and interval chrono can represent.
    let nanos =
        |d: Duration| i128::from(d.num_seconds()) * 1_000_000_000 + i128::from(d.subsec_nanos());
    let every_ns = nanos(every);
    let k = nanos(after - anchor) / every_ns + 1;
    let offset = i64::try_from(k * every_ns).ok()?;
    anchor.checked_add_signed(Duration::nanoseconds(offset))
}
