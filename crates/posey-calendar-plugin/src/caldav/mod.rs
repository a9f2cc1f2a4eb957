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
mod dav;
mod filter;
mod multistatus;
mod objects;
mod propfind;
mod report;
mod xml;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use posey_http::ApiError;
use utoipa_axum::router::OpenApiRouter;

use crate::routes::RouteState;
pub use dav::dav_person;
use dav::{
    ALLOW, Dav, MAX_BODY, Target, bad_request, calendar_path, home_path, internal, not_allowed,
    not_found, object_path, principal_path, sync_token, writable,
};

pub fn router() -> OpenApiRouter<RouteState> {
    OpenApiRouter::new()
        .route("/.well-known/caldav", any(well_known))
        .route("/dav", any(serve))
        .route("/dav/", any(serve))
        .route("/dav/{*rest}", any(serve))
}

/// An answer given before the request's body was read: the connection is closed after it
/// (`Connection: close` tells the client so). Otherwise the server closes it anyway, for the
/// unread body, and a client that sends its next request on it (the same PROPFIND again with
/// credentials, after a 401) finds it closed without an answer — and a PROPFIND, not being
/// idempotent to HTTP libraries, is not retried.
fn unread(mut response: Response) -> Response {
    response.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

/// RFC 6764: where a client that knows only the host finds the server.
async fn well_known() -> Response {
    (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, "/dav/")]).into_response()
}

async fn serve(State(state): State<RouteState>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    if parts.method == Method::OPTIONS {
        return options();
    }
    let person = match dav_person(&state, &parts.headers).await {
        Ok(person) => person,
        Err(response) => return unread(response),
    };
    let Some(target) = Target::parse(parts.uri.path()) else {
        return unread(not_found());
    };
    if target.owner().is_some_and(|owner| owner != person) {
        return unread(not_found());
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

#[cfg(test)]
mod tests {
    use uuid::Uuid;

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
