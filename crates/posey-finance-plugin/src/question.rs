//! Money questions in a person's own words ("how much did I spend on groceries last month?"):
//! whether a message asks what was spent or earned, over which days, and which of the person's
//! categories or payees it names. The finance lookup answers such a message before a model
//! that calls tools weakly (or not at all) sees it, so the amount it quotes never rests on the
//! model deciding to call a tool or to hand the question to the bookkeeper.

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};

/// What a message asks about money.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Question {
    /// Income rather than spending.
    pub earned: bool,
    /// The days asked about, half-open.
    pub from: NaiveDate,
    pub to: NaiveDate,
}

const SPENT: &[&str] = &[
    "spend",
    "spent",
    "spending",
    "spendings",
    "paid",
    "pay",
    "paying",
    "cost",
    "costs",
    "expense",
    "expenses",
    "bought",
    "buy",
    "buying",
];
const EARNED: &[&str] =
    &["earn", "earned", "earning", "earnings", "income", "received", "salary", "made", "make"];
const ASKING: &[&str] = &["how much", "how many", "total", "what did i", "what have i", "sum of"];
const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "may",
];

/// The message's words, lower case.
pub fn words(message: &str) -> Vec<String> {
    message
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The question `message` asks about money on `today`, if it asks one.
pub fn money_question(message: &str, today: NaiveDate) -> Option<Question> {
    let lower = message.to_lowercase();
    let words = words(message);
    let has = |list: &[&str]| words.iter().any(|word| list.contains(&word.as_str()));
    let asking = message.trim_end().ends_with('?') || ASKING.iter().any(|a| lower.contains(a));
    let earned = has(EARNED) && !has(SPENT);
    if !asking || !(earned || has(SPENT)) {
        return None;
    }
    let (from, to) = period(&words, today);
    Some(Question { earned, from, to })
}

fn first_of(date: NaiveDate) -> NaiveDate {
    date.with_day(1).unwrap_or(date)
}

fn tomorrow(date: NaiveDate) -> NaiveDate {
    date.succ_opt().unwrap_or(date)
}

fn year_start(year: i32) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(year, 1, 1)
}

/// The days the words name, half-open; this month so far when they name none.
fn period(words: &[String], today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let pair = |i: usize| (words[i].as_str(), words.get(i + 1).map_or("", String::as_str));
    let this_month = (first_of(today), tomorrow(today));
    for i in 0..words.len() {
        let (word, next) = pair(i);
        let found = match (word, next) {
            ("last" | "previous" | "past", "month") => {
                let first = first_of(today) - Months::new(1);
                Some((first, first_of(today)))
            }
            ("this" | "current", "month") => Some(this_month),
            ("last" | "previous" | "past", "year") => {
                year_start(today.year() - 1).zip(year_start(today.year()))
            }
            ("this" | "current", "year") => year_start(today.year()).map(|y| (y, tomorrow(today))),
            ("last" | "previous" | "past", "week") => {
                let monday = today.week(Weekday::Mon).first_day();
                monday.checked_sub_days(Days::new(7)).map(|start| (start, monday))
            }
            ("this" | "current", "week") => {
                Some((today.week(Weekday::Mon).first_day(), tomorrow(today)))
            }
            ("today", _) => Some((today, tomorrow(today))),
            ("yesterday", _) => today.pred_opt().map(|day| (day, today)),
            ("last" | "past", count) if count.parse::<u32>().is_ok() => {
                last_n(count, words.get(i + 2).map_or("", String::as_str), today)
            }
            _ => None,
        };
        if let Some(found) = found {
            return found;
        }
    }
    for i in 0..words.len() {
        let (word, next) = pair(i);
        if let Some(month) = MONTHS.iter().position(|m| *m == word) {
            // "may" is a month only with a year or after "in".
            let is_may = word == "may";
            let before = i.checked_sub(1).map_or("", |j| words[j].as_str());
            let year = next.parse::<i32>().ok().filter(|y| (1900..=2200).contains(y));
            if is_may && year.is_none() && before != "in" {
                continue;
            }
            let number = [1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 5][month];
            let year = year.unwrap_or_else(|| {
                if number > today.month() { today.year() - 1 } else { today.year() }
            });
            if let Some(first) = NaiveDate::from_ymd_opt(year, number, 1) {
                return (first, first + Months::new(1));
            }
        }
    }
    for word in words {
        if let Ok(year) = word.parse::<i32>()
            && (1900..=2200).contains(&year)
            && let (Some(start), Some(end)) = (year_start(year), year_start(year + 1))
        {
            return (start, end.min(tomorrow(today)).max(start.succ_opt().unwrap_or(start)));
        }
    }
    this_month
}

