//! The admin API: Supabase Auth's (`/admin/users`, `/admin/generate_link`, `/admin/audit`), so
//! that `@supabase/auth-js`'s admin client works unchanged, plus Posey's RBAC (`/admin/roles`,
//! `/admin/users/{id}/roles`), invites (GoTrue's `/invite`, Posey's `/admin/invites`) and the
//! install's status (`/admin/status`). Every route takes an [`Admin`](crate::extract::Admin) — a service
//! token or a user holding the `admin` role — and every change is written to the audit log.

use utoipa_axum::router::OpenApiRouter;

use crate::state::AppState;

mod audit;
mod ban;
mod common;
mod generate_link;
mod invites;
mod paging;
mod roles;
mod status;
mod users;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(users::router())
        .merge(generate_link::router())
        .merge(audit::router())
        .merge(roles::router())
        .merge(invites::router())
        .merge(status::router())
}
