//! The claims of an access token: the one type auth signs and every service reads (the shared
//! verifier, the guards, the gateway's Hasura session), so the two sides cannot drift apart.
//! The names are Supabase Auth's (`sub`, `session_id`, `app_metadata`, ...), plus Posey's
//! `roles` and Hasura's claims for the gateway; auth's contract test pins them on a token auth
//! really issues.

use posey_domain::{SessionId, UserId};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Where the gateway's claims live in a token (Hasura's namespace).
pub const HASURA_CLAIMS: &str = "https://hasura.io/jwt/claims";

/// Audience may be one string or a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Audience {
    One(String),
    Many(Vec<String>),
}

/// An access token's claims. A person's token (any sign-in) carries the person's fields; a
/// service client's (the client-credentials grant) has a `sub` of `service:<client>`, the role
/// `service_role`, its `client_id`, and none of a person's fields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    /// The user (or service client) the token speaks for.
    pub sub: String,
    pub iss: String,
    pub aud: Audience,
    pub exp: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
    /// Not valid before (auth does not set it; honoured when present).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nbf: Option<i64>,
    /// The database role: `authenticated`, `service_role`, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Always empty (phone sign-in is not supported); kept for Supabase's clients.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// The session the token belongs to; revoking it ends the token early.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<SessionId>,
    /// Authenticator assurance level (`aal1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aal: Option<String>,
    /// How the session was signed in: `[{"method": "password", "timestamp": ...}]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amr: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub is_anonymous: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_metadata: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_metadata: Option<Value>,
    /// The RBAC roles the person held when the token was issued (a person's token only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    /// The service client a client-credentials token was issued to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// What a service client's token may do (RFC 8693's `scope`: space-separated names such as
    /// `agents:turns`), as auth granted its client.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// What the gateway reads: the Hasura role and session variables.
    #[serde(
        rename = "https://hasura.io/jwt/claims",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub hasura: Option<HasuraClaims>,
    /// Anything else a token carries (none of auth's tokens has more today).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// Hasura's claims: the role a request takes by default, the roles it may ask for
/// (`x-hasura-role`), and the session variables permissions read (`x-hasura-user-id`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HasuraClaims {
    #[serde(rename = "x-hasura-default-role")]
    pub default_role: String,
    #[serde(rename = "x-hasura-allowed-roles", default)]
    pub allowed_roles: Vec<String>,
    #[serde(rename = "x-hasura-user-id", default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// Other session variables (`x-hasura-*`), passed on as Hasura does.
    #[serde(flatten)]
    pub vars: Map<String, Value>,
}

impl Claims {
    /// Claims with only the registered ones set: `sub`, `iss`, `aud`, `iat` and `exp`.
    pub fn new(
        sub: impl Into<String>,
        iss: impl Into<String>,
        aud: &str,
        iat: i64,
        exp: i64,
    ) -> Self {
        Self {
            sub: sub.into(),
            iss: iss.into(),
            aud: Audience::One(aud.to_owned()),
            exp,
            iat: Some(iat),
            nbf: None,
            role: None,
            email: None,
            phone: None,
            session_id: None,
            aal: None,
            amr: None,
            is_anonymous: None,
            app_metadata: None,
            user_metadata: None,
            roles: None,
            client_id: None,
            scope: None,
            hasura: None,
            extra: Map::new(),
        }
    }

    /// The person this token speaks for, when `sub` is a user id (service tokens' is not).
    pub fn user_id(&self) -> Option<UserId> {
        self.sub.parse().ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_claims_are_kept_and_known_ones_are_typed() {
        let session = SessionId::new();
        let raw = serde_json::json!({
            "sub": "0190c7d2-7c4e-7a8e-9b1a-3f2a1c0d4e5f", "iss": "i", "aud": ["a", "b"], "exp": 9,
            "session_id": session, "roles": ["admin"], "future": 1,
            "https://hasura.io/jwt/claims": {
                "x-hasura-default-role": "user", "x-hasura-allowed-roles": ["user"],
                "x-hasura-user-id": "u", "x-hasura-org-id": "o"
            }
        });
        let claims: Claims = serde_json::from_value(raw.clone()).unwrap();
        assert_eq!(claims.session_id, Some(session));
        assert_eq!(claims.roles.as_deref(), Some(&["admin".to_owned()][..]));
        assert_eq!(claims.extra["future"], 1);
        let hasura = claims.hasura.as_ref().unwrap();
        assert_eq!(hasura.vars["x-hasura-org-id"], "o");
        assert!(claims.user_id().is_some());
        assert_eq!(serde_json::to_value(&claims).unwrap(), raw);
    }

    #[test]
    fn a_session_id_that_is_not_one_is_refused() {
        let raw =
            serde_json::json!({ "sub": "s", "iss": "i", "aud": "a", "exp": 9, "session_id": "x" });
        assert!(serde_json::from_value::<Claims>(raw).is_err());
    }
}
