//! Registering the provider's clients, in Supabase Auth's OAuth 2.1 server admin API shape:
//! `/admin/oauth/clients` (list, create), `/admin/oauth/clients/{client_id}` (get, update,
//! delete), `/admin/oauth/clients/{client_id}/regenerate_secret`. Admins only (a service token
//! granted the `admin` scope, or a user holding the `admin` role), every change audited. A
//! confidential client's secret is in the answer once, when made. A client may register its
//! public keys (`jwks`) and have its id tokens encrypted (OpenID Connect Registration 2).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Deserializer};
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::db::audit::{self, Event};
use crate::db::oauth::{self, Client};
use crate::error::{AuthError, AuthResult};
use crate::extract::{Admin, AuthJson, Client as Caller};
use crate::oidc::clients::{new_secret, valid_redirect_uri};
use crate::oidc::jwe;
use crate::oidc::{GRANT_TYPES, SCOPES};
use crate::routes::oauth::schemas;
use crate::routes::openapi::NeedsAdmin;
use crate::routes::openapi::schemas::GoTrueError;
use crate::state::AppState;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_clients, create_client))
        .routes(routes!(get_client, update_client, delete_client))
        .routes(routes!(regenerate_secret))
}

#[derive(Debug, Default, Deserialize)]
struct ClientBody {
    client_name: Option<String>,
    redirect_uris: Option<Vec<String>>,
    post_logout_redirect_uris: Option<Vec<String>>,
    token_endpoint_auth_method: Option<String>,
    client_type: Option<String>,
    grant_types: Option<Vec<String>>,
    scope: Option<String>,
    client_uri: Option<String>,
    logo_uri: Option<String>,
    /// Absent: unchanged; `null`: removed.
    #[serde(default, deserialize_with = "present")]
    jwks: Option<Option<Value>>,
    jwks_uri: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    id_token_encrypted_response_alg: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    id_token_encrypted_response_enc: Option<Option<String>>,
}

/// Tells a field given as `null` (`Some(None)`) from one left out (`None`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

fn to_json(client: &Client, secret: Option<&str>) -> Value {
    let mut body = json!({
        "client_id": client.client_id,
        "client_name": client.client_name,
        "client_type": client.client_type,
        "token_endpoint_auth_method": client.token_endpoint_auth_method,
        "registration_type": "manual",
        "redirect_uris": client.redirect_uris,
        "post_logout_redirect_uris": client.post_logout_redirect_uris,
        "grant_types": client.grant_types,
        "response_types": ["code"],
        "scope": client.scope,
        "client_uri": client.client_uri,
        "logo_uri": client.logo_uri,
        "jwks": client.jwks,
        "id_token_encrypted_response_alg": client.id_token_encrypted_response_alg,
        "id_token_encrypted_response_enc": client.id_token_encrypted_response_enc,
        "created_at": client.created_at,
        "updated_at": client.updated_at,
    });
    if let Some(secret) = secret {
        body["client_secret"] = secret.into();
    }
    body
}

fn not_found() -> AuthError {
    AuthError::not_found("oauth_client_not_found", "OAuth client not found")
}

async fn load(state: &AppState, id: &str) -> AuthResult<Client> {
    let id: Uuid = id.parse().map_err(|_| not_found())?;
    oauth::find_client(state.db(), id).await?.ok_or_else(not_found)
}

