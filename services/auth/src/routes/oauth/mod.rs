//! Posey's OpenID provider over HTTP (the rules are in `crate::oidc`): the authorization
//! endpoint and its pages, the token, revocation, introspection, userinfo and logout endpoints,
//! discovery, and the admin API for clients.

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

mod authorize;
mod clients;
mod discovery;
mod endpoints;
mod logout;
mod schemas;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(authorize::router())
        .merge(endpoints::router())
        .merge(logout::router())
        .merge(discovery::router())
        .merge(clients::router())
}
