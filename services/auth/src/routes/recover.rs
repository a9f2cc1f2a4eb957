//! `POST /recover` (`resetPasswordForEmail`): emails a password-recovery link and code. The
//! answer is `{}`, in the same time, whether or not the address has an account.

use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;
use serde_json::Value;

use crate::db::users;
use crate::error::AuthResult;
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
    OpenApiRouter::new().routes(routes!(recover))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct RecoverBody {
    email: Option<String>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

/// Send a password-recovery email
///
/// The same answer whether the address has an account or not.
#[utoipa::path(post, path = "/recover", tag = "email",
    params(RedirectQuery),
    request_body = RecoverBody,
    responses((status = 200, description = "Sent, if the address has an account", body = schemas::Empty), BadInput, RateLimited))]
async fn recover(
    State(state): State<AppState>,
    client: Client,
    Query(query): Query<RedirectQuery>,
    AuthJson(body): AuthJson<RecoverBody>,
) -> AuthResult<Json<Value>> {
    policy::limit_ip(&state, &client).await?;
    let email = policy::email(body.email.as_deref())?;
    let flow = pkce::Challenge::parse(
        body.code_challenge.as_deref(),
        body.code_challenge_method.as_deref(),
    )?;
    let redirect_to = policy::redirect(state.settings(), query.redirect_to.as_deref());
    // Counted for every address, so a limit reached says nothing about an account either.
    policy::limit_account(&state, &email).await?;
    policy::limit_emails(&state, email.as_str()).await?;

    let out = Outgoing {
        kind: Kind::Recovery,
        to: email.as_str(),
        redirect_to: &redirect_to,
        flow: flow.as_ref(),
    };
    let action = "user_recovery_requested";
    let mut tx = state.db().begin().await?;
    let recorded = match users::find_by_email(&mut *tx, email.as_str()).await? {
        Some(user) => {
            Some(email_flow::prepare(&state, &mut tx, &user, &out, action, &client).await?)
        }
        None => {
            email_flow::decoy(&state, &mut tx, &out, action, &client).await?;
            None
        }
    };
    email_flow::finish(&state, tx, recorded).await
}
