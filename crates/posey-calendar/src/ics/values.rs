//! Typed property values (RFC 5545 3.3) read from and written to their text: TEXT, DATE,
//! DATE-TIME, DURATION, UTC-OFFSET and PERIOD; TZIDs as clients send them resolved to IANA
//! zones, and VTIMEZONEs written for the zones we export. Errors are short and name the bad
//! text; the caller adds the property.

use std::borrow::Cow;

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, Months, NaiveDate, NaiveDateTime, NaiveTime, Offset,
    TimeZone, Timelike, Utc,
};
use chrono_tz::{OffsetComponents, OffsetName, Tz};

use super::Component;

/// TEXT unescaped: `\n` or `\N` a newline, `\,` `\;` `\\` the character. An unknown escape is
/// kept as written rather than losing the backslash.
pub fn text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n' | 'N') => out.push('\n'),
            Some(c @ (',' | ';' | '\\')) => out.push(c),
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

/// TEXT escaped; CRLF, CR and LF all become `\n`.
pub fn write_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {
                chars.next_if_eq(&'\n');
                out.push_str("\\n");
            }
            c => out.push(c),
        }
    }
    out
}

/// A list of TEXT (CATEGORIES, RESOURCES): split on the unescaped commas, each unescaped. An
/// empty value is no items.
pub fn text_list(value: &str) -> Vec<String> {
    if value.is_empty() {
        return Vec::new();
    }
    let mut items = Vec::new();
    let mut start = 0;
    let mut escaped = false;
    for (at, c) in value.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            ',' => {
                items.push(text(&value[start..at]));
                start = at + 1;
            }
            _ => {}
        }
    }
    items.push(text(&value[start..]));
    items
}

pub fn write_text_list(items: &[String]) -> String {
    items.iter().map(|item| write_text(item)).collect::<Vec<_>>().join(",")
}

/// DATE: `YYYYMMDD`.
pub fn date(value: &str) -> Result<NaiveDate, String> {
    let value = value.trim();
    let shown = shown(value);
    let bad = || format!("'{shown}' is not a date (YYYYMMDD)");
    if value.len() != 8 || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let (year, month, day) = (digits(&value[..4]), digits(&value[4..6]), digits(&value[6..]));
    NaiveDate::from_ymd_opt(year as i32, month, day)
        .ok_or_else(|| format!("'{shown}' is not a day of the calendar"))
}

pub fn write_date(d: NaiveDate) -> String {
    format!("{:04}{:02}{:02}", d.year(), d.month(), d.day())
}

/// DATE-TIME: `YYYYMMDDTHHMMSS`, `Z` after it for UTC (the bool). A leap second (60) reads as
/// 59, which chrono cannot otherwise hold here.
pub fn date_time(value: &str) -> Result<(NaiveDateTime, bool), String> {
    let value = value.trim();
    let shown = shown(value);
    let bad = || format!("'{shown}' is not a date-time (YYYYMMDDTHHMMSS, Z after it for UTC)");
    let (local, utc) = match value.strip_suffix(['Z', 'z']) {
        Some(local) => (local, true),
        None => (value, false),
    };
    let (day, time) = local.split_once(['T', 't']).ok_or_else(bad)?;
    if time.len() != 6 || !time.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let day = date(day).map_err(|_| bad())?;
    let (hour, minute, second) = (digits(&time[..2]), digits(&time[2..4]), digits(&time[4..]));
    let second = if second == 60 { 59 } else { second };
    let time = NaiveTime::from_hms_opt(hour, minute, second)
        .ok_or_else(|| format!("'{shown}' is not a time of day"))?;
    Ok((day.and_time(time), utc))
}

pub fn write_date_time(at: NaiveDateTime, utc: bool) -> String {
    format!(
        "{}T{:02}{:02}{:02}{}",
        write_date(at.date()),
        at.hour(),
        at.minute(),
        at.second(),
        if utc { "Z" } else { "" }
    )
}

/// No event or alarm needs longer; bigger is a typo or an attack on date arithmetic.
const MAX_DURATION_DAYS: i64 = 36_525;

