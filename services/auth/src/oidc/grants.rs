//! Codes and grants: issuing an authorization code, and the token endpoint's grants
//! (`authorization_code`, `refresh_token` with rotation, `client_credentials`), revocation
//! and introspection. A code is single use, short-lived, bound to its client, redirect URI and
//! PKCE challenge; presented again, it revokes the grant it made. A refresh token is single use;
//! presented again, it revokes its grant (someone holds a copy).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use uuid::Uuid;

use crate::db::audit::{self, Event};
use crate::db::oauth::{self, Client, Grant, NewCode};
use crate::db::users::{self, User};
use crate::extract::Client as Caller;
use crate::oidc::error::{OAuthError, OAuthResult};
use crate::oidc::jwe::Encryption;
use crate::oidc::request::{AuthorizeRequest, Form};
use crate::oidc::tokens::{self, Issue};
use crate::oidc::{CODE_TTL, has_scope};
use crate::state::AppState;
use crate::tokens as secrets;

/// A fresh code for `request`, signed in as `user_id` at `auth_time`: the redirect to send.
pub async fn issue_code(
    state: &AppState,
    request: &AuthorizeRequest,
    user_id: Uuid,
    auth_time: DateTime<Utc>,
) -> sqlx::Result<String> {
    let code = secrets::random_token();
    let expires_at = state.clock.now() + chrono::Duration::from_std(CODE_TTL).unwrap_or_default();
    oauth::insert_code(
        state.db(),
        &NewCode {
            code_hash: &secrets::hash(&code),
            client_id: request.client.client_id,
            user_id,
            redirect_uri: &request.redirect_uri,
            scope: &request.scope(),
            nonce: request.nonce.as_deref(),
            code_challenge: request.code_challenge.as_deref(),
            auth_time,
            expires_at,
        },
    )
    .await?;
    Ok(request.redirect(&state.settings().issuer, &[("code", &code)]))
}

/// The token endpoint's answer (RFC 6749 5.1, OpenID Connect Core 3.1.3.3); the id token
/// encrypted to the client's key when it registered one (OpenID Connect Core 10.2).
fn answer(
    state: &AppState,
    client: &Client,
    issue: &Issue<'_>,
    refresh_token: Option<String>,
) -> OAuthResult<Value> {
    let (access_token, expires_in) = tokens::access_token(state, issue)?;
    let mut body = json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": expires_in,
        "scope": issue.scope,
    });
    if issue.user.is_some() && has_scope(issue.scope, "openid") {
        let id_token = tokens::id_token(state, issue, &access_token)?;
        let id_token = match Encryption::of(client)? {
            Some(encryption) => encryption.encrypt(id_token.as_bytes())?,
            None => id_token,
        };
        body["id_token"] = id_token.into();
    }
    if let Some(refresh_token) = refresh_token {
        body["refresh_token"] = refresh_token.into();
    }
    Ok(body)
}

/// A refresh token for the grant, if its scope and client call for one.
async fn new_refresh_token(
    db: &mut sqlx::PgConnection,
    client: &Client,
    grant: &Grant,
) -> sqlx::Result<Option<String>> {
    if !(client.allows_grant("refresh_token") && has_scope(&grant.scope, "offline_access")) {
        return Ok(None);
    }
    let token = secrets::random_token();
    oauth::insert_refresh_token(db, &secrets::hash(&token), grant.id).await?;
    Ok(Some(token))
}

/// The person a grant acts for, if they may still sign in.
async fn live_user(db: &mut sqlx::PgConnection, id: Uuid) -> OAuthResult<User> {
    let user = users::find(db, id).await?;
    user.filter(|u| !u.is_banned() && !u.is_deleted())
        .ok_or_else(|| OAuthError::invalid_grant("The account cannot sign in"))
}

async fn record_revocation(
    db: &mut sqlx::PgConnection,
    caller: &Caller,
    user_id: Option<Uuid>,
    reason: &str,
    grant_id: Uuid,
) -> sqlx::Result<()> {
    audit::record(
        db,
        Event {
            action: "token_revoked",
            actor_id: user_id.map(|u| u.to_string()),
            target_id: user_id.map(|u| u.to_string()),
            ip: caller.ip,
            payload: json!({ "reason": reason, "oauth_grant_id": grant_id }),
        },
    )
    .await
}

