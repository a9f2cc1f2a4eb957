//! The plugin's REST routes: calendars (with ICS import, export and feeds), events and to-dos.

mod calendars;
mod events;
mod items;
mod shared;
mod todos;

use utoipa_axum::router::OpenApiRouter;

pub use shared::RouteState;
use shared::{Changed, NoSuchCalendar, NoSuchEvent, person_zone};

/// Every route, described.
pub fn router() -> OpenApiRouter<RouteState> {
    calendars::router().merge(events::router()).merge(todos::router())
}