/// DURATION (3.3.6): `[+-]P` then `nW`, or `nD` and/or `T` with `nH` `nM` `nS` in that order.
/// Weeks mixed with days or a time (`P1W2D`), which some clients write, are read too.
pub fn duration(value: &str) -> Result<Duration, String> {
    let value = value.trim();
    let shown = shown(value);
    let bad = |why: &str| format!("'{shown}' is not a duration: {why}");
    let (negative, rest) = match value.as_bytes().first() {
        Some(b'-') => (true, &value[1..]),
        Some(b'+') => (false, &value[1..]),
        _ => (false, value),
    };
    let rest = rest.strip_prefix(['P', 'p']).ok_or_else(|| bad("it starts with P"))?;
    let (date_part, time_part) = match rest.split_once(['T', 't']) {
        Some((_, "")) => return Err(bad("T has nothing after it")),
        Some((date_part, time_part)) => (date_part, time_part),
        None => (rest, ""),
    };
    let mut seconds = 0;
    let mut parts = 0;
    add_units(date_part, &[('W', 604_800), ('D', 86_400)], &mut seconds, &mut parts)
        .map_err(|why| bad(&why))?;
    add_units(time_part, &[('H', 3_600), ('M', 60), ('S', 1)], &mut seconds, &mut parts)
        .map_err(|why| bad(&why))?;
    if parts == 0 {
        return Err(bad("it has no length"));
    }
    Ok(Duration::seconds(if negative { -seconds } else { seconds }))
}

/// Adds up `text`'s `<number><unit>` parts, units in the order of `units` (letter, seconds).
fn add_units(
    text: &str,
    units: &[(char, i64)],
    seconds: &mut i64,
    parts: &mut usize,
) -> Result<(), String> {
    let mut rest = text;
    let mut next_unit = 0;
    while !rest.is_empty() {
        let count_end = rest.find(|c: char| !c.is_ascii_digit()).unwrap_or(rest.len());
        let Some(letter) = rest[count_end..].chars().next() else {
            return Err("a number has no unit after it".into());
        };
        let letter = letter.to_ascii_uppercase();
        let Some(position) = units[next_unit..].iter().position(|(unit, _)| *unit == letter) else {
            return Err(format!("'{letter}' is out of place"));
        };
        // Twelve digits keep the sum far from overflow before the size check below.
        if count_end == 0 || count_end > 12 {
            return Err(format!("'{letter}' needs a number of up to 12 digits"));
        }
        next_unit += position;
        *seconds += digits_i64(&rest[..count_end]) * units[next_unit].1;
        if *seconds > MAX_DURATION_DAYS * 86_400 {
            return Err("it is longer than 100 years".into());
        }
        next_unit += 1;
        *parts += 1;
        rest = &rest[count_end + 1..];
    }
    Ok(())
}

/// Canonical: `P1W` for whole weeks, else days then time (`P1DT2H`, `-PT15M`); `PT0S` for
/// zero. Fractions of a second are dropped.
pub fn write_duration(d: Duration) -> String {
    let total = d.num_seconds();
    let mut out = String::from(if total < 0 { "-P" } else { "P" });
    let total = total.unsigned_abs();
    if total == 0 {
        out.push_str("T0S");
        return out;
    }
    if total.is_multiple_of(604_800) {
        out.push_str(&format!("{}W", total / 604_800));
        return out;
    }
    let (days, rest) = (total / 86_400, total % 86_400);
    let (hours, minutes, seconds) = (rest / 3_600, rest % 3_600 / 60, rest % 60);
    if days > 0 {
        out.push_str(&format!("{days}D"));
    }
    if rest > 0 {
        out.push('T');
        // RFC 5545's grammar has no hours followed straight by seconds: `T1H0M5S`.
        if hours > 0 {
            out.push_str(&format!("{hours}H"));
        }
        if minutes > 0 || (hours > 0 && seconds > 0) {
            out.push_str(&format!("{minutes}M"));
        }
        if seconds > 0 {
            out.push_str(&format!("{seconds}S"));
        }
    }
    out
}

