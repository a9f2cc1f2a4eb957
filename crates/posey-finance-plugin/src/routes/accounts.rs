//! `/v1/finance/accounts`: a person's bank accounts, cards and loans (list with balances, open
//! with an opening balance, change, close, delete one never used), reconciling one against a
//! statement; the person's currency (`/v1/finance/settings`) and payees. Someone else's
//! account is a 404.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use posey_domain::FinanceAccountId;
use posey_finance::{Currency, Money};
use posey_http::auth::Person;
use posey_http::{ApiError, AppJson, PathId};
use posey_plugin::responses::{BadInput, NeedsPerson};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::shared::{NoSuchAccount, Refused, RouteState, name, today};
use crate::db::accounts::{self, Account, AccountChange, Kinds, NewAccount, Payee};
use crate::error::FinanceError;
use crate::service::{self, Entry, Legs, Reconciled};

pub fn router() -> OpenApiRouter<RouteState> {
    OpenApiRouter::new()
        .routes(routes!(get_settings, put_settings))
        .routes(routes!(list_accounts, create_account))
        .routes(routes!(get_account, update_account, delete_account))
        .routes(routes!(reconcile_account))
        .routes(routes!(list_payees))
}

/// The person's finance settings.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct Settings {
    /// The ISO 4217 currency budgets and totals are in; `null` until chosen (the first
    /// account's currency is chosen when the person has none).
    #[schema(required = true)]
    currency: Option<String>,
}

/// The person's finance settings
#[utoipa::path(get, path = "/v1/finance/settings", tag = "finance", operation_id = "getFinanceSettings",
    security(("bearer" = [])),
    responses((status = 200, description = "The settings", body = Settings), NeedsPerson))]
async fn get_settings(
    State(state): State<RouteState>,
    Person(person): Person,
) -> Result<Json<Settings>, ApiError> {
    Ok(Json(settings(state.db(), person).await?))
}

/// The person's settings as their route shows them (and their export).
pub(super) async fn settings(db: &sqlx::PgPool, person: Uuid) -> Result<Settings, FinanceError> {
    Ok(Settings { currency: crate::db::currency(db, person).await? })
}

/// Choose the currency budgets and totals are in
#[utoipa::path(put, path = "/v1/finance/settings", tag = "finance", operation_id = "putFinanceSettings",
    security(("bearer" = [])), request_body = Settings,
    responses((status = 200, description = "The settings", body = Settings), BadInput, NeedsPerson))]
async fn put_settings(
    State(state): State<RouteState>,
    Person(person): Person,
    AppJson(settings): AppJson<Settings>,
) -> Result<Json<Settings>, ApiError> {
    let code = settings.currency.ok_or_else(|| ApiError::invalid("currency", "is required"))?;
    let currency =
        Currency::parse(&code).map_err(|e| ApiError::invalid("currency", e.to_string()))?;
    crate::db::set_currency(state.db(), person, currency.code())
        .await
        .map_err(FinanceError::from)?;
    Ok(Json(Settings { currency: Some(currency.code().to_owned()) }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct AccountList {
    accounts: Vec<Account>,
}

/// The person's accounts with their balances
#[utoipa::path(get, path = "/v1/finance/accounts", tag = "finance", operation_id = "listFinanceAccounts",
    security(("bearer" = [])),
    responses((status = 200, description = "Asset and liability accounts", body = AccountList), NeedsPerson))]
async fn list_accounts(
    State(state): State<RouteState>,
    Person(person): Person,
) -> Result<Json<AccountList>, ApiError> {
    Ok(Json(account_list(state.db(), person).await?))
}

/// The person's accounts as their list shows them (and their export).
pub(super) async fn account_list(
    db: &sqlx::PgPool,
    person: Uuid,
) -> Result<AccountList, FinanceError> {
    Ok(AccountList { accounts: accounts::list(db, person, Kinds::Accounts).await? })
}

const SUBTYPES: &[(&str, &str)] = &[
    ("asset", "checking"),
    ("asset", "savings"),
    ("asset", "cash"),
    ("asset", "investment"),
    ("asset", "other"),
    ("liability", "credit_card"),
    ("liability", "loan"),
    ("liability", "mortgage"),
    ("liability", "other"),
];

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewAccountFields {
    #[schema(min_length = 1, max_length = 200)]
    name: String,
    /// `asset` or `liability`.
    kind: String,
    /// `checking`, `savings`, `cash`, `investment`, `other` (assets); `credit_card`, `loan`,
    /// `mortgage`, `other` (liabilities).
    subtype: Option<String>,
    /// ISO 4217, e.g. `EUR`.
    currency: String,
    /// Default true.
    on_budget: Option<bool>,
    /// IBAN or account number, as bank files give it.
    number: Option<String>,
    bank_id: Option<String>,
    /// What the account held (debit positive: a card's or loan's debt is negative) on
    /// `opening_date` (default today).
    #[schema(value_type = Option<String>)]
    opening_balance: Option<Decimal>,
    opening_date: Option<NaiveDate>,
}

fn identifier(field: &str, value: Option<String>) -> Result<Option<String>, ApiError> {
    match value.map(|v| v.trim().replace(' ', "")) {
        Some(v) if v.is_empty() => Ok(None),
        Some(v) if v.chars().count() > 64 => {
            Err(ApiError::invalid(field, "must be at most 64 characters"))
        }
        other => Ok(other),
    }
}

fn check_subtype(kind: &str, subtype: Option<&str>) -> Result<(), ApiError> {
    match subtype {
        Some(subtype) if !SUBTYPES.contains(&(kind, subtype)) => Err(ApiError::invalid(
            "subtype",
            format!("{subtype:?} is not a kind of {kind} account"),
        )),
        _ => Ok(()),
    }
}

/// Open an account, with its opening balance
#[utoipa::path(post, path = "/v1/finance/accounts", tag = "finance", operation_id = "createFinanceAccount",
    security(("bearer" = [])), request_body = NewAccountFields,
    responses((status = 201, description = "The account", body = Account), BadInput, Refused, NeedsPerson))]
