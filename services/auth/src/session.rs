//! Sessions: starting one (a sign-in of any kind), and the refresh grant with rotation, the
//! reuse interval for racing clients, and family revocation when a used token comes back late.

use posey_domain::SessionId;
use serde_json::{Value, json};
use sqlx::{Postgres, Transaction};

use crate::db::audit::{self, Event};
use crate::db::factors;
use crate::db::sessions::{self, NewSession, Revoke};
use crate::db::users::{self, User};
use crate::error::{AuthError, AuthResult};
use crate::extract::Client;
use crate::state::AppState;
use crate::tokens::{self, PersonToken};

/// What every grant answers: Supabase's session object.
pub struct Issued {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: i64,
    pub expires_at: i64,
    pub user: User,
    /// The person's MFA factors, as `user.factors`.
    pub factors: Vec<Value>,
}

impl Issued {
    pub fn to_json(&self) -> Value {
        json!({
            "access_token": self.access_token,
            "token_type": "bearer",
            "expires_in": self.expires_in,
            "expires_at": self.expires_at,
            "refresh_token": self.refresh_token,
            "user": self.user.to_json_with_factors(&self.factors),
        })
    }
}

/// Starts a session for `user`, signed in by `method` (`password`, `otp`, `magiclink`, ...),
/// inside `tx` (committed by the caller).
pub async fn start(
    state: &AppState,
    tx: &mut Transaction<'_, Postgres>,
    user: &User,
    method: &str,
    client: &Client,
) -> AuthResult<Issued> {
    // Every sign-in path ends here: a soft-deleted account never gets a session again.
    if user.is_deleted() {
        return Err(AuthError::not_found("user_not_found", "User not found"));
    }
    let timebox = chrono::Duration::from_std(state.settings().session_timebox)
        .map_err(|e| AuthError::Internal(e.into()))?;
    let now = state.clock.now();
    let amr = json!([{ "method": method, "timestamp": now.timestamp() }]);
    let session = sessions::insert(
        &mut **tx,
        &NewSession {
            user_id: user.id,
            now,
            not_after: now + timebox,
            amr: &amr,
            user_agent: client.user_agent.as_deref(),
            ip: client.ip,
        },
    )
    .await?;
    let refresh_token = tokens::random_token();
    sessions::insert_refresh_token(
        &mut **tx,
        &tokens::hash(&refresh_token),
        session.id,
        user.id,
        None,
    )
    .await?;
    users::touch_sign_in(&mut **tx, user.id).await?;
    audit::record(
        &mut **tx,
        Event {
            action: "login",
            actor_id: Some(user.id.to_string()),
            target_id: Some(user.id.to_string()),
            ip: client.ip,
            payload: json!({ "method": method, "session_id": session.id }),
        },
    )
    .await?;
    let mut user = user.clone();
    user.last_sign_in_at = Some(now);
    let roles = users::roles(&mut **tx, user.id).await?;
    let factors = factors::json_for_user(&mut **tx, user.id).await?;
    let session = Granted { id: session.id, aal: &session.aal, amr: &amr };
    access(state, user, &roles, factors, session, refresh_token)
}

/// Raises the bearer's session to `aal2` after a second factor (`method`: `totp`,
/// `recovery_code`), inside `tx`: the same session, a new refresh token (the ones before it are
/// spent), an access token with `aal2` and the method in `amr`.
pub async fn elevate(
    state: &AppState,
    tx: &mut Transaction<'_, Postgres>,
    user_id: uuid::Uuid,
    session_id: uuid::Uuid,
    method: &str,
) -> AuthResult<Issued> {
    let now = state.clock.now();
    let user = users::find(&mut **tx, user_id)
        .await?
        .ok_or_else(|| AuthError::not_found("user_not_found", "User not found"))?;
    let (aal, amr) = factors::elevate_session(&mut **tx, session_id, method, now)
        .await?
        .ok_or_else(AuthError::session_not_found)?;
    factors::retire_refresh_tokens(&mut **tx, session_id).await?;
    let refresh_token = tokens::random_token();
    sessions::insert_refresh_token(
        &mut **tx,
        &tokens::hash(&refresh_token),
        session_id,
        user.id,
        None,
    )
    .await?;
    let roles = users::roles(&mut **tx, user.id).await?;
    let factors = factors::json_for_user(&mut **tx, user.id).await?;
    let session = Granted { id: session_id, aal: &aal, amr: &amr };
    access(state, user, &roles, factors, session, refresh_token)
}

/// An access token in an app password's session (no refresh token: the app signs in with its
/// password again when the token expires). Keeps the session alive as a refresh would.
pub async fn app_password_access(
    state: &AppState,
    tx: &mut Transaction<'_, Postgres>,
    user: &User,
    session_id: uuid::Uuid,
) -> AuthResult<Issued> {
    if user.is_deleted() {
        return Err(AuthError::not_found("user_not_found", "User not found"));
    }
    let now = state.clock.now();
    sqlx::query!("UPDATE auth.sessions SET refreshed_at = $2 WHERE id = $1", session_id, now)
        .execute(&mut **tx)
        .await?;
    let amr = json!([{ "method": "app_password", "timestamp": now.timestamp() }]);
    let roles = users::roles(&mut **tx, user.id).await?;
    let factors = factors::json_for_user(&mut **tx, user.id).await?;
    let session = Granted { id: session_id, aal: "aal1", amr: &amr };
    access(state, user.clone(), &roles, factors, session, String::new())
}

