//! Parameters: form bodies and queries (a parameter given twice is refused, RFC 6749 3.1), and
//! the authorization request, checked in two steps: the client and its redirect URI first
//! (until both are known good, a refusal is shown on a page, never redirected: an open
//! redirector otherwise), then the rest (refused by redirecting back with `error=`).

use std::collections::BTreeMap;

use uuid::Uuid;

use crate::db::oauth::{self, Client};
use crate::oidc::SCOPES;
use crate::state::AppState;

/// Parameters by name, each given once at most.
#[derive(Debug, Default, Clone)]
pub struct Form {
    values: BTreeMap<String, String>,
    repeated: Option<String>,
}

impl Form {
    pub fn parse(raw: &[u8]) -> Self {
        let mut form = Self::default();
        for (name, value) in url::form_urlencoded::parse(raw) {
            if form.values.insert(name.to_string(), value.into_owned()).is_some() {
                form.repeated.get_or_insert_with(|| name.into_owned());
            }
        }
        form
    }

    /// The value of `name`; an empty one counts as absent (RFC 6749 3.1).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str).filter(|v| !v.is_empty())
    }

    /// A parameter given more than once.
    pub fn repeated(&self) -> Option<&str> {
        self.repeated.as_deref()
    }
}

/// Why an authorization request is refused.
#[derive(Debug)]
pub enum Refusal {
    /// Before the redirect URI is known good: shown to the person.
    Page(String),
    /// Sent back to the client: its redirect URI with `error`, `error_description`, `state`.
    Redirect(String),
}

/// A valid authorization request.
#[derive(Debug, Clone)]
pub struct AuthorizeRequest {
    pub client: Client,
    pub redirect_uri: String,
    pub state: Option<String>,
    pub scopes: Vec<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub prompt: Vec<String>,
    pub max_age: Option<i64>,
    /// The request as it came (a query string), carried through the sign-in and consent forms.
    pub raw: String,
}

impl AuthorizeRequest {
    pub fn scope(&self) -> String {
        self.scopes.join(" ")
    }

    pub fn prompts(&self, prompt: &str) -> bool {
        self.prompt.iter().any(|p| p == prompt)
    }

    /// The client's redirect URI with `params` (and `state`, and `iss` as RFC 9207 says).
    pub fn redirect(&self, issuer: &str, params: &[(&str, &str)]) -> String {
        redirect_with(&self.redirect_uri, issuer, self.state.as_deref(), params)
    }

    /// An error for the client, at its redirect URI.
    pub fn error(&self, issuer: &str, error: &str, description: &str) -> Refusal {
        Refusal::Redirect(
            self.redirect(issuer, &[("error", error), ("error_description", description)]),
        )
    }
}

/// `uri` with `params`, `state` and `iss` added to its query.
pub fn redirect_with(
    uri: &str,
    issuer: &str,
    state: Option<&str>,
    params: &[(&str, &str)],
) -> String {
    let Ok(mut url) = url::Url::parse(uri) else {
        return uri.to_owned();
    };
    {
        let mut query = url.query_pairs_mut();
        for (name, value) in params {
            query.append_pair(name, value);
        }
        if let Some(state) = state {
            query.append_pair("state", state);
        }
        query.append_pair("iss", issuer);
    }
    url.to_string()
}

