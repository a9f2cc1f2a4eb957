//! WebAuthn (passkeys) with `webauthn-rs`: the relying party from configuration, the ceremonies'
//! state kept in Postgres between their two requests (single use, five minutes), and the
//! library's refusals as client errors. Used by the `webauthn` MFA factor
//! (`routes::factors::webauthn`) and by passwordless sign-in (`routes::passkeys`).
//!
//! Every ceremony requires user verification (a PIN or biometric on the authenticator): a
//! passkey is then something the person has and something they know or are, which is why a
//! passwordless sign-in gives an `aal2` session.

use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;
use uuid::Uuid;
use webauthn_rs::prelude::{
    CreationChallengeResponse, PasskeyRegistration, Url, Webauthn, WebauthnBuilder, WebauthnError,
};

use crate::config::WebauthnSettings;
use crate::db::passkeys::{self, Ceremony, TakenChallenge};
use crate::db::users;
use crate::error::{AuthError, AuthResult};
use crate::state::AppState;

/// How long a ceremony's challenge may be answered (GoTrue's default for both kinds).
pub const CHALLENGE_TTL_SECS: i64 = 300;

/// The relying party, or why there is none: WebAuthn needs a domain (not an IP address), so an
/// install reached by address only gets a 422 from the passkey routes instead of failing to start.
pub fn relying_party(settings: &WebauthnSettings) -> Result<Webauthn, String> {
    let Some(first) = settings.origins.first() else {
        return Err("no WebAuthn origin configured".into());
    };
    let mut builder = WebauthnBuilder::new(&settings.rp_id, first)
        .map_err(|e| format!("RP id {:?} and origin {first}: {e}", settings.rp_id))?
        .rp_name(&settings.rp_name);
    for origin in &settings.origins[1..] {
        builder = builder.append_allowed_origin(origin);
    }
    builder.build().map_err(|e| format!("WebAuthn configuration: {e}"))
}

/// The service's relying party, or 422 when the configuration has none. Built per ceremony:
/// it is a few strings, and so needs no place in the service's state.
pub fn rp(state: &AppState) -> AuthResult<Webauthn> {
    relying_party(&state.settings().webauthn).map_err(|why| {
        AuthError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "webauthn_not_configured",
            format!("Passkeys are unavailable on this install: {why} (set AUTH_WEBAUTHN_RP_ID and AUTH_WEBAUTHN_ORIGINS)"),
        )
    })
}

/// The origins a client may name (GoTrue's `rpOrigins`), as text without a trailing slash.
fn origins(state: &AppState) -> Vec<String> {
    state
        .settings()
        .webauthn
        .origins
        .iter()
        .map(|o| o.as_str().trim_end_matches('/').to_owned())
        .collect()
}

/// GoTrue lets the client name the RP id and origins (auth-js sends `rpId`, `rpOrigins`); here
/// they come from configuration, so a client naming others is refused rather than obeyed.
pub fn check_client_rp(
    state: &AppState,
    rp_id: Option<&str>,
    rp_origins: Option<&[String]>,
) -> AuthResult<()> {
    let settings = &state.settings().webauthn;
    if let Some(rp_id) = rp_id
        && rp_id != settings.rp_id
    {
        return Err(AuthError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "webauthn_rp_mismatch",
            format!("rpId must be {:?}, this service's relying party", settings.rp_id),
        ));
    }
    let allowed = origins(state);
    for origin in rp_origins.unwrap_or_default() {
        let parsed = Url::parse(origin).map(|u| u.as_str().trim_end_matches('/').to_owned());
        if !parsed.is_ok_and(|o| allowed.contains(&o)) {
            return Err(AuthError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "webauthn_rp_mismatch",
                format!("rpOrigins may only name {}", allowed.join(", ")),
            ));
        }
    }
    Ok(())
}

/// A registration ceremony for the person: their address as the credential's name, and the
/// credentials they have already excluded (an authenticator registers once).
pub async fn start_registration(
    state: &AppState,
    rp: &Webauthn,
    user_id: Uuid,
) -> AuthResult<(CreationChallengeResponse, PasskeyRegistration)> {
    let user = users::find(state.db(), user_id)
        .await?
        .ok_or_else(|| AuthError::not_found("user_not_found", "User not found"))?;
    let exclude = passkeys::credential_ids(state.db(), user_id).await?;
    rp.start_passkey_registration(user_id, &user.email, &user.email, Some(exclude))
        .map_err(|e| AuthError::Internal(e.into()))
}

/// Stores a ceremony's state for its answer; its id is the `challenge_id` the client sends back.
pub async fn save_challenge(
    state: &AppState,
    ceremony: Ceremony,
    user_id: Option<Uuid>,
    factor_id: Option<Uuid>,
    ceremony_state: &impl Serialize,
) -> AuthResult<(Uuid, i64)> {
    let id = Uuid::now_v7();
    let now = state.clock.now();
    let saved = serde_json::to_value(ceremony_state).map_err(|e| AuthError::Internal(e.into()))?;
    let forget_before = now - chrono::Duration::seconds(CHALLENGE_TTL_SECS * 2);
    passkeys::insert_challenge(
        state.db(),
        &passkeys::NewChallenge { id, ceremony, user_id, factor_id, state: &saved, now },
        forget_before,
    )
    .await?;
    Ok((id, now.timestamp() + CHALLENGE_TTL_SECS))
}

