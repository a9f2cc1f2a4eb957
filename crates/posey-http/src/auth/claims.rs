//! The claims of an access token, as Supabase Auth issues them.

use serde::{Deserialize, Serialize};

/// Audience may be one string or a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    /// The user (or service client) the token speaks for.
    pub sub: String,
    pub iss: String,
    pub aud: Audience,
    pub exp: i64,
    #[serde(default)]
    pub iat: Option<i64>,
    /// The database role: `authenticated`, `service_role`, ...
    #[serde(default)]
    pub role: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub session_id: Option<String>,
    /// Everything else (aal, amr, metadata, roles, Hasura claims), for services that need it.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Claims {
    /// The person this token speaks for, when `sub` is a user id (service tokens' is not).
    pub fn user_id(&self) -> Option<posey_domain::UserId> {
        self.sub.parse().ok()
    }
}
