//! The plugin's REST routes: calendars (with ICS import, export and feeds), subscriptions,
//! events and to-dos.

mod calendars;
mod events;
mod items;
mod shared;
mod subscriptions;
mod todos;

use utoipa_axum::router::OpenApiRouter;

use shared::{Changed, NoSuchCalendar, NoSuchEvent, ReadOnly, person_zone};
pub use shared::{Own, RouteState};

/// Every route, described.
pub fn router() -> OpenApiRouter<RouteState> {
    calendars::router()
        .merge(events::router())
        .merge(todos::router())
        .merge(subscriptions::router())
}
