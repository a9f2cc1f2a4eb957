//! Where a Home Assistant instance is: the base URL a person gives (`http://homeassistant.local:8123`)
//! and the WebSocket and REST addresses made from it.

use url::Url;

use super::LinkError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    base: Url,
}

impl Endpoint {
    /// An http(s) base URL (ws/wss are taken too); no user or password in it, no query.
    pub fn parse(text: &str) -> Result<Self, LinkError> {
        let bad = |reason| LinkError::BadUrl { reason };
        let mut base = Url::parse(text.trim()).map_err(|_| bad("it is not a URL"))?;
        match base.scheme() {
            "http" | "https" => {}
            "ws" => base.set_scheme("http").map_err(|()| bad("it is not http or https"))?,
            "wss" => base.set_scheme("https").map_err(|()| bad("it is not http or https"))?,
            _ => return Err(bad("it is not http or https")),
        }
        if base.host_str().is_none_or(str::is_empty) {
            return Err(bad("it has no host"));
        }
        if !base.username().is_empty() || base.password().is_some() {
            return Err(bad("it must not carry a user or password: give an access token"));
        }
        if base.query().is_some() || base.fragment().is_some() {
            return Err(bad("it must not have a query or fragment"));
        }
        // A base with a path (behind a proxy) keeps it: `api/...` is joined under it.
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        if base.path().ends_with("/api/websocket/") {
            let path = base.path().trim_end_matches("api/websocket/").to_owned();
            base.set_path(&path);
        }
        Ok(Self { base })
    }

    /// The base URL, ending in `/`.
    pub fn base(&self) -> &Url {
        &self.base
    }

    /// `ws(s)://host/api/websocket`.
    pub fn websocket_url(&self) -> Url {
        let mut url = self.rest_url("api/websocket");
        let scheme = if url.scheme() == "https" { "wss" } else { "ws" };
        // http → ws and https → wss are allowed changes between special schemes.
        let _ = url.set_scheme(scheme);
        url
    }

    /// An address of the REST API, `path` relative to the base (`api/services/light/turn_on`).
    pub fn rest_url(&self, path: &str) -> Url {
        let mut url = self.base.clone();
        let joined = format!("{}{}", self.base.path(), path.trim_start_matches('/'));
        url.set_path(&joined);
        url
    }
}

impl std::fmt::Display for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.base.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_becomes_ws_and_https_wss_at_api_websocket() {
        let plain = Endpoint::parse("http://homeassistant.local:8123").expect("a URL");
        assert_eq!(plain.websocket_url().as_str(), "ws://homeassistant.local:8123/api/websocket");
        assert_eq!(
            plain.rest_url("api/services/light/turn_on").as_str(),
            "http://homeassistant.local:8123/api/services/light/turn_on"
        );
        let tls = Endpoint::parse("https://home.example.org/").expect("a URL");
        assert_eq!(tls.websocket_url().as_str(), "wss://home.example.org/api/websocket");
        let proxied = Endpoint::parse("https://example.org/ha").expect("a URL");
        assert_eq!(proxied.websocket_url().as_str(), "wss://example.org/ha/api/websocket");
        let given_ws = Endpoint::parse("ws://10.0.0.2:8123/api/websocket").expect("a URL");
        assert_eq!(given_ws.base().as_str(), "http://10.0.0.2:8123/");
    }

    #[test]
    fn refuses_what_is_not_an_instance_address() {
        for bad in [
            "homeassistant.local",
            "ftp://h.local",
            "http://user:pw@h.local",
            "http://h.local/?token=x",
            "",
        ] {
            assert!(Endpoint::parse(bad).is_err(), "{bad:?} was taken");
        }
        let error = Endpoint::parse("http://me:secret@h.local").expect_err("a password");
        assert!(error.to_string().contains("access token"), "{error}");
        assert!(!error.to_string().contains("secret"), "{error}");
    }
}
