//! Paging as GoTrue's admin API does it: `page` and `per_page` in, `X-Total-Count` and `Link`
//! out; and reading one parameter of a query string.

use std::collections::BTreeMap;

use axum::http::{HeaderMap, HeaderValue, Uri};

use crate::error::{AuthError, AuthResult};

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
}
