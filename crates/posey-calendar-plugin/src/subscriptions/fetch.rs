//! Fetching a subscription's feed: only where the destination policy lets a person's URL go
//! (checked on the address of every connection, each redirect's included), within a connect
//! timeout and an overall one, no bigger than a cap (counted as it streams in), and as a
//! conditional GET with the validators of the last answer.

use std::sync::Arc;
use std::time::Duration;

use posey_http::destination::{self, DestinationPolicy};
use reqwest::{StatusCode, header};
use url::Url;

/// The longest a connection may take to open.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest a whole fetch may take, redirects and body included.
pub const TIMEOUT: Duration = Duration::from_secs(30);
/// The largest feed read.
pub const MAX_BYTES: usize = 10 << 20;
/// Redirects followed.
pub const MAX_REDIRECTS: usize = 5;
/// The longest URL kept.
pub const MAX_URL: usize = 2000;

const USER_AGENT: &str = concat!("Posey/", env!("CARGO_PKG_VERSION"), " (calendar subscription)");

/// Fetches feeds within a destination policy and the limits.
#[derive(Debug, Clone)]
pub struct Fetcher {
    policy: Arc<DestinationPolicy>,
    max_bytes: usize,
    timeout: Duration,
}

/// What the last answer said to ask with next time (a conditional GET).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

impl Validators {
    fn of(headers: &header::HeaderMap) -> Self {
        // A validator too long to be one is not kept (it is sent back on every refresh).
        let value = |name: header::HeaderName| {
            headers
                .get(name)
                .and_then(|v: &header::HeaderValue| v.to_str().ok())
                .filter(|v| !v.is_empty() && v.len() <= 500)
                .map(str::to_owned)
        };
        Self { etag: value(header::ETAG), last_modified: value(header::LAST_MODIFIED) }
    }

    fn is_empty(&self) -> bool {
        self.etag.is_none() && self.last_modified.is_none()
    }
}

/// A fetch's answer.
#[derive(Debug)]
pub enum Fetched {
    /// 304: the feed is as it was.
    NotModified,
    Feed {
        text: String,
        /// Its Content-Type, for the hint when it is not iCalendar.
        content_type: Option<String>,
        validators: Validators,
    },
}

/// Why a feed could not be fetched, said so that the person can do something about it. No
/// message names more of the URL than its host (a feed's URL is often its only secret), and a
/// refused destination says the same whatever is there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FetchError {
    #[error(
        "the address is not allowed: calendars are fetched from the public internet only, not \
         from private, loopback or link-local addresses (an operator can allow hosts with \
         CALENDAR_SUBSCRIPTION_ALLOW)"
    )]
    Refused,
    #[error("could not reach {host}: {reason}")]
    Unreachable { host: String, reason: String },
    #[error("{host} did not answer within {} seconds", .seconds)]
    TimedOut { host: String, seconds: u64 },
    #[error("{host} answered {status}{}", status_hint(.status))]
    Status { host: String, status: u16 },
    #[error("the feed is larger than {} MiB, the most a subscription reads", mib(.max_bytes))]
    TooBig { max_bytes: usize },
    #[error("{host} redirected more than {MAX_REDIRECTS} times")]
    TooManyRedirects { host: String },
    #[error("{host} redirected to an address that is not an http or https URL")]
    BadRedirect { host: String },
    #[error("the feed is not UTF-8 text, so not an iCalendar file")]
    NotText,
}

fn status_hint(status: &u16) -> &'static str {
    match status {
        401 | 403 => ": the calendar is not public (look for its secret or public iCal address)",
        404 | 410 => ": there is no calendar at this address (it may have moved or been deleted)",
        429 => ": too many requests; it will be tried again later",
        500..=599 => ": the server has a problem; it will be tried again later",
        _ => "",
    }
}

fn mib(bytes: &usize) -> usize {
    bytes >> 20
}

/// The URL a subscription fetches, from what a person gave: `webcal://` (and `webcals://`) as
/// `https://`, else http or https, with a host, without a fragment.
pub fn feed_url(given: &str) -> Result<Url, String> {
    let given = given.trim();
    if given.len() > MAX_URL {
        return Err(format!("must be at most {MAX_URL} characters"));
    }
    let url = Url::parse(given).map_err(|error| format!("is not a URL ({error})"))?;
    let mut url = match url.scheme() {
        "http" | "https" => url,
        // `webcal` is not a special scheme to the url crate, so it cannot be set over: the
        // rest of the URL is read again after `https`.
        "webcal" | "webcals" => Url::parse(&format!("https{}", &url[url::Position::AfterScheme..]))
            .map_err(|error| format!("is not a URL ({error})"))?,
        other => return Err(format!("is a {other}: URL; give an http, https or webcal URL")),
    };
    if url.host_str().is_none_or(str::is_empty) {
        return Err("has no host".into());
    }
    url.set_fragment(None);
    Ok(url)
}

