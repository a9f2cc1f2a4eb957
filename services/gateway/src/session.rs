//! Who a request speaks for: the role and the session variables, from the admin secret, an access
//! token's Hasura claims (`https://hasura.io/jwt/claims`), or the configured anonymous role.

use std::collections::HashMap;

use posey_config::ExposeSecret;
use posey_http::auth::JwksVerifier;

use crate::catalog::Access;
use crate::config::EngineSettings;
use crate::errors::GatewayError;

pub use posey_http::auth::HASURA_CLAIMS;

#[derive(Debug, Clone)]
pub struct Session {
    pub access: Access,
    /// Session variables, names lower-cased (`x-hasura-user-id`).
    pub vars: HashMap<String, String>,
    /// When the token expires (seconds since the epoch); `None` for the admin secret and the
    /// anonymous role.
    pub expires_at: Option<i64>,
}

impl Session {
    pub fn var(&self, name: &str) -> Option<&str> {
        self.vars.get(&name.to_ascii_lowercase()).map(String::as_str)
    }

    /// The cache key of this session's schema.
    pub fn role_key(&self) -> String {
        match &self.access {
            Access::Admin => "admin".into(),
            Access::Role(role) => format!("role:{role}"),
        }
    }
}

/// The credentials a request carries, whichever way it carried them.
#[derive(Debug, Default)]
pub struct Credentials {
    pub admin_secret: Option<String>,
    pub bearer: Option<String>,
    pub requested_role: Option<String>,
    /// Other `x-hasura-*` values; honoured for the admin secret only (Hasura's behaviour).
    pub hasura_headers: HashMap<String, String>,
}

impl Credentials {
    pub fn from_headers(headers: &axum::http::HeaderMap) -> Self {
        let mut creds = Credentials::default();
        for (name, value) in headers {
            let Ok(value) = value.to_str() else { continue };
            creds.add(name.as_str(), value);
        }
        creds
    }

    /// From a WebSocket `connection_init` payload: `{headers: {...}}` or the headers at the top.
    pub fn from_payload(payload: &serde_json::Value) -> Self {
        let mut creds = Credentials::default();
        let headers = payload.get("headers").unwrap_or(payload);
        if let Some(map) = headers.as_object() {
            for (name, value) in map {
                if let Some(value) = value.as_str() {
                    creds.add(name, value);
                }
            }
        }
        creds
    }

    fn add(&mut self, name: &str, value: &str) {
        let name = name.to_ascii_lowercase();
        match name.as_str() {
            "authorization" => {
                if let Some(token) = posey_http::auth::bearer(value) {
                    self.bearer = Some(token.to_owned());
                }
            }
            "x-hasura-admin-secret" => self.admin_secret = Some(value.to_owned()),
            "x-hasura-role" => self.requested_role = Some(value.to_owned()),
            other if other.starts_with("x-hasura-") => {
                self.hasura_headers.insert(other.to_owned(), value.to_owned());
            }
            _ => {}
        }
    }

    pub async fn resolve(
        self,
        settings: &EngineSettings,
        verifier: &JwksVerifier,
    ) -> Result<Session, GatewayError> {
        if let Some(given) = &self.admin_secret {
            let Some(secret) = &settings.admin_secret else {
                return Err(GatewayError::access_denied("admin access is not enabled"));
            };
            if !constant_time_eq(given.as_bytes(), secret.expose_secret().as_bytes()) {
                return Err(GatewayError::access_denied("invalid x-hasura-admin-secret"));
            }
            // The operator may act as a role (to try permissions), with the variables they give.
            let access = match self.requested_role {
                Some(role) if role != "admin" => Access::Role(role),
                _ => Access::Admin,
            };
            return Ok(Session { access, vars: self.hasura_headers, expires_at: None });
        }
        if let Some(token) = &self.bearer {
            let claims = verifier.verify(token).await.map_err(|error| {
                if error.is_client_error() {
                    GatewayError::invalid_jwt(error.to_string())
                } else {
                    tracing::error!(error = %error, "token verification failed");
                    GatewayError::new("unexpected", "could not verify the token now")
                }
            })?;
            // The shared claims type has parsed them: a token whose Hasura claims lack the
            // default role did not verify.
            let Some(hasura) = claims.hasura else {
                return Err(GatewayError::invalid_jwt(format!("the token has no {HASURA_CLAIMS}")));
            };
            let mut vars = HashMap::new();
            for (name, value) in &hasura.vars {
                if let Some(text) = value.as_str() {
                    vars.insert(name.to_ascii_lowercase(), text.to_owned());
                }
            }
            if let Some(user) = &hasura.user_id {
                vars.insert("x-hasura-user-id".into(), user.clone());
            }
            let default = hasura.default_role;
            vars.insert("x-hasura-default-role".into(), default.clone());
            let allowed = hasura.allowed_roles;
            let role = match self.requested_role {
                Some(requested) if requested == default || allowed.contains(&requested) => {
                    requested
                }
                Some(requested) => {
                    return Err(GatewayError::access_denied(format!(
                        "the token does not allow the role {requested:?}"
                    )));
                }
                None => default,
            };
            vars.insert("x-hasura-role".into(), role.clone());
            return Ok(Session { access: Access::Role(role), vars, expires_at: Some(claims.exp) });
        }
        match &settings.unauthorized_role {
            Some(role) => {
                let vars = HashMap::from([("x-hasura-role".to_owned(), role.clone())]);
                Ok(Session { access: Access::Role(role.clone()), vars, expires_at: None })
            }
            None => Err(GatewayError::access_denied("missing Authorization bearer token")),
        }
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use sha2::{Digest, Sha256};
    // Comparing digests keeps the time independent of where the inputs differ and of length.
    let (a, b) = (Sha256::digest(a), Sha256::digest(b));
    a.iter().zip(b.iter()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