/// UTC-OFFSET: `+HHMM` or `+HHMMSS` (`-` west of Greenwich).
pub fn utc_offset(value: &str) -> Result<FixedOffset, String> {
    let value = value.trim();
    let shown = shown(value);
    let bad = || format!("'{shown}' is not a UTC offset (+HHMM or +HHMMSS)");
    let (sign, rest) = match value.as_bytes().first() {
        Some(b'+') => (1, &value[1..]),
        Some(b'-') => (-1, &value[1..]),
        _ => return Err(bad()),
    };
    if !matches!(rest.len(), 4 | 6) || !rest.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let (hours, minutes) = (digits(&rest[..2]), digits(&rest[2..4]));
    let seconds = if rest.len() == 6 { digits(&rest[4..]) } else { 0 };
    if hours > 23 || minutes > 59 || seconds > 59 {
        return Err(bad());
    }
    let total = (hours * 3_600 + minutes * 60 + seconds) as i32;
    FixedOffset::east_opt(sign * total).ok_or_else(bad)
}

pub fn write_utc_offset(o: FixedOffset) -> String {
    let total = o.local_minus_utc();
    let sign = if total < 0 { '-' } else { '+' };
    let total = total.unsigned_abs();
    let (hours, minutes, seconds) = (total / 3_600, total % 3_600 / 60, total % 60);
    if seconds == 0 {
        format!("{sign}{hours:02}{minutes:02}")
    } else {
        format!("{sign}{hours:02}{minutes:02}{seconds:02}")
    }
}

/// How a PERIOD ends: at a date-time (UTC or not) or after a duration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PeriodEnd {
    End(NaiveDateTime, bool),
    Duration(Duration),
}

/// PERIOD (RDATE;VALUE=PERIOD): `start/end` or `start/duration`; the start's bool is "UTC".
pub fn period(value: &str) -> Result<(NaiveDateTime, bool, PeriodEnd), String> {
    let value = value.trim();
    let shown = shown(value);
    let Some((start, end)) = value.split_once('/') else {
        return Err(format!("'{shown}' is not a period (start/end or start/duration)"));
    };
    let (start, utc) = date_time(start)?;
    let end = if end.starts_with(['P', 'p', '+', '-']) {
        let length = duration(end)?;
        if length < Duration::zero() {
            return Err(format!("'{shown}' is a period that runs backwards"));
        }
        PeriodEnd::Duration(length)
    } else {
        let (end, end_utc) = date_time(end)?;
        if end_utc == utc && end < start {
            return Err(format!("'{shown}' is a period that ends before it starts"));
        }
        PeriodEnd::End(end, end_utc)
    };
    Ok((start, utc, end))
}

pub fn write_period(start: NaiveDateTime, utc: bool, end: PeriodEnd) -> String {
    let end = match end {
        PeriodEnd::End(at, utc) => write_date_time(at, utc),
        PeriodEnd::Duration(length) => write_duration(length),
    };
    format!("{}/{end}", write_date_time(start, utc))
}

/// The IANA zone a TZID means: an IANA name (exactly, then ignoring case), one behind a
/// vendor prefix (`/mozilla.org/20050126_1/Europe/Berlin`), a Windows zone name as Outlook and
/// Exchange send (`W. Europe Standard Time`) or Outlook's display name for one.
pub fn resolve_tzid(tzid: &str) -> Option<Tz> {
    let tzid = tzid.trim().trim_matches('"');
    if let Some(zone) = iana(tzid) {
        return Some(zone);
    }
    if let Some(&(_, zone)) =
        WINDOWS_ZONES.iter().find(|(windows, _)| windows.eq_ignore_ascii_case(tzid))
    {
        return zone.parse().ok();
    }
    // "(UTC+01:00) Amsterdam, Berlin, ...": the cities say which; older ones say "(GMT+01:00)".
    if let Some((_, cities)) = tzid.strip_prefix('(').and_then(|rest| rest.split_once(')')) {
        let cities = cities.trim();
        return DISPLAY_NAMES
            .iter()
            .find(|(names, _)| names.eq_ignore_ascii_case(cities))
            .and_then(|(_, zone)| zone.parse().ok());
    }
    // Successively shorter tails after a '/': "/vendor/version/Area/City" ends in the name.
    tzid.match_indices('/').find_map(|(at, _)| iana(&tzid[at + 1..]))
}