async fn create_account(
    State(state): State<RouteState>,
    Person(person): Person,
    AppJson(fields): AppJson<NewAccountFields>,
) -> Result<(StatusCode, Json<Account>), ApiError> {
    let name = name("name", &fields.name)?;
    if !matches!(fields.kind.as_str(), "asset" | "liability") {
        return Err(ApiError::invalid(
            "kind",
            "must be asset or liability (categories are at /v1/finance/categories)",
        ));
    }
    check_subtype(&fields.kind, fields.subtype.as_deref())?;
    let currency = Currency::parse(&fields.currency)
        .map_err(|e| ApiError::invalid("currency", e.to_string()))?;
    let opening = fields
        .opening_balance
        .map(|amount| Money::new(amount, currency))
        .transpose()
        .map_err(|e| ApiError::invalid("opening_balance", e.to_string()))?;
    let date = match fields.opening_date {
        Some(date) => date,
        None => today(&state, person).await?,
    };
    let new = NewAccount {
        kind: fields.kind,
        subtype: fields.subtype,
        name,
        currency: Some(currency.code().to_owned()),
        on_budget: fields.on_budget.unwrap_or(true),
        number: identifier("number", fields.number)?,
        bank_id: identifier("bank_id", fields.bank_id)?,
        ..NewAccount::default()
    };
    let mut tx = state.db().begin().await.map_err(FinanceError::from)?;
    let id = accounts::insert(&mut *tx, person, &new).await.map_err(FinanceError::from)?;
    if let Some(opening) = opening.filter(|m| !m.is_zero()) {
        let equity =
            accounts::role_account(&mut tx, person, "opening").await.map_err(FinanceError::from)?;
        let entry = Entry {
            date,
            payee: None,
            description: Some("Opening balance".into()),
            notes: None,
            tags: Vec::new(),
            status: "cleared".into(),
            legs: Legs::Splits {
                currency: currency.code().to_owned(),
                splits: vec![
                    service::SplitEntry {
                        account_id: id,
                        amount: opening.amount(),
                        value: None,
                        rate_date: None,
                        memo: None,
                    },
                    service::SplitEntry {
                        account_id: equity,
                        amount: -opening.amount(),
                        value: None,
                        rate_date: None,
                        memo: None,
                    },
                ],
            },
        };
        service::create(&mut tx, person, entry).await?;
    }
    crate::db::ensure_currency(&mut *tx, person, currency.code())
        .await
        .map_err(FinanceError::from)?;
    let account = accounts::find(&mut *tx, person, id).await.map_err(FinanceError::from)?;
    tx.commit().await.map_err(FinanceError::from)?;
    let account =
        account.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("the new account vanished")))?;
    Ok((StatusCode::CREATED, Json(account)))
}

pub(super) async fn find_account(
    state: &RouteState,
    person: Uuid,
    id: Uuid,
) -> Result<Account, ApiError> {
    accounts::find(state.db(), person, id)
        .await
        .map_err(FinanceError::from)?
        .filter(|a| matches!(a.kind.as_str(), "asset" | "liability"))
        .ok_or_else(|| ApiError::NotFound("no such account".into()))
}

