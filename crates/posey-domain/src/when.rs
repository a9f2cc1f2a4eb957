//! `Moment`: when a person said something should happen, read from the English time phrases
//! people give a reminder ("tomorrow at 6 pm", "in 20 minutes", "on Friday", "at 7:30 am on
//! 24 December"), relative to their "now" in their zone. Only a whole phrase is read: words it
//! does not know make it no moment, never a guess.

use chrono::{
    DateTime, Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime, TimeDelta, Utc, Weekday,
};
use chrono_tz::Tz;

/// A time a person named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moment {
    /// An exact instant ("in 20 minutes").
    Instant(DateTime<Utc>),
    /// A wall-clock time in the person's zone ("tomorrow at 9"), placed by the zone's rules
    /// (DST) where it is used.
    Local(NaiveDateTime),
}

impl Moment {
    /// The moment as a wall-clock time in `zone`.
    pub fn local(&self, zone: Tz) -> NaiveDateTime {
        match self {
            Self::Instant(at) => at.with_timezone(&zone).naive_local(),
            Self::Local(at) => *at,
        }
    }

    /// RFC 3339 for an instant, `YYYY-MM-DDTHH:MM:SS` (no offset: the person's zone) for a
    /// wall-clock time.
    pub fn to_wire(&self) -> String {
        match self {
            Self::Instant(at) => at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            Self::Local(at) => at.format("%Y-%m-%dT%H:%M:%S").to_string(),
        }
    }
}

/// The longest time phrase that ends `text` (else the longest that starts it), read as a
/// moment: what is left of the text (trimmed of spaces and commas) and the moment.
pub fn split_moment(text: &str, now: DateTime<Tz>) -> Option<(String, Moment)> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let longest = words.len().min(MAX_PHRASE_WORDS);
    let rest = |kept: &[&str]| kept.join(" ").trim_matches([',', ' ', ':', ';']).to_owned();
    for taken in (1..=longest).rev() {
        let (kept, phrase) = words.split_at(words.len() - taken);
        if let Some(moment) = read(phrase, now) {
            return Some((rest(kept), moment));
        }
    }
    for taken in (1..=longest).rev() {
        let (phrase, kept) = words.split_at(taken);
        if let Some(moment) = read(phrase, now) {
            return Some((rest(kept), moment));
        }
    }
    None
}

/// The whole of `phrase` as a moment.
pub fn parse_moment(phrase: &str, now: DateTime<Tz>) -> Option<Moment> {
    let words: Vec<&str> = phrase.split_whitespace().collect();
    (!words.is_empty() && words.len() <= MAX_PHRASE_WORDS).then(|| read(&words, now)).flatten()
}

/// The most words a phrase has ("at half past 7 in the evening on the 24th of December 2027"
/// is fewer).
const MAX_PHRASE_WORDS: usize = 12;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Period {
    Morning,
    Afternoon,
    Evening,
    Night,
}

impl Period {
    fn of(word: &str) -> Option<Self> {
        match word {
            "morning" => Some(Self::Morning),
            "afternoon" => Some(Self::Afternoon),
            "evening" => Some(Self::Evening),
            "night" => Some(Self::Night),
            _ => None,
        }
    }

