//! Request parameters every REST API reads the same way: ids in the path and paged lists.

use serde::Deserialize;
use uuid::Uuid;

use crate::ApiError;

/// An id from the path; one that is not a UUID names nothing, so it is a 404 like any other.
pub fn parse_id(raw: &str, what: &str) -> Result<Uuid, ApiError> {
    raw.parse().map_err(|_| ApiError::NotFound(format!("no such {what}")))
}

/// `?limit=&offset=` for the paged lists: 50 by default, at most 200, offsets from 0.
#[derive(Debug, Default, Deserialize)]
pub struct Page {
    limit: Option<i64>,
    offset: Option<i64>,
}

impl Page {
    const DEFAULT: i64 = 50;
    const MAX: i64 = 200;

    pub fn limit(&self) -> i64 {
        self.limit.unwrap_or(Self::DEFAULT).clamp(1, Self::MAX)
    }

    pub fn offset(&self) -> i64 {
        self.offset.unwrap_or(0).max(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_clamped_and_ids_that_are_not_uuids_are_not_found() {
        let page = |limit, offset| Page { limit, offset };
        assert_eq!((page(None, None).limit(), page(None, None).offset()), (50, 0));
        assert_eq!(page(Some(0), Some(-3)).limit(), 1);
        assert_eq!(page(Some(0), Some(-3)).offset(), 0);
        assert_eq!(page(Some(10_000), Some(7)).limit(), 200);
        assert!(
            matches!(parse_id("nope", "task"), Err(ApiError::NotFound(m)) if m == "no such task")
        );
        assert!(parse_id("0190c7d2-7c4e-7a8e-9b1a-3f2a1c0d4e5f", "task").is_ok());
    }
}
