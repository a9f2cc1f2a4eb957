//! The admin API (`/admin/users`, `/admin/generate_link`, `/admin/audit`) as auth-js's admin
//! client uses it, and Posey's RBAC (`/admin/roles`, `/admin/users/{id}/roles`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{AuthApp, email, parts, spawn, spawn_auth, spawn_empty};

const PASSWORD: &str = "correct horse battery";

impl AuthApp {
    async fn call(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> reqwest::Response {
        let mut request = self.client.request(method, self.url(path)).bearer_auth(token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request.send().await.unwrap()
    }

    async fn admin(
        &self,
        method: Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        parts(self.call(method, path, token, body).await).await
    }

    /// Creates a user through the admin API and answers it.
    async fn create_user(&self, service: &str, body: Value) -> Value {
        let (status, user) = self.post_with_token("/admin/users", service, &body).await;
        assert_eq!(status, StatusCode::OK, "{user}");
        user
    }

    async fn count(&self, sql: &str, bind: &str) -> i64 {
        sqlx::query_scalar(sql).bind(bind).fetch_one(&self.db.pool).await.unwrap()
    }
}

/// The claims of an access token (already verified by the service that issued it).
fn claims(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn token_of(session: &Value) -> &str {
    session["access_token"].as_str().unwrap()
}

/// Every admin route, with a body it would accept.
fn admin_routes(user_id: &str) -> Vec<(Method, String, Option<Value>)> {
    let u = format!("/admin/users/{user_id}");
    vec![
        (Method::GET, "/admin/users".into(), None),
        (Method::POST, "/admin/users".into(), Some(json!({ "email": email() }))),
        (Method::GET, u.clone(), None),
        (Method::PUT, u.clone(), Some(json!({ "user_metadata": { "a": 1 } }))),
        (Method::DELETE, u.clone(), Some(json!({ "should_soft_delete": false }))),
        (Method::GET, format!("{u}/factors"), None),
        (Method::GET, "/admin/audit".into(), None),
        (
            Method::POST,
            "/admin/generate_link".into(),
            Some(json!({ "type": "magiclink", "email": email() })),
        ),
        (Method::GET, "/admin/roles".into(), None),
        (Method::POST, "/admin/roles".into(), Some(json!({ "name": "editor" }))),
        (Method::GET, "/admin/roles/admin".into(), None),
        (Method::DELETE, "/admin/roles/editor".into(), None),
        (Method::GET, format!("{u}/roles"), None),
        (Method::PUT, format!("{u}/roles"), Some(json!({ "roles": ["admin"] }))),
        (Method::POST, format!("{u}/roles"), Some(json!({ "role": "admin" }))),
        (Method::DELETE, format!("{u}/roles/admin"), None),
    ]
}

#[tokio::test]
async fn normal_users_are_refused_on_every_admin_route() {
    let app = spawn().await;
    let session = app.session_for(&email()).await;
    let token = token_of(&session);
    let me = session["user"]["id"].as_str().unwrap();
    for (method, path, body) in admin_routes(me) {
        let (status, answer) = app.admin(method.clone(), &path, token, body.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {answer}");
        assert_eq!(answer["error_code"], "not_admin", "{method} {path}: {answer}");
        let response = app.client.request(method.clone(), app.url(&path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{method} {path} without a token");
    }
    // Nothing was changed on the way.
    let (status, user) = app.get_with_token("/user", token).await;
    assert_eq!(status, StatusCode::OK);
    assert!(user.get("user_metadata").is_none_or(|m| m.get("a").is_none()), "{user}");

    // auth-js's error shape when it asks for the current API version.
    let response = app
        .client
        .get(app.url("/admin/users"))
        .bearer_auth(token)
        .header("X-Supabase-Api-Version", "2024-01-01")
        .send()
        .await
        .unwrap();
    assert_eq!(
        parts(response).await.1,
        json!({ "code": "not_admin", "message": "User not allowed" })
    );
}

#[tokio::test]
async fn service_tokens_without_the_admin_scope_are_refused_on_every_admin_route() {
    let app = spawn().await;
    let me = app.session_for(&email()).await["user"]["id"].as_str().unwrap().to_owned();
    // Cron's client acts for people (agents:turns cron:act-for-person); it does not manage them.
    let cron = app.client_token("cron", "cron-secret-0123456789").await;
    let unscoped = app.client_token("unscoped", "unscoped-secret-0123456789").await;
    for token in [&cron, &unscoped] {
        for (method, path, body) in admin_routes(&me) {
            let (status, answer) = app.admin(method.clone(), &path, token, body.clone()).await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{method} {path}: {answer}");
            assert_eq!(answer["error_code"], "not_admin", "{method} {path}: {answer}");
            assert!(answer["msg"].as_str().unwrap().contains("\"admin\""), "{answer}");
        }
    }
    let (status, user) = app.admin(Method::GET, &format!("/admin/users/{me}"), &cron, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{user}");
}

#[tokio::test]
async fn service_tokens_and_admin_role_holders_pass_and_a_revoked_role_stops_at_once() {
    let app = spawn().await;
    let service = app.service_token().await;
    let session = app.session_for(&email()).await;
    let user_id = session["user"]["id"].as_str().unwrap().to_owned();
    assert_eq!(claims(token_of(&session))["roles"], json!([]));

    let (status, body) = app
        .admin(
            Method::POST,
            &format!("/admin/users/{user_id}/roles"),
            &service,
            Some(json!({ "role": "admin" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["roles"], json!(["admin"]));
    // A grant counts from the next token, as it does at every other service.
    let (status, body) = app.admin(Method::GET, "/admin/users", token_of(&session), None).await;
    assert_eq!((status, body["error_code"].as_str()), (StatusCode::FORBIDDEN, Some("not_admin")));

    // The next access token carries the role, for the gateway too.
    let (status, refreshed) = app.refresh(session["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{refreshed}");
    let admin_token = token_of(&refreshed).to_owned();
    let admin_claims = claims(&admin_token);
    assert_eq!(admin_claims["roles"], json!(["admin"]));
    let allowed = &admin_claims["https://hasura.io/jwt/claims"]["x-hasura-allowed-roles"];
    assert!(allowed.as_array().unwrap().contains(&json!("admin")), "{allowed}");

    for (method, path, body) in admin_routes(&user_id) {
        // Only the reads: the writes are tested on their own below.
        if method == Method::GET {
            let (status, answer) =
                app.admin(method.clone(), &path, &admin_token, body.clone()).await;
            assert_eq!(status, StatusCode::OK, "{method} {path} as an admin: {answer}");
            let (status, answer) = app.admin(method.clone(), &path, &service, body).await;
            assert_eq!(status, StatusCode::OK, "{method} {path} as a service: {answer}");
        }
    }

    // The admin acts; the audit log names them.
    let created = app.create_user(&admin_token, json!({ "email": email() })).await;
    let actor: String =
        sqlx::query_scalar("SELECT actor_id FROM auth.audit_log WHERE target_id = $1")
            .bind(created["id"].as_str().unwrap())
            .fetch_one(&app.db.pool)
            .await
            .unwrap();
    assert_eq!(actor, user_id);

    // Revoked: the token still says admin, the database does not, and the database wins.
    let (status, body) = app
        .admin(Method::DELETE, &format!("/admin/users/{user_id}/roles/admin"), &service, None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["roles"], json!([]));
    assert_eq!(claims(&admin_token)["roles"], json!(["admin"]));
    let (status, body) = app.admin(Method::GET, "/admin/users", &admin_token, None).await;
    assert_eq!((status, body["error_code"].as_str()), (StatusCode::FORBIDDEN, Some("not_admin")));
}

#[tokio::test]
async fn a_banned_or_signed_out_admin_is_refused() {
    let app = spawn().await;
    let service = app.service_token().await;
    let session = app.session_for(&email()).await;
    let user_id = session["user"]["id"].as_str().unwrap().to_owned();
    app.admin(
        Method::PUT,
        &format!("/admin/users/{user_id}/roles"),
        &service,
        Some(json!({ "roles": ["admin"] })),
    )
    .await;
    let (_, refreshed) = app.refresh(session["refresh_token"].as_str().unwrap()).await;
    let token = token_of(&refreshed).to_owned();
    assert_eq!(app.admin(Method::GET, "/admin/roles", &token, None).await.0, StatusCode::OK);

    let response =
        app.client.post(app.url("/logout?scope=local")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (status, body) = app.admin(Method::GET, "/admin/roles", &token, None).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (StatusCode::FORBIDDEN, Some("session_not_found"))
    );

    let (_, again) = app.login(session["user"]["email"].as_str().unwrap(), PASSWORD).await;
    let token = token_of(&again).to_owned();
    assert_eq!(app.admin(Method::GET, "/admin/roles", &token, None).await.0, StatusCode::OK);
    let (status, _) = app
        .admin(
            Method::PUT,
            &format!("/admin/users/{user_id}"),
            &service,
            Some(json!({ "ban_duration": "1h" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.admin(Method::GET, "/admin/roles", &token, None).await.0, StatusCode::FORBIDDEN);
}

/// What auth-js's `listUsers` makes of the `link` header.
fn auth_js_pagination(link: &str) -> (Option<u64>, u64) {
    let (mut next, mut last) = (None, 0);
    for part in link.split(',') {
        let page: u64 =
            part.split(';').next().unwrap().split('=').nth(1).unwrap()[..1].parse().unwrap();
        let rel: String =
            serde_json::from_str(part.split(';').nth(1).unwrap().split('=').nth(1).unwrap())
                .unwrap();
        match rel.as_str() {
            "next" => next = Some(page),
            "last" => last = page,
            other => panic!("unexpected rel {other}"),
        }
    }
    (next, last)
}

#[tokio::test]
async fn listing_users_pages_them_newest_first_with_gotrue_headers() {
    // No owner: the five created here are all the users there are.
    let app = spawn_empty(&[]).await;
    let service = app.service_token().await;
    let mut created = Vec::new();
    for _ in 0..5 {
        created.push(app.create_user(&service, json!({ "email": email() })).await["id"].clone());
    }
    created.reverse();

    let response = app.call(Method::GET, "/admin/users?page=1&per_page=2", &service, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["x-total-count"], "5");
    let link = response.headers()["link"].to_str().unwrap().to_owned();
    assert_eq!(
        link,
        "</admin/users?page=2&per_page=2>; rel=\"next\", </admin/users?page=3&per_page=2>; rel=\"last\""
    );
    assert_eq!(auth_js_pagination(&link), (Some(2), 3));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["aud"], "authenticated");
    let ids: Vec<&Value> = body["users"].as_array().unwrap().iter().map(|u| &u["id"]).collect();
    assert_eq!(ids, [&created[0], &created[1]]);

    let response = app.call(Method::GET, "/admin/users?page=3&per_page=2", &service, None).await;
    let link = response.headers()["link"].to_str().unwrap().to_owned();
    assert_eq!(auth_js_pagination(&link), (None, 3));
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["users"].as_array().unwrap().len(), 1);
    assert_eq!(body["users"][0]["id"], created[4]);

    // What auth-js sends when the caller gives no paging: GoTrue's defaults (and, like GoTrue,
    // the links keep the request's other parameters as they came).
    let response = app.call(Method::GET, "/admin/users?page=&per_page=", &service, None).await;
    assert_eq!(response.headers()["link"], "</admin/users?page=1&per_page=>; rel=\"last\"");
    assert_eq!(response.json::<Value>().await.unwrap()["users"].as_array().unwrap().len(), 5);

    let (status, body) = app.admin(Method::GET, "/admin/users?page=x", &service, None).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("validation_failed"))
    );
}

#[tokio::test]
async fn creating_users_takes_auth_js_attributes() {
    let app = spawn().await;
    let service = app.service_token().await;
    let address = email();
    let user = app
        .create_user(
            &service,
            json!({
                "email": address.to_uppercase(),
                "password": "a long enough password",
                "email_confirm": true,
                "user_metadata": { "name": "Ada" },
                "app_metadata": { "plan": "pro" },
                "role": "authenticated",
            }),
        )
        .await;
    assert_eq!(user["email"], address);
    assert!(user["email_confirmed_at"].is_string(), "{user}");
    assert_eq!(user["user_metadata"], json!({ "name": "Ada" }));
    assert_eq!(
        user["app_metadata"],
        json!({ "provider": "email", "providers": ["email"], "plan": "pro" })
    );
    assert_eq!(app.login(&address, "a long enough password").await.0, StatusCode::OK);

    // Unconfirmed, and without a password: exists, cannot sign in.
    let unconfirmed = email();
    let user = app.create_user(&service, json!({ "email": unconfirmed })).await;
    assert!(user.get("email_confirmed_at").is_none(), "{user}");
    assert_eq!(app.login(&unconfirmed, "").await.1["error_code"], "invalid_credentials");

    // A chosen id, and a ban.
    let id = uuid::Uuid::new_v4().to_string();
    let banned = email();
    let user = app
        .create_user(&service, json!({ "id": id, "email": banned, "password": PASSWORD, "email_confirm": true, "ban_duration": "24h" }))
        .await;
    assert_eq!(user["id"], id);
    let until: chrono::DateTime<chrono::Utc> =
        user["banned_until"].as_str().unwrap().parse().unwrap();
    let hours = (until - chrono::Utc::now()).num_minutes() as f64 / 60.0;
    assert!((23.9..=24.0).contains(&hours), "{hours}");
    assert_eq!(app.login(&banned, PASSWORD).await.1["error_code"], "user_banned");

    let refusals = [
        (
            json!({ "email": address }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "email_exists",
            "already been registered",
        ),
        (
            json!({ "id": id, "email": email() }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "user_already_exists",
            "ID",
        ),
        (
            json!({ "email": email(), "ban_duration": "forever" }),
            StatusCode::BAD_REQUEST,
            "validation_failed",
            "ban_duration",
        ),
        (
            json!({ "email": email(), "role": "service_role" }),
            StatusCode::BAD_REQUEST,
            "validation_failed",
            "reserved",
        ),
        (
            json!({ "email": email(), "password": "short" }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "weak_password",
            "at least",
        ),
        (
            json!({ "email": email(), "user_metadata": [1] }),
            StatusCode::BAD_REQUEST,
            "validation_failed",
            "user_metadata",
        ),
        (
            json!({ "email": email(), "email_confirm": "yes" }),
            StatusCode::BAD_REQUEST,
            "validation_failed",
            "email_confirm",
        ),
        (
            json!({ "email": "not an address" }),
            StatusCode::BAD_REQUEST,
            "email_address_invalid",
            "email",
        ),
        (
            json!({ "password": PASSWORD }),
            StatusCode::BAD_REQUEST,
            "validation_failed",
            "without either an email",
        ),
        (
            json!({ "email": email(), "id": "nope" }),
            StatusCode::BAD_REQUEST,
            "validation_failed",
            "uuid",
        ),
    ];
    for (body, status, code, needle) in refusals {
        let (got, answer) =
            app.admin(Method::POST, "/admin/users", &service, Some(body.clone())).await;
        assert_eq!((got, answer["error_code"].as_str()), (status, Some(code)), "{body}: {answer}");
        assert!(answer["msg"].as_str().unwrap().contains(needle), "{body}: {answer}");
    }
    let response = app
        .client
        .post(app.url("/admin/users"))
        .bearer_auth(&service)
        .header("content-type", "application/json")
        .body("{\"email\":")
        .send()
        .await
        .unwrap();
    let (status, body) = parts(response).await;
    assert_eq!((status, body["error_code"].as_str()), (StatusCode::BAD_REQUEST, Some("bad_json")));
}

#[tokio::test]
async fn reading_and_updating_a_user() {
    let app = spawn().await;
    let service = app.service_token().await;
    let address = email();
    let session = app.session_for(&address).await;
    let id = session["user"]["id"].as_str().unwrap().to_owned();
    let path = format!("/admin/users/{id}");

    let (status, user) = app.admin(Method::GET, &path, &service, None).await;
    assert_eq!((status, user["email"].as_str()), (StatusCode::OK, Some(address.as_str())));
    for missing in ["/admin/users/not-a-uuid", &format!("/admin/users/{}", uuid::Uuid::new_v4())] {
        let (status, body) = app.admin(Method::GET, missing, &service, None).await;
        assert_eq!(
            (status, body["error_code"].as_str()),
            (StatusCode::NOT_FOUND, Some("user_not_found")),
            "{missing}"
        );
        let (status, _) = app.admin(Method::PUT, missing, &service, Some(json!({}))).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
        let (status, _) = app.admin(Method::DELETE, missing, &service, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{missing}");
    }

    let new_address = email();
    let (status, user) = app
        .admin(
            Method::PUT,
            &path,
            &service,
            Some(json!({
                "email": new_address,
                "user_metadata": { "name": "Ada", "nick": null },
                "app_metadata": { "plan": "pro" },
                "role": "editor_db",
            })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{user}");
    assert_eq!(user["email"], new_address);
    assert_eq!(user["user_metadata"]["name"], "Ada");
    assert_eq!(user["app_metadata"]["plan"], "pro");
    assert_eq!(user["role"], "editor_db");
    // An email change by an admin does not end sessions; the next token says the new role.
    let (status, _) = app.get_with_token("/user", token_of(&session)).await;
    assert_eq!(status, StatusCode::OK);
    let (_, refreshed) = app.refresh(session["refresh_token"].as_str().unwrap()).await;
    assert_eq!(claims(token_of(&refreshed))["role"], "editor_db");

    let taken = email();
    app.create_user(&service, json!({ "email": taken })).await;
    let (status, body) =
        app.admin(Method::PUT, &path, &service, Some(json!({ "email": taken }))).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("email_exists"))
    );
    let (status, body) =
        app.admin(Method::PUT, &path, &service, Some(json!({ "ban_duration": "1 day" }))).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("validation_failed"))
    );
    assert!(body["msg"].as_str().unwrap().contains("ban_duration"), "{body}");

    // A new password ends every session.
    let (status, _) = app
        .admin(Method::PUT, &path, &service, Some(json!({ "password": "a brand new password" })))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app.get_with_token("/user", token_of(&refreshed)).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (StatusCode::FORBIDDEN, Some("session_not_found"))
    );
    assert_eq!(
        app.refresh(refreshed["refresh_token"].as_str().unwrap()).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(app.login(&new_address, PASSWORD).await.0, StatusCode::BAD_REQUEST);
    let (status, fresh) = app.login(&new_address, "a brand new password").await;
    assert_eq!(status, StatusCode::OK);

    // A ban ends sessions too; `none` lifts it.
    let (_, user) =
        app.admin(Method::PUT, &path, &service, Some(json!({ "ban_duration": "2h45m" }))).await;
    assert!(user["banned_until"].is_string(), "{user}");
    assert_eq!(app.get_with_token("/user", token_of(&fresh)).await.0, StatusCode::FORBIDDEN);
    let (_, user) =
        app.admin(Method::PUT, &path, &service, Some(json!({ "ban_duration": "none" }))).await;
    assert!(user.get("banned_until").is_none(), "{user}");
    assert_eq!(app.login(&new_address, "a brand new password").await.0, StatusCode::OK);

    let (status, factors) =
        app.admin(Method::GET, &format!("{path}/factors"), &service, None).await;
    assert_eq!((status, factors), (StatusCode::OK, json!([])));
    let unknown = format!("/admin/users/{}/factors", uuid::Uuid::new_v4());
    let (status, body) = app.admin(Method::GET, &unknown, &service, None).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (StatusCode::NOT_FOUND, Some("user_not_found"))
    );
}

#[tokio::test]
async fn deleted_users_cannot_sign_in_and_their_tokens_stop_working() {
    let app = spawn().await;
    let service = app.service_token().await;

    // Hard, as auth-js's deleteUser(id) sends it.
    let address = email();
    let session = app.session_for(&address).await;
    let id = session["user"]["id"].as_str().unwrap().to_owned();
    let mailed = "SELECT count(*) FROM auth.outbox WHERE lower(recipient) = lower($1)";
    let mentioning =
        "SELECT count(*) FROM auth.audit_log a WHERE strpos(lower(a::text), lower($1)) > 0";
    // An email to them (a reset link), recorded in the outbox, and a wrong password, whose audit
    // entry names the address it was tried for.
    assert_eq!(app.post("/recover", &json!({ "email": address })).await.0, StatusCode::OK);
    assert_eq!(app.login(&address, "not the password").await.0, StatusCode::BAD_REQUEST);
    let about = "SELECT count(*) FROM auth.audit_log WHERE actor_id = $1 OR target_id = $1";
    assert!(app.count(about, &id).await > 0, "nothing of theirs in the audit log to erase");
    assert!(app.count(mentioning, &address).await > 0, "no audit entry names their address");
    assert!(app.count(mailed, &address).await > 0, "no email of theirs to erase");
    let (status, body) = app
        .admin(
            Method::DELETE,
            &format!("/admin/users/{id}"),
            &service,
            Some(json!({ "should_soft_delete": false })),
        )
        .await;
    assert_eq!((status, body), (StatusCode::OK, json!({})));
    // Their data goes everywhere: the other services are asked to erase theirs, and auth keeps
    // nothing of them (their sign-ins, the emails sent to them, the address a failed sign-in
    // named) but the deletion of their id.
    let parts: Vec<String> = sqlx::query_scalar(
        "SELECT service FROM auth.erasures WHERE user_id::text = $1 AND erased_at IS NULL ORDER BY 1",
    )
    .bind(&id)
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(parts, ["agents", "cron"]);
    assert_eq!(app.count(mentioning, &address).await, 0, "the audit log still has their address");
    assert_eq!(app.count(mailed, &address).await, 0, "the emails to them are still kept");
    assert_eq!(app.count(about, &id).await, 1, "only the deletion itself names their id");

    let (status, body) = app.get_with_token("/user", token_of(&session)).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (StatusCode::FORBIDDEN, Some("session_not_found"))
    );
    assert_eq!(app.login(&address, PASSWORD).await.1["error_code"], "invalid_credentials");
    assert_eq!(
        app.admin(Method::GET, &format!("/admin/users/{id}"), &service, None).await.0,
        StatusCode::NOT_FOUND
    );
    let published = app
        .count(
            "SELECT count(*) FROM auth.revoked_sessions WHERE session_id::text = $1",
            claims(token_of(&session))["session_id"].as_str().unwrap(),
        )
        .await;
    assert_eq!(published, 1, "other services learn of it");

    // Soft: kept, marked, unreachable; the address is free again.
    let address = email();
    let session = app.session_for(&address).await;
    let id = session["user"]["id"].as_str().unwrap().to_owned();
    let path = format!("/admin/users/{id}");
    app.admin(Method::PUT, &format!("{path}/roles"), &service, Some(json!({ "roles": ["admin"] })))
        .await;
    let (status, body) = app
        .admin(Method::DELETE, &path, &service, Some(json!({ "should_soft_delete": true })))
        .await;
    assert_eq!((status, body), (StatusCode::OK, json!({})));
    let (status, body) = app.get_with_token("/user", token_of(&session)).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (StatusCode::FORBIDDEN, Some("session_not_found"))
    );
    assert_eq!(
        app.refresh(session["refresh_token"].as_str().unwrap()).await.0,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(app.login(&address, PASSWORD).await.1["error_code"], "invalid_credentials");
    let (status, user) = app.admin(Method::GET, &path, &service, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(user["deleted_at"].is_string(), "{user}");
    assert_ne!(user["email"], address);
    assert_eq!(
        app.admin(Method::GET, &format!("{path}/roles"), &service, None).await.1["roles"],
        json!([])
    );
    // Deleting again is a no-op, and the address can be used by someone new.
    assert_eq!(
        app.admin(Method::DELETE, &path, &service, Some(json!({ "should_soft_delete": true })))
            .await
            .0,
        StatusCode::OK
    );
    let newcomer = app.session_for(&address).await;
    assert_ne!(newcomer["user"]["id"], id);

    // No body at all: a hard delete.
    let response = app.client.delete(app.url(&path)).bearer_auth(&service).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(app.admin(Method::GET, &path, &service, None).await.0, StatusCode::NOT_FOUND);

    let actions: Vec<(String, Value)> = sqlx::query_as(
        "SELECT action, payload FROM auth.audit_log WHERE action = 'user_deleted' ORDER BY id",
    )
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    let soft: Vec<bool> = actions.iter().map(|(_, p)| p["soft"].as_bool().unwrap()).collect();
    assert_eq!(soft, [false, true, true, false]);
}

/// The one-time token behind a generated link, found by the hash of `hashed_token` the way
/// `tokens::hash` stores it: (kind, relates_to, used).
async fn stored_token(app: &AuthApp, hashed_token: &str) -> Option<(String, String, bool)> {
    let hash = Sha256::digest(hashed_token.as_bytes()).to_vec();
    sqlx::query_as(
        "SELECT kind, relates_to, used_at IS NOT NULL FROM auth.one_time_tokens \
         WHERE token_hash = $1 AND expires_at > now()",
    )
    .bind(hash)
    .fetch_optional(&app.db.pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn generate_link_makes_usable_tokens_for_each_type_and_sends_nothing() {
    let welcome = "http://localhost:3000/welcome";
    let app = spawn_auth(&[("AUTH_REDIRECT_URLS", welcome.into())]).await;
    let service = app.service_token().await;
    let existing = email();
    app.session_for(&existing).await;
    let taken = email();
    app.session_for(&taken).await;
    let (new_user, invited, new_address) = (email(), email(), email());

    let cases = [
        (
            json!({ "type": "signup", "email": new_user, "password": PASSWORD, "data": { "name": "Ada" } }),
            "signup",
            new_user.clone(),
        ),
        (
            json!({ "type": "invite", "email": invited, "data": { "team": "blue" } }),
            "invite",
            invited.clone(),
        ),
        (json!({ "type": "magiclink", "email": existing }), "magiclink", existing.clone()),
        (json!({ "type": "recovery", "email": existing }), "recovery", existing.clone()),
        (
            json!({ "type": "email_change_current", "email": existing, "new_email": new_address }),
            "email_change",
            new_address.clone(),
        ),
        (
            json!({ "type": "email_change_new", "email": existing, "new_email": new_address }),
            "email_change",
            new_address.clone(),
        ),
    ];
    for (body, kind, relates_to) in cases {
        let link_type = body["type"].as_str().unwrap().to_owned();
        // As auth-js sends it: options spread into the body, redirectTo also in the query.
        let mut body = body;
        body["redirectTo"] = json!(welcome);
        let path = format!(
            "/admin/generate_link?redirect_to={}",
            url::form_urlencoded::byte_serialize(welcome.as_bytes()).collect::<String>()
        );
        let (status, answer) = app.admin(Method::POST, &path, &service, Some(body)).await;
        assert_eq!(status, StatusCode::OK, "{link_type}: {answer}");
        assert_eq!(answer["verification_type"], link_type);
        assert_eq!(answer["redirect_to"], welcome);
        let token = answer["hashed_token"].as_str().unwrap();
        let otp = answer["email_otp"].as_str().unwrap();
        assert!(otp.len() == 6 && otp.bytes().all(|b| b.is_ascii_digit()), "{otp}");
        let link = url::Url::parse(answer["action_link"].as_str().unwrap()).unwrap();
        assert_eq!(link.path(), "/verify");
        let query: std::collections::HashMap<_, _> = link.query_pairs().into_owned().collect();
        assert_eq!(query["token"], token);
        assert_eq!(query["type"], kind);
        assert_eq!(query["redirect_to"], welcome);
        // The user's fields come flattened alongside, as auth-js's _generateLinkResponse expects.
        assert!(answer["id"].is_string() && answer["aud"] == "authenticated", "{answer}");
        assert_eq!(
            stored_token(&app, token).await,
            Some((kind.to_owned(), relates_to.clone(), false)),
            "{link_type}"
        );
    }

    let (_, user) = app.admin(Method::GET, "/admin/users?per_page=100", &service, None).await;
    let find = |address: &str| {
        user["users"].as_array().unwrap().iter().find(|u| u["email"] == address).unwrap().clone()
    };
    let signed_up = find(&new_user);
    assert!(
        signed_up.get("email_confirmed_at").is_none()
            && signed_up["confirmation_sent_at"].is_string(),
        "{signed_up}"
    );
    assert_eq!(signed_up["user_metadata"]["name"], "Ada");
    let invitee = find(&invited);
    assert!(invitee["invited_at"].is_string(), "{invitee}");
    assert_eq!(invitee["user_metadata"]["team"], "blue");
    assert_eq!(find(&existing)["new_email"], new_address);
    assert!(find(&existing)["recovery_sent_at"].is_string());

    // Nothing was mailed.
    for address in [&new_user, &invited, &existing, &new_address] {
        assert_eq!(
            app.count("SELECT count(*) FROM auth.outbox WHERE recipient = $1", address).await,
            0,
            "{address}"
        );
    }

    let refusals = [
        (json!({ "type": "magiclink", "email": email() }), StatusCode::NOT_FOUND, "user_not_found"),
        (json!({ "type": "recovery", "email": email() }), StatusCode::NOT_FOUND, "user_not_found"),
        (
            json!({ "type": "email_change_new", "email": email(), "new_email": email() }),
            StatusCode::NOT_FOUND,
            "user_not_found",
        ),
        (
            json!({ "type": "email_change_new", "email": existing }),
            StatusCode::BAD_REQUEST,
            "validation_failed",
        ),
        (
            json!({ "type": "email_change_current", "email": existing, "new_email": taken }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "email_exists",
        ),
        (
            json!({ "type": "signup", "email": existing, "password": PASSWORD }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "email_exists",
        ),
        (
            json!({ "type": "invite", "email": existing }),
            StatusCode::UNPROCESSABLE_ENTITY,
            "email_exists",
        ),
        (
            json!({ "type": "signup", "email": email() }),
            StatusCode::BAD_REQUEST,
            "validation_failed",
        ),
        (json!({ "type": "sms", "email": existing }), StatusCode::BAD_REQUEST, "validation_failed"),
        (
            json!({ "type": "magiclink", "email": "nope" }),
            StatusCode::BAD_REQUEST,
            "email_address_invalid",
        ),
        (
            json!({ "type": "invite", "email": email(), "data": "x" }),
            StatusCode::BAD_REQUEST,
            "validation_failed",
        ),
    ];
    for (body, status, code) in refusals {
        let (got, answer) =
            app.admin(Method::POST, "/admin/generate_link", &service, Some(body.clone())).await;
        assert_eq!((got, answer["error_code"].as_str()), (status, Some(code)), "{body}: {answer}");
    }

    // A redirect that is not allowed falls back to the site URL.
    let (_, answer) = app
        .admin(Method::POST, "/admin/generate_link", &service, Some(json!({ "type": "magiclink", "email": existing, "redirect_to": "https://evil.test" })))
        .await;
    assert_eq!(answer["redirect_to"], "http://localhost:3000/");
    // A new link of a kind replaces the earlier one.
    let first = stored_token(&app, answer["hashed_token"].as_str().unwrap()).await;
    assert!(first.is_some());
    let (_, second) = app
        .admin(
            Method::POST,
            "/admin/generate_link",
            &service,
            Some(json!({ "type": "magiclink", "email": existing })),
        )
        .await;
    assert!(stored_token(&app, answer["hashed_token"].as_str().unwrap()).await.is_none());
    assert!(stored_token(&app, second["hashed_token"].as_str().unwrap()).await.is_some());
}

#[tokio::test]
async fn roles_are_created_listed_and_deleted_with_conflicts_named() {
    let app = spawn().await;
    let service = app.service_token().await;
    let (status, body) = app.admin(Method::GET, "/admin/roles", &service, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["roles"][0]["name"], "admin");
    assert_eq!(
        body["roles"][0]["permissions"],
        json!(["users:manage", "roles:manage", "audit:read"])
    );

    let editor = json!({ "name": "editor", "description": "Edits notes", "permissions": ["notes:write", "notes:read", "notes:read"] });
    let (status, role) =
        app.admin(Method::POST, "/admin/roles", &service, Some(editor.clone())).await;
    assert_eq!(status, StatusCode::CREATED, "{role}");
    assert_eq!(role["permissions"], json!(["notes:read", "notes:write"]));
    let (status, body) = app.admin(Method::POST, "/admin/roles", &service, Some(editor)).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (StatusCode::CONFLICT, Some("role_already_exists")),
        "{body}"
    );
    let (status, body) =
        app.admin(Method::POST, "/admin/roles", &service, Some(json!({ "name": "admin" }))).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");

    for bad in [
        json!({ "name": "Editor" }),
        json!({ "name": "" }),
        json!({}),
        json!({ "name": "a b" }),
        json!({ "name": "x".repeat(64) }),
        json!({ "name": "ok", "permissions": ["Users manage"] }),
        json!({ "name": "ok", "permissions": "users:manage" }),
    ] {
        let (status, body) =
            app.admin(Method::POST, "/admin/roles", &service, Some(bad.clone())).await;
        assert_eq!(
            (status, body["error_code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("validation_failed")),
            "{bad}: {body}"
        );
    }
    let (status, _) = app
        .admin(Method::POST, "/admin/roles", &service, Some(json!({ "name": "x".repeat(63) })))
        .await;
    assert_eq!(status, StatusCode::CREATED);

    let (status, body) = app.admin(Method::GET, "/admin/roles/editor", &service, None).await;
    assert_eq!((status, body["description"].as_str()), (StatusCode::OK, Some("Edits notes")));
    let (status, body) = app.admin(Method::DELETE, "/admin/roles/admin", &service, None).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("validation_failed"))
    );

    // Deleting a role takes it from everyone who held it.
    let session = app.session_for(&email()).await;
    let id = session["user"]["id"].as_str().unwrap();
    app.admin(
        Method::POST,
        &format!("/admin/users/{id}/roles"),
        &service,
        Some(json!({ "role": "editor" })),
    )
    .await;
    let (status, _) = app.admin(Method::DELETE, "/admin/roles/editor", &service, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.admin(Method::GET, &format!("/admin/users/{id}/roles"), &service, None).await.1["roles"],
        json!([])
    );
    let (status, body) = app.admin(Method::DELETE, "/admin/roles/editor", &service, None).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (StatusCode::NOT_FOUND, Some("role_not_found"))
    );
    let (status, _) = app.admin(Method::GET, "/admin/roles/editor", &service, None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn user_roles_are_replaced_granted_and_revoked_and_reach_the_next_token() {
    let app = spawn().await;
    let service = app.service_token().await;
    for name in ["editor", "viewer"] {
        app.admin(Method::POST, "/admin/roles", &service, Some(json!({ "name": name }))).await;
    }
    let session = app.session_for(&email()).await;
    let id = session["user"]["id"].as_str().unwrap();
    let path = format!("/admin/users/{id}/roles");

    let (status, body) = app
        .admin(Method::PUT, &path, &service, Some(json!({ "roles": ["viewer", "editor"] })))
        .await;
    assert_eq!((status, &body["roles"]), (StatusCode::OK, &json!(["editor", "viewer"])), "{body}");
    let (status, body) = app
        .admin(Method::PUT, &path, &service, Some(json!({ "roles": ["editor", "nope", "ghost"] })))
        .await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("role_not_found"))
    );
    let message = body["msg"].as_str().unwrap();
    assert!(message.contains("\"nope\"") && message.contains("\"ghost\""), "{message}");
    let (status, body) =
        app.admin(Method::POST, &path, &service, Some(json!({ "role": "ghost" }))).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("role_not_found"))
    );
    assert!(body["msg"].as_str().unwrap().contains("ghost"));
    assert_eq!(
        app.admin(Method::GET, &path, &service, None).await.1["roles"],
        json!(["editor", "viewer"]),
        "unchanged"
    );

    let (status, body) =
        app.admin(Method::PUT, &path, &service, Some(json!({ "roles": ["editor"] }))).await;
    assert_eq!((status, &body["roles"]), (StatusCode::OK, &json!(["editor"])));
    let (status, body) =
        app.admin(Method::POST, &path, &service, Some(json!({ "role": "viewer" }))).await;
    assert_eq!((status, &body["roles"]), (StatusCode::OK, &json!(["editor", "viewer"])));
    let (status, body) =
        app.admin(Method::POST, &path, &service, Some(json!({ "role": "viewer" }))).await;
    assert_eq!(
        (status, &body["roles"]),
        (StatusCode::OK, &json!(["editor", "viewer"])),
        "granting twice is fine"
    );

    let (_, refreshed) = app.refresh(session["refresh_token"].as_str().unwrap()).await;
    let token_claims = claims(token_of(&refreshed));
    assert_eq!(token_claims["roles"], json!(["editor", "viewer"]));
    assert_eq!(
        token_claims["https://hasura.io/jwt/claims"]["x-hasura-allowed-roles"],
        json!(["user", "editor", "viewer"])
    );

    let (status, body) = app.admin(Method::DELETE, &format!("{path}/editor"), &service, None).await;
    assert_eq!((status, &body["roles"]), (StatusCode::OK, &json!(["viewer"])));
    let (status, body) = app.admin(Method::DELETE, &format!("{path}/editor"), &service, None).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (StatusCode::NOT_FOUND, Some("role_not_found"))
    );

    for bad in ["/admin/users/nope/roles", &format!("/admin/users/{}/roles", uuid::Uuid::new_v4())]
    {
        let (status, body) = app.admin(Method::GET, bad, &service, None).await;
        assert_eq!(
            (status, body["error_code"].as_str()),
            (StatusCode::NOT_FOUND, Some("user_not_found"))
        );
        let (status, _) =
            app.admin(Method::POST, bad, &service, Some(json!({ "role": "viewer" }))).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
}

#[tokio::test]
async fn admin_actions_are_audited_and_readable_newest_first() {
    let app = spawn().await;
    let service = app.service_token().await;
    app.admin(
        Method::POST,
        "/admin/roles",
        &service,
        Some(json!({ "name": "editor", "permissions": ["notes:write"] })),
    )
    .await;
    let user = app.create_user(&service, json!({ "email": email() })).await;
    let id = user["id"].as_str().unwrap();
    app.admin(
        Method::POST,
        &format!("/admin/users/{id}/roles"),
        &service,
        Some(json!({ "role": "editor" })),
    )
    .await;
    app.admin(Method::DELETE, &format!("/admin/users/{id}/roles/editor"), &service, None).await;
    app.admin(
        Method::PUT,
        &format!("/admin/users/{id}"),
        &service,
        Some(json!({ "user_metadata": { "a": 1 } })),
    )
    .await;
    app.admin(
        Method::POST,
        "/admin/generate_link",
        &service,
        Some(json!({ "type": "invite", "email": email() })),
    )
    .await;
    app.admin(Method::DELETE, "/admin/roles/editor", &service, None).await;
    app.admin(Method::DELETE, &format!("/admin/users/{id}"), &service, None).await;

    let response = app.call(Method::GET, "/admin/audit?page=1&per_page=50", &service, None).await;
    assert_eq!(response.status(), StatusCode::OK);
    let total: usize = response.headers()["x-total-count"].to_str().unwrap().parse().unwrap();
    let entries: Vec<Value> = response.json().await.unwrap();
    assert_eq!(entries.len(), total);
    let actions: Vec<&str> =
        entries.iter().map(|e| e["payload"]["action"].as_str().unwrap()).collect();
    assert_eq!(
        actions,
        [
            "user_deleted",
            "role_deleted",
            "user_invited",
            "user_modified",
            "role_revoked",
            "role_granted",
            "user_signedup",
            "role_created"
        ]
    );
    for entry in &entries {
        assert_eq!(entry["payload"]["actor_id"], "service:ops", "{entry}");
        assert!(
            entry["id"].is_number()
                && entry["created_at"].is_string()
                && entry["ip_address"] == "127.0.0.1",
            "{entry}"
        );
    }
    assert_eq!(entries[5]["payload"]["traits"]["role"], "editor");
    assert_eq!(entries[5]["payload"]["target_id"], id);

    let response = app
        .call(Method::GET, "/admin/audit?per_page=1&query=action:role_granted", &service, None)
        .await;
    assert_eq!(response.headers()["x-total-count"], "1");
    let entries: Vec<Value> = response.json().await.unwrap();
    assert_eq!(entries[0]["payload"]["action"], "role_granted");
    let response = app.call(Method::GET, "/admin/audit?per_page=2", &service, None).await;
    assert_eq!(
        response.headers()["link"],
        "</admin/audit?page=2&per_page=2>; rel=\"next\", </admin/audit?page=4&per_page=2>; rel=\"last\""
    );
    let (status, body) =
        app.admin(Method::GET, "/admin/audit?query=colour:blue", &service, None).await;
    assert_eq!(
        (status, body["error_code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("validation_failed"))
    );
}

#[tokio::test]
async fn imported_argon2_hashes_sign_in_and_others_are_refused() {
    use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
    let app = spawn().await;
    let service = app.service_token().await;
    let salt = SaltString::generate(&mut OsRng);
    let hash = argon2::Argon2::default().hash_password(b"brought from elsewhere", &salt).unwrap();
    let address = email();
    app.create_user(
        &service,
        json!({ "email": address, "password_hash": hash.to_string(), "email_confirm": true }),
    )
    .await;
    assert_eq!(app.login(&address, "brought from elsewhere").await.0, StatusCode::OK);

    let bcrypt = "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy";
    for body in [
        json!({ "email": email(), "password_hash": bcrypt }),
        json!({ "email": email(), "password_hash": hash.to_string(), "password": PASSWORD }),
    ] {
        let (status, answer) = app.admin(Method::POST, "/admin/users", &service, Some(body)).await;
        assert_eq!(
            (status, answer["error_code"].as_str()),
            (StatusCode::BAD_REQUEST, Some("validation_failed"))
        );
    }
}
