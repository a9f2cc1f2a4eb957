//! The broker's address from `MQTT_URL`: `mqtt://host:port` or `mqtts://host:port`, with an
//! optional `user:password@`. The password is a [`Secret`]: `Debug` and `Display` hide it.

use std::fmt;

use posey_home::Secret;

use super::types::LinkError;

#[derive(Clone, PartialEq, Eq)]
pub struct BrokerUrl {
    host: String,
    port: u16,
    tls: bool,
    credentials: Option<(String, Secret)>,
}

impl BrokerUrl {
    pub fn parse(text: &str) -> Result<Self, LinkError> {
        // The error never quotes the URL: it may hold a password.
        let invalid = |why: &str| LinkError::Url(why.to_owned());
        let url = url::Url::parse(text.trim()).map_err(|e| invalid(&e.to_string()))?;
        let (tls, default_port) = match url.scheme() {
            "mqtt" | "tcp" => (false, 1883),
            "mqtts" | "ssl" => (true, 8883),
            _ => return Err(invalid("the scheme must be mqtt:// or mqtts://")),
        };
        let host = url.host_str().filter(|h| !h.is_empty()).ok_or_else(|| invalid("no host"))?;
        // `Url` keeps an IPv6 host in brackets; the socket wants it bare.
        let host = host.trim_start_matches('[').trim_end_matches(']').to_owned();
        if !matches!(url.path(), "" | "/") || url.query().is_some() || url.fragment().is_some() {
            return Err(invalid("only mqtt[s]://[user:password@]host[:port] is understood"));
        }
        let credentials = match url.username() {
            "" => None,
            user => Some((
                percent_decode(user).ok_or_else(|| invalid("the user name is not UTF-8"))?,
                Secret::new(
                    percent_decode(url.password().unwrap_or_default())
                        .ok_or_else(|| invalid("the password is not UTF-8"))?,
                ),
            )),
        };
        Ok(Self { host, port: url.port().unwrap_or(default_port), tls, credentials })
    }

    /// A plain `mqtt://host:port` without credentials (the embedded broker's).
    pub fn plain(host: impl Into<String>, port: u16) -> Self {
        Self { host: host.into(), port, tls: false, credentials: None }
    }

    /// The same broker, signed in to as `user` with `password`.
    pub fn with_login(mut self, user: impl Into<String>, password: Secret) -> Self {
        self.credentials = Some((user.into(), password));
        self
    }

    pub fn host(&self) -> &str {
        &self.host
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn is_tls(&self) -> bool {
        self.tls
    }

    pub fn user(&self) -> Option<&str> {
        self.credentials.as_ref().map(|(user, _)| user.as_str())
    }

    pub(crate) fn credentials(&self) -> Option<&(String, Secret)> {
        self.credentials.as_ref()
    }
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1).copied(), bytes.get(i + 2).copied()) {
            (b'%', Some(h), Some(l)) if hex(h).is_some() && hex(l).is_some() => {
                out.push((hex(h)? * 16 + hex(l)?) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

impl fmt::Display for BrokerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.tls { "mqtts" } else { "mqtt" };
        write!(f, "{scheme}://")?;
        if let Some((user, _)) = &self.credentials {
            write!(f, "{user}:***@")?;
        }
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

impl fmt::Debug for BrokerUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BrokerUrl({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_forms_mqtt_url_takes() {
        let url = BrokerUrl::parse("mqtt://127.0.0.1:1884").expect("parses");
        assert_eq!(
            (url.host(), url.port(), url.is_tls(), url.user()),
            ("127.0.0.1", 1884, false, None)
        );
        let url = BrokerUrl::parse("mqtts://broker.example").expect("parses");
        assert_eq!((url.port(), url.is_tls()), (8883, true));
        let url = BrokerUrl::parse("mqtt://broker").expect("parses");
        assert_eq!(url.port(), 1883);
        let url = BrokerUrl::parse("mqtt://[::1]:1883").expect("parses");
        assert_eq!(url.host(), "::1");
        assert_eq!(url.to_string(), "mqtt://[::1]:1883");
    }

    #[test]
    fn credentials_are_decoded_and_the_password_never_shown() {
        let url = BrokerUrl::parse("mqtt://posey:s%40cret%3Apw@broker:1883/").expect("parses");
        let (user, password) = url.credentials().expect("credentials");
        assert_eq!((user.as_str(), password.expose()), ("posey", "s@cret:pw"));
        for shown in [url.to_string(), format!("{url:?}")] {
            assert!(!shown.contains("cret"), "{shown}");
            assert!(shown.contains("posey:***@broker:1883"), "{shown}");
        }
    }

    #[test]
    fn refuses_other_schemes_and_paths_without_quoting_the_url() {
        for bad in ["http://u:hunter2@broker", "mqtt://u:hunter2@broker/topic", "mqtt://", "broker"]
        {
            let error = BrokerUrl::parse(bad).expect_err(bad).to_string();
            assert!(!error.contains("hunter2"), "{error}");
        }
    }
}
