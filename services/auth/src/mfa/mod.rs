//! Multi-factor authentication's rules: TOTP itself ([`totp`]), secrets sealed at rest
//! ([`seal`]), the lockout after wrong codes, recovery codes, and the `aal2` requirement for a
//! person who has a verified factor.

pub mod seal;
pub mod totp;

use axum::http::StatusCode;
use rand::RngCore;
use serde_json::json;
use uuid::Uuid;

use crate::db::audit::{self, Event};
use crate::db::factors;
use crate::error::{AuthError, AuthResult};
use crate::extract::{Client, CurrentUser};
use crate::state::AppState;

/// The assurance level a second factor gives.
pub const AAL2: &str = "aal2";

/// GoTrue's code for an attempt refused while locked out (429).
const LOCKED_CODE: &str = "over_request_rate_limit";

/// Whether the bearer's token is `aal2`.
pub fn is_aal2(me: &CurrentUser) -> bool {
    me.claims.aal.as_deref() == Some(AAL2)
}

/// A person with a verified factor must be at `aal2` for this; `status` is GoTrue's for the
/// endpoint (401 for `PUT /user`, 403 to enrol, 422 to unenrol).
pub async fn require_aal2(
    state: &AppState,
    me: &CurrentUser,
    status: StatusCode,
    message: &'static str,
) -> AuthResult<()> {
    if is_aal2(me) || !factors::has_verified(state.db(), me.user_id).await? {
        return Ok(());
    }
    Err(AuthError::new(status, "insufficient_aal", message))
}

/// Refuses with 429 while the factor or the account has had too many wrong codes within the
/// window (counted by the service's clock).
pub async fn check_lockout(state: &AppState, user_id: Uuid, factor_id: Uuid) -> AuthResult<()> {
    let lockout = state.settings().mfa_lockout;
    let window =
        chrono::Duration::from_std(lockout.window).map_err(|e| AuthError::Internal(e.into()))?;
    let now = state.clock.now();
    let seen = factors::failures_since(state.db(), user_id, factor_id, now - window).await?;
    let locked_since = if seen.factor >= i64::from(lockout.per_factor) {
        seen.factor_oldest
    } else if seen.account >= i64::from(lockout.per_account) {
        seen.account_oldest
    } else {
        None
    };
    match locked_since {
        Some(oldest) => {
            let retry_after = (oldest + window - now).to_std().unwrap_or_default();
            Err(AuthError::RateLimited { retry_after, code: LOCKED_CODE })
        }
        None => Ok(()),
    }
}

/// Records a wrong code and audits it; audits the lockout when this one reaches a limit.
pub async fn record_failure(
    state: &AppState,
    client: &Client,
    user_id: Uuid,
    factor_id: Uuid,
    reason: &str,
) -> AuthResult<()> {
    let lockout = state.settings().mfa_lockout;
    let window =
        chrono::Duration::from_std(lockout.window).map_err(|e| AuthError::Internal(e.into()))?;
    let now = state.clock.now();
    let mut tx = state.db().begin().await?;
    factors::record_failure(&mut *tx, user_id, factor_id, now, now - window).await?;
    let event = |action, payload| Event {
        action,
        actor_id: Some(user_id.to_string()),
        target_id: Some(user_id.to_string()),
        ip: client.ip,
        payload,
    };
    audit::record(
        &mut *tx,
        event("mfa_verification_failed", json!({ "factor_id": factor_id, "reason": reason })),
    )
    .await?;
    let seen = factors::failures_since(&mut *tx, user_id, factor_id, now - window).await?;
    let scope = if seen.factor == i64::from(lockout.per_factor) {
        Some("factor")
    } else if seen.account == i64::from(lockout.per_account) {
        Some("account")
    } else {
        None
    };
    if let Some(scope) = scope {
        let payload = json!({ "factor_id": factor_id, "scope": scope, "failures": seen.factor.max(seen.account) });
        audit::record(&mut *tx, event("mfa_locked_out", payload)).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// How many recovery codes a person gets at a time.
pub const RECOVERY_CODES: usize = 10;

/// A new recovery code: 60 random bits as `xxxxx-xxxxx` (base32, lower case).
pub fn new_recovery_code() -> String {
    let mut bytes = [0u8; 8];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let text = data_encoding::BASE32_NOPAD.encode(&bytes).to_ascii_lowercase();
    format!("{}-{}", &text[..5], &text[5..10])
}

/// What is stored of a recovery code: SHA-256 of it, lower case, without spaces or dashes (so
/// however it is typed, it matches). The code is random, so a slow hash adds nothing.
pub fn recovery_code_hash(code: &str) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let normal: String = code
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect();
    Sha256::digest(normal.as_bytes()).to_vec()
}

/// Whether `code` has a recovery code's shape (and so is not a TOTP code).
pub fn looks_like_recovery_code(code: &str) -> bool {
    code.chars().filter(|c| c.is_ascii_alphanumeric()).count() == 10
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recovery_codes_match_however_typed() {
        let code = new_recovery_code();
        assert_eq!(code.len(), 11);
        assert!(looks_like_recovery_code(&code));
        assert!(!looks_like_recovery_code("123456"));
        assert_eq!(
            recovery_code_hash(&code),
            recovery_code_hash(&code.to_uppercase().replace('-', " "))
        );
        assert_ne!(new_recovery_code(), code);
    }
}
