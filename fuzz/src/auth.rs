//! The auth service's social sign-in checks on what an upstream OpenID provider sends (its
//! discovery document, its key set, the id_token it returns), read from their own source file.
//! Building `posey-auth` instrumented would mean its whole service (argon2, WebAuthn, SMTP,
//! sqlx) for one file that needs only jsonwebtoken, serde_json, url and subtle.

#[path = "../../services/auth/src/external/oidc.rs"]
pub mod oidc;
