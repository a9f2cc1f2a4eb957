//! `/v1/finance/recurring`: transactions that post themselves on every date of a cadence (rent,
//! a salary, a standing order), as Firefly III's recurring transactions and Actual's
//! auto-added schedules do: list, add, change, pause and resume, skip the next date, delete.
//! Dates before the day one is made (or resumed) are not posted; the posting is the
//! `recurring` worker's. Someone else's is a 404.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Datelike as _, Days, NaiveDate, Utc};
use posey_domain::{FinanceRecurringId, TimeZone};
use posey_finance::bills::Cadence;
use posey_http::auth::Person;
use posey_http::{ApiError, AppJson, PathId};
use posey_plugin::responses::{BadInput, NeedsPerson};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sqlx::{Acquire as _, PgConnection};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::entry::{self, LegFields, SplitFields, tags, text};
use super::shared::{Refused, RouteState, name};
use crate::db::recurring::{self as db, RecurringRow, Settings};
use crate::error::FinanceError;
use crate::recurring::{after_posted, next, upcoming};
use crate::service::{self, Legs, Template};

posey_http::error_responses! { schema = "Error";
    /// A route taking a recurring transaction's id.
    NoSuchRecurring {
        "404" => "No such recurring transaction of this person",
    }
}

/// Next dates a view lists.
const UPCOMING: usize = 5;

pub fn router() -> OpenApiRouter<RouteState> {
    OpenApiRouter::new()
        .routes(routes!(list_recurring, create_recurring))
        .routes(routes!(get_recurring, update_recurring, delete_recurring))
        .routes(routes!(skip_recurring))
}

/// A recurring transaction, as the API shows it: its schedule, where posting has got to, and
/// the transaction it posts (as `POST /v1/finance/transactions` takes one, without a date).
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct RecurringView {
    id: Uuid,
    name: String,
    /// `{"months": 1}`, `{"weeks": 2}`, `{"days": 10}`, `{"years": 1}`, from `starts`.
    cadence: Cadence,
    starts: NaiveDate,
    /// The last day it can post on.
    #[schema(required = true)]
    ends: Option<NaiveDate>,
    /// The next date it posts on; `null`: none left.
    #[schema(required = true)]
    next_date: Option<NaiveDate>,
    /// The next few dates, from `next_date`.
    upcoming: Vec<NaiveDate>,
    /// Paused: it posts nothing until resumed (dates passed meanwhile are not posted).
    paused: bool,
    /// Transactions it has posted.
    posted: i32,
    #[schema(required = true)]
    last_posted: Option<NaiveDate>,
    #[schema(required = true)]
    last_transaction_id: Option<Uuid>,
    /// Why it paused itself (a date it could not post), until it is resumed.
    #[schema(required = true)]
    last_error: Option<String>,
    /// The currency its transactions balance in.
    currency: String,
    #[schema(required = true)]
    payee: Option<String>,
    #[schema(required = true)]
    description: Option<String>,
    #[schema(required = true)]
    notes: Option<String>,
    tags: Vec<String>,
    /// With `amount`: the account money comes into (positive) or goes out of (negative).
    #[schema(required = true)]
    account_id: Option<Uuid>,
    #[schema(value_type = Option<String>, required = true)]
    amount: Option<Decimal>,
    #[schema(required = true)]
    category_id: Option<Uuid>,
    #[schema(required = true)]
    transfer_account_id: Option<Uuid>,
    #[schema(value_type = Option<String>, required = true)]
    transfer_amount: Option<Decimal>,
    /// Instead of `account_id` and `amount`: the splits, balancing in `currency`.
    #[schema(required = true)]
    splits: Option<Vec<SplitFields>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

fn view(row: RecurringRow) -> RecurringView {
    let dates = upcoming(&row, UPCOMING);
    let template = row.template.0;
    let mut shown = RecurringView {
        id: row.id,
        name: row.name,
        cadence: row.cadence.0,
        starts: row.starts,
        ends: row.ends,
        next_date: row.next_date,
        upcoming: dates,
        paused: row.paused,
        posted: row.posted,
        last_posted: row.last_posted,
        last_transaction_id: row.last_transaction_id,
        last_error: row.last_error,
        currency: row.currency,
        payee: template.payee,
        description: template.description,
        notes: template.notes,
        tags: template.tags,
        account_id: None,
        amount: None,
        category_id: None,
        transfer_account_id: None,
        transfer_amount: None,
        splits: None,
        created_at: row.created_at,
        updated_at: row.updated_at,
    };
    match template.legs {
        Legs::Simple { account_id, amount, category_id, transfer_account_id, transfer_amount } => {
            shown.account_id = Some(account_id);
            shown.amount = Some(amount);
            shown.category_id = category_id;
            shown.transfer_account_id = transfer_account_id;
            shown.transfer_amount = transfer_amount;
        }
        Legs::Splits { splits, .. } => {
            shown.splits = Some(splits.into_iter().map(SplitFields::from).collect());
        }
    }
    shown
}

#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct RecurringList {
    recurring: Vec<RecurringView>,
}

