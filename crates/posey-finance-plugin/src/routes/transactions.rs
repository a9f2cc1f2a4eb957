//! `/v1/finance/transactions`: a person's transactions, filtered and paged, recorded as one
//! amount against a category or another account (or as splits), changed (categorising is
//! changing `category_id` alone), and deleted. A reconciled transaction changes only when the
//! change says `confirm_reconciled`.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use posey_domain::FinanceTransactionId;
use posey_http::auth::Person;
use posey_http::{ApiError, AppJson, PathId, Query};
use posey_plugin::responses::{BadInput, NeedsPerson};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::entry::{self, LegFields, STATUSES, SplitFields, status, tags, text};
use super::shared::{NoSuchTransaction, Refused, RouteState, today};
use crate::db::transactions::{self, Filter, Transaction};
use crate::error::FinanceError;
use crate::service::{self, Entry, Legs};

pub fn router() -> OpenApiRouter<RouteState> {
    OpenApiRouter::new().routes(routes!(list_transactions, create_transaction)).routes(routes!(
        get_transaction,
        update_transaction,
        delete_transaction
    ))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct ListParams {
    /// Only those moving money in or out of this account.
    account_id: Option<Uuid>,
    /// Only those in this category or one under it.
    category_id: Option<Uuid>,
    payee_id: Option<Uuid>,
    /// Words in the payee, description or notes.
    q: Option<String>,
    /// From this day on.
    from: Option<NaiveDate>,
    /// Before this day.
    to: Option<NaiveDate>,
    tag: Option<String>,
    /// `uncleared`, `cleared` or `reconciled`.
    status: Option<String>,
    import_id: Option<Uuid>,
    /// Only those not categorised yet.
    uncategorised: Option<bool>,
    /// 1 to 500, default 100.
    limit: Option<i64>,
    offset: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
struct TransactionList {
    transactions: Vec<Transaction>,
}

/// The person's transactions, newest first
#[utoipa::path(get, path = "/v1/finance/transactions", tag = "finance", operation_id = "listTransactions",
    security(("bearer" = [])), params(ListParams),
    responses((status = 200, description = "The transactions", body = TransactionList), BadInput, NeedsPerson))]
async fn list_transactions(
    State(state): State<RouteState>,
    Person(person): Person,
    Query(params): Query<ListParams>,
) -> Result<Json<TransactionList>, ApiError> {
    let limit = params.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be 1 to 500"));
    }
    let offset = params.offset.unwrap_or(0);
    if offset < 0 {
        return Err(ApiError::invalid("offset", "must not be negative"));
    }
    if let Some(status) = &params.status
        && !STATUSES.contains(&status.as_str())
    {
        return Err(ApiError::invalid("status", "must be uncleared, cleared or reconciled"));
    }
    let filter = Filter {
        account_id: params.account_id,
        category_id: params.category_id,
        payee_id: params.payee_id,
        text: params.q.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty()),
        from: params.from,
        to: params.to,
        tag: params.tag,
        status: params.status,
        import_id: params.import_id,
        uncategorised: params.uncategorised.unwrap_or(false),
        limit,
        offset,
    };
    let mut db = state.db().acquire().await.map_err(FinanceError::from)?;
    let transactions =
        transactions::list(&mut db, person, &filter).await.map_err(FinanceError::from)?;
    Ok(Json(TransactionList { transactions }))
}

/// A transaction as a person writes it: either `account_id` and `amount` (against
/// `category_id`, or `transfer_account_id`, or neither: uncategorised), or `currency` and
/// `splits`.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct TransactionFields {
    /// Default today (in the person's zone).
    date: Option<NaiveDate>,
    #[schema(value_type = Option<String>)]
    #[serde(default, deserialize_with = "posey_http::json::nullable")]
    payee: Option<Option<String>>,
    #[schema(value_type = Option<String>)]
    #[serde(default, deserialize_with = "posey_http::json::nullable")]
    description: Option<Option<String>>,
    #[schema(value_type = Option<String>)]
    #[serde(default, deserialize_with = "posey_http::json::nullable")]
    notes: Option<Option<String>>,
    tags: Option<Vec<String>>,
    /// `uncleared` (default), `cleared` or `reconciled`.
    status: Option<String>,
    /// The account money comes into (positive `amount`) or goes out of (negative).
    account_id: Option<Uuid>,
    /// In the account's currency, exact to its minor units: a string like `-12.50`.
    #[schema(value_type = Option<String>)]
    amount: Option<Decimal>,
    /// What it was spent on or earned from.
    category_id: Option<Uuid>,
    /// The person's other account, for a transfer.
    transfer_account_id: Option<Uuid>,
    /// What the other account moves, in its currency, when that is not the first's.
    #[schema(value_type = Option<String>)]
    transfer_amount: Option<Decimal>,
    /// With `splits`: the currency their values balance in.
    currency: Option<String>,
    splits: Option<Vec<SplitFields>>,
    /// Changing or deleting a reconciled transaction: say so.
    confirm_reconciled: Option<bool>,
}

impl TransactionFields {
    /// The legs the fields give, if they give any (`splits` and `currency` taken out).
    fn legs(&mut self) -> Result<Option<Legs>, ApiError> {
        entry::legs(LegFields {
            account_id: self.account_id,
            amount: self.amount,
            category_id: self.category_id,
            transfer_account_id: self.transfer_account_id,
            transfer_amount: self.transfer_amount,
            currency: self.currency.take(),
            splits: self.splits.take(),
        })
    }
}

