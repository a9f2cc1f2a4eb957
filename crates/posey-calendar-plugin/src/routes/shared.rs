//! What every route module shares: the state (the host's, the app passwords calendar apps sign
//! in with, and the subscriptions' fetcher), the error responses they describe, and the
//! person's zone.

use chrono_tz::Tz;
use posey_http::ApiError;
use posey_plugin::PluginState;
use uuid::Uuid;

/// What the plugin's routes hold besides the host's.
pub struct Own {
    /// The app passwords calendar apps sign in with.
    pub app_passwords: crate::basic::AppPasswords,
    /// What subscriptions' feeds are fetched with.
    pub feeds: crate::subscriptions::Fetcher,
}

/// The host's state, and the plugin's own.
pub type RouteState = PluginState<std::sync::Arc<Own>>;

posey_http::error_responses! { schema = "Error";
    /// A route taking a calendar's id.
    NoSuchCalendar {
        "404" => "No such calendar of this person",
    }
    /// A route taking an event's or to-do's id.
    NoSuchEvent {
        "404" => "No such event or to-do of this person",
    }
    /// A route that writes a calendar's events or to-dos (after `NeedsPerson`, whose 403 this
    /// one says more of).
    ReadOnly {
        "403" => "A service token, not a person's; or the calendar is a subscription, whose events and to-dos are read-only",
    }
    /// A route that changes what an `If-Match` names.
    Changed {
        "412" => "The event changed since its ETag was read (If-Match); read it again",
    }
}

/// The person's zone, from their profile.
pub(super) async fn person_zone(state: &RouteState, person: Uuid) -> Result<Tz, ApiError> {
    Ok(state.host.profiles.profile(person).await?.time_zone.tz())
}
