//! `POST /admin/generate_link`: makes the link (and code) an auth email would carry, without
//! sending anything, so an operator can deliver it another way. Answers Supabase's shape: the
//! user's fields plus `action_link`, `email_otp`, `hashed_token`, `redirect_to` and
//! `verification_type`. `hashed_token` is the link's token, what `/verify` takes as `token` or
//! `token_hash`.
//!
//! Unlike Supabase, a magic link for an unknown address is refused rather than turned into a
//! sign-up: only `signup` and `invite` create accounts. Email changes need one confirmation, so
//! `email_change_current` and `email_change_new` make the same kind of link, confirming the
//! change to `new_email` (its code goes with the new address).

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};

use super::common::{object_field, record};
use crate::db::users::{self, NewUser, Sent, User};
use crate::error::{AuthError, AuthResult};
use crate::extract::{Admin, AuthJson, Client};
use crate::onetime::{self, Kind, NewToken};
use crate::routes::openapi::{BadInput, NeedsAdmin, schemas};
use crate::routes::signup::RedirectQuery;
use crate::state::AppState;
use crate::{emails, policy};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(generate_link))
}

/// What auth-js sends: its options are spread into the body (`data`, `redirectTo`), and
/// `redirectTo` also goes in the query as `redirect_to`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct GenerateLinkBody {
    #[serde(rename = "type")]
    link_type: Option<String>,
    email: Option<String>,
    new_email: Option<String>,
    password: Option<String>,
    #[schema(value_type = Option<Object>)]
    data: Option<Value>,
    redirect_to: Option<String>,
    #[serde(rename = "redirectTo")]
    redirect_to_camel: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LinkType {
    Signup,
    Invite,
    MagicLink,
    Recovery,
    EmailChangeCurrent,
    EmailChangeNew,
}

impl LinkType {
    fn parse(raw: &str) -> Option<Self> {
        Some(match raw {
            "signup" => Self::Signup,
            "invite" => Self::Invite,
            "magiclink" => Self::MagicLink,
            "recovery" => Self::Recovery,
            "email_change_current" => Self::EmailChangeCurrent,
            "email_change_new" => Self::EmailChangeNew,
            _ => return None,
        })
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Signup => "signup",
            Self::Invite => "invite",
            Self::MagicLink => "magiclink",
            Self::Recovery => "recovery",
            Self::EmailChangeCurrent => "email_change_current",
            Self::EmailChangeNew => "email_change_new",
        }
    }

    /// The one-time token that carries it (both email-change links confirm the same change).
    fn kind(self) -> Kind {
        match self {
            Self::Signup => Kind::Signup,
            Self::Invite => Kind::Invite,
            Self::MagicLink => Kind::MagicLink,
            Self::Recovery => Kind::Recovery,
            Self::EmailChangeCurrent | Self::EmailChangeNew => Kind::EmailChange,
        }
    }
}

fn email_exists() -> AuthError {
    AuthError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "email_exists",
        "A user with this email address has already been registered",
    )
}

fn no_such_user() -> AuthError {
    AuthError::not_found("user_not_found", "User with this email not found")
}

/// Make the link an auth email would carry, without sending it
#[utoipa::path(post, path = "/admin/generate_link", tag = "admin", operation_id = "admin_generate_link",
    security(("bearer" = [])),
    params(RedirectQuery),
    request_body = GenerateLinkBody,
    responses((status = 200, description = "The user and the link", body = schemas::GeneratedLink),
        (status = 404, description = "No user with this address (`user_not_found`)", body = schemas::GoTrueError),
        (status = 422, description = "The address has an account already (`email_exists`)", body = schemas::GoTrueError),
        BadInput, NeedsAdmin))]
