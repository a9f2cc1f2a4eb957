//! The desktop app's bridge between the webview and Posey: it signs in against auth, keeps the
//! refresh token in the OS keyring and the access token in memory, refreshes single-flight, and
//! makes the API calls and event streams the UI asks for. Nothing it hands back carries a token.

mod sse;
mod store;

use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use futures::StreamExt;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use url::Url;

pub use sse::{SseEvent, SseParser};
pub use store::{
    KEYRING_SERVICE, Keyring, KeyringStore, LayeredStore, MemoryStore, OsKeyring, SecretStore,
    StoreError,
};

/// Where `posey://` auth emails lead back to (auth allows it unless `AUTH_REDIRECT_URLS` says
/// otherwise).
pub const AUTH_CALLBACK: &str = "posey://auth-callback";

/// Refresh when the access token expires within this many seconds.
const REFRESH_MARGIN_SECS: u64 = 60;

/// Keys whose values are credentials: never handed to the webview, whatever answered them.
const SECRET_KEYS: &[&str] =
    &["access_token", "refresh_token", "provider_token", "provider_refresh_token", "id_token"];

/// Auth paths that answer a session: only the bridge's own sign-in commands call them.
const SESSION_PATHS: &[&str] =
    &["/token", "/verify", "/signup", "/callback", "/authorize", "/oauth"];

/// The service a call is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Service {
    Auth,
    Agents,
    Cron,
}

/// Each service's base URL.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Endpoints {
    pub auth: Url,
    pub agents: Url,
    pub cron: Url,
}

/// The ports `posey up` serves each service on.
pub const DEFAULT_PORTS: (u16, u16, u16) = (9000, 8000, 8090);

impl Endpoints {
    /// Each service on `address` (a host name or an http(s) URL) at `posey up`'s ports.
    pub fn at_address(address: &str) -> Result<Self, BridgeError> {
        let trimmed = address.trim();
        if trimmed.is_empty() {
            return Err(BridgeError::Invalid("enter the server's address".into()));
        }
        let raw =
            if trimmed.contains("://") { trimmed.to_owned() } else { format!("http://{trimmed}") };
        let url =
            Url::parse(&raw).map_err(|e| BridgeError::Invalid(format!("not an address: {e}")))?;
        if url.scheme() != "http" && url.scheme() != "https" {
            return Err(BridgeError::Invalid("the address is http:// or https://".into()));
        }
        let at = |port: u16| -> Result<Url, BridgeError> {
            let mut u = url.clone();
            u.set_port(Some(port))
                .map_err(|()| BridgeError::Invalid("no host in the address".into()))?;
            u.set_path("/");
            u.set_query(None);
            u.set_fragment(None);
            Ok(u)
        };
        let (auth, agents, cron) = DEFAULT_PORTS;
        Ok(Self { auth: at(auth)?, agents: at(agents)?, cron: at(cron)? })
    }

    fn base(&self, service: Service) -> &Url {
        match service {
            Service::Auth => &self.auth,
            Service::Agents => &self.agents,
            Service::Cron => &self.cron,
        }
    }
}

/// What a call answered: its status and JSON body (`null` when empty, a string when not JSON).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiReply {
    pub status: u16,
    pub body: Value,
}

/// A failure, as the webview sees it: a code and a message, never a token.
#[derive(Debug, thiserror::Error)]
pub enum BridgeError {
    #[error("not signed in")]
    NotSignedIn,
    #[error("{message}")]
    Refused { status: u16, code: String, message: String },
    #[error("could not reach the server: {0}")]
    Network(String),
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl Serialize for BridgeError {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let (status, code) = match self {
            Self::NotSignedIn => (401, "no_session".to_owned()),
            Self::Refused { status, code, .. } => (*status, code.clone()),
            Self::Network(_) => (0, "network".to_owned()),
            Self::Invalid(_) => (0, "invalid".to_owned()),
            Self::Store(_) => (0, "keyring".to_owned()),
        };
        json!({ "status": status, "code": code, "message": self.to_string() }).serialize(s)
    }
}

