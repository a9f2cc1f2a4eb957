//! The provider's tokens: access tokens (JWTs for the client: `aud` is its id, never Posey's
//! `authenticated`), id tokens (OpenID Connect Core 2, with `at_hash`, `nonce`, `auth_time` and
//! the claims the scopes allow), all signed ES256 with the service's signing keys (kid in the
//! JWKS); and checking tokens this provider signed.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::db::users::User;
use crate::oidc::has_scope;
use crate::state::AppState;

/// What a grant issues tokens for.
pub struct Issue<'a> {
    pub client_id: Uuid,
    pub grant_id: Uuid,
    /// The person, or none for a client's own token (client credentials).
    pub user: Option<&'a User>,
    pub scope: &'a str,
    pub auth_time: Option<DateTime<Utc>>,
    pub nonce: Option<&'a str>,
}

impl Issue<'_> {
    fn subject(&self) -> String {
        self.user.map_or_else(|| self.client_id.to_string(), |u| u.id.to_string())
    }
}

/// The access token, and its lifetime in seconds.
pub fn access_token(state: &AppState, issue: &Issue<'_>) -> anyhow::Result<(String, i64)> {
    let ttl = state.settings().access_token_ttl.as_secs() as i64;
    let now = state.clock.now().timestamp();
    let mut claims = json!({
        "iss": state.settings().issuer,
        "sub": issue.subject(),
        "aud": issue.client_id.to_string(),
        "client_id": issue.client_id.to_string(),
        "iat": now,
        "exp": now + ttl,
        "jti": Uuid::new_v4().to_string(),
        "scope": issue.scope,
        "grant_id": issue.grant_id.to_string(),
    });
    if let Some(at) = issue.auth_time {
        claims["auth_time"] = at.timestamp().into();
    }
    Ok((state.keys.sign_typed(&claims, "at+jwt")?, ttl))
}

/// The id token that comes with `access_token`.
pub fn id_token(state: &AppState, issue: &Issue<'_>, access_token: &str) -> anyhow::Result<String> {
    let ttl = state.settings().access_token_ttl.as_secs() as i64;
    let now = state.clock.now().timestamp();
    let digest = Sha256::digest(access_token.as_bytes());
    let mut claims = Map::new();
    claims.insert("iss".into(), state.settings().issuer.clone().into());
    claims.insert("sub".into(), issue.subject().into());
    claims.insert("aud".into(), issue.client_id.to_string().into());
    claims.insert("azp".into(), issue.client_id.to_string().into());
    claims.insert("iat".into(), now.into());
    claims.insert("exp".into(), (now + ttl).into());
    claims.insert("at_hash".into(), URL_SAFE_NO_PAD.encode(&digest[..16]).into());
    if let Some(at) = issue.auth_time {
        claims.insert("auth_time".into(), at.timestamp().into());
    }
    if let Some(nonce) = issue.nonce {
        claims.insert("nonce".into(), nonce.into());
    }
    if let Some(user) = issue.user {
        claims.extend(user_claims(user, issue.scope));
    }
    state.keys.sign(&Value::Object(claims))
}

/// The person's claims the scope allows: `email` and `email_verified` for `email`; `name`,
/// `preferred_username` and `updated_at` for `profile`.
pub fn user_claims(user: &User, scope: &str) -> Map<String, Value> {
    let mut claims = Map::new();
    if has_scope(scope, "email") {
        claims.insert("email".into(), user.email.clone().into());
        claims.insert("email_verified".into(), user.email_confirmed_at.is_some().into());
    }
    if has_scope(scope, "profile") {
        let meta = &user.raw_user_meta_data;
        let name = ["name", "full_name"].iter().find_map(|k| meta.get(*k).and_then(Value::as_str));
        if let Some(name) = name {
            claims.insert("name".into(), name.into());
        }
        // The whole address: it is unique to the person, and apps that make or match accounts
        // by login (Grafana, Nextcloud) must not take `ada@home.lan` for `ada@example.org`.
        claims.insert("preferred_username".into(), user.email.clone().into());
        claims.insert("updated_at".into(), user.updated_at.timestamp().into());
    }
    claims
}

/// The claims of a token this provider signed (signature, algorithm, issuer; expiry unless
/// `expired_ok`), whatever its audience; `None` for anything else.
pub async fn verify(state: &AppState, token: &str, expired_ok: bool) -> Option<Map<String, Value>> {
    let header = jsonwebtoken::decode_header(token).ok()?;
    let kid = header.kid?;
    let jwks = state.keys.jwk_set().await.ok()?;
    let key = DecodingKey::from_jwk(jwks.find(&kid)?).ok()?;
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_issuer(&[&state.settings().issuer]);
    validation.validate_aud = false;
    validation.validate_exp = !expired_ok;
    validation.leeway = 0;
    if expired_ok {
        validation.required_spec_claims.remove("exp");
    }
    let data = jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation).ok()?;
    // `validate_exp` reads the machine's time; the service's clock decides too.
    if !expired_ok
        && data.claims.get("exp").and_then(Value::as_i64)? <= state.clock.now().timestamp()
    {
        return None;
    }
    Some(data.claims)
}

/// The grant an access token of this provider names (`None` for any other token).
pub fn grant_of(claims: &Map<String, Value>) -> Option<(Uuid, Uuid)> {
    let grant = claims.get("grant_id")?.as_str()?.parse().ok()?;
    let client = claims.get("client_id")?.as_str()?.parse().ok()?;
    Some((grant, client))
}
