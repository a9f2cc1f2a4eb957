//! Invites. `POST /invite` is GoTrue's (auth-js's `admin.inviteUserByEmail`): it creates the
//! account (unconfirmed, without a password) and sends the invite, answering the user. Posey's
//! link opens the app's invite page (`AUTH_INVITE_URL`), where the invitee picks a password and
//! signs up with the token (`/signup`'s `invite_token`); GoTrue's `/verify` with `type=invite`
//! takes the same token. Without SMTP (or when sending failed) the answer also carries the link,
//! for the admin to pass on. Posey adds `GET /admin/invites` (pending ones, expired included)
//! and `DELETE /admin/invites/{id}` (withdraw one: its link stops working).

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{StatusCode, Uri};
use axum::response::IntoResponse;
use posey_domain::{IdError, TypedId, UserId};
use posey_http::PathId;
use serde::Deserialize;
use serde_json::{Value, json};

use super::common::{object_field, record};
use super::paging::Page;
use crate::db::invites::{self, Invite};
use crate::db::users::{self, NewUser, Sent};
use crate::error::{AuthError, AuthResult};
use crate::extract::{Admin, AuthJson, Client};
use crate::onetime::{self, Kind, NewToken};
use crate::routes::openapi::{BadInput, NeedsAdmin, RateLimited, schemas};
use crate::routes::signup::RedirectQuery;
use crate::state::AppState;
use crate::{emails, policy};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(invite))
        .routes(routes!(list_invites))
        .routes(routes!(revoke_invite))
}

/// An invite as the API shows it; `link` and `emailed` only when it was just made.
pub fn invite_json(invite: &Invite) -> Value {
    json!({
        "id": invite.id,
        "email": invite.email,
        "invited_at": invite.invited_at,
        "expires_at": invite.expires_at,
        "status": if invite.is_expired() { "expired" } else { "pending" },
    })
}

/// What auth-js sends (`{ email, data }`; `redirectTo` goes in the query as `redirect_to`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct InviteBody {
    email: Option<String>,
    /// The account's `user_metadata`.
    #[schema(value_type = Option<Object>)]
    data: Option<Value>,
}

fn email_exists() -> AuthError {
    AuthError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "email_exists",
        "A user with this email address has already been registered",
    )
}

/// Invite someone by email
///
/// GoTrue's invite (auth-js's `admin.inviteUserByEmail`): makes the account (unconfirmed, no
/// password) and a link to the app's invite page (`AUTH_INVITE_URL`) that works once, until
/// `AUTH_INVITE_TTL`. Emailed when SMTP is configured; `invite.link` carries it when it was not
/// emailed. Inviting an address again replaces its link.
#[utoipa::path(post, path = "/invite", tag = "admin", security(("bearer" = [])),
    params(RedirectQuery),
    request_body = InviteBody,
    responses((status = 200, description = "The invited user, and the invite", body = schemas::InvitedUser),
        (status = 422, description = "The address has a confirmed account (`email_exists`)", body = schemas::GoTrueError),
        BadInput, NeedsAdmin, RateLimited))]