/// Record a transaction
#[utoipa::path(post, path = "/v1/finance/transactions", tag = "finance", operation_id = "createTransaction",
    security(("bearer" = [])), request_body = TransactionFields,
    responses((status = 201, description = "The transaction", body = Transaction), BadInput, NeedsPerson))]
async fn create_transaction(
    State(state): State<RouteState>,
    Person(person): Person,
    AppJson(mut fields): AppJson<TransactionFields>,
) -> Result<(StatusCode, Json<Transaction>), ApiError> {
    let legs = fields.legs()?.ok_or_else(|| {
        ApiError::invalid("amount", "give account_id and amount, or currency and splits")
    })?;
    let date = match fields.date {
        Some(date) => date,
        None => today(&state, person).await?,
    };
    let entry = Entry {
        date,
        payee: text("payee", fields.payee.flatten(), 200)?,
        description: text("description", fields.description.flatten(), 2000)?,
        notes: text("notes", fields.notes.flatten(), 10_000)?,
        tags: tags(fields.tags.unwrap_or_default())?,
        status: status(fields.status, "uncleared")?,
        legs,
    };
    let mut tx = state.db().begin().await.map_err(FinanceError::from)?;
    let transaction = service::create(&mut tx, person, entry).await?;
    tx.commit().await.map_err(FinanceError::from)?;
    Ok((StatusCode::CREATED, Json(transaction)))
}

async fn find(state: &RouteState, person: Uuid, id: Uuid) -> Result<Transaction, ApiError> {
    let mut db = state.db().acquire().await.map_err(FinanceError::from)?;
    transactions::find(&mut db, person, id)
        .await
        .map_err(FinanceError::from)?
        .ok_or_else(|| ApiError::NotFound("no such transaction".into()))
}

/// A transaction with its splits
#[utoipa::path(get, path = "/v1/finance/transactions/{id}", tag = "finance", operation_id = "getTransaction",
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "The transaction", body = Transaction), NoSuchTransaction, NeedsPerson))]
async fn get_transaction(
    State(state): State<RouteState>,
    Person(person): Person,
    PathId(id, _): PathId<FinanceTransactionId>,
) -> Result<Json<Transaction>, ApiError> {
    Ok(Json(find(&state, person, id.as_uuid()).await?))
}

/// Change a transaction
///
/// Fields left out stay. `category_id` alone categorises (moves its one category split);
/// `account_id` with `amount`, or `currency` with `splits`, replace its splits.
#[utoipa::path(patch, path = "/v1/finance/transactions/{id}", tag = "finance", operation_id = "updateTransaction",
    security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = TransactionFields,
    responses((status = 200, description = "The transaction", body = Transaction), NoSuchTransaction, BadInput, Refused, NeedsPerson))]
async fn update_transaction(
    State(state): State<RouteState>,
    Person(person): Person,
    PathId(id, _): PathId<FinanceTransactionId>,
    AppJson(mut fields): AppJson<TransactionFields>,
) -> Result<Json<Transaction>, ApiError> {
    let current = find(&state, person, id.as_uuid()).await?;
    let confirm = fields.confirm_reconciled.unwrap_or(false);
    let legs = fields.legs()?;
    let mut tx = state.db().begin().await.map_err(FinanceError::from)?;
    let mut entry = service::entry_of(&current);
    match (legs, fields.category_id) {
        (Some(legs), _) => entry.legs = legs,
        (None, Some(category)) => {
            let categorised =
                service::categorise(&mut tx, person, current.id, category, confirm).await?;
            entry = service::entry_of(&categorised);
        }
        (None, None) => {}
    }
    if let Some(date) = fields.date {
        entry.date = date;
    }
    if let Some(payee) = fields.payee {
        entry.payee = text("payee", payee, 200)?;
    }
    if let Some(description) = fields.description {
        entry.description = text("description", description, 2000)?;
    }
    if let Some(notes) = fields.notes {
        entry.notes = text("notes", notes, 10_000)?;
    }
    if let Some(given) = fields.tags {
        entry.tags = tags(given)?;
    }
    if fields.status.is_some() {
        entry.status = status(fields.status, "uncleared")?;
    }
    let transaction = service::replace(&mut tx, person, current.id, entry, confirm).await?;
    tx.commit().await.map_err(FinanceError::from)?;
    Ok(Json(transaction))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct DeleteParams {
    /// Deleting a reconciled transaction: say so.
    confirm_reconciled: Option<bool>,
}

/// Delete a transaction
#[utoipa::path(delete, path = "/v1/finance/transactions/{id}", tag = "finance", operation_id = "deleteTransaction",
    security(("bearer" = [])), params(("id" = Uuid, Path), DeleteParams),
    responses((status = 204, description = "Deleted"), NoSuchTransaction, Refused, NeedsPerson))]
async fn delete_transaction(
    State(state): State<RouteState>,
    Person(person): Person,
    PathId(id, _): PathId<FinanceTransactionId>,
    Query(params): Query<DeleteParams>,
) -> Result<StatusCode, ApiError> {
    let mut tx = state.db().begin().await.map_err(FinanceError::from)?;
    if params.confirm_reconciled.unwrap_or(false) {
        transactions::allow_reconciled_changes(&mut tx).await.map_err(FinanceError::from)?;
    }
    if !transactions::delete(&mut tx, person, id.as_uuid()).await.map_err(FinanceError::from)? {
        return Err(ApiError::NotFound("no such transaction".into()));
    }
    tx.commit().await.map_err(FinanceError::from)?;
    Ok(StatusCode::NO_CONTENT)
}
