//! `Series`: DTSTART with its rules, RDATEs and EXDATEs, and what is asked of it: the
//! occurrences in a window, whether a time is one, where it ends, and how to split it.

use std::collections::HashSet;

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use chrono_tz::Tz;

use super::expand::{Budget, Span, plain_time, walk};
use super::{Caps, Occurrence, RecurrenceError, Rule};
use crate::When;

/// A recurring series: DTSTART, its rules, RDATEs and EXDATEs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Series {
    pub start: When,
    pub rules: Vec<Rule>,
    pub rdates: Vec<When>,
    pub exdates: Vec<When>,
}

/// How far a wall-clock time can be from the UTC reading of the same instant: offsets are
/// under a day.
const SLACK: Duration = Duration::days(1);

impl Series {
    /// A series of one occurrence (no rules, no RDATEs).
    pub fn single(start: When) -> Series {
        Series { start, rules: Vec::new(), rdates: Vec::new(), exdates: Vec::new() }
    }

    pub fn is_recurring(&self) -> bool {
        !self.rules.is_empty() || !self.rdates.is_empty()
    }

    /// The occurrences that overlap [from, to): those starting in [from, to), and those that
    /// started earlier and last past `from` (`duration` is the event's length). Sorted by start
    /// (then by id, as two wall-clock times in a DST gap fall on one instant), one per id (an
    /// RDATE equal to a rule's occurrence appears once), EXDATEs removed (matched in the
    /// series' form, so an EXDATE in UTC removes a zoned occurrence), DTSTART always one of
    /// them (RFC 5545). The cost is bounded by `caps`: a window longer than `max_window` is
    /// refused, and so is a rule whose periods up to `to` are estimated above `max_steps`
    /// before any is walked; rules without COUNT are walked only near the window.
    pub fn occurrences(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        duration: Duration,
        floating_zone: Tz,
        caps: &Caps,
    ) -> Result<Vec<Occurrence>, RecurrenceError> {
        if to.signed_duration_since(from) > caps.max_window {
            return Err(RecurrenceError::WindowTooLong { max_days: caps.max_window.num_days() });
        }
        if to <= from {
            return Ok(Vec::new());
        }
        let duration = duration.max(Duration::zero());
        let overlaps = |start: DateTime<Utc>| {
            start < to
                && (start >= from
                    || start.checked_add_signed(duration).is_none_or(|end| end > from))
        };
        let earliest = from.checked_sub_signed(duration).map(|at| at.naive_utc());
        let span = Span {
            lower: earliest.and_then(|at| at.checked_sub_signed(SLACK)),
            upper: Some(to.naive_utc().checked_add_signed(SLACK).unwrap_or(NaiveDateTime::MAX)),
        };
        let excluded = self.excluded(floating_zone);
        let limit = caps.max_occurrences;
        let mut seen = HashSet::new();
        let mut found = Vec::new();
        let mut add = |id: When| {
            let start = id.instant(floating_zone);
            if overlaps(start) && !excluded.contains(&id) && seen.insert(id) {
                found.push(Occurrence { id, start });
                if found.len() > limit {
                    return Err(RecurrenceError::TooMany { limit });
                }
            }
            Ok(true)
        };
        add(self.start)?;
        for rdate in &self.rdates {
            add(self.start.in_form_of(rdate, floating_zone))?;
        }
        let mut budget = Budget::new(caps.max_steps);
        for rule in &self.rules {
            walk(rule, &self.start, span, floating_zone, &mut budget, |local| {
                add(self.start.with_local(local))
            })?;
        }
        found.sort_by_key(|occurrence| (occurrence.start, occurrence.id.local()));
        Ok(found)
    }

