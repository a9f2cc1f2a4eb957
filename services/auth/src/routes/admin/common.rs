//! What the admin handlers share: finding the user a path names, reading optional bodies and
//! JSON-object fields, and writing the audit log.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use posey_domain::UserId;
use serde::de::DeserializeOwned;
use serde_json::Value;
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::db::audit::Event;
use crate::db::users::User;
use crate::error::{AuthError, AuthResult};
use crate::extract::{Admin, Client};

pub fn user_not_found() -> AuthError {
    AuthError::not_found("user_not_found", "User not found")
}

/// The user a path names. A malformed id is as unknown as a missing user: 404.
pub async fn load_user(db: impl PgExecutor<'_>, id: UserId) -> AuthResult<User> {
    crate::db::users::find(db, id.as_uuid()).await?.ok_or_else(user_not_found)
}

/// A JSON object, or nothing for a missing or `null` field; anything else names the field.
pub fn object_field(name: &str, value: Option<Value>) -> AuthResult<Option<Value>> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::Object(_)) => Ok(Some(v)),
        Some(_) => Err(AuthError::validation(format!("{name} must be a JSON object"))),
    }
}

/// A body that may be absent (auth-js sends one with `DELETE`, other clients may not): empty
/// means the defaults; malformed JSON gets GoTrue's errors.
pub fn optional_json<T: DeserializeOwned + Default>(
    body: Result<Bytes, BytesRejection>,
) -> AuthResult<T> {
    let body = body.map_err(crate::extract::body_rejection)?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    crate::extract::refuse_nul(&body)?;
    serde_json::from_slice(&body).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => AuthError::validation(e.to_string()),
        _ => AuthError::new(
            StatusCode::BAD_REQUEST,
            "bad_json",
            "Could not parse request body as JSON",
        ),
    })
}

/// Writes an admin action to the audit log, with the admin as the actor.
pub async fn record(
    db: impl PgExecutor<'_>,
    admin: &Admin,
    client: &Client,
    action: &str,
    target: Option<Uuid>,
    payload: Value,
) -> sqlx::Result<()> {
    crate::db::audit::record(
        db,
        Event {
            action,
            actor_id: Some(admin.actor.clone()),
            target_id: target.map(|t| t.to_string()),
            ip: client.ip,
            payload,
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_bodies_mean_defaults() {
        #[derive(Debug, Default, serde::Deserialize, PartialEq)]
        struct Body {
            flag: Option<bool>,
        }
        assert_eq!(optional_json::<Body>(Ok(Bytes::new())).unwrap(), Body::default());
        assert_eq!(
            optional_json::<Body>(Ok(Bytes::from_static(b"{\"flag\":true}"))).unwrap().flag,
            Some(true)
        );
        assert!(optional_json::<Body>(Ok(Bytes::from_static(b"{"))).is_err());
    }
}
