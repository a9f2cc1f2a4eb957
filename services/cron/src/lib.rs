//! The cron service: schedules (reminders, recurring agent tasks, maintenance) and notification delivery.
//! Built as a library so tests and the `posey` launcher start it in-process on any port.

pub mod clock;
pub mod config;
pub mod db;
pub mod dispatch;
pub mod erasure;
pub mod jobs;
pub mod notifications;
pub mod pausing;
mod routes;
pub mod schedule;
mod startup;
pub mod state;
pub mod worker;

/// The guard on webhook and push destinations, shared with the agents service: named here too,
/// as it was when it was cron's own.
pub use posey_http::destination;

pub use config::{Config, SERVICE};
pub use startup::Application;

/// The OpenAPI 3.1 document of this service's API (what `GET /openapi.json` serves), for tools
/// that generate clients from it without starting the service.
pub fn openapi_json() -> String {
    routes::document().to_pretty_json().expect("the OpenAPI document serialises")
}
