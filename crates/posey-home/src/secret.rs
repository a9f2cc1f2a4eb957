//! A secret string (a Home Assistant access token, an alarm code): it goes onto the wire where
//! a message needs it, and nowhere else: `Debug` and `Display` print `***`.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A secret string. Read it with [`Secret::expose`], only where it is sent.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self(value)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn debug_and_display_hide_the_value() {
        let secret = Secret::new("1234");
        assert_eq!(format!("{secret:?}"), "***");
        assert_eq!(format!("{secret}"), "***");
        assert_eq!(format!("{:?}", Some(secret.clone())), "Some(***)");
        assert_eq!(secret.expose(), "1234");
    }

    #[test]
    fn serializes_as_the_plain_string_for_the_wire() {
        let secret = Secret::new("token-abc");
        assert_eq!(serde_json::to_string(&secret).expect("json"), r#""token-abc""#);
        let back: Secret = serde_json::from_str(r#""token-abc""#).expect("json");
        assert_eq!(back, secret);
    }

    proptest! {
        #[test]
        fn no_secret_shows_in_debug(value in "[ -~]{4,40}") {
            let secret = Secret::new(value.clone());
            let shown = format!("{secret:?} {secret}");
            prop_assert!(!shown.contains(&value));
        }
    }
}
