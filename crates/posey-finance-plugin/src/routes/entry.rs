//! The fields every route that writes a transaction (or a recurring one) reads the same way:
//! where its money goes, trimmed texts, tags and status.

use chrono::NaiveDate;
use posey_http::ApiError;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::service::{Legs, SplitEntry};

/// A transaction's status.
pub const STATUSES: &[&str] = &["uncleared", "cleared", "reconciled"];

/// One split as a person gives it.
#[derive(Debug, Clone, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SplitFields {
    pub account_id: Uuid,
    /// In the account's currency (a category's: the transaction's), debit positive.
    #[schema(value_type = String)]
    pub amount: Decimal,
    /// In the transaction's currency, for a split in another.
    #[schema(value_type = Option<String>)]
    pub value: Option<Decimal>,
    /// When the rate was taken.
    pub rate_date: Option<NaiveDate>,
    pub memo: Option<String>,
}

impl From<SplitEntry> for SplitFields {
    fn from(split: SplitEntry) -> Self {
        Self {
            account_id: split.account_id,
            amount: split.amount,
            value: split.value,
            rate_date: split.rate_date,
            memo: split.memo,
        }
    }
}

/// The fields that say where a transaction's money goes: `account_id` and `amount` (against
/// `category_id`, `transfer_account_id`, or neither), or `currency` and `splits`.
#[derive(Debug, Default)]
pub struct LegFields {
    pub account_id: Option<Uuid>,
    pub amount: Option<Decimal>,
    pub category_id: Option<Uuid>,
    pub transfer_account_id: Option<Uuid>,
    pub transfer_amount: Option<Decimal>,
    pub currency: Option<String>,
    pub splits: Option<Vec<SplitFields>>,
}

pub fn text(field: &str, value: Option<String>, max: usize) -> Result<Option<String>, ApiError> {
    match value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) {
        Some(v) if v.chars().count() > max => {
            Err(ApiError::invalid(field, format!("must be at most {max} characters")))
        }
        other => Ok(other),
    }
}

pub fn tags(value: Vec<String>) -> Result<Vec<String>, ApiError> {
    let mut kept: Vec<String> = Vec::new();
    for tag in value {
        let tag = tag.trim().to_owned();
        if tag.is_empty()
            || tag.chars().count() > 50
            || tag.contains(|c: char| c.is_control() || c == ',')
        {
            return Err(ApiError::invalid(
                "tags",
                format!("{tag:?}: a tag is 1 to 50 characters, no commas"),
            ));
        }
        if !kept.contains(&tag) {
            kept.push(tag);
        }
    }
    if kept.len() > 20 {
        return Err(ApiError::invalid("tags", "at most 20 tags"));
    }
    Ok(kept)
}

pub fn status(value: Option<String>, default: &str) -> Result<String, ApiError> {
    let value = value.unwrap_or_else(|| default.to_owned());
    if STATUSES.contains(&value.as_str()) {
        Ok(value)
    } else {
        Err(ApiError::invalid("status", "must be uncleared, cleared or reconciled"))
    }
}

/// The legs `fields` give, if they give any.
pub fn legs(fields: LegFields) -> Result<Option<Legs>, ApiError> {
    let simple = fields.account_id.is_some()
        || fields.amount.is_some()
        || fields.transfer_account_id.is_some();
    match (simple, fields.splits) {
        (true, Some(_)) => Err(ApiError::invalid(
            "splits",
            "give account_id and amount, or currency and splits, not both",
        )),
        (true, None) => {
            let account_id = fields
                .account_id
                .ok_or_else(|| ApiError::invalid("account_id", "is required with amount"))?;
            let amount = fields
                .amount
                .ok_or_else(|| ApiError::invalid("amount", "is required with account_id"))?;
            Ok(Some(Legs::Simple {
                account_id,
                amount,
                category_id: fields.category_id,
                transfer_account_id: fields.transfer_account_id,
                transfer_amount: fields.transfer_amount,
            }))
        }
        (false, Some(splits)) => {
            let currency = fields
                .currency
                .ok_or_else(|| ApiError::invalid("currency", "is required with splits"))?;
            Ok(Some(Legs::Splits {
                currency,
                splits: splits
                    .into_iter()
                    .map(|s| SplitEntry {
                        account_id: s.account_id,
                        amount: s.amount,
                        value: s.value,
                        rate_date: s.rate_date,
                        memo: s.memo,
                    })
                    .collect(),
            }))
        }
        (false, None) => Ok(None),
    }
}
