//! Extractors: JSON bodies with GoTrue's errors, the client's address and user agent, and the
//! signed-in user from a bearer access token.

use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::header::{AUTHORIZATION, USER_AGENT};
use axum::http::request::Parts;
use posey_http::auth::{Claims, VerifyError, scopes};
use serde::de::DeserializeOwned;
use uuid::Uuid;

use crate::error::AuthError;
use crate::state::AppState;

/// A JSON body; a malformed one is GoTrue's `bad_json` / `validation_failed`, an oversized one
/// 413, one with the NUL character (U+0000, which PostgreSQL's text cannot hold) anywhere a 422
/// `validation_failed` naming where.
pub struct AuthJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for AuthJson<T> {
    type Rejection = AuthError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !posey_http::json::json_content_type(req.headers()) {
            return Err(AuthError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "bad_json",
                "Expected Content-Type: application/json",
            ));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(body_rejection)?;
        refuse_nul(&bytes)?;
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(v)) => Ok(Self(v)),
            Err(JsonRejection::JsonDataError(e)) => Err(AuthError::validation(e.body_text())),
            Err(JsonRejection::JsonSyntaxError(_)) => Err(AuthError::new(
                StatusCode::BAD_REQUEST,
                "bad_json",
                "Could not parse request body as JSON",
            )),
            // The content type and the body were checked above; `from_bytes` only parses.
            Err(other) => Err(AuthError::validation(other.body_text())),
        }
    }
}

/// A body that could not be read: too large (413), or cut off.
pub fn body_rejection(rejection: BytesRejection) -> AuthError {
    match rejection.status() {
        StatusCode::PAYLOAD_TOO_LARGE => AuthError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "request_too_large",
            "Request body is too large",
        ),
        _ => AuthError::validation(rejection.body_text()),
    }
}

/// Refuses a JSON body holding U+0000 in any string or key, naming where.
pub fn refuse_nul(body: &[u8]) -> Result<(), AuthError> {
    match posey_http::json::nul_field(body) {
        Some(field) => Err(AuthError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            format!("{field}: {}", posey_http::json::NUL_MESSAGE),
        )),
        None => Ok(()),
    }
}

/// Where a request came from, for rate limits, sessions and the audit log.
#[derive(Debug, Clone)]
pub struct Client {
    pub ip: Option<IpAddr>,
    pub user_agent: Option<String>,
}

impl Client {
    /// The rate-limit key for this client's address.
    pub fn ip_key(&self) -> String {
        self.ip.map_or_else(|| "ip:unknown".to_owned(), |ip| format!("ip:{ip}"))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let ip = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip());
        let user_agent = parts
            .headers
            .get(USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(512).collect());
        Ok(Self { ip, user_agent })
    }
}

/// The bearer of a valid access token of a live session.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub claims: Claims,
    pub user_id: Uuid,
    pub session_id: Option<Uuid>,
}

impl CurrentUser {
    pub fn has_role(&self, role: &str) -> bool {
        self.claims.role.as_deref() == Some(role) || self.claims.has_role(role)
    }
}

/// The token alone, without checking that its session still exists (for sign-out, which must
/// work on a session that is already gone).
pub struct BearerClaims(pub Claims);

impl FromRequestParts<AppState> for BearerClaims {
    type Rejection = AuthError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .ok_or_else(AuthError::no_authorization)?;
        match state.verifier.verify(token).await {
            Ok(claims) => Ok(Self(claims)),
            Err(VerifyError::SessionRevoked) => Err(AuthError::session_not_found()),
            Err(VerifyError::KeysUnavailable(e)) => Err(AuthError::Internal(anyhow::anyhow!(e))),
            Err(e) => Err(AuthError::bad_jwt(format!("invalid JWT: {e}"))),
        }
    }
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AuthError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let BearerClaims(claims) = BearerClaims::from_request_parts(parts, state).await?;
        Self::from_claims(state, claims).await
    }
}

impl CurrentUser {
    /// The user of verified `claims`, if their session is still live.
    async fn from_claims(state: &AppState, claims: Claims) -> Result<Self, AuthError> {
        let user_id: Uuid = claims
            .sub
            .parse()
            .map_err(|_| AuthError::bad_jwt("invalid JWT: sub is not a user id"))?;
        let session_id = claims.session_id.map(|s| s.as_uuid());
        // The session must still exist: the revocation list is polled, this is exact.
        if let Some(session) = session_id
            && crate::db::sessions::find(state.db(), session).await?.is_none()
        {
            return Err(AuthError::session_not_found());
        }
        Ok(Self { claims, user_id, session_id })
    }
}

/// The role an access token carries when it is a service client's (client-credentials grant).
pub const SERVICE_ROLE: &str = "service_role";

/// The RBAC role that opens the admin API to a signed-in user.
pub const ADMIN_ROLE: &str = "admin";

/// Someone allowed to use the admin API: a service client granted the scope `admin`
/// (`AUTH_SERVICE_CLIENT_SCOPES`), or a signed-in user (live session)
/// whose token carries the RBAC role `admin` and who still holds it. The token says what it was
/// issued with (a new grant counts from the next refresh, as everywhere else); the database is
/// asked on every request, so revoking the role (or banning or deleting the user) counts at
/// once. Anyone else gets 403 `not_admin`.
#[derive(Debug, Clone)]
pub struct Admin {
    /// Who acted, for the audit log: `service:<client>` or the user's id.
    pub actor: String,
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = AuthError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let BearerClaims(claims) = BearerClaims::from_request_parts(parts, state).await?;
        let is_user = claims.sub.parse::<Uuid>().is_ok();
        // Only the client-credentials grant makes tokens whose subject is not a user id; a user
        // token claiming `service_role` is judged as the user it is.
        if !is_user {
            return match claims.role.as_deref() {
                Some(SERVICE_ROLE) if claims.has_scope(scopes::ADMIN) => {
                    Ok(Self { actor: claims.sub })
                }
                // Posey's own services act for people; they never manage them.
                Some(SERVICE_ROLE) => Err(AuthError::service_not_admin()),
                _ => Err(AuthError::not_admin()),
            };
        }
        let user = CurrentUser::from_claims(state, claims).await?;
        if !(user.has_role(ADMIN_ROLE)
            && crate::db::roles::active_holder(state.db(), user.user_id, ADMIN_ROLE).await?)
        {
            return Err(AuthError::not_admin());
        }
        Ok(Self { actor: user.user_id.to_string() })
    }
}
