//! GoTrue's MFA factor API, TOTP and WebAuthn (`webauthn`, its ceremonies in `webauthn`): enrol
//! and unenrol (`enroll`), challenge and verify (the session steps up to `aal2`, `verify`); plus Posey's recovery codes (`recovery`), away from
//! GoTrue's `/factors/...` paths, each accepted once in place of a TOTP code.

use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;

mod common;

pub(super) use common::audit_event;
mod enroll;
mod recovery;
mod verify;
mod webauthn;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().merge(enroll::router()).merge(verify::router()).merge(recovery::router())
}
