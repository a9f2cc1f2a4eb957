//! Subscriptions: a calendar filled from an iCalendar URL and refreshed on a schedule
//! (`/v1/calendars/subscriptions` to subscribe and list, `/v1/calendars/{id}/subscription` for
//! one's status, its interval, and a refresh now). Subscribing fetches the URL once and makes
//! nothing when that fails (a 422 saying why). Unsubscribing is deleting the calendar. Someone
//! else's subscription is a 404.

use std::time::Duration;

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use posey_domain::CalendarId;
use posey_http::auth::Person;
use posey_http::openapi::Error;
use posey_http::{ApiError, AppJson, PathId};
use posey_plugin::responses::{BadInput, NeedsPerson};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{RouteState, person_zone};
use crate::db::{self, Calendar};
use crate::schemas::parse_zone;
use crate::service::SkippedJson;
use crate::store::StoreError;
use crate::subscriptions::db as stored;
use crate::subscriptions::{
    self, DEFAULT_INTERVAL, LEASE, MAX_INTERVAL, MAX_PER_PERSON, MIN_INTERVAL, RefreshError,
    RefreshReport, Subscribe, Subscription, feed_url,
};

pub fn router() -> OpenApiRouter<RouteState> {
    OpenApiRouter::new()
        .routes(routes!(list_subscriptions, create_subscription))
        .routes(routes!(get_subscription, update_subscription))
        .routes(routes!(refresh_subscription))
}

posey_http::error_responses! { schema = "Error";
    /// A route taking a subscribed calendar's id.
    NoSuchSubscription {
        "404" => "No such calendar of this person, or it is not a subscription",
    }
    /// A route that fetches the URL.
    FetchFailed {
        "422" => "Bad fields; or the URL is refused (not public), unreachable, answered with an error, too big, or not iCalendar: `url` says which",
    }
}

/// A subscription and how it is doing.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SubscriptionJson {
    /// The calendar it fills (read-only: `subscribed` is true); deleting it unsubscribes.
    calendar: Calendar,
    /// What is fetched (a `webcal://` URL as the https one it means).
    url: String,
    refresh_interval_minutes: i32,
    /// When it is refreshed next (sooner by a refresh asked for).
    next_refresh_at: DateTime<Utc>,
    /// The last fetch that worked (its feed unchanged too).
    #[schema(required = true)]
    last_refreshed_at: Option<DateTime<Utc>>,
    /// Why the last fetch failed, for the person to act on; `null` when it worked. The
    /// calendar keeps what it had, and the next attempt waits longer after each failure.
    #[schema(required = true)]
    last_error: Option<String>,
    /// What the last good fetch left out (events or to-dos wrong on their own), with why.
    skipped: Vec<SkippedJson>,
    /// Whether a refresh is under way.
    refreshing: bool,
}

impl SubscriptionJson {
    fn of(calendar: Calendar, subscription: &Subscription) -> Self {
        let now = Utc::now();
        Self {
            calendar,
            url: subscription.url.clone(),
            refresh_interval_minutes: subscription.refresh_secs / 60,
            next_refresh_at: subscription.next_refresh_at,
            last_refreshed_at: subscription.last_refreshed_at,
            last_error: subscription.last_error.clone(),
            skipped: serde_json::from_value(subscription.skipped.clone()).unwrap_or_default(),
            refreshing: subscription.refreshing_until.is_some_and(|until| until > now),
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct SubscriptionList {
    subscriptions: Vec<SubscriptionJson>,
}

/// The person's subscriptions, oldest first, as the list shows them (and their export).
pub(super) async fn subscription_list(
    pool: &sqlx::PgPool,
    person: Uuid,
) -> Result<SubscriptionList, StoreError> {
    let found = stored::list(pool, person).await?;
    let mut calendars = db::list_calendars(pool, person).await?;
    let subscriptions = found
        .iter()
        .filter_map(|subscription| {
            let at = calendars.iter().position(|c| c.id == subscription.calendar_id)?;
            Some(SubscriptionJson::of(calendars.swap_remove(at), subscription))
        })
        .collect();
    Ok(SubscriptionList { subscriptions })
}

/// The person's subscriptions, oldest first
#[utoipa::path(get, path = "/v1/calendars/subscriptions", tag = "calendar",
    operation_id = "listCalendarSubscriptions", security(("bearer" = [])),
    responses((status = 200, description = "The subscriptions", body = SubscriptionList), NeedsPerson))]
async fn list_subscriptions(
    State(state): State<RouteState>,
    Person(person): Person,
) -> Result<Json<SubscriptionList>, ApiError> {
    Ok(Json(subscription_list(state.db(), person).await?))
}

/// A subscription to make.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewSubscription {
    /// The calendar's address: `webcal://`, `https://` or `http://`.
    #[schema(max_length = 2000)]
    url: String,
    /// The calendar's name; the feed's own (X-WR-CALNAME), else the URL's host, when left out.
    #[schema(min_length = 1, max_length = 200)]
    name: Option<String>,
    /// `#rrggbb`
    #[schema(pattern = "^#[0-9a-fA-F]{6}$")]
    colour: Option<String>,
    /// The IANA zone its floating and all-day times are read in; the feed's (X-WR-TIMEZONE),
    /// else the person's, when left out.
    time_zone: Option<String>,
    /// 15 to 10080 (a week); 60 when left out.
    #[schema(minimum = 15, maximum = 10080)]
    refresh_interval_minutes: Option<i64>,
}

