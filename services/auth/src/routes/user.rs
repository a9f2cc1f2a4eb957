//! `GET /user` and `PUT /user`: the signed-in person's account. A password change ends their
//! other sessions; an email change takes effect once the link sent to the new address is followed.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::db::audit::{self, Event};
use crate::db::sessions::{self, Revoke};
use crate::db::{factors, oauth, users};
use crate::error::{AuthError, AuthResult};
use crate::extract::{AuthJson, Client, CurrentUser};
use crate::onetime::{self, Kind, NewToken};
use crate::routes::openapi::{BadInput, NeedsAal2For401, NeedsToken, RateLimited, schemas};
use crate::routes::signup::RedirectQuery;
use crate::state::AppState;
use crate::{emails, mfa, policy};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_user, update_user))
}

/// The signed-in person's account
#[utoipa::path(get, path = "/user", tag = "accounts", operation_id = "get_current_user",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The account", body = schemas::User),
        (status = 404, description = "The account is gone (`user_not_found`)", body = schemas::GoTrueError),
        NeedsToken,
    ))]
async fn get_user(State(state): State<AppState>, me: CurrentUser) -> AuthResult<Json<Value>> {
    let user = users::find(state.db(), me.user_id).await?.ok_or_else(|| {
        AuthError::not_found("user_not_found", "User from sub claim in JWT does not exist")
    })?;
    let factors = factors::json_for_user(state.db(), user.id).await?;
    Ok(Json(user.to_json_with_factors(&factors)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct UpdateBody {
    email: Option<String>,
    password: Option<String>,
    /// Merged into `user_metadata`.
    #[schema(value_type = Option<Object>)]
    data: Option<Value>,
}

/// Change the signed-in person's metadata, password or address
///
/// `data` is merged into `user_metadata` (`null` removes a key); a new `password` ends the
/// person's other sessions; a new `email` takes effect once the link sent to it is followed.
#[utoipa::path(put, path = "/user", tag = "accounts", operation_id = "update_current_user",
    security(("bearer" = [])),
    params(RedirectQuery),
    request_body = UpdateBody,
    responses(
        (status = 200, description = "The account as it is now", body = schemas::User),
        (status = 404, description = "The account is gone (`user_not_found`)", body = schemas::GoTrueError),
        (status = 422, description = "A weak password (`weak_password`), or the address is taken (`email_exists`)", body = schemas::GoTrueError),
        BadInput, NeedsAal2For401, RateLimited,
    ))]
async fn update_user(
    State(state): State<AppState>,
    me: CurrentUser,
    client: Client,
    Query(query): Query<RedirectQuery>,
    AuthJson(body): AuthJson<UpdateBody>,
) -> AuthResult<Json<Value>> {
    let settings = state.settings();
    let user = users::find(state.db(), me.user_id).await?.ok_or_else(|| {
        AuthError::not_found("user_not_found", "User from sub claim in JWT does not exist")
    })?;
    // Validate everything before changing anything.
    let metadata = match body.data {
        None | Some(Value::Null) => None,
        Some(v @ Value::Object(_)) => Some(v),
        Some(_) => return Err(AuthError::validation("data must be a JSON object")),
    };
    if let Some(password) = &body.password {
        policy::check_password(settings, password)?;
    }
    // GoTrue's rule: with a verified factor, only an `aal2` session changes the password or address.
    if body.password.is_some() || body.email.is_some() {
        mfa::require_aal2(
            &state,
            &me,
            StatusCode::UNAUTHORIZED,
            "AAL2 session is required to update email or password when MFA is enabled.",
        )
        .await?;
    }
    let new_email = match body.email.as_deref() {
        Some(raw) => {
            let email = policy::email(Some(raw))?;
            (email.as_str() != user.email).then_some(email)
        }
        None => None,
    };
    let new_hash = match &body.password {
        Some(password) => Some(state.hasher.hash(password).await?),
        None => None,
    };

    let mut tx = state.db().begin().await?;
    let mut email_to_send = None;
    if let Some(patch) = &metadata {
        users::merge_metadata(&mut *tx, user.id, users::Metadata::User, patch).await?;
    }
    if let Some(hash) = &new_hash {
        users::set_password(&mut *tx, user.id, hash).await?;
        // A new password ends every other session of the person.
        let revoke = match me.session_id {
            Some(keep) => Revoke::OthersOfUser { user: user.id, keep },
            None => Revoke::AllOfUser(user.id),
        };
        sessions::revoke(&mut tx, revoke, settings.access_token_ttl).await?;
        // And what the OpenID provider let apps do as the person.
        oauth::end_browser_sessions_of(&mut *tx, user.id).await?;
        oauth::revoke_grants_of(&mut *tx, user.id).await?;
        audit::record(
            &mut *tx,
            Event {
                action: "user_updated_password",
                actor_id: Some(user.id.to_string()),
                target_id: Some(user.id.to_string()),
                ip: client.ip,
                payload: json!({}),
            },
        )
        .await?;
    }
    if let Some(email) = &new_email {
        policy::limit_emails(&state, email.as_str()).await?;
        if users::find_by_email(&mut *tx, email.as_str()).await?.is_some() {
            return Err(AuthError::new(
                axum::http::StatusCode::UNPROCESSABLE_ENTITY,
                "email_exists",
                "A user with this email address has already been registered",
            ));
        }
        let redirect_to = policy::redirect(settings, query.redirect_to.as_deref());
        let issued = onetime::issue(
            &mut tx,
            &NewToken {
                user_id: user.id,
                kind: Kind::EmailChange,
                relates_to: email.as_str(),
                redirect_to: Some(&redirect_to),
                flow_state_id: None,
                ttl: settings.email_token_ttl,
            },
        )
        .await?;
        users::request_email_change(&mut *tx, user.id, email.as_str()).await?;
        audit::record(
            &mut *tx,
            Event {
                action: "user_modified",
                actor_id: Some(user.id.to_string()),
                target_id: Some(user.id.to_string()),
                ip: client.ip,
                payload: json!({ "email_change_requested": true }),
            },
        )
        .await?;
        let email =
            emails::for_token(&state, Kind::EmailChange, email.as_str(), &issued, &redirect_to);
        email_to_send = Some(state.mailer.record(&mut *tx, email).await?);
    }
    tx.commit().await?;
    if let Some(recorded) = email_to_send {
        state.mailer.deliver_in_background(recorded);
    }
    let user = users::find(state.db(), user.id)
        .await?
        .ok_or_else(|| AuthError::not_found("user_not_found", "User not found"))?;
    let factors = factors::json_for_user(state.db(), user.id).await?;
    Ok(Json(user.to_json_with_factors(&factors)))
}