/// An account with its balance
#[utoipa::path(get, path = "/v1/finance/accounts/{id}", tag = "finance", operation_id = "getFinanceAccount",
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "The account", body = Account), NoSuchAccount, NeedsPerson))]
async fn get_account(
    State(state): State<RouteState>,
    Person(person): Person,
    PathId(id, _): PathId<FinanceAccountId>,
) -> Result<Json<Account>, ApiError> {
    Ok(Json(find_account(&state, person, id.as_uuid()).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct AccountFields {
    name: Option<String>,
    #[schema(value_type = Option<String>)]
    #[serde(default, deserialize_with = "posey_http::json::nullable")]
    subtype: Option<Option<String>>,
    on_budget: Option<bool>,
    #[schema(value_type = Option<String>)]
    #[serde(default, deserialize_with = "posey_http::json::nullable")]
    number: Option<Option<String>>,
    #[schema(value_type = Option<String>)]
    #[serde(default, deserialize_with = "posey_http::json::nullable")]
    bank_id: Option<Option<String>>,
    /// Close (true) or reopen (false): a closed account takes no new transactions.
    closed: Option<bool>,
}

/// Rename, retype, close or reopen an account
#[utoipa::path(patch, path = "/v1/finance/accounts/{id}", tag = "finance", operation_id = "updateFinanceAccount",
    security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = AccountFields,
    responses((status = 200, description = "The account", body = Account), NoSuchAccount, BadInput, Refused, NeedsPerson))]
async fn update_account(
    State(state): State<RouteState>,
    Person(person): Person,
    PathId(id, _): PathId<FinanceAccountId>,
    AppJson(fields): AppJson<AccountFields>,
) -> Result<Json<Account>, ApiError> {
    let account = find_account(&state, person, id.as_uuid()).await?;
    if let Some(subtype) = &fields.subtype {
        check_subtype(&account.kind, subtype.as_deref())?;
    }
    let change = AccountChange {
        name: fields.name.as_deref().map(|n| name("name", n)).transpose()?,
        subtype: fields.subtype,
        on_budget: fields.on_budget,
        number: fields.number.map(|n| identifier("number", n)).transpose()?,
        bank_id: fields.bank_id.map(|n| identifier("bank_id", n)).transpose()?,
        closed: fields.closed,
        ..AccountChange::default()
    };
    accounts::update(state.db(), person, account.id, &change).await.map_err(FinanceError::from)?;
    Ok(Json(find_account(&state, person, account.id).await?))
}

/// Delete an account no transaction uses (close one that has them)
#[utoipa::path(delete, path = "/v1/finance/accounts/{id}", tag = "finance", operation_id = "deleteFinanceAccount",
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted"), NoSuchAccount, Refused, NeedsPerson))]
async fn delete_account(
    State(state): State<RouteState>,
    Person(person): Person,
    PathId(id, _): PathId<FinanceAccountId>,
) -> Result<StatusCode, ApiError> {
    let account = find_account(&state, person, id.as_uuid()).await?;
    accounts::delete(state.db(), person, account.id).await.map_err(FinanceError::from)?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Statement {
    /// The statement's last day.
    date: NaiveDate,
    /// Its closing balance, debit positive (what a card's statement says you owe is negative).
    #[schema(value_type = String)]
    balance: Decimal,
}

/// Reconcile an account against a bank statement
///
/// When the account's balance at the end of the statement's date is the statement's, every
/// transaction of the account up to then is marked reconciled (and protected from silent
/// edits); else nothing changes and the 422 names the difference.
#[utoipa::path(post, path = "/v1/finance/accounts/{id}/reconcile", tag = "finance", operation_id = "reconcileFinanceAccount",
    security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = Statement,
    responses((status = 200, description = "Reconciled", body = Reconciled), NoSuchAccount, BadInput, NeedsPerson))]
async fn reconcile_account(
    State(state): State<RouteState>,
    Person(person): Person,
    PathId(id, _): PathId<FinanceAccountId>,
    AppJson(statement): AppJson<Statement>,
) -> Result<Json<Reconciled>, ApiError> {
    let account = find_account(&state, person, id.as_uuid()).await?;
    let mut tx = state.db().begin().await.map_err(FinanceError::from)?;
    let done =
        service::reconcile(&mut tx, person, account.id, statement.date, statement.balance).await?;
    tx.commit().await.map_err(FinanceError::from)?;
    Ok(Json(done))
}

#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct PayeeList {
    payees: Vec<Payee>,
}

/// The person's payees, with how often they were paid
#[utoipa::path(get, path = "/v1/finance/payees", tag = "finance", operation_id = "listPayees",
    security(("bearer" = [])),
    responses((status = 200, description = "The payees", body = PayeeList), NeedsPerson))]
async fn list_payees(
    State(state): State<RouteState>,
    Person(person): Person,
) -> Result<Json<PayeeList>, ApiError> {
    Ok(Json(payee_list(state.db(), person).await?))
}

/// The person's payees as their list shows them (and their export).
pub(super) async fn payee_list(db: &sqlx::PgPool, person: Uuid) -> Result<PayeeList, FinanceError> {
    Ok(PayeeList { payees: accounts::payees(db, person).await? })
}
