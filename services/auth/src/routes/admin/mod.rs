//! The admin API: Supabase Auth's (`/admin/users`, `/admin/generate_link`, `/admin/audit`), so
//! that `@supabase/auth-js`'s admin client works unchanged, plus Posey's RBAC (`/admin/roles`,
//! `/admin/users/{id}/roles`), invites (GoTrue's `/invite`, Posey's `/admin/invites`) and the
//! install's status (`/admin/status`). Every route takes an [`Admin`](crate::extract::Admin) — a service
//! token or a user holding the `admin` role — and every change is written to the audit log.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri};
use posey_domain::UserId;
use serde::de::DeserializeOwned;
use serde_json::Value;
use sqlx::PgExecutor;
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

use crate::db::audit::Event;
use crate::db::users::User;
use crate::error::{AuthError, AuthResult};
use crate::extract::{Admin, Client};
use crate::state::AppState;

mod audit;
mod ban;
mod generate_link;
mod invites;
mod roles;
mod status;
mod users;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .merge(users::router())
        .merge(generate_link::router())
        .merge(audit::router())
        .merge(roles::router())
        .merge(invites::router())
        .merge(status::router())
}

/// GoTrue's page size when `per_page` is not given.
const DEFAULT_PER_PAGE: u64 = 50;
/// Larger pages are cut to this, so one request cannot ask for the whole table.
const MAX_PER_PAGE: u64 = 1000;

/// `page` and `per_page` as GoTrue reads them: empty values (what auth-js sends when the caller
/// gave none) mean the defaults, pages count from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub page: u64,
    pub per_page: u64,
    per_page_given: bool,
}

impl Page {
    pub fn parse(query: Option<&str>) -> AuthResult<Self> {
        let bad = |e: std::num::ParseIntError| {
            AuthError::validation(format!("Bad Pagination Parameters: {e}"))
        };
        let mut page = Self { page: 1, per_page: DEFAULT_PER_PAGE, per_page_given: false };
        for (key, value) in url::form_urlencoded::parse(query.unwrap_or_default().as_bytes()) {
            match (key.as_ref(), value.trim()) {
                (_, "") => {}
                ("page", v) => page.page = v.parse().map_err(bad)?,
                ("per_page", v) => {
                    let n: u64 = v.parse().map_err(bad)?;
                    if n == 0 {
                        return Err(AuthError::validation(
                            "Bad Pagination Parameters: per_page must be greater than 0",
                        ));
                    }
                    page.per_page = n.min(MAX_PER_PAGE);
                    page.per_page_given = true;
                }
                _ => {}
            }
        }
        page.page = page.page.max(1);
        Ok(page)
    }

    pub fn limit(&self) -> i64 {
        i64::try_from(self.per_page).unwrap_or(i64::MAX)
    }

    pub fn offset(&self) -> i64 {
        i64::try_from((self.page - 1).saturating_mul(self.per_page)).unwrap_or(i64::MAX)
    }

    /// `X-Total-Count`, and `Link` with `rel="next"` (when there is a next page) and
    /// `rel="last"`, built from the request's own path and query as GoTrue does (auth-js reads
    /// the page number right after the first `=`, so `page` must sort first, as Go's encoder
    /// puts it).
    pub fn headers(&self, uri: &Uri, total: i64) -> AuthResult<HeaderMap> {
        let total = u64::try_from(total).unwrap_or(0);
        let pages = total.div_ceil(self.per_page);
        let mut query: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for (key, value) in url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
        {
            query.entry(key.into_owned()).or_default().push(value.into_owned());
        }
        if self.per_page_given {
            query.insert("per_page".into(), vec![self.per_page.to_string()]);
        }
        let mut link_to = |page: u64| {
            query.insert("page".into(), vec![page.to_string()]);
            let mut encoded = url::form_urlencoded::Serializer::new(String::new());
            for (key, values) in &query {
                for value in values {
                    encoded.append_pair(key, value);
                }
            }
            format!("<{}?{}>", uri.path(), encoded.finish())
        };
        let mut link = String::new();
        if pages > self.page {
            link.push_str(&link_to(self.page + 1));
            link.push_str("; rel=\"next\", ");
        }
        link.push_str(&link_to(pages));
        link.push_str("; rel=\"last\"");

        let mut headers = HeaderMap::new();
        headers.insert("x-total-count", HeaderValue::from(total));
        let link = HeaderValue::try_from(link).map_err(|e| AuthError::Internal(e.into()))?;
        headers.insert("link", link);
        Ok(headers)
    }
}

