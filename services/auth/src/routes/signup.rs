//! `POST /signup`: email and password, with `data` as user metadata. Answers a session when
//! confirmations are off (`AUTH_MAILER_AUTOCONFIRM`), else the user awaiting confirmation. With
//! confirmations on, an address that already has an account gets the same answer, in the same
//! time, as a new one: no one learns which addresses have accounts.
//!
//! The first account of an empty install is its owner: confirmed at once, given the `admin`
//! role, and answered a session (concurrent first sign-ups make exactly one owner, see
//! `db::install`). After that, sign-up is by invite unless `AUTH_OPEN_SIGNUP` is set. Posey's
//! addition `invite_token` (an invite link's `token_hash`) accepts an invite: the invitee's
//! address is confirmed by it, and the answer is a session.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::db::audit::{self, Event};
use crate::db::users::{self, NewUser};
use crate::db::{install, roles};
use crate::error::{AuthError, AuthResult};
use crate::extract::{ADMIN_ROLE, AuthJson, Client};
use crate::onetime::{self, Kind, NewToken, Presented};
use crate::routes::openapi::{BadInput, RateLimited, schemas};
use crate::state::AppState;
use crate::{emails, pkce, policy, session};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(signup))
}

#[derive(Debug, Deserialize, ToSchema)]
struct SignupBody {
    email: Option<String>,
    password: Option<String>,
    /// The person's metadata (`user_metadata`): a JSON object.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    data: Option<Value>,
    /// PKCE: the confirmation link then lands with `?code=` to exchange at `/token`.
    code_challenge: Option<String>,
    /// `s256` or `plain`.
    code_challenge_method: Option<String>,
    /// Posey: accepts the invite whose link carried this `token_hash`.
    invite_token: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RedirectQuery {
    /// Where the email's link lands: `AUTH_SITE_URL` or one of `AUTH_REDIRECT_URLS` (anything
    /// else means the site URL).
    pub redirect_to: Option<String>,
}

/// Sign up with an email address and a password
///
/// A session when no confirmation is needed (the install's first account, which becomes its
/// owner with the `admin` role; `AUTH_MAILER_AUTOCONFIRM`; an accepted invite), else the user
/// awaiting the emailed confirmation (an address that has an account already gets an answer of
/// the same shape). Once the install has its owner, sign-up needs an invite unless
/// `AUTH_OPEN_SIGNUP` is set.
#[utoipa::path(post, path = "/signup", tag = "accounts",
    params(RedirectQuery),
    request_body = SignupBody,
    responses(
        (status = 200, description = "A session, or the user awaiting confirmation", body = schemas::SignupAnswer),
        (status = 403, description = "The invite is used, expired or unknown (`otp_expired`), or the invitee is banned (`user_banned`)", body = schemas::GoTrueError),
        (status = 422, description = "Sign-up needs an invite or is off (`signup_disabled`), a weak password (`weak_password`), the address is taken (`user_already_exists`, with autoconfirm), or the invite is for another address (`validation_failed`)", body = schemas::GoTrueError),
        BadInput, RateLimited,
    ))]
