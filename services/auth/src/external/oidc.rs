//! OpenID Connect with an upstream provider: its discovery document and keys (cached), and the
//! checks on the id_token it returns: signed by one of its published keys with an asymmetric
//! algorithm, issued by it, for Posey's client id, unexpired, and carrying the sign-in's nonce.

use std::collections::HashSet;

use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::{Map, Value};
use url::Url;

/// What Posey uses of a provider's `/.well-known/openid-configuration`.
#[derive(Debug, Clone, Deserialize)]
pub struct Discovery {
    pub issuer: String,
    pub authorization_endpoint: Url,
    pub token_endpoint: Url,
    pub jwks_uri: Url,
    pub userinfo_endpoint: Option<Url>,
}

/// Microsoft's multi-tenant endpoints name their issuer with this placeholder for the tenant.
const TENANT: &str = "{tenantid}";

impl Discovery {
    /// The document must be the configured issuer's (OpenID Connect Discovery 4.3).
    pub fn check_issuer(&self, configured: &str) -> Result<(), String> {
        let same = self.issuer.trim_end_matches('/') == configured.trim_end_matches('/');
        if same || self.issuer.contains(TENANT) {
            Ok(())
        } else {
            Err(format!(
                "the discovery document names issuer {:?}, not the configured {configured:?}",
                self.issuer
            ))
        }
    }
}

/// Why an id_token was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    /// Not a JWT, an unsupported or symmetric algorithm, or no published key matches.
    Key(String),
    /// Signature, expiry, audience or issuer.
    Claims(String),
    Nonce,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Key(why) => write!(f, "id_token key: {why}"),
            Self::Claims(why) => write!(f, "id_token claims: {why}"),
            Self::Nonce => f.write_str("id_token nonce does not match the sign-in's"),
        }
    }
}

/// The published keys, each parsed alone (a key jsonwebtoken cannot read, an encryption key
/// say, is skipped rather than failing the set).
pub fn parse_jwks(document: &Value) -> Vec<Jwk> {
    document["keys"]
        .as_array()
        .map(|keys| keys.iter().filter_map(|k| serde_json::from_value(k.clone()).ok()).collect())
        .unwrap_or_default()
}

/// Whether a key of `kid` is among `keys` (so a refresh of the set is worth trying).
pub fn has_key(keys: &[Jwk], kid: Option<&str>) -> bool {
    match kid {
        Some(kid) => keys.iter().any(|k| k.common.key_id.as_deref() == Some(kid)),
        None => !keys.is_empty(),
    }
}

/// The `kid` of a token's header, if it parses.
pub fn token_kid(token: &str) -> Option<String> {
    jsonwebtoken::decode_header(token).ok().and_then(|h| h.kid)
}

/// The id_token's claims once every check passed. `issuer` is the configured one (with
/// `{tenantid}` standing for the token's `tid` when the discovery document says so).
pub fn verify_id_token(
    token: &str,
    keys: &[Jwk],
    issuer: &str,
    client_id: &str,
    nonce: &str,
) -> Result<Map<String, Value>, Refused> {
    const ASYMMETRIC: [Algorithm; 9] = [
        Algorithm::RS256,
        Algorithm::RS384,
        Algorithm::RS512,
        Algorithm::PS256,
        Algorithm::PS384,
        Algorithm::PS512,
        Algorithm::ES256,
        Algorithm::ES384,
        Algorithm::EdDSA,
    ];
    let header = jsonwebtoken::decode_header(token).map_err(|e| Refused::Key(e.to_string()))?;
    if !ASYMMETRIC.contains(&header.alg) {
        return Err(Refused::Key(format!("algorithm {:?} is not accepted", header.alg)));
    }
    let candidates: Vec<&Jwk> = match header.kid.as_deref() {
        Some(kid) => keys.iter().filter(|k| k.common.key_id.as_deref() == Some(kid)).collect(),
        None => keys.iter().collect(),
    };
    if candidates.is_empty() {
        return Err(Refused::Key(format!("no published key has kid {:?}", header.kid)));
    }
    let mut validation = Validation::new(header.alg);
    validation.set_audience(&[client_id]);
    validation.leeway = 60;
    validation.required_spec_claims =
        ["exp", "iat", "iss", "aud", "sub"].into_iter().map(String::from).collect::<HashSet<_>>();
    // The issuer is compared below (Microsoft's depends on the token's tenant).
    validation.iss = None;
    let mut last = Refused::Key("no key verified the signature".into());
    for jwk in candidates {
        let Ok(key) = DecodingKey::from_jwk(jwk) else { continue };
        match jsonwebtoken::decode::<Map<String, Value>>(token, &key, &validation) {
            Ok(data) => {
                let claims = data.claims;
                check_issuer(&claims, issuer)?;
                check_azp(&claims, client_id)?;
                let presented = claims.get("nonce").and_then(Value::as_str).unwrap_or_default();
                if !bool::from(subtle::ConstantTimeEq::ct_eq(
                    presented.as_bytes(),
                    nonce.as_bytes(),
                )) {
                    return Err(Refused::Nonce);
                }
                return Ok(claims);
            }
            Err(e) => {
                use jsonwebtoken::errors::ErrorKind as K;
                last = match e.kind() {
                    K::InvalidSignature | K::InvalidAlgorithm | K::InvalidKeyFormat => {
                        Refused::Key(e.to_string())
                    }
                    _ => Refused::Claims(e.to_string()),
                };
            }
        }
    }
    Err(last)
}

