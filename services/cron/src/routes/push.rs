//! `/v1/push`: browsers subscribing to Web Push for a person, and the VAPID public key they
//! subscribe with.

use anyhow::Context;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use posey_domain::PushSubscriptionId;
use posey_http::auth::Person;
use posey_http::{ApiError, AppJson, PathId};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::invalid::Invalid;
use super::openapi::{BadQuery, Error, NeedsPerson, NotFound};
use crate::db::push_subscriptions::{self, Subscription};
use crate::notifications::webpush::{EndpointProblem, check_endpoint};
use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(subscribe))
        .routes(routes!(unsubscribe))
        .routes(routes!(vapid_public_key))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct NewSubscription {
    endpoint: String,
    keys: SubscriptionKeys,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
struct SubscriptionKeys {
    p256dh: String,
    auth: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct Subscribed {
    id: Uuid,
}

/// A base64url (padding optional) value of exactly `len` bytes.
fn decode_key(value: &str, len: usize) -> Result<Vec<u8>, String> {
    let bytes = URL_SAFE_NO_PAD
        .decode(value.trim().trim_end_matches('='))
        .map_err(|e| format!("is not base64url: {e}"))?;
    if bytes.len() == len {
        Ok(bytes)
    } else {
        Err(format!("must be {len} bytes, not {}", bytes.len()))
    }
}

#[tracing::instrument(skip_all)]
/// Subscribe a browser to Web Push for the person
///
/// The browser's `PushSubscription` (its `endpoint` and `keys`); subscribing an endpoint again
/// takes it over.
#[utoipa::path(post, path = "/v1/push/subscriptions", tag = "notifications", security(("bearer" = [])),
    request_body = NewSubscription,
    responses((status = 201, description = "Subscribed", body = Subscribed), NeedsPerson))]
async fn subscribe(
    State(state): State<AppState>,
    Person(user_id): Person,
    AppJson(new): AppJson<NewSubscription>,
) -> Result<(StatusCode, Json<Subscribed>), ApiError> {
    let mut invalid = Invalid::default();
    let notify = &state.config.notify;
    match url::Url::parse(&new.endpoint).map(|url| {
        check_endpoint(&url, &notify.push_destinations, notify.push_allow_insecure_loopback)
    }) {
        Ok(Ok(())) => {}
        Ok(Err(EndpointProblem::Scheme)) => invalid.add("endpoint", "must be an https URL"),
        // Names are checked again, on the address they resolve to, at every delivery.
        Ok(Err(EndpointProblem::NotPublic)) => invalid.add(
            "endpoint",
            "is refused because it points at a private address (loopback, private network, \
             link-local or otherwise not public); an operator can allow trusted hosts with \
             CRON_PUSH_ALLOW",
        ),
        Err(e) => invalid.add("endpoint", format!("is not a URL: {e}")),
    }
    match decode_key(&new.keys.p256dh, 65) {
        // An uncompressed P-256 point.
        Ok(key) if key.first() == Some(&4) => {}
        Ok(_) => invalid.add("keys.p256dh", "must be an uncompressed P-256 point"),
        Err(e) => invalid.add("keys.p256dh", e),
    }
    if let Err(e) = decode_key(&new.keys.auth, 16) {
        invalid.add("keys.auth", e);
    }
    invalid.check()?;
    // An endpoint is one browser: subscribing it again (maybe as someone else) takes it over.
    let subscription = Subscription {
        endpoint: new.endpoint.trim().to_owned(),
        p256dh: new.keys.p256dh.trim().to_owned(),
        auth: new.keys.auth.trim().to_owned(),
    };
    let id = push_subscriptions::upsert(state.db(), Uuid::now_v7(), user_id, &subscription)
        .await
        .context("saving a push subscription")?;
    Ok((StatusCode::CREATED, Json(Subscribed { id })))
}

#[tracing::instrument(skip_all)]
/// Unsubscribe a browser
#[utoipa::path(delete, path = "/v1/push/subscriptions/{id}", tag = "notifications", security(("bearer" = [])),
    params(("id" = String, Path, description = "The subscription's id")),
    responses((status = 204, description = "Unsubscribed"), BadQuery, NeedsPerson, NotFound))]
async fn unsubscribe(
    State(state): State<AppState>,
    Person(user_id): Person,
    PathId(id, ..): PathId<PushSubscriptionId>,
) -> Result<StatusCode, ApiError> {
    let deleted = push_subscriptions::delete_for_user(state.db(), user_id, id.as_uuid())
        .await
        .context("deleting a push subscription")?;
    if deleted {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("no such push subscription".into()))
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct VapidPublicKey {
    public_key: String,
}

/// The VAPID public key browsers subscribe with
#[utoipa::path(get, path = "/v1/push/vapid-public-key", tag = "notifications",
    responses((status = 200, description = "The key (base64url, an uncompressed P-256 point)", body = VapidPublicKey),
        (status = 404, description = "Web Push is not configured (`not_found`)", body = Error)))]
async fn vapid_public_key(State(state): State<AppState>) -> Result<Json<VapidPublicKey>, ApiError> {
    match &state.config.notify.vapid {
        Some(vapid) => Ok(Json(VapidPublicKey { public_key: vapid.public_key.clone() })),
        None => Err(ApiError::NotFound("web push is not configured".into())),
    }
}