async fn signup(
    State(state): State<AppState>,
    client: Client,
    Query(query): Query<RedirectQuery>,
    AuthJson(body): AuthJson<SignupBody>,
) -> AuthResult<Response> {
    let settings = state.settings();
    if let Some(token) = body.invite_token.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        // Invites work whatever the sign-up settings, as in GoTrue.
        return accept_invite(&state, &client, token, body.email, body.password, body.data).await;
    }
    if settings.disable_signup {
        return Err(AuthError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "signup_disabled",
            "Signups not allowed for this instance",
        ));
    }
    policy::limit_ip(&state, &client).await?;
    // Invite-only once the install has its owner: refused before any password is hashed.
    if !settings.open_signup && install::has_accounts(state.db()).await? {
        return Err(policy::invite_only());
    }
    let email = policy::email(body.email.as_deref())?;
    policy::limit_account(&state, &email).await?;
    let password = body.password.unwrap_or_default();
    policy::check_password(settings, &password)?;
    let metadata = metadata(body.data)?;
    let redirect_to = policy::redirect(settings, query.redirect_to.as_deref());
    let flow = pkce::Challenge::parse(
        body.code_challenge.as_deref(),
        body.code_challenge_method.as_deref(),
    )?;
    // Hash before looking the address up, so both answers take the same time.
    let hash = state.hasher.hash(&password).await?;

    let mut tx = state.db().begin().await?;
    if install::claim_first_account(&mut tx).await? {
        return create_owner(&state, tx, &client, email.as_str(), &hash, &metadata).await;
    }
    if !settings.open_signup {
        // Another sign-up made the owner while this one was hashing.
        return Err(policy::invite_only());
    }
    if let Some(existing) = users::find_by_email(&mut *tx, email.as_str()).await? {
        if settings.mailer_autoconfirm {
            return Err(AuthError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "user_already_exists",
                "User already registered",
            ));
        }
        if existing.email_confirmed_at.is_none() {
            // Unconfirmed: send the confirmation again; the account stays as it was.
            policy::limit_emails(&state, email.as_str()).await?;
            let email =
                prepare_confirmation(&state, &mut tx, &existing, &redirect_to, flow.as_ref())
                    .await?;
            let recorded = state.mailer.record(&mut *tx, email).await?;
            tx.commit().await?;
            state.mailer.deliver_in_background(recorded);
            let user = users::find(state.db(), existing.id).await?.unwrap_or(existing);
            return Ok(Json(user.to_json()).into_response());
        }
        policy::limit_emails(&state, email.as_str()).await?;
        let recorded =
            state.mailer.record(&mut *tx, emails::signup_attempt(email.as_str())).await?;
        tx.commit().await?;
        // After the answer, like every other path: SMTP's delay must not tell the cases apart.
        state.mailer.deliver_in_background(recorded);
        return Ok(Json(policy::decoy_user(email.as_str(), &metadata)).into_response());
    }

    let user = match users::insert(
        &mut *tx,
        &NewUser {
            email: email.as_str(),
            password_hash: Some(&hash),
            user_metadata: &metadata,
            app_metadata: &json!({}),
            role: "authenticated",
            confirmed: settings.mailer_autoconfirm,
        },
    )
    .await
    {
        Ok(user) => user,
        // Two sign-ups of one address racing: the loser answers like any existing account.
        Err(sqlx::Error::Database(e)) if e.constraint() == Some("users_email_key") => {
            return Ok(Json(policy::decoy_user(email.as_str(), &metadata)).into_response());
        }
        Err(e) => return Err(e.into()),
    };
    audit::record(
        &mut *tx,
        Event {
            action: "user_signedup",
            actor_id: Some(user.id.to_string()),
            target_id: Some(user.id.to_string()),
            ip: client.ip,
            payload: json!({ "provider": "email" }),
        },
    )
    .await?;
    if settings.mailer_autoconfirm {
        let issued = session::start(&state, &mut tx, &user, "password", &client).await?;
        tx.commit().await?;
        return Ok(Json(issued.to_json()).into_response());
    }
    let email = prepare_confirmation(&state, &mut tx, &user, &redirect_to, flow.as_ref()).await?;
    let recorded = state.mailer.record(&mut *tx, email).await?;
    tx.commit().await?;
    state.mailer.deliver_in_background(recorded);
    let user = users::find(state.db(), user.id).await?.unwrap_or(user);
    Ok(Json(user.to_json()).into_response())
}

/// `data`: a JSON object, or nothing.
fn metadata(data: Option<Value>) -> AuthResult<Value> {
    match data {
        None | Some(Value::Null) => Ok(json!({})),
        Some(v @ Value::Object(_)) => Ok(v),
        Some(_) => Err(AuthError::validation("data must be a JSON object")),
    }
}

