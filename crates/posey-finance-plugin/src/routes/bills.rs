//! `/v1/finance/bills`: what a person expects to pay again and again (rent, subscriptions),
//! kept as posey-finance's `bills::Bill`: list, add, change, delete. Which payments paid them
//! is the upcoming-bills report's. Someone else's bill is a 404.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use posey_domain::FinanceBillId;
use posey_finance::bills::{Bill, BillError, Cadence};
use posey_finance::{Currency, Money};
use posey_http::auth::Person;
use posey_http::{ApiError, AppJson, PathId};
use posey_plugin::responses::{BadInput, NeedsPerson};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::shared::{RouteState, name};
use crate::db::bills::{self, BillRow};
use crate::error::FinanceError;

posey_http::error_responses! { schema = "Error";
    /// A route taking a bill's id.
    NoSuchBill {
        "404" => "No such bill of this person",
    }
}

pub fn router() -> OpenApiRouter<RouteState> {
    OpenApiRouter::new()
        .routes(routes!(list_bills, create_bill))
        .routes(routes!(update_bill, delete_bill))
}

/// A bill, as the API shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct BillView {
    id: Uuid,
    name: String,
    /// Text the paying transaction's payee contains (any letter case); empty: any payee.
    payee_contains: String,
    /// The expected payment, signed as the account sees it (a bill paid is negative).
    #[schema(value_type = String, example = "-49.99")]
    amount: Decimal,
    /// How far a payment may be from `amount` and still pay the bill.
    #[schema(value_type = String, example = "5.00")]
    tolerance: Decimal,
    cadence: Cadence,
    /// The first due date, from which the others are counted.
    starts: NaiveDate,
    /// The last day it can fall due.
    #[schema(required = true)]
    ends: Option<NaiveDate>,
    /// The account it is paid from; `null`: any of the person's accounts in `currency`.
    #[schema(required = true)]
    account_id: Option<Uuid>,
    currency: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn view(row: BillRow) -> BillView {
    let bill = row.bill.0;
    BillView {
        id: row.id,
        name: bill.name,
        payee_contains: bill.payee_contains,
        amount: crate::db::exact(bill.amount, &row.currency),
        tolerance: crate::db::exact(bill.tolerance, &row.currency),
        cadence: bill.cadence,
        starts: bill.starts,
        ends: bill.ends,
        account_id: row.account_id,
        currency: row.currency,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct BillList {
    bills: Vec<BillView>,
}

/// The person's bills, by name
#[utoipa::path(get, path = "/v1/finance/bills", tag = "finance", operation_id = "listBills",
    security(("bearer" = [])),
    responses((status = 200, description = "The bills", body = BillList), NeedsPerson))]
async fn list_bills(
    State(state): State<RouteState>,
    Person(person): Person,
) -> Result<Json<BillList>, ApiError> {
    Ok(Json(bill_list(state.db(), person).await?))
}

/// The person's bills as their list shows them (and their export).
pub(super) async fn bill_list(db: &sqlx::PgPool, person: Uuid) -> Result<BillList, FinanceError> {
    let rows = bills::list(db, person).await?;
    Ok(BillList { bills: rows.into_iter().map(view).collect() })
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewBill {
    #[schema(min_length = 1, max_length = 200)]
    name: String,
    /// Default empty: any payee.
    payee_contains: Option<String>,
    /// Exact at the currency's minor units; a payment is negative.
    #[schema(value_type = String, example = "-49.99")]
    amount: Decimal,
    /// Default 0: the exact amount.
    #[schema(value_type = Option<String>, example = "5.00")]
    tolerance: Option<Decimal>,
    /// `{"months": 1}`, `{"weeks": 2}`, `{"days": 10}`, `{"years": 1}`.
    cadence: Cadence,
    starts: NaiveDate,
    ends: Option<NaiveDate>,
    /// The account it is paid from (its currency is the bill's).
    account_id: Option<Uuid>,
    /// ISO 4217; default the account's, else the person's currency.
    currency: Option<String>,
}

/// A bill's fields checked: the account is the person's, the currency agrees with it, the
/// amounts are exact in it, and `Bill::check` passes. The account and the currency.
async fn checked(
    state: &RouteState,
    person: Uuid,
    bill: &mut Bill,
    account: Option<Uuid>,
    currency: Option<String>,
) -> Result<(Option<Uuid>, Currency), ApiError> {
    let account_currency = match account {
        Some(id) => {
            let found = crate::db::accounts::find(state.db(), person, id)
                .await
                .map_err(FinanceError::from)?
                .filter(|a| matches!(a.kind.as_str(), "asset" | "liability"))
                .ok_or_else(|| ApiError::invalid("account_id", "no such account"))?;
            found.currency
        }
        None => None,
    };
    let given = currency
        .map(|code| {
            Currency::parse(&code).map_err(|e| ApiError::invalid("currency", e.to_string()))
        })
        .transpose()?;
    let currency = match (given, account_currency) {
        (Some(given), Some(own)) if given.code() != own => {
            return Err(ApiError::invalid(
                "currency",
                format!("the account is in {own}: a bill paid from it is too"),
            ));
        }
        (Some(given), _) => given,
        (None, Some(own)) => {
            Currency::parse(&own).map_err(|e| ApiError::Internal(anyhow::anyhow!(e)))?
        }
        (None, None) => {
            let chosen =
                crate::db::currency(state.db(), person).await.map_err(FinanceError::from)?;
            let code = chosen.ok_or_else(|| ApiError::invalid("currency", "is required"))?;
            Currency::parse(&code).map_err(|e| ApiError::Internal(anyhow::anyhow!(e)))?
        }
    };
    bill.amount = Money::new(bill.amount, currency)
        .map_err(|e| ApiError::invalid("amount", e.to_string()))?
        .amount();
    bill.tolerance = Money::new(bill.tolerance, currency)
        .map_err(|e| ApiError::invalid("tolerance", e.to_string()))?
        .amount();
    bill.name = name("name", &bill.name)?;
    bill.payee_contains = bill.payee_contains.trim().to_owned();
    if bill.payee_contains.chars().count() > 200 {
        return Err(ApiError::invalid("payee_contains", "must be at most 200 characters"));
    }
    bill.check().map_err(|error| {
        let field = match error {
            BillError::NoName => "name",
            BillError::ZeroCadence => "cadence",
            BillError::NegativeTolerance(_) => "tolerance",
            BillError::EndsBeforeStart { .. } => "ends",
        };
        ApiError::invalid(field, error.to_string())
    })?;
    Ok((account, currency))
}

/// Add a bill
#[utoipa::path(post, path = "/v1/finance/bills", tag = "finance", operation_id = "createBill",
    security(("bearer" = [])), request_body = NewBill,
    responses((status = 201, description = "The bill", body = BillView), BadInput, NeedsPerson))]
