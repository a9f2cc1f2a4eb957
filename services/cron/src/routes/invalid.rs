//! A request's bad fields, collected while checking it so that one 422 names them all.

use std::collections::BTreeMap;

use posey_http::ApiError;

/// Collects every bad field of a request, so one 422 names them all.
#[derive(Debug, Default)]
pub(super) struct Invalid(BTreeMap<String, Vec<String>>);

impl Invalid {
    pub(super) fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.entry(field.to_owned()).or_default().push(message.into());
    }

    pub(super) fn check(self) -> Result<(), ApiError> {
        if self.0.is_empty() { Ok(()) } else { Err(ApiError::Validation(self.0)) }
    }
}
