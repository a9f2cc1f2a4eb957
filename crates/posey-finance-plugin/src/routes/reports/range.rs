//! What the reports share: their date ranges, checked.

use chrono::{Datelike, NaiveDate};
use posey_finance::budget::Month;
use posey_http::ApiError;
use serde::Deserialize;

/// The longest range a report covers.
pub(super) const MAX_YEARS: i32 = 50;

/// How many days before or after its due date a payment still pays a bill.
pub(super) const GRACE_DAYS: u32 = 5;

/// A range bound: `2026-01` (the month's first day) or `2026-01-15`.
pub(super) fn bound(field: &str, text: &str) -> Result<NaiveDate, ApiError> {
    let text = text.trim();
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(date);
    }
    text.parse::<Month>()
        .ok()
        .and_then(|month| NaiveDate::from_ymd_opt(month.year(), month.month(), 1))
        .ok_or_else(|| {
            ApiError::invalid(field, "must be a month like 2026-01 or a day like 2026-01-15")
        })
}

/// The half-open range `from..to`, checked: `from` before `to`, at most [`MAX_YEARS`] apart,
/// and with `monthly` both the first of a month.
pub(super) fn range(
    from: Option<&str>,
    to: Option<&str>,
    monthly: bool,
) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let required = |field: &str| ApiError::invalid(field, "is required");
    let from = bound("from", from.ok_or_else(|| required("from"))?)?;
    let to = bound("to", to.ok_or_else(|| required("to"))?)?;
    for (field, date) in [("from", from), ("to", to)] {
        if monthly && date.day() != 1 {
            return Err(ApiError::invalid(
                field,
                "the report is by month: give a month like 2026-01 (or its first day)",
            ));
        }
    }
    if from >= to {
        return Err(ApiError::invalid("to", "must come after from (to is not in the range)"));
    }
    if to > from.with_year(from.year() + MAX_YEARS).unwrap_or(NaiveDate::MAX) {
        return Err(ApiError::invalid("to", format!("a report covers at most {MAX_YEARS} years")));
    }
    Ok((from, to))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub(super) struct RangeParams {
    /// The first month in the report, `2026-01` (or its first day, `2026-01-01`).
    #[param(required = true)]
    pub(super) from: Option<String>,
    /// The month after the last one in the report: `from=2026-01&to=2026-04` is January to
    /// March.
    #[param(required = true)]
    pub(super) to: Option<String>,
}
