//! Posey as an OpenID provider: the refusals a certified provider makes (wrong redirect URI
//! shown, not redirected; reused, expired or foreign codes; missing or wrong PKCE verifiers;
//! wrong client secrets; refresh-token reuse; consent denied; logout to a foreign URI), the
//! admin API for clients, and relying-party libraries no one here wrote driving the whole code
//! flow: Node's `openid-client` (tests/oidc-rp/) and Python's `authlib`.

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use posey_domain::clock::{ManualClock, SharedClock};
use posey_testkit::openapi::Samples;
use reqwest::header::{CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{AuthApp, email, spawn_auth_with_clock, token_claims};

pub const PASSWORD: &str = "correct horse battery";
pub const REDIRECT: &str = "https://grafana.home.test/login/generic_oauth";
pub const LOGGED_OUT: &str = "https://grafana.home.test/logged-out";

/// The service with its issuer at its real address (relying parties fetch the endpoints
/// discovery names), on a port picked beforehand.
pub async fn spawn_provider(clock: Option<SharedClock>) -> AuthApp {
    let port = posey_testkit::free_port();
    let vars =
        [("AUTH_PORT", port.to_string()), ("AUTH_ISSUER", format!("http://127.0.0.1:{port}"))];
    spawn_auth_with_clock(&vars, clock).await
}

/// A registered client: (client_id, client_secret).
pub async fn register(app: &AuthApp, admin: &str, body: Value) -> (String, Option<String>) {
    let (status, client) = app.post_with_token("/admin/oauth/clients", admin, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{client}");
    let id = client["client_id"].as_str().unwrap().to_owned();
    (id, client["client_secret"].as_str().map(str::to_owned))
}

pub async fn confidential(app: &AuthApp, admin: &str) -> (String, String) {
    let body = json!({
        "client_name": "Grafana <home>",
        "redirect_uris": [REDIRECT],
        "post_logout_redirect_uris": [LOGGED_OUT],
        "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
    });
    let (id, secret) = register(app, admin, body).await;
    (id, secret.unwrap())
}

pub fn challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// A value attribute of the page's input `name`, unescaped.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker).unwrap_or_else(|| panic!("no {name} in {html}")) + marker.len();
    let end = start + html[start..].find('"').unwrap();
    html[start..end]
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// A browser: no redirects followed, the provider's cookie kept.
pub struct Browser<'a> {
    pub app: &'a AuthApp,
    pub http: reqwest::Client,
    pub cookie: Option<String>,
    pub password: String,
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a AuthApp) -> Self {
        let http =
            reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { app, http, cookie: None, password: PASSWORD.to_owned() }
    }

    fn keep_cookie(&mut self, response: &reqwest::Response) {
        for value in response.headers().get_all(SET_COOKIE) {
            let value = value.to_str().unwrap();
            assert!(value.contains("HttpOnly") && value.contains("SameSite=Lax"), "{value}");
            let pair = value.split(';').next().unwrap().to_owned();
            self.cookie = (!pair.ends_with('=')).then_some(pair);
        }
    }

    pub async fn send(&mut self, request: reqwest::RequestBuilder) -> (StatusCode, String, String) {
        let request = match &self.cookie {
            Some(cookie) => request.header(COOKIE, cookie),
            None => request,
        };
        let response = request.send().await.unwrap();
        self.keep_cookie(&response);
        let status = response.status();
        let location = response
            .headers()
            .get(LOCATION)
            .map(|l| l.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (status, location, response.text().await.unwrap())
    }

    pub async fn get(&mut self, path_and_query: &str) -> (StatusCode, String, String) {
        let request = self.http.get(self.app.url(path_and_query));
        self.send(request).await
    }

    pub async fn post_form(
        &mut self,
        path: &str,
        form: &[(&str, &str)],
    ) -> (StatusCode, String, String) {
        let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
        let request = self
            .http
            .post(self.app.url(path))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body);
        self.send(request).await
    }

    /// Signs in on the page `html` showed.
    pub async fn sign_in(&mut self, html: &str, email: &str) -> (StatusCode, String, String) {
        let request = hidden(html, "request");
        let password = self.password.clone();
        self.post_form(
            "/oauth/login",
            &[("request", &request), ("email", email), ("password", &password)],
        )
        .await
    }

    /// Answers the consent page `html`.
    pub async fn decide(&mut self, html: &str, decision: &str) -> (StatusCode, String, String) {
        let request = hidden(html, "request");
        let csrf = hidden(html, "csrf");
        self.post_form(
            "/oauth/consent",
            &[("request", &request), ("csrf", &csrf), ("decision", decision)],
        )
        .await
    }

    /// The whole front channel for `query`: sign-in (if needed), consent (if asked), the
    /// redirect's parameters.
    pub async fn code_for(&mut self, query: &str, email: &str) -> url::Url {
        let (mut status, mut location, mut html) =
            self.get(&format!("/oauth/authorize?{query}")).await;
        if status == StatusCode::OK && html.contains("name=\"password\"") {
            (status, location, html) = self.sign_in(&html, email).await;
        }
        if status == StatusCode::OK && html.contains("name=\"csrf\"") {
            (status, location, html) = self.decide(&html, "allow").await;
        }
        assert!(status.is_redirection(), "{status}: {html}");
        location.parse().unwrap()
    }
}

pub fn param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

pub fn authorize_query(client_id: &str, verifier: &str, extra: &str) -> String {
    format!(
        "response_type=code&client_id={client_id}&redirect_uri={}&scope=openid%20email%20profile%20offline_access\
         &state=st-1&nonce=n-1&code_challenge={}&code_challenge_method=S256{extra}",
        urlencode(REDIRECT),
        challenge(verifier)
    )
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// POST /oauth/token as `client_id` with `secret` (Basic).
pub async fn token(
    app: &AuthApp,
    client: (&str, &str),
    form: &[(&str, &str)],
) -> (StatusCode, Value) {
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
    let response = app
        .client
        .post(app.url("/oauth/token"))
        .basic_auth(client.0, Some(client.1))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    crate::helpers::parts(response).await
}

pub async fn exchange(
    app: &AuthApp,
    client: (&str, &str),
    code: &str,
    verifier: &str,
) -> (StatusCode, Value) {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier),
    ];
    token(app, client, &form).await
}

