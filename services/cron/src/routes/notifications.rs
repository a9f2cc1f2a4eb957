//! `/v1/notifications`: a person's notifications: list, mark read, and a server-sent event
//! stream of new ones (with catch-up through `Last-Event-ID` or `?since=`); and the notices
//! other Posey services hand over for a person (a calendar alarm that fell due), each under a
//! key that makes handing it over again harmless.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;

use anyhow::Context;
use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use chrono::{DateTime, TimeDelta, Utc};
use futures::Stream;
use posey_domain::NotificationId;
use posey_http::auth::{Authenticated, Person, acting_person, require_service, scopes};
use posey_http::{ApiError, AppJson, PathId, Query};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sqlx::PgPool;
use tokio::sync::broadcast;
use uuid::Uuid;

use super::openapi::{BadQuery, Error, NeedsActingPerson, NeedsPerson, NotFound};
use crate::db::{self, notifications::Notification};
use crate::notifications::{self, NewNotification};
use crate::state::AppState;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_notifications, create_notification))
        .routes(routes!(stream_notifications))
        .routes(routes!(read_all))
        .routes(routes!(mark_read))
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
struct NotificationView {
    id: Uuid,
    title: String,
    body: String,
    /// What the task attached (a conversation to open, say).
    #[schema(value_type = Object)]
    data: Value,
    task_id: Option<Uuid>,
    created_at: DateTime<Utc>,
    read_at: Option<DateTime<Utc>>,
}

impl From<Notification> for NotificationView {
    fn from(n: Notification) -> Self {
        Self {
            id: n.id,
            title: n.title,
            body: n.body,
            data: n.data,
            task_id: n.task_id,
            created_at: n.created_at,
            read_at: n.read_at,
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ListQuery {
    /// Only unread ones.
    #[serde(default)]
    unread: bool,
    /// Default 50, at most 200.
    limit: Option<i64>,
    /// Only notifications created before this time (the previous page's `next_before`).
    before: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct NotificationList {
    notifications: Vec<NotificationView>,
    /// Pass as `before` for the next page; absent on the last page.
    #[serde(skip_serializing_if = "Option::is_none")]
    next_before: Option<DateTime<Utc>>,
}

#[tracing::instrument(skip_all)]
/// The person's notifications, newest first
#[utoipa::path(get, path = "/v1/notifications", tag = "notifications", security(("bearer" = [])),
    params(ListQuery),
    responses((status = 200, description = "A page of notifications", body = NotificationList), BadQuery, NeedsPerson))]
async fn list_notifications(
    State(state): State<AppState>,
    Person(user_id): Person,
    Query(query): Query<ListQuery>,
) -> Result<Json<NotificationList>, ApiError> {
    let limit = query.limit.unwrap_or(50).clamp(1, 200);
    let notifications: Vec<NotificationView> =
        db::notifications::list_for_user(state.db(), user_id, query.unread, query.before, limit)
            .await
            .context("listing notifications")?
            .into_iter()
            .map(NotificationView::from)
            .collect();
    let next_before = (notifications.len() as i64 == limit)
        .then(|| notifications.last().map(|n| n.created_at))
        .flatten();
    Ok(Json(NotificationList { notifications, next_before }))
}

/// A notice for a person from another Posey service.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewNotice {
    /// Names the notice for good (at most 200 characters): a key the person was already
    /// notified under is not notified again, so the service may send it until it hears back.
    key: String,
    /// At most 200 characters.
    title: String,
    /// At most 4,000 characters.
    #[serde(default)]
    body: String,
    /// What the person's apps open (an object).
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    data: Option<Value>,
}

/// The longest a notice's key and title may be, in characters.
const MAX_KEY: usize = 200;
const MAX_TITLE: usize = 200;
const MAX_BODY: usize = 4_000;

impl NewNotice {
    fn check(&self) -> Result<(), ApiError> {
        let key = self.key.trim();
        if key.is_empty() || key.chars().count() > MAX_KEY {
            return Err(ApiError::invalid("key", format!("must be 1 to {MAX_KEY} characters")));
        }
        if self.title.trim().is_empty() || self.title.chars().count() > MAX_TITLE {
            return Err(ApiError::invalid("title", format!("must be 1 to {MAX_TITLE} characters")));
        }
        if self.body.chars().count() > MAX_BODY {
            return Err(ApiError::invalid(
                "body",
                format!("must be at most {MAX_BODY} characters"),
            ));
        }
        if self.data.as_ref().is_some_and(|data| !data.is_object()) {
            return Err(ApiError::invalid("data", "must be an object"));
        }
        Ok(())
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct NoticeTaken {
    /// The notification the notice is (made now, or before under the same key).
    notification: NotificationView,
    /// `false` when the key was given before and nothing new was made.
    created: bool,
}

#[tracing::instrument(skip_all)]
/// Hand over a notice for a person (service clients)
///
/// The notice is stored as one of the person's notifications and delivered in their channels
/// (the in-app stream, email when SMTP is configured, Web Push per subscription). Its `key`
/// makes sending it again harmless: the answer is then the notification made the first time.
#[utoipa::path(post, path = "/v1/notifications", tag = "notifications", security(("bearer" = [])),
    params(("x-posey-person" = String, Header, description = "The person the notice is for")),
    request_body = NewNotice,
    responses(
        (status = 201, description = "Stored and queued for delivery", body = NoticeTaken),
        (status = 200, description = "Given before under this key; nothing new was made", body = NoticeTaken),
        (status = 422, description = "A field is missing or out of bounds (`validation_failed`, naming it)", body = Error),
        NeedsActingPerson))]
async fn create_notification(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    headers: HeaderMap,
    AppJson(notice): AppJson<NewNotice>,
) -> Result<(StatusCode, Json<NoticeTaken>), ApiError> {
    require_service(&claims)?;
    let user_id = acting_person(&claims, &headers, scopes::CRON_ACT_FOR_PERSON)?;
    notice.check()?;
    let key = notice.key.trim();
    let data = notice.data.clone().unwrap_or_else(|| Value::Object(Default::default()));
    let mut tx = state.db().begin().await.context("starting to store a notice")?;
    let new = NewNotification {
        user_id,
        title: notice.title.trim(),
        body: &notice.body,
        data: &data,
        task_id: None,
        run_id: None,
        key: Some(key),
    };
    let created = notifications::create(&mut tx, state.config.notify.channels(), &new).await?;
    tx.commit().await.context("storing a notice")?;
    let stored = db::notifications::by_key(state.db(), user_id, key)
        .await
        .context("reading a notice back")?
        .context("a notice stored under its key is not found by it")?;
    let status = if created.is_some() { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(NoticeTaken { notification: stored.into(), created: created.is_some() })))
}

