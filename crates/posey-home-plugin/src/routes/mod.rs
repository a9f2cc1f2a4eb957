//! The plugin's REST routes under `/v1/home`: connections, entities (states, history,
//! commands), what the companion may see and control, the audit log and watches. Someone
//! else's is a 404.

mod audit;
mod connections;
mod entities;
mod exposure;
mod shared;
mod watches;

use utoipa_axum::router::OpenApiRouter;

pub use shared::RouteState;

/// Every route, described.
pub fn router() -> OpenApiRouter<RouteState> {
    connections::router()
        .merge(entities::router())
        .merge(exposure::router())
        .merge(audit::router())
        .merge(watches::router())
}
