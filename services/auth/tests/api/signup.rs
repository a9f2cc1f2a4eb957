//! `POST /signup`: sessions or confirmations, validation, no enumeration, GoTrue's error shapes.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{email, spawn, spawn_auth};

#[tokio::test]
async fn signup_with_autoconfirm_returns_a_session_whose_token_verifies_against_the_jwks() {
    let app = spawn().await;
    let address = email();
    let (status, body) = app
        .post("/signup", &json!({ "email": address, "password": "correct horse battery", "data": { "name": "Ada" } }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["token_type"], "bearer");
    assert_eq!(body["expires_in"], 3600);
    assert!(body["refresh_token"].as_str().is_some_and(|t| t.len() >= 40));
    assert_eq!(body["user"]["email"], address);
    assert_eq!(body["user"]["user_metadata"]["name"], "Ada");
    assert_eq!(body["user"]["aud"], "authenticated");
    assert!(body["user"]["email_confirmed_at"].is_string());

    // The token verifies with the shared verifier against the published JWKS.
    let jwks_url: url::Url = app.url("/.well-known/jwks.json").parse().unwrap();
    let verifier = posey_http::auth::JwksVerifier::new(posey_http::auth::VerifierConfig::new(
        jwks_url,
        "http://posey-auth.test",
    ));
    let claims = verifier.verify(body["access_token"].as_str().unwrap()).await.unwrap();
    assert_eq!(claims.sub, body["user"]["id"].as_str().unwrap());
    assert_eq!(claims.role.as_deref(), Some("authenticated"));
    assert_eq!(claims.email.as_deref(), Some(address.as_str()));
    assert!(claims.session_id.is_some());
    assert_eq!(claims.aal.as_deref(), Some("aal1"));
    assert_eq!(claims.amr.as_ref().unwrap()[0]["method"], "password");
    assert_eq!(claims.user_metadata.as_ref().unwrap()["name"], "Ada");
    assert_eq!(claims.app_metadata.as_ref().unwrap()["provider"], "email");
    let hasura = claims.hasura.as_ref().unwrap();
    assert_eq!(hasura.user_id.as_deref(), Some(claims.sub.as_str()));
    assert_eq!(hasura.default_role, "user");
    assert_eq!(hasura.allowed_roles, ["user"]);
}

#[tokio::test]
async fn bad_input_is_refused_with_the_field_named() {
    let app = spawn().await;
    let cases = [
        (
            json!({ "email": "not-an-address", "password": "long enough pw" }),
            StatusCode::BAD_REQUEST,
            "email_address_invalid",
        ),
        (json!({ "password": "long enough pw" }), StatusCode::BAD_REQUEST, "validation_failed"),
        (
            json!({ "email": email(), "password": "short" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "weak_password",
        ),
        (
            json!({ "email": email(), "password": "x".repeat(300) }),
            StatusCode::BAD_REQUEST,
            "validation_failed",
        ),
        (
            json!({ "email": email(), "password": "long enough pw", "data": [1] }),
            StatusCode::BAD_REQUEST,
            "validation_failed",
        ),
        (
            json!({ "email": 5, "password": "long enough pw" }),
            StatusCode::BAD_REQUEST,
            "validation_failed",
        ),
    ];
    for (body, status, code) in cases {
        let (got, answer) = app.post("/signup", &body).await;
        assert_eq!(
            (got, answer["error_code"].as_str()),
            (status, Some(code)),
            "{body} -> {answer}"
        );
        assert!(answer["msg"].as_str().is_some_and(|m| !m.is_empty()), "{answer}");
    }

    let response = app
        .client
        .post(app.url("/signup"))
        .header("content-type", "application/json")
        .body("{\"email\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(response.json::<Value>().await.unwrap()["error_code"], "bad_json");

    let huge = json!({ "email": email(), "password": "long enough pw", "data": { "blob": "x".repeat(100_000) } });
    let (status, _) = app.post("/signup", &huge).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn errors_take_the_shape_of_the_clients_api_version() {
    let app = spawn().await;
    let body = json!({ "email": "nope", "password": "long enough pw" });
    let response = app
        .client
        .post(app.url("/signup"))
        .header("X-Supabase-Api-Version", "2024-01-01")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["x-supabase-api-version"], "2024-01-01");
    let answer: Value = response.json().await.unwrap();
    assert_eq!(answer["code"], "email_address_invalid");
    assert!(answer["message"].is_string() && answer.get("msg").is_none(), "{answer}");

    let (_, legacy) = app.post("/signup", &body).await;
    assert_eq!(legacy["code"], 400);
    assert_eq!(legacy["error_code"], "email_address_invalid");
}

#[tokio::test]
async fn one_address_is_one_account_whatever_its_case_or_width() {
    let app = spawn().await;
    let local = format!("mixed-{}", uuid::Uuid::new_v4().simple());
    app.session_for(&format!("{local}@Example.TEST")).await;
    let (status, body) =
        app.signup(&format!("  {}@example.test", local.to_uppercase()), "another password").await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("user_already_exists"))
    );
    let (status, body) = app.login(&format!("{local}@example.test"), "correct horse battery").await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn with_confirmations_on_a_known_address_gets_the_same_answer_as_a_new_one() {
    let app = spawn_auth(&[("AUTH_MAILER_AUTOCONFIRM", "false".into())]).await;
    let known = email();
    let (status, first) = app.signup(&known, "correct horse battery").await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert!(first.get("access_token").is_none(), "no session before confirmation: {first}");
    assert!(first["confirmation_sent_at"].is_string());
    // Confirm the account so that it is a real, active one.
    sqlx::query("UPDATE auth.users SET email_confirmed_at = now() WHERE email = $1")
        .bind(&known)
        .execute(&app.db.pool)
        .await
        .unwrap();

    let (known_status, known_answer) = app.signup(&known, "another password 1").await;
    let (new_status, new_answer) = app.signup(&email(), "another password 2").await;
    assert_eq!(known_status, new_status);
    let keys = |v: &Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(keys(&known_answer), keys(&new_answer));
    assert_eq!(keys(&known_answer["identities"][0]), keys(&new_answer["identities"][0]));
    // The account itself is untouched: the old password still works.
    let (status, _) = app.login(&known, "correct horse battery").await;
    assert_eq!(status, StatusCode::OK);
    // And its owner was told, through the outbox.
    let told: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM auth.outbox WHERE recipient = $1 AND kind = 'signup_attempt'",
    )
    .bind(&known)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(told, 1);
}

#[tokio::test]
async fn signups_can_be_disabled() {
    let app = spawn_auth(&[("AUTH_DISABLE_SIGNUP", "true".into())]).await;
    let (status, body) = app.signup(&email(), "correct horse battery").await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("signup_disabled"))
    );
    let (_, settings) =
        crate::helpers::parts(app.client.get(app.url("/settings")).send().await.unwrap()).await;
    assert_eq!(settings["disable_signup"], true);
    assert_eq!(settings["external"]["email"], true);
}

#[tokio::test]
async fn signups_are_rate_limited_per_ip_with_retry_after() {
    let app = spawn_auth(&[("AUTH_RATE_LIMIT_PER_IP", "2".into())]).await;
    for _ in 0..2 {
        let (status, body) = app.signup(&email(), "correct horse battery").await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let response = app
        .client
        .post(app.url("/signup"))
        .json(&json!({ "email": email(), "password": "correct horse battery" }))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = response.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert_eq!(response.json::<Value>().await.unwrap()["error_code"], "over_request_rate_limit");
}

#[tokio::test]
async fn rate_limits_are_shared_through_redis_when_configured() {
    let vars = [
        ("AUTH_RATE_LIMIT_PER_ACCOUNT", "1".to_string()),
        ("REDIS_URL", posey_testkit::redis_url()),
    ];
    let a = spawn_auth(&vars).await;
    let b = spawn_auth(&vars).await;
    let address = email();
    let (status, _) = a.login(&address, "whatever password").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // A second replica (another app, same Redis) sees the same count.
    let (status, body) = b.login(&address, "whatever password").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
}