/// The person's recurring transactions, by name
#[utoipa::path(get, path = "/v1/finance/recurring", tag = "finance", operation_id = "listRecurring",
    security(("bearer" = [])),
    responses((status = 200, description = "The recurring transactions", body = RecurringList), NeedsPerson))]
async fn list_recurring(
    State(state): State<RouteState>,
    Person(person): Person,
) -> Result<Json<RecurringList>, ApiError> {
    Ok(Json(recurring_list(state.db(), person).await?))
}

/// The person's recurring transactions as their list shows them (and their export).
pub(super) async fn recurring_list(
    pool: &sqlx::PgPool,
    person: Uuid,
) -> Result<RecurringList, FinanceError> {
    let rows = db::list(pool, person).await?;
    Ok(RecurringList { recurring: rows.into_iter().map(view).collect() })
}

/// A recurring transaction as a person makes one: a name, a schedule, and the transaction
/// (`account_id` and `amount`, against `category_id` or `transfer_account_id`; or `currency`
/// and `splits`).
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewRecurring {
    #[schema(min_length = 1, max_length = 200)]
    name: String,
    cadence: Cadence,
    /// The first date, from which the others are counted.
    starts: NaiveDate,
    ends: Option<NaiveDate>,
    /// Default false.
    paused: Option<bool>,
    payee: Option<String>,
    description: Option<String>,
    notes: Option<String>,
    tags: Option<Vec<String>>,
    account_id: Option<Uuid>,
    /// In the account's currency, exact to its minor units: `-1200.00`.
    #[schema(value_type = Option<String>)]
    amount: Option<Decimal>,
    category_id: Option<Uuid>,
    transfer_account_id: Option<Uuid>,
    #[schema(value_type = Option<String>)]
    transfer_amount: Option<Decimal>,
    currency: Option<String>,
    splits: Option<Vec<SplitFields>>,
}

/// The person's zone and today in it.
async fn zone_of(state: &RouteState, person: Uuid) -> Result<(TimeZone, NaiveDate), ApiError> {
    let zone = state.host.profiles.profile(person).await?.time_zone;
    let today = Utc::now().with_timezone(&zone.tz()).date_naive();
    Ok((zone, today))
}

/// Settings checked: a name, a cadence that moves, an end not before the start, and a
/// template that makes a transaction (its accounts the person's and open, its amounts exact,
/// its splits balanced: built for its start, in a savepoint rolled back). The currency.
async fn check(
    db: &mut PgConnection,
    person: Uuid,
    settings: &mut Settings,
) -> Result<(), ApiError> {
    settings.name = name("name", &settings.name)?;
    if matches!(
        settings.cadence,
        Cadence::Days(0) | Cadence::Weeks(0) | Cadence::Months(0) | Cadence::Years(0)
    ) {
        return Err(ApiError::invalid(
            "cadence",
            "recurs every 1 or more days, weeks, months or years",
        ));
    }
    // Its dates become instants in the person's zone (`due_at`): keep them where those exist.
    for (field, date) in [("starts", Some(settings.starts)), ("ends", settings.ends)] {
        if date.is_some_and(|date| !(1900..=9999).contains(&date.year())) {
            return Err(ApiError::invalid(field, "must be a date in the years 1900 to 9999"));
        }
    }
    if let Some(ends) = settings.ends.filter(|ends| *ends < settings.starts) {
        return Err(ApiError::invalid(
            "ends",
            format!("{ends} is before the start ({})", settings.starts),
        ));
    }
    let mut trial = db.begin().await.map_err(FinanceError::from)?;
    let built = service::build(
        &mut trial,
        person,
        Uuid::now_v7(),
        settings.template.entry(settings.starts),
    )
    .await?;
    trial.rollback().await.map_err(FinanceError::from)?;
    settings.currency = built.currency;
    Ok(())
}

/// Add a recurring transaction
///
/// Its first date is the first on or after both `starts` and today (in the person's zone): one
/// due today is posted within seconds.
#[utoipa::path(post, path = "/v1/finance/recurring", tag = "finance", operation_id = "createRecurring",
    security(("bearer" = [])), request_body = NewRecurring,
    responses((status = 201, description = "The recurring transaction", body = RecurringView), BadInput, NeedsPerson))]