async fn create_bill(
    State(state): State<RouteState>,
    Person(person): Person,
    AppJson(fields): AppJson<NewBill>,
) -> Result<(StatusCode, Json<BillView>), ApiError> {
    let mut bill = Bill {
        name: fields.name,
        payee_contains: fields.payee_contains.unwrap_or_default(),
        amount: fields.amount,
        tolerance: fields.tolerance.unwrap_or_default(),
        cadence: fields.cadence,
        starts: fields.starts,
        ends: fields.ends,
    };
    let (account, currency) =
        checked(&state, person, &mut bill, fields.account_id, fields.currency).await?;
    let id = bills::insert(state.db(), person, account, currency.code(), &bill)
        .await
        .map_err(FinanceError::from)?;
    Ok((StatusCode::CREATED, Json(find(&state, person, id).await?)))
}

async fn find(state: &RouteState, person: Uuid, id: Uuid) -> Result<BillView, ApiError> {
    find_row(state, person, id).await.map(view)
}

async fn find_row(state: &RouteState, person: Uuid, id: Uuid) -> Result<BillRow, ApiError> {
    bills::find(state.db(), person, id)
        .await
        .map_err(FinanceError::from)?
        .ok_or_else(|| ApiError::NotFound("no such bill".into()))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct BillFields {
    name: Option<String>,
    payee_contains: Option<String>,
    #[schema(value_type = Option<String>)]
    amount: Option<Decimal>,
    #[schema(value_type = Option<String>)]
    tolerance: Option<Decimal>,
    cadence: Option<Cadence>,
    starts: Option<NaiveDate>,
    /// `null`: no end.
    #[schema(value_type = Option<NaiveDate>)]
    #[serde(default, deserialize_with = "posey_http::json::nullable")]
    ends: Option<Option<NaiveDate>>,
    /// `null`: paid from any account in the bill's currency.
    #[schema(value_type = Option<Uuid>)]
    #[serde(default, deserialize_with = "posey_http::json::nullable")]
    account_id: Option<Option<Uuid>>,
    currency: Option<String>,
}

/// Change a bill (fields left out stay)
#[utoipa::path(patch, path = "/v1/finance/bills/{id}", tag = "finance", operation_id = "updateBill",
    security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = BillFields,
    responses((status = 200, description = "The bill", body = BillView), NoSuchBill, BadInput, NeedsPerson))]
async fn update_bill(
    State(state): State<RouteState>,
    Person(person): Person,
    PathId(id, _): PathId<FinanceBillId>,
    AppJson(fields): AppJson<BillFields>,
) -> Result<Json<BillView>, ApiError> {
    let row = find_row(&state, person, id.as_uuid()).await?;
    let mut bill = row.bill.0;
    if let Some(name) = fields.name {
        bill.name = name;
    }
    if let Some(payee) = fields.payee_contains {
        bill.payee_contains = payee;
    }
    if let Some(amount) = fields.amount {
        bill.amount = amount;
    }
    if let Some(tolerance) = fields.tolerance {
        bill.tolerance = tolerance;
    }
    if let Some(cadence) = fields.cadence {
        bill.cadence = cadence;
    }
    if let Some(starts) = fields.starts {
        bill.starts = starts;
    }
    if let Some(ends) = fields.ends {
        bill.ends = ends;
    }
    let account = fields.account_id.unwrap_or(row.account_id);
    // A new account brings its currency unless one is given; else the bill keeps its own.
    let currency = match (&fields.currency, fields.account_id) {
        (Some(code), _) => Some(code.clone()),
        (None, Some(Some(_))) => None,
        (None, _) => Some(row.currency.clone()),
    };
    let (account, currency) = checked(&state, person, &mut bill, account, currency).await?;
    bills::update(state.db(), person, row.id, account, currency.code(), &bill)
        .await
        .map_err(FinanceError::from)?;
    Ok(Json(find(&state, person, row.id).await?))
}

/// Delete a bill
#[utoipa::path(delete, path = "/v1/finance/bills/{id}", tag = "finance", operation_id = "deleteBill",
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted"), NoSuchBill, NeedsPerson))]
async fn delete_bill(
    State(state): State<RouteState>,
    Person(person): Person,
    PathId(id, _): PathId<FinanceBillId>,
) -> Result<StatusCode, ApiError> {
    if !bills::delete(state.db(), person, id.as_uuid()).await.map_err(FinanceError::from)? {
        return Err(ApiError::NotFound("no such bill".into()));
    }
    Ok(StatusCode::NO_CONTENT)
}