    /// Whether `id` (in any form) is one of the series' occurrences, EXDATEs removed: for
    /// validating a RECURRENCE-ID or an edit of "this one". Bounded by `caps.max_steps`.
    pub fn has_occurrence(
        &self,
        id: &When,
        floating_zone: Tz,
        caps: &Caps,
    ) -> Result<bool, RecurrenceError> {
        let target = self.start.in_form_of(id, floating_zone);
        if self.excluded(floating_zone).contains(&target) {
            return Ok(false);
        }
        if target == self.start
            || self.rdates.iter().any(|rdate| self.start.in_form_of(rdate, floating_zone) == target)
        {
            return Ok(true);
        }
        let mut budget = Budget::new(caps.max_steps);
        for rule in &self.rules {
            if self.rule_gives(rule, &target, floating_zone, &mut budget)? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The start of the last occurrence (EXDATEs removed; DTSTART's when all are), or None when
    /// the series never ends (a rule with neither COUNT nor UNTIL). A COUNT rule without BYxxx
    /// parts and a fixed period (COUNT=1000000;FREQ=SECONDLY) is answered by arithmetic; other
    /// rules are walked within `caps.max_steps` (a rule with UNTIL only near its end when it
    /// can be, a COUNT rule from DTSTART), and a longer walk gives TooExpensive.
    pub fn last_start(
        &self,
        floating_zone: Tz,
        caps: &Caps,
    ) -> Result<Option<DateTime<Utc>>, RecurrenceError> {
        if self.rules.iter().any(|rule| rule.count().is_none() && rule.until().is_none()) {
            return Ok(None);
        }
        let excluded = self.excluded(floating_zone);
        let mut last: Option<DateTime<Utc>> = None;
        let mut consider = |id: When| {
            if !excluded.contains(&id) {
                last = last.max(Some(id.instant(floating_zone)));
            }
        };
        consider(self.start);
        for rdate in &self.rdates {
            consider(self.start.in_form_of(rdate, floating_zone));
        }
        let mut budget = Budget::new(caps.max_steps);
        for rule in &self.rules {
            let last_in = |span: Span, budget: &mut Budget| {
                let mut rule_last = None;
                walk(rule, &self.start, span, floating_zone, budget, |local| {
                    let id = self.start.with_local(local);
                    if !excluded.contains(&id) {
                        rule_last = Some(id);
                    }
                    Ok(true)
                })?;
                Ok::<_, RecurrenceError>(rule_last)
            };
            // Near UNTIL first: cheap for a long rule, and enough unless its end is excluded.
            let near_end = rule.until().filter(|_| rule.count().is_none()).and_then(|until| {
                let local = self.start.in_form_of(&until, floating_zone).local();
                local.checked_sub_signed(SLACK + SLACK)
            });
            let mut rule_last = None;
            if let Some(count) = rule.count() {
                // A plain rule's last times are known; one of the last few is not excluded.
                let back = (0..count).rev().take(excluded.len() + 1);
                let times = back.map_while(|k| plain_time(rule, self.start.local(), k));
                rule_last = times
                    .map(|local| self.start.with_local(local))
                    .find(|id| !excluded.contains(id));
            }
            if let Some(lower) = near_end.filter(|_| rule_last.is_none()) {
                rule_last = last_in(Span { lower: Some(lower), upper: None }, &mut budget)?;
            }
            if rule_last.is_none() {
                rule_last = last_in(Span { lower: None, upper: None }, &mut budget)?;
            }
            if let Some(id) = rule_last {
                consider(id);
            }
        }
        Ok(Some(last.unwrap_or_else(|| self.start.instant(floating_zone))))
    }

    /// The COUNT for `rule` in a series that starts at `at` ("this and following"): the
    /// original COUNT less the occurrences it gave before `at` (DTSTART counts as the first,
    /// EXDATEs count too, as RFC 5545 has them). None when the rule has no COUNT; 0 when it
    /// ran out before `at`. `at` should be a time the rule gives, so the new DTSTART counts as
    /// one of the remaining ones. Bounded by `caps.max_steps` (walked from DTSTART).
    pub fn remaining_count(
        &self,
        rule: &Rule,
        at: &When,
        floating_zone: Tz,
        caps: &Caps,
    ) -> Result<Option<u32>, RecurrenceError> {
        let Some(count) = rule.count() else {
            return Ok(None);
        };
        let cut = self.start.in_form_of(at, floating_zone).local();
        let mut budget = Budget::new(caps.max_steps);
        let used = self.used_before(rule, cut, floating_zone, &mut budget)?;
        Ok(Some(count.saturating_sub(used)))
    }

    /// Splits the series for "this and following" at occurrence `at`: the head (rules ending
    /// just before `at`, its RDATEs and EXDATEs before it) and the tail (starting at `at`, the
    /// rules with COUNT reduced by what the head used, the later RDATEs and EXDATEs). Together
    /// they give exactly the original occurrences. `at` must be an occurrence after the first,
    /// and given by every rule that goes on past it (a new DTSTART off a rule would change
    /// what the rule means).
    pub fn split(
        &self,
        at: &When,
        floating_zone: Tz,
        caps: &Caps,
    ) -> Result<(Series, Series), RecurrenceError> {
        let target = self.start.in_form_of(at, floating_zone);
        let cut = target.local();
        if cut <= self.start.local() {
            let why = "it is the first occurrence; change the whole series instead";
            return Err(RecurrenceError::CannotSplit(why.to_owned()));
        }
        if !self.has_occurrence(&target, floating_zone, caps)? {
            let why =
                format!("{} is not an occurrence of the series", cut.format("%Y-%m-%d %H:%M:%S"));
            return Err(RecurrenceError::CannotSplit(why));
        }
        let mut budget = Budget::new(caps.max_steps);
        let (mut head, mut tail) = (Vec::new(), Vec::new());
        for rule in &self.rules {
            let gives = self.rule_gives(rule, &target, floating_zone, &mut budget)?;
            if !gives && !self.gives_after(rule, cut, floating_zone, &mut budget)? {
                head.push(rule.clone());
                continue;
            }
            if !gives {
                let why =
                    format!("RRULE:{rule} does not give that time, so it cannot start the rest");
                return Err(RecurrenceError::CannotSplit(why));
            }
            head.push(rule.ending_before(&self.start, &target, floating_zone));
            tail.push(match rule.count() {
                Some(count) => {
                    let used = self.used_before(rule, cut, floating_zone, &mut budget)?;
                    rule.with_count(count.saturating_sub(used))
                }
                None => rule.clone(),
            });
        }
        let local = |when: &When| self.start.in_form_of(when, floating_zone).local();
        let before = |list: &[When]| list.iter().filter(|w| local(w) < cut).copied().collect();
        let after = |list: &[When]| list.iter().filter(|w| local(w) > cut).copied().collect();
        let head = Series {
            start: self.start,
            rules: head,
            rdates: before(&self.rdates),
            exdates: before(&self.exdates),
        };
        let tail = Series {
            start: target,
            rules: tail,
            rdates: after(&self.rdates),
            exdates: after(&self.exdates),
        };
        Ok((head, tail))
    }

    /// The EXDATEs in the series' form.
    fn excluded(&self, floating_zone: Tz) -> HashSet<When> {
        self.exdates.iter().map(|exdate| self.start.in_form_of(exdate, floating_zone)).collect()
    }

    /// Whether `rule` gives `target` (in the series' form).
    fn rule_gives(
        &self,
        rule: &Rule,
        target: &When,
        floating_zone: Tz,
        budget: &mut Budget,
    ) -> Result<bool, RecurrenceError> {
        let local = target.local();
        // A date is a whole day of wall-clock times.
        let day = Duration::seconds(86_399);
        let upper =
            if target.is_date() { local.checked_add_signed(day).unwrap_or(local) } else { local };
        let span = Span { lower: Some(local), upper: Some(upper) };
        let mut gives = false;
        walk(rule, &self.start, span, floating_zone, budget, |at| {
            gives = self.start.with_local(at) == *target;
            Ok(!gives)
        })?;
        Ok(gives)
    }

    /// Whether `rule` gives any time after `cut`.
    fn gives_after(
        &self,
        rule: &Rule,
        cut: NaiveDateTime,
        floating_zone: Tz,
        budget: &mut Budget,
    ) -> Result<bool, RecurrenceError> {
        let span = Span { lower: Some(cut), upper: None };
        let mut after = false;
        walk(rule, &self.start, span, floating_zone, budget, |at| {
            after = self.start.with_local(at).local() > cut;
            Ok(!after)
        })?;
        Ok(after)
    }

    /// How many of `rule`'s occurrences (DTSTART first) come before `cut`.
    fn used_before(
        &self,
        rule: &Rule,
        cut: NaiveDateTime,
        floating_zone: Tz,
        budget: &mut Budget,
    ) -> Result<u32, RecurrenceError> {
        let span = Span { lower: None, upper: Some(cut) };
        let mut used = 0u32;
        walk(rule, &self.start, span, floating_zone, budget, |at| {
            if self.start.with_local(at).local() < cut {
                used += 1;
            }
            Ok(true)
        })?;
        Ok(used)
    }
}