const VERIFIER: &str = "a-verifier-of-enough-length-0123456789-abcdefghijk";

/// A provider, its admin's service token, a confidential client, and a person.
async fn setup(clock: Option<SharedClock>) -> (AuthApp, String, (String, String), String) {
    let app = spawn_provider(clock).await;
    let admin = app.service_token().await;
    let client = confidential(&app, &admin).await;
    let person = email();
    app.session_for(&person).await;
    (app, admin, client, person)
}

/// Login CSRF: a form posted to the provider's sign-in from another site (what a browser says
/// in `Sec-Fetch-Site` or `Origin`) is refused and sets no session, so an attacker cannot sign
/// the person in as themselves; the provider's own page posts as before.
#[tokio::test]
async fn a_sign_in_or_consent_posted_from_another_site_is_refused() {
    let (app, _, (id, _), person) = setup(None).await;
    let mut browser = Browser::new(&app);
    let (_, _, html) =
        browser.get(&format!("/oauth/authorize?{}", authorize_query(&id, VERIFIER, ""))).await;
    let request = hidden(&html, "request");
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([("request", request.as_str()), ("email", &person), ("password", PASSWORD)])
        .finish();
    let post = |path: &str, (name, value): (&str, &str)| {
        app.client
            .post(app.url(path))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(name, value)
            .body(body.clone())
            .send()
    };
    for header in [
        ("origin", "https://evil.test"),
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
    ] {
        for path in ["/oauth/login", "/oauth/consent"] {
            let response = post(path, header).await.unwrap();
            assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path} {header:?}");
            assert!(response.headers().get(SET_COOKIE).is_none(), "{path}: a session was set");
            assert!(response.text().await.unwrap().contains("another site"));
        }
    }
    // The provider's own page (same origin) signs in.
    for header in [("origin", app.address.as_str()), ("sec-fetch-site", "same-origin")] {
        let response = post("/oauth/login", header).await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "{header:?}");
        assert!(response.headers().get(SET_COOKIE).is_some(), "{header:?}: signed in");
    }
}

/// A new password ends what the provider let apps do as the person (whoever had the old one
/// may have let an app in) and its sign-in; signing out everywhere ends the sign-in only.
#[tokio::test]
async fn a_new_password_revokes_apps_and_the_providers_sign_in() {
    let (app, _, (id, secret), person) = setup(None).await;
    let mut browser = Browser::new(&app);
    let query = authorize_query(&id, VERIFIER, "");
    let code = param(&browser.code_for(&query, &person).await, "code").unwrap();
    let (status, tokens) = exchange(&app, (&id, &secret), &code, VERIFIER).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();

    // Signing out of Posey everywhere: the provider asks for the password again; the app's
    // access stays.
    let (_, session) = app.login(&person, PASSWORD).await;
    let bearer = session["access_token"].as_str().unwrap().to_owned();
    let response = app.send(reqwest::Method::POST, "/logout?scope=global", &bearer, None).await;
    assert!(response.status().is_success(), "{}", response.status());
    let (status, _, html) = browser.get(&format!("/oauth/authorize?{query}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("name=\"password\""), "signed out of the provider: {html}");
    assert_eq!(app.get_with_token("/oauth/userinfo", &access).await.0, StatusCode::OK);

    // A new password: the app's tokens stop working.
    let (_, session) = app.login(&person, PASSWORD).await;
    let bearer = session["access_token"].as_str().unwrap().to_owned();
    let body = json!({ "password": "a brand new passphrase" });
    let response = app.send(reqwest::Method::PUT, "/user", &bearer, Some(&body)).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(app.get_with_token("/oauth/userinfo", &access).await.0, StatusCode::UNAUTHORIZED);
    let (status, body) = token(
        &app,
        (&id, &secret),
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
    )
    .await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
}

