//! CalDAV (RFC 4791 over WebDAV, RFC 4918) on the calendars the REST routes serve, for phones'
//! and desktops' calendar apps: discovery (`/.well-known/caldav`, RFC 6764; the current user's
//! principal, RFC 5397), calendars as collections, events and to-dos as resources with ETags,
//! the calendar-query, calendar-multiget and sync-collection (RFC 6578) reports. Every write
//! goes through `store::commit`, like the REST routes'.
//!
//! Layout: `/dav/principals/{person}/`, the home `/dav/calendars/{person}/`, a calendar
//! `/dav/calendars/{person}/{segment}/` (the segment a client gave it with MKCALENDAR, kept in
//! `calendars.slug`, or else its id) and its resources `.../{href}`. Another person's path is a
//! 404, the same as one that does not exist. These routes are not in the OpenAPI document.

mod collections;
mod filter;
mod multistatus;
mod objects;
mod propfind;
mod report;
mod xml;

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use posey_calendar::ics::Limits;
use posey_http::ApiError;
use posey_http::auth::bearer_token;
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

use crate::basic::BasicError;
use crate::db::{self, DavCalendar};
use crate::routes::RouteState;
use crate::store::StoreError;
use multistatus::decode_segment;

/// The largest body read: an XML request, or one event or to-do.
const MAX_BODY: usize =
    if xml::MAX_BODY > Limits::OBJECT.max_bytes { xml::MAX_BODY } else { Limits::OBJECT.max_bytes };

const ALLOW: &str =
    "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, REPORT, MKCALENDAR, MKCOL";

pub fn router() -> OpenApiRouter<RouteState> {
    OpenApiRouter::new()
        .route("/.well-known/caldav", any(well_known))
        .route("/dav", any(serve))
        .route("/dav/", any(serve))
        .route("/dav/{*rest}", any(serve))
}

/// RFC 6764: where a client that knows only the host finds the server.
async fn well_known() -> Response {
    (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, "/dav/")]).into_response()
}

/// The person a CalDAV request speaks for: the one place its credentials are checked, an
/// access token (`Bearer`) or the person's email and an app password (`Basic`, what calendar
/// apps send). A missing or bad credential is a 401 inviting the client to sign in.
pub async fn dav_person(state: &RouteState, headers: &HeaderMap) -> Result<Uuid, Response> {
    let value = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("");
    if let Some(credentials) = value.strip_prefix("Basic ").or_else(|| value.strip_prefix("basic "))
    {
        return match state.own.person(credentials, &state.host.verifier).await {
            Ok(person) => Ok(person),
            Err(BasicError::Unavailable(error)) => {
                Err(ApiError::Unavailable(error).into_response())
            }
            Err(error) => Err(unauthorized(&error.to_string())),
        };
    }
    let Some(token) = bearer_token(headers) else {
        return Err(unauthorized("sign in with your email and an app password"));
    };
    match state.host.verifier.verify(token).await {
        Ok(claims) => claims.user_id().map(|user| user.as_uuid()).ok_or_else(|| {
            ApiError::Forbidden("CalDAV needs a person's access token".into()).into_response()
        }),
        Err(error) if error.is_client_error() => Err(unauthorized(&error.to_string())),
        Err(error) => Err(ApiError::Unavailable(error.to_string()).into_response()),
    }
}

fn unauthorized(message: &str) -> Response {
    let mut response = ApiError::Unauthorized(message.to_owned()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Basic realm=\"Posey\", charset=\"UTF-8\""),
    );
    headers.append(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer realm=\"Posey\""));
    response
}

/// A resource a path names.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Target {
    /// `/dav/`
    Root,
    /// `/dav/principals/` or `/dav/calendars/`
    Collections,
    Principal(Uuid),
    Home(Uuid),
    Calendar(Uuid, String),
    Object(Uuid, String, String),
}

impl Target {
    fn parse(path: &str) -> Option<Self> {
        let rest = path.strip_prefix("/dav")?;
        let segments: Vec<String> = rest
            .split('/')
            .filter(|segment| !segment.is_empty())
            .map(decode_segment)
            .collect::<Option<_>>()?;
        let owner = |segment: &String| segment.parse::<Uuid>().ok();
        match segments.as_slice() {
            [] => Some(Self::Root),
            [top] if top == "principals" || top == "calendars" => Some(Self::Collections),
            [top, user] if top == "principals" => Some(Self::Principal(owner(user)?)),
            [top, user] if top == "calendars" => Some(Self::Home(owner(user)?)),
            [top, user, calendar] if top == "calendars" => {
                Some(Self::Calendar(owner(user)?, calendar.clone()))
            }
            [top, user, calendar, href] if top == "calendars" => {
                Some(Self::Object(owner(user)?, calendar.clone(), href.clone()))
            }
            _ => None,
        }
    }

    fn owner(&self) -> Option<Uuid> {
        match self {
            Self::Root | Self::Collections => None,
            Self::Principal(user)
            | Self::Home(user)
            | Self::Calendar(user, _)
            | Self::Object(user, _, _) => Some(*user),
        }
    }
}