/// `grant_type=authorization_code`.
pub async fn exchange_code(
    state: &AppState,
    caller: &Caller,
    client: &Client,
    form: &Form,
) -> OAuthResult<Value> {
    if !client.allows_grant("authorization_code") {
        return Err(OAuthError::new("unauthorized_client", "This client may not exchange codes"));
    }
    let code = form.get("code").ok_or_else(|| OAuthError::invalid_request("code is missing"))?;
    let code_hash = secrets::hash(code);
    let now = state.clock.now();
    let mut tx = state.db().begin().await?;
    let found = oauth::lock_code(&mut tx, &code_hash).await?;
    let Some(stored) = found.filter(|c| c.client_id == client.client_id) else {
        return Err(OAuthError::invalid_grant("Unknown authorization code"));
    };
    if stored.used_at.is_some() {
        // Someone replays a code: whatever it gave is no longer safe (RFC 6749 4.1.2).
        if let Some(grant_id) = stored.grant_id {
            oauth::revoke_grant(&mut *tx, grant_id).await?;
            record_revocation(&mut tx, caller, Some(stored.user_id), "oauth_code_reuse", grant_id)
                .await?;
        }
        tx.commit().await?;
        return Err(OAuthError::invalid_grant("The authorization code was already used"));
    }
    // From here every refusal spends the code: a stolen code gets one try.
    oauth::use_code(&mut *tx, &code_hash, None, now).await?;
    let refusal = if stored.expires_at <= now {
        Some("The authorization code has expired")
    } else if form.get("redirect_uri") != Some(stored.redirect_uri.as_str()) {
        Some("redirect_uri does not match the authorization request")
    } else {
        verifier_refusal(stored.code_challenge.as_deref(), form.get("code_verifier"))
    };
    if let Some(refusal) = refusal {
        tx.commit().await?;
        return Err(OAuthError::invalid_grant(refusal));
    }
    let user = live_user(&mut tx, stored.user_id).await?;
    let grant = Grant {
        id: Uuid::now_v7(),
        client_id: client.client_id,
        user_id: Some(user.id),
        scope: stored.scope.clone(),
        auth_time: Some(stored.auth_time),
        revoked_at: None,
    };
    oauth::insert_grant(&mut *tx, &grant).await?;
    oauth::use_code(&mut *tx, &code_hash, Some(grant.id), now).await?;
    let refresh_token = new_refresh_token(&mut tx, client, &grant).await?;
    let issue = Issue {
        client_id: client.client_id,
        grant_id: grant.id,
        user: Some(&user),
        scope: &grant.scope,
        auth_time: grant.auth_time,
        nonce: stored.nonce.as_deref(),
    };
    let body = answer(state, client, &issue, refresh_token)?;
    tx.commit().await?;
    Ok(body)
}

/// Why `verifier` does not answer `challenge` (RFC 7636 4.6), if it does not.
fn verifier_refusal(challenge: Option<&str>, verifier: Option<&str>) -> Option<&'static str> {
    match (challenge, verifier) {
        (None, None) => None,
        (None, Some(_)) => Some("code_verifier was sent, but the request had no code_challenge"),
        (Some(_), None) => Some("code_verifier is missing"),
        (Some(challenge), Some(verifier)) => {
            let well_formed = (43..=128).contains(&verifier.len())
                && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
            let computed = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
            let matches = bool::from(computed.as_bytes().ct_eq(challenge.as_bytes()));
            (!(well_formed && matches)).then_some("code_verifier does not match the code_challenge")
        }
    }
}

/// `grant_type=refresh_token`, with rotation.
pub async fn refresh(
    state: &AppState,
    caller: &Caller,
    client: &Client,
    form: &Form,
) -> OAuthResult<Value> {
    if !client.allows_grant("refresh_token") {
        return Err(OAuthError::new("unauthorized_client", "This client may not refresh"));
    }
    let presented = form
        .get("refresh_token")
        .ok_or_else(|| OAuthError::invalid_request("refresh_token is missing"))?;
    let unknown = || OAuthError::invalid_grant("Unknown refresh token");
    let hash = secrets::hash(presented);
    let mut tx = state.db().begin().await?;
    let token = oauth::lock_refresh_token(&mut tx, &hash).await?.ok_or_else(unknown)?;
    let grant = oauth::find_grant(&mut *tx, token.grant_id).await?.ok_or_else(unknown)?;
    if grant.client_id != client.client_id {
        return Err(unknown());
    }
    if grant.revoked_at.is_some() {
        return Err(OAuthError::invalid_grant("The grant was revoked"));
    }
    if token.used_at.is_some() {
        oauth::revoke_grant(&mut *tx, grant.id).await?;
        record_revocation(&mut tx, caller, grant.user_id, "oauth_refresh_token_reuse", grant.id)
            .await?;
        tx.commit().await?;
        return Err(OAuthError::invalid_grant("The refresh token was already used"));
    }
    oauth::use_refresh_token(&mut *tx, &hash, state.clock.now()).await?;
    let user_id = grant.user_id.ok_or_else(unknown)?;
    let user = live_user(&mut tx, user_id).await?;
    let refresh_token = new_refresh_token(&mut tx, client, &grant).await?;
    let issue = Issue {
        client_id: client.client_id,
        grant_id: grant.id,
        user: Some(&user),
        scope: &grant.scope,
        auth_time: grant.auth_time,
        nonce: None,
    };
    let body = answer(state, client, &issue, refresh_token)?;
    tx.commit().await?;
    Ok(body)
}