/// The longest IANA name is 32 bytes; anything much longer is not one, and skipping it keeps
/// a hostile TZID of many '/'s from costing more than linear time.
const MAX_ZONE_NAME: usize = 64;

fn iana(name: &str) -> Option<Tz> {
    if name.len() > MAX_ZONE_NAME {
        return None;
    }
    name.parse::<Tz>().ok().or_else(|| {
        chrono_tz::TZ_VARIANTS.into_iter().find(|z| z.name().eq_ignore_ascii_case(name))
    })
}

/// CLDR windowsZones.xml's territory "001" mappings for the zones calendars commonly carry.
const WINDOWS_ZONES: &[(&str, &str)] = &[
    ("Dateline Standard Time", "Etc/GMT+12"),
    ("UTC-11", "Etc/GMT+11"),
    ("Hawaiian Standard Time", "Pacific/Honolulu"),
    ("Alaskan Standard Time", "America/Anchorage"),
    ("Pacific Standard Time (Mexico)", "America/Tijuana"),
    ("Pacific Standard Time", "America/Los_Angeles"),
    ("US Mountain Standard Time", "America/Phoenix"),
    ("Mountain Standard Time (Mexico)", "America/Mazatlan"),
    ("Mountain Standard Time", "America/Denver"),
    ("Central America Standard Time", "America/Guatemala"),
    ("Central Standard Time (Mexico)", "America/Mexico_City"),
    ("Central Standard Time", "America/Chicago"),
    ("Canada Central Standard Time", "America/Regina"),
    ("SA Pacific Standard Time", "America/Bogota"),
    ("Eastern Standard Time (Mexico)", "America/Cancun"),
    ("Eastern Standard Time", "America/New_York"),
    ("US Eastern Standard Time", "America/Indiana/Indianapolis"),
    ("Venezuela Standard Time", "America/Caracas"),
    ("Atlantic Standard Time", "America/Halifax"),
    ("SA Western Standard Time", "America/La_Paz"),
    ("Pacific SA Standard Time", "America/Santiago"),
    ("Newfoundland Standard Time", "America/St_Johns"),
    ("E. South America Standard Time", "America/Sao_Paulo"),
    ("Argentina Standard Time", "America/Argentina/Buenos_Aires"),
    ("SA Eastern Standard Time", "America/Cayenne"),
    ("Montevideo Standard Time", "America/Montevideo"),
    ("UTC-02", "Etc/GMT+2"),
    ("Azores Standard Time", "Atlantic/Azores"),
    ("Cape Verde Standard Time", "Atlantic/Cape_Verde"),
    ("UTC", "UTC"),
    ("GMT Standard Time", "Europe/London"),
    ("Greenwich Standard Time", "Atlantic/Reykjavik"),
    ("Morocco Standard Time", "Africa/Casablanca"),
    ("W. Europe Standard Time", "Europe/Berlin"),
    ("Central Europe Standard Time", "Europe/Budapest"),
    ("Romance Standard Time", "Europe/Paris"),
    ("Central European Standard Time", "Europe/Warsaw"),
    ("W. Central Africa Standard Time", "Africa/Lagos"),
    ("GTB Standard Time", "Europe/Bucharest"),
    ("Middle East Standard Time", "Asia/Beirut"),
    ("Egypt Standard Time", "Africa/Cairo"),
    ("E. Europe Standard Time", "Europe/Chisinau"),
    ("South Africa Standard Time", "Africa/Johannesburg"),
    ("FLE Standard Time", "Europe/Kyiv"),
    ("Israel Standard Time", "Asia/Jerusalem"),
    ("Kaliningrad Standard Time", "Europe/Kaliningrad"),
    ("Jordan Standard Time", "Asia/Amman"),
    ("Arabic Standard Time", "Asia/Baghdad"),
    ("Turkey Standard Time", "Europe/Istanbul"),
    ("Arab Standard Time", "Asia/Riyadh"),
    ("Belarus Standard Time", "Europe/Minsk"),
    ("Russian Standard Time", "Europe/Moscow"),
    ("E. Africa Standard Time", "Africa/Nairobi"),
    ("Iran Standard Time", "Asia/Tehran"),
    ("Arabian Standard Time", "Asia/Dubai"),
    ("Azerbaijan Standard Time", "Asia/Baku"),
    ("Georgian Standard Time", "Asia/Tbilisi"),
    ("Caucasus Standard Time", "Asia/Yerevan"),
    ("Afghanistan Standard Time", "Asia/Kabul"),
    ("Ekaterinburg Standard Time", "Asia/Yekaterinburg"),
    ("Pakistan Standard Time", "Asia/Karachi"),
    ("West Asia Standard Time", "Asia/Tashkent"),
    ("India Standard Time", "Asia/Kolkata"),
    ("Sri Lanka Standard Time", "Asia/Colombo"),
    ("Nepal Standard Time", "Asia/Kathmandu"),
    ("Central Asia Standard Time", "Asia/Almaty"),
    ("Bangladesh Standard Time", "Asia/Dhaka"),
    ("Myanmar Standard Time", "Asia/Yangon"),
    ("SE Asia Standard Time", "Asia/Bangkok"),
    ("North Asia Standard Time", "Asia/Krasnoyarsk"),
    ("China Standard Time", "Asia/Shanghai"),
    ("Singapore Standard Time", "Asia/Singapore"),
    ("W. Australia Standard Time", "Australia/Perth"),
    ("Taipei Standard Time", "Asia/Taipei"),
    ("Tokyo Standard Time", "Asia/Tokyo"),
    ("Korea Standard Time", "Asia/Seoul"),
    ("Cen. Australia Standard Time", "Australia/Adelaide"),
    ("AUS Central Standard Time", "Australia/Darwin"),
    ("E. Australia Standard Time", "Australia/Brisbane"),
    ("AUS Eastern Standard Time", "Australia/Sydney"),
    ("West Pacific Standard Time", "Pacific/Port_Moresby"),
    ("Tasmania Standard Time", "Australia/Hobart"),
    ("Vladivostok Standard Time", "Asia/Vladivostok"),
    ("Central Pacific Standard Time", "Pacific/Guadalcanal"),
    ("New Zealand Standard Time", "Pacific/Auckland"),
    ("Fiji Standard Time", "Pacific/Fiji"),
    ("Tonga Standard Time", "Pacific/Tongatapu"),
    ("Samoa Standard Time", "Pacific/Apia"),
];

