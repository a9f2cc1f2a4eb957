//! Token material: access-token claims as Supabase issues them (plus roles and Hasura's claims
//! for the gateway), and refresh tokens — random, stored only as SHA-256 hashes, each one's
//! successor derived from it with an HMAC so that a token presented twice within the reuse
//! interval gets the very same successor without that successor ever being stored.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use rand::RngCore;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::db::users::User;

/// The role every signed-in person has at the gateway.
pub const GATEWAY_DEFAULT_ROLE: &str = "user";

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

/// The claims of an access token for `user` in `session_id`.
pub struct AccessClaims<'a> {
    pub user: &'a User,
    pub roles: &'a [String],
    pub session_id: uuid::Uuid,
    pub aal: &'a str,
    pub amr: &'a Value,
    pub issuer: &'a str,
    pub issued_at: i64,
    pub expires_at: i64,
}

impl AccessClaims<'_> {
    pub fn to_json(&self) -> Value {
        let mut allowed = vec![GATEWAY_DEFAULT_ROLE.to_owned()];
        allowed.extend(self.roles.iter().cloned());
        json!({
            "iss": self.issuer,
            "aud": "authenticated",
            "sub": self.user.id,
            "exp": self.expires_at,
            "iat": self.issued_at,
            "email": self.user.email,
            "phone": "",
            "role": self.user.role,
            "aal": self.aal,
            "amr": self.amr,
            "session_id": self.session_id,
            "is_anonymous": false,
            "app_metadata": self.user.app_metadata(),
            "user_metadata": self.user.raw_user_meta_data,
            "roles": self.roles,
            "https://hasura.io/jwt/claims": {
                "x-hasura-user-id": self.user.id.to_string(),
                "x-hasura-default-role": GATEWAY_DEFAULT_ROLE,
                "x-hasura-allowed-roles": allowed,
            },
        })
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
