//! What a memory's fields may hold: its kind, its origin, and its text as stored.

/// Longest memory text, in characters.
pub const MAX_TEXT: usize = 1000;

/// What a memory is about.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    serde::Serialize,
    serde::Deserialize,
    schemars::JsonSchema,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[schema(as = MemoryKind)]
pub enum Kind {
    #[default]
    Fact,
    Preference,
    Event,
    Relationship,
    Goal,
    Other,
}

impl Kind {
    pub const ALL: [Kind; 6] =
        [Kind::Fact, Kind::Preference, Kind::Event, Kind::Relationship, Kind::Goal, Kind::Other];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Fact => "fact",
            Kind::Preference => "preference",
            Kind::Event => "event",
            Kind::Relationship => "relationship",
            Kind::Goal => "goal",
            Kind::Other => "other",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        let raw = raw.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|kind| kind.as_str() == raw)
    }

    /// "fact, preference, ..." for error messages and prompts.
    pub fn names() -> String {
        Self::ALL.map(Kind::as_str).join(", ")
    }
}

/// How a memory came to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, utoipa::ToSchema)]
#[schema(as = MemoryOrigin, rename_all = "snake_case")]
pub enum Origin {
    /// Extracted after a turn.
    Conversation,
    /// The agent's `remember` tool.
    Agent,
    /// The person, over REST.
    Person,
}

impl Origin {
    pub fn as_str(self) -> &'static str {
        match self {
            Origin::Conversation => "conversation",
            Origin::Agent => "agent",
            Origin::Person => "person",
        }
    }
}

/// A memory text as stored: trimmed, not empty, at most [`MAX_TEXT`] characters, without the
/// NUL character PostgreSQL's `text` cannot hold (a model's memory extraction may write one).
pub fn check_text(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("must not be empty".to_owned());
    }
    if text.contains('\0') {
        return Err(posey_http::json::NUL_MESSAGE.to_owned());
    }
    if text.chars().count() > MAX_TEXT {
        return Err(format!("must be at most {MAX_TEXT} characters"));
    }
    Ok(text.to_owned())
}