/// The host a URL names, for messages.
pub fn host_of(url: &Url) -> String {
    url.host_str().unwrap_or("the server").to_owned()
}

impl Fetcher {
    /// Fetches what `policy` permits, within [`TIMEOUT`] and [`MAX_BYTES`].
    pub fn new(policy: DestinationPolicy) -> Self {
        Self::with_limits(policy, MAX_BYTES, TIMEOUT)
    }

    pub fn with_limits(policy: DestinationPolicy, max_bytes: usize, timeout: Duration) -> Self {
        Self { policy: Arc::new(policy), max_bytes, timeout }
    }

    /// GETs `url` (a [`feed_url`]), following redirects, conditionally on `validators`.
    pub async fn fetch(&self, url: &Url, validators: &Validators) -> Result<Fetched, FetchError> {
        let seconds = self.timeout.as_secs();
        match tokio::time::timeout(self.timeout, self.follow(url, validators)).await {
            Ok(fetched) => fetched,
            Err(_) => Err(FetchError::TimedOut { host: host_of(url), seconds }),
        }
    }

    async fn follow(&self, url: &Url, validators: &Validators) -> Result<Fetched, FetchError> {
        let mut url = url.clone();
        for _ in 0..=MAX_REDIRECTS {
            let host = host_of(&url);
            // Names that always mean this machine are refused before any lookup; a literal
            // address by the client builder; a name on every lookup, by the guarded resolver.
            if !self.policy.permits_url(&url) {
                return Err(FetchError::Refused);
            }
            let client = destination::client_builder(&self.policy, &url)
                .map_err(|_| FetchError::Refused)?
                .connect_timeout(CONNECT_TIMEOUT)
                .timeout(self.timeout)
                .user_agent(USER_AGENT)
                .build()
                .map_err(|error| FetchError::Unreachable {
                    host: host.clone(),
                    reason: cause(&error),
                })?;
            let mut request = client
                .get(url.clone())
                .header(header::ACCEPT, "text/calendar, text/plain;q=0.8, */*;q=0.5");
            if let Some(etag) = &validators.etag {
                request = request.header(header::IF_NONE_MATCH, etag);
            }
            if let Some(modified) = &validators.last_modified {
                request = request.header(header::IF_MODIFIED_SINCE, modified);
            }
            let response = request.send().await.map_err(|error| self.failed(&host, &error))?;
            let status = response.status();
            if status == StatusCode::NOT_MODIFIED && !validators.is_empty() {
                return Ok(Fetched::NotModified);
            }
            if status.is_redirection() && status != StatusCode::NOT_MODIFIED {
                let location = response
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|value| value.to_str().ok())
                    .ok_or_else(|| FetchError::Status {
                        host: host.clone(),
                        status: status.as_u16(),
                    })?;
                let next = url
                    .join(location)
                    .map_err(|_| FetchError::BadRedirect { host: host.clone() })?;
                url = feed_url(next.as_str()).map_err(|_| FetchError::BadRedirect { host })?;
                continue;
            }
            if !status.is_success() {
                return Err(FetchError::Status { host, status: status.as_u16() });
            }
            let validators = Validators::of(response.headers());
            let content_type = response
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned);
            let text = self.read(&host, response).await?;
            return Ok(Fetched::Feed { text, content_type, validators });
        }
        Err(FetchError::TooManyRedirects { host: host_of(&url) })
    }

    /// The body, refused once it is bigger than the cap (by its Content-Length when it gives
    /// one, else as it streams in, so a lying or endless body is cut off too).
    async fn read(
        &self,
        host: &str,
        mut response: reqwest::Response,
    ) -> Result<String, FetchError> {
        let too_big = FetchError::TooBig { max_bytes: self.max_bytes };
        if response.content_length().is_some_and(|length| length > self.max_bytes as u64) {
            return Err(too_big);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|error| self.failed(host, &error))? {
            if body.len() + chunk.len() > self.max_bytes {
                return Err(too_big);
            }
            body.extend_from_slice(&chunk);
        }
        let text = String::from_utf8(body).map_err(|_| FetchError::NotText)?;
        Ok(text.strip_prefix('\u{feff}').map(str::to_owned).unwrap_or(text))
    }

    fn failed(&self, host: &str, error: &reqwest::Error) -> FetchError {
        if destination::was_refused(error) {
            FetchError::Refused
        } else if error.is_timeout() {
            FetchError::TimedOut { host: host.to_owned(), seconds: self.timeout.as_secs() }
        } else {
            FetchError::Unreachable { host: host.to_owned(), reason: cause(error) }
        }
    }
}