/// Outlook's display names (without their "(UTC+01:00)" part) for the most common zones.
const DISPLAY_NAMES: &[(&str, &str)] = &[
    ("Amsterdam, Berlin, Bern, Rome, Stockholm, Vienna", "Europe/Berlin"),
    ("Brussels, Copenhagen, Madrid, Paris", "Europe/Paris"),
    ("Belgrade, Bratislava, Budapest, Ljubljana, Prague", "Europe/Budapest"),
    ("Sarajevo, Skopje, Warsaw, Zagreb", "Europe/Warsaw"),
    ("Dublin, Edinburgh, Lisbon, London", "Europe/London"),
    ("Athens, Bucharest", "Europe/Bucharest"),
    ("Helsinki, Kyiv, Riga, Sofia, Tallinn, Vilnius", "Europe/Kyiv"),
    ("Helsinki, Kiev, Riga, Sofia, Tallinn, Vilnius", "Europe/Kyiv"),
    ("Moscow, St. Petersburg", "Europe/Moscow"),
    ("Coordinated Universal Time", "UTC"),
    ("Eastern Time (US & Canada)", "America/New_York"),
    ("Central Time (US & Canada)", "America/Chicago"),
    ("Mountain Time (US & Canada)", "America/Denver"),
    ("Pacific Time (US & Canada)", "America/Los_Angeles"),
    ("Arizona", "America/Phoenix"),
    ("Brasilia", "America/Sao_Paulo"),
    ("Chennai, Kolkata, Mumbai, New Delhi", "Asia/Kolkata"),
    ("Beijing, Chongqing, Hong Kong, Urumqi", "Asia/Shanghai"),
    ("Kuala Lumpur, Singapore", "Asia/Singapore"),
    ("Osaka, Sapporo, Tokyo", "Asia/Tokyo"),
    ("Canberra, Melbourne, Sydney", "Australia/Sydney"),
    ("Auckland, Wellington", "Pacific/Auckland"),
];

