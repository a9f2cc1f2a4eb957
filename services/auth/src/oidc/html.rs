//! The provider's pages, plain HTML without scripts: sign-in, consent, signed out, and
//! refusals shown to the person. Every value is escaped; the forms post to paths relative to
//! the page, so they work wherever the service is mounted.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::oidc::request::AuthorizeRequest;

pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A page, not cached, not framed (a consent screen in a frame is clickjacking), with its
/// status: a refusal or a form shown again with what was wrong is a 4xx page (the edge layer
/// lets HTML through as it is).
pub fn page(status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title} · Posey</title><style>body{{font-family:system-ui,sans-serif;\
         max-width:26rem;margin:3rem auto;padding:0 1rem}}label,input,button{{display:block;\
         width:100%;margin:.4rem 0}}input,button{{padding:.5rem;font-size:1rem}}\
         .error{{color:#a00}}</style></head><body><h1>{title}</h1>\n{body}\n</body></html>\n",
        title = escape(title),
    );
    let mut response = (status, Html(html)).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        ),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    response
}

/// A refusal shown to the person (never a redirect).
pub fn refusal(status: StatusCode, message: &str) -> Response {
    page(status, "Sign-in refused", &format!("<p class=\"error\">{}</p>", escape(message)))
}

pub fn login(status: StatusCode, request: &AuthorizeRequest, error: Option<&str>) -> Response {
    let error = error
        .map(|e| format!("<p class=\"error\" role=\"alert\">{}</p>", escape(e)))
        .unwrap_or_default();
    let body = format!(
        "<p>Sign in with your Posey account to continue to <strong>{client}</strong>.</p>{error}\
         <form method=\"post\" action=\"login\">\
         <input type=\"hidden\" name=\"request\" value=\"{raw}\">\
         <label for=\"email\">Email</label>\
         <input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"username\" required>\
         <label for=\"password\">Password</label>\
         <input id=\"password\" name=\"password\" type=\"password\" \
         autocomplete=\"current-password\" required>\
         <button type=\"submit\">Sign in</button></form>",
        client = escape(&request.client.client_name),
        raw = escape(&request.raw),
    );
    page(status, "Sign in", &body)
}

pub fn consent(request: &AuthorizeRequest, email: &str, csrf: &str) -> Response {
    let scopes: String = request
        .scopes
        .iter()
        .map(|scope| format!("<li>{}</li>", escape(describe(scope))))
        .collect();
    let body = format!(
        "<p><strong>{client}</strong> asks to sign you in as <strong>{email}</strong> and to:</p>\
         <ul>{scopes}</ul>\
         <form method=\"post\" action=\"consent\">\
         <input type=\"hidden\" name=\"request\" value=\"{raw}\">\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <button type=\"submit\" name=\"decision\" value=\"allow\">Allow</button>\
         <button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button></form>",
        client = escape(&request.client.client_name),
        email = escape(email),
        raw = escape(&request.raw),
        csrf = escape(csrf),
    );
    page(StatusCode::OK, "Allow access?", &body)
}

/// What the page asking to sign out shows and posts back.
pub struct LogoutQuestion<'a> {
    /// The app that sent the person here, when it said which.
    pub client: Option<&'a str>,
    pub email: &'a str,
    pub client_id: Option<&'a str>,
    pub post_logout_redirect_uri: Option<&'a str>,
    pub state: Option<&'a str>,
    pub csrf: &'a str,
}

/// Asks a signed-in person whether to sign out (a logout that no id token shows an app asked
/// for); the form posts the answer back with the request's parameters.
pub fn confirm_logout(question: &LogoutQuestion<'_>) -> Response {
    let hidden = |name: &str, value: Option<&str>| {
        value
            .map(|v| format!("<input type=\"hidden\" name=\"{name}\" value=\"{}\">", escape(v)))
            .unwrap_or_default()
    };
    let from = question
        .client
        .map(|c| format!(" <strong>{}</strong> asks to sign you out.", escape(c)))
        .unwrap_or_default();
    let body = format!(
        "<p>You are signed in to Posey as <strong>{email}</strong>.{from}</p>\
         <form method=\"post\" action=\"logout\">{client_id}{uri}{state}\
         <input type=\"hidden\" name=\"csrf\" value=\"{csrf}\">\
         <button type=\"submit\" name=\"confirm\" value=\"yes\">Sign out</button></form>\
         <p>If you did not mean to, close this page: you stay signed in.</p>",
        email = escape(question.email),
        client_id = hidden("client_id", question.client_id),
        uri = hidden("post_logout_redirect_uri", question.post_logout_redirect_uri),
        state = hidden("state", question.state),
        csrf = escape(question.csrf),
    );
    page(StatusCode::OK, "Sign out of Posey?", &body)
}

pub fn signed_out() -> Response {
    page(StatusCode::OK, "Signed out", "<p>You are signed out of Posey's sign-in.</p>")
}

fn describe(scope: &str) -> &'static str {
    match scope {
        "openid" => "know who you are (your Posey account's id)",
        "profile" => "see your name",
        "email" => "see your email address",
        "offline_access" => "stay signed in while you are away",
        _ => "an unknown permission",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_is_escaped() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
    }
}