async fn create_recurring(
    State(state): State<RouteState>,
    Person(person): Person,
    AppJson(fields): AppJson<NewRecurring>,
) -> Result<(StatusCode, Json<RecurringView>), ApiError> {
    let legs = entry::legs(LegFields {
        account_id: fields.account_id,
        amount: fields.amount,
        category_id: fields.category_id,
        transfer_account_id: fields.transfer_account_id,
        transfer_amount: fields.transfer_amount,
        currency: fields.currency,
        splits: fields.splits,
    })?
    .ok_or_else(|| {
        ApiError::invalid("amount", "give account_id and amount, or currency and splits")
    })?;
    let mut settings = Settings {
        name: fields.name,
        template: Template {
            payee: text("payee", fields.payee, 200)?,
            description: text("description", fields.description, 2000)?,
            notes: text("notes", fields.notes, 10_000)?,
            tags: tags(fields.tags.unwrap_or_default())?,
            legs,
        },
        currency: String::new(),
        cadence: fields.cadence,
        starts: fields.starts,
        ends: fields.ends,
        paused: fields.paused.unwrap_or(false),
    };
    let (zone, today) = zone_of(&state, person).await?;
    let mut tx = state.db().begin().await.map_err(FinanceError::from)?;
    check(&mut tx, person, &mut settings).await?;
    let first = next(settings.cadence, settings.starts, settings.ends, today, &zone);
    let id = db::insert(&mut *tx, person, &settings, first).await.map_err(FinanceError::from)?;
    tx.commit().await.map_err(FinanceError::from)?;
    Ok((StatusCode::CREATED, Json(find(&state, person, id).await?)))
}

async fn find(state: &RouteState, person: Uuid, id: Uuid) -> Result<RecurringView, ApiError> {
    db::find(state.db(), person, id)
        .await
        .map_err(FinanceError::from)?
        .map(view)
        .ok_or_else(|| ApiError::NotFound("no such recurring transaction".into()))
}

/// A recurring transaction
#[utoipa::path(get, path = "/v1/finance/recurring/{id}", tag = "finance", operation_id = "getRecurring",
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "The recurring transaction", body = RecurringView), NoSuchRecurring, NeedsPerson))]
async fn get_recurring(
    State(state): State<RouteState>,
    Person(person): Person,
    PathId(id, _): PathId<FinanceRecurringId>,
) -> Result<Json<RecurringView>, ApiError> {
    Ok(Json(find(&state, person, id.as_uuid()).await?))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RecurringFields {
    name: Option<String>,
    cadence: Option<Cadence>,
    starts: Option<NaiveDate>,
    /// `null`: no end.
    #[schema(value_type = Option<NaiveDate>)]
    #[serde(default, deserialize_with = "posey_http::json::nullable")]
    ends: Option<Option<NaiveDate>>,
    /// `true` pauses it; `false` resumes it from today.
    paused: Option<bool>,
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
    /// `account_id` with `amount`, or `currency` with `splits`, replace where its money goes;
    /// `category_id` alone moves it to another category.
    account_id: Option<Uuid>,
    #[schema(value_type = Option<String>)]
    amount: Option<Decimal>,
    category_id: Option<Uuid>,
    transfer_account_id: Option<Uuid>,
    #[schema(value_type = Option<String>)]
    transfer_amount: Option<Decimal>,
    currency: Option<String>,
    splits: Option<Vec<SplitFields>>,
}

/// Change a recurring transaction (fields left out stay)
///
/// A new schedule counts from today (or from the day after the last date posted, if later);
/// resuming posts nothing for the dates that passed while it was paused.
#[utoipa::path(patch, path = "/v1/finance/recurring/{id}", tag = "finance", operation_id = "updateRecurring",
    security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = RecurringFields,
    responses((status = 200, description = "The recurring transaction", body = RecurringView), NoSuchRecurring, BadInput, NeedsPerson))]
