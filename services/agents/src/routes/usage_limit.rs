//! The per-person daily limits: checked before a turn starts; over a limit is a 429 that says
//! which limit, its size, and when it resets.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};
use posey_http::ApiError;
use serde_json::json;
use uuid::Uuid;

use crate::db;
use crate::db::usage::Today;
use crate::plugins::TurnProfile;
use crate::state::AppState;

/// Whether a turn may start.
pub enum Limits {
    /// Within the limits, with the person's profile for the turn (read in the same round trip
    /// as the usage, when the limits were checked).
    Within(TurnProfile),
    /// Over a limit: the 429 to send.
    Over(Response),
}

/// Checks the person's usage today against the limits.
pub async fn check(state: &AppState, person: Uuid) -> Result<Limits, ApiError> {
    if !applies(state) {
        return Ok(Limits::Within(TurnProfile::default()));
    }
    let (profile, today) = db::profiles::get_with_today(state.db(), person).await?;
    Ok(match verdict(state, today) {
        Some(response) => Limits::Over(response),
        None => Limits::Within(TurnProfile::known(profile)),
    })
}

/// Whether any daily limit is set.
fn applies(state: &AppState) -> bool {
    let settings = &state.runtime.settings;
    settings.daily_requests > 0 || settings.daily_tokens > 0
}

/// [`check`] on usage the caller read already (with the conversation, say): the 429 to send,
/// if over a limit.
pub fn verdict(state: &AppState, today: Today) -> Option<Response> {
    let settings = &state.runtime.settings;
    let message = if settings.daily_requests > 0 && today.requests as u64 >= settings.daily_requests
    {
        format!(
            "daily request limit reached: {} of {} requests used today (UTC); it resets at midnight UTC",
            today.requests, settings.daily_requests
        )
    } else if settings.daily_tokens > 0 && today.tokens as u64 >= settings.daily_tokens {
        format!(
            "daily token limit reached: {} of {} tokens used today (UTC); it resets at midnight UTC",
            today.tokens, settings.daily_tokens
        )
    } else {
        return None;
    };
    Some(exceeded(message))
}

fn exceeded(message: String) -> Response {
    let now = Utc::now();
    let midnight = (now.date_naive() + Duration::days(1))
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or(now);
    let retry_after = (midnight - now).num_seconds().max(1);
    let body = json!({"error": {"code": "usage_limit_exceeded", "message": message}});
    let mut response = (StatusCode::TOO_MANY_REQUESTS, Json(body)).into_response();
    if let Ok(value) = HeaderValue::from_str(&retry_after.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}
