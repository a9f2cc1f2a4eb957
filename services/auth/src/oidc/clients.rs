//! Registered clients: their secrets (256 random bits, shown once, stored as SHA-256: a
//! slow hash adds nothing to a secret nobody chose) and client authentication at the token,
//! revocation and introspection endpoints (`client_secret_basic`, `client_secret_post`, or
//! `none` for a public client, which names itself with `client_id`).

use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::db::audit::{self, Event};
use crate::db::oauth::{self, Client};
use crate::extract::Client as Caller;
use crate::oidc::error::{OAuthError, OAuthResult};
use crate::oidc::request::Form;
use crate::state::AppState;
use crate::tokens;

/// A fresh client secret and what is stored of it.
pub fn new_secret() -> (String, Vec<u8>) {
    let secret = tokens::random_token();
    let hash = tokens::hash(&secret);
    (secret, hash)
}

/// The client the request authenticates as, or 401 `invalid_client` (audited).
pub async fn authenticate(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    form: &Form,
) -> OAuthResult<Client> {
    let basic = basic_credentials(headers)?;
    let posted = form.get("client_secret");
    let (id, secret) = match (basic, posted) {
        (Some(_), Some(_)) => {
            return Err(OAuthError::invalid_request("Use one client authentication method"));
        }
        (Some((id, secret)), None) => {
            if form.get("client_id").is_some_and(|named| named != id) {
                return Err(OAuthError::invalid_client());
            }
            (id, Some(secret))
        }
        (None, secret) => {
            let id = form.get("client_id").ok_or_else(OAuthError::invalid_client)?;
            (id.to_owned(), secret.map(str::to_owned))
        }
    };
    let client = match id.parse::<Uuid>() {
        Ok(uuid) => oauth::find_client(state.db(), uuid).await?,
        Err(_) => None,
    };
    let accepted = client.filter(|client| match (&client.client_secret_hash, &secret) {
        (Some(stored), Some(secret)) => bool::from(tokens::hash(secret).ct_eq(stored)),
        (None, None) => true,
        _ => false,
    });
    match accepted {
        Some(client) => Ok(client),
        None => {
            audit::record(
                state.db(),
                Event {
                    action: "client_login_failed",
                    actor_id: Some(format!(
                        "oauth_client:{}",
                        id.chars().take(64).collect::<String>()
                    )),
                    target_id: None,
                    ip: caller.ip,
                    payload: json!({}),
                },
            )
            .await?;
            Err(OAuthError::invalid_client())
        }
    }
}

/// `Authorization: Basic` credentials, form-urlencoded inside as RFC 6749 2.3.1 says.
fn basic_credentials(headers: &HeaderMap) -> OAuthResult<Option<(String, String)>> {
    let Some(value) = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()) else {
        return Ok(None);
    };
    let Some(encoded) = value.strip_prefix("Basic ").or_else(|| value.strip_prefix("basic "))
    else {
        return Ok(None);
    };
    let decoded = STANDARD.decode(encoded.trim()).map_err(|_| OAuthError::invalid_client())?;
    let text = String::from_utf8(decoded).map_err(|_| OAuthError::invalid_client())?;
    let (id, secret) = text.split_once(':').ok_or_else(OAuthError::invalid_client)?;
    let decode = |s: &str| {
        url::form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Ok(Some((decode(id), decode(secret))))
}

/// Whether `uri` may be registered as a redirect (or post-logout redirect) URI: absolute,
/// without a fragment, and not a scheme that runs code or reads files.
pub fn valid_redirect_uri(uri: &str) -> bool {
    let Ok(url) = url::Url::parse(uri) else {
        return false;
    };
    let forbidden = ["javascript", "data", "file", "vbscript", "blob"];
    url.fragment().is_none()
        && !forbidden.contains(&url.scheme())
        && (url.scheme() == "http" || url.scheme() == "https" || url.scheme().contains('.'))
        && (url.has_host() || url.scheme().contains('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_uris_are_absolute_without_fragments_or_code() {
        assert!(valid_redirect_uri("https://grafana.home/login/generic_oauth"));
        assert!(valid_redirect_uri("http://homeassistant.local:8123/auth/external/callback"));
        assert!(valid_redirect_uri("com.example.app:/callback"));
        assert!(!valid_redirect_uri("/relative"));
        assert!(!valid_redirect_uri("https://app.test/cb#frag"));
        assert!(!valid_redirect_uri("javascript:alert(1)"));
        assert!(!valid_redirect_uri("data:text/html,hi"));
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let mut headers = HeaderMap::new();
        let value = format!("Basic {}", STANDARD.encode("my%20id:s%3Acret"));
        headers.insert(AUTHORIZATION, value.parse().unwrap());
        let (id, secret) = basic_credentials(&headers).unwrap().unwrap();
        assert_eq!((id.as_str(), secret.as_str()), ("my id", "s:cret"));
    }
}
