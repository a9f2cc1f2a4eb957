//! The access-token contract: a token auth really issues (its own signing path, through the
//! grants) carries exactly the claims the shared type `posey_http::auth::Claims` names, under
//! the names the readers (the shared verifier and guards, the gateway's Hasura session) and
//! Supabase's clients rely on. Renaming a field on either side fails here: the wire names are
//! pinned, and nothing auth signs may fall outside the type (`extra` stays empty).

use std::collections::BTreeSet;

use axum::http::HeaderMap;
use posey_http::auth::{
    ACTING_FOR_HEADER, Claims, JwksVerifier, VerifierConfig, acting_person, scopes,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{AuthApp, email, spawn, token_claims};

async fn verify(app: &AuthApp, token: &str) -> Claims {
    let jwks_url = app.url("/.well-known/jwks.json").parse().unwrap();
    let verifier = JwksVerifier::new(VerifierConfig::new(jwks_url, "http://posey-auth.test"));
    verifier.verify(token).await.unwrap()
}

fn keys(object: &Value) -> BTreeSet<&str> {
    object.as_object().unwrap().keys().map(String::as_str).collect()
}

#[tokio::test]
async fn a_persons_token_parses_into_the_shared_claims_with_every_field_readers_use() {
    let app = spawn().await;
    let address = email();
    let session = app.session_for(&address).await;
    let user_id = session["user"]["id"].as_str().unwrap().to_owned();
    // A role, so `roles` and the gateway's allowed roles carry one (from the next refresh).
    let admin = app.service_token().await;
    let grant = json!({ "role": "admin" });
    let path = format!("/admin/users/{user_id}/roles");
    let response = app.send(Method::POST, &path, &admin, Some(&grant)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let (status, refreshed) = app.refresh(session["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    let token = refreshed["access_token"].as_str().unwrap();

    // The wire: Supabase's names, Posey's `roles`, Hasura's namespace, and nothing else.
    let wire = token_claims(token);
    assert_eq!(
        keys(&wire),
        BTreeSet::from([
            "aal",
            "amr",
            "app_metadata",
            "aud",
            "email",
            "exp",
            "https://hasura.io/jwt/claims",
            "iat",
            "is_anonymous",
            "iss",
            "phone",
            "role",
            "roles",
            "session_id",
            "sub",
            "user_metadata",
        ])
    );
    assert_eq!(
        keys(&wire["https://hasura.io/jwt/claims"]),
        BTreeSet::from(["x-hasura-allowed-roles", "x-hasura-default-role", "x-hasura-user-id"])
    );

    // The readers' view, through the shared verifier.
    let claims = verify(&app, token).await;
    assert!(claims.extra.is_empty(), "claims outside the shared type: {:?}", claims.extra);
    assert_eq!(claims.user_id().map(|u| u.to_string()), Some(user_id.clone()));
    assert_eq!(claims.iss, "http://posey-auth.test");
    assert!(claims.exp > claims.iat.unwrap());
    assert_eq!(claims.role.as_deref(), Some("authenticated"));
    assert_eq!(claims.email.as_deref(), Some(address.as_str()));
    let session_id = claims.session_id.expect("a person's token names its session");
    assert_eq!(wire["session_id"], session_id.to_string());
    assert_eq!(claims.aal.as_deref(), Some("aal1"));
    assert!(claims.has_role("admin") && !claims.is_service());
    let hasura = claims.hasura.as_ref().expect("the gateway's claims");
    assert_eq!(hasura.default_role, "user");
    assert_eq!(hasura.allowed_roles, ["user", "admin"]);
    assert_eq!(hasura.user_id.as_deref(), Some(user_id.as_str()));
    assert!(hasura.vars.is_empty(), "{:?}", hasura.vars);
    let person = acting_person(&claims, &HeaderMap::new(), scopes::CRON_ACT_FOR_PERSON).unwrap();
    assert_eq!(person.to_string(), user_id);
    // The type says exactly what was signed.
    assert_eq!(serde_json::to_value(&claims).unwrap(), wire);
}

#[tokio::test]
async fn a_service_token_parses_into_the_shared_claims_as_a_service() {
    let app = spawn().await;
    let token = app.client_token("cron", "cron-secret-0123456789").await;
    let wire = token_claims(&token);
    assert_eq!(
        keys(&wire),
        BTreeSet::from([
            "aud",
            "client_id",
            "exp",
            "https://hasura.io/jwt/claims",
            "iat",
            "iss",
            "role",
            "scope",
            "sub",
        ])
    );

    let claims = verify(&app, &token).await;
    assert!(claims.extra.is_empty(), "claims outside the shared type: {:?}", claims.extra);
    assert!(claims.is_service() && claims.user_id().is_none());
    assert_eq!(claims.sub, "service:cron");
    assert_eq!(claims.client_id.as_deref(), Some("cron"));
    assert_eq!((claims.session_id, claims.roles.as_ref()), (None, None));
    let hasura = claims.hasura.as_ref().expect("the gateway's claims");
    assert_eq!(
        (hasura.default_role.as_str(), &hasura.allowed_roles[..]),
        ("service", &["service".to_owned()][..])
    );
    assert_eq!(hasura.user_id, None);
    let person = uuid::Uuid::new_v4();
    let mut headers = HeaderMap::new();
    headers.insert(ACTING_FOR_HEADER, person.to_string().parse().unwrap());
    assert_eq!(claims.scope.as_deref(), Some("agents:turns cron:act-for-person"));
    assert_eq!(acting_person(&claims, &headers, scopes::CRON_ACT_FOR_PERSON).unwrap(), person);
    assert_eq!(serde_json::to_value(&claims).unwrap(), wire);
}