async fn generate_link(
    State(state): State<AppState>,
    admin: Admin,
    client: Client,
    Query(query): Query<RedirectQuery>,
    AuthJson(body): AuthJson<GenerateLinkBody>,
) -> AuthResult<Json<Value>> {
    let settings = state.settings();
    let raw_type = body.link_type.as_deref().unwrap_or_default();
    let link_type = LinkType::parse(raw_type).ok_or_else(|| {
        AuthError::validation(format!("Invalid email action link type requested: {raw_type:?}"))
    })?;
    let email = policy::email(body.email.as_deref())?;
    let data = object_field("data", body.data)?;
    let requested = body.redirect_to.or(query.redirect_to).or(body.redirect_to_camel);
    let redirect_to = policy::redirect(settings, requested.as_deref());
    let new_email = match link_type {
        LinkType::EmailChangeCurrent | LinkType::EmailChangeNew => {
            let raw = body.new_email.filter(|e| !e.trim().is_empty()).ok_or_else(|| {
                AuthError::validation(format!(
                    "new_email is required for {} links",
                    link_type.as_str()
                ))
            })?;
            Some(policy::email(Some(&raw))?)
        }
        _ => None,
    };
    // Hash before the transaction: it is the slow part, and only a new sign-up needs it.
    let password_hash = match (link_type, body.password.filter(|p| !p.is_empty())) {
        (LinkType::Signup, Some(password)) => {
            policy::check_password(settings, &password)?;
            Some(state.hasher.hash(&password).await?)
        }
        _ => None,
    };

    let mut tx = state.db().begin().await?;
    let existing = users::find_by_email(&mut *tx, email.as_str()).await?;
    let (user, action, relates_to) = match link_type {
        LinkType::Signup | LinkType::Invite => {
            let user = match existing {
                Some(user) if user.email_confirmed_at.is_some() => return Err(email_exists()),
                Some(user) => {
                    if let Some(patch) = &data {
                        users::merge_metadata(&mut *tx, user.id, users::Metadata::User, patch)
                            .await?;
                    }
                    user
                }
                None => {
                    if link_type == LinkType::Signup && password_hash.is_none() {
                        return Err(AuthError::validation("Signup requires a valid password"));
                    }
                    let inserted = users::insert(
                        &mut *tx,
                        &NewUser {
                            email: email.as_str(),
                            password_hash: password_hash.as_deref(),
                            user_metadata: data.as_ref().unwrap_or(&json!({})),
                            app_metadata: &json!({}),
                            role: "authenticated",
                            confirmed: false,
                        },
                    )
                    .await;
                    match inserted {
                        Ok(user) => user,
                        Err(sqlx::Error::Database(e))
                            if e.constraint() == Some("users_email_key") =>
                        {
                            return Err(email_exists());
                        }
                        Err(e) => return Err(e.into()),
                    }
                }
            };
            let (sent, action) = match link_type {
                LinkType::Invite => (Sent::Invite, "user_invited"),
                _ => (Sent::Confirmation, "user_confirmation_requested"),
            };
            users::mark_sent(&mut *tx, user.id, sent).await?;
            let relates_to = user.email.clone();
            (user, action, relates_to)
        }
        LinkType::MagicLink | LinkType::Recovery => {
            let user = existing.ok_or_else(no_such_user)?;
            if link_type == LinkType::Recovery {
                users::mark_sent(&mut *tx, user.id, Sent::Recovery).await?;
            }
            let relates_to = user.email.clone();
            (user, "user_recovery_requested", relates_to)
        }
        LinkType::EmailChangeCurrent | LinkType::EmailChangeNew => {
            let user = existing.ok_or_else(no_such_user)?;
            let Some(new_email) = new_email else {
                return Err(AuthError::validation("new_email is required"));
            };
            if new_email.as_str() == user.email {
                return Err(AuthError::validation("new_email is the user's current address"));
            }
            if users::find_by_email(&mut *tx, new_email.as_str()).await?.is_some() {
                return Err(email_exists());
            }
            users::request_email_change(&mut *tx, user.id, new_email.as_str()).await?;
            // One confirmation completes a change here (there is no second, "secure" step), and
            // `/verify` takes the token's address as the new one: both types carry it.
            (user, "user_modified", new_email.as_str().to_owned())
        }
    };
    let kind = link_type.kind();
    let issued = onetime::issue(
        &mut tx,
        &NewToken {
            user_id: user.id,
            kind,
            relates_to: &relates_to,
            redirect_to: Some(&redirect_to),
            flow_state_id: None,
            ttl: settings.email_token_ttl,
        },
    )
    .await?;
    record(
        &mut *tx,
        &admin,
        &client,
        action,
        Some(user.id),
        json!({ "user_id": user.id, "user_email": user.email, "link_type": link_type.as_str(), "generated_link": true }),
    )
    .await?;
    tx.commit().await?;

    let user: User = users::find(state.db(), user.id).await?.unwrap_or(user);
    let mut answer = user.to_json();
    if let Some(fields) = answer.as_object_mut() {
        fields.insert(
            "action_link".into(),
            emails::link(&state, kind, &issued.link_token, &redirect_to).into(),
        );
        fields.insert("email_otp".into(), issued.code.into());
        fields.insert("hashed_token".into(), issued.link_token.into());
        fields.insert("redirect_to".into(), redirect_to.into());
        fields.insert("verification_type".into(), link_type.as_str().into());
    }
    Ok(Json(answer))
}