/// The innermost cause of a request's failure ("Connection refused (os error 111)", "failed
/// to lookup address information: ..."), without the URL that reqwest's own message carries.
fn cause(error: &reqwest::Error) -> String {
    let mut innermost = None;
    let mut next = std::error::Error::source(error);
    while let Some(source) = next {
        innermost = Some(source);
        next = source.source();
    }
    match innermost {
        Some(source) => source.to_string(),
        None if error.is_connect() => "the connection failed".to_owned(),
        None => "the request failed".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use axum::Router;
    use axum::body::Body;
    use axum::http::{HeaderMap, StatusCode as Code, header as h};
    use axum::response::{IntoResponse, Redirect};
    use axum::routing::get;

    use super::*;

    const FEED: &str = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n";

    async fn serve(router: Router) -> u16 {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        port
    }

    fn url(port: u16, path: &str) -> Url {
        Url::parse(&format!("http://127.0.0.1:{port}{path}")).unwrap()
    }

    fn loopback() -> Fetcher {
        Fetcher::new(DestinationPolicy::deny_private().with_loopback())
    }

    #[test]
    fn webcal_urls_are_fetched_as_https_and_other_schemes_are_refused() {
        let read = |given: &str| feed_url(given).map(|url| url.to_string());
        assert_eq!(
            read(" webcal://example.com/cal.ics?k=1#x ").unwrap(),
            "https://example.com/cal.ics?k=1"
        );
        assert_eq!(read("webcals://Example.COM:8443/a").unwrap(), "https://example.com:8443/a");
        assert_eq!(read("http://example.com/a.ics").unwrap(), "http://example.com/a.ics");
        assert!(read("ftp://example.com/a.ics").unwrap_err().contains("http, https or webcal"));
        assert!(read("file:///etc/passwd").unwrap_err().contains("http, https or webcal"));
        assert!(read("example.com/a.ics").unwrap_err().contains("not a URL"));
        assert!(read("webcal:").is_err());
        assert!(read(&format!("https://example.com/{}", "a".repeat(MAX_URL))).is_err());
    }

    #[tokio::test]
    async fn private_addresses_are_refused_before_any_request() {
        let deny = Fetcher::new(DestinationPolicy::deny_private());
        let served = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let count = served.clone();
        let port = serve(Router::new().route(
            "/feed",
            get(move || {
                count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                async { FEED }
            }),
        ))
        .await;
        for given in [
            url(port, "/feed").to_string(),
            format!("http://localhost:{port}/feed"),
            format!("http://[::ffff:127.0.0.1]:{port}/feed"),
            "http://169.254.169.254/latest/meta-data/".to_owned(),
        ] {
            let got = deny.fetch(&feed_url(&given).unwrap(), &Validators::default()).await;
            assert_eq!(got.unwrap_err(), FetchError::Refused, "{given}");
        }
        assert_eq!(served.load(std::sync::atomic::Ordering::SeqCst), 0);
        let got = loopback().fetch(&url(port, "/feed"), &Validators::default()).await.unwrap();
        assert!(matches!(got, Fetched::Feed { text, .. } if text == FEED));
    }

    /// Every hop of a redirect is held to the policy: here one port of loopback is allowed and
    /// the redirect leads to another.
    #[tokio::test]
    async fn each_redirect_is_checked_again() {
        let inner = serve(Router::new().route("/feed", get(|| async { FEED }))).await;
        let target = format!("http://127.0.0.1:{inner}/feed");
        let outer = serve(
            Router::new()
                .route("/feed", get(move || std::future::ready(Redirect::temporary(&target)))),
        )
        .await;
        let one_port = DestinationPolicy::parse(&format!("127.0.0.1:{outer}")).unwrap();
        let got = Fetcher::new(one_port).fetch(&url(outer, "/feed"), &Validators::default()).await;
        assert_eq!(got.unwrap_err(), FetchError::Refused);
        let got = loopback().fetch(&url(outer, "/feed"), &Validators::default()).await.unwrap();
        assert!(matches!(got, Fetched::Feed { text, .. } if text == FEED));

        let looping =
            serve(Router::new().route("/loop", get(|| async { Redirect::to("/loop") }))).await;
        let got = loopback().fetch(&url(looping, "/loop"), &Validators::default()).await;
        assert!(matches!(got, Err(FetchError::TooManyRedirects { .. })), "{got:?}");
        let elsewhere = serve(
            Router::new().route("/", get(|| async { Redirect::to("gopher://example.com/") })),
        )
        .await;
        let got = loopback().fetch(&url(elsewhere, "/"), &Validators::default()).await;
        assert!(matches!(got, Err(FetchError::BadRedirect { .. })), "{got:?}");
    }

    #[tokio::test]
    async fn a_feed_over_the_cap_is_refused_whether_or_not_it_says_its_length() {
        let router = Router::new().route("/sized", get(|| async { "x".repeat(3000) })).route(
            "/streamed",
            get(|| async {
                let chunks = (0..3).map(|_| Ok::<_, std::io::Error>("y".repeat(1000)));
                Body::from_stream(futures::stream::iter(chunks))
            }),
        );
        let port = serve(router).await;
        let small = Fetcher::with_limits(
            DestinationPolicy::deny_private().with_loopback(),
            2500,
            Duration::from_secs(5),
        );
        for path in ["/sized", "/streamed"] {
            let got = small.fetch(&url(port, path), &Validators::default()).await;
            assert_eq!(got.unwrap_err(), FetchError::TooBig { max_bytes: 2500 }, "{path}");
        }
        let roomy = Fetcher::with_limits(
            DestinationPolicy::deny_private().with_loopback(),
            3000,
            Duration::from_secs(5),
        );
        for path in ["/sized", "/streamed"] {
            let got = roomy.fetch(&url(port, path), &Validators::default()).await;
            assert!(matches!(got, Ok(Fetched::Feed { text, .. }) if text.len() == 3000), "{path}");
        }
    }

    #[tokio::test]
    async fn a_server_that_never_answers_times_out() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        // Accepts, then says nothing.
        tokio::spawn(async move {
            let mut held = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                held.push(socket);
            }
        });
        let fetcher = Fetcher::with_limits(
            DestinationPolicy::deny_private().with_loopback(),
            MAX_BYTES,
            Duration::from_millis(300),
        );
        let started = std::time::Instant::now();
        let got = fetcher.fetch(&url(port, "/"), &Validators::default()).await;
        assert!(matches!(got, Err(FetchError::TimedOut { .. })), "{got:?}");
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[tokio::test]
    async fn validators_make_a_conditional_get() {
        let port = serve(Router::new().route(
            "/feed",
            get(|headers: HeaderMap| async move {
                if headers.get(h::IF_NONE_MATCH).is_some_and(|tag| tag == "\"v1\"") {
                    return Code::NOT_MODIFIED.into_response();
                }
                ([(h::ETAG, "\"v1\""), (h::CONTENT_TYPE, "text/calendar")], FEED).into_response()
            }),
        ))
        .await;
        let first = loopback().fetch(&url(port, "/feed"), &Validators::default()).await.unwrap();
        let Fetched::Feed { validators, content_type, .. } = first else {
            panic!("a first fetch has a body");
        };
        assert_eq!(validators.etag.as_deref(), Some("\"v1\""));
        assert_eq!(content_type.as_deref(), Some("text/calendar"));
        let again = loopback().fetch(&url(port, "/feed"), &validators).await.unwrap();
        assert!(matches!(again, Fetched::NotModified));
    }

    #[tokio::test]
    async fn failures_say_what_went_wrong_without_the_url() {
        let port = serve(Router::new().route("/gone", get(|| async { Code::NOT_FOUND }))).await;
        let got = loopback().fetch(&url(port, "/gone?token=secret"), &Validators::default()).await;
        let error = got.unwrap_err();
        assert_eq!(error, FetchError::Status { host: "127.0.0.1".into(), status: 404 });
        assert!(error.to_string().contains("no calendar at this address"), "{error}");

        let closed = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let error = loopback()
            .fetch(&url(closed, "/feed?token=secret"), &Validators::default())
            .await
            .unwrap_err();
        assert!(matches!(error, FetchError::Unreachable { .. }), "{error:?}");
        let message = error.to_string();
        assert!(message.starts_with("could not reach 127.0.0.1: "), "{message}");
        assert!(!message.contains("secret"), "{message}");
    }
}