/// Applies `body`'s fields to `client`, checking each.
fn apply(client: &mut Client, body: ClientBody) -> AuthResult<()> {
    if let Some(name) = body.client_name {
        let name = name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(AuthError::validation("client_name must be 1 to 200 characters"));
        }
        client.client_name = name;
    }
    let uris = |field: &str, uris: Vec<String>, at_least_one: bool| {
        if at_least_one && uris.is_empty() {
            return Err(AuthError::validation(format!("{field} needs at least one URI")));
        }
        if uris.len() > 20 {
            return Err(AuthError::validation(format!("{field} takes at most 20 URIs")));
        }
        if let Some(bad) = uris.iter().find(|u| u.len() > 2048 || !valid_redirect_uri(u)) {
            return Err(AuthError::validation(format!(
                "{field}: {bad:?} is not an absolute URI without a fragment"
            )));
        }
        Ok(uris)
    };
    if let Some(list) = body.redirect_uris {
        client.redirect_uris = uris("redirect_uris", list, true)?;
    }
    if let Some(list) = body.post_logout_redirect_uris {
        client.post_logout_redirect_uris = uris("post_logout_redirect_uris", list, false)?;
    }
    if let Some(grants) = body.grant_types {
        if let Some(bad) = grants.iter().find(|g| !GRANT_TYPES.contains(&g.as_str())) {
            return Err(AuthError::validation(format!("grant_types: {bad:?} is not supported")));
        }
        if grants.iter().any(|g| g == "client_credentials") && !client.is_confidential() {
            return Err(AuthError::validation("a public client cannot use client_credentials"));
        }
        if grants.is_empty() {
            return Err(AuthError::validation("grant_types needs at least one grant"));
        }
        client.grant_types = crate::oidc::split_scopes(&grants.join(" "));
    }
    if let Some(scope) = body.scope {
        let scopes = crate::oidc::split_scopes(&scope);
        if scopes.is_empty() || scopes.iter().any(|s| s.len() > 100) || scopes.len() > 50 {
            return Err(AuthError::validation("scope must name 1 to 50 scopes"));
        }
        client.scope = scopes.join(" ");
    }
    for (field, value, slot) in [
        ("client_uri", body.client_uri, &mut client.client_uri),
        ("logo_uri", body.logo_uri, &mut client.logo_uri),
    ] {
        if let Some(value) = value {
            let ok = value.is_empty()
                || url::Url::parse(&value).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
            if !ok {
                return Err(AuthError::validation(format!("{field} must be an http(s) URL")));
            }
            *slot = (!value.is_empty()).then_some(value);
        }
    }
    apply_encryption(
        client,
        body.jwks,
        body.jwks_uri,
        body.id_token_encrypted_response_alg,
        body.id_token_encrypted_response_enc,
    )
}

/// Applies the client's keys and id token encryption (OpenID Connect Registration 2), then
/// checks the whole: an algorithm Posey implements, a key in `jwks` to encrypt to, and no
/// `enc` without an `alg`. `enc` defaults to `A128CBC-HS256`, as the spec says.
fn apply_encryption(
    client: &mut Client,
    jwks: Option<Option<Value>>,
    jwks_uri: Option<Value>,
    alg: Option<Option<String>>,
    enc: Option<Option<String>>,
) -> AuthResult<()> {
    if jwks_uri.is_some() {
        return Err(AuthError::validation(
            "jwks_uri is not supported: give the public keys inline as jwks",
        ));
    }
    if let Some(jwks) = jwks {
        if let Some(jwks) = &jwks {
            jwe::check_jwks(jwks).map_err(AuthError::validation)?;
        }
        client.jwks = jwks;
    }
    let cleared = matches!(alg, Some(None));
    if let Some(alg) = alg {
        if let Some(name) = alg.as_deref().filter(|a| jwe::Alg::parse(a).is_none()) {
            return Err(AuthError::validation(format!(
                "id_token_encrypted_response_alg: {name:?} is not supported; use one of {}",
                jwe::ALGS.join(", ")
            )));
        }
        client.id_token_encrypted_response_alg = alg;
    }
    match enc {
        Some(Some(name)) if jwe::Enc::parse(&name).is_none() => {
            return Err(AuthError::validation(format!(
                "id_token_encrypted_response_enc: {name:?} is not supported; use one of {}",
                jwe::ENCS.join(", ")
            )));
        }
        Some(enc) => client.id_token_encrypted_response_enc = enc,
        // Turning encryption off turns its `enc` off with it.
        None if cleared => client.id_token_encrypted_response_enc = None,
        None => {}
    }
    match client.id_token_encrypted_response_alg.as_deref().and_then(jwe::Alg::parse) {
        Some(alg) => {
            let jwks = client.jwks.as_ref().ok_or_else(|| {
                AuthError::validation(
                    "id_token_encrypted_response_alg needs jwks: the public key to encrypt to",
                )
            })?;
            jwe::recipient(jwks, alg).map_err(AuthError::validation)?;
            client.id_token_encrypted_response_enc.get_or_insert_with(|| jwe::DEFAULT_ENC.into());
        }
        None if client.id_token_encrypted_response_enc.is_some() => {
            return Err(AuthError::validation(
                "id_token_encrypted_response_enc needs id_token_encrypted_response_alg",
            ));
        }
        None => {}
    }
    Ok(())
}