#[tracing::instrument(skip_all)]
/// Mark a notification read
#[utoipa::path(post, path = "/v1/notifications/{id}/read", tag = "notifications", security(("bearer" = [])),
    params(("id" = String, Path, description = "The notification's id")),
    responses((status = 200, description = "The notification", body = NotificationView), BadQuery, NeedsPerson, NotFound))]
async fn mark_read(
    State(state): State<AppState>,
    Person(user_id): Person,
    PathId(id, ..): PathId<NotificationId>,
) -> Result<Json<NotificationView>, ApiError> {
    let notification = db::notifications::mark_read(state.db(), user_id, id.as_uuid())
        .await
        .context("marking a notification read")?;
    notification
        .map(|n| Json(n.into()))
        .ok_or_else(|| ApiError::NotFound("no such notification".into()))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ReadAll {
    updated: u64,
}

#[tracing::instrument(skip_all)]
/// Mark every notification read
#[utoipa::path(post, path = "/v1/notifications/read-all", tag = "notifications", security(("bearer" = [])),
    responses((status = 200, description = "How many were marked", body = ReadAll), NeedsPerson))]
async fn read_all(
    State(state): State<AppState>,
    Person(user_id): Person,
) -> Result<Json<ReadAll>, ApiError> {
    let updated = db::notifications::mark_all_read(state.db(), user_id)
        .await
        .context("marking notifications read")?;
    Ok(Json(ReadAll { updated }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct StreamQuery {
    /// Catch up from this time (RFC 3339) on.
    since: Option<String>,
}

/// How far back a stream re-reads, so a notification committed after a later one (a longer
/// transaction) is still sent; ids already sent are skipped.
const LOOKBACK: TimeDelta = TimeDelta::seconds(10);

#[tracing::instrument(skip_all)]
/// New notifications as they come (server-sent events)
///
/// Each event's `id` is the notification's and its `data` the notification (JSON). A client
/// that reconnects with `Last-Event-ID` (or `since`) gets what it missed first.
#[utoipa::path(get, path = "/v1/notifications/stream", tag = "notifications", security(("bearer" = [])),
    params(StreamQuery, ("last-event-id" = Option<String>, Header, description = "The last notification seen")),
    responses((status = 200, description = "An event stream", content_type = "text/event-stream", body = String), BadQuery, NeedsPerson))]
async fn stream_notifications(
    State(state): State<AppState>,
    Person(user_id): Person,
    headers: HeaderMap,
    Query(query): Query<StreamQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    // Subscribe before reading the floor, so nothing falls between the two.
    let wake = state.notifications.subscribe();
    let last_event_id = headers.get("last-event-id").and_then(|v| v.to_str().ok());
    let floor = match (last_event_id, query.since) {
        (Some(id), _) => {
            // An id that is not one is an id we never sent: catch up from now.
            let at = match id.trim().parse::<Uuid>() {
                Ok(id) => db::notifications::created_at(state.db(), user_id, id)
                    .await
                    .context("reading the last event's time")?,
                Err(_) => None,
            };
            match at {
                Some(at) => at,
                None => now(state.db()).await?,
            }
        }
        (None, Some(since)) => DateTime::parse_from_rfc3339(since.trim())
            .map_err(|e| ApiError::invalid("since", format!("is not an RFC 3339 time: {e}")))?
            .with_timezone(&Utc),
        (None, None) => now(state.db()).await?,
    };
    let reader = Reader {
        db: state.db().clone(),
        user_id,
        wake,
        floor,
        cursor: floor,
        sent: HashMap::new(),
        queue: VecDeque::new(),
    };
    let stream = futures::stream::unfold(reader, |mut reader| async move {
        let event = reader.next().await?;
        Some((Ok(event), reader))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}

async fn now(pool: &PgPool) -> Result<DateTime<Utc>, ApiError> {
    Ok(db::notifications::now(pool).await.context("reading the time")?)
}

/// One stream's position: what it has sent, and what it has read but not sent yet.
struct Reader {
    db: PgPool,
    user_id: Uuid,
    wake: broadcast::Receiver<Uuid>,
    floor: DateTime<Utc>,
    cursor: DateTime<Utc>,
    sent: HashMap<Uuid, DateTime<Utc>>,
    queue: VecDeque<NotificationView>,
}

impl Reader {
    /// The next event; `None` ends the stream (the process is stopping).
    async fn next(&mut self) -> Option<Event> {
        loop {
            if let Some(notification) = self.queue.pop_front() {
                self.cursor = self.cursor.max(notification.created_at);
                self.sent.insert(notification.id, notification.created_at);
                let event = Event::default().event("notification").id(notification.id.to_string());
                match event.json_data(&notification) {
                    Ok(event) => return Some(event),
                    Err(error) => {
                        tracing::error!(error = %error, "serialising a notification");
                        continue;
                    }
                }
            }
            match self.read().await {
                Ok(()) if !self.queue.is_empty() => continue,
                Ok(()) => {}
                Err(error) => {
                    tracing::warn!(error = %format!("{error:#}"), "reading notifications for a stream")
                }
            }
            loop {
                match self.wake.recv().await {
                    Ok(user) if user == self.user_id || user.is_nil() => break,
                    Ok(_) => {}
                    Err(broadcast::error::RecvError::Lagged(_)) => break,
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        }
    }

    async fn read(&mut self) -> anyhow::Result<()> {
        let from = self.floor.max(self.cursor - LOOKBACK);
        self.sent.retain(|_, at| *at >= from);
        let rows = db::notifications::list_after(&self.db, self.user_id, from)
            .await
            .context("reading new notifications")?;
        let new = rows.into_iter().filter(|n| !self.sent.contains_key(&n.id));
        self.queue.extend(new.map(NotificationView::from));
        Ok(())
    }
}
