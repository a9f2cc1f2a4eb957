//! Token material: access-token claims as Supabase issues them (plus roles and Hasura's claims
//! for the gateway), in the claims type the other services read (`posey_http::auth::Claims`),
//! and refresh tokens — random, stored only as SHA-256 hashes, each one's
//! successor derived from it with an HMAC so that a token presented twice within the reuse
//! interval gets the very same successor without that successor ever being stored.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use posey_domain::SessionId;
use posey_http::auth::{Claims, HasuraClaims, SERVICE_ROLE};
use rand::RngCore;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use crate::db::users::User;

/// The role every signed-in person has at the gateway.
pub const GATEWAY_DEFAULT_ROLE: &str = "user";

/// A service client's role at the gateway.
pub const GATEWAY_SERVICE_ROLE: &str = "service";

/// The audience of every access token auth issues (Supabase's).
pub const AUDIENCE: &str = "authenticated";

/// A fresh random token (256 bits, URL-safe).
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// What is stored in place of a token.
pub fn hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// The successor of refresh token `token`: unpredictable without both `token` and `secret`.
pub fn successor(secret: &[u8], token: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(token.as_bytes());
    URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
}

/// What goes into a person's access token for `user` in `session_id`.
pub struct PersonToken<'a> {
    pub user: &'a User,
    pub roles: &'a [String],
    pub session_id: SessionId,
    pub aal: &'a str,
    pub amr: &'a Value,
    pub issuer: &'a str,
    pub issued_at: i64,
    pub expires_at: i64,
}

impl PersonToken<'_> {
    /// The claims, in the shared type every service reads.
    pub fn claims(&self) -> Claims {
        let mut allowed = vec![GATEWAY_DEFAULT_ROLE.to_owned()];
        allowed.extend(self.roles.iter().cloned());
        let user_id = self.user.id.to_string();
        Claims {
            email: Some(self.user.email.clone()),
            phone: Some(String::new()),
            role: Some(self.user.role.clone()),
            aal: Some(self.aal.to_owned()),
            amr: Some(self.amr.clone()),
            session_id: Some(self.session_id),
            is_anonymous: Some(false),
            app_metadata: Some(self.user.app_metadata()),
            user_metadata: Some(self.user.raw_user_meta_data.clone()),
            roles: Some(self.roles.to_vec()),
            hasura: Some(HasuraClaims {
                default_role: GATEWAY_DEFAULT_ROLE.to_owned(),
                allowed_roles: allowed,
                user_id: Some(user_id.clone()),
                vars: Map::new(),
            }),
            ..Claims::new(user_id, self.issuer, AUDIENCE, self.issued_at, self.expires_at)
        }
    }
}

/// The claims of a service client's token (the client-credentials grant): no person, the
/// database role `service_role`, the gateway's role `service`, and its scopes (`scope`).
pub fn service_claims(
    client_id: &str,
    scopes: &[String],
    issuer: &str,
    issued_at: i64,
    expires_at: i64,
) -> Claims {
    Claims {
        role: Some(SERVICE_ROLE.to_owned()),
        client_id: Some(client_id.to_owned()),
        scope: (!scopes.is_empty()).then(|| scopes.join(" ")),
        hasura: Some(HasuraClaims {
            default_role: GATEWAY_SERVICE_ROLE.to_owned(),
            allowed_roles: vec![GATEWAY_SERVICE_ROLE.to_owned()],
            user_id: None,
            vars: Map::new(),
        }),
        ..Claims::new(format!("service:{client_id}"), issuer, AUDIENCE, issued_at, expires_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn successors_are_stable_per_secret_and_distinct_per_token() {
        let t = random_token();
        assert_eq!(successor(b"k1", &t), successor(b"k1", &t));
        assert_ne!(successor(b"k1", &t), successor(b"k2", &t));
        assert_ne!(successor(b"k1", &t), successor(b"k1", &random_token()));
        assert_eq!(hash(&t).len(), 32);
        assert_ne!(random_token(), random_token());
    }
}
