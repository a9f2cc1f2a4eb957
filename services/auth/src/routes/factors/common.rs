//! What the factor routes share: finding the bearer's factor and session, and their audit events.

use serde_json::Value;
use uuid::Uuid;

use crate::db::audit::Event;
use crate::db::factors::{self, Factor};
use crate::error::{AuthError, AuthResult};
use crate::extract::{Client, CurrentUser};
use crate::state::AppState;

pub fn factor_not_found() -> AuthError {
    AuthError::not_found("mfa_factor_not_found", "Factor not found")
}

/// The bearer's factor `raw_id`; anyone else's (or a malformed id) is not found.
pub async fn my_factor(state: &AppState, me: &CurrentUser, raw_id: &str) -> AuthResult<Factor> {
    let id: Uuid = raw_id.parse().map_err(|_| factor_not_found())?;
    factors::find_for_user(state.db(), id, me.user_id).await?.ok_or_else(factor_not_found)
}

/// The bearer's session: the factor API needs one (a service token has none).
pub fn session_of(me: &CurrentUser) -> AuthResult<Uuid> {
    me.session_id.ok_or_else(AuthError::session_not_found)
}

pub fn audit_event(
    me: &CurrentUser,
    client: &Client,
    action: &'static str,
    payload: Value,
) -> Event<'static> {
    Event {
        action,
        actor_id: Some(me.user_id.to_string()),
        target_id: Some(me.user_id.to_string()),
        ip: client.ip,
        payload,
    }
}
