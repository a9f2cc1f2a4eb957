//! `POST /resend` (`resend`): the pending signup confirmation, or the pending email change's
//! link to the new address, once more. `{}`, in the same time, whether or not anything was
//! pending.

use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;
use serde_json::Value;

use crate::db::users;
use crate::error::{AuthError, AuthResult};
use crate::extract::{AuthJson, Client};
use crate::onetime::Kind;
use crate::routes::email_flow::{self, Outgoing};
use crate::routes::openapi::{BadInput, RateLimited, schemas};
use crate::routes::signup::RedirectQuery;
use crate::state::AppState;
use crate::{pkce, policy};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(resend))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct ResendBody {
    #[serde(rename = "type")]
    kind: Option<String>,
    email: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

/// Send a confirmation or email-change email again
#[utoipa::path(post, path = "/resend", tag = "email",
    params(RedirectQuery),
    request_body = ResendBody,
    responses((status = 200, description = "Sent, if there is something to confirm", body = schemas::Empty), BadInput, RateLimited))]
async fn resend(
    State(state): State<AppState>,
    client: Client,
    Query(query): Query<RedirectQuery>,
    AuthJson(body): AuthJson<ResendBody>,
) -> AuthResult<Json<Value>> {
    policy::limit_ip(&state, &client).await?;
    let kind = match body.kind.as_deref() {
        Some("signup") => Kind::Signup,
        Some("email_change") => Kind::EmailChange,
        Some("sms" | "phone_change") => return Err(email_flow::no_phone()),
        _ => {
            return Err(AuthError::validation(
                "Missing one of these types: signup, email_change, sms, phone_change",
            ));
        }
    };
    let email = policy::email(body.email.as_deref())?;
    let flow = pkce::Challenge::parse(
        body.code_challenge.as_deref(),
        body.code_challenge_method.as_deref(),
    )?;
    let redirect_to = policy::redirect(state.settings(), query.redirect_to.as_deref());
    policy::limit_account(&state, &email).await?;
    policy::limit_emails(&state, email.as_str()).await?;

    let action = "user_confirmation_requested";
    let mut tx = state.db().begin().await?;
    let user = users::find_by_email(&mut *tx, email.as_str()).await?;
    // The address the pending email goes to: the account's own, or the new one it changes to.
    let pending = user.and_then(|user| {
        let to = match kind {
            Kind::Signup if user.email_confirmed_at.is_none() => Some(user.email.clone()),
            Kind::EmailChange => user.email_change.clone(),
            _ => None,
        };
        to.map(|to| (user, to))
    });
    let recorded = match pending {
        Some((user, to)) => {
            let out = Outgoing { kind, to: &to, redirect_to: &redirect_to, flow: flow.as_ref() };
            Some(email_flow::prepare(&state, &mut tx, &user, &out, action, &client).await?)
        }
        None => {
            let out = Outgoing {
                kind,
                to: email.as_str(),
                redirect_to: &redirect_to,
                flow: flow.as_ref(),
            };
            email_flow::decoy(&state, &mut tx, &out, action, &client).await?;
            None
        }
    };
    email_flow::finish(&state, tx, recorded).await
}
