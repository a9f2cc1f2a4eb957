//! Reading a message as an explicit command: the whole message is one request to remind the
//! person of something at a time they named, or to remember something about them. Anything
//! more (a second sentence, a question, a time not understood) is no command: the model
//! answers it.

use chrono::DateTime;
use chrono_tz::Tz;
use posey_domain::{Moment, split_moment};
use serde_json::{Value, json};

use super::words::{Facing, capitalised, turn};

/// The longest message read as a command.
const MAX_COMMAND_CHARS: usize = 500;

/// What the person asked for.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// `create_reminder`.
    Remind {
        /// The reminder's text, as the person will see it ("Call my mother").
        text: String,
        /// What it is about, facing the person, for the reply ("to call your mother").
        about: String,
        at: Moment,
    },
    /// `remember`.
    Remember {
        /// The memory, about the person ("Their sister's name is Ana.").
        text: String,
        /// The same, facing the person, for the reply ("your sister's name is Ana").
        about: String,
        /// One of the memory kinds.
        kind: &'static str,
    },
}

impl Command {
    /// The tool that carries it out.
    pub fn tool(&self) -> &'static str {
        match self {
            Self::Remind { .. } => "create_reminder",
            Self::Remember { .. } => "remember",
        }
    }

    /// The tool's arguments.
    pub fn arguments(&self) -> Value {
        match self {
            Self::Remind { text, at, .. } => json!({"text": text, "at": at.to_wire()}),
            Self::Remember { text, kind, .. } => json!({"text": text, "kind": kind}),
        }
    }
}

/// Whether `message` may be a command, before the person's zone is read for [`read`].
pub fn may_be_command(message: &str) -> bool {
    let lower = message.to_lowercase();
    let words = ["remind me", "remember", "forget that", "keep in mind", "note that"];
    words.iter().any(|word| lower.contains(word))
}

/// `message` as a command, read at `now` in the person's zone.
pub fn read(message: &str, now: DateTime<Tz>) -> Option<Command> {
    let message = message.trim();
    if message.chars().count() > MAX_COMMAND_CHARS || message.contains('\n') {
        return None;
    }
    let request = request(message)?;
    if let Some(rest) = strip_prefix_words(&request, &["remind me"]) {
        return remind(rest, now);
    }
    remember(&request)
}

/// The request in `message`: without a greeting of Posey, polite words and the closing
/// punctuation; `None` when it is more than one sentence or a question that is no request
/// ("Can you remind me …?" is a request; "Do you remember …?" is not).
fn request(message: &str) -> Option<String> {
    let mut text = message.trim().to_owned();
    for greeting in ["hey posey", "hi posey", "ok posey", "okay posey", "posey"] {
        if let Some(rest) = strip_prefix_words(&text, &[greeting]) {
            text = rest.trim_start_matches([',', ':', ' ']).to_owned();
            break;
        }
    }
    let mut asked = false;
    for opening in ["please", "can you", "could you", "would you", "will you"] {
        if let Some(rest) = strip_prefix_words(&text, &[opening]) {
            asked |= opening != "please";
            text = rest.trim_start_matches([',', ' ']).to_owned();
            if let Some(rest) = strip_prefix_words(&text, &["please"]) {
                text = rest.to_owned();
            }
            break;
        }
    }
    let mut text = text.trim_end().trim_end_matches(['.', '!']).to_owned();
    if asked {
        text = text.trim_end_matches('?').trim_end().to_owned();
    }
    for closing in [", please", " please", ", thanks", ", thank you"] {
        // Compared as bytes, so a cut never lands inside a character ("thanK" with a Kelvin
        // sign lower-cases to "thank" in fewer bytes).
        let at = text.len().saturating_sub(closing.len());
        if text.is_char_boundary(at) && text[at..].eq_ignore_ascii_case(closing) {
            text.truncate(at);
            text = text.trim_end_matches(['.', '!']).to_owned();
        }
    }
    // One sentence, no question left in it.
    let ends = [". ", "! ", "? "];
    if text.contains('?') || ends.iter().any(|end| text.contains(end)) || text.is_empty() {
        return None;
    }
    Some(text)
}