/// The first non-empty value of `name` in a query string.
pub fn query_param(query: Option<&str>, name: &str) -> Option<String> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(k, v)| k == name && !v.trim().is_empty())
        .map(|(_, v)| v.trim().to_owned())
}

pub fn user_not_found() -> AuthError {
    AuthError::not_found("user_not_found", "User not found")
}

/// The user a path names. A malformed id is as unknown as a missing user: 404.
pub async fn load_user(db: impl PgExecutor<'_>, id: UserId) -> AuthResult<User> {
    crate::db::users::find(db, id.as_uuid()).await?.ok_or_else(user_not_found)
}

/// A JSON object, or nothing for a missing or `null` field; anything else names the field.
pub fn object_field(name: &str, value: Option<Value>) -> AuthResult<Option<Value>> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(v @ Value::Object(_)) => Ok(Some(v)),
        Some(_) => Err(AuthError::validation(format!("{name} must be a JSON object"))),
    }
}

/// A body that may be absent (auth-js sends one with `DELETE`, other clients may not): empty
/// means the defaults; malformed JSON gets GoTrue's errors.
pub fn optional_json<T: DeserializeOwned + Default>(
    body: Result<Bytes, BytesRejection>,
) -> AuthResult<T> {
    let body = body.map_err(crate::extract::body_rejection)?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    crate::extract::refuse_nul(&body)?;
    serde_json::from_slice(&body).map_err(|e| match e.classify() {
        serde_json::error::Category::Data => AuthError::validation(e.to_string()),
        _ => AuthError::new(
            StatusCode::BAD_REQUEST,
            "bad_json",
            "Could not parse request body as JSON",
        ),
    })
}

/// Writes an admin action to the audit log, with the admin as the actor.
pub async fn record(
    db: impl PgExecutor<'_>,
    admin: &Admin,
    client: &Client,
    action: &str,
    target: Option<Uuid>,
    payload: Value,
) -> sqlx::Result<()> {
    crate::db::audit::record(
        db,
        Event {
            action,
            actor_id: Some(admin.actor.clone()),
            target_id: target.map(|t| t.to_string()),
            ip: client.ip,
            payload,
        },
    )
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(uri: &str, total: i64) -> String {
        let uri: Uri = uri.parse().unwrap();
        let page = Page::parse(uri.query()).unwrap();
        let headers = page.headers(&uri, total).unwrap();
        assert_eq!(headers["x-total-count"], total.to_string().as_str());
        headers["link"].to_str().unwrap().to_owned()
    }

    #[test]
    fn pages_default_like_gotrue() {
        assert_eq!(
            Page::parse(None).unwrap(),
            Page { page: 1, per_page: 50, per_page_given: false }
        );
        // auth-js sends empty values when the caller gave no paging.
        assert_eq!(Page::parse(Some("page=&per_page=")).unwrap().per_page, 50);
        assert_eq!(Page::parse(Some("page=0&per_page=5")).unwrap().page, 1);
        assert_eq!(Page::parse(Some("per_page=5000")).unwrap().per_page, MAX_PER_PAGE);
        assert!(Page::parse(Some("page=two")).is_err());
        assert!(Page::parse(Some("per_page=0")).is_err());
        assert!(Page::parse(Some("page=-1")).is_err());
    }

    #[test]
    fn links_name_the_next_and_last_pages() {
        assert_eq!(
            link("/admin/users?page=1&per_page=2", 5),
            "</admin/users?page=2&per_page=2>; rel=\"next\", </admin/users?page=3&per_page=2>; rel=\"last\""
        );
        assert_eq!(
            link("/admin/users?page=3&per_page=2", 5),
            "</admin/users?page=3&per_page=2>; rel=\"last\""
        );
        assert_eq!(link("/admin/users", 0), "</admin/users?page=0>; rel=\"last\"");
        // Other parameters are kept, in Go's order (sorted by name).
        assert_eq!(
            link("/admin/audit?query=action%3Alogin&per_page=1&page=", 2),
            "</admin/audit?page=2&per_page=1&query=action%3Alogin>; rel=\"next\", \
             </admin/audit?page=2&per_page=1&query=action%3Alogin>; rel=\"last\""
        );
    }

    #[test]
    fn absent_bodies_mean_defaults() {
        #[derive(Debug, Default, serde::Deserialize, PartialEq)]
        struct Body {
            flag: Option<bool>,
        }
        assert_eq!(optional_json::<Body>(Ok(Bytes::new())).unwrap(), Body::default());
        assert_eq!(
            optional_json::<Body>(Ok(Bytes::from_static(b"{\"flag\":true}"))).unwrap().flag,
            Some(true)
        );
        assert!(optional_json::<Body>(Ok(Bytes::from_static(b"{"))).is_err());
    }
}