/// The interval given (the default when none is), in seconds, within the bounds.
fn interval(minutes: Option<i64>) -> Result<i32, String> {
    let minutes = minutes.unwrap_or(minutes_of(DEFAULT_INTERVAL));
    let (min, max) = (minutes_of(MIN_INTERVAL), minutes_of(MAX_INTERVAL));
    let seconds = (min..=max).contains(&minutes).then(|| i32::try_from(minutes * 60).ok());
    seconds.flatten().ok_or_else(|| format!("must be {min} to {max} (a week)"))
}

fn minutes_of(duration: Duration) -> i64 {
    i64::try_from(duration.as_secs() / 60).unwrap_or(i64::MAX)
}

/// A subscription that could not be made or refreshed: the feed's problem as a 422 on `url`,
/// an internal one as a 500.
fn refused(error: RefreshError) -> ApiError {
    match error {
        RefreshError::Internal(error) => ApiError::Internal(error),
        other => ApiError::invalid("url", other.to_string()),
    }
}

/// What subscribing made, or a refresh did.
#[derive(Serialize, utoipa::ToSchema)]
struct SubscriptionRefreshed {
    subscription: SubscriptionJson,
    report: RefreshReport,
}

/// Subscribe to an iCalendar URL: the feed is fetched now (nothing is made if that fails) into
/// a new calendar of the person's, read-only, refreshed on the interval
#[utoipa::path(post, path = "/v1/calendars/subscriptions", tag = "calendar",
    operation_id = "createCalendarSubscription", security(("bearer" = [])),
    request_body = NewSubscription,
    responses((status = 201, description = "The subscription, and what its first fetch added and skipped", body = SubscriptionRefreshed),
        (status = 409, description = "The person has as many subscriptions as one may have", body = Error),
        FetchFailed, NeedsPerson))]
async fn create_subscription(
    State(state): State<RouteState>,
    Person(person): Person,
    AppJson(input): AppJson<NewSubscription>,
) -> Result<(StatusCode, Json<SubscriptionRefreshed>), ApiError> {
    let mut problems = std::collections::BTreeMap::<String, Vec<String>>::new();
    let mut problem = |field: &str, message: String| {
        problems.entry(field.to_owned()).or_default().push(message);
    };
    let url = feed_url(&input.url).map_err(|message| problem("url", message)).ok();
    let name = input.name.as_deref().map(str::trim);
    if name.is_some_and(|name| name.is_empty() || name.chars().count() > 200) {
        problem("name", "must be 1 to 200 characters".into());
    }
    let colour = input.colour.as_deref().map(|c| c.trim().to_ascii_lowercase());
    if let Some(colour) = &colour
        && !(colour.len() == 7
            && colour.starts_with('#')
            && colour[1..].bytes().all(|b| b.is_ascii_hexdigit()))
    {
        problem("colour", format!("{colour:?} is not a colour like #3366cc"));
    }
    let time_zone = match input.time_zone.as_deref().map(parse_zone) {
        Some(Ok(zone)) => Some(zone),
        Some(Err(message)) => {
            problem("time_zone", message);
            None
        }
        None => None,
    };
    let refresh_secs = interval(input.refresh_interval_minutes)
        .map_err(|message| problem("refresh_interval_minutes", message))
        .ok();
    let (Some(url), Some(refresh_secs)) = (url, refresh_secs) else {
        return Err(ApiError::Validation(problems));
    };
    if !problems.is_empty() {
        return Err(ApiError::Validation(problems));
    }
    if stored::count(state.db(), person).await.map_err(StoreError::from)? >= MAX_PER_PERSON {
        return Err(ApiError::Conflict(format!(
            "you have {MAX_PER_PERSON} subscriptions, the most one person may have; delete one \
             you no longer need first"
        )));
    }
    let request = Subscribe {
        url,
        name: name.map(str::to_owned),
        colour,
        time_zone,
        fallback_zone: person_zone(&state, person).await?,
        refresh_secs,
    };
    let (calendar, subscription, report) =
        subscriptions::subscribe(state.db(), &state.own.feeds, person, request)
            .await
            .map_err(refused)?;
    let subscription = SubscriptionJson::of(calendar, &subscription);
    Ok((StatusCode::CREATED, Json(SubscriptionRefreshed { subscription, report })))
}

