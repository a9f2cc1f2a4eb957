//! The agents service's SQL, one module per table, as plain functions over a pool or a
//! transaction. Every query about a person's data is scoped by their id.

pub mod actions;
pub mod conversations;
pub mod messages;
pub mod model_choices;
pub mod pending_calls;
pub mod plugin_migrations;
pub mod profiles;
pub mod turns;
pub mod usage;

use std::borrow::Cow;

use anyhow::Context;
use serde::Serialize;
use serde_json::Value;

/// What U+0000 becomes in text that is stored: U+FFFD, the replacement character.
const REPLACEMENT: &str = "\u{FFFD}";

/// Text from a model or a tool, made storable: PostgreSQL's `text` and `jsonb` cannot hold
/// U+0000, which a model can emit, so it is replaced rather than failing the whole store.
/// (People's own input with a NUL is refused at the HTTP edge.)
pub fn storable(text: &str) -> Cow<'_, str> {
    if text.contains('\0') {
        Cow::Owned(text.replace('\0', REPLACEMENT))
    } else {
        Cow::Borrowed(text)
    }
}

/// `value` as JSON text for a `jsonb` column, with U+0000 in its strings and keys replaced.
pub fn storable_json(value: &impl Serialize) -> anyhow::Result<String> {
    let text = serde_json::to_string(value).context("encoding JSON to store")?;
    // serde_json writes U+0000 only as this escape; without it there is nothing to replace.
    if !text.contains("\\u0000") {
        return Ok(text);
    }
    let mut value = serde_json::to_value(value).context("encoding JSON to store")?;
    replace_nul(&mut value);
    Ok(value.to_string())
}

/// Replaces U+0000 in every string and key of `value`.
pub fn replace_nul(value: &mut Value) {
    match value {
        Value::String(text) => {
            if let Cow::Owned(clean) = storable(text) {
                *text = clean;
            }
        }
        Value::Array(items) => items.iter_mut().for_each(replace_nul),
        Value::Object(object) => {
            if object.keys().any(|key| key.contains('\0')) {
                *object = std::mem::take(object)
                    .into_iter()
                    .map(|(key, value)| (storable(&key).into_owned(), value))
                    .collect();
            }
            object.values_mut().for_each(replace_nul);
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nul_becomes_the_replacement_character_and_nothing_else_changes() {
        assert_eq!(storable("a\0b"), "a\u{FFFD}b");
        assert!(matches!(storable("plain \\u0000"), Cow::Borrowed(_)));
        let stored = storable_json(&json!([{"k\0": "v\0", "n": [1, "\\u0000"]}])).unwrap();
        assert_eq!(
            serde_json::from_str::<Value>(&stored).unwrap(),
            json!([{"k\u{FFFD}": "v\u{FFFD}", "n": [1, "\\u0000"]}])
        );
        assert_eq!(storable_json(&json!({"a": "b"})).unwrap(), r#"{"a":"b"}"#);
    }
}