impl From<reqwest::Error> for BridgeError {
    fn from(e: reqwest::Error) -> Self {
        // reqwest's message names the URL, never a header.
        Self::Network(e.without_url().to_string())
    }
}

/// The access token and when it expires, in memory only.
struct Access {
    token: String,
    expires_at: u64,
    user: Value,
}

impl Access {
    fn fresh(&self) -> bool {
        self.expires_at > now_secs() + REFRESH_MARGIN_SECS
    }
}

pub struct Bridge {
    http: reqwest::Client,
    endpoints: RwLock<Endpoints>,
    store: Arc<dyn SecretStore>,
    /// Held across a refresh: callers that find the token expiring meanwhile wait for it rather
    /// than refreshing again (the refresh token is single-use).
    access: tokio::sync::Mutex<Option<Access>>,
}

impl Bridge {
    pub fn new(endpoints: Endpoints, store: Arc<dyn SecretStore>) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .user_agent(concat!("posey-desktop/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Self {
            http,
            endpoints: RwLock::new(endpoints),
            store,
            access: tokio::sync::Mutex::new(None),
        }
    }

    pub fn endpoints(&self) -> Endpoints {
        match self.endpoints.read() {
            Ok(e) => e.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Points the bridge at another server; the session in memory belongs to the old one and is
    /// dropped (the new server's refresh token, if any, is in the keyring under its own URL).
    pub async fn set_endpoints(&self, endpoints: Endpoints) {
        let mut access = self.access.lock().await;
        match self.endpoints.write() {
            Ok(mut e) => *e = endpoints,
            Err(poisoned) => *poisoned.into_inner() = endpoints,
        }
        *access = None;
    }

    fn account(&self) -> String {
        self.endpoints().auth.to_string()
    }

    fn url(&self, service: Service, path: &str) -> Result<Url, BridgeError> {
        if !path.starts_with('/') || path.starts_with("//") || path.contains("://") {
            return Err(BridgeError::Invalid(format!("not a path: {path}")));
        }
        let base = self.endpoints().base(service).clone();
        let joined = format!("{}{}", base.as_str().trim_end_matches('/'), path);
        Url::parse(&joined).map_err(|e| BridgeError::Invalid(format!("not a path: {e}")))
    }

    // --- Signing in and out ------------------------------------------------------------------

    /// Signs in with an email and password; answers the person's account.
    pub async fn sign_in_with_password(
        &self,
        email: &str,
        password: &str,
    ) -> Result<Value, BridgeError> {
        let body = json!({ "email": email, "password": password });
        let session = self.auth_post("/token?grant_type=password", &body).await?;
        self.keep_session(session).await
    }

    /// Emails a sign-in code (and a link to `posey://auth-callback`).
    pub async fn send_code(&self, email: &str) -> Result<(), BridgeError> {
        let path = format!("/otp?redirect_to={}", urlencode(AUTH_CALLBACK));
        self.auth_post(&path, &json!({ "email": email, "create_user": true })).await?;
        Ok(())
    }

    /// Signs in with an emailed six-digit code.
    pub async fn verify_code(&self, email: &str, code: &str) -> Result<Value, BridgeError> {
        let body = json!({ "email": email, "token": code.trim(), "type": "email" });
        let session = self.auth_post("/verify", &body).await?;
        self.keep_session(session).await
    }

    /// Signs in from a `posey://auth-callback` link an auth email led to: the session in its
    /// fragment, or a token hash to verify. The link never reaches the webview.
    pub async fn sign_in_from_link(&self, link: &str) -> Result<Value, BridgeError> {
        let url = Url::parse(link).map_err(|e| BridgeError::Invalid(format!("not a link: {e}")))?;
        let pairs = |s: Option<&str>| -> Vec<(String, String)> {
            url::form_urlencoded::parse(s.unwrap_or("").as_bytes()).into_owned().collect()
        };
        let fragment = pairs(url.fragment());
        let query = pairs(url.query());
        let get = |key: &str| {
            fragment.iter().chain(query.iter()).find(|(k, _)| k == key).map(|(_, v)| v.clone())
        };
        if let Some(code) = get("error_code").or_else(|| get("error")) {
            let message = get("error_description").unwrap_or_else(|| code.clone());
            return Err(BridgeError::Refused { status: 0, code, message });
        }
        if let (Some(access_token), Some(refresh_token)) =
            (get("access_token"), get("refresh_token"))
        {
            let expires_at = get("expires_at").and_then(|v| v.parse::<u64>().ok());
            let expires_in = get("expires_in").and_then(|v| v.parse::<u64>().ok());
            let user = self.send(Service::Auth, "GET", "/user", None, Some(&access_token)).await?;
            let session = json!({
                "access_token": access_token,
                "refresh_token": refresh_token,
                "expires_at": expires_at,
                "expires_in": expires_in,
                "user": user.body,
            });
            return self.keep_session(session).await;
        }
        if let (Some(token_hash), Some(kind)) = (get("token_hash"), get("type")) {
            let session = self
                .auth_post("/verify", &json!({ "token_hash": token_hash, "type": kind }))
                .await?;
            return self.keep_session(session).await;
        }
        Err(BridgeError::Invalid("the link carries no session".into()))
    }

    /// Ends this device's session at auth (when it can) and forgets it here either way.
    pub async fn sign_out(&self) -> Result<(), BridgeError> {
        let mut access = self.access.lock().await;
        if let Some(a) = access.take() {
            let _ =
                self.send(Service::Auth, "POST", "/logout?scope=local", None, Some(&a.token)).await;
        }
        self.store.delete(&self.account())?;
        Ok(())
    }

    /// The signed-in person's account, restoring the session from the keyring when the app has
    /// just started; `None` when nobody is signed in.
    pub async fn current_user(&self) -> Result<Option<Value>, BridgeError> {
        let mut access = self.access.lock().await;
        if let Some(a) = access.as_ref() {
            return Ok(Some(a.user.clone()));
        }
        match self.refresh_locked(&mut access).await {
            Ok(_) => Ok(access.as_ref().map(|a| a.user.clone())),
            Err(BridgeError::NotSignedIn) => Ok(None),
            Err(e) => Err(e),
        }
    }

    async fn auth_post(&self, path: &str, body: &Value) -> Result<Value, BridgeError> {
        let reply = self.send(Service::Auth, "POST", path, Some(body), None).await?;
        if (200..300).contains(&reply.status) { Ok(reply.body) } else { Err(refused(reply)) }
    }

    /// Keeps a session auth answered: the refresh token in the keyring, the access token in
    /// memory. Answers the account alone.
    async fn keep_session(&self, session: Value) -> Result<Value, BridgeError> {
        let mut access = self.access.lock().await;
        self.take_session(&mut access, session)
    }

    fn take_session(
        &self,
        slot: &mut Option<Access>,
        session: Value,
    ) -> Result<Value, BridgeError> {
        let text = |k: &str| session.get(k).and_then(Value::as_str).map(str::to_owned);
        let (Some(token), Some(refresh)) = (text("access_token"), text("refresh_token")) else {
            return Err(BridgeError::Refused {
                status: 200,
                code: "unexpected_answer".into(),
                message: "auth answered without a session".into(),
            });
        };
        let expires_at = session.get("expires_at").and_then(Value::as_u64).unwrap_or_else(|| {
            now_secs() + session.get("expires_in").and_then(Value::as_u64).unwrap_or(0)
        });
        let user = session.get("user").cloned().unwrap_or(Value::Null);
        self.store.save(&self.account(), &refresh)?;
        *slot = Some(Access { token, expires_at, user: user.clone() });
        Ok(user)
    }

    // --- The access token ----------------------------------------------------------------------

    /// A fresh access token, refreshing first when it expires soon. However many callers ask at
    /// once, one refresh is made.
    async fn access_token(&self) -> Result<String, BridgeError> {
        let mut access = self.access.lock().await;
        if let Some(a) = access.as_ref().filter(|a| a.fresh()) {
            return Ok(a.token.clone());
        }
        self.refresh_locked(&mut access).await
    }

    /// After `rejected` was refused with 401: a newer token if someone refreshed meanwhile,
    /// else one refresh.
    async fn token_after_rejection(&self, rejected: &str) -> Result<String, BridgeError> {
        let mut access = self.access.lock().await;
        if let Some(a) = access.as_ref().filter(|a| a.token != rejected && a.fresh()) {
            return Ok(a.token.clone());
        }
        self.refresh_locked(&mut access).await
    }

    async fn refresh_locked(&self, slot: &mut Option<Access>) -> Result<String, BridgeError> {
        let account = self.account();
        let Some(refresh) = self.store.load(&account)? else {
            *slot = None;
            return Err(BridgeError::NotSignedIn);
        };
        let body = json!({ "refresh_token": refresh });
        let reply = self
            .send(Service::Auth, "POST", "/token?grant_type=refresh_token", Some(&body), None)
            .await?;
        if (400..500).contains(&reply.status) && reply.status != 429 {
            // The refresh token is spent or revoked: the session is over.
            tracing::info!(
                status = reply.status,
                "the session could not be refreshed; signing out"
            );
            self.store.delete(&account)?;
            *slot = None;
            return Err(BridgeError::NotSignedIn);
        }
        if !(200..300).contains(&reply.status) {
            return Err(refused(reply));
        }
        self.take_session(slot, reply.body)?;
        slot.as_ref().map(|a| a.token.clone()).ok_or(BridgeError::NotSignedIn)
    }

    // --- Calls for the webview -----------------------------------------------------------------

    /// One API call as the signed-in person: `method` and `path` (with its query) on `service`,
    /// with an optional JSON body. A 401 gets one refresh and one retry. Auth's session-issuing
    /// paths are refused (the sign-in commands call them), and any credential in the answer is
    /// removed before it is handed back.
    pub async fn call(
        &self,
        service: Service,
        method: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<ApiReply, BridgeError> {
        if service == Service::Auth {
            let bare = path.split(['?', '#']).next().unwrap_or(path);
            if SESSION_PATHS.iter().any(|p| bare == *p || bare.starts_with(&format!("{p}/"))) {
                return Err(BridgeError::Invalid(format!("{bare} is the bridge's own")));
            }
        }
        let token = self.access_token().await?;
        let mut reply = self.send(service, method, path, body, Some(&token)).await?;
        let mut sent = token;
        if reply.status == 401 {
            sent = self.token_after_rejection(&sent).await?;
            reply = self.send(service, method, path, body, Some(&sent)).await?;
        }
        reply.body = scrub(reply.body, &sent);
        Ok(reply)
    }

    /// Uploads a file as `multipart/form-data` (its one part named `file`), as the signed-in
    /// person: the documents the webview picked. A 401 gets one refresh and one retry.
    pub async fn upload(
        &self,
        service: Service,
        path: &str,
        filename: &str,
        bytes: Vec<u8>,
    ) -> Result<ApiReply, BridgeError> {
        let mut token = self.access_token().await?;
        let mut retried = false;
        loop {
            let part =
                reqwest::multipart::Part::bytes(bytes.clone()).file_name(filename.to_owned());
            let form = reqwest::multipart::Form::new().part("file", part);
            let response = self
                .request(service, "POST", path, None, Some(&token))?
                .multipart(form)
                .send()
                .await?;
            let status = response.status().as_u16();
            if status == 401 && !retried {
                retried = true;
                token = self.token_after_rejection(&token).await?;
                continue;
            }
            let body = read_body(response).await;
            return Ok(ApiReply { status, body: scrub(body, &token) });
        }
    }

    /// Opens an event stream as the signed-in person (a chat turn's `POST`, or cron's
    /// notifications) and hands each event to `on_event` until the stream ends or `on_event`
    /// answers false. `last_event_id` resumes a stream. A refused request is an error before
    /// any event.
    pub async fn stream(
        &self,
        service: Service,
        method: &str,
        path: &str,
        body: Option<&Value>,
        last_event_id: Option<&str>,
        mut on_event: impl FnMut(SseEvent) -> bool,
    ) -> Result<(), BridgeError> {
        let mut token = self.access_token().await?;
        let mut retried = false;
        let response = loop {
            let mut request = self
                .request(service, method, path, body, Some(&token))?
                .header(ACCEPT, "text/event-stream");
            if let Some(id) = last_event_id {
                request = request.header("last-event-id", id);
            }
            let response = request.send().await?;
            if response.status().as_u16() == 401 && !retried {
                retried = true;
                token = self.token_after_rejection(&token).await?;
                continue;
            }
            break response;
        };
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            let body = read_body(response).await;
            return Err(refused(ApiReply { status, body: scrub(body, &token) }));
        }
        let mut parser = SseParser::default();
        let mut bytes = response.bytes_stream();
        while let Some(chunk) = bytes.next().await {
            for mut event in parser.push(&chunk?) {
                if event.data.contains(&token) {
                    event.data = event.data.replace(&token, "[redacted]");
                }
                if !on_event(event) {
                    return Ok(());
                }
            }
        }
        Ok(())
    }

    fn request(
        &self,
        service: Service,
        method: &str,
        path: &str,
        body: Option<&Value>,
        token: Option<&str>,
    ) -> Result<reqwest::RequestBuilder, BridgeError> {
        let method = reqwest::Method::from_bytes(method.to_ascii_uppercase().as_bytes())
            .map_err(|_| BridgeError::Invalid(format!("not a method: {method}")))?;
        let mut request = self.http.request(method, self.url(service, path)?);
        if service == Service::Auth {
            request = request.header("X-Supabase-Api-Version", "2024-01-01");
        }
        if let Some(token) = token {
            let mut value = HeaderValue::from_str(&format!("Bearer {token}"))
                .map_err(|_| BridgeError::Invalid("the token is not a header value".into()))?;
            value.set_sensitive(true);
            request = request.header(AUTHORIZATION, value);
        }
        if let Some(body) = body {
            request = request.header(CONTENT_TYPE, "application/json").body(body.to_string());
        }
        Ok(request)
    }

    async fn send(
        &self,
        service: Service,
        method: &str,
        path: &str,
        body: Option<&Value>,
        token: Option<&str>,
    ) -> Result<ApiReply, BridgeError> {
        let response = self.request(service, method, path, body, token)?.send().await?;
        let status = response.status().as_u16();
        Ok(ApiReply { status, body: read_body(response).await })
    }
}

async fn read_body(response: reqwest::Response) -> Value {
    let text = response.text().await.unwrap_or_default();
    if text.trim().is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    }
}

/// A non-2xx answer as an error with the service's code and message (auth and the services
/// answer `{code, message}` or Supabase's `{error_code, msg}`).
fn refused(reply: ApiReply) -> BridgeError {
    let pick = |keys: &[&str]| {
        keys.iter().find_map(|k| reply.body.get(*k).and_then(Value::as_str)).map(str::to_owned)
    };
    let code =
        pick(&["code", "error_code", "error"]).unwrap_or_else(|| format!("http_{}", reply.status));
    let message = pick(&["message", "msg", "error_description"])
        .unwrap_or_else(|| format!("the server answered {}", reply.status));
    BridgeError::Refused { status: reply.status, code, message }
}

/// `value` without credentials: keys that name one are dropped, and any string holding the
/// token that was sent is redacted (a service that echoed it back).
fn scrub(value: Value, sent: &str) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(k, _)| !SECRET_KEYS.contains(&k.as_str()))
                .map(|(k, v)| (k, scrub(v, sent)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(|v| scrub(v, sent)).collect()),
        Value::String(s) if !sent.is_empty() && s.contains(sent) => {
            Value::String(s.replace(sent, "[redacted]"))
        }
        other => other,
    }
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn now_secs() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

#[cfg(test)]
mod tests;