async fn update_recurring(
    State(state): State<RouteState>,
    Person(person): Person,
    PathId(id, _): PathId<FinanceRecurringId>,
    AppJson(fields): AppJson<RecurringFields>,
) -> Result<Json<RecurringView>, ApiError> {
    let (zone, today) = zone_of(&state, person).await?;
    let mut tx = state.db().begin().await.map_err(FinanceError::from)?;
    let row = db::lock(&mut tx, person, id.as_uuid())
        .await
        .map_err(FinanceError::from)?
        .ok_or_else(|| ApiError::NotFound("no such recurring transaction".into()))?;
    let mut settings = Settings {
        name: fields.name.unwrap_or_else(|| row.name.clone()),
        template: row.template.0.clone(),
        currency: row.currency.clone(),
        cadence: fields.cadence.unwrap_or(row.cadence.0),
        starts: fields.starts.unwrap_or(row.starts),
        ends: fields.ends.unwrap_or(row.ends),
        paused: fields.paused.unwrap_or(row.paused),
    };
    let template = &mut settings.template;
    let legs = entry::legs(LegFields {
        account_id: fields.account_id,
        amount: fields.amount,
        category_id: fields.category_id,
        transfer_account_id: fields.transfer_account_id,
        transfer_amount: fields.transfer_amount,
        currency: fields.currency,
        splits: fields.splits,
    })?;
    match (legs, fields.category_id, &mut template.legs) {
        (Some(legs), _, _) => template.legs = legs,
        (None, Some(category), Legs::Simple { category_id, transfer_account_id, .. }) => {
            *category_id = Some(category);
            *transfer_account_id = None;
        }
        (None, Some(_), Legs::Splits { .. }) => {
            return Err(ApiError::invalid(
                "category_id",
                "it posts splits: give its splits to change where its money goes",
            ));
        }
        (None, None, _) => {}
    }
    if let Some(payee) = fields.payee {
        template.payee = text("payee", payee, 200)?;
    }
    if let Some(description) = fields.description {
        template.description = text("description", description, 2000)?;
    }
    if let Some(notes) = fields.notes {
        template.notes = text("notes", notes, 10_000)?;
    }
    if let Some(given) = fields.tags {
        template.tags = tags(given)?;
    }
    check(&mut tx, person, &mut settings).await?;
    let rescheduled = settings.cadence != row.cadence.0
        || settings.starts != row.starts
        || settings.ends != row.ends;
    let resumed = row.paused && !settings.paused;
    let next = if rescheduled || resumed {
        // Never before today, never a date posted already; a resumed one keeps a skip.
        let kept = if rescheduled { None } else { row.next_date };
        let from = [Some(today), after_posted(&row), kept].into_iter().flatten().max();
        next(settings.cadence, settings.starts, settings.ends, from.unwrap_or(today), &zone)
    } else {
        db::Next {
            date: row.next_date,
            due_at: row.next_date.and_then(|d| crate::recurring::start_of(d, &zone)),
        }
    };
    db::update(&mut *tx, person, row.id, &settings, next).await.map_err(FinanceError::from)?;
    tx.commit().await.map_err(FinanceError::from)?;
    Ok(Json(find(&state, person, row.id).await?))
}

/// Delete a recurring transaction (the transactions it posted stay)
#[utoipa::path(delete, path = "/v1/finance/recurring/{id}", tag = "finance", operation_id = "deleteRecurring",
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted"), NoSuchRecurring, NeedsPerson))]
async fn delete_recurring(
    State(state): State<RouteState>,
    Person(person): Person,
    PathId(id, _): PathId<FinanceRecurringId>,
) -> Result<StatusCode, ApiError> {
    if db::delete(state.db(), person, id.as_uuid()).await.map_err(FinanceError::from)? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("no such recurring transaction".into()))
    }
}

/// Skip the next date (nothing is posted for it)
#[utoipa::path(post, path = "/v1/finance/recurring/{id}/skip", tag = "finance", operation_id = "skipRecurring",
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "The recurring transaction, its next date moved on", body = RecurringView), NoSuchRecurring, Refused, NeedsPerson))]
async fn skip_recurring(
    State(state): State<RouteState>,
    Person(person): Person,
    PathId(id, _): PathId<FinanceRecurringId>,
) -> Result<Json<RecurringView>, ApiError> {
    let (zone, _) = zone_of(&state, person).await?;
    let mut tx = state.db().begin().await.map_err(FinanceError::from)?;
    let row = db::lock(&mut tx, person, id.as_uuid())
        .await
        .map_err(FinanceError::from)?
        .ok_or_else(|| ApiError::NotFound("no such recurring transaction".into()))?;
    let skipped =
        row.next_date.ok_or_else(|| ApiError::Conflict("it has no dates left to skip".into()))?;
    let after = skipped.checked_add_days(Days::new(1)).unwrap_or(skipped);
    let moved = next(row.cadence.0, row.starts, row.ends, after, &zone);
    db::record_posted(&mut *tx, row.id, 0, None, moved).await.map_err(FinanceError::from)?;
    tx.commit().await.map_err(FinanceError::from)?;
    Ok(Json(find(&state, person, row.id).await?))
}
