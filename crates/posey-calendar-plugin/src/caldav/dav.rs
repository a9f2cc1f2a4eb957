//! What every CalDAV request shares: who it is for (the one place its credentials are checked),
//! the resource its path names, the request as the handlers read it, the answers every handler
//! may give, and the paths of a person's resources.

use axum::body::Bytes;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use posey_calendar::ics::Limits;
use posey_http::ApiError;
use posey_http::auth::bearer_token;
use uuid::Uuid;

use super::multistatus::{self, decode_segment};
use super::xml;
use crate::basic::BasicError;
use crate::db::{self, Calendar, DavCalendar};
use crate::routes::RouteState;
use crate::service;
use crate::store::StoreError;

/// The largest body read: an XML request, or one event or to-do.
pub(super) const MAX_BODY: usize =
    if xml::MAX_BODY > Limits::OBJECT.max_bytes { xml::MAX_BODY } else { Limits::OBJECT.max_bytes };

pub(super) const ALLOW: &str =
    "OPTIONS, GET, HEAD, PUT, DELETE, PROPFIND, PROPPATCH, REPORT, MKCALENDAR, MKCOL";

/// The person a CalDAV request speaks for: the one place its credentials are checked, an
/// access token (`Bearer`) or the person's email and an app password (`Basic`, what calendar
/// apps send). A missing or bad credential is a 401 inviting the client to sign in.
pub async fn dav_person(state: &RouteState, headers: &HeaderMap) -> Result<Uuid, Response> {
    let value = headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()).unwrap_or("");
    if let Some(credentials) = value.strip_prefix("Basic ").or_else(|| value.strip_prefix("basic "))
    {
        return match state.own.app_passwords.person(credentials, &state.host.verifier).await {
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

pub(super) fn unauthorized(message: &str) -> Response {
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
pub(super) enum Target {
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
    pub(super) fn parse(path: &str) -> Option<Self> {
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

    pub(super) fn owner(&self) -> Option<Uuid> {
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
pub(super) struct Dav {
    pub(super) state: RouteState,
    pub(super) person: Uuid,
    pub(super) headers: HeaderMap,
    /// At most [`MAX_BODY`] bytes.
    pub(super) body: Bytes,
}

impl Dav {
    pub(super) fn db(&self) -> &sqlx::PgPool {
        self.state.db()
    }

    /// The body as an XML tree; `None` when it is empty.
    #[allow(clippy::result_large_err, reason = "the handlers here all fail with a response")]
    pub(super) fn xml(&self) -> Result<Option<xml::Element>, Response> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        let text = std::str::from_utf8(&self.body)
            .map_err(|_| bad_request("the XML body is not UTF-8".into()))?;
        let root = xml::parse(text).map_err(|error| bad_request(format!("bad XML: {error}")))?;
        Ok(Some(root))
    }

    /// The person's calendar at a segment of the path.
    pub(super) async fn calendar(&self, segment: &str) -> Result<Option<DavCalendar>, Response> {
        db::dav_calendar(self.db(), self.person, segment).await.map_err(internal)
    }

    pub(super) fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

pub(super) fn not_found() -> Response {
    ApiError::NotFound("no such resource".into()).into_response()
}

pub(super) fn not_allowed() -> Response {
    let mut response =
        (StatusCode::METHOD_NOT_ALLOWED, "the method is not allowed here").into_response();
    response.headers_mut().insert(header::ALLOW, HeaderValue::from_static(ALLOW));
    response
}

pub(super) fn bad_request(message: String) -> Response {
    ApiError::BadRequest(message).into_response()
}

/// Refuses a change to a subscribed calendar or its resources (RFC 3744's need-privileges).
#[allow(clippy::result_large_err, reason = "the handlers here all fail with a response")]
pub(super) fn writable(calendar: &Calendar) -> Result<(), Response> {
    service::writable(calendar).map_err(|refusal| {
        multistatus::error(StatusCode::FORBIDDEN, xml::DAV, "need-privileges", &refusal.to_string())
    })
}

pub(super) fn internal(error: impl Into<StoreError>) -> Response {
    ApiError::from(error.into()).into_response()
}

/// The path of a person's principal, home, calendar and resource.
pub(super) fn principal_path(person: Uuid) -> String {
    format!("/dav/principals/{person}/")
}

pub(super) fn home_path(person: Uuid) -> String {
    format!("/dav/calendars/{person}/")
}

pub(super) fn calendar_path(person: Uuid, calendar: &DavCalendar) -> String {
    format!("{}{}/", home_path(person), multistatus::encode_segment(&calendar.segment()))
}

pub(super) fn object_path(calendar_path: &str, href: &str) -> String {
    format!("{calendar_path}{}", multistatus::encode_segment(href))
}

/// A sync token of a calendar at a sequence number (RFC 6578: a URI).
pub(super) fn sync_token(calendar: &DavCalendar, seq: i64) -> String {
    format!("http://posey/sync/{}/{seq}", calendar.calendar.id)
}
