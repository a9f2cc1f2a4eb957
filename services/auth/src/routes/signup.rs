//! `POST /signup`: email and password, with `data` as user metadata. Answers a session when
//! confirmations are off (`AUTH_MAILER_AUTOCONFIRM`), else the user awaiting confirmation. With
//! confirmations on, an address that already has an account gets the same answer, in the same
//! time, as a new one: no one learns which addresses have accounts.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::db::audit::{self, Event};
use crate::db::users::{self, NewUser};
use crate::error::{AuthError, AuthResult};
use crate::extract::{AuthJson, Client};
use crate::onetime::{self, Kind, NewToken};
use crate::state::AppState;
use crate::{emails, pkce, policy, session};

pub fn router() -> Router<AppState> {
    Router::new().route("/signup", post(signup))
}

#[derive(Debug, Deserialize)]
struct SignupBody {
    email: Option<String>,
    password: Option<String>,
    #[serde(default)]
    data: Option<Value>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct RedirectQuery {
    pub redirect_to: Option<String>,
}

async fn signup(
    State(state): State<AppState>,
    client: Client,
    Query(query): Query<RedirectQuery>,
    AuthJson(body): AuthJson<SignupBody>,
) -> AuthResult<Response> {
    let settings = state.settings();
    if settings.disable_signup {
        return Err(AuthError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "signup_disabled",
            "Signups not allowed for this instance",
        ));
    }
    policy::limit_ip(&state, &client).await?;
    let email = policy::email(body.email.as_deref())?;
    policy::limit_account(&state, &email).await?;
    let password = body.password.unwrap_or_default();
    policy::check_password(settings, &password)?;
    let metadata = match body.data {
        None | Some(Value::Null) => json!({}),
        Some(v @ Value::Object(_)) => v,
        Some(_) => return Err(AuthError::validation("data must be a JSON object")),
    };
    let redirect_to = policy::redirect(settings, query.redirect_to.as_deref());
    let flow = pkce::Challenge::parse(
        body.code_challenge.as_deref(),
        body.code_challenge_method.as_deref(),
    )?;
    // Hash before looking the address up, so both answers take the same time.
    let hash = state.hasher.hash(&password).await?;

    let mut tx = state.db().begin().await?;
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
    sqlx::query("UPDATE auth.users SET confirmation_sent_at = now() WHERE id = $1")
        .bind(user.id)
        .execute(&mut **tx)
        .await?;
    Ok(emails::for_token(state, Kind::Signup, &user.email, &issued, redirect_to))
}
