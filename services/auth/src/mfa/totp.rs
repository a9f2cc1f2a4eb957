//! TOTP per RFC 6238 as authenticator apps do it (HMAC-SHA-1, 6 digits, 30-second steps): new
//! secrets, their `otpauth://` URI and QR code, and checking a code within one step either way.

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha1::Sha1;

pub const PERIOD: i64 = 30;
pub const DIGITS: u32 = 6;
/// Steps accepted either side of now (clock drift between phone and server).
pub const SKEW: i64 = 1;

/// A new secret: 160 bits (RFC 4226's recommendation), as apps read it (base32, no padding).
pub fn new_secret() -> String {
    let mut bytes = [0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    data_encoding::BASE32_NOPAD.encode(&bytes)
}

/// The time step `unix_seconds` falls in.
pub fn step(unix_seconds: i64) -> i64 {
    unix_seconds.div_euclid(PERIOD)
}

/// The code of `step` for the base32 `secret` (`None` if the secret is not base32).
pub fn code_at(secret: &str, step: i64) -> Option<String> {
    let key = data_encoding::BASE32_NOPAD.decode(secret.as_bytes()).ok()?;
    let mut mac = Hmac::<Sha1>::new_from_slice(&key).ok()?;
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    let binary = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    Some(format!("{:0width$}", binary % 10u32.pow(DIGITS), width = DIGITS as usize))
}

/// The step whose code `code` is, within [`SKEW`] steps of `now`, and later than `after` (the
/// last step accepted: a code is good once). Compared in constant time.
pub fn matching_step(secret: &str, code: &str, now: i64, after: Option<i64>) -> Option<i64> {
    use subtle::ConstantTimeEq;
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let current = step(now);
    let mut found = None;
    for candidate in current - SKEW..=current + SKEW {
        let expected = code_at(secret, candidate)?;
        if bool::from(expected.as_bytes().ct_eq(code.as_bytes()))
            && after.is_none_or(|last| candidate > last)
        {
            found = Some(candidate);
        }
    }
    found
}

/// The `otpauth://` URI apps scan (Google Authenticator's key URI format), written as GoTrue
/// writes it: `otpauth://totp/<issuer>:<account>?algorithm=SHA1&digits=6&issuer=...`.
pub fn uri(issuer: &str, account: &str, secret: &str) -> String {
    let label = format!("{}:{}", encode(issuer, b"@+"), encode(account, b"@+"));
    format!(
        "otpauth://totp/{label}?algorithm=SHA1&digits={DIGITS}&issuer={}&period={PERIOD}&secret={secret}",
        encode(issuer, b"")
    )
}

/// Percent-encodes everything but RFC 3986's unreserved characters and `keep`.
fn encode(text: &str, keep: &[u8]) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ if keep.contains(&b) => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The URI as a QR code, an SVG document (what GoTrue sends; auth-js makes it a data URI).
pub fn qr_svg(uri: &str) -> anyhow::Result<String> {
    let code = qrcode::QrCode::new(uri.as_bytes())?;
    Ok(code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(200, 200).build())
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6238 appendix B, SHA-1: the secret "12345678901234567890", 8-digit codes truncated
    // here to 6 (the low digits).
    const RFC_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    #[test]
    fn codes_match_rfc_6238s_test_vectors() {
        for (time, eight) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
        ] {
            assert_eq!(code_at(RFC_SECRET, step(time)).unwrap(), eight[2..], "at {time}");
        }
    }

    #[test]
    fn a_code_is_good_one_step_either_way_and_only_once() {
        let secret = new_secret();
        let now = 1_700_000_000;
        let current = step(now);
        for delta in [-1, 0, 1] {
            let code = code_at(&secret, current + delta).unwrap();
            assert_eq!(matching_step(&secret, &code, now, None), Some(current + delta));
        }
        for delta in [-2, 2] {
            let code = code_at(&secret, current + delta).unwrap();
            assert_eq!(matching_step(&secret, &code, now, None), None, "{delta}");
        }
        let code = code_at(&secret, current).unwrap();
        assert_eq!(matching_step(&secret, &code, now, Some(current)), None);
        assert_eq!(matching_step(&secret, &code, now, Some(current - 1)), Some(current));
        assert_eq!(matching_step(&secret, "12345", now, None), None);
        assert_eq!(matching_step(&secret, "abcdef", now, None), None);
    }

    #[test]
    fn the_uri_and_qr_code_carry_the_secret() {
        let uri = uri("Posey: Home", "a+b@example.com", "ABC");
        assert_eq!(
            uri,
            "otpauth://totp/Posey%3A%20Home:a+b@example.com?algorithm=SHA1&digits=6&issuer=Posey%3A%20Home&period=30&secret=ABC"
        );
        assert!(qr_svg(&uri).unwrap().contains("<svg"));
    }
}
