//! The person's own words turned to face the other way: "my sister" is "your sister" in the
//! reply and "their sister" in a memory about them.

/// Whom the words are turned to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Facing {
    /// The person, addressed: "you".
    Second,
    /// The person, spoken of: "they".
    Third,
}

/// `text` with the first person ("I", "me", "my", "I'm" …) turned to `facing`; everything else
/// (punctuation, other words, their case) as it was.
pub fn turn(text: &str, facing: Facing) -> String {
    let mut out: Vec<String> = Vec::new();
    let mut after_i = false;
    for word in text.split_whitespace() {
        // The word without the punctuation around it (sliced by characters, not bytes).
        let core = word.trim_matches(|c: char| !c.is_alphanumeric());
        let start = word.len() - word.trim_start_matches(|c: char| !c.is_alphanumeric()).len();
        let (before, rest) = (&word[..start], &word[start + core.len()..]);
        let lower = core.to_lowercase().replace('’', "'");
        let turned = turned(&lower, after_i, facing);
        after_i = lower == "i";
        match turned {
            Some(turned) => out.push(format!("{before}{turned}{rest}")),
            None => out.push(word.to_owned()),
        }
    }
    out.join(" ")
}

fn turned(word: &str, after_i: bool, facing: Facing) -> Option<&'static str> {
    use Facing::{Second, Third};
    let turned = match (word, facing) {
        ("i", Second) => "you",
        ("i", Third) => "they",
        ("me", Second) => "you",
        ("me", Third) => "them",
        ("my", Second) => "your",
        ("my", Third) => "their",
        ("mine", Second) => "yours",
        ("mine", Third) => "theirs",
        ("myself", Second) => "yourself",
        ("myself", Third) => "themselves",
        ("i'm", Second) => "you're",
        ("i'm", Third) => "they're",
        ("i've", Second) => "you've",
        ("i've", Third) => "they've",
        ("i'll", Second) => "you'll",
        ("i'll", Third) => "they'll",
        ("i'd", Second) => "you'd",
        ("i'd", Third) => "they'd",
        ("am", _) if after_i => "are",
        ("was", _) if after_i => "were",
        ("wasn't", _) if after_i => "weren't",
        _ => return None,
    };
    Some(turned)
}

/// `text` with its first letter upper-case.
pub fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_person_is_turned_and_nothing_else() {
        let said = "my sister's name is Ana, and I am her only brother; I'm proud of myself.";
        assert_eq!(
            turn(said, Facing::Second),
            "your sister's name is Ana, and you are her only brother; you're proud of yourself."
        );
        assert_eq!(
            turn(said, Facing::Third),
            "their sister's name is Ana, and they are her only brother; they're proud of themselves."
        );
        assert_eq!(turn("I was born in Lisbon", Facing::Third), "they were born in Lisbon");
        assert_eq!(turn("call me “maybe”", Facing::Second), "call you “maybe”");
        assert_eq!(turn("I’m a nurse", Facing::Second), "you're a nurse");
        // Not the first person: kept as written.
        assert_eq!(turn("Ana is mine. Mind the gap", Facing::Third), "Ana is theirs. Mind the gap");
        assert_eq!(turn("I am", Facing::Third), "they are");
        // Words ending in a letter of more than one byte are kept whole.
        assert_eq!(turn("my name is José.", Facing::Second), "your name is José.");
        assert_eq!(turn("«my» café, über", Facing::Third), "«their» café, über");
    }

    #[test]
    fn a_capital_starts_a_sentence() {
        assert_eq!(capitalised("their dog"), "Their dog");
        assert_eq!(capitalised("élan"), "Élan");
        assert_eq!(capitalised(""), "");
    }
}