async fn invite(
    State(state): State<AppState>,
    admin: Admin,
    client: Client,
    Query(query): Query<RedirectQuery>,
    AuthJson(body): AuthJson<InviteBody>,
) -> AuthResult<Json<Value>> {
    let settings = state.settings();
    let email = policy::email(body.email.as_deref())?;
    let data = object_field("data", body.data)?;
    let requested = query.redirect_to.as_deref().filter(|r| settings.allows_redirect(r));
    let redirect_to = policy::redirect(settings, requested);
    policy::limit_emails(&state, email.as_str()).await?;

    let mut tx = state.db().begin().await?;
    let user = match users::find_by_email(&mut *tx, email.as_str()).await? {
        Some(user) if user.email_confirmed_at.is_some() => return Err(email_exists()),
        // Not confirmed yet (invited before, or signed up without confirming): invited anew.
        Some(user) => {
            if let Some(patch) = &data {
                users::merge_metadata(&mut *tx, user.id, users::Metadata::User, patch).await?;
            }
            user
        }
        None => {
            let inserted = users::insert(
                &mut *tx,
                &NewUser {
                    email: email.as_str(),
                    password_hash: None,
                    user_metadata: data.as_ref().unwrap_or(&json!({})),
                    app_metadata: &json!({}),
                    role: "authenticated",
                    confirmed: false,
                },
            )
            .await;
            match inserted {
                Ok(user) => user,
                Err(sqlx::Error::Database(e)) if e.constraint() == Some("users_email_key") => {
                    return Err(email_exists());
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    users::mark_sent(&mut *tx, user.id, Sent::Invite).await?;
    let token = onetime::issue_link_only(
        &mut tx,
        &NewToken {
            user_id: user.id,
            kind: Kind::Invite,
            relates_to: &user.email,
            redirect_to: Some(&redirect_to),
            flow_state_id: None,
            ttl: settings.invite_ttl,
        },
    )
    .await?;
    let link = emails::invite_link(&state, &token, &user.email, requested);
    let recorded =
        state.mailer.record(&mut *tx, emails::invite(&state, &user.email, &link)).await?;
    record(
        &mut *tx,
        &admin,
        &client,
        "user_invited",
        Some(user.id),
        json!({ "user_id": user.id, "user_email": user.email }),
    )
    .await?;
    tx.commit().await?;

    // Sent before answering (only an admin waits): the answer says whether it went out.
    let emailed = match state.mailer.deliver(recorded).await {
        Ok(sent) => sent,
        Err(e) => {
            tracing::warn!(error = %format!("{e:#}"), "recording an invite's delivery failed");
            false
        }
    };
    let user = users::find(state.db(), user.id).await?.unwrap_or(user);
    let invite = invites::find(state.db(), user.id).await?.ok_or_else(|| {
        AuthError::Internal(anyhow::anyhow!("the invite just made is not pending"))
    })?;
    let mut shown = invite_json(&invite);
    if let Some(fields) = shown.as_object_mut() {
        fields.insert("emailed".into(), emailed.into());
        if !emailed {
            fields.insert("link".into(), link.into());
        }
    }
    let mut answer = user.to_json();
    if let Some(fields) = answer.as_object_mut() {
        fields.insert("invite".into(), shown);
    }
    Ok(Json(answer))
}

/// Pending invites, newest first (expired ones too)
#[utoipa::path(get, path = "/admin/invites", tag = "admin", security(("bearer" = [])),
    params(("page" = Option<u64>, Query, description = "From 1"), ("per_page" = Option<u64>, Query, description = "Default 50, at most 1000")),
    responses((status = 200, description = "A page of invites", body = schemas::InviteList,
        headers(("x-total-count" = i64, description = "How many there are in all"), ("link" = String, description = "The next and last pages"))),
        BadInput, NeedsAdmin))]
async fn list_invites(
    State(state): State<AppState>,
    _: Admin,
    uri: Uri,
) -> AuthResult<impl IntoResponse> {
    let page = Page::parse(uri.query())?;
    let total = invites::count(state.db()).await?;
    let found = invites::list(state.db(), page.limit(), page.offset()).await?;
    let list: Vec<Value> = found.iter().map(invite_json).collect();
    Ok((page.headers(&uri, total)?, Json(json!({ "invites": list }))))
}

/// An invite's id: the invited account's, named as an invite when it names nothing.
#[derive(Debug, Clone, Copy)]
struct InviteId(UserId);

impl std::str::FromStr for InviteId {
    type Err = IdError;

    fn from_str(s: &str) -> Result<Self, IdError> {
        s.parse().map(Self)
    }
}

impl std::fmt::Display for InviteId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl TypedId for InviteId {
    const NOUN: &'static str = "invite";
}

/// Withdraw an invite
///
/// Its link stops working; an account that existed only for it is deleted.
#[utoipa::path(delete, path = "/admin/invites/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = String, Path, description = "The invite's id (the invited account's)")),
    responses((status = 204, description = "Withdrawn"),
        (status = 404, description = "No such pending invite (`invite_not_found`)", body = schemas::GoTrueError),
        NeedsAdmin))]
async fn revoke_invite(
    State(state): State<AppState>,
    admin: Admin,
    client: Client,
    PathId(InviteId(id), ..): PathId<InviteId, AuthError>,
) -> AuthResult<StatusCode> {
    let not_found = || AuthError::not_found("invite_not_found", "Invite not found");
    let id = id.as_uuid();
    let mut tx = state.db().begin().await?;
    let revoked = invites::revoke(&mut tx, id).await?.ok_or_else(not_found)?;
    record(
        &mut *tx,
        &admin,
        &client,
        "invite_revoked",
        Some(id),
        json!({ "user_id": id, "user_email": revoked.email, "account_deleted": revoked.account_deleted }),
    )
    .await?;
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}
