//! Social login against a real OpenID provider: panva's certified `oidc-provider`, run by
//! `tests/social-idp/idp.mjs` as the upstream. The test plays the browser (cookies by hand,
//! redirects one at a time) from `/authorize` through the provider's sign-in to `/callback`,
//! and checks the sign-ins that must work and the refusals: a wrong, expired or reused state, a
//! tampered nonce, an id_token for another audience or signed by another key, an unverified
//! address that must not take over an account, a `redirect_to` not allowed, a provider not
//! enabled, sign-up closed.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Stdio;

use chrono::TimeDelta;
use posey_domain::clock::ManualClock;
use reqwest::StatusCode;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use url::Url;

use crate::helpers::{AuthApp, email, spawn_auth, spawn_auth_with_clock};

/// Posey's public URL in these tests (behind a "proxy": the browser maps it to the real port).
pub const PUBLIC_URL: &str = "http://posey-auth.test";
pub const APP_URL: &str = "http://app.test/welcome";
const CLIENT_ID: &str = "posey";
const CLIENT_SECRET: &str = "posey-upstream-secret-0123456789";

/// The upstream OpenID provider, running until dropped.
pub struct Idp {
    pub issuer: String,
    _child: tokio::process::Child,
}

impl Idp {
    /// Starts `idp.mjs`; `tamper`: `None`, or `aud`/`key` for a hostile upstream.
    pub async fn start(tamper: Option<&str>) -> Self {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/social-idp");
        assert!(
            dir.join("node_modules/oidc-provider").is_dir(),
            "{}/node_modules is missing: ./scripts/test installs it (npm ci)",
            dir.display()
        );
        let mut child = tokio::process::Command::new("node")
            .arg("idp.mjs")
            .current_dir(&dir)
            .env("IDP_CLIENT_ID", CLIENT_ID)
            .env("IDP_CLIENT_SECRET", CLIENT_SECRET)
            .env("IDP_REDIRECT_URI", format!("{PUBLIC_URL}/callback"))
            .env("IDP_TAMPER", tamper.unwrap_or(""))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("running node (./scripts/test installs Node.js)");
        let stdout = child.stdout.take().unwrap();
        let mut lines = BufReader::new(stdout).lines();
        let issuer = loop {
            let line = lines.next_line().await.unwrap().expect("idp.mjs exited before listening");
            if let Some(issuer) = line.strip_prefix("listening ") {
                break issuer.to_owned();
            }
        };
        // Drained, so that the provider never writes to a closed pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Self { issuer, _child: child }
    }

    /// Auth's variables for this provider as `oidc`.
    pub fn vars(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AUTH_EXTERNAL_URL", PUBLIC_URL.into()),
            ("AUTH_SITE_URL", "http://app.test".into()),
            ("AUTH_REDIRECT_URLS", APP_URL.into()),
            ("AUTH_EXTERNAL_OIDC_ENABLED", "true".into()),
            ("AUTH_EXTERNAL_OIDC_CLIENT_ID", CLIENT_ID.into()),
            ("AUTH_EXTERNAL_OIDC_SECRET", CLIENT_SECRET.into()),
            ("AUTH_EXTERNAL_OIDC_ISSUER", self.issuer.clone()),
        ]
    }
}

/// Who signs in at the upstream.
pub struct Who<'a> {
    pub sub: &'a str,
    pub email: &'a str,
    pub verified: bool,
}

/// A browser: no automatic redirects, cookies kept by hand.
pub struct Browser {
    http: reqwest::Client,
    cookies: BTreeMap<String, String>,
    /// Posey's real address, standing in for [`PUBLIC_URL`].
    posey: String,
}

impl Browser {
    pub fn new(app: &AuthApp) -> Self {
        let http =
            reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        Self { http, cookies: BTreeMap::new(), posey: app.address.clone() }
    }

    /// Sends `request` with the cookies, keeps the ones it sets; status, `Location` (resolved
    /// against `base`) and body.
    async fn send(
        &mut self,
        request: reqwest::RequestBuilder,
        base: &Url,
    ) -> (StatusCode, Option<Url>, String) {
        let cookie = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>();
        let response = request.header("cookie", cookie.join("; ")).send().await.unwrap();
        for set in response.headers().get_all("set-cookie") {
            let pair = set.to_str().unwrap().split(';').next().unwrap();
            let (name, value) = pair.split_once('=').unwrap();
            self.cookies.insert(name.trim().to_owned(), value.to_owned());
        }
        let status = response.status();
        let location =
            response.headers().get("location").map(|l| base.join(l.to_str().unwrap()).unwrap());
        (status, location, response.text().await.unwrap())
    }

    /// `url` with Posey's public origin swapped for its real address.
    fn real(&self, url: &Url) -> Url {
        let text = url.as_str();
        match text.strip_prefix(PUBLIC_URL) {
            Some(rest) => format!("{}{rest}", self.posey).parse().unwrap(),
            None => url.clone(),
        }
    }