#[tokio::test]
async fn a_bad_client_or_redirect_uri_is_shown_never_redirected() {
    let (app, _, (id, _), _) = setup(None).await;
    let mut browser = Browser::new(&app);
    let foreign = authorize_query(&id, VERIFIER, "")
        .replace(&urlencode(REDIRECT), &urlencode("https://evil.test/cb"));
    for query in [
        foreign,
        authorize_query(&uuid::Uuid::new_v4().to_string(), VERIFIER, ""),
        authorize_query("not-a-client", VERIFIER, ""),
        format!("{}&redirect_uri={}", authorize_query(&id, VERIFIER, ""), urlencode(REDIRECT)),
        authorize_query(&id, VERIFIER, "").replace("redirect_uri=", "x="),
    ] {
        let (status, location, html) = browser.get(&format!("/oauth/authorize?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {html}");
        assert!(location.is_empty(), "{query} redirected to {location}");
        assert!(html.contains("Sign-in refused"), "{html}");
        assert!(!html.contains("evil.test"), "{html}");
    }
    // Once the redirect URI is good, errors go back to it, with the state.
    let plain = authorize_query(&id, VERIFIER, "")
        .replace("code_challenge_method=S256", "code_challenge_method=plain");
    let (status, location, _) = browser.get(&format!("/oauth/authorize?{plain}")).await;
    assert_eq!(status, StatusCode::FOUND);
    let location: url::Url = location.parse().unwrap();
    assert!(location.as_str().starts_with(REDIRECT), "{location}");
    assert_eq!(param(&location, "error").as_deref(), Some("invalid_request"));
    assert_eq!(param(&location, "state").as_deref(), Some("st-1"));
    let code_flow =
        authorize_query(&id, VERIFIER, "").replace("response_type=code", "response_type=token");
    let (_, location, _) = browser.get(&format!("/oauth/authorize?{code_flow}")).await;
    assert!(location.contains("error=unsupported_response_type"), "{location}");
}

#[tokio::test]
async fn the_code_flow_gives_true_tokens_and_a_reused_code_revokes_them() {
    let (app, _, (id, secret), person) = setup(None).await;
    let mut browser = Browser::new(&app);
    let query = authorize_query(&id, VERIFIER, "");
    let (status, _, html) = browser.get(&format!("/oauth/authorize?{query}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Grafana &lt;home&gt;"), "the client is named, escaped: {html}");
    // A wrong password: the page again, saying so.
    let request = hidden(&html, "request");
    let (status, _, again) = browser
        .post_form(
            "/oauth/login",
            &[("request", &request), ("email", &person), ("password", "wrong")],
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(again.contains("Wrong email or password"), "{again}");
    let (status, _, consent) = browser.sign_in(&html, &person).await;
    assert_eq!(status, StatusCode::OK, "{consent}");
    assert!(consent.contains("see your email address"), "{consent}");
    // A forged consent (wrong CSRF token) is refused.
    let (status, location, refused) = browser
        .post_form(
            "/oauth/consent",
            &[("request", &request), ("csrf", "forged"), ("decision", "allow")],
        )
        .await;
    assert_eq!((status, location.as_str()), (StatusCode::FORBIDDEN, ""));
    assert!(refused.contains("Sign-in refused"), "{refused}");
    let (status, location, _) = browser.decide(&consent, "allow").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location: url::Url = location.parse().unwrap();
    assert_eq!(param(&location, "state").as_deref(), Some("st-1"));
    assert_eq!(param(&location, "iss").as_deref(), Some(app.address.as_str()));
    let code = param(&location, "code").unwrap();

    let (status, tokens) = exchange(&app, (&id, &secret), &code, VERIFIER).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!(tokens["token_type"], "Bearer");
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let id_token = token_claims(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["iss"], app.address);
    assert_eq!(id_token["aud"], id);
    assert_eq!(id_token["nonce"], "n-1");
    assert_eq!(id_token["email"], person);
    assert_eq!(id_token["email_verified"], true);
    assert_eq!(id_token["preferred_username"], person, "unique: the whole address");
    assert!(id_token["auth_time"].is_i64());
    let digest = Sha256::digest(access.as_bytes());
    assert_eq!(id_token["at_hash"], URL_SAFE_NO_PAD.encode(&digest[..16]));
    // The access token is the client's: Posey's own API refuses it. Its type says it is one
    // (RFC 9068), so it cannot pass for an id token.
    assert_eq!(token_claims(&access)["aud"], id);
    assert_eq!(jsonwebtoken::decode_header(&access).unwrap().typ.as_deref(), Some("at+jwt"));
    let (status, _) = app.get_with_token("/user", &access).await;
    assert!(status.is_client_error(), "{status}");
    let (status, info) = app.get_with_token("/oauth/userinfo", &access).await;
    assert_eq!(status, StatusCode::OK, "{info}");
    assert_eq!(
        (info["sub"].clone(), info["email"].clone()),
        (id_token["sub"].clone(), json!(person))
    );

    // The same code again: refused, and what it gave is revoked.
    let (status, again) = exchange(&app, (&id, &secret), &code, VERIFIER).await;
    assert_eq!((status, again["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
    let (status, _) = app.get_with_token("/oauth/userinfo", &access).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let refresh = tokens["refresh_token"].as_str().unwrap();
    let (status, body) =
        token(&app, (&id, &secret), &[("grant_type", "refresh_token"), ("refresh_token", refresh)])
            .await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));

    // Signed in and consented: the next authorization goes straight back with a code.
    let (status, location, _) = browser.get(&format!("/oauth/authorize?{query}")).await;
    assert_eq!(status, StatusCode::FOUND);
    assert!(location.contains("code="), "{location}");
}

#[tokio::test]
async fn pkce_is_required_and_checked() {
    let (app, admin, (id, secret), person) = setup(None).await;
    let mut browser = Browser::new(&app);
    let query = authorize_query(&id, VERIFIER, "");
    // Missing verifier; the code is spent by the refusal.
    let code = param(&browser.code_for(&query, &person).await, "code").unwrap();
    let form =
        [("grant_type", "authorization_code"), ("code", code.as_str()), ("redirect_uri", REDIRECT)];
    let (status, body) = token(&app, (&id, &secret), &form).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant")),
        "{body}"
    );
    let (status, _) = exchange(&app, (&id, &secret), &code, VERIFIER).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // A wrong verifier.
    let code = param(&browser.code_for(&query, &person).await, "code").unwrap();
    let wrong = VERIFIER.replace('a', "b");
    let (status, body) = exchange(&app, (&id, &secret), &code, &wrong).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant")),
        "{body}"
    );
    // A wrong redirect URI at the exchange.
    let code = param(&browser.code_for(&query, &person).await, "code").unwrap();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", "https://grafana.home.test/other"),
        ("code_verifier", VERIFIER),
    ];
    let (status, _) = token(&app, (&id, &secret), &form).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // A public client must send a challenge.
    let body = json!({
        "client_name": "Phone app",
        "redirect_uris": [REDIRECT],
        "token_endpoint_auth_method": "none",
    });
    let (public, secret) = register(&app, &admin, body).await;
    assert!(secret.is_none());
    let bare = format!(
        "response_type=code&client_id={public}&redirect_uri={}&scope=openid&state=s",
        urlencode(REDIRECT)
    );
    let (status, location, _) = browser.get(&format!("/oauth/authorize?{bare}")).await;
    assert_eq!(status, StatusCode::FOUND);
    assert!(location.contains("error=invalid_request"), "{location}");
    // With one, it exchanges with its id alone.
    let code =
        param(&browser.code_for(&authorize_query(&public, VERIFIER, ""), &person).await, "code")
            .unwrap();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
        ("client_id", public.as_str()),
    ];
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
    let response = app
        .client
        .post(app.url("/oauth/token"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let (status, tokens) = crate::helpers::parts(response).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
}

#[tokio::test]
async fn client_authentication_is_required_and_checked() {
    let (app, _, (id, secret), person) = setup(None).await;
    let mut browser = Browser::new(&app);
    let code = param(&browser.code_for(&authorize_query(&id, VERIFIER, ""), &person).await, "code")
        .unwrap();
    let (status, body) = exchange(&app, (&id, "wrong-secret"), &code, VERIFIER).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );
    let unknown = uuid::Uuid::new_v4().to_string();
    let (status, _) = exchange(&app, (&unknown, &secret), &code, VERIFIER).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Neither refusal spent the code.
    let (status, body) = exchange(&app, (&id, &secret), &code, VERIFIER).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // client_secret_post works too.
    let form = [
        ("grant_type", "client_credentials"),
        ("client_id", id.as_str()),
        ("client_secret", secret.as_str()),
    ];
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(form).finish();
    let response = app
        .client
        .post(app.url("/oauth/token"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let (status, own) = crate::helpers::parts(response).await;
    assert_eq!(status, StatusCode::OK, "{own}");
    assert!(own.get("id_token").is_none() && own.get("refresh_token").is_none(), "{own}");
    assert_eq!(token_claims(own["access_token"].as_str().unwrap())["sub"], id);
}

#[tokio::test]
async fn an_expired_code_is_refused() {
    let clock = ManualClock::starting_now();
    let shared: SharedClock = clock.clone();
    let (app, _, (id, secret), person) = setup(Some(shared)).await;
    let mut browser = Browser::new(&app);
    let code = param(&browser.code_for(&authorize_query(&id, VERIFIER, ""), &person).await, "code")
        .unwrap();
    clock.advance(chrono::TimeDelta::seconds(61));
    let (status, body) = exchange(&app, (&id, &secret), &code, VERIFIER).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant")),
        "{body}"
    );
    assert!(body["error_description"].as_str().unwrap().contains("expired"), "{body}");
    let _: Arc<ManualClock> = clock;
}

#[tokio::test]
async fn a_refresh_token_rotates_and_its_reuse_revokes_the_grant() {
    let (app, _, (id, secret), person) = setup(None).await;
    let mut browser = Browser::new(&app);
    let code = param(&browser.code_for(&authorize_query(&id, VERIFIER, ""), &person).await, "code")
        .unwrap();
    let (_, tokens) = exchange(&app, (&id, &secret), &code, VERIFIER).await;
    let first = tokens["refresh_token"].as_str().unwrap().to_owned();
    let (status, next) =
        token(&app, (&id, &secret), &[("grant_type", "refresh_token"), ("refresh_token", &first)])
            .await;
    assert_eq!(status, StatusCode::OK, "{next}");
    let second = next["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(first, second);
    assert!(token_claims(next["id_token"].as_str().unwrap()).get("nonce").is_none());
    // The first again: someone holds a copy. Everything of the grant ends.
    let (status, body) =
        token(&app, (&id, &secret), &[("grant_type", "refresh_token"), ("refresh_token", &first)])
            .await;
    assert_eq!((status, body["error"].as_str()), (StatusCode::BAD_REQUEST, Some("invalid_grant")));
    let (status, _) =
        token(&app, (&id, &secret), &[("grant_type", "refresh_token"), ("refresh_token", &second)])
            .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, _) =
        app.get_with_token("/oauth/userinfo", next["access_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn denied_consent_goes_back_as_access_denied() {
    let (app, _, (id, _), person) = setup(None).await;
    let mut browser = Browser::new(&app);
    let (_, _, html) =
        browser.get(&format!("/oauth/authorize?{}", authorize_query(&id, VERIFIER, ""))).await;
    let (_, _, consent) = browser.sign_in(&html, &person).await;
    let (status, location, _) = browser.decide(&consent, "deny").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let location: url::Url = location.parse().unwrap();
    assert_eq!(param(&location, "error").as_deref(), Some("access_denied"));
    assert_eq!(param(&location, "state").as_deref(), Some("st-1"));
    assert!(param(&location, "code").is_none());
    // prompt=none without consent: consent_required, no page.
    let (status, location, _) = browser
        .get(&format!("/oauth/authorize?{}", authorize_query(&id, VERIFIER, "&prompt=none")))
        .await;
    assert_eq!(status, StatusCode::FOUND);
    assert!(location.contains("error=consent_required"), "{location}");
}

#[tokio::test]
async fn logout_redirects_only_to_a_registered_uri() {
    let (app, admin, (id, secret), person) = setup(None).await;
    let mut browser = Browser::new(&app);
    let code = param(&browser.code_for(&authorize_query(&id, VERIFIER, ""), &person).await, "code")
        .unwrap();
    let (_, tokens) = exchange(&app, (&id, &secret), &code, VERIFIER).await;
    let hint = tokens["id_token"].as_str().unwrap();
    // Another client's registered URI is foreign to this one.
    let (_, other) = register(
        &app,
        &admin,
        json!({
            "client_name": "Wiki", "redirect_uris": ["https://wiki.test/cb"],
            "post_logout_redirect_uris": ["https://wiki.test/bye"],
        }),
    )
    .await;
    let _ = other;
    for foreign in
        ["https://evil.test/bye", "https://wiki.test/bye", "https://grafana.home.test/logged-out/x"]
    {
        let query =
            format!("id_token_hint={hint}&post_logout_redirect_uri={}&state=z", urlencode(foreign));
        let (status, location, html) = browser.get(&format!("/oauth/logout?{query}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{foreign}: {html}");
        assert!(location.is_empty(), "{foreign} redirected");
        assert!(html.contains("Sign-in refused"), "{html}");
    }
    assert!(browser.cookie.is_some(), "a refused logout leaves the session");
    let query =
        format!("id_token_hint={hint}&post_logout_redirect_uri={}&state=z", urlencode(LOGGED_OUT));
    let (status, location, _) = browser.get(&format!("/oauth/logout?{query}")).await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(location, format!("{LOGGED_OUT}?state=z"));
    assert!(browser.cookie.is_none(), "the cookie is cleared");
    // Signed out: the next authorization asks for a password again.
    let (status, _, html) =
        browser.get(&format!("/oauth/authorize?{}", authorize_query(&id, VERIFIER, ""))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("name=\"password\""), "{html}");
}

#[tokio::test]
async fn logout_without_a_hint_asks_the_signed_in_person_first() {
    let (app, _, (id, _), person) = setup(None).await;
    let mut browser = Browser::new(&app);
    browser.code_for(&authorize_query(&id, VERIFIER, ""), &person).await;
    let query =
        format!("client_id={id}&post_logout_redirect_uri={}&state=z", urlencode(LOGGED_OUT));

    // A link from anywhere: a question, and the person is still signed in.
    let (status, location, html) = browser.get(&format!("/oauth/logout?{query}")).await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(location.is_empty(), "{location}");
    assert!(html.contains("Sign out of Posey?") && html.contains(&person), "{html}");
    assert!(html.contains("<strong>Grafana &lt;home&gt;</strong> asks to sign you out"), "{html}");
    assert!(browser.cookie.is_some(), "asking keeps the session");
    let csrf = hidden(&html, "csrf");
    let answer = [
        ("client_id", id.as_str()),
        ("post_logout_redirect_uri", LOGGED_OUT),
        ("state", "z"),
        ("csrf", csrf.as_str()),
        ("confirm", "yes"),
    ];
    // The same answer posted by another site, or with another token, only asks again.
    let body = url::form_urlencoded::Serializer::new(String::new()).extend_pairs(answer).finish();
    let forged = browser
        .http
        .post(app.url("/oauth/logout"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("sec-fetch-site", "cross-site")
        .body(body);
    let (status, _, html) = browser.send(forged).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Sign out of Posey?"), "{html}");
    let mut wrong = answer;
    wrong[3].1 = "not-the-token";
    let (status, _, html) = browser.post_form("/oauth/logout", &wrong).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("Sign out of Posey?"), "{html}");
    assert!(browser.cookie.is_some(), "neither signed the person out");
    let (status, _, html) =
        browser.get(&format!("/oauth/authorize?{}", authorize_query(&id, VERIFIER, ""))).await;
    assert!(status == StatusCode::FOUND || !html.contains("name=\"password\""), "{html}");

    // Their yes on the page: signed out, and on to the app's page.
    let (status, location, _) = browser.post_form("/oauth/logout", &answer).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(location, format!("{LOGGED_OUT}?state=z"));
    assert!(browser.cookie.is_none(), "the cookie is cleared");
    let (status, _, html) =
        browser.get(&format!("/oauth/authorize?{}", authorize_query(&id, VERIFIER, ""))).await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("name=\"password\""), "{html}");

    // Signed out already: nothing to ask, straight on.
    let (status, location, _) = browser.get(&format!("/oauth/logout?{query}")).await;
    assert_eq!(status, StatusCode::FOUND);
    assert_eq!(location, format!("{LOGGED_OUT}?state=z"));
}

#[tokio::test]
async fn revocation_and_introspection() {
    let (app, _, (id, secret), person) = setup(None).await;
    let mut browser = Browser::new(&app);
    let code = param(&browser.code_for(&authorize_query(&id, VERIFIER, ""), &person).await, "code")
        .unwrap();
    let (_, tokens) = exchange(&app, (&id, &secret), &code, VERIFIER).await;
    let access = tokens["access_token"].as_str().unwrap();
    let ask = |path: &'static str, token: String| {
        let app = &app;
        let (id, secret) = (id.clone(), secret.clone());
        async move {
            let body = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs([("token", token.as_str())])
                .finish();
            let response = app
                .client
                .post(app.url(path))
                .basic_auth(id, Some(secret))
                .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .unwrap();
            crate::helpers::parts(response).await
        }
    };
    let (status, info) = ask("/oauth/introspect", access.to_owned()).await;
    assert_eq!(status, StatusCode::OK, "{info}");
    assert_eq!(info["active"], true);
    assert_eq!(info["client_id"], id);
    let (_, info) = ask("/oauth/introspect", "nonsense".into()).await;
    assert_eq!(info, json!({ "active": false }));
    let (status, _) =
        ask("/oauth/revoke", tokens["refresh_token"].as_str().unwrap().to_owned()).await;
    assert_eq!(status, StatusCode::OK);
    let (_, info) = ask("/oauth/introspect", access.to_owned()).await;
    assert_eq!(info["active"], false, "revoking the refresh token ended its grant");
    let (status, _) = ask("/oauth/revoke", "unknown".into()).await;
    assert_eq!(status, StatusCode::OK);
    // Without client authentication: 401.
    let response = app
        .client
        .post(app.url("/oauth/introspect"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(format!("token={access}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(response.headers().contains_key("www-authenticate"));
}

#[tokio::test]
async fn discovery_names_only_what_exists() {
    let app = spawn_provider(None).await;
    let (status, metadata) =
        crate::helpers::parts(app.get("/.well-known/openid-configuration").await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(metadata["issuer"], app.address);
    assert_eq!(metadata["code_challenge_methods_supported"], json!(["S256"]));
    assert_eq!(metadata["id_token_signing_alg_values_supported"], json!(["ES256"]));
    assert_eq!(
        metadata["id_token_encryption_alg_values_supported"],
        json!(["ECDH-ES+A256KW", "ECDH-ES"])
    );
    assert_eq!(
        metadata["id_token_encryption_enc_values_supported"],
        json!(["A128CBC-HS256", "A128GCM", "A256GCM"])
    );
    for endpoint in [
        "authorization_endpoint",
        "token_endpoint",
        "userinfo_endpoint",
        "jwks_uri",
        "end_session_endpoint",
        "revocation_endpoint",
        "introspection_endpoint",
    ] {
        let url = metadata[endpoint].as_str().unwrap();
        assert!(url.starts_with(&app.address), "{endpoint}: {url}");
        let response = app.client.get(url).send().await.unwrap();
        assert_ne!(response.status(), StatusCode::NOT_FOUND, "{endpoint} {url}");
    }
    let (_, rfc8414) =
        crate::helpers::parts(app.get("/.well-known/oauth-authorization-server").await).await;
    assert_eq!(rfc8414, metadata);
}

#[tokio::test]
async fn clients_are_managed_by_admins_only() {
    let (app, admin, (id, secret), person) = setup(None).await;
    let (status, list) = app.get_with_token("/admin/oauth/clients", &admin).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["clients"][0]["client_id"], id);
    assert!(list["clients"][0].get("client_secret").is_none());
    let stored: Vec<u8> = sqlx::query_scalar("SELECT client_secret_hash FROM auth.oauth_clients")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_ne!(stored, secret.as_bytes(), "the secret is hashed at rest");
    let person_token =
        app.login(&person, PASSWORD).await.1["access_token"].as_str().unwrap().to_owned();
    let (status, _) = app.get_with_token("/admin/oauth/clients", &person_token).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let path = format!("/admin/oauth/clients/{id}");
    let bad = json!({ "redirect_uris": ["https://x.test/cb#frag"] });
    let response = app.send(Method::PUT, &path, &admin, Some(&bad)).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let (status, regenerated) =
        app.post_with_token(&format!("{path}/regenerate_secret"), &admin, &json!({})).await;
    assert_eq!(status, StatusCode::OK);
    let fresh = regenerated["client_secret"].as_str().unwrap();
    let (status, _) = token(&app, (&id, &secret), &[("grant_type", "client_credentials")]).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "the old secret stopped working");
    let (status, _) = token(&app, (&id, fresh), &[("grant_type", "client_credentials")]).await;
    assert_eq!(status, StatusCode::OK);
    let response = app.send(Method::DELETE, &path, &admin, None).await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (status, _) = app.get_with_token(&path, &admin).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

/// An EC P-256 public key for encryption, as a relying party registers it.
fn encryption_jwk() -> Value {
    use p256::elliptic_curve::sec1::ToEncodedPoint;
    let secret = p256::SecretKey::random(&mut rand::rngs::OsRng);
    let point = secret.public_key().to_encoded_point(false);
    json!({
        "kty": "EC", "crv": "P-256", "use": "enc", "kid": "rp-1",
        "x": URL_SAFE_NO_PAD.encode(point.x().unwrap()),
        "y": URL_SAFE_NO_PAD.encode(point.y().unwrap()),
        "d": URL_SAFE_NO_PAD.encode(secret.to_bytes()),
    })
}

#[tokio::test]
async fn id_token_encryption_is_checked_when_a_client_is_registered() {
    let (app, admin, _, _) = setup(None).await;
    let private = encryption_jwk();
    let mut public = private.clone();
    public.as_object_mut().unwrap().remove("d");
    let base = |extra: Value| {
        let mut body = json!({ "client_name": "Wiki", "redirect_uris": [REDIRECT] });
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body
    };
    let refused = [
        (json!({ "jwks": { "keys": [private] } }), "private member \"d\""),
        (
            json!({ "jwks": { "keys": [public] }, "id_token_encrypted_response_alg": "RSA-OAEP" }),
            "id_token_encrypted_response_alg: \"RSA-OAEP\" is not supported",
        ),
        (
            json!({ "jwks": { "keys": [public] }, "id_token_encrypted_response_alg": "ECDH-ES",
                "id_token_encrypted_response_enc": "A256CBC-HS512" }),
            "id_token_encrypted_response_enc: \"A256CBC-HS512\" is not supported",
        ),
        (json!({ "id_token_encrypted_response_alg": "ECDH-ES" }), "needs jwks"),
        (
            json!({ "jwks": { "keys": [public] }, "id_token_encrypted_response_enc": "A256GCM" }),
            "id_token_encrypted_response_enc needs id_token_encrypted_response_alg",
        ),
        (
            json!({ "jwks": { "keys": [{ "kty": "EC", "crv": "P-256", "use": "sig",
                "x": public["x"], "y": public["y"] }] },
                "id_token_encrypted_response_alg": "ECDH-ES+A256KW" }),
            "jwks has no key to encrypt id tokens to",
        ),
        (json!({ "jwks": [public] }), "jwks must be a JWK set"),
        (json!({ "jwks_uri": "https://wiki.test/jwks" }), "jwks_uri is not supported"),
    ];
    for (extra, message) in refused {
        let (status, answer) =
            app.post_with_token("/admin/oauth/clients", &admin, &base(extra.clone())).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{extra} {answer}");
        assert_eq!(answer["error_code"], "validation_failed", "{answer}");
        let said = answer["msg"].as_str().unwrap_or_default();
        assert!(said.contains(message), "{extra}: {answer}");
    }
    let body = base(json!({
        "jwks": { "keys": [public] }, "id_token_encrypted_response_alg": "ECDH-ES+A256KW",
    }));
    let (status, client) = app.post_with_token("/admin/oauth/clients", &admin, &body).await;
    assert_eq!(status, StatusCode::CREATED, "{client}");
    assert_eq!(client["id_token_encrypted_response_enc"], "A128CBC-HS256", "the spec's default");
    assert_eq!(client["jwks"]["keys"][0]["kid"], "rp-1");
    let path = format!("/admin/oauth/clients/{}", client["client_id"].as_str().unwrap());
    let change = json!({ "id_token_encrypted_response_enc": "A256GCM" });
    let (status, client) =
        crate::helpers::parts(app.send(Method::PUT, &path, &admin, Some(&change)).await).await;
    assert_eq!(status, StatusCode::OK, "{client}");
    assert_eq!(client["id_token_encrypted_response_enc"], "A256GCM");
    let (status, answer) = crate::helpers::parts(
        app.send(Method::PUT, &path, &admin, Some(&json!({ "jwks": null }))).await,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "no key left to encrypt to: {answer}");
    let off = json!({ "id_token_encrypted_response_alg": null });
    let (status, client) =
        crate::helpers::parts(app.send(Method::PUT, &path, &admin, Some(&off)).await).await;
    assert_eq!(status, StatusCode::OK, "{client}");
    assert_eq!(client["id_token_encrypted_response_alg"], Value::Null);
    assert_eq!(client["id_token_encrypted_response_enc"], Value::Null, "off with its alg");
    assert_eq!(client["jwks"]["keys"][0]["kid"], "rp-1", "the keys stay");
}

/// Every OpenID provider operation answering once, for the OpenAPI test (`admin`: an admin's
/// token; `person`: the email and password of someone who can sign in).
pub async fn sample_operations(app: &AuthApp, s: &mut Samples, admin: &str, person: (&str, &str)) {
    let (get, post, put, delete) = (Method::GET, Method::POST, Method::PUT, Method::DELETE);
    let owner = Some(admin);
    let well_known = "/.well-known/oauth-authorization-server";
    s.call(app, get.clone(), well_known, well_known, None, None).await;
    let new = json!({
        "client_name": "Grafana",
        "redirect_uris": [REDIRECT],
        "post_logout_redirect_uris": [LOGGED_OUT],
        "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
    });
    let clients = "/admin/oauth/clients";
    let (status, client) = s.call(app, post.clone(), clients, clients, owner, Some(new)).await;
    assert_eq!(status, StatusCode::CREATED, "{client}");
    s.call(app, post.clone(), clients, clients, owner, Some(json!({ "client_name": "x" }))).await;
    s.call(app, get.clone(), clients, clients, owner, None).await;
    s.call(app, get.clone(), clients, clients, None, None).await;
    let id = client["client_id"].as_str().unwrap().to_owned();
    let one = "/admin/oauth/clients/{client_id}";
    let path = format!("/admin/oauth/clients/{id}");
    s.call(app, get.clone(), one, &path, owner, None).await;
    s.call(app, get.clone(), one, "/admin/oauth/clients/nope", owner, None).await;
    s.call(app, put.clone(), one, &path, owner, Some(json!({ "client_name": "Grafana (home)" })))
        .await;
    let regenerate = "/admin/oauth/clients/{client_id}/regenerate_secret";
    let (_, regenerated) = s
        .call(app, post.clone(), regenerate, &format!("{path}/regenerate_secret"), owner, None)
        .await;
    let secret = regenerated["client_secret"].as_str().unwrap().to_owned();

    // The front channel (HTML pages and redirects), then the back channel.
    let (person, password) = (person.0.to_owned(), person.1);
    let mut browser = Browser::new(app);
    browser.password = password.to_owned();
    let query = authorize_query(&id, VERIFIER, "");
    let (_, _, login_page) = browser.get(&format!("/oauth/authorize?{query}")).await;
    let authorize = "/oauth/authorize";
    s.send(authorize, app.client.get(app.url(&format!("{authorize}?{query}")))).await;
    s.send(authorize, app.client.get(app.url("/oauth/authorize?client_id=nope"))).await;
    let form = |pairs: &[(&str, &str)]| {
        url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
    };
    let request = hidden(&login_page, "request");
    let wrong = form(&[("request", &request), ("email", &person), ("password", "wrong")]);
    let form_post = |path: &str, body: String| {
        app.client
            .post(app.url(path))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body)
    };
    s.send("/oauth/login", form_post("/oauth/login", wrong)).await;
    let (status, _, consent) = browser.sign_in(&login_page, &person).await;
    assert_eq!(status, StatusCode::OK);
    let right = form(&[("request", &request), ("email", &person), ("password", password)]);
    s.send("/oauth/login", form_post("/oauth/login", right)).await;
    let cookie = browser.cookie.clone().unwrap();
    let forged = form(&[("request", &request), ("csrf", "forged"), ("decision", "allow")]);
    s.send("/oauth/consent", form_post("/oauth/consent", forged).header(COOKIE, &cookie)).await;
    let no_redirects =
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let allow =
        form(&[("request", &request), ("csrf", &hidden(&consent, "csrf")), ("decision", "allow")]);
    let allowed = no_redirects
        .post(app.url("/oauth/consent"))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(COOKIE, &cookie)
        .body(allow);
    let (status, _) = s.send("/oauth/consent", allowed).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    s.send("/oauth/consent", form_post("/oauth/consent", form(&[("request", &request)]))).await;
    // Consented and signed in: straight back with a code.
    s.send(
        authorize,
        no_redirects.get(app.url(&format!("{authorize}?{query}"))).header(COOKIE, &cookie),
    )
    .await;
    let code = param(&browser.code_for(&query, &person).await, "code").unwrap();
    let exchange_form = form(&[
        ("grant_type", "authorization_code"),
        ("code", &code),
        ("redirect_uri", REDIRECT),
        ("code_verifier", VERIFIER),
    ]);
    let (status, tokens) = s
        .send(
            "/oauth/token",
            form_post("/oauth/token", exchange_form.clone()).basic_auth(&id, Some(&secret)),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    s.send(
        "/oauth/token",
        form_post("/oauth/token", exchange_form.clone()).basic_auth(&id, Some(&secret)),
    )
    .await;
    s.send("/oauth/token", form_post("/oauth/token", exchange_form).basic_auth(&id, Some("wrong")))
        .await;
    s.send("/oauth/token", form_post("/oauth/token", form(&[("grant_type", "password")]))).await;
    let access = tokens["access_token"].as_str().unwrap();
    s.send("/oauth/userinfo", app.client.get(app.url("/oauth/userinfo")).bearer_auth(access)).await;
    s.send("/oauth/userinfo", app.client.post(app.url("/oauth/userinfo")).bearer_auth(access))
        .await;
    s.send("/oauth/userinfo", app.client.get(app.url("/oauth/userinfo"))).await;
    s.send("/oauth/userinfo", app.client.post(app.url("/oauth/userinfo")).bearer_auth("x.y.z"))
        .await;
    let question = form(&[("token", access)]);
    s.send(
        "/oauth/introspect",
        form_post("/oauth/introspect", question.clone()).basic_auth(&id, Some(&secret)),
    )
    .await;
    s.send("/oauth/introspect", form_post("/oauth/introspect", question.clone())).await;
    s.send(
        "/oauth/introspect",
        form_post("/oauth/introspect", String::new()).basic_auth(&id, Some(&secret)),
    )
    .await;
    s.send("/oauth/revoke", form_post("/oauth/revoke", question).basic_auth(&id, Some(&secret)))
        .await;
    s.send("/oauth/revoke", form_post("/oauth/revoke", form(&[("token", "x")]))).await;
    s.send(
        "/oauth/revoke",
        form_post("/oauth/revoke", String::new()).basic_auth(&id, Some(&secret)),
    )
    .await;
    let hint = tokens["id_token"].as_str().unwrap();
    let foreign = format!(
        "/oauth/logout?id_token_hint={hint}&post_logout_redirect_uri=https%3A%2F%2Fevil.test"
    );
    s.send("/oauth/logout", app.client.get(app.url(&foreign))).await;
    s.send("/oauth/logout", app.client.get(app.url("/oauth/logout"))).await;
    let to = format!(
        "/oauth/logout?id_token_hint={hint}&post_logout_redirect_uri={}",
        urlencode(LOGGED_OUT)
    );
    s.send("/oauth/logout", no_redirects.get(app.url(&to))).await;
    let body = form(&[("client_id", &id), ("post_logout_redirect_uri", LOGGED_OUT)]);
    s.send(
        "/oauth/logout",
        no_redirects
            .post(app.url("/oauth/logout"))
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(body),
    )
    .await;
    s.send(
        "/oauth/logout",
        form_post("/oauth/logout", form(&[("post_logout_redirect_uri", LOGGED_OUT)])),
    )
    .await;
    s.call(app, delete.clone(), one, &path, owner, None).await;
    s.call(app, delete.clone(), one, &path, owner, None).await;
    s.call(app, post.clone(), regenerate, &format!("{path}/regenerate_secret"), owner, None).await;
}

/// Runs `node --test <script>` in `tests/oidc-rp` with `env`; fails unless `tests` tests passed.
fn run_node(script: &str, env: Vec<(&str, String)>, tests: usize) -> String {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oidc-rp");
    assert!(
        dir.join("node_modules/openid-client").is_dir(),
        "{}/node_modules is missing: ./scripts/test installs it (npm ci)",
        dir.display()
    );
    let output = Command::new("node")
        .arg("--test")
        .arg(script)
        .current_dir(&dir)
        .envs(env)
        .output()
        .expect("running node (./scripts/test installs Node.js)");
    let report = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "openid-client {script} failed:\n{report}");
    assert!(report.contains(&format!("# pass {tests}")) && report.contains("# fail 0"), "{report}");
    report
}

#[tokio::test(flavor = "multi_thread")]
async fn node_openid_client_runs_the_whole_flow() {
    let (app, admin, (id, secret), person) = setup(None).await;
    let body = json!({
        "client_name": "Phone app",
        "redirect_uris": [REDIRECT],
        "post_logout_redirect_uris": [LOGGED_OUT],
        "token_endpoint_auth_method": "none",
    });
    let (public, _) = register(&app, &admin, body).await;
    let env = vec![
        ("ISSUER", app.address.clone()),
        ("CLIENT_ID", id),
        ("CLIENT_SECRET", secret),
        ("PUBLIC_CLIENT_ID", public),
        ("REDIRECT_URI", REDIRECT.to_owned()),
        ("POST_LOGOUT_REDIRECT_URI", LOGGED_OUT.to_owned()),
        ("EMAIL", person),
        ("PASSWORD", PASSWORD.to_owned()),
    ];
    tokio::task::spawn_blocking(move || run_node("flow.test.mjs", env, 2)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn node_openid_client_decrypts_encrypted_id_tokens() {
    let (app, admin, (id, secret), person) = setup(None).await;
    let env = vec![
        ("ISSUER", app.address.clone()),
        ("ADMIN_TOKEN", admin),
        ("CLIENT_ID", id),
        ("CLIENT_SECRET", secret),
        ("REDIRECT_URI", REDIRECT.to_owned()),
        ("POST_LOGOUT_REDIRECT_URI", LOGGED_OUT.to_owned()),
        ("EMAIL", person),
        ("PASSWORD", PASSWORD.to_owned()),
    ];
    tokio::task::spawn_blocking(move || run_node("encrypted.test.mjs", env, 3)).await.unwrap();
}

/// Runs `tests/oidc-rp/<script>` with the python that has `authlib` and `requests`
/// (`TEST_AGENTS_PYTHON`, which scripts/test sets) and `env`; fails unless it exits 0 having
/// printed `ok`.
async fn run_authlib(script: &str, env: &[(&str, &str)], ok: &str) {
    let python = posey_testkit::env::test_python("authlib and requests");
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/oidc-rp").join(script);
    let output = tokio::process::Command::new(python)
        .arg(&script)
        .envs(env.iter().copied())
        .output()
        .await
        .expect("running python");
    let report = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{} failed:\n{report}", script.display());
    assert!(report.contains(ok), "{report}");
}

#[tokio::test(flavor = "multi_thread")]
async fn python_authlib_runs_the_whole_flow() {
    let (app, _, (id, secret), person) = setup(None).await;
    let env = [
        ("ISSUER", app.address.as_str()),
        ("CLIENT_ID", id.as_str()),
        ("CLIENT_SECRET", secret.as_str()),
        ("REDIRECT_URI", REDIRECT),
        ("POST_LOGOUT_REDIRECT_URI", LOGGED_OUT),
        ("EMAIL", person.as_str()),
        ("PASSWORD", PASSWORD),
    ];
    run_authlib("authlib_flow.py", &env, "authlib flow ok").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn python_authlib_decrypts_encrypted_id_tokens() {
    let (app, admin, _, person) = setup(None).await;
    let env = [
        ("ISSUER", app.address.as_str()),
        ("ADMIN_TOKEN", admin.as_str()),
        ("REDIRECT_URI", REDIRECT),
        ("EMAIL", person.as_str()),
        ("PASSWORD", PASSWORD),
    ];
    run_authlib("authlib_encrypted.py", &env, "authlib encrypted ok").await;
}
