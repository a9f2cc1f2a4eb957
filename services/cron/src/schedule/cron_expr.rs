//! Cron expressions with seconds, evaluated on the local wall clock by `croner`.

use chrono::{DateTime, NaiveDateTime};
use croner::Cron;
use croner::parser::{CronParser, Seconds, Year};

use super::error::ScheduleError;
use super::wall_clock::DstRule;

#[derive(Debug, Clone)]
pub(super) struct CronExpr {
    cron: Cron,
    /// The expression as given, whitespace collapsed.
    text: String,
    rule: DstRule,
}

impl CronExpr {
    pub(super) fn parse(spec: &str) -> Result<Self, ScheduleError> {
        let text = spec.split_whitespace().collect::<Vec<_>>().join(" ");
        if text.is_empty() {
            return Err(ScheduleError::schedule("the cron expression is empty"));
        }
        if !text.starts_with('@') {
            let fields = text.split(' ').count();
            if !(6..=7).contains(&fields) {
                return Err(ScheduleError::schedule(format!(
                    "a cron expression needs 6 fields (sec min hour day-of-month month \
                     day-of-week) and an optional 7th (year); got {fields}"
                )));
            }
        }
        // POSIX weekdays (0 and 7 are Sunday), and a day matches when day-of-month OR
        // day-of-week matches, as in Vixie cron.
        let cron = CronParser::builder()
            .seconds(Seconds::Required)
            .year(Year::Optional)
            .build()
            .parse(&text)
            .map_err(|e| ScheduleError::schedule(format!("invalid cron expression: {e}")))?;
        // A field that matches nothing (croner reads a lone `,` as an empty list) would make
        // the never-matches check below walk every day up to the year 5000: seconds of CPU
        // for one request. Refused before that.
        let pattern = &cron.pattern;
        let empty = [
            ("second", (0..60).any(|s| pattern.second_match(s).unwrap_or(false))),
            ("minute", (0..60).any(|m| pattern.minute_match(m).unwrap_or(false))),
            ("hour", (0..24).any(|h| pattern.hour_match(h).unwrap_or(false))),
            ("month", (1..=12).any(|m| pattern.month_match(m).unwrap_or(false))),
        ]
        .into_iter()
        .find_map(|(field, any)| (!any).then_some(field));
        if let Some(field) = empty {
            return Err(ScheduleError::schedule(format!(
                "the cron expression's {field} field matches no {field}"
            )));
        }
        let every_hour = (0..24).all(|h| cron.pattern.hour_match(h).unwrap_or(false));
        let rule = if every_hour { DstRule::Elapsed } else { DstRule::Pinned };
        let expr = Self { cron, text, rule };
        // Catches dates that never exist (`0 0 0 30 2 *`) at parse time rather than as a
        // task that silently never runs.
        if expr.local_times_after(DateTime::UNIX_EPOCH.naive_utc()).next().is_none() {
            return Err(ScheduleError::schedule(
                "the cron expression never matches a date after 1970",
            ));
        }
        Ok(expr)
    }

    pub(super) fn text(&self) -> &str {
        &self.text
    }

    pub(super) fn dst_rule(&self) -> DstRule {
        self.rule
    }

    /// The matching local times strictly after `cursor`, ascending.
    pub(super) fn local_times_after(
        &self,
        cursor: NaiveDateTime,
    ) -> impl Iterator<Item = NaiveDateTime> + '_ {
        let mut cursor = cursor;
        std::iter::from_fn(move || {
            let next = self.cron.find_next_occurrence(&cursor, false).ok()?;
            cursor = next;
            Some(next)
        })
    }
}