    pub async fn get(&mut self, url: &Url) -> (StatusCode, Option<Url>, String) {
        let real = self.real(url);
        let request = self.http.get(real.clone());
        self.send(request, &real).await
    }

    /// `GET /authorize?<query>` at Posey: the upstream URL it redirects to.
    pub async fn authorize(&mut self, query: &str) -> Url {
        let url: Url = format!("{}/authorize?{query}", self.posey).parse().unwrap();
        let (status, location, body) = self.get(&url).await;
        assert_eq!(status, StatusCode::FOUND, "{body}");
        location.unwrap()
    }

    /// At the upstream: follows `upstream` to its sign-in, signs in as `who`, and returns where
    /// the upstream sends the browser back (Posey's `/callback?code=...&state=...`).
    pub async fn upstream_sign_in(&mut self, upstream: &Url, who: &Who<'_>) -> Url {
        let (status, interaction, body) = self.get(upstream).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
        let interaction = interaction.unwrap();
        let login = interaction.join(&format!("{}/login", interaction.path())).unwrap();
        let form = [
            ("sub", who.sub),
            ("email", who.email),
            ("email_verified", if who.verified { "true" } else { "false" }),
        ];
        let request = self.http.post(login.clone()).form(&form);
        let (status, resume, body) = self.send(request, &login).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
        let (status, back, body) = self.get(&resume.unwrap()).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
        let back = back.unwrap();
        assert!(back.as_str().starts_with(&format!("{PUBLIC_URL}/callback?")), "{back}");
        back
    }

    /// The whole sign-in, from `/authorize?<query>` to where Posey sends the browser at last.
    pub async fn sign_in(&mut self, query: &str, who: &Who<'_>) -> Url {
        let upstream = self.authorize(query).await;
        let back = self.upstream_sign_in(&upstream, who).await;
        let (status, landing, body) = self.get(&back).await;
        assert_eq!(status, StatusCode::FOUND, "{body}");
        landing.unwrap()
    }
}

