//! `Rule`: one RRULE value, parsed, checked against RFC 5545 (3.3.10) and kept in a normal form
//! that prints back as the same text.

use std::fmt;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use rrule::{Frequency, NWeekday, RRule, Unvalidated};

use super::RecurrenceError;
use crate::When;

/// A validated RRULE value (the text after `RRULE:`), kept normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// FREQ, INTERVAL, WKST and the BYxxx parts, lists sorted and without repeats. COUNT and
    /// UNTIL live beside it: the expansion applies them itself (see `expand`).
    shape: RRule<Unvalidated>,
    count: Option<u32>,
    /// As written: a date, a floating time or a UTC instant.
    until: Option<When>,
}

/// The rule parts RFC 5545 defines (the rrule crate's BYEASTER extension is left out).
const PARTS: [&str; 14] = [
    "FREQ",
    "UNTIL",
    "COUNT",
    "INTERVAL",
    "BYSECOND",
    "BYMINUTE",
    "BYHOUR",
    "BYDAY",
    "BYMONTHDAY",
    "BYYEARDAY",
    "BYWEEKNO",
    "BYMONTH",
    "BYSETPOS",
    "WKST",
];

fn invalid(message: impl fmt::Display) -> RecurrenceError {
    RecurrenceError::Invalid(message.to_string())
}

/// A start for checks that need one but do not depend on it.
fn placeholder() -> DateTime<rrule::Tz> {
    rrule::Tz::UTC.from_utc_datetime(&DateTime::UNIX_EPOCH.naive_utc())
}

impl Rule {
    /// Parses and validates an RRULE value; `RRULE:` in front is allowed. Errors name the part.
    pub fn parse(value: &str) -> Result<Rule, RecurrenceError> {
        let value = value.trim();
        let value = match value.get(..6) {
            Some(head) if head.eq_ignore_ascii_case("RRULE:") => &value[6..],
            _ => value,
        };
        if value.is_empty() {
            return Err(invalid("the rule is empty; it needs at least FREQ"));
        }
        // The rrule crate slices values by byte; only ASCII is valid here anyway.
        if !value.is_ascii() {
            return Err(invalid("the rule has characters other than ASCII"));
        }
        let mut seen: Vec<&str> = Vec::new();
        let (mut count, mut until, mut rest) = (None, None, Vec::new());
        for part in value.split(';').filter(|part| !part.is_empty()) {
            let Some((name, text)) = part.split_once('=') else {
                return Err(invalid(format!("`{part}` is not NAME=VALUE")));
            };
            let upper = name.trim().to_ascii_uppercase();
            let Some(name) = PARTS.iter().copied().find(|known| *known == upper) else {
                return Err(invalid(format!("`{name}` is not a rule part")));
            };
            if seen.contains(&name) {
                return Err(invalid(format!("{name} is given twice")));
            }
            seen.push(name);
            // Blanks around a list's commas (`BYDAY=MO, TU`, as Exchange wrote) say nothing.
            let text = text.split(',').map(str::trim).collect::<Vec<_>>().join(",");
            let text = text.as_str();
            if text.is_empty() {
                return Err(invalid(format!("{name} has no value")));
            }
            match name {
                "UNTIL" => until = Some(parse_until(text)?),
                "COUNT" => match text.parse::<u32>() {
                    Ok(n) if n >= 1 => count = Some(n),
                    _ => {
                        return Err(invalid(format!(
                            "COUNT must be a whole number from 1, not `{text}`"
                        )));
                    }
                },
                "BYDAY" => {
                    check_by_day(text)?;
                    rest.push(format!("{name}={text}"));
                }
                _ => rest.push(format!("{name}={text}")),
            }
        }
        if !seen.contains(&"FREQ") {
            return Err(invalid("FREQ is required"));
        }
        if count.is_some() && until.is_some() {
            return Err(invalid("COUNT and UNTIL cannot both be given"));
        }
        let shape: RRule<Unvalidated> = rest.join(";").parse().map_err(invalid)?;
        check(&shape)?;
        let mut by_day = shape.get_by_weekday().to_vec();
        by_day.sort_unstable();
        by_day.dedup();
        let shape = shape.by_weekday(by_day);
        // rrule's checks that depend on FREQ (BYMONTHDAY with WEEKLY, BYSETPOS ranges, ...).
        shape.clone().validate(placeholder()).map_err(invalid)?;
        Ok(Rule { shape, count, until })
    }

