//! RFC 5545 recurrence rules, expanded by the `rrule` crate on the local wall clock ("floating"
//! UTC, which has no DST) and mapped to instants by `wall_clock`.

use chrono::{DateTime, NaiveDateTime, TimeZone, Timelike, Utc};
use rrule::{Frequency, RRule, RRuleSet, Unvalidated};

use super::error::ScheduleError;
use super::wall_clock::DstRule;

#[derive(Debug, Clone)]
pub(super) struct RruleSpec {
    /// DTSTART as a local time in the task's zone; None for a bare rule not yet anchored.
    start: Option<NaiveDateTime>,
    /// The rules with UNTIL turned into floating local time.
    rules: Vec<RRule<Unvalidated>>,
    rdates: Vec<NaiveDateTime>,
    exdates: Vec<NaiveDateTime>,
    /// The RRULE/RDATE/EXDATE lines as given, for `spec()`.
    lines: Vec<String>,
    rule: DstRule,
}

fn invalid(e: impl std::fmt::Display) -> ScheduleError {
    ScheduleError::schedule(format!("invalid RRULE: {e}"))
}

fn floating(local: NaiveDateTime) -> DateTime<rrule::Tz> {
    rrule::Tz::UTC.from_utc_datetime(&local)
}

/// A date-time from the rrule parser as local time in `zone` (a floating one already is).
fn to_local(dt: &DateTime<rrule::Tz>, zone: chrono_tz::Tz) -> NaiveDateTime {
    if dt.timezone().is_local() { dt.naive_local() } else { dt.with_timezone(&zone).naive_local() }
}

impl RruleSpec {
    pub(super) fn parse(spec: &str, zone: chrono_tz::Tz) -> Result<Self, ScheduleError> {
        let lines: Vec<&str> = spec.lines().map(str::trim).filter(|l| !l.is_empty()).collect();
        if lines.is_empty() {
            return Err(ScheduleError::schedule("the RRULE is empty"));
        }
        // The rrule crate slices values by byte and panics inside a multi-byte character; only
        // ASCII is valid in a rule, its dates and IANA zone names anyway.
        if !spec.is_ascii() {
            return Err(ScheduleError::schedule("the RRULE has characters other than ASCII"));
        }
        let has_start = lines.iter().any(|l| l.to_ascii_uppercase().starts_with("DTSTART"));
        if !has_start {
            // A bare rule: `FREQ=...` or `RRULE:FREQ=...`, one line.
            let [line] = lines.as_slice() else {
                return Err(ScheduleError::schedule(
                    "an RRULE without DTSTART must be a single FREQ=... line",
                ));
            };
            let body = strip_prefix(line, "RRULE:").unwrap_or(line);
            // The rrule crate reads a whole property line, taking anything before a colon as a
            // name and parameters; a bare rule is the value alone, since `RRULE:` + it is the
            // line spec() stores and the next dispatch reads back.
            if body.contains(':') {
                return Err(ScheduleError::schedule(
                    "an RRULE without DTSTART must be a single FREQ=... line, without parameters",
                ));
            }
            let rule: RRule<Unvalidated> = body.parse().map_err(invalid)?;
            let rule = float_until(rule, zone);
            // Validate against a placeholder start; the anchor comes later.
            rule.clone().validate(floating(DateTime::UNIX_EPOCH.naive_utc())).map_err(invalid)?;
            let dst = dst_rule(std::slice::from_ref(&rule));
            return Ok(Self {
                start: None,
                rules: vec![rule],
                rdates: Vec::new(),
                exdates: Vec::new(),
                lines: vec![format!("RRULE:{body}")],
                rule: dst,
            });
        }

        let joined = lines.join("\n");
        let set: RRuleSet = joined.parse().map_err(invalid)?;
        let dt_start = set.get_dt_start();
        if let rrule::Tz::Tz(given) = dt_start.timezone()
            && given != zone
            && given != chrono_tz::UTC
        {
            return Err(ScheduleError::schedule(format!(
                "DTSTART is in {} but the task's time zone is {}",
                given.name(),
                zone.name()
            )));
        }
        let start = to_local(dt_start, zone);
        let mut rules = Vec::new();
        let mut kept = Vec::new();
        for line in &lines {
            if let Some(body) = strip_prefix(line, "RRULE:") {
                let rule: RRule<Unvalidated> = body.parse().map_err(invalid)?;
                rules.push(float_until(rule, zone));
                kept.push((*line).to_owned());
            } else if strip_prefix(line, "EXRULE").is_some() {
                return Err(ScheduleError::schedule("EXRULE is not supported"));
            } else if strip_prefix(line, "RDATE").is_some()
                || strip_prefix(line, "EXDATE").is_some()
            {
                kept.push((*line).to_owned());
            }
        }
        if rules.is_empty() && set.get_rdate().is_empty() {
            return Err(ScheduleError::schedule(
                "the RRULE has a DTSTART but no RRULE or RDATE line",
            ));
        }
        for rule in &rules {
            rule.clone().validate(floating(start)).map_err(invalid)?;
        }
        let dst = dst_rule(&rules);
        Ok(Self {
            start: Some(start),
            rdates: set.get_rdate().iter().map(|d| to_local(d, zone)).collect(),
            exdates: set.get_exdate().iter().map(|d| to_local(d, zone)).collect(),
            rules,
            lines: kept,
            rule: dst,
        })
    }