async fn record(
    state: &AppState,
    admin: &Admin,
    caller: &Caller,
    action: &str,
    client_id: Uuid,
) -> sqlx::Result<()> {
    audit::record(
        state.db(),
        Event {
            action,
            actor_id: Some(admin.actor.clone()),
            target_id: None,
            ip: caller.ip,
            payload: json!({ "oauth_client_id": client_id }),
        },
    )
    .await
}

/// List the OAuth clients
///
/// Every registered client (without secrets).
#[utoipa::path(get, operation_id = "oauth_list_clients", path = "/admin/oauth/clients", tag = "admin", security(("bearer" = [])),
    responses(
        (status = 200, description = "The clients", body = schemas::OAuthClientList),
        NeedsAdmin,
    ))]
async fn list_clients(State(state): State<AppState>, _admin: Admin) -> AuthResult<Json<Value>> {
    let clients = oauth::list_clients(state.db()).await?;
    let clients: Vec<Value> = clients.iter().map(|c| to_json(c, None)).collect();
    Ok(Json(json!({ "clients": clients, "aud": crate::tokens::AUDIENCE })))
}

/// Register an OAuth client
///
/// A client of Posey's OpenID provider. `token_endpoint_auth_method` `none` (or `client_type`
/// `public`) makes a public client, which must use PKCE; otherwise it is confidential and the
/// answer holds its `client_secret`, shown this once.
#[utoipa::path(post, operation_id = "oauth_create_client", path = "/admin/oauth/clients", tag = "admin", security(("bearer" = [])),
    request_body = schemas::NewOAuthClient,
    responses(
        (status = 201, description = "The client, with its secret if confidential", body = schemas::OAuthClient),
        (status = 400, description = "A field is missing or wrong (`validation_failed`)", body = GoTrueError),
        NeedsAdmin,
    ))]
async fn create_client(
    State(state): State<AppState>,
    admin: Admin,
    caller: Caller,
    AuthJson(body): AuthJson<ClientBody>,
) -> AuthResult<Response> {
    let method = match (body.token_endpoint_auth_method.as_deref(), body.client_type.as_deref()) {
        (None, Some("public")) | (Some("none"), None | Some("public")) => "none",
        (None, None | Some("confidential")) => "client_secret_basic",
        (Some(m @ ("client_secret_basic" | "client_secret_post")), None | Some("confidential")) => {
            m
        }
        _ => {
            return Err(AuthError::validation(
                "token_endpoint_auth_method must be client_secret_basic, client_secret_post or \
                 none, and agree with client_type",
            ));
        }
    };
    if body.client_name.is_none() || body.redirect_uris.is_none() {
        return Err(AuthError::validation("client_name and redirect_uris are required"));
    }
    let confidential = method != "none";
    let (secret, hash) = new_secret();
    let now = state.clock.now();
    let mut client = Client {
        client_id: Uuid::new_v4(),
        client_name: String::new(),
        client_type: if confidential { "confidential" } else { "public" }.into(),
        token_endpoint_auth_method: method.into(),
        client_secret_hash: confidential.then_some(hash),
        redirect_uris: Vec::new(),
        post_logout_redirect_uris: Vec::new(),
        grant_types: vec!["authorization_code".into(), "refresh_token".into()],
        scope: SCOPES.join(" "),
        client_uri: None,
        logo_uri: None,
        jwks: None,
        id_token_encrypted_response_alg: None,
        id_token_encrypted_response_enc: None,
        created_at: now,
        updated_at: now,
    };
    apply(&mut client, body)?;
    let client = oauth::insert_client(state.db(), &client).await?;
    record(&state, &admin, &caller, "oauth_client_created", client.client_id).await?;
    let body = to_json(&client, confidential.then_some(secret.as_str()));
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// Get an OAuth client
#[utoipa::path(get, operation_id = "oauth_get_client", path = "/admin/oauth/clients/{client_id}", tag = "admin", security(("bearer" = [])),
    params(("client_id" = String, Path, description = "The client's id")),
    responses(
        (status = 200, description = "The client", body = schemas::OAuthClient),
        NeedsAdmin,
        (status = 404, description = "No such client (`oauth_client_not_found`)", body = GoTrueError),
    ))]