/// What follows `prefixes` (any one of them, case-insensitive, as whole words) in `text`.
fn strip_prefix_words<'a>(text: &'a str, prefixes: &[&str]) -> Option<&'a str> {
    prefixes.iter().find_map(|prefix| {
        let head = text.get(..prefix.len())?;
        let rest = &text[prefix.len()..];
        let whole = rest.is_empty() || rest.starts_with(|c: char| !c.is_alphanumeric());
        (head.eq_ignore_ascii_case(prefix) && whole).then(|| rest.trim_start())
    })
}

/// "remind me" then what and when, in either order.
fn remind(rest: &str, now: DateTime<Tz>) -> Option<Command> {
    let (what, at) = split_moment(rest, now)?;
    let what = what.trim_start_matches([':', '-', ',', ' ']).trim();
    let (connective, thing) = ["to", "that", "about", "of"]
        .iter()
        .find_map(|word| Some((*word, strip_prefix_words(what, &[word])?)))
        .unwrap_or(("about", what));
    let thing = thing.trim();
    if thing.is_empty() || thing.split_whitespace().count() > 60 {
        return None;
    }
    let connective = if connective == "of" { "about" } else { connective };
    Some(Command::Remind {
        text: capitalised(thing),
        about: format!("{connective} {}", turn(thing, Facing::Second)),
        at,
    })
}

/// "remember that …", "remember: …", "don't forget that …", "keep in mind that …", "note
/// that …", and "remember my/I …" (something about the person, said of themselves).
fn remember(request: &str) -> Option<Command> {
    let explicit = [
        "remember that",
        "remember this:",
        "remember:",
        "remember,",
        "don't forget that",
        "do not forget that",
        "keep in mind that",
        "note that",
    ];
    let fact = match strip_prefix_words(request, &explicit) {
        Some(fact) => fact,
        None => {
            let fact = strip_prefix_words(request, &["remember"])?;
            let about_themselves = ["my", "i", "i'm", "i’m", "i've", "i’ve"];
            strip_prefix_words(fact, &about_themselves)?;
            fact
        }
    };
    let fact = fact.trim_start_matches([':', ',', ' ']).trim();
    if fact.is_empty() {
        return None;
    }
    let mut text = capitalised(&turn(fact, Facing::Third));
    if !text.ends_with(['.', '!']) {
        text.push('.');
    }
    Some(Command::Remember { text, about: turn(fact, Facing::Second), kind: kind_of(fact) })
}