/// The install's first account: confirmed, an admin, signed in. `tx` holds the first-account
/// lock, so no other sign-up can be the first meanwhile.
async fn create_owner(
    state: &AppState,
    mut tx: sqlx::Transaction<'_, sqlx::Postgres>,
    client: &Client,
    email: &str,
    hash: &str,
    metadata: &Value,
) -> AuthResult<Response> {
    let user = users::insert(
        &mut *tx,
        &NewUser {
            email,
            password_hash: Some(hash),
            user_metadata: metadata,
            app_metadata: &json!({}),
            role: "authenticated",
            confirmed: true,
        },
    )
    .await?;
    roles::grant(&mut *tx, user.id, ADMIN_ROLE).await?;
    let actor = Some(user.id.to_string());
    for (action, payload) in [
        ("user_signedup", json!({ "provider": "email", "owner": true })),
        ("role_granted", json!({ "user_id": user.id, "role": ADMIN_ROLE, "owner": true })),
    ] {
        let event = Event {
            action,
            actor_id: actor.clone(),
            target_id: actor.clone(),
            ip: client.ip,
            payload,
        };
        audit::record(&mut *tx, event).await?;
    }
    let issued = session::start(state, &mut tx, &user, "password", client).await?;
    tx.commit().await?;
    tracing::info!(user_id = %user.id, "the install's first account signed up: it is the owner");
    Ok(Json(issued.to_json()).into_response())
}

fn invalid_invite() -> AuthError {
    AuthError::new(StatusCode::FORBIDDEN, "otp_expired", "Invite link is invalid or has expired")
}

/// Signs an invitee up: the invite's token proves the address, so it is confirmed at once and
/// the answer is a session. A token for another address is refused and stays usable.
async fn accept_invite(
    state: &AppState,
    client: &Client,
    token: &str,
    email: Option<String>,
    password: Option<String>,
    data: Option<Value>,
) -> AuthResult<Response> {
    policy::limit_ip(state, client).await?;
    let email = policy::email(email.as_deref())?;
    let password = password.unwrap_or_default();
    policy::check_password(state.settings(), &password)?;
    let metadata = metadata(data)?;
    let hash = state.hasher.hash(&password).await?;

    let mut tx = state.db().begin().await?;
    let consumed = onetime::consume(&mut *tx, Presented::Link(token), &[Kind::Invite])
        .await?
        .ok_or_else(invalid_invite)?;
    if consumed.relates_to != email.as_str() {
        // Rolled back: the token stays unused for the address it was sent to.
        return Err(AuthError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            "This invite is for another email address",
        ));
    }
    let user = users::find(&mut *tx, consumed.user_id).await?.ok_or_else(invalid_invite)?;
    if user.email != consumed.relates_to || user.is_deleted() {
        return Err(invalid_invite());
    }
    if user.is_banned() {
        return Err(AuthError::new(StatusCode::FORBIDDEN, "user_banned", "User is banned"));
    }
    users::set_password(&mut *tx, user.id, &hash).await?;
    users::confirm_email(&mut *tx, user.id).await?;
    if metadata.as_object().is_some_and(|m| !m.is_empty()) {
        users::merge_metadata(&mut *tx, user.id, users::Metadata::User, &metadata).await?;
    }
    audit::record(
        &mut *tx,
        Event {
            action: "user_signedup",
            actor_id: Some(user.id.to_string()),
            target_id: Some(user.id.to_string()),
            ip: client.ip,
            payload: json!({ "provider": "email", "invited": true }),
        },
    )
    .await?;
    let user = users::find(&mut *tx, user.id).await?.ok_or_else(invalid_invite)?;
    let issued = session::start(state, &mut tx, &user, "invite", client).await?;
    tx.commit().await?;
    Ok(Json(issued.to_json()).into_response())
}

/// Issues a confirmation token and records when it was sent; returns the email to send once
/// the transaction has committed.
pub async fn prepare_confirmation(
    state: &AppState,
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    user: &users::User,
    redirect_to: &str,
    flow: Option<&pkce::Challenge>,
) -> AuthResult<crate::mailer::Email> {
    let flow_state_id = flow.map(|c| c.id);
    if let Some(challenge) = flow {
        pkce::save(
            &mut **tx,
            challenge,
            Some(user.id),
            "email/signup",
            state.settings().email_token_ttl,
        )
        .await?;
    }
    let issued = onetime::issue(
        tx,
        &NewToken {
            user_id: user.id,
            kind: Kind::Signup,
            relates_to: &user.email,
            redirect_to: Some(redirect_to),
            flow_state_id,
            ttl: state.settings().email_token_ttl,
        },
    )
    .await?;
    users::mark_sent(&mut **tx, user.id, users::Sent::Confirmation).await?;
    Ok(emails::for_token(state, Kind::Signup, &user.email, &issued, redirect_to))
}
