//! Verifying auth's access tokens: a JWKS fetched from the auth service and cached, the accepted
//! algorithms pinned to asymmetric ones, an extractor that turns a bearer token into claims, and
//! role and permission guards on those claims.

mod claims;
mod extractor;
mod guards;
mod jwks;
mod revocations;
mod service_client;

pub use claims::{Audience, Claims, HASURA_CLAIMS, HasuraClaims};
pub use extractor::{Authenticated, Person, bearer, bearer_token};
pub use guards::{
    ACTING_FOR_HEADER, AdminRole, PermissionName, Permissions, RequirePermission, RequireRole,
    RoleName, SERVICE_ROLE, acting_person, require_role, require_scope, require_service, scopes,
};
pub use jwks::{JwksSource, JwksVerifier, VerifierConfig, VerifyError};
pub use revocations::RevocationList;
pub use service_client::{ServiceClient, ServiceCredentials, error_message};

/// How often a service re-reads auth's revoked sessions.
pub const REVOCATION_POLL: std::time::Duration = std::time::Duration::from_secs(1);

/// The token checker of a service other than auth: auth's keys from `tokens`, and the revoked
/// sessions polled from `db` until `stop`.
pub async fn start_verifier(
    db: sqlx::PgPool,
    tokens: &posey_config::TokenVerification,
    stop: tokio_util::sync::CancellationToken,
) -> anyhow::Result<JwksVerifier> {
    let revocations = RevocationList::start(db, REVOCATION_POLL, stop).await?;
    let config = VerifierConfig::new(tokens.jwks_url.clone(), tokens.issuer.clone());
    Ok(JwksVerifier::new(config).with_revocations(revocations))
}