/// `grant_type=client_credentials`: the client's own token (no person, no id token).
pub async fn client_credentials(
    state: &AppState,
    client: &Client,
    form: &Form,
) -> OAuthResult<Value> {
    if !(client.is_confidential() && client.allows_grant("client_credentials")) {
        return Err(OAuthError::new(
            "unauthorized_client",
            "This client may not use client_credentials",
        ));
    }
    // A client's own token holds none of a person's scopes.
    let personal = ["openid", "profile", "email", "offline_access"];
    let allowed: Vec<&str> =
        client.scopes().into_iter().filter(|s| !personal.contains(s)).collect();
    let wanted = crate::oidc::split_scopes(form.get("scope").unwrap_or_default());
    if let Some(beyond) = wanted.iter().find(|w| !allowed.contains(&w.as_str())) {
        return Err(OAuthError::new("invalid_scope", format!("{beyond:?} is not this client's")));
    }
    let grant = Grant {
        id: Uuid::now_v7(),
        client_id: client.client_id,
        user_id: None,
        scope: wanted.join(" "),
        auth_time: None,
        revoked_at: None,
    };
    oauth::insert_grant(state.db(), &grant).await?;
    let issue = Issue {
        client_id: client.client_id,
        grant_id: grant.id,
        user: None,
        scope: &grant.scope,
        auth_time: None,
        nonce: None,
    };
    answer(state, client, &issue, None)
}

/// A token of `client`'s: its grant, and whether it is a refresh token.
async fn find_token(
    state: &AppState,
    client: &Client,
    token: &str,
    expired_ok: bool,
) -> sqlx::Result<Option<(Grant, Option<serde_json::Map<String, Value>>)>> {
    let (grant_id, claims) = if token.contains('.') {
        let Some(claims) = tokens::verify(state, token, expired_ok).await else {
            return Ok(None);
        };
        let Some((grant_id, _)) = tokens::grant_of(&claims) else {
            return Ok(None);
        };
        (grant_id, Some(claims))
    } else {
        match oauth::find_refresh_token(state.db(), &secrets::hash(token)).await? {
            Some(found) if found.used_at.is_none() => (found.grant_id, None),
            _ => return Ok(None),
        }
    };
    let grant = oauth::find_grant(state.db(), grant_id).await?;
    Ok(grant.filter(|g| g.client_id == client.client_id).map(|g| (g, claims)))
}

/// RFC 7009: ends the grant of `client`'s token (access or refresh), and so every token of it.
/// Unknown tokens and other clients' are ignored, as the RFC says.
pub async fn revoke(
    state: &AppState,
    caller: &Caller,
    client: &Client,
    token: &str,
) -> OAuthResult<()> {
    if let Some((grant, _)) = find_token(state, client, token, true).await?
        && grant.revoked_at.is_none()
    {
        let mut tx = state.db().begin().await?;
        oauth::revoke_grant(&mut *tx, grant.id).await?;
        record_revocation(&mut tx, caller, grant.user_id, "oauth_revocation", grant.id).await?;
        tx.commit().await?;
    }
    Ok(())
}

/// RFC 7662: whether `client`'s token is active, and what it is. Tokens of other clients are
/// inactive to it.
pub async fn introspect(state: &AppState, client: &Client, token: &str) -> OAuthResult<Value> {
    let inactive = json!({ "active": false });
    let Some((grant, claims)) = find_token(state, client, token, false).await? else {
        return Ok(inactive);
    };
    if grant.revoked_at.is_some() {
        return Ok(inactive);
    }
    if let Some(user_id) = grant.user_id
        && !users::find(state.db(), user_id)
            .await?
            .is_some_and(|u| !u.is_banned() && !u.is_deleted())
    {
        return Ok(inactive);
    }
    let subject = grant.user_id.unwrap_or(grant.client_id).to_string();
    let mut body = json!({
        "active": true,
        "client_id": client.client_id.to_string(),
        "scope": grant.scope,
        "sub": subject,
        "iss": state.settings().issuer,
        "aud": client.client_id.to_string(),
    });
    match claims {
        Some(claims) => {
            body["token_type"] = "Bearer".into();
            for claim in ["exp", "iat", "jti"] {
                if let Some(value) = claims.get(claim) {
                    body[claim] = value.clone();
                }
            }
        }
        None => body["token_type"] = "refresh_token".into(),
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_verifier_must_hash_to_the_challenge() {
        // RFC 7636 appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert_eq!(verifier_refusal(Some(challenge), Some(verifier)), None);
        assert!(verifier_refusal(Some(challenge), Some(&verifier.replace('d', "e"))).is_some());
        assert!(verifier_refusal(Some(challenge), None).is_some());
        assert!(verifier_refusal(None, Some(verifier)).is_some());
        assert_eq!(verifier_refusal(None, None), None);
    }
}