    pub fn frequency(&self) -> Frequency {
        self.shape.get_freq()
    }

    pub fn interval(&self) -> u16 {
        self.shape.get_interval()
    }

    pub fn count(&self) -> Option<u32> {
        self.count
    }

    /// UNTIL as written (UTC instant or date or floating).
    pub fn until(&self) -> Option<When> {
        self.until
    }

    /// The same rule with COUNT set to `count` (at least 1) and no UNTIL: the rule of the tail
    /// when a series is split (see [`super::Series::remaining_count`]).
    pub fn with_count(&self, count: u32) -> Rule {
        Rule { shape: self.shape.clone(), count: Some(count.max(1)), until: None }
    }

    /// The same rule ending at `until` (COUNT kept: give one or the other).
    pub(crate) fn with_until(&self, until: When) -> Rule {
        Rule { shape: self.shape.clone(), count: self.count, until: Some(until) }
    }

    /// FREQ, INTERVAL, WKST and BYxxx, for the expansion.
    pub(super) fn shape(&self) -> &RRule<Unvalidated> {
        &self.shape
    }

    /// The same rule ending before `before` (UNTIL set to just before that occurrence start,
    /// COUNT removed), for "this and following" edits that split a series. `start` is the
    /// series' DTSTART; UNTIL's form follows it: a date for Date series, UTC for Zoned/Utc,
    /// floating for Floating. An UNTIL already earlier is kept. A COUNT rule whose count runs
    /// out before `before` should be kept as it is instead ([`super::Series::split`] does).
    pub fn ending_before(&self, start: &When, before: &When, floating_zone: Tz) -> Rule {
        let before = start.in_form_of(before, floating_zone);
        let second = Duration::seconds(1);
        let until = match *start {
            When::Date(_) => When::Date(before.local().date().pred_opt().unwrap_or(NaiveDate::MIN)),
            When::Floating(_) => When::Floating(
                before.local().checked_sub_signed(second).unwrap_or(NaiveDateTime::MIN),
            ),
            When::Utc(_) | When::Zoned { .. } => {
                let at = before.instant(floating_zone);
                When::Utc(at.checked_sub_signed(second).unwrap_or(DateTime::<Utc>::MIN_UTC))
            }
        };
        let read = |until: &When| start.in_form_of(until, floating_zone).instant(floating_zone);
        let until = match self.until {
            Some(earlier) if read(&earlier) <= read(&until) => earlier,
            _ => until,
        };
        Rule { shape: self.shape.clone(), count: None, until: Some(until) }
    }
}