/// The pairs of a URL's fragment.
fn fragment(url: &Url) -> BTreeMap<String, String> {
    url::form_urlencoded::parse(url.fragment().unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

/// The `error_code` a landing carries, if any.
fn error_code(url: &Url) -> Option<String> {
    fragment(url).remove("error_code")
}

const IMPLICIT: &str = "provider=oidc&redirect_to=http%3A%2F%2Fapp.test%2Fwelcome";

async fn identities(app: &AuthApp, sub: &str) -> Vec<(uuid::Uuid, String)> {
    sqlx::query_as("SELECT user_id, provider FROM auth.identities WHERE provider_id = $1")
        .bind(sub)
        .fetch_all(&app.db.pool)
        .await
        .unwrap()
}

async fn user(app: &AuthApp, token: &str) -> Value {
    let (status, user) = app.get_with_token("/user", token).await;
    assert_eq!(status, StatusCode::OK, "{user}");
    user
}

#[tokio::test(flavor = "multi_thread")]
async fn a_person_signs_up_with_the_upstream_and_the_same_identity_signs_them_in_again() {
    let idp = Idp::start(None).await;
    let app = spawn_auth(&idp.vars()).await;
    let address = email();
    let who = Who { sub: "ada-1", email: &address, verified: true };

    let landing = Browser::new(&app).sign_in(IMPLICIT, &who).await;
    assert!(landing.as_str().starts_with(APP_URL), "{landing}");
    let session = fragment(&landing);
    assert_eq!(session.get("token_type").map(String::as_str), Some("bearer"), "{landing}");
    assert_eq!(session["provider_type"], "oidc");
    let me = user(&app, &session["access_token"]).await;
    assert_eq!(me["email"], address.as_str());
    assert!(me["email_confirmed_at"].is_string(), "{me}");
    assert_eq!(me["app_metadata"]["provider"], "oidc");
    assert_eq!(me["app_metadata"]["providers"], serde_json::json!(["oidc"]));
    assert_eq!(me["user_metadata"]["sub"], "ada-1");
    let linked = identities(&app, "ada-1").await;
    assert_eq!(linked.len(), 1);
    assert_eq!(linked[0].0.to_string(), me["id"].as_str().unwrap());

    // Again, in another browser: the same account, through its identity.
    let landing = Browser::new(&app).sign_in(IMPLICIT, &who).await;
    let again = user(&app, &fragment(&landing)["access_token"]).await;
    assert_eq!(again["id"], me["id"]);
    assert_eq!(identities(&app, "ada-1").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn only_a_verified_address_links_the_identity_to_the_existing_account() {
    let idp = Idp::start(None).await;
    let app = spawn_auth(&idp.vars()).await;
    let address = email();
    let existing = app.session_for(&address).await;
    let existing_id = existing["user"]["id"].as_str().unwrap().to_owned();

    // Someone whose upstream account claims the address without having verified it.
    let squatter = Who { sub: "squatter", email: &address, verified: false };
    let landing = Browser::new(&app).sign_in(IMPLICIT, &squatter).await;
    let error = fragment(&landing);
    assert_eq!(
        error_code(&landing).as_deref(),
        Some("provider_email_needs_verification"),
        "{landing}"
    );
    assert_eq!(error["error"], "access_denied");
    assert!(!fragment(&landing).contains_key("access_token"));
    assert!(identities(&app, "squatter").await.is_empty());
    let (status, _) = app.login(&address, "correct horse battery").await;
    assert_eq!(status, StatusCode::OK, "the account is untouched");

    // The address's owner, verified upstream: linked to their account.
    let owner = Who { sub: "owner-1", email: &address, verified: true };
    let landing = Browser::new(&app).sign_in(IMPLICIT, &owner).await;
    let me = user(&app, &fragment(&landing)["access_token"]).await;
    assert_eq!(me["id"], existing_id.as_str());
    let providers = me["app_metadata"]["providers"].as_array().unwrap();
    assert!(providers.contains(&"email".into()) && providers.contains(&"oidc".into()), "{me}");
    assert_eq!(identities(&app, "owner-1").await[0].0.to_string(), existing_id);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_pkce_flow_lands_with_a_code_that_the_verifier_exchanges_once() {
    use base64::Engine;
    use sha2::Digest;
    let idp = Idp::start(None).await;
    let app = spawn_auth(&idp.vars()).await;
    let verifier = "a-code-verifier-of-enough-length-0123456789-abcdefghijkl";
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(sha2::Sha256::digest(verifier.as_bytes()));
    let query = format!("{IMPLICIT}&code_challenge={challenge}&code_challenge_method=s256");
    let address = email();
    let who = Who { sub: "pkce-1", email: &address, verified: true };
    let landing = Browser::new(&app).sign_in(&query, &who).await;
    assert!(landing.fragment().is_none(), "no session in the URL: {landing}");
    let code = landing.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    let exchange = serde_json::json!({ "auth_code": code, "code_verifier": "wrong-verifier-0123456789-0123456789-0123456789" });
    let (status, body) = app.post("/token?grant_type=pkce", &exchange).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let exchange = serde_json::json!({ "auth_code": code, "code_verifier": verifier });
    let (status, session) = app.post("/token?grant_type=pkce", &exchange).await;
    assert_eq!(status, StatusCode::OK, "{session}");
    assert_eq!(session["user"]["email"], address.as_str());
    let (status, _) = app.post("/token?grant_type=pkce", &exchange).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "a code works once");
}

/// Login CSRF (RFC 9700 4.7): without PKCE, a callback link an attacker got by signing in
/// upstream as themselves signs no one else in: the state is bound to the browser that began
/// the sign-in.
#[tokio::test(flavor = "multi_thread")]
async fn a_callback_link_from_another_browser_signs_no_one_in() {
    let idp = Idp::start(None).await;
    let app = spawn_auth(&idp.vars()).await;
    let address = email();
    let attacker = Who { sub: "attacker-1", email: &address, verified: true };
    let mut theirs = Browser::new(&app);
    let upstream = theirs.authorize(IMPLICIT).await;
    let back = theirs.upstream_sign_in(&upstream, &attacker).await;

    let mut victims = Browser::new(&app);
    let (status, landing, body) = victims.get(&back).await;
    assert_eq!(status, StatusCode::FOUND, "{body}");
    let landing = landing.unwrap();
    assert!(!fragment(&landing).contains_key("access_token"), "signed in: {landing}");
    assert_eq!(error_code(&landing).as_deref(), Some("bad_oauth_state"), "{landing}");
    // And the link is spent: the attacker's own browser cannot use it either.
    let (status, _, _) = theirs.get(&back).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_state_works_once_only_while_fresh_and_only_if_posey_made_it() {
    let idp = Idp::start(None).await;
    let clock = ManualClock::starting_now();
    let app = spawn_auth_with_clock(&idp.vars(), Some(clock.clone())).await;
    let address = email();
    let who = Who { sub: "state-1", email: &address, verified: true };

    // Used once, then replayed (a stolen callback URL).
    let mut browser = Browser::new(&app);
    let upstream = browser.authorize(IMPLICIT).await;
    let back = browser.upstream_sign_in(&upstream, &who).await;
    let (status, landing, _) = browser.get(&back).await;
    assert_eq!(status, StatusCode::FOUND);
    assert!(fragment(&landing.unwrap()).contains_key("access_token"));
    let (status, landing, page) = browser.get(&back).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(landing.is_none() && page.contains("used already"), "{page}");

    // A state Posey never made, and none at all.
    let mut forged = back.clone();
    let code = back.query_pairs().find(|(k, _)| k == "code").unwrap().1.into_owned();
    forged.query_pairs_mut().clear().append_pair("code", &code).append_pair("state", "forged");
    let (status, _, page) = browser.get(&forged).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{page}");
    let bare: Url = format!("{PUBLIC_URL}/callback?code=x").parse().unwrap();
    assert_eq!(browser.get(&bare).await.0, StatusCode::BAD_REQUEST);

    // Back after the state's ten minutes.
    let mut browser = Browser::new(&app);
    let upstream = browser.authorize(IMPLICIT).await;
    let back = browser.upstream_sign_in(&upstream, &who).await;
    clock.advance(TimeDelta::minutes(11));
    let (status, landing, _) = browser.get(&back).await;
    assert_eq!(status, StatusCode::FOUND);
    let landing = landing.unwrap();
    assert!(landing.as_str().starts_with(APP_URL), "{landing}");
    assert_eq!(error_code(&landing).as_deref(), Some("bad_oauth_state"), "{landing}");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_id_token_without_the_sign_ins_nonce_is_refused() {
    let idp = Idp::start(None).await;
    let app = spawn_auth(&idp.vars()).await;
    let address = email();
    let who = Who { sub: "nonce-1", email: &address, verified: true };
    let mut browser = Browser::new(&app);
    let upstream = browser.authorize(IMPLICIT).await;
    // An attacker's nonce in place of Posey's (a token minted for another sign-in).
    let mut tampered = upstream.clone();
    let pairs: Vec<(String, String)> = upstream
        .query_pairs()
        .map(|(k, v)| {
            let value = if k == "nonce" { "attackers-nonce".into() } else { v.into_owned() };
            (k.into_owned(), value)
        })
        .collect();
    tampered.query_pairs_mut().clear().extend_pairs(pairs);
    let back = browser.upstream_sign_in(&tampered, &who).await;
    let (status, landing, _) = browser.get(&back).await;
    assert_eq!(status, StatusCode::FOUND);
    let landing = landing.unwrap();
    assert_eq!(error_code(&landing).as_deref(), Some("bad_oauth_callback"), "{landing}");
    assert!(identities(&app, "nonce-1").await.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn an_id_token_for_another_audience_or_signed_by_another_key_is_refused() {
    for tamper in ["aud", "key"] {
        let idp = Idp::start(Some(tamper)).await;
        let app = spawn_auth(&idp.vars()).await;
        let address = email();
        let who = Who { sub: "forged-1", email: &address, verified: true };
        let landing = Browser::new(&app).sign_in(IMPLICIT, &who).await;
        assert_eq!(
            error_code(&landing).as_deref(),
            Some("bad_oauth_callback"),
            "{tamper}: {landing}"
        );
        assert!(identities(&app, "forged-1").await.is_empty(), "{tamper}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_to_not_allowed_lands_on_the_site_url() {
    let idp = Idp::start(None).await;
    let app = spawn_auth(&idp.vars()).await;
    let address = email();
    let who = Who { sub: "redirect-1", email: &address, verified: true };
    let query = "provider=oidc&redirect_to=https%3A%2F%2Fevil.test%2Fsteal";
    let landing = Browser::new(&app).sign_in(query, &who).await;
    assert!(landing.as_str().starts_with("http://app.test/#"), "{landing}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_provider_not_enabled_is_refused_and_settings_say_which_are() {
    let idp = Idp::start(None).await;
    let app = spawn_auth(&idp.vars()).await;
    for provider in ["google", "github", "nope", ""] {
        let response = app.get(&format!("/authorize?provider={provider}")).await;
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_eq!(status, StatusCode::BAD_REQUEST, "{provider}: {body}");
        assert_eq!(body["error_code"], "validation_failed", "{body}");
    }
    let settings: Value = app.get("/settings").await.json().await.unwrap();
    assert_eq!(settings["external"]["oidc"], true, "{settings}");
    assert_eq!(settings["external"]["google"], false);
    assert_eq!(settings["external"]["email"], true);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_person_cannot_sign_up_through_the_upstream_when_sign_up_is_closed() {
    let idp = Idp::start(None).await;
    let mut vars = idp.vars();
    vars.push(("AUTH_OPEN_SIGNUP", "false".into()));
    let app = spawn_auth(&vars).await;
    let address = email();
    let who = Who { sub: "stranger", email: &address, verified: true };
    let landing = Browser::new(&app).sign_in(IMPLICIT, &who).await;
    assert_eq!(error_code(&landing).as_deref(), Some("signup_disabled"), "{landing}");
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM auth.users WHERE email = $1")
        .bind(&address)
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(count, 0);
}
