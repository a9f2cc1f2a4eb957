//! What the plugin's writes can refuse, with the database's constraints named: a duplicate
//! name is a conflict, unbalanced splits are invalid input, a reconciled transaction is
//! protected. Every route and tool turns these into its own answer.

use posey_http::ApiError;

#[derive(Debug, thiserror::Error)]
pub enum FinanceError {
    #[error("{0}")]
    NotFound(String),
    /// Input that cannot be: HTTP 422, naming the field.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// It exists already, or its state forbids it (reconciled, in use): HTTP 409.
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl FinanceError {
    pub fn invalid(field: impl Into<String>, message: impl std::fmt::Display) -> Self {
        Self::Invalid { field: field.into(), message: message.to_string() }
    }

    pub fn not_found(what: &str) -> Self {
        Self::NotFound(format!("no such {what}"))
    }
}

impl From<sqlx::Error> for FinanceError {
    fn from(error: sqlx::Error) -> Self {
        let constraint = error.as_database_error().and_then(|e| e.constraint()).map(str::to_owned);
        match constraint.as_deref() {
            Some("accounts_name") => Self::Conflict("an account with this name exists".into()),
            Some("categories_name") => {
                Self::Conflict("a category with this name exists under the same parent".into())
            }
            Some("csv_mappings_name") => {
                Self::Conflict("a CSV mapping with this name exists".into())
            }
            Some("splits_balance") => Self::invalid(
                "splits",
                "the splits' values must add up to zero in the transaction's currency",
            ),
            Some("splits_agree") => Self::invalid(
                "splits",
                "each split must be in its account's currency (a category's: the transaction's)",
            ),
            Some("transactions_reconciled") => Self::Conflict(
                "the transaction is reconciled; send confirm_reconciled: true to change it".into(),
            ),
            Some("transactions_recurring") => Self::Conflict(
                "its recurring transaction has a transaction on this date already".into(),
            ),
            Some("splits_account_id_fkey") => Self::Conflict(
                "the account has transactions: close it instead, or delete them first".into(),
            ),
            Some("accounts_parent_id_fkey") => {
                Self::Conflict("the category has categories under it".into())
            }
            _ => Self::Internal(error.into()),
        }
    }
}

impl From<FinanceError> for ApiError {
    fn from(error: FinanceError) -> Self {
        match error {
            FinanceError::NotFound(message) => ApiError::NotFound(message),
            FinanceError::Invalid { field, message } => ApiError::invalid(field, message),
            FinanceError::Conflict(message) => ApiError::Conflict(message),
            FinanceError::Internal(error) => ApiError::Internal(error),
        }
    }
}

impl From<posey_finance::MoneyError> for FinanceError {
    fn from(error: posey_finance::MoneyError) -> Self {
        Self::invalid("amount", error)
    }
}
