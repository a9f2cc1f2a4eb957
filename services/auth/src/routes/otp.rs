//! `POST /otp` (`signInWithOtp` with an email): a sign-in link and code for a confirmed account;
//! for an unknown address (with `create_user`, the default) a new account without a password
//! and its signup confirmation, whose link and code sign in as well, as GoTrue does. The answer
//! is `{}`, in the same time, in every case, including an unknown address with
//! `create_user: false` (GoTrue refuses that one, telling who has an account).

use axum::Json;
use axum::extract::{Query, State};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::db::audit::{self, Event};
use crate::db::email_flows;
use crate::db::users::{self, NewUser};
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
    OpenApiRouter::new().routes(routes!(otp))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct OtpBody {
    email: Option<String>,
    phone: Option<String>,
    /// The new account's `user_metadata`.
    #[schema(value_type = Option<Object>)]
    data: Option<Value>,
    create_user: Option<bool>,
    code_challenge: Option<String>,
    code_challenge_method: Option<String>,
}

/// Send a sign-in link and code (magic link)
///
/// To an unknown address it makes an account only when anyone may sign up (`create_user`,
/// default true); the answer is the same either way.
#[utoipa::path(post, path = "/otp", tag = "email",
    params(RedirectQuery),
    request_body = OtpBody,
    responses((status = 200, description = "Sent, if the address may sign in", body = schemas::Empty),
        BadInput, RateLimited))]
async fn otp(
    State(state): State<AppState>,
    client: Client,
    Query(query): Query<RedirectQuery>,
    AuthJson(body): AuthJson<OtpBody>,
) -> AuthResult<Json<Value>> {
    let settings = state.settings();
    policy::limit_ip(&state, &client).await?;
    if body.email.is_none() && body.phone.is_some() {
        return Err(email_flow::no_phone());
    }
    let email = policy::email(body.email.as_deref())?;
    let metadata = email_flow::metadata(body.data)?;
    let flow = pkce::Challenge::parse(
        body.code_challenge.as_deref(),
        body.code_challenge_method.as_deref(),
    )?;
    let redirect_to = policy::redirect(settings, query.redirect_to.as_deref());
    policy::limit_account(&state, &email).await?;
    policy::limit_emails(&state, email.as_str()).await?;
    // Unless anyone may sign up, an unknown address is answered like `create_user: false`: a
    // magic link makes no account on an install that takes invitees only (or has no owner yet).
    let create = body.create_user.unwrap_or(true)
        && policy::signup_mode(&state).await? == policy::SignupMode::Open;

    let mut tx = state.db().begin().await?;
    // Creating first and looking up on a conflict keeps the round trips of a new and an
    // existing address alike: insert + audit, or insert (no row) + lookup.
    let user = if create {
        let new = NewUser {
            email: email.as_str(),
            password_hash: None,
            user_metadata: &metadata,
            app_metadata: &json!({}),
            role: "authenticated",
            confirmed: settings.mailer_autoconfirm,
        };
        match email_flows::insert_user_if_absent(&mut *tx, &new).await? {
            Some(user) => {
                audit::record(
                    &mut *tx,
                    Event {
                        action: "user_signedup",
                        actor_id: Some(user.id.to_string()),
                        target_id: Some(user.id.to_string()),
                        ip: client.ip,
                        payload: json!({ "provider": "email", "via": "otp" }),
                    },
                )
                .await?;
                Some(user)
            }
            None => users::find_by_email(&mut *tx, email.as_str()).await?,
        }
    } else {
        users::find_by_email(&mut *tx, email.as_str()).await?
    };

    let mut out = Outgoing {
        kind: Kind::MagicLink,
        to: email.as_str(),
        redirect_to: &redirect_to,
        flow: flow.as_ref(),
    };
    let recorded = match user {
        Some(user) if user.email_confirmed_at.is_some() => {
            let action = "user_recovery_requested";
            Some(email_flow::prepare(&state, &mut tx, &user, &out, action, &client).await?)
        }
        // Not confirmed yet: the confirmation is the sign-in link.
        Some(user) => {
            out.kind = Kind::Signup;
            let action = "user_confirmation_requested";
            Some(email_flow::prepare(&state, &mut tx, &user, &out, action, &client).await?)
        }
        None => {
            email_flow::decoy(&state, &mut tx, &out, "user_recovery_requested", &client).await?;
            None
        }
    };
    email_flow::finish(&state, tx, recorded).await
}