/// UNTIL's three forms: `20240101` (date), `20240101T090000` (floating), `...Z` (UTC).
fn parse_until(text: &str) -> Result<When, RecurrenceError> {
    let bad = || {
        invalid(format!(
            "UNTIL `{text}` is not a date (YYYYMMDD) or date-time (YYYYMMDDTHHMMSS[Z])"
        ))
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    match text.len() {
        8 if digits(text) => {
            NaiveDate::parse_from_str(text, "%Y%m%d").map(When::Date).map_err(|_| bad())
        }
        15 | 16 if digits(&text[..8]) && digits(&text[9..15]) && &text[8..9] == "T" => {
            let local =
                NaiveDateTime::parse_from_str(&text[..15], "%Y%m%dT%H%M%S").map_err(|_| bad())?;
            match &text[15..] {
                "" => Ok(When::Floating(local)),
                "Z" | "z" => Ok(When::Utc(Utc.from_utc_datetime(&local))),
                _ => Err(bad()),
            }
        }
        _ => Err(bad()),
    }
}

/// Each BYDAY item is `[+|-]n?DD`; the rrule crate reads a malformed number as "every".
fn check_by_day(text: &str) -> Result<(), RecurrenceError> {
    for item in text.split(',') {
        let split = item.len().saturating_sub(2);
        let (number, day) = item.split_at(split);
        let number = number.strip_prefix(['+', '-']).unwrap_or(number);
        let known =
            ["MO", "TU", "WE", "TH", "FR", "SA", "SU"].iter().any(|d| d.eq_ignore_ascii_case(day));
        let number_ok = number.is_empty()
            || (number.len() <= 2
                && number.bytes().all(|b| b.is_ascii_digit())
                && number != "0"
                && number != "00");
        if !known || !number_ok {
            return Err(invalid(format!("BYDAY `{item}` is not a weekday like MO, 1MO or -1FR")));
        }
    }
    Ok(())
}

/// RFC 5545 constraints the rrule crate does not check.
fn check(shape: &RRule<Unvalidated>) -> Result<(), RecurrenceError> {
    let freq = shape.get_freq();
    if shape.get_interval() == 0 {
        return Err(invalid("INTERVAL must be at least 1"));
    }
    let numbered = shape.get_by_weekday().iter().any(|day| matches!(day, NWeekday::Nth(..)));
    if numbered && !matches!(freq, Frequency::Monthly | Frequency::Yearly) {
        return Err(invalid(format!(
            "BYDAY with a number (like 1MO) needs FREQ=MONTHLY or YEARLY, not {freq}"
        )));
    }
    if numbered && freq == Frequency::Yearly && !shape.get_by_week_no().is_empty() {
        return Err(invalid("BYDAY with a number (like 1MO) cannot be used with BYWEEKNO"));
    }
    let other_by = !(shape.get_by_month().is_empty()
        && shape.get_by_week_no().is_empty()
        && shape.get_by_year_day().is_empty()
        && shape.get_by_month_day().is_empty()
        && shape.get_by_weekday().is_empty()
        && shape.get_by_hour().is_empty()
        && shape.get_by_minute().is_empty()
        && shape.get_by_second().is_empty());
    if !shape.get_by_set_pos().is_empty() && !other_by {
        return Err(invalid("BYSETPOS needs another BYxxx part to pick from"));
    }
    Ok(())
}

fn format_until(until: &When) -> String {
    match until {
        When::Date(day) => day.format("%Y%m%d").to_string(),
        When::Floating(local) => local.format("%Y%m%dT%H%M%S").to_string(),
        // Zoned does not occur (parse and ending_before make UTC); written as UTC all the same.
        other => other.instant(Tz::UTC).format("%Y%m%dT%H%M%SZ").to_string(),
    }
}

fn weekday_code(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "MO",
        Weekday::Tue => "TU",
        Weekday::Wed => "WE",
        Weekday::Thu => "TH",
        Weekday::Fri => "FR",
        Weekday::Sat => "SA",
        Weekday::Sun => "SU",
    }
}

fn list<T: fmt::Display>(f: &mut fmt::Formatter<'_>, name: &str, values: &[T]) -> fmt::Result {
    for (i, value) in values.iter().enumerate() {
        let lead = if i == 0 { format!(";{name}=") } else { ",".to_owned() };
        write!(f, "{lead}{value}")?;
    }
    Ok(())
}

/// The RRULE value text, parts in one fixed order; it parses back to an equal `Rule`. Written
/// here rather than by the rrule crate, whose text drops the 1 of `1MO` (making it every Monday).
impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shape = &self.shape;
        write!(f, "FREQ={}", shape.get_freq())?;
        if let Some(until) = &self.until {
            write!(f, ";UNTIL={}", format_until(until))?;
        }
        if let Some(count) = self.count {
            write!(f, ";COUNT={count}")?;
        }
        if shape.get_interval() != 1 {
            write!(f, ";INTERVAL={}", shape.get_interval())?;
        }
        list(f, "BYMONTH", shape.get_by_month())?;
        list(f, "BYWEEKNO", shape.get_by_week_no())?;
        list(f, "BYYEARDAY", shape.get_by_year_day())?;
        list(f, "BYMONTHDAY", shape.get_by_month_day())?;
        let days: Vec<String> = shape
            .get_by_weekday()
            .iter()
            .map(|day| match day {
                NWeekday::Every(day) => weekday_code(*day).to_owned(),
                NWeekday::Nth(n, day) => format!("{n}{}", weekday_code(*day)),
            })
            .collect();
        list(f, "BYDAY", &days)?;
        list(f, "BYHOUR", shape.get_by_hour())?;
        list(f, "BYMINUTE", shape.get_by_minute())?;
        list(f, "BYSECOND", shape.get_by_second())?;
        list(f, "BYSETPOS", shape.get_by_set_pos())?;
        if shape.get_week_start() != Weekday::Mon {
            write!(f, ";WKST={}", weekday_code(shape.get_week_start()))?;
        }
        Ok(())
    }
}