async fn find(state: &RouteState, person: Uuid, id: Uuid) -> Result<SubscriptionJson, ApiError> {
    let subscription = stored::get(state.db(), person, id).await.map_err(StoreError::from)?;
    status(state, person, subscription).await
}

/// The JSON of a subscription read back (`None`: there is none).
async fn status(
    state: &RouteState,
    person: Uuid,
    subscription: Option<Subscription>,
) -> Result<SubscriptionJson, ApiError> {
    let not_found = || ApiError::NotFound("no such subscription".into());
    let subscription = subscription.ok_or_else(not_found)?;
    let calendar = db::calendar(state.db(), person, subscription.calendar_id)
        .await
        .map_err(StoreError::from)?
        .ok_or_else(not_found)?;
    Ok(SubscriptionJson::of(calendar, &subscription))
}

/// A subscription and how it is doing
#[utoipa::path(get, path = "/v1/calendars/{id}/subscription", tag = "calendar",
    operation_id = "getCalendarSubscription", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The subscribed calendar's id")),
    responses((status = 200, description = "The subscription", body = SubscriptionJson),
        NoSuchSubscription, BadInput, NeedsPerson))]
async fn get_subscription(
    State(state): State<RouteState>,
    Person(person): Person,
    PathId(id, _): PathId<CalendarId>,
) -> Result<Json<SubscriptionJson>, ApiError> {
    Ok(Json(find(&state, person, id.as_uuid()).await?))
}

/// Changes to a subscription.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct SubscriptionChanges {
    /// 15 to 10080 (a week).
    #[schema(minimum = 15, maximum = 10080)]
    refresh_interval_minutes: i64,
}

/// Change how often a subscription is refreshed
#[utoipa::path(patch, path = "/v1/calendars/{id}/subscription", tag = "calendar",
    operation_id = "updateCalendarSubscription", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The subscribed calendar's id")),
    request_body = SubscriptionChanges,
    responses((status = 200, description = "The subscription", body = SubscriptionJson),
        NoSuchSubscription, BadInput, NeedsPerson))]
async fn update_subscription(
    State(state): State<RouteState>,
    Person(person): Person,
    PathId(id, _): PathId<CalendarId>,
    AppJson(changes): AppJson<SubscriptionChanges>,
) -> Result<Json<SubscriptionJson>, ApiError> {
    let refresh_secs = interval(Some(changes.refresh_interval_minutes))
        .map_err(|message| ApiError::invalid("refresh_interval_minutes", message))?;
    let changed = stored::set_interval(state.db(), person, id.as_uuid(), refresh_secs)
        .await
        .map_err(StoreError::from)?;
    Ok(Json(status(&state, person, changed).await?))
}

/// Refresh a subscription now: the calendar becomes what the feed holds (a 422 saying why when
/// the fetch fails; the calendar then keeps what it had)
#[utoipa::path(post, path = "/v1/calendars/{id}/subscription/refresh", tag = "calendar",
    operation_id = "refreshCalendarSubscription", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The subscribed calendar's id")),
    responses((status = 200, description = "The subscription, and what the refresh changed", body = SubscriptionRefreshed),
        (status = 409, description = "A refresh of it is under way already", body = Error),
        NoSuchSubscription, FetchFailed, NeedsPerson))]
async fn refresh_subscription(
    State(state): State<RouteState>,
    Person(person): Person,
    PathId(id, _): PathId<CalendarId>,
) -> Result<Json<SubscriptionRefreshed>, ApiError> {
    let id = id.as_uuid();
    let Some(held) =
        stored::claim(state.db(), person, id, LEASE).await.map_err(StoreError::from)?
    else {
        // Not theirs (a 404), or held by a refresh under way.
        find(&state, person, id).await?;
        return Err(ApiError::Conflict(
            "a refresh of this subscription is under way; look again in a moment".into(),
        ));
    };
    let done = subscriptions::refresh(state.db(), &state.own.feeds, &held)
        .await
        .map_err(StoreError::from)?;
    let report = done.outcome.map_err(refused)?;
    let subscription = status(&state, person, done.subscription).await?;
    Ok(Json(SubscriptionRefreshed { subscription, report }))
}
