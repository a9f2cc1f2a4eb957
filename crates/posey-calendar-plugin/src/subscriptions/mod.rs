//! Subscriptions: calendars filled from an iCalendar URL (issue 16). A person subscribes with a
//! URL (`webcal://` is fetched as https); the feed is fetched once then, through the shared
//! destination guard (`posey_http::destination`: no private, loopback or link-local address
//! unless the operator allows it), and again on the subscription's interval by the background
//! refresher that every agents replica runs. What is in a subscribed calendar comes from its
//! URL alone: every other way of writing to it is refused (`service::writable`).
//!
//! Layout: `fetch` (HTTP), `db` (the SQL), `refresh` (subscribing, and one refresh), `worker`
//! (the background loop).

pub(crate) mod db;
mod fetch;
mod refresh;
pub mod worker;

use std::time::Duration;

use posey_http::destination::DestinationPolicy;

pub use db::Subscription;
pub use fetch::{Fetcher, feed_url};
pub use refresh::{
    DEFAULT_INTERVAL, LEASE, MAX_INTERVAL, MAX_PER_PERSON, MIN_INTERVAL, RefreshError,
    RefreshReport, Subscribe, refresh, subscribe,
};

/// How subscriptions are fetched and refreshed: the agents service's configuration.
#[derive(Debug, Clone)]
pub struct SubscriptionSettings {
    /// Where feeds may be fetched from besides the public internet
    /// (`CALENDAR_SUBSCRIPTION_ALLOW`).
    pub allow: DestinationPolicy,
    /// How often the refresher looks for subscriptions that are due
    /// (`CALENDAR_SUBSCRIPTION_POLL_SECS`).
    pub poll: Duration,
}

impl Default for SubscriptionSettings {
    /// Public addresses only; a look every 30 seconds.
    fn default() -> Self {
        Self { allow: DestinationPolicy::deny_private(), poll: Duration::from_secs(30) }
    }
}
