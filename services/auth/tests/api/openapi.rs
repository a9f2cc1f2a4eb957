//! `GET /openapi.json`: the document generated from the routes is served, every operation it
//! names is served (and every other method on its paths is a 405), it is valid OpenAPI 3.1
//! (checked by the Node validator in posey-testkit's `openapi/`, against the official schema), and real
//! answers of every operation, errors included, match the schemas it gives for them.
//! (That it names every route the router has is checked in `routes::openapi`'s unit test.)

use posey_testkit::openapi::{Samples, check_with_node};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{email, spawn_empty, token_claims};
use crate::mfa::totp;
use crate::passkeys::authenticator;

#[tokio::test(flavor = "multi_thread")]
async fn the_generated_document_is_served_valid_and_true_to_the_answers() {
    let app = spawn_empty(&[("AUTH_MAILER_AUTOCONFIRM", "false".into())]).await;
    let response = app.client.get(app.url("/openapi.json")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/json");
    let document: Value = response.json().await.unwrap();
    let generated: Value = serde_json::from_str(&posey_auth::openapi_json()).unwrap();
    assert_eq!(document, generated, "what is served is what the code generates");
    assert_eq!(document["openapi"], "3.1.0");

    let mut s = Samples::default();
    let get = Method::GET;
    let post = Method::POST;
    let put = Method::PUT;
    let delete = Method::DELETE;

    // Public routes and the first account.
    s.call(&app, get.clone(), "/health", "/health", None, None).await;
    s.call(&app, get.clone(), "/settings", "/settings", None, None).await;
    s.call(&app, get.clone(), "/.well-known/jwks.json", "/.well-known/jwks.json", None, None).await;
    let discovery = "/.well-known/openid-configuration";
    s.call(&app, get.clone(), discovery, discovery, None, None).await;
    s.call(&app, get.clone(), "/healthz", "/healthz", None, None).await;
    s.call(&app, get.clone(), "/readyz", "/readyz", None, None).await;
    // Social login's refusals (tests/api/social.rs signs in through an upstream provider).
    let (status, _) =
        s.call(&app, get.clone(), "/authorize", "/authorize?provider=google", None, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) =
        s.call(&app, get.clone(), "/callback", "/callback?state=unknown&code=x", None, None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let form = app.client.post(app.url("/callback")).form(&[("state", "unknown"), ("code", "x")]);
    let (status, _) = s.send("/callback", form).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let owner_email = email();
    let signup = json!({ "email": owner_email, "password": "correct horse battery" });
    let (status, owner) =
        s.call(&app, post.clone(), "/signup", "/signup", None, Some(signup)).await;
    assert_eq!(status, StatusCode::OK, "{owner}");
    let owner_token = owner["access_token"].as_str().unwrap().to_owned();
    let owner = Some(owner_token.as_str());

    // Errors, in both of GoTrue's shapes.
    let refused = json!({ "email": email(), "password": "correct horse battery" });
    let (status, _) =
        s.call(&app, post.clone(), "/signup", "/signup", None, Some(refused.clone())).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let response = app
        .client
        .post(app.url("/signup"))
        .header("x-supabase-api-version", "2024-01-01")
        .json(&refused)
        .send()
        .await
        .unwrap();
    let (_, body) = s.record(&post, "/signup", response).await;
    assert_eq!(body["code"], "signup_disabled", "{body}");
    s.call(&app, get.clone(), "/user", "/user", None, None).await;
    let missing = format!("/admin/users/{}", uuid::Uuid::new_v4());
    s.call(&app, get.clone(), "/admin/users/{id}", &missing, owner, None).await;
    s.call(
        &app,
        post.clone(),
        "/verify",
        "/verify",
        None,
        Some(json!({ "type": "invite", "token_hash": "nope" })),
    )
    .await;

    // Invites.
    let invitee = email();
    let (_, invited) = s
        .call(&app, post.clone(), "/invite", "/invite", owner, Some(json!({ "email": invitee })))
        .await;
    let link: url::Url = invited["invite"]["link"].as_str().unwrap().parse().unwrap();
    let token = link.query_pairs().find(|(k, _)| k == "token_hash").unwrap().1.into_owned();
    s.call(&app, post.clone(), "/invite", "/invite", owner, Some(json!({ "email": email() })))
        .await;
    let (_, listed) =
        s.call(&app, get.clone(), "/admin/invites", "/admin/invites", owner, None).await;
    let withdrawn = listed["invites"][0]["id"].as_str().unwrap().to_owned();
    let accept =
        json!({ "email": invitee, "password": "another good password", "invite_token": token });
    let (status, member) =
        s.call(&app, post.clone(), "/signup", "/signup", None, Some(accept)).await;
    assert_eq!(status, StatusCode::OK, "{member}");
    let path = format!("/admin/invites/{withdrawn}");
    s.call(&app, delete.clone(), "/admin/invites/{id}", &path, owner, None).await;
    s.call(&app, get.clone(), "/admin/status", "/admin/status", owner, None).await;

    // The grants.
    let password = json!({ "email": invitee, "password": "another good password" });
    let (_, session) = s
        .call(&app, post.clone(), "/token", "/token?grant_type=password", None, Some(password))
        .await;
    let refresh = json!({ "refresh_token": session["refresh_token"] });
    let (_, session) = s
        .call(&app, post.clone(), "/token", "/token?grant_type=refresh_token", None, Some(refresh))
        .await;
    let member_token = session["access_token"].as_str().unwrap().to_owned();
    let member = Some(member_token.as_str());
    s.call(
        &app,
        post.clone(),
        "/token",
        "/token?grant_type=password",
        None,
        Some(json!({ "email": invitee, "password": "wrong password" })),
    )
    .await;

    // The person's own account and devices.
    s.call(&app, get.clone(), "/user", "/user", member, None).await;
    let (status, _) = s.call(&app, get.clone(), "/user/export", "/user/export", member, None).await;
    assert_eq!(status, StatusCode::OK);
    s.call(&app, get.clone(), "/user/export", "/user/export", None, None).await;
    s.call(
        &app,
        put.clone(),
        "/user",
        "/user",
        member,
        Some(json!({ "data": { "name": "Grace" } })),
    )
    .await;
    let (_, sessions) = s.call(&app, get.clone(), "/sessions", "/sessions", member, None).await;
    let first =
        sessions["sessions"].as_array().unwrap().iter().find(|s| s["current"] == false).unwrap();
    let path = format!("/sessions/{}", first["id"].as_str().unwrap());
    s.call(&app, delete.clone(), "/sessions/{id}", &path, member, None).await;
    s.call(&app, delete.clone(), "/sessions/{id}", &path, member, None).await;
    s.call(&app, get.clone(), "/admin/users", "/admin/users", member, None).await;

    // App passwords: made, used by the app_password grant, listed, revoked.
    let (status, made) = s
        .call(
            &app,
            post.clone(),
            "/app-passwords",
            "/app-passwords",
            member,
            Some(json!({ "name": "Phone calendar" })),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    s.call(&app, post.clone(), "/app-passwords", "/app-passwords", member, Some(json!({}))).await;
    let grant = json!({ "email": invitee, "password": made["password"] });
    let (status, granted) = s
        .call(&app, post.clone(), "/token", "/token?grant_type=app_password", None, Some(grant))
        .await;
    assert_eq!(status, StatusCode::OK, "{granted}");
    s.call(&app, get.clone(), "/app-passwords", "/app-passwords", member, None).await;
    let path = format!("/app-passwords/{}", made["id"].as_str().unwrap());
    s.call(&app, delete.clone(), "/app-passwords/{id}", &path, member, None).await;
    s.call(&app, delete.clone(), "/app-passwords/{id}", &path, member, None).await;

    // The email flows (no SMTP: the answers are the same).
    s.call(&app, post.clone(), "/recover", "/recover", None, Some(json!({ "email": invitee })))
        .await;
    s.call(&app, post.clone(), "/otp", "/otp", None, Some(json!({ "email": invitee }))).await;
    s.call(
        &app,
        post.clone(),
        "/resend",
        "/resend",
        None,
        Some(json!({ "type": "signup", "email": invitee })),
    )
    .await;
    // A link's answer is a redirect, not followed here.
    let client =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let response = client.get(app.url("/verify?type=signup&token=nope")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    s.record(&get, "/verify", response).await;

    // MFA: enrol, challenge, verify (aal2), recovery codes, unenrol; refusals; the admin's view.
    let member_id = token_claims(&member_token)["sub"].as_str().unwrap().to_owned();
    let enrol = json!({ "factor_type": "totp", "friendly_name": "phone" });
    let (_, factor) =
        s.call(&app, post.clone(), "/factors", "/factors", member, Some(enrol.clone())).await;
    let factor_id = factor["id"].as_str().unwrap().to_owned();
    let secret = factor["totp"]["secret"].as_str().unwrap().to_owned();
    let challenge_path = format!("/factors/{factor_id}/challenge");
    let verify_path = format!("/factors/{factor_id}/verify");
    let (_, challenge) = s
        .call(&app, post.clone(), "/factors/{factor_id}/challenge", &challenge_path, member, None)
        .await;
    let wrong = json!({ "challenge_id": challenge["id"], "code": "000000" });
    let (status, _) = s
        .call(&app, post.clone(), "/factors/{factor_id}/verify", &verify_path, member, Some(wrong))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap();
    let right =
        json!({ "challenge_id": challenge["id"], "code": totp(&secret, now.as_secs() as i64) });
    let (status, elevated) = s
        .call(&app, post.clone(), "/factors/{factor_id}/verify", &verify_path, member, Some(right))
        .await;
    assert_eq!(status, StatusCode::OK, "{elevated}");
    let aal2 = Some(elevated["access_token"].as_str().unwrap());
    s.call(&app, post.clone(), "/factors", "/factors", member, Some(enrol.clone())).await;
    s.call(&app, get.clone(), "/sessions", "/sessions", member, None).await;
    s.call(&app, post.clone(), "/mfa/recovery-codes", "/mfa/recovery-codes", member, None).await;
    let (status, _) =
        s.call(&app, post.clone(), "/mfa/recovery-codes", "/mfa/recovery-codes", aal2, None).await;
    assert_eq!(status, StatusCode::OK);
    s.call(&app, get.clone(), "/user", "/user", aal2, None).await;
    let (status, _) = s.call(&app, get.clone(), "/user/export", "/user/export", member, None).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    s.call(&app, get.clone(), "/user/export", "/user/export", aal2, None).await;
    let (_, second) = s
        .call(
            &app,
            post.clone(),
            "/factors",
            "/factors",
            aal2,
            Some(json!({ "factor_type": "totp", "friendly_name": "tablet" })),
        )
        .await;
    let factors = format!("/admin/users/{member_id}/factors");
    s.call(&app, get.clone(), "/admin/users/{id}/factors", &factors, owner, None).await;
    let second = format!("{factors}/{}", second["id"].as_str().unwrap());
    let (status, _) = s
        .call(&app, delete.clone(), "/admin/users/{id}/factors/{factor_id}", &second, owner, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let factor_path = format!("/factors/{factor_id}");
    s.call(&app, delete.clone(), "/factors/{factor_id}", &factor_path, member, None).await;
    let (status, _) =
        s.call(&app, delete.clone(), "/factors/{factor_id}", &factor_path, aal2, None).await;
    assert_eq!(status, StatusCode::OK);
    s.call(&app, delete.clone(), "/factors/{factor_id}", &factor_path, aal2, None).await;

    // Passkeys: registered, listed, renamed, a passwordless sign-in (then its replay), deleted.
    let (_, started) = s
        .call(
            &app,
            post.clone(),
            "/passkeys/registration/options",
            "/passkeys/registration/options",
            member,
            Some(json!({})),
        )
        .await;
    let (credential, device) =
        authenticator("create", &started["options"], "http://localhost:3000", None).await;
    let register = "/passkeys/registration/verify";
    let unknown = json!({ "challenge_id": uuid::Uuid::new_v4(), "credential": credential });
    s.call(&app, post.clone(), register, register, member, Some(unknown)).await;
    let answer = json!({ "challenge_id": started["challenge_id"], "credential": credential });
    let (status, passkey) =
        s.call(&app, post.clone(), register, register, member, Some(answer)).await;
    assert_eq!(status, StatusCode::OK, "{passkey}");
    s.call(&app, get.clone(), "/passkeys", "/passkeys", member, None).await;
    let passkey_path = format!("/passkeys/{}", passkey["id"].as_str().unwrap());
    let rename = json!({ "friendly_name": "Laptop" });
    s.call(&app, Method::PATCH, "/passkeys/{passkey_id}", &passkey_path, member, Some(rename))
        .await;
    let start = "/passkeys/authentication/options";
    let (_, started) = s.call(&app, post.clone(), start, start, None, Some(json!({}))).await;
    let (credential, _) =
        authenticator("get", &started["options"], "http://localhost:3000", Some(&device)).await;
    let finish = "/passkeys/authentication/verify";
    let answer = json!({ "challenge_id": started["challenge_id"], "credential": credential });
    let (status, signed_in) =
        s.call(&app, post.clone(), finish, finish, None, Some(answer.clone())).await;
    assert_eq!(status, StatusCode::OK, "{signed_in}");
    let (status, _) = s.call(&app, post.clone(), finish, finish, None, Some(answer)).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) =
        s.call(&app, delete.clone(), "/passkeys/{passkey_id}", &passkey_path, member, None).await;
    assert_eq!(status, StatusCode::OK);
    s.call(&app, delete.clone(), "/passkeys/{passkey_id}", &passkey_path, member, None).await;

    // Administration.
    s.call(&app, get.clone(), "/admin/users", "/admin/users?per_page=2", owner, None).await;
    let (_, created) = s.call(&app, post.clone(), "/admin/users", "/admin/users", owner, Some(json!({ "email": email(), "password": "correct horse battery", "email_confirm": true }))).await;
    let id = created["id"].as_str().unwrap().to_owned();
    let user = format!("/admin/users/{id}");
    s.call(&app, get.clone(), "/admin/users/{id}", &user, owner, None).await;
    s.call(
        &app,
        put.clone(),
        "/admin/users/{id}",
        &user,
        owner,
        Some(json!({ "user_metadata": { "a": 1 } })),
    )
    .await;
    s.call(&app, get.clone(), "/admin/users/{id}/factors", &format!("{user}/factors"), owner, None)
        .await;
    s.call(
        &app,
        delete.clone(),
        "/admin/users/{id}/factors/{factor_id}",
        &format!("{user}/factors/x"),
        owner,
        None,
    )
    .await;
    s.call(
        &app,
        post.clone(),
        "/admin/generate_link",
        "/admin/generate_link",
        owner,
        Some(json!({ "type": "magiclink", "email": created["email"] })),
    )
    .await;
    s.call(&app, get.clone(), "/admin/audit", "/admin/audit?per_page=5", owner, None).await;
    s.call(
        &app,
        post.clone(),
        "/admin/roles",
        "/admin/roles",
        owner,
        Some(json!({ "name": "editor", "permissions": ["notes:write"] })),
    )
    .await;
    s.call(
        &app,
        post.clone(),
        "/admin/roles",
        "/admin/roles",
        owner,
        Some(json!({ "name": "editor" })),
    )
    .await;
    s.call(&app, get.clone(), "/admin/roles", "/admin/roles", owner, None).await;
    s.call(&app, get.clone(), "/admin/roles/{name}", "/admin/roles/editor", owner, None).await;
    let roles = format!("{user}/roles");
    s.call(&app, get.clone(), "/admin/users/{id}/roles", &roles, owner, None).await;
    s.call(
        &app,
        post.clone(),
        "/admin/users/{id}/roles",
        &roles,
        owner,
        Some(json!({ "role": "editor" })),
    )
    .await;
    s.call(
        &app,
        put.clone(),
        "/admin/users/{id}/roles",
        &roles,
        owner,
        Some(json!({ "roles": ["editor", "nope"] })),
    )
    .await;
    s.call(
        &app,
        put.clone(),
        "/admin/users/{id}/roles",
        &roles,
        owner,
        Some(json!({ "roles": ["editor"] })),
    )
    .await;
    s.call(
        &app,
        delete.clone(),
        "/admin/users/{id}/roles/{role}",
        &format!("{roles}/editor"),
        owner,
        None,
    )
    .await;
    s.call(&app, delete.clone(), "/admin/roles/{name}", "/admin/roles/editor", owner, None).await;
    s.call(&app, delete.clone(), "/admin/users/{id}", &user, owner, None).await;
    crate::oidc::sample_operations(&app, &mut s, &owner_token, (&invitee, "another good password"))
        .await;
    s.call(&app, post.clone(), "/logout", "/logout", member, None).await;
    s.call(&app, post.clone(), "/logout", "/logout", member, None).await;

    // Every operation of the document was seen answering at least once.
    s.assert_every_operation_seen(&document, &["get /openapi.json"]);
    let report = check_with_node(&document, &s);
    assert!(report.contains("valid OpenAPI 3.1"), "{report}");
}

#[tokio::test]
async fn every_documented_operation_is_served_and_no_other_method_is() {
    let app = spawn_empty(&[]).await;
    let document: Value =
        app.client.get(app.url("/openapi.json")).send().await.unwrap().json().await.unwrap();
    let methods = ["get", "put", "post", "patch", "delete"];
    let mut operations = 0;
    for (path, item) in document["paths"].as_object().unwrap() {
        let concrete = path
            .replace("{id}", &uuid::Uuid::new_v4().to_string())
            .replace("{name}", "editor")
            .replace("{role}", "editor")
            .replace("{factor_id}", "x")
            .replace("{passkey_id}", "x");
        for method in methods {
            let response = app
                .client
                .request(method.to_uppercase().parse().unwrap(), app.url(&concrete))
                .json(&json!({}))
                .send()
                .await
                .unwrap();
            let status = response.status();
            let body = response.text().await.unwrap_or_default();
            if item.get(method).is_some() {
                operations += 1;
                assert_ne!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {path} is documented but not served"
                );
                assert!(
                    !body.contains("no such route"),
                    "{method} {path} is documented but not served"
                );
            } else {
                assert_eq!(
                    status,
                    StatusCode::METHOD_NOT_ALLOWED,
                    "{method} {path} is served but not documented"
                );
            }
        }
    }
    assert!(operations >= 40, "{operations}");
}