/// A VTIMEZONE for `zone` between `from` and `to` (at most 50 years), so a client without an
/// IANA database reads our times right: first the offset in force at `from`, then one
/// STANDARD or DAYLIGHT per change of offset.
pub fn vtimezone(zone: Tz, from: NaiveDate, to: NaiveDate) -> Component {
    let to = from.checked_add_months(Months::new(50 * 12)).map_or(to, |cap| to.min(cap));
    let start = Utc.from_utc_datetime(&from.and_time(NaiveTime::MIN));
    let day_after = |at: DateTime<Utc>| at.checked_add_signed(Duration::days(1)).unwrap_or(at);
    let end = day_after(Utc.from_utc_datetime(&to.and_time(NaiveTime::MIN)));
    let offset_at = |at: DateTime<Utc>| zone.offset_from_utc_datetime(&at.naive_utc());

    let mut timezone = Component::new("VTIMEZONE");
    timezone.push("TZID", zone.name());
    let first = offset_at(start);
    timezone.components.push(onset(from.and_time(NaiveTime::MIN), first.fix(), &first));

    // chrono-tz has no list of transitions: look a day at a time, then bisect to the second.
    let mut before = start;
    while before < end {
        let old = offset_at(before).fix();
        let after = day_after(before).min(end);
        if offset_at(after).fix() == old {
            before = after;
            continue;
        }
        let (mut same, mut changed) = (before, after);
        while changed - same > Duration::seconds(1) {
            let middle = same + (changed - same) / 2;
            if offset_at(middle).fix() == old {
                same = middle;
            } else {
                changed = middle;
            }
        }
        let new = offset_at(changed);
        // DTSTART is the wall time the change happens at, read in the offset before it.
        let local = changed.naive_utc() + Duration::seconds(old.local_minus_utc().into());
        timezone.components.push(onset(local, old, &new));
        before = changed;
    }
    timezone
}

/// One STANDARD or DAYLIGHT: from offset `old` to `new` at wall time `local`.
fn onset(local: NaiveDateTime, old: FixedOffset, new: &chrono_tz::TzOffset) -> Component {
    let daylight = new.dst_offset() != Duration::zero();
    let mut onset = Component::new(if daylight { "DAYLIGHT" } else { "STANDARD" });
    onset.push("DTSTART", write_date_time(local, false));
    onset.push("TZOFFSETFROM", write_utc_offset(old));
    onset.push("TZOFFSETTO", write_utc_offset(new.fix()));
    if let Some(name) = new.abbreviation() {
        onset.push("TZNAME", write_text(name));
    }
    onset
}

/// `text` as an error message shows it: cut short, as a value can be kilobytes long.
pub(super) fn shown(text: &str) -> Cow<'_, str> {
    const MAX: usize = 40;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => Cow::Owned(format!("{}...", &text[..cut])),
        None => Cow::Borrowed(text),
    }
}

/// The number in a run of ASCII digits already checked.
fn digits(text: &str) -> u32 {
    text.bytes().fold(0, |n, b| n * 10 + u32::from(b - b'0'))
}

fn digits_i64(text: &str) -> i64 {
    text.bytes().fold(0, |n, b| n * 10 + i64::from(b - b'0'))
}

#[cfg(test)]
mod tests;
