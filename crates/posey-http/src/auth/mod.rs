//! Verifying auth's access tokens: a JWKS fetched from the auth service and cached, the accepted
//! algorithms pinned to asymmetric ones, and an extractor that turns a bearer token into claims.

mod claims;
mod extractor;
mod jwks;
mod revocations;

pub use claims::Claims;
pub use extractor::Authenticated;
pub use jwks::{JwksSource, JwksVerifier, VerifierConfig, VerifyError};
pub use revocations::RevocationList;
