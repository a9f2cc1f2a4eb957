//! The rules every credential and email endpoint applies: rate limits, address and password
//! checks, allowed redirects, and the decoy answer that hides which addresses have accounts.

use std::time::Duration;

use axum::http::StatusCode;
use posey_domain::Email;
use serde_json::{Value, json};

use crate::config::AuthSettings;
use crate::error::{AuthError, AuthResult};
use crate::extract::Client;
use crate::password::MAX_PASSWORD_BYTES;
use crate::state::AppState;

const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);

pub async fn limit_ip(state: &AppState, client: &Client) -> AuthResult<()> {
    let limit = state.settings().rate_limits.per_ip_per_minute;
    check(state, &client.ip_key(), limit, MINUTE, "over_request_rate_limit").await
}

pub async fn limit_account(state: &AppState, email: &Email) -> AuthResult<()> {
    let limit = state.settings().rate_limits.per_account_per_minute;
    check(state, &format!("account:{email}"), limit, MINUTE, "over_request_rate_limit").await
}

pub async fn limit_emails(state: &AppState, address: &str) -> AuthResult<()> {
    let limit = state.settings().rate_limits.emails_per_hour;
    check(state, &format!("email:{address}"), limit, HOUR, "over_email_send_rate_limit").await
}

pub async fn limit_refresh(state: &AppState, client: &Client) -> AuthResult<()> {
    let limit = state.settings().rate_limits.refresh_per_ip_per_minute;
    let key = format!("refresh:{}", client.ip_key());
    check(state, &key, limit, MINUTE, "over_request_rate_limit").await
}

/// Counts one request for `key`; GoTrue's 429 `code` once `limit` is exceeded within `window`.
async fn check(
    state: &AppState,
    key: &str,
    limit: u32,
    window: Duration,
    code: &'static str,
) -> AuthResult<()> {
    match state.limiter.count(key, limit, window).await {
        Some(retry_after) => Err(AuthError::RateLimited { retry_after, code }),
        None => Ok(()),
    }
}

/// The normalised address, or GoTrue's `email_address_invalid`.
pub fn email(raw: Option<&str>) -> AuthResult<Email> {
    let raw = raw.filter(|r| !r.trim().is_empty()).ok_or_else(|| {
        AuthError::new(StatusCode::BAD_REQUEST, "validation_failed", "An email address is required")
    })?;
    Email::parse(raw).map_err(|e| {
        AuthError::new(
            StatusCode::BAD_REQUEST,
            "email_address_invalid",
            format!("Unable to validate email address: {e}"),
        )
    })
}

/// Length rules, checked before any hashing.
pub fn check_password(settings: &AuthSettings, password: &str) -> AuthResult<()> {
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(AuthError::validation(format!(
            "Password cannot be longer than {MAX_PASSWORD_BYTES} bytes"
        )));
    }
    if password.chars().count() < settings.password_min_length {
        return Err(AuthError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "weak_password",
            format!("Password should be at least {} characters.", settings.password_min_length),
        ));
    }
    Ok(())
}

/// `redirect_to` if it is allowed (matched exactly), else the site URL.
pub fn redirect(settings: &AuthSettings, requested: Option<&str>) -> String {
    match requested {
        Some(url) if settings.allows_redirect(url) => url.to_owned(),
        Some(url) => {
            tracing::info!(
                redirect_to = url,
                "redirect_to not in AUTH_REDIRECT_URLS; using the site URL"
            );
            settings.site_url.to_string()
        }
        None => settings.site_url.to_string(),
    }
}

/// Who may sign up now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignupMode {
    /// The install has no account: the first to sign up becomes its owner.
    Owner,
    /// Anyone may sign up (`AUTH_OPEN_SIGNUP`).
    Open,
    /// Only with an invite (the default once the owner exists, and always under
    /// `AUTH_DISABLE_SIGNUP`).
    Invite,
}

impl SignupMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "owner",
            Self::Open => "open",
            Self::Invite => "invite",
        }
    }
}

pub async fn signup_mode(state: &AppState) -> AuthResult<SignupMode> {
    let settings = state.settings();
    if settings.disable_signup {
        return Ok(SignupMode::Invite);
    }
    if !crate::db::install::has_accounts(state.db()).await? {
        return Ok(SignupMode::Owner);
    }
    Ok(if settings.open_signup { SignupMode::Open } else { SignupMode::Invite })
}

/// A sign-up without an invite on an install that takes only invitees.
pub fn invite_only() -> AuthError {
    AuthError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "signup_disabled",
        "Sign-up is by invitation: ask an admin of this Posey for an invite",
    )
}

/// What `/signup` answers for an address that already has an account: shaped like a new user
/// awaiting confirmation, with nothing real in it.
pub fn decoy_user(email: &str, metadata: &Value) -> Value {
    let id = uuid::Uuid::now_v7();
    let now = chrono::Utc::now();
    json!({
        "id": id,
        "aud": "authenticated",
        "role": "authenticated",
        "email": email,
        "phone": "",
        "confirmation_sent_at": now,
        "app_metadata": { "provider": "email", "providers": ["email"] },
        "user_metadata": metadata,
        "identities": [{
            "identity_id": id,
            "id": id,
            "user_id": id,
            "identity_data": { "email": email, "email_verified": false, "phone_verified": false, "sub": id },
            "provider": "email",
            "created_at": now,
            "updated_at": now,
            "email": email,
        }],
        "created_at": now,
        "updated_at": now,
        "is_anonymous": false,
    })
}