async fn get_client(
    State(state): State<AppState>,
    _admin: Admin,
    Path(client_id): Path<String>,
) -> AuthResult<Json<Value>> {
    Ok(Json(to_json(&load(&state, &client_id).await?, None)))
}

/// Update an OAuth client
///
/// Changes the fields given; its type and authentication method stay.
#[utoipa::path(put, operation_id = "oauth_update_client", path = "/admin/oauth/clients/{client_id}", tag = "admin", security(("bearer" = [])),
    params(("client_id" = String, Path, description = "The client's id")),
    request_body = schemas::OAuthClientChange,
    responses(
        (status = 200, description = "The client", body = schemas::OAuthClient),
        (status = 400, description = "A field is wrong (`validation_failed`)", body = GoTrueError),
        NeedsAdmin,
        (status = 404, description = "No such client (`oauth_client_not_found`)", body = GoTrueError),
    ))]
async fn update_client(
    State(state): State<AppState>,
    admin: Admin,
    caller: Caller,
    Path(client_id): Path<String>,
    AuthJson(body): AuthJson<ClientBody>,
) -> AuthResult<Json<Value>> {
    let mut client = load(&state, &client_id).await?;
    if body.token_endpoint_auth_method.is_some() || body.client_type.is_some() {
        return Err(AuthError::validation(
            "a client's type and authentication method cannot change; register a new client",
        ));
    }
    apply(&mut client, body)?;
    let client = oauth::update_client(state.db(), &client).await?.ok_or_else(not_found)?;
    record(&state, &admin, &caller, "oauth_client_updated", client.client_id).await?;
    Ok(Json(to_json(&client, None)))
}

/// Delete an OAuth client
///
/// Its codes, grants, tokens and consents go with it.
#[utoipa::path(delete, operation_id = "oauth_delete_client", path = "/admin/oauth/clients/{client_id}", tag = "admin", security(("bearer" = [])),
    params(("client_id" = String, Path, description = "The client's id")),
    responses(
        (status = 204, description = "Deleted"),
        NeedsAdmin,
        (status = 404, description = "No such client (`oauth_client_not_found`)", body = GoTrueError),
    ))]
async fn delete_client(
    State(state): State<AppState>,
    admin: Admin,
    caller: Caller,
    Path(client_id): Path<String>,
) -> AuthResult<StatusCode> {
    let client = load(&state, &client_id).await?;
    if !oauth::delete_client(state.db(), client.client_id).await? {
        return Err(not_found());
    }
    record(&state, &admin, &caller, "oauth_client_deleted", client.client_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Regenerate an OAuth client's secret
///
/// A confidential client gets a new secret (in the answer, this once); the old one stops
/// working at once.
#[utoipa::path(post, operation_id = "oauth_regenerate_secret", path = "/admin/oauth/clients/{client_id}/regenerate_secret", tag = "admin", security(("bearer" = [])),
    params(("client_id" = String, Path, description = "The client's id")),
    responses(
        (status = 200, description = "The client with its new secret", body = schemas::OAuthClient),
        (status = 400, description = "A public client has no secret (`validation_failed`)", body = GoTrueError),
        NeedsAdmin,
        (status = 404, description = "No such client (`oauth_client_not_found`)", body = GoTrueError),
    ))]
async fn regenerate_secret(
    State(state): State<AppState>,
    admin: Admin,
    caller: Caller,
    Path(client_id): Path<String>,
) -> AuthResult<Json<Value>> {
    let mut client = load(&state, &client_id).await?;
    if !client.is_confidential() {
        return Err(AuthError::validation("a public client has no secret"));
    }
    let (secret, hash) = new_secret();
    client.client_secret_hash = Some(hash);
    let client = oauth::update_client(state.db(), &client).await?.ok_or_else(not_found)?;
    record(&state, &admin, &caller, "oauth_client_secret_regenerated", client.client_id).await?;
    Ok(Json(to_json(&client, Some(&secret))))
}
