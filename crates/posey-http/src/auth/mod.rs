//! Verifying auth's access tokens: a JWKS fetched from the auth service and cached, the accepted
//! algorithms pinned to asymmetric ones, an extractor that turns a bearer token into claims, and
//! role and permission guards on those claims.

mod claims;
mod extractor;
mod guards;
mod jwks;
mod revocations;

pub use claims::Claims;
pub use extractor::Authenticated;
pub use guards::{
    AdminRole, PermissionName, Permissions, RequirePermission, RequireRole, RoleName, SERVICE_ROLE,
    require_role, require_service,
};
pub use jwks::{JwksSource, JwksVerifier, VerifierConfig, VerifyError};
pub use revocations::RevocationList;