/// The refusals of taking a challenge, in the codes the caller's API uses.
pub struct ChallengeCodes {
    pub not_found: &'static str,
    pub expired: &'static str,
}

/// Spends challenge `raw_id` of `ceremony` (for `user_id`, `factor_id` where given): its state
/// once, never again, answered within [`CHALLENGE_TTL_SECS`]. Used or not, a taken challenge
/// is gone, so a failed answer cannot be retried against it either.
pub async fn take_challenge<S: DeserializeOwned>(
    state: &AppState,
    raw_id: &str,
    ceremony: Ceremony,
    user_id: Option<Uuid>,
    factor_id: Option<Uuid>,
    codes: &ChallengeCodes,
) -> AuthResult<S> {
    let not_found = || {
        AuthError::not_found(codes.not_found, "No WebAuthn challenge with the given challenge_id")
    };
    let id: Uuid = raw_id.parse().map_err(|_| not_found())?;
    let now = state.clock.now();
    let TakenChallenge { previously_used, created_at, state: saved, .. } =
        passkeys::take_challenge(state.db(), id, ceremony, user_id, factor_id, now)
            .await?
            .ok_or_else(not_found)?;
    if previously_used.is_some() {
        return Err(AuthError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            codes.expired,
            format!("WebAuthn challenge {id} was already answered: start a new one"),
        ));
    }
    if expired(created_at, now) {
        return Err(AuthError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            codes.expired,
            format!("WebAuthn challenge {id} has expired: start a new one"),
        ));
    }
    serde_json::from_value(saved).map_err(|e| AuthError::Internal(e.into()))
}

fn expired(created_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now.timestamp() - created_at.timestamp() > CHALLENGE_TTL_SECS
}

/// The credential as the client sent it (a browser's `PublicKeyCredential.toJSON()`, base64url
/// fields), or 400 naming what is wrong with it.
pub fn parse_credential<T: DeserializeOwned>(credential: Value) -> AuthResult<T> {
    serde_json::from_value(credential).map_err(|e| {
        AuthError::new(
            StatusCode::BAD_REQUEST,
            "validation_failed",
            format!("credential is not a WebAuthn credential's JSON: {e}"),
        )
    })
}

/// Why a ceremony's answer was refused, for the person (422) and the audit log (`reason`).
pub fn refused(code: &'static str, error: &WebauthnError) -> (AuthError, &'static str) {
    use WebauthnError as E;
    let (reason, message) = match error {
        E::InvalidRPOrigin | E::CredentialCrossOrigin => {
            ("wrong_origin", "The credential was made for another origin")
        }
        E::InvalidRPIDHash => ("wrong_rp_id", "The credential is for another relying party id"),
        E::MismatchedChallenge => ("wrong_challenge", "The credential answers another challenge"),
        E::InvalidClientDataType => ("wrong_ceremony", "The credential is of the other ceremony"),
        E::UserNotVerified | E::UserNotPresent => {
            ("user_not_verified", "The authenticator did not verify the person (PIN or biometric)")
        }
        E::CredentialPossibleCompromise => (
            "counter_went_back",
            "The authenticator's signature counter went back: it may be a clone, so it is refused",
        ),
        E::CredentialNotFound => {
            ("unknown_credential", "The credential is not one of this account's")
        }
        E::AttestationNotSupported
        | E::COSEKeyInvalidAlgorithm
        | E::CredentialInsecureCryptography => (
            "unsupported_authenticator",
            "The authenticator's attestation or algorithm is not supported",
        ),
        E::ParseCBORFailure(_)
        | E::ParseJSONFailure(_)
        | E::ParseNOMFailure
        | E::ParseInsufficientBytesAvailable => {
            ("malformed", "The credential's data does not parse")
        }
        _ => ("verification_failed", "The credential's signature or data did not verify"),
    };
    let error =
        AuthError::new(StatusCode::UNPROCESSABLE_ENTITY, code, format!("{message} ({error})"));
    (error, reason)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(rp_id: &str, origins: &[&str]) -> WebauthnSettings {
        WebauthnSettings {
            rp_id: rp_id.into(),
            origins: origins.iter().map(|o| o.parse().unwrap()).collect(),
            rp_name: "Posey".into(),
        }
    }

    #[test]
    fn the_relying_party_needs_a_domain_its_origins_share() {
        assert!(relying_party(&settings("localhost", &["http://localhost:3000"])).is_ok());
        assert!(
            relying_party(&settings(
                "home.test",
                &["https://posey.home.test", "https://home.test"]
            ))
            .is_ok()
        );
        assert!(relying_party(&settings("home.test", &["https://other.test"])).is_err());
        assert!(relying_party(&settings("192.168.1.5", &["http://192.168.1.5:3000"])).is_err());
    }

    #[test]
    fn a_challenge_lasts_five_minutes() {
        let made = Utc::now();
        assert!(!expired(made, made + chrono::Duration::seconds(CHALLENGE_TTL_SECS)));
        assert!(expired(made, made + chrono::Duration::seconds(CHALLENGE_TTL_SECS + 1)));
    }
}
