//! `/v1/finance/export.csv` and `/v1/finance/export.journal`: everything a person's books hold,
//! to take away: every split as a CSV row, and the books as an hledger journal (account tree
//! names, opening balances, transactions). Both are built in memory and sent whole: one read
//! of the splits, so the file is one consistent state of the books.

use std::collections::HashMap;

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use posey_http::ApiError;
use posey_http::auth::Person;
use posey_plugin::responses::NeedsPerson;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::shared::RouteState;
use crate::db::reports::{self, AccountPath};
use crate::error::FinanceError;

pub fn router() -> OpenApiRouter<RouteState> {
    OpenApiRouter::new().routes(routes!(export_csv)).routes(routes!(export_journal))
}

fn file(content_type: &str, name: &str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        body,
    )
        .into_response()
}

/// An account's names joined as one: `Food:Groceries`.
fn full_name(path: &[String]) -> String {
    path.join(":")
}

/// Every split as a CSV row
///
/// One row per split (RFC 4180): `date, transaction_id, payee, description, account,
/// account_kind, amount, currency, value, transaction_currency, status, tags`. `account` is
/// the account's or category's name under its parents (`Food:Groceries`); `amount` is in the
/// account's `currency`, debit positive, `value` in the transaction's; `tags` are joined by
/// commas.
#[utoipa::path(get, path = "/v1/finance/export.csv", tag = "finance", operation_id = "exportFinanceCsv",
    security(("bearer" = [])),
    responses((status = 200, description = "The splits as CSV", content_type = "text/csv", body = String), NeedsPerson))]
async fn export_csv(
    State(state): State<RouteState>,
    Person(person): Person,
) -> Result<Response, ApiError> {
    let accounts = reports::account_paths(state.db(), person).await.map_err(FinanceError::from)?;
    let splits = reports::export_splits(state.db(), person).await.map_err(FinanceError::from)?;
    let by_id: HashMap<Uuid, &AccountPath> = accounts.iter().map(|a| (a.id, a)).collect();
    let mut out = csv::Writer::from_writer(Vec::with_capacity(splits.len() * 120));
    let failed = |e: csv::Error| ApiError::Internal(anyhow::anyhow!(e).context("writing the CSV"));
    out.write_record([
        "date",
        "transaction_id",
        "payee",
        "description",
        "account",
        "account_kind",
        "amount",
        "currency",
        "value",
        "transaction_currency",
        "status",
        "tags",
    ])
    .map_err(failed)?;
    for split in &splits {
        let account = by_id.get(&split.account_id);
        out.write_record([
            split.date.to_string(),
            split.transaction_id.to_string(),
            split.payee.clone().unwrap_or_default(),
            split.description.clone().unwrap_or_default(),
            account.map(|a| full_name(&a.path)).unwrap_or_default(),
            account.map(|a| a.kind.clone()).unwrap_or_default(),
            split.amount.to_string(),
            split.currency.clone(),
            split.value.to_string(),
            split.transaction_currency.clone(),
            split.status.clone(),
            split.tags.join(","),
        ])
        .map_err(failed)?;
    }
    let body = out.into_inner().map_err(|e| failed(e.into_error().into()))?;
    Ok(file("text/csv; charset=utf-8", "posey-finance.csv", body))
}

/// The books as an hledger journal
///
/// Readable by hledger (and mostly ledger): `hledger -f posey.journal bal` gives the balances
/// Posey shows. Accounts are named by kind and their tree (`expenses:Food:Groceries`); an
/// account's opening balance is written against `equity:opening balances`.
#[utoipa::path(get, path = "/v1/finance/export.journal", tag = "finance", operation_id = "exportFinanceJournal",
    security(("bearer" = [])),
    responses((status = 200, description = "The hledger journal", content_type = "text/plain", body = String), NeedsPerson))]
async fn export_journal(
    State(state): State<RouteState>,
    Person(person): Person,
) -> Result<Response, ApiError> {
    let text = reports::journal(state.db(), person)
        .await
        .map_err(|e| ApiError::Internal(e.context("writing the journal")))?;
    Ok(file("text/plain; charset=utf-8", "posey-finance.journal", text.into_bytes()))
}
