//! What every route module shares: the state, the error responses they describe, reading an
//! amount and the person's today.

use chrono::NaiveDate;
use posey_http::ApiError;
use posey_plugin::PluginState;
use uuid::Uuid;

/// The host's state (the plugin keeps nothing of its own).
pub type RouteState = PluginState<()>;

posey_http::error_responses! { schema = "Error";
    /// A route taking an account's id.
    NoSuchAccount {
        "404" => "No such account of this person",
    }
    /// A route taking a category's id.
    NoSuchCategory {
        "404" => "No such category of this person",
    }
    /// A route taking a transaction's id.
    NoSuchTransaction {
        "404" => "No such transaction of this person",
    }
    /// A write that the books' state refuses.
    Refused {
        "409" => "It exists already, it is in use, or it is reconciled (the message says which)",
    }
}

/// Today in the person's zone: what a transaction without a date is dated.
pub async fn today(state: &RouteState, person: Uuid) -> Result<NaiveDate, ApiError> {
    let zone = state.host.profiles.profile(person).await?.time_zone.tz();
    Ok(chrono::Utc::now().with_timezone(&zone).date_naive())
}

/// A name as given, trimmed, between 1 and 200 characters.
pub fn name(field: &str, value: &str) -> Result<String, ApiError> {
    let trimmed = value.trim();
    if trimmed.is_empty() || trimmed.chars().count() > 200 {
        return Err(ApiError::invalid(field, "must be 1 to 200 characters"));
    }
    Ok(trimmed.to_owned())
}