/// The session an access token is for: its id, assurance level and methods.
struct Granted<'a> {
    id: uuid::Uuid,
    aal: &'a str,
    amr: &'a Value,
}

fn access(
    state: &AppState,
    user: User,
    roles: &[String],
    factors: Vec<Value>,
    session: Granted<'_>,
    refresh_token: String,
) -> AuthResult<Issued> {
    let Granted { id: session_id, aal, amr } = session;
    let ttl = state.settings().access_token_ttl.as_secs() as i64;
    let now = state.clock.now().timestamp();
    let claims = PersonToken {
        user: &user,
        roles,
        session_id: SessionId::from(session_id),
        aal,
        amr,
        issuer: &state.settings().issuer,
        issued_at: now,
        expires_at: now + ttl,
    };
    let access_token = state.keys.sign(&claims.claims())?;
    Ok(Issued {
        access_token,
        refresh_token,
        expires_in: ttl,
        expires_at: now + ttl,
        user,
        factors,
    })
}

/// The refresh grant.
pub async fn refresh(state: &AppState, presented: &str, client: &Client) -> AuthResult<Issued> {
    let not_found = || {
        AuthError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "refresh_token_not_found",
            "Invalid Refresh Token: Refresh Token Not Found",
        )
    };
    if presented.is_empty() || presented.len() > 128 {
        return Err(not_found());
    }
    let settings = state.settings();
    let inactivity = chrono::Duration::from_std(settings.session_inactivity_timeout)
        .map_err(|e| AuthError::Internal(e.into()))?;
    let successor = tokens::successor(&state.refresh_secret, presented);
    let presented_hash = tokens::hash(presented);
    let now = state.clock.now();

    // The usual case, one round trip.
    if let Some(rotated) = sessions::rotate_fast(
        state.db(),
        &presented_hash,
        &tokens::hash(&successor),
        inactivity,
        now,
    )
    .await?
    {
        // Banning or deleting someone ends their sessions; this only guards a race with that.
        if rotated.user.is_banned() || rotated.user.deleted_at.is_some() {
            return Err(AuthError::new(
                axum::http::StatusCode::FORBIDDEN,
                "user_banned",
                "User is banned",
            ));
        }
        let sessions::Rotated { session_id, aal, amr, roles, has_factors, user } = rotated;
        let factors = match has_factors {
            true => factors::json_for_user(state.db(), user.id).await?,
            false => Vec::new(),
        };
        let session = Granted { id: session_id, aal: &aal, amr: &amr };
        return access(state, user, &roles, factors, session, successor);
    }

    // Everything else, carefully: unknown, expired, or a used token (a race or a theft).
    let mut tx = state.db().begin().await?;
    let token =
        sessions::lock_refresh_token(&mut tx, &presented_hash).await?.ok_or_else(not_found)?;
    // Read again: the lock may have waited for a racing request.
    let now = state.clock.now();
    if token.not_after < now || token.refreshed_at + inactivity < now {
        sessions::revoke(&mut tx, Revoke::One(token.session_id), settings.access_token_ttl).await?;
        tx.commit().await?;
        return Err(AuthError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "session_expired",
            "Session has expired",
        ));
    }

    if token.revoked {
        let reuse = chrono::Duration::from_std(settings.refresh_reuse_interval)
            .map_err(|e| AuthError::Internal(e.into()))?;
        let within_interval = token.rotated_at.is_some_and(|at| now - at <= reuse);
        if !(within_interval
            && sessions::refresh_token_exists(&mut *tx, &tokens::hash(&successor)).await?)
        {
            // A used token came back after the interval: someone holds a copy. End the family.
            sessions::revoke(&mut tx, Revoke::One(token.session_id), settings.access_token_ttl)
                .await?;
            audit::record(
                &mut *tx,
                Event {
                    action: "token_revoked",
                    actor_id: Some(token.user_id.to_string()),
                    target_id: Some(token.user_id.to_string()),
                    ip: client.ip,
                    payload: json!({ "reason": "refresh_token_reuse", "session_id": token.session_id }),
                },
            )
            .await?;
            tx.commit().await?;
            return Err(AuthError::new(
                axum::http::StatusCode::BAD_REQUEST,
                "refresh_token_already_used",
                "Invalid Refresh Token: Already Used",
            ));
        }
        // Racing clients (two tabs, an app resuming): the same successor for both.
    } else {
        sessions::rotate(&mut tx, &token, &tokens::hash(&successor), now).await?;
    }

    let user = users::find(&mut *tx, token.user_id).await?.ok_or_else(not_found)?;
    if user.is_banned() {
        tx.rollback().await?;
        return Err(AuthError::new(
            axum::http::StatusCode::FORBIDDEN,
            "user_banned",
            "User is banned",
        ));
    }
    let roles = users::roles(&mut *tx, user.id).await?;
    let factors = factors::json_for_user(&mut *tx, user.id).await?;
    tx.commit().await?;
    let session = Granted { id: token.session_id, aal: &token.aal, amr: &token.amr };
    access(state, user, &roles, factors, session, successor)
}
