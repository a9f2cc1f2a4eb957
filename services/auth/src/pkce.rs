//! PKCE for email flows (magic links, recovery, signup confirmation): the client sends a code
//! challenge with the request; the email's link redirects with `?code=`; the client exchanges
//! that code and its verifier at `POST /token?grant_type=pkce` for a session.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::db;
use crate::error::{AuthError, AuthResult};
use crate::tokens;

/// A code challenge sent with a request.
#[derive(Debug, Clone)]
pub struct Challenge {
    pub id: Uuid,
    pub challenge: String,
    pub method: Method,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    S256,
    Plain,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Self::S256 => "s256",
            Self::Plain => "plain",
        }
    }
}

impl Challenge {
    /// Both or neither of `code_challenge` and `code_challenge_method`.
    pub fn parse(challenge: Option<&str>, method: Option<&str>) -> AuthResult<Option<Self>> {
        match (challenge.filter(|c| !c.is_empty()), method.filter(|m| !m.is_empty())) {
            (None, None) => Ok(None),
            (Some(challenge), Some(method)) => {
                let method = match method.to_ascii_lowercase().as_str() {
                    "s256" => Method::S256,
                    "plain" => Method::Plain,
                    other => {
                        return Err(AuthError::validation(format!(
                            "Code challenge method {other:?} is not supported"
                        )));
                    }
                };
                if !(43..=128).contains(&challenge.len()) {
                    return Err(AuthError::validation(
                        "code_challenge must be 43 to 128 characters",
                    ));
                }
                Ok(Some(Self { id: Uuid::now_v7(), challenge: challenge.to_owned(), method }))
            }
            _ => Err(AuthError::validation(
                "PKCE flow requires code_challenge_method and code_challenge",
            )),
        }
    }
}

pub async fn save(
    db: impl PgExecutor<'_>,
    challenge: &Challenge,
    user_id: Option<Uuid>,
    authentication_method: &str,
    ttl: std::time::Duration,
) -> sqlx::Result<()> {
    let new = db::pkce::NewFlowState {
        id: challenge.id,
        user_id,
        code_challenge: &challenge.challenge,
        code_challenge_method: challenge.method.as_str(),
        authentication_method,
        ttl: chrono::Duration::from_std(ttl).unwrap_or(chrono::Duration::hours(1)),
    };
    db::pkce::insert(db, &new).await
}

/// When the email's link is followed: a fresh auth code for the flow, to put in the redirect.
pub async fn issue_code(
    db: impl PgExecutor<'_>,
    flow_state_id: Uuid,
    user_id: Uuid,
) -> sqlx::Result<Option<String>> {
    let code = tokens::random_token();
    let set = db::pkce::set_auth_code(db, flow_state_id, &tokens::hash(&code), user_id).await?;
    Ok(set.then_some(code))
}

/// The exchange: the code's flow, if `verifier` matches its challenge. The flow is marked used
/// within the caller's transaction, which commits only on success: as in Supabase Auth, a wrong
/// verifier leaves the code usable (rate limits bound the guessing; the verifier is 256 bits).
/// Returns `(user_id, authentication_method)`.
pub async fn exchange(
    db: impl PgExecutor<'_>,
    auth_code: &str,
    verifier: &str,
) -> AuthResult<(Uuid, String)> {
    let flow = db::pkce::use_auth_code(db, &tokens::hash(auth_code)).await?;
    let Some(db::pkce::UsedFlow {
        user_id,
        code_challenge: challenge,
        code_challenge_method: method,
        authentication_method: auth_method,
        live,
    }) = flow
    else {
        return Err(AuthError::not_found(
            "flow_state_not_found",
            "invalid flow state, no valid flow state found",
        ));
    };
    if !live {
        return Err(AuthError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "flow_state_expired",
            "invalid flow state, flow state has expired",
        ));
    }
    let computed = match method.as_str() {
        "s256" => URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes())),
        _ => verifier.to_owned(),
    };
    if !bool::from(subtle::ConstantTimeEq::ct_eq(computed.as_bytes(), challenge.as_bytes())) {
        return Err(AuthError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "bad_code_verifier",
            "code challenge does not match previously saved code verifier",
        ));
    }
    let user_id = user_id
        .ok_or_else(|| AuthError::not_found("flow_state_not_found", "flow state has no user"))?;
    Ok((user_id, auth_method))
}
