//! The plugin's REST routes: calendars (with ICS import, export and feeds), subscriptions,
//! events and to-dos; and the plugin's part of a person's export, made of what they list.

mod calendars;
mod events;
mod export;
mod items;
mod shared;
mod subscriptions;
mod todos;

use utoipa_axum::router::OpenApiRouter;

pub use export::export_person;
use shared::{Changed, NoSuchCalendar, NoSuchEvent, ReadOnly, person_zone};
pub use shared::{Own, RouteState};

/// Every route, described.
pub fn router() -> OpenApiRouter<RouteState> {
    calendars::router()
        .merge(events::router())
        .merge(todos::router())
        .merge(subscriptions::router())
}