    /// The hour a period names when no time is given ("tomorrow morning").
    fn default_hour(self) -> u32 {
        match self {
            Self::Morning => 9,
            Self::Afternoon => 15,
            Self::Evening => 19,
            Self::Night => 21,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Meridiem {
    Am,
    Pm,
}

/// A time of day as said: the hour may still need its half of the day.
#[derive(Debug, Clone, Copy)]
struct Said {
    hour: u32,
    minute: u32,
    meridiem: Option<Meridiem>,
}

/// What a phrase said, each part at most once.
#[derive(Debug, Default)]
struct Parts {
    after: Option<TimeDelta>,
    date: Option<NaiveDate>,
    period: Option<Period>,
    time: Option<Said>,
}

/// Sets `slot` once; a second value makes the phrase no moment.
fn set<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    *slot = Some(value);
    Some(())
}

/// The words, lower-cased, without the punctuation around them; "a.m." is "am".
fn normalise(words: &[&str]) -> Vec<String> {
    words
        .iter()
        .map(|word| {
            let word = word.to_lowercase();
            let word = word.trim_matches(|c: char| matches!(c, ',' | '!' | '?' | ';' | '(' | ')'));
            let word = match word {
                "a.m." | "a.m" => "am",
                "p.m." | "p.m" => "pm",
                other => other.trim_end_matches('.'),
            };
            word.to_owned()
        })
        .collect()
}

fn read(words: &[&str], now: DateTime<Tz>) -> Option<Moment> {
    let words = normalise(words);
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    let today = now.date_naive();
    let mut parts = Parts::default();
    let mut at = 0;
    while at < words.len() {
        at += step(&words[at..], today, &mut parts)?;
    }
    resolve(parts, now)
}

/// Reads one part at the start of `words` into `parts`: how many words it took.
fn step(words: &[&str], today: NaiveDate, parts: &mut Parts) -> Option<usize> {
    let word = words[0];
    let next = words.get(1).copied().unwrap_or("");
    match word {
        "today" => set(&mut parts.date, today).map(|()| 1),
        "tonight" => {
            set(&mut parts.date, today)?;
            set(&mut parts.period, Period::Night).map(|()| 1)
        }
        "tomorrow" => set(&mut parts.date, today + Days::new(1)).map(|()| 1),
        "the" | "day" if words.starts_with(&["the", "day", "after", "tomorrow"]) => {
            set(&mut parts.date, today + Days::new(2)).map(|()| 4)
        }
        "day" if words.starts_with(&["day", "after", "tomorrow"]) => {
            set(&mut parts.date, today + Days::new(2)).map(|()| 3)
        }
        "in" if next == "the" => {
            let period = Period::of(words.get(2)?).filter(|p| *p != Period::Night)?;
            set(&mut parts.period, period).map(|()| 3)
        }
        "in" => {
            let (after, taken) = duration(&words[1..])?;
            set(&mut parts.after, after).map(|()| taken + 1)
        }
        "this" => {
            if let Some(period) = Period::of(next) {
                set(&mut parts.date, today)?;
                return set(&mut parts.period, period).map(|()| 2);
            }
            let day = weekday(next)?;
            set(&mut parts.date, on_or_after(today, day)).map(|()| 2)
        }
        "next" => {
            let day = weekday(next)?;
            set(&mut parts.date, after_today(today, day)).map(|()| 2)
        }
        "on" => {
            let rest = &words[1..];
            let (date, taken) = match rest.first().copied() {
                Some("next") => (after_today(today, weekday(rest.get(1)?)?), 2),
                Some(first) => match weekday(first) {
                    Some(day) => (after_today(today, day), 1),
                    None => date(rest, today)?,
                },
                None => return None,
            };
            set(&mut parts.date, date).map(|()| taken + 1)
        }
        "at" if next == "night" => set(&mut parts.period, Period::Night).map(|()| 2),
        "at" => {
            let (said, taken) = time(&words[1..], true)?;
            set(&mut parts.time, said).map(|()| taken + 1)
        }
        "noon" | "midday" | "midnight" => {
            let (said, taken) = time(words, false)?;
            set(&mut parts.time, said).map(|()| taken)
        }
        _ => {
            if let Some(day) = weekday(word) {
                // A period right after a day: "Friday evening".
                set(&mut parts.date, after_today(today, day))?;
                return Some(1);
            }
            if let Some(period) = Period::of(word)
                && parts.date.is_some()
            {
                return set(&mut parts.period, period).map(|()| 1);
            }
            if let Some((said, taken)) = time(words, false) {
                return set(&mut parts.time, said).map(|()| taken);
            }
            let (date, taken) = date(words, today)?;
            set(&mut parts.date, date).map(|()| taken)
        }
    }
}

/// "20 minutes", "an hour", "half an hour", "2 days", "a week": the duration and the words.
fn duration(words: &[&str]) -> Option<(TimeDelta, usize)> {
    if words.starts_with(&["half", "an", "hour"]) {
        return Some((TimeDelta::minutes(30), 3));
    }
    let count: i64 = match *words.first()? {
        "a" | "an" | "one" => 1,
        "two" => 2,
        "three" => 3,
        "four" => 4,
        "five" => 5,
        "ten" => 10,
        "fifteen" => 15,
        "twenty" => 20,
        "thirty" => 30,
        "forty-five" => 45,
        digits => digits.parse().ok().filter(|n| (1..=10_000).contains(n))?,
    };
    let unit = match *words.get(1)? {
        "minute" | "minutes" | "min" | "mins" => TimeDelta::minutes(1),
        "hour" | "hours" | "hr" | "hrs" => TimeDelta::hours(1),
        "day" | "days" => TimeDelta::days(1),
        "week" | "weeks" => TimeDelta::weeks(1),
        _ => return None,
    };
    Some((unit * count as i32, 2))
}

/// A time of day at the start of `words`: "6", "6pm", "6 pm", "6:30", "18:30", "7.30 am",
/// "6 o'clock", "noon", "midnight". A bare number is a time only after "at" (`after_at`).
fn time(words: &[&str], after_at: bool) -> Option<(Said, usize)> {
    let first = *words.first()?;
    match first {
        "noon" | "midday" => {
            return Some((Said { hour: 12, minute: 0, meridiem: Some(Meridiem::Pm) }, 1));
        }
        "midnight" => return Some((Said { hour: 0, minute: 0, meridiem: None }, 1)),
        _ => {}
    }
    let (clock, attached) = match first.strip_suffix("am") {
        Some(clock) => (clock, Some(Meridiem::Am)),
        None => match first.strip_suffix("pm") {
            Some(clock) => (clock, Some(Meridiem::Pm)),
            None => (first, None),
        },
    };
    let (hour, minute, colon) = match clock.split_once([':', '.']) {
        Some((hour, minute)) if minute.len() == 2 => (hour, minute.parse().ok()?, true),
        Some(_) => return None,
        None => (clock, 0, false),
    };
    if hour.is_empty() || hour.len() > 2 || !hour.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let hour: u32 = hour.parse().ok()?;
    let mut taken = 1;
    let meridiem = match (attached, words.get(1).copied()) {
        (Some(meridiem), _) => Some(meridiem),
        (None, Some("am")) => {
            taken += 1;
            Some(Meridiem::Am)
        }
        (None, Some("pm")) => {
            taken += 1;
            Some(Meridiem::Pm)
        }
        (None, Some("o'clock" | "oclock")) => {
            taken += 1;
            None
        }
        _ if colon || after_at => None,
        _ => return None,
    };
    let valid = match meridiem {
        Some(_) => (1..=12).contains(&hour),
        None => hour <= 23,
    };
    (valid && minute <= 59).then_some((Said { hour, minute, meridiem }, taken))
}

fn weekday(word: &str) -> Option<Weekday> {
    let day = match word {
        "monday" | "mon" => Weekday::Mon,
        "tuesday" | "tue" | "tues" => Weekday::Tue,
        "wednesday" | "wed" => Weekday::Wed,
        "thursday" | "thu" | "thur" | "thurs" => Weekday::Thu,
        "friday" | "fri" => Weekday::Fri,
        "saturday" | "sat" => Weekday::Sat,
        "sunday" | "sun" => Weekday::Sun,
        _ => return None,
    };
    Some(day)
}

fn month(word: &str) -> Option<u32> {
    const MONTHS: [&str; 12] = [
        "january",
        "february",
        "march",
        "april",
        "may",
        "june",
        "july",
        "august",
        "september",
        "october",
        "november",
        "december",
    ];
    MONTHS.iter().position(|name| word.len() >= 3 && name.starts_with(word)).map(|at| at as u32 + 1)
}

/// "24", "24th", "1st": a day of the month.
fn day_of_month(word: &str) -> Option<u32> {
    let digits = word
        .strip_suffix("st")
        .or_else(|| word.strip_suffix("nd"))
        .or_else(|| word.strip_suffix("rd"))
        .or_else(|| word.strip_suffix("th"))
        .unwrap_or(word);
    if digits.is_empty() || digits.len() > 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|day| (1..=31).contains(day))
}

fn year(word: &str) -> Option<i32> {
    (word.len() == 4).then(|| word.parse().ok()).flatten().filter(|y| (2000..=2200).contains(y))
}

/// A calendar date at the start of `words`: "2026-12-24", "24 December", "the 24th of
/// December 2027", "December 24th", "Dec 24, 2027". Without a year: the next such date from
/// today on.
fn date(words: &[&str], today: NaiveDate) -> Option<(NaiveDate, usize)> {
    if let Ok(date) = NaiveDate::parse_from_str(words.first()?, "%Y-%m-%d") {
        return Some((date, 1));
    }
    let the = usize::from(words.first() == Some(&"the"));
    let words_after = &words[the..];
    let (day, month, taken) = if let Some(day) = words_after.first().and_then(|w| day_of_month(w)) {
        let of = usize::from(words_after.get(1) == Some(&"of"));
        let month = month(words_after.get(1 + of)?)?;
        (day, month, the + 2 + of)
    } else if the == 0 {
        let month = month(words.first()?)?;
        let day = day_of_month(words.get(1)?)?;
        (day, month, 2)
    } else {
        return None;
    };
    if let Some(year) = words.get(taken).and_then(|w| year(w)) {
        return NaiveDate::from_ymd_opt(year, month, day).map(|date| (date, taken + 1));
    }
    let this_year = NaiveDate::from_ymd_opt(today.year(), month, day);
    let date = match this_year {
        Some(date) if date >= today => date,
        _ => NaiveDate::from_ymd_opt(today.year() + 1, month, day)?,
    };
    Some((date, taken))
}

/// The next `day` after today (a week on, when today is that day).
fn after_today(today: NaiveDate, day: Weekday) -> NaiveDate {
    let ahead = (7 + day.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
    today + Days::new(if ahead == 0 { 7 } else { u64::from(ahead) })
}

/// Today when it is `day`, else the next `day`.
fn on_or_after(today: NaiveDate, day: Weekday) -> NaiveDate {
    let ahead = (7 + day.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
    today + Days::new(u64::from(ahead))
}

fn resolve(parts: Parts, now: DateTime<Tz>) -> Option<Moment> {
    let Parts { after, date, period, time } = parts;
    if let Some(after) = after {
        if date.is_some() || period.is_some() || time.is_some() {
            return None;
        }
        return Some(Moment::Instant(now.with_timezone(&Utc) + after));
    }
    let local_now = now.naive_local();
    let today = local_now.date();
    let at = |date: NaiveDate, hour: u32, minute: u32| {
        Some(date.and_time(NaiveTime::from_hms_opt(hour, minute, 0)?))
    };
    let moment = match (date, time) {
        (date, Some(said)) => {
            let hour = match (said.meridiem, period) {
                (Some(Meridiem::Am), _) => said.hour % 12,
                (Some(Meridiem::Pm), _) => said.hour % 12 + 12,
                (None, Some(Period::Afternoon | Period::Evening | Period::Night))
                    if said.hour < 12 =>
                {
                    said.hour + 12
                }
                (None, Some(Period::Night)) if said.hour == 12 => {
                    // "Tonight at 12": midnight at the end of the day.
                    return at(date.unwrap_or(today) + Days::new(1), 0, said.minute)
                        .map(Moment::Local);
                }
                (None, _) => said.hour,
            };
            match date {
                Some(date) => {
                    // A bare early hour on another day is the afternoon's ("tomorrow at 5").
                    let hour =
                        if said.meridiem.is_none() && period.is_none() && (1..=6).contains(&hour) {
                            hour + 12
                        } else {
                            hour
                        };
                    at(date, hour, said.minute)?
                }
                None => {
                    // The next time the clock shows it: today's, else the evening's for a
                    // bare hour, else tomorrow's.
                    let mut candidates = vec![at(today, hour, said.minute)?];
                    if said.meridiem.is_none() && period.is_none() && (1..12).contains(&hour) {
                        candidates.push(at(today, hour + 12, said.minute)?);
                    }
                    candidates.push(at(today + Days::new(1), hour, said.minute)?);
                    candidates.into_iter().find(|candidate| *candidate > local_now)?
                }
            }
        }
        (Some(date), None) => match period {
            Some(period) => at(date, period.default_hour(), 0)?,
            // "Today" alone names no time; another day alone is its morning.
            None if date == today => return None,
            None => at(date, Period::Morning.default_hour(), 0)?,
        },
        (None, None) => return None,
    };
    Some(Moment::Local(moment))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;

    /// Saturday 5 December 2026, 10:15 in Lisbon.
    fn now() -> DateTime<Tz> {
        chrono_tz::Europe::Lisbon.with_ymd_and_hms(2026, 12, 5, 10, 15, 0).unwrap()
    }

    fn local(text: &str) -> Option<String> {
        match parse_moment(text, now())? {
            Moment::Local(at) => Some(at.format("%Y-%m-%d %H:%M").to_string()),
            Moment::Instant(at) => Some(format!("instant {}", at.format("%Y-%m-%d %H:%M"))),
        }
    }

    #[test]
    fn days_and_times_are_read_in_any_order() {
        let cases = [
            ("tomorrow at 6 pm", "2026-12-06 18:00"),
            ("at 6 pm tomorrow", "2026-12-06 18:00"),
            ("tomorrow at 7:30 am", "2026-12-06 07:30"),
            ("tomorrow at 8:15 a.m.", "2026-12-06 08:15"),
            ("tomorrow at 21:00", "2026-12-06 21:00"),
            ("tomorrow 6pm", "2026-12-06 18:00"),
            ("on Monday at 9", "2026-12-07 09:00"),
            ("Monday at 10:30am", "2026-12-07 10:30"),
            ("next friday at noon", "2026-12-11 12:00"),
            ("on the 24th of December at 7 in the evening", "2026-12-24 19:00"),
            ("on 24 December 2027 at 8am", "2027-12-24 08:00"),
            ("December 31st at 11:59 pm", "2026-12-31 23:59"),
            ("on 2027-01-02 at 09:00", "2027-01-02 09:00"),
            ("at 6 o'clock tomorrow", "2026-12-06 18:00"),
            ("the day after tomorrow at 9am", "2026-12-07 09:00"),
        ];
        for (text, expected) in cases {
            assert_eq!(local(text).as_deref(), Some(expected), "{text}");
        }
    }

    #[test]
    fn a_time_alone_is_the_next_time_the_clock_shows_it() {
        // 10:15 now: 11 is this morning's, 9 this evening's, 8:00 am tomorrow's.
        assert_eq!(local("at 11").as_deref(), Some("2026-12-05 11:00"));
        assert_eq!(local("at 9").as_deref(), Some("2026-12-05 21:00"));
        assert_eq!(local("at 8am").as_deref(), Some("2026-12-06 08:00"));
        assert_eq!(local("at 10:00").as_deref(), Some("2026-12-05 22:00"));
        assert_eq!(local("at 18:45").as_deref(), Some("2026-12-05 18:45"));
        assert_eq!(local("at midnight").as_deref(), Some("2026-12-06 00:00"));
        assert_eq!(local("tonight").as_deref(), Some("2026-12-05 21:00"));
        assert_eq!(local("tonight at 8").as_deref(), Some("2026-12-05 20:00"));
        assert_eq!(local("this afternoon").as_deref(), Some("2026-12-05 15:00"));
        assert_eq!(local("tomorrow morning").as_deref(), Some("2026-12-06 09:00"));
        assert_eq!(local("friday evening").as_deref(), Some("2026-12-11 19:00"));
        // A bare early hour on another day is the afternoon's.
        assert_eq!(local("tomorrow at 5").as_deref(), Some("2026-12-06 17:00"));
        // Today is Saturday: "Saturday" is next week's, "this Saturday" today's.
        assert_eq!(local("on saturday").as_deref(), Some("2026-12-12 09:00"));
        assert_eq!(local("this saturday at 6pm").as_deref(), Some("2026-12-05 18:00"));
        // A date already past this year is next year's.
        assert_eq!(local("on 1 March").as_deref(), Some("2027-03-01 09:00"));
    }

    #[test]
    fn durations_are_instants() {
        let base = now().with_timezone(&Utc);
        let after = |text: &str| match parse_moment(text, now()) {
            Some(Moment::Instant(at)) => at - base,
            other => panic!("{text}: {other:?}"),
        };
        assert_eq!(after("in 20 minutes"), TimeDelta::minutes(20));
        assert_eq!(after("in an hour"), TimeDelta::hours(1));
        assert_eq!(after("in half an hour"), TimeDelta::minutes(30));
        assert_eq!(after("in 2 days"), TimeDelta::days(2));
        assert_eq!(after("in a week"), TimeDelta::weeks(1));
    }

    #[test]
    fn what_is_not_a_whole_time_phrase_is_no_moment() {
        for text in [
            "",
            "5",
            "today",
            "the news",
            "at 25",
            "at 13pm",
            "at 6:7",
            "on the 32nd of May",
            "tomorrow tomorrow",
            "tomorrow at 6 and at 7",
            "in 20 minutes tomorrow",
            "in 0 minutes",
            "in many hours",
            "on 31 February 2027",
            "at 6 pm call mum",
        ] {
            assert_eq!(parse_moment(text, now()), None, "{text:?}");
        }
    }

    #[test]
    fn a_phrase_is_split_off_the_end_or_the_start_of_a_text() {
        let split = |text: &str| split_moment(text, now()).map(|(rest, m)| (rest, m.to_wire()));
        assert_eq!(
            split("to call my mother tomorrow at 6 pm."),
            Some(("to call my mother".into(), "2026-12-06T18:00:00".into()))
        );
        assert_eq!(
            split("at 7:30 am tomorrow, to water the plants"),
            Some(("to water the plants".into(), "2026-12-06T07:30:00".into()))
        );
        assert_eq!(
            split("in 10 minutes to check the oven"),
            Some(("to check the oven".into(), "2026-12-05T10:25:00Z".into()))
        );
        // "6 pm news" is no phrase; nothing is split.
        assert_eq!(split("to watch the 6 pm news"), None);
        assert_eq!(split("to read chapter 5"), None);
    }

    #[test]
    fn a_local_moment_is_shown_in_the_zone_and_an_instant_in_utc() {
        let moment = parse_moment("in 20 minutes", now()).unwrap();
        assert_eq!(moment.local(chrono_tz::Asia::Kolkata).format("%H:%M").to_string(), "16:05");
        assert_eq!(moment.to_wire(), "2026-12-05T10:35:00Z");
    }
}