/// "last 30 days", "past 2 weeks", "last 3 months": up to today.
fn last_n(count: &str, unit: &str, today: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    let n: u32 = count.parse().ok().filter(|n| (1..=3650).contains(n))?;
    let start = match unit.trim_end_matches('s') {
        "day" => today.checked_sub_days(Days::new(u64::from(n) - 1))?,
        "week" => today.checked_sub_days(Days::new(u64::from(n) * 7 - 1))?,
        "month" => tomorrow(today).checked_sub_months(Months::new(n))?,
        _ => return None,
    };
    Some((start, tomorrow(today)))
}

/// A name's singular and plural forms (`groceries`, `grocery`; `car`, `cars`).
fn forms(name: &str) -> Vec<String> {
    let mut forms = vec![name.to_owned(), format!("{name}s")];
    if let Some(stem) = name.strip_suffix("ies") {
        forms.push(format!("{stem}y"));
    } else if let Some(stem) = name.strip_suffix('y') {
        forms.push(format!("{stem}ies"));
    }
    if let Some(stem) = name.strip_suffix('s') {
        forms.push(stem.to_owned());
    }
    forms.retain(|form| form.len() > 2);
    forms
}

/// Which of `names` the message names, as whole words (singular or plural), the longest name
/// first.
pub fn named<'a>(message: &str, names: impl IntoIterator<Item = &'a str>) -> Vec<&'a str> {
    let said = format!(" {} ", words(message).join(" "));
    let mut found: Vec<&str> = names
        .into_iter()
        .filter(|name| {
            let name = words(name).join(" ");
            !name.is_empty() && forms(&name).iter().any(|form| said.contains(&format!(" {form} ")))
        })
        .collect();
    found.sort_by_key(|name| std::cmp::Reverse(name.len()));
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().expect("a date")
    }

    fn asked(message: &str) -> Option<(bool, String, String)> {
        money_question(message, date("2026-12-06"))
            .map(|q| (q.earned, q.from.to_string(), q.to.to_string()))
    }

    fn spent(from: &str, to: &str) -> Option<(bool, String, String)> {
        Some((false, from.to_owned(), to.to_owned()))
    }

    #[test]
    fn spending_questions_name_their_days() {
        assert_eq!(
            asked("How much did I spend on groceries last month?"),
            spent("2026-11-01", "2026-12-01")
        );
        assert_eq!(
            asked("what did i spend at Starbucks this week"),
            spent("2026-11-30", "2026-12-07")
        );
        assert_eq!(asked("How much did I spend last week?"), spent("2026-11-23", "2026-11-30"));
        assert_eq!(
            asked("How much have I spent on rent this year?"),
            spent("2026-01-01", "2026-12-07")
        );
        assert_eq!(asked("total spending last year"), spent("2025-01-01", "2026-01-01"));
        assert_eq!(
            asked("How much did I pay for coffee in November?"),
            spent("2026-11-01", "2026-12-01")
        );
        assert_eq!(
            asked("How much did groceries cost in March 2024?"),
            spent("2024-03-01", "2024-04-01")
        );
        assert_eq!(asked("how much did I spend in may?"), spent("2026-05-01", "2026-06-01"));
        assert_eq!(asked("Spending in December?"), spent("2026-12-01", "2027-01-01"));
        assert_eq!(asked("how much did I spend in 2025"), spent("2025-01-01", "2026-01-01"));
        assert_eq!(
            asked("how much did I spend in the last 30 days?"),
            spent("2026-11-07", "2026-12-07")
        );
        assert_eq!(asked("How much did I spend yesterday?"), spent("2026-12-05", "2026-12-06"));
        assert_eq!(asked("How much did I spend on food?"), spent("2026-12-01", "2026-12-07"));
        assert_eq!(
            asked("How much salary did I receive last month?"),
            Some((true, "2026-11-01".into(), "2026-12-01".into()))
        );
    }

    #[test]
    fn other_messages_ask_nothing_about_money() {
        assert_eq!(asked("I spent 12 euros on lunch, please record it"), None);
        assert_eq!(asked("What time is it?"), None);
        assert_eq!(asked("Remind me to pay rent tomorrow"), None);
        assert_eq!(asked("How much is 3 times 4?"), None);
        assert_eq!(asked("May I ask how much it costs?").map(|q| q.1), Some("2026-12-01".into()));
    }

    #[test]
    fn names_are_found_as_whole_words_longest_first() {
        let names = ["Food", "Groceries", "Eating out", "Car", "Gas"];
        assert_eq!(
            named("How much did I spend on groceries and eating out?", names),
            ["Eating out", "Groceries"]
        );
        assert_eq!(named("how much for my cars", names), ["Car"]);
        assert_eq!(named("how much at the Cartier shop", names), Vec::<&str>::new());
        assert_eq!(named("How much did I spend on grocery shopping?", names), ["Groceries"]);
    }
}