/// One request, authenticated.
struct Dav {
    state: RouteState,
    person: Uuid,
    headers: HeaderMap,
    /// At most [`MAX_BODY`] bytes.
    body: Bytes,
}

impl Dav {
    fn db(&self) -> &sqlx::PgPool {
        self.state.db()
    }

    /// The body as an XML tree; `None` when it is empty.
    #[allow(clippy::result_large_err, reason = "the handlers here all fail with a response")]
    fn xml(&self) -> Result<Option<xml::Element>, Response> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        let text = std::str::from_utf8(&self.body)
            .map_err(|_| bad_request("the XML body is not UTF-8".into()))?;
        let root = xml::parse(text).map_err(|error| bad_request(format!("bad XML: {error}")))?;
        Ok(Some(root))
    }

    /// The person's calendar at a segment of the path.
    async fn calendar(&self, segment: &str) -> Result<Option<DavCalendar>, Response> {
        db::dav_calendar(self.db(), self.person, segment).await.map_err(internal)
    }

    fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

async fn serve(State(state): State<RouteState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    if parts.method == Method::OPTIONS {
        return options();
    }
    let person = match dav_person(&state, &parts.headers).await {
        Ok(person) => person,
        Err(response) => return response,
    };
    let Some(target) = Target::parse(parts.uri.path()) else {
        return not_found();
    };
    if target.owner().is_some_and(|owner| owner != person) {
        return not_found();
    }
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        return ApiError::PayloadTooLarge(format!("the body is larger than {MAX_BODY} bytes"))
            .into_response();
    };
    let dav = Dav { state, person, headers: parts.headers, body };
    let method = parts.method.as_str();
    let result = match (method, target) {
        ("PROPFIND", target) => propfind::propfind(dav, target).await,
        ("PROPPATCH", Target::Calendar(_, segment)) => collections::proppatch(dav, &segment).await,
        ("MKCALENDAR" | "MKCOL", Target::Calendar(_, segment)) => {
            collections::make(dav, &segment, method == "MKCALENDAR").await
        }
        ("DELETE", Target::Calendar(_, segment)) => collections::delete(dav, &segment).await,
        ("REPORT", Target::Calendar(_, segment)) => report::report(dav, &segment).await,
        ("GET" | "HEAD", Target::Calendar(_, segment)) => collections::export(dav, &segment).await,
        ("GET" | "HEAD", Target::Object(_, segment, href)) => {
            objects::get(dav, &segment, &href, method == "HEAD").await
        }
        ("PUT", Target::Object(_, segment, href)) => objects::put(dav, &segment, &href).await,
        ("DELETE", Target::Object(_, segment, href)) => objects::delete(dav, &segment, &href).await,
        ("REPORT", _) => Err(multistatus::error(
            StatusCode::FORBIDDEN,
            xml::DAV,
            "supported-report",
            "reports are answered on a calendar collection",
        )),
        _ => Err(not_allowed()),
    };
    result.unwrap_or_else(|response| response)
}

fn options() -> Response {
    (
        StatusCode::OK,
        [
            (header::HeaderName::from_static("dav"), "1, 2, 3, calendar-access"),
            (header::ALLOW, ALLOW),
            (header::CONTENT_LENGTH, "0"),
        ],
    )
        .into_response()
}

fn not_found() -> Response {
    ApiError::NotFound("no such resource".into()).into_response()
}

fn not_allowed() -> Response {
    let mut response =
        (StatusCode::METHOD_NOT_ALLOWED, "the method is not allowed here").into_response();
    response.headers_mut().insert(header::ALLOW, HeaderValue::from_static(ALLOW));
    response
}

fn bad_request(message: String) -> Response {
    ApiError::BadRequest(message).into_response()
}

fn internal(error: impl Into<StoreError>) -> Response {
    ApiError::from(error.into()).into_response()
}

/// The path of a person's principal, home, calendar and resource.
fn principal_path(person: Uuid) -> String {
    format!("/dav/principals/{person}/")
}

fn home_path(person: Uuid) -> String {
    format!("/dav/calendars/{person}/")
}

fn calendar_path(person: Uuid, calendar: &DavCalendar) -> String {
    format!("{}{}/", home_path(person), multistatus::encode_segment(&calendar.segment()))
}

fn object_path(calendar_path: &str, href: &str) -> String {
    format!("{calendar_path}{}", multistatus::encode_segment(href))
}

/// A sync token of a calendar at a sequence number (RFC 6578: a URI).
fn sync_token(calendar: &DavCalendar, seq: i64) -> String {
    format!("http://posey/sync/{}/{seq}", calendar.calendar.id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_resources() {
        let user = Uuid::now_v7();
        assert_eq!(Target::parse("/dav/"), Some(Target::Root));
        assert_eq!(
            Target::parse(&format!("/dav/principals/{user}/")),
            Some(Target::Principal(user))
        );
        assert_eq!(
            Target::parse(&format!("/dav/calendars/{user}/work%20cal/a%40b.ics")),
            Some(Target::Object(user, "work cal".into(), "a@b.ics".into()))
        );
        assert_eq!(Target::parse("/dav/calendars/nobody/"), None);
        assert_eq!(Target::parse(&format!("/dav/calendars/{user}/a/b/c")), None);
    }
}
