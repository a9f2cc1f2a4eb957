//! The shapes of the provider's requests and answers, for the OpenAPI document only (the
//! handlers read forms and build JSON themselves; the API test checks real answers).

// Never built: they only describe.
#![allow(dead_code)]

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// An OAuth error (RFC 6749 5.2).
#[derive(Serialize, ToSchema)]
pub struct OAuthError {
    /// `invalid_request`, `invalid_client`, `invalid_grant`, `unauthorized_client`,
    /// `unsupported_grant_type`, `invalid_scope`, `invalid_token`, `slow_down`, ...
    error: String,
    error_description: Option<String>,
}

/// A registered client. `client_secret` is in the answer once: when the client is created or
/// its secret regenerated.
#[derive(Serialize, ToSchema)]
pub struct OAuthClient {
    client_id: Uuid,
    client_name: String,
    /// `confidential` (has a secret) or `public` (PKCE only).
    client_type: String,
    /// `client_secret_basic`, `client_secret_post` or `none` (public).
    token_endpoint_auth_method: String,
    /// `manual`: registered by an admin.
    registration_type: String,
    redirect_uris: Vec<String>,
    post_logout_redirect_uris: Vec<String>,
    grant_types: Vec<String>,
    response_types: Vec<String>,
    scope: String,
    client_uri: Option<String>,
    logo_uri: Option<String>,
    /// The client's public keys, inline (a JWK set; never a private key). An EC P-256 key with
    /// `use` `enc` (or none) is what id tokens are encrypted to.
    #[schema(value_type = Option<Object>)]
    jwks: Option<serde_json::Value>,
    /// `ECDH-ES+A256KW` or `ECDH-ES`: id tokens are signed, then encrypted to the client's key
    /// (a nested JWT). None: only signed.
    id_token_encrypted_response_alg: Option<String>,
    /// `A128CBC-HS256` (the default with an `alg`), `A128GCM` or `A256GCM`.
    id_token_encrypted_response_enc: Option<String>,
    client_secret: Option<String>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct OAuthClientList {
    clients: Vec<OAuthClient>,
    aud: String,
}

/// A new client.
#[derive(Serialize, ToSchema)]
pub struct NewOAuthClient {
    client_name: String,
    /// Matched exactly at the authorization endpoint.
    redirect_uris: Vec<String>,
    /// Where RP-initiated logout may send the person after (matched exactly).
    post_logout_redirect_uris: Option<Vec<String>>,
    /// `client_secret_basic` (the default), `client_secret_post`, or `none` for a public client.
    token_endpoint_auth_method: Option<String>,
    /// `confidential` or `public`; follows from the method when unset.
    client_type: Option<String>,
    /// Default `["authorization_code", "refresh_token"]`; `client_credentials` for a
    /// confidential client.
    grant_types: Option<Vec<String>>,
    /// The scopes it may ask for; default `openid profile email offline_access`.
    scope: Option<String>,
    client_uri: Option<String>,
    logo_uri: Option<String>,
    /// The client's public keys, inline (a JWK set; never a private key). An EC P-256 key with
    /// `use` `enc` (or none) is what id tokens are encrypted to.
    #[schema(value_type = Option<Object>)]
    jwks: Option<serde_json::Value>,
    /// `ECDH-ES+A256KW` or `ECDH-ES`: id tokens are signed, then encrypted to the client's key
    /// (a nested JWT). None (or `null` to stop): only signed.
    id_token_encrypted_response_alg: Option<String>,
    /// `A128CBC-HS256` (the default with an `alg`), `A128GCM` or `A256GCM`.
    id_token_encrypted_response_enc: Option<String>,
}

/// What to change of a client (the rest stays).
#[derive(Serialize, ToSchema)]
pub struct OAuthClientChange {
    client_name: Option<String>,
    redirect_uris: Option<Vec<String>>,
    post_logout_redirect_uris: Option<Vec<String>>,
    grant_types: Option<Vec<String>>,
    scope: Option<String>,
    client_uri: Option<String>,
    logo_uri: Option<String>,
    /// The client's public keys, inline (a JWK set; never a private key). An EC P-256 key with
    /// `use` `enc` (or none) is what id tokens are encrypted to.
    #[schema(value_type = Option<Object>)]
    jwks: Option<serde_json::Value>,
    /// `ECDH-ES+A256KW` or `ECDH-ES`: id tokens are signed, then encrypted to the client's key
    /// (a nested JWT). None (or `null` to stop): only signed.
    id_token_encrypted_response_alg: Option<String>,
    /// `A128CBC-HS256` (the default with an `alg`), `A128GCM` or `A256GCM`.
    id_token_encrypted_response_enc: Option<String>,
}

/// The token endpoint's form (`application/x-www-form-urlencoded`).
#[derive(Serialize, ToSchema)]
pub struct TokenForm {
    /// `authorization_code`, `refresh_token` or `client_credentials`.
    grant_type: String,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    scope: Option<String>,
    /// A public client names itself; a confidential one may send its secret here
    /// (`client_secret_post`) instead of in `Authorization: Basic`.
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// Tokens (RFC 6749 5.1; OpenID Connect Core 3.1.3.3).
#[derive(Serialize, ToSchema)]
pub struct OAuthTokens {
    access_token: String,
    /// `Bearer`.
    token_type: String,
    expires_in: i64,
    scope: String,
    /// With the `openid` scope.
    id_token: Option<String>,
    /// With the `offline_access` scope; single use, each refresh gives the next.
    refresh_token: Option<String>,
}

/// A token for revocation or introspection (RFC 7009, RFC 7662), with client authentication.
#[derive(Serialize, ToSchema)]
pub struct TokenQuestion {
    token: String,
    /// `access_token` or `refresh_token` (a hint only).
    token_type_hint: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// RFC 7662 2.2.
#[derive(Serialize, ToSchema)]
pub struct Introspection {
    active: bool,
    scope: Option<String>,
    client_id: Option<String>,
    sub: Option<String>,
    aud: Option<String>,
    iss: Option<String>,
    exp: Option<i64>,
    iat: Option<i64>,
    jti: Option<String>,
    /// `Bearer` (an access token) or `refresh_token`.
    token_type: Option<String>,
}

/// OpenID Connect Core 5.3.2: the claims the scopes allow.
#[derive(Serialize, ToSchema)]
pub struct UserInfo {
    sub: String,
    email: Option<String>,
    email_verified: Option<bool>,
    name: Option<String>,
    preferred_username: Option<String>,
    updated_at: Option<i64>,
}

/// The sign-in form.
#[derive(Serialize, ToSchema)]
pub struct LoginForm {
    /// The authorization request's query string, as the page carries it.
    request: String,
    email: String,
    password: String,
}

/// The consent form.
#[derive(Serialize, ToSchema)]
pub struct ConsentForm {
    request: String,
    /// The page's CSRF token.
    csrf: String,
    /// `allow` or `deny`.
    decision: String,
}

/// RP-initiated logout's parameters (query for GET, form for POST).
#[derive(Serialize, ToSchema)]
pub struct LogoutForm {
    /// An id token this provider issued (expired ones too); for a client whose id tokens are
    /// encrypted, the signed id token inside.
    id_token_hint: Option<String>,
    client_id: Option<String>,
    post_logout_redirect_uri: Option<String>,
    state: Option<String>,
    /// `yes`: the answer of the page that asks a signed-in browser to confirm.
    confirm: Option<String>,
    /// That page's CSRF token.
    csrf: Option<String>,
}

/// OpenID Connect Discovery 1.0 / RFC 8414 metadata.
#[derive(Serialize, ToSchema)]
pub struct ProviderMetadata {
    issuer: String,
    authorization_endpoint: String,
    token_endpoint: String,
    userinfo_endpoint: String,
    jwks_uri: String,
    end_session_endpoint: String,
    revocation_endpoint: String,
    introspection_endpoint: String,
    scopes_supported: Vec<String>,
    response_types_supported: Vec<String>,
    response_modes_supported: Vec<String>,
    grant_types_supported: Vec<String>,
    subject_types_supported: Vec<String>,
    id_token_signing_alg_values_supported: Vec<String>,
    id_token_encryption_alg_values_supported: Vec<String>,
    id_token_encryption_enc_values_supported: Vec<String>,
    token_endpoint_auth_methods_supported: Vec<String>,
    revocation_endpoint_auth_methods_supported: Vec<String>,
    introspection_endpoint_auth_methods_supported: Vec<String>,
    code_challenge_methods_supported: Vec<String>,
    claims_supported: Vec<String>,
    prompt_values_supported: Vec<String>,
    authorization_response_iss_parameter_supported: bool,
    request_parameter_supported: bool,
    request_uri_parameter_supported: bool,
    claims_parameter_supported: bool,
}