fn check_issuer(claims: &Map<String, Value>, issuer: &str) -> Result<(), Refused> {
    let iss = claims.get("iss").and_then(Value::as_str).unwrap_or_default();
    let expected = match (issuer.contains(TENANT), claims.get("tid").and_then(Value::as_str)) {
        (true, Some(tid)) => issuer.replace(TENANT, tid),
        _ => issuer.to_owned(),
    };
    if iss.trim_end_matches('/') == expected.trim_end_matches('/') {
        Ok(())
    } else {
        Err(Refused::Claims(format!("issuer {iss:?} is not {expected:?}")))
    }
}

/// With several audiences, the token must name Posey as its authorised party (OIDC Core 3.1.3.7).
fn check_azp(claims: &Map<String, Value>, client_id: &str) -> Result<(), Refused> {
    let several = claims.get("aud").and_then(Value::as_array).is_some_and(|a| a.len() > 1);
    match claims.get("azp").and_then(Value::as_str) {
        Some(azp) if azp != client_id => {
            Err(Refused::Claims(format!("authorised party {azp:?} is not Posey")))
        }
        None if several => Err(Refused::Claims("several audiences and no azp".into())),
        _ => Ok(()),
    }
}

/// `email_verified` as providers send it: a boolean, or Apple's `"true"`.
pub fn truthy(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use jsonwebtoken::{EncodingKey, Header};
    use p256::ecdsa::SigningKey;
    use p256::pkcs8::EncodePrivateKey;
    use serde_json::json;

    use super::*;

    /// A P-256 key: its encoding key and its public JWK with `kid`.
    fn key(kid: &str) -> (EncodingKey, Jwk) {
        let signing = SigningKey::random(&mut rand::rngs::OsRng);
        let der = signing.to_pkcs8_der().unwrap();
        let point = signing.verifying_key().to_encoded_point(false);
        use base64::Engine;
        let b64 = |b: &[u8]| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b);
        let jwk = json!({ "kty": "EC", "crv": "P-256", "kid": kid, "use": "sig", "alg": "ES256",
            "x": b64(point.x().unwrap()), "y": b64(point.y().unwrap()) });
        (EncodingKey::from_ec_der(der.as_bytes()), serde_json::from_value(jwk).unwrap())
    }

    fn sign(key: &EncodingKey, kid: &str, claims: Value) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(kid.into());
        jsonwebtoken::encode(&header, &claims, key).unwrap()
    }

    fn claims() -> Value {
        let now = chrono::Utc::now().timestamp();
        json!({ "iss": "https://id.test", "aud": "posey", "sub": "u1", "iat": now,
            "exp": now + 300, "nonce": "n-1", "email": "a@x.test", "email_verified": true })
    }

    #[test]
    fn a_token_passes_only_with_its_key_issuer_audience_expiry_and_nonce() {
        let (signing, jwk) = key("k1");
        let keys = [jwk];
        let verify = |token: &str| verify_id_token(token, &keys, "https://id.test", "posey", "n-1");
        assert_eq!(verify(&sign(&signing, "k1", claims())).unwrap()["sub"], "u1");

        let mut other = claims();
        other["aud"] = json!("another-client");
        assert!(matches!(verify(&sign(&signing, "k1", other)), Err(Refused::Claims(_))));
        let mut other = claims();
        other["iss"] = json!("https://evil.test");
        assert!(matches!(verify(&sign(&signing, "k1", other)), Err(Refused::Claims(_))));
        let mut other = claims();
        other["exp"] = json!(chrono::Utc::now().timestamp() - 600);
        assert!(matches!(verify(&sign(&signing, "k1", other)), Err(Refused::Claims(_))));
        let mut other = claims();
        other["nonce"] = json!("n-2");
        assert_eq!(verify(&sign(&signing, "k1", other)), Err(Refused::Nonce));
        let mut other = claims();
        other.as_object_mut().unwrap().remove("nonce");
        assert_eq!(verify(&sign(&signing, "k1", other)), Err(Refused::Nonce));
        // Another key under the published kid, or under an unknown one.
        let (forger, _) = key("k1");
        assert!(matches!(verify(&sign(&forger, "k1", claims())), Err(Refused::Key(_))));
        assert!(matches!(verify(&sign(&forger, "k9", claims())), Err(Refused::Key(_))));
        // A symmetric token "signed" with the public key's bytes is not even tried.
        let hs = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims(),
            &EncodingKey::from_secret(b"k"),
        )
        .unwrap();
        assert!(matches!(verify(&hs), Err(Refused::Key(_))));
    }

    #[test]
    fn microsofts_issuer_is_the_tokens_tenant() {
        let (signing, jwk) = key("k1");
        let issuer = "https://login.microsoftonline.com/{tenantid}/v2.0";
        let mut c = claims();
        c["iss"] = json!("https://login.microsoftonline.com/t-1/v2.0");
        c["tid"] = json!("t-1");
        assert!(
            verify_id_token(
                &sign(&signing, "k1", c.clone()),
                std::slice::from_ref(&jwk),
                issuer,
                "posey",
                "n-1"
            )
            .is_ok()
        );
        c["tid"] = json!("t-2");
        assert!(verify_id_token(&sign(&signing, "k1", c), &[jwk], issuer, "posey", "n-1").is_err());
    }

    #[test]
    fn apples_string_booleans_count() {
        assert!(truthy(Some(&json!("true"))) && truthy(Some(&json!(true))));
        assert!(!truthy(Some(&json!("false"))) && !truthy(None) && !truthy(Some(&json!(1))));
    }
}
