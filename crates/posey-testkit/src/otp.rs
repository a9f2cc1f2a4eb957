//! Six-digit TOTP codes (RFC 6238: HMAC-SHA1, 30 s steps), as an authenticator app computes them
//! from the secret a factor's enrolment shows, for tests that step a session up to `aal2`.

use hmac::{Hmac, Mac};

/// The code of the base32 `secret` at `unix` seconds.
pub fn totp(secret: &str, unix: i64) -> String {
    let key = data_encoding::BASE32_NOPAD.decode(secret.as_bytes()).expect("a base32 secret");
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(&key).expect("HMAC takes any key");
    mac.update(&unix.div_euclid(30).to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    let word = digest[offset..offset + 4].try_into().expect("four bytes of a 20-byte digest");
    let value = u32::from_be_bytes(word) & 0x7fff_ffff;
    format!("{:06}", value % 1_000_000)
}

/// The code of the base32 `secret` now.
pub fn totp_now(secret: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970");
    totp(secret, i64::try_from(now.as_secs()).expect("seconds since 1970 fit an i64"))
}