    pub(super) fn is_anchored(&self) -> bool {
        self.start.is_some()
    }

    /// Sets DTSTART to `at`'s local time (to the minute) unless the spec has one.
    pub(super) fn anchored_at(mut self, at: DateTime<Utc>, zone: chrono_tz::Tz) -> Self {
        if self.start.is_none() {
            let local = at.with_timezone(&zone).naive_local();
            self.start = local.with_second(0).and_then(|l| l.with_nanosecond(0));
        }
        self
    }

    pub(super) fn text(&self, zone: chrono_tz::Tz) -> String {
        let mut out = Vec::with_capacity(self.lines.len() + 1);
        if let Some(start) = self.start {
            out.push(format!("DTSTART;TZID={}:{}", zone.name(), start.format("%Y%m%dT%H%M%S")));
        }
        out.extend(self.lines.iter().cloned());
        out.join("\n")
    }

    /// The RDATEs, as local times.
    pub(super) fn rdates(&self) -> &[NaiveDateTime] {
        &self.rdates
    }

    pub(super) fn dst_rule(&self) -> DstRule {
        self.rule
    }

    /// The occurrences (local times) strictly after `cursor`, ascending. Needs an anchor.
    pub(super) fn local_times_after(
        &self,
        cursor: NaiveDateTime,
    ) -> Box<dyn Iterator<Item = NaiveDateTime> + '_> {
        let Some(start) = self.start else {
            return Box::new(std::iter::empty());
        };
        let start = self.rebased_start(start, cursor);
        let mut set = RRuleSet::new(floating(start));
        for rule in &self.rules {
            match rule.clone().validate(floating(start)) {
                Ok(valid) => set = set.rrule(valid),
                // Only an UNTIL before the rebased start fails here: that rule is over.
                Err(_) => continue,
            }
        }
        let set = set
            .set_rdates(self.rdates.iter().copied().map(floating).collect())
            .set_exdates(self.exdates.iter().copied().map(floating).collect());
        Box::new(set.into_iter().map(|d| d.naive_utc()).skip_while(move |d| *d <= cursor))
    }

    /// The rrule crate always expands from DTSTART; for a single uncounted rule with a
    /// fixed-length period, a start moved forward by whole periods gives the same occurrences
    /// and keeps a minutely rule from walking years of history on every call.
    fn rebased_start(&self, start: NaiveDateTime, cursor: NaiveDateTime) -> NaiveDateTime {
        let [rule] = self.rules.as_slice() else {
            return start;
        };
        if rule.get_count().is_some() || cursor <= start {
            return start;
        }
        let unit: i64 = match rule.get_freq() {
            Frequency::Secondly => 1,
            Frequency::Minutely => 60,
            Frequency::Hourly => 3_600,
            Frequency::Daily => 86_400,
            Frequency::Weekly => 7 * 86_400,
            Frequency::Monthly | Frequency::Yearly => return start,
        };
        let period = unit * i64::from(rule.get_interval().max(1));
        let periods = (cursor - start).num_seconds() / period - 1;
        if periods <= 0 {
            return start;
        }
        start + chrono::Duration::seconds(periods * period)
    }
}

fn strip_prefix<'a>(line: &'a str, prefix: &str) -> Option<&'a str> {
    let head = line.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix).then(|| &line[prefix.len()..])
}

/// UNTIL is UTC (or floating) in the spec; the expansion runs on floating local time.
fn float_until(rule: RRule<Unvalidated>, zone: chrono_tz::Tz) -> RRule<Unvalidated> {
    match rule.get_until().map(|u| to_local(u, zone)) {
        Some(local) => rule.until(floating(local)),
        None => rule,
    }
}

/// Sub-daily rules without BYHOUR run every hour: they follow elapsed time across DST.
fn dst_rule(rules: &[RRule<Unvalidated>]) -> DstRule {
    let elapsed = !rules.is_empty()
        && rules.iter().all(|r| {
            matches!(r.get_freq(), Frequency::Hourly | Frequency::Minutely | Frequency::Secondly)
                && r.get_by_hour().is_empty()
        });
    if elapsed { DstRule::Elapsed } else { DstRule::Pinned }
}