/// The memory kind its words suggest; a fact when none does.
fn kind_of(fact: &str) -> &'static str {
    let lower = fact.to_lowercase();
    let has = |words: &[&str]| {
        lower
            .split(|c: char| !c.is_alphanumeric() && c != '\'')
            .any(|word| words.contains(&word.trim_end_matches("'s")))
    };
    if has(&["favourite", "favorite", "like", "love", "prefer", "hate", "enjoy", "dislike"]) {
        "preference"
    } else if has(&[
        "sister",
        "brother",
        "mother",
        "mum",
        "mom",
        "father",
        "dad",
        "wife",
        "husband",
        "partner",
        "son",
        "daughter",
        "friend",
        "boss",
        "colleague",
        "girlfriend",
        "boyfriend",
        "grandmother",
        "grandfather",
        "grandma",
        "grandpa",
        "aunt",
        "uncle",
        "cousin",
        "neighbour",
        "neighbor",
    ]) {
        "relationship"
    } else if has(&["goal", "plan", "planning", "want", "hope", "trying"]) {
        "goal"
    } else {
        "fact"
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;

    /// Saturday 5 December 2026, 10:15 in Kolkata.
    fn now() -> DateTime<Tz> {
        chrono_tz::Asia::Kolkata.with_ymd_and_hms(2026, 12, 5, 10, 15, 0).unwrap()
    }

    fn reminder(message: &str) -> Option<(String, String, String)> {
        match read(message, now())? {
            Command::Remind { text, about, at } => Some((text, about, at.to_wire())),
            other => panic!("{message}: {other:?}"),
        }
    }

    fn memory(message: &str) -> Option<(String, String, &'static str)> {
        match read(message, now())? {
            Command::Remember { text, about, kind } => Some((text, about, kind)),
            other => panic!("{message}: {other:?}"),
        }
    }

    #[test]
    fn a_reminder_is_read_with_its_time_in_either_order() {
        let expected = |text: &str, about: &str, at: &str| {
            Some((text.to_owned(), about.to_owned(), at.to_owned()))
        };
        assert_eq!(
            reminder("Remind me to call my mother tomorrow at 6 pm."),
            expected("Call my mother", "to call your mother", "2026-12-06T18:00:00")
        );
        assert_eq!(
            reminder("Hey Posey, remind me at 7:30 am tomorrow to water the plants!"),
            expected("Water the plants", "to water the plants", "2026-12-06T07:30:00")
        );
        assert_eq!(
            reminder("Can you remind me about the dentist on Monday at 9?"),
            expected("The dentist", "about the dentist", "2026-12-07T09:00:00")
        );
        assert_eq!(
            reminder("please remind me in 20 minutes that the oven is on"),
            expected("The oven is on", "that the oven is on", "2026-12-05T05:05:00Z")
        );
        assert_eq!(
            reminder("Remind me: passport renewal on 3 March, thanks"),
            expected("Passport renewal", "about passport renewal", "2027-03-03T09:00:00")
        );
    }

    #[test]
    fn a_memory_is_kept_about_the_person_and_read_back_to_them() {
        assert_eq!(
            memory("Remember that my sister's name is Ana."),
            Some((
                "Their sister's name is Ana.".into(),
                "your sister's name is Ana".into(),
                "relationship"
            ))
        );
        assert_eq!(
            memory("Please remember I am allergic to peanuts"),
            Some((
                "They are allergic to peanuts.".into(),
                "you are allergic to peanuts".into(),
                "fact"
            ))
        );
        assert_eq!(
            memory("remember: my favourite colour is green"),
            Some((
                "Their favourite colour is green.".into(),
                "your favourite colour is green".into(),
                "preference"
            ))
        );
        assert_eq!(
            memory("Could you remember that I work as a nurse?"),
            Some(("They work as a nurse.".into(), "you work as a nurse".into(), "fact"))
        );
        assert_eq!(
            memory("Don't forget that my dog is called Biscuit"),
            Some((
                "Their dog is called Biscuit.".into(),
                "your dog is called Biscuit".into(),
                "fact"
            ))
        );
    }

    #[test]
    fn text_beyond_ascii_is_read_whole() {
        assert_eq!(
            reminder("Remind me to call José ☎ tomorrow at 6 pm"),
            Some((
                "Call José ☎".to_owned(),
                "to call José ☎".to_owned(),
                "2026-12-06T18:00:00".to_owned()
            ))
        );
        assert_eq!(
            memory("Remember that my city is 東京 — München, «maybe»"),
            Some((
                "Their city is 東京 — München, «maybe».".to_owned(),
                "your city is 東京 — München, «maybe»".to_owned(),
                "fact"
            ))
        );
        for message in ["Remind me ☕", "Remember: é", "remind me 🎉 at 6 pm", "Remember that ’"]
        {
            let _ = read(message, now());
        }
    }

    #[test]
    fn anything_more_or_less_than_one_clear_request_is_for_the_model() {
        for message in [
            "Hello!",
            "What did I tell you about my sister?",
            "Do you remember my sister?",
            "Remember when we talked about Lisbon?",
            "Remember to buy milk",
            "Remind me to buy milk",
            "Remind me to watch the 6 pm news",
            "Remind me to call mum tomorrow at 6 pm. Also, what's the weather?",
            "Remember that I like tea. What should I drink tonight?",
            "Remind me tomorrow at 9",
            "remember that",
            "I'll remind me later",
            "Remind me to call mum\ntomorrow at 6 pm",
        ] {
            assert_eq!(read(message, now()), None, "{message:?}");
        }
        // A closing word spelt with a look-alike character (a Kelvin sign for the K) is no
        // closing: it stays in the memory, whole.
        let Some(Command::Remember { text, .. }) =
            read("Remember that I like tea, than\u{212A} you", now())
        else {
            panic!("not read as a memory")
        };
        assert_eq!(text, "They like tea, than\u{212A} you.");
        let long = format!("Remember that {}", "my cat is fluffy and ".repeat(40));
        assert_eq!(read(&long, now()), None);
    }
}