/// Checks an authorization request (`raw`, a query string).
pub async fn parse(state: &AppState, raw: &str) -> Result<AuthorizeRequest, Refusal> {
    let form = Form::parse(raw.as_bytes());
    let page = |message: &str| Refusal::Page(message.to_owned());
    if let Some(name @ ("client_id" | "redirect_uri")) = form.repeated() {
        return Err(page(&format!("The request names {name} more than once.")));
    }
    let client_id = form.get("client_id").ok_or_else(|| page("The request names no client."))?;
    let client = match client_id.parse::<Uuid>() {
        Ok(id) => oauth::find_client(state.db(), id)
            .await
            .map_err(|_| page("Something went wrong; try again."))?,
        Err(_) => None,
    };
    let client = client.ok_or_else(|| page("This app is not registered with Posey."))?;
    let redirect_uri =
        form.get("redirect_uri").ok_or_else(|| page("The request names no redirect URI."))?;
    if !client.redirect_uris.iter().any(|registered| registered == redirect_uri) {
        return Err(page(&format!(
            "The redirect URI is not one registered for {}; Posey will not send you there.",
            client.client_name
        )));
    }
    let mut request = AuthorizeRequest {
        redirect_uri: redirect_uri.to_owned(),
        state: form.get("state").map(str::to_owned),
        scopes: Vec::new(),
        nonce: form.get("nonce").map(str::to_owned),
        code_challenge: None,
        prompt: form.get("prompt").map(crate::oidc::split_scopes).unwrap_or_default(),
        max_age: None,
        raw: raw.to_owned(),
        client,
    };
    let issuer = state.settings().issuer.as_str();
    if let Some(name) = form.repeated() {
        let message = format!("{name} is given more than once");
        return Err(request.error(issuer, "invalid_request", &message));
    }
    if form.get("request").is_some() {
        return Err(request.error(
            issuer,
            "request_not_supported",
            "Request objects are not supported",
        ));
    }
    if form.get("request_uri").is_some() {
        return Err(request.error(
            issuer,
            "request_uri_not_supported",
            "request_uri is not supported",
        ));
    }
    if form.get("response_type") != Some("code") {
        return Err(request.error(
            issuer,
            "unsupported_response_type",
            "Only response_type=code is supported",
        ));
    }
    if form.get("response_mode").is_some_and(|mode| mode != "query") {
        return Err(request.error(
            issuer,
            "invalid_request",
            "Only response_mode=query is supported",
        ));
    }
    if !request.client.allows_grant("authorization_code") {
        return Err(request.error(
            issuer,
            "unauthorized_client",
            "This client may not use the authorization code flow",
        ));
    }
    // Scopes this provider knows and the client is registered for; others are ignored.
    let allowed = request.client.scopes();
    request.scopes = crate::oidc::split_scopes(form.get("scope").unwrap_or_default())
        .into_iter()
        .filter(|s| SCOPES.contains(&s.as_str()) && allowed.contains(&s.as_str()))
        .collect();
    if request.scopes.is_empty() {
        return Err(request.error(issuer, "invalid_scope", "No scope this client may ask for"));
    }
    if request.nonce.as_ref().is_some_and(|n| n.len() > 512) {
        return Err(request.error(issuer, "invalid_request", "nonce is too long"));
    }
    if request.state.as_ref().is_some_and(|s| s.len() > 2048) {
        return Err(request.error(issuer, "invalid_request", "state is too long"));
    }
    match (form.get("code_challenge"), form.get("code_challenge_method")) {
        (Some(challenge), Some("S256")) => {
            let valid = challenge.len() == 43
                && challenge.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !valid {
                return Err(request.error(
                    issuer,
                    "invalid_request",
                    "code_challenge must be a base64url SHA-256 (43 characters)",
                ));
            }
            request.code_challenge = Some(challenge.to_owned());
        }
        (Some(_), _) => {
            return Err(request.error(
                issuer,
                "invalid_request",
                "code_challenge_method must be S256 (plain is refused)",
            ));
        }
        (None, Some(_)) => {
            return Err(request.error(issuer, "invalid_request", "code_challenge is missing"));
        }
        (None, None) if !request.client.is_confidential() => {
            return Err(request.error(
                issuer,
                "invalid_request",
                "A public client must send a PKCE code_challenge (S256)",
            ));
        }
        (None, None) => {}
    }
    if let Some(max_age) = form.get("max_age") {
        match max_age.parse::<i64>() {
            Ok(age) if age >= 0 => request.max_age = Some(age),
            _ => return Err(request.error(issuer, "invalid_request", "max_age must be a number")),
        }
    }
    if request.prompts("none") && request.prompt.len() > 1 {
        return Err(request.error(issuer, "invalid_request", "prompt=none stands alone"));
    }
    Ok(request)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_parameters_are_noticed_and_empty_ones_absent() {
        let form = Form::parse(b"a=1&b=&a=2");
        assert_eq!(form.repeated(), Some("a"));
        assert_eq!(form.get("b"), None);
    }

    #[test]
    fn redirects_keep_the_uri_query_and_add_state_and_iss() {
        let url = redirect_with(
            "https://app.test/cb?x=1",
            "https://id.test",
            Some("s t"),
            &[("code", "c")],
        );
        assert_eq!(url, "https://app.test/cb?x=1&code=c&state=s+t&iss=https%3A%2F%2Fid.test");
    }
}
