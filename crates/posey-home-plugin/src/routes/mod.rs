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
// What the person's export writes: the lists as the routes give them.
pub(crate) use audit::AuditList;
pub(crate) use connections::connection_list;
pub(crate) use entities::entity_list;
pub(crate) use exposure::exposure_of;
pub(crate) use watches::watch_list;

/// Every route, described.
pub fn router() -> OpenApiRouter<RouteState> {
    connections::router()
        .merge(entities::router())
        .merge(exposure::router())
        .merge(audit::router())
        .merge(watches::router())
}
