//! Payload filters. A search or a delete by filter takes a [`UserFilter`], which cannot exist
//! without the [`UserId`] whose points it may reach: there is no way to search across people.
//! Only whole-collection counts and scrolls (reindex progress) may use [`PointScope::All`].

use posey_domain::UserId;

use crate::error::{Result, VectorError};
use crate::payload::check_key;

/// A value a payload field is compared with.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    Keyword(String),
    Integer(i64),
    Bool(bool),
}

impl From<&str> for FieldValue {
    fn from(value: &str) -> Self {
        Self::Keyword(value.to_owned())
    }
}

impl From<String> for FieldValue {
    fn from(value: String) -> Self {
        Self::Keyword(value)
    }
}

impl From<uuid::Uuid> for FieldValue {
    fn from(value: uuid::Uuid) -> Self {
        Self::Keyword(value.to_string())
    }
}

impl From<i64> for FieldValue {
    fn from(value: i64) -> Self {
        Self::Integer(value)
    }
}

impl From<bool> for FieldValue {
    fn from(value: bool) -> Self {
        Self::Bool(value)
    }
}

/// Bounds on a numeric payload field (e.g. a Unix timestamp); unset bounds are open.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Range {
    pub gt: Option<f64>,
    pub gte: Option<f64>,
    pub lt: Option<f64>,
    pub lte: Option<f64>,
}

/// One condition on a payload field; all of a filter's conditions must hold.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Condition {
    Equals { key: String, value: FieldValue },
    NotEquals { key: String, value: FieldValue },
    AnyOf { key: String, values: Vec<String> },
    Range { key: String, range: Range },
}

/// The filter of every search and delete by filter: one person's points, narrowed further by
/// payload conditions that must all hold.
#[derive(Debug, Clone, PartialEq)]
pub struct UserFilter {
    user_id: UserId,
    conditions: Vec<Condition>,
}

impl UserFilter {
    /// All points of `user_id`.
    pub fn for_user(user_id: UserId) -> Self {
        Self { user_id, conditions: Vec::new() }
    }

    /// Only points whose `key` equals `value`.
    pub fn eq(mut self, key: &str, value: impl Into<FieldValue>) -> Result<Self> {
        check_key(key)?;
        self.conditions.push(Condition::Equals { key: key.to_owned(), value: value.into() });
        Ok(self)
    }

    /// Only points whose `key` does not equal `value` (points without the field match).
    pub fn not_eq(mut self, key: &str, value: impl Into<FieldValue>) -> Result<Self> {
        check_key(key)?;
        self.conditions.push(Condition::NotEquals { key: key.to_owned(), value: value.into() });
        Ok(self)
    }

    /// Only points whose keyword `key` is one of `values`.
    pub fn any_of<S: Into<String>>(
        mut self,
        key: &str,
        values: impl IntoIterator<Item = S>,
    ) -> Result<Self> {
        check_key(key)?;
        let values: Vec<String> = values.into_iter().map(Into::into).collect();
        if values.is_empty() {
            return Err(VectorError::invalid(
                "filter",
                format!("any_of `{key}` needs at least one value"),
            ));
        }
        self.conditions.push(Condition::AnyOf { key: key.to_owned(), values });
        Ok(self)
    }

    /// Only points whose numeric `key` lies within `range`.
    pub fn range(mut self, key: &str, range: Range) -> Result<Self> {
        check_key(key)?;
        let bounds = [range.gt, range.gte, range.lt, range.lte];
        if bounds.iter().all(Option::is_none) {
            return Err(VectorError::invalid("filter", format!("range on `{key}` has no bound")));
        }
        if bounds.iter().flatten().any(|b| !b.is_finite()) {
            return Err(VectorError::invalid(
                "filter",
                format!("range on `{key}` has a non-finite bound"),
            ));
        }
        self.conditions.push(Condition::Range { key: key.to_owned(), range });
        Ok(self)
    }

    pub fn user_id(&self) -> UserId {
        self.user_id
    }

    pub(crate) fn conditions(&self) -> &[Condition] {
        &self.conditions
    }
}

/// Which points a count or scroll covers: one person's (filtered), or the whole collection
/// (for reindex progress and administration, never for answering a person).
#[derive(Debug, Clone, PartialEq)]
pub enum PointScope {
    All,
    Filter(UserFilter),
}

impl From<UserFilter> for PointScope {
    fn from(filter: UserFilter) -> Self {
        Self::Filter(filter)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn user_id_cannot_be_overridden_through_a_condition() {
        let err = UserFilter::for_user(UserId::new()).eq("user_id", "someone else").unwrap_err();
        assert!(err.to_string().contains("reserved"), "{err}");
    }

    #[test]
    fn keys_with_path_syntax_are_refused() {
        for key in ["a.b", "a[]", "", "x y"] {
            assert!(UserFilter::for_user(UserId::new()).eq(key, 1).is_err(), "{key}");
        }
    }

    #[test]
    fn empty_any_of_and_unbounded_range_are_refused() {
        let f = UserFilter::for_user(UserId::new());
        assert!(f.clone().any_of("kind", Vec::<String>::new()).is_err());
        assert!(f.clone().range("at", Range::default()).is_err());
        assert!(f.range("at", Range { gte: Some(f64::NAN), ..Range::default() }).is_err());
    }
}
