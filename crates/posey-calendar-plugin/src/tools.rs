//! The tools agents keep a person's time with: the agenda, making, moving and cancelling
//! events (recurring ones as RRULEs), free time, and to-dos. Times are the person's wall clock
//! in their zone, as they speak of them. Cancelling a whole recurring series asks the person
//! first: one wrong word would otherwise empty months of their calendar.

use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use chrono_tz::Tz;
use futures::future::BoxFuture;
use posey_calendar::edit::{Patch, Scope};
use posey_calendar::free::free_slots;
use posey_calendar::recurrence::Rule;
use posey_calendar::when::local_instant;
use posey_calendar::{Alarm, End, Item, Kind, Status, Trigger, When};
use posey_plugin::{ConfirmationRequest, PendingAction, Tool, ToolContext, ToolError};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::schemas::{occurrence_param, parse_occurrence};
use crate::service::{self, ChangeError, OccurrenceJson, Target};
use crate::store::{StoreError, zone_of};

/// The plugin's name, as confirmations name it.
pub const PLUGIN: &str = "calendar";

/// The longest agenda or free-time search, in days.
const MAX_DAYS: i64 = 62;

pub fn all() -> Vec<Tool> {
    vec![
        Tool::typed(
            "calendar_agenda",
            "The person's events for a day or a few days, in their time zone.",
            agenda,
        ),
        Tool::typed(
            "create_event",
            "Put an event in the person's calendar. Times are the person's local wall-clock \
             times. A repeating event takes an RFC 5545 RRULE such as FREQ=WEEKLY;BYDAY=MO.",
            create_event,
        ),
        Tool::typed(
            "move_event",
            "Move an event (one occurrence, it and the following ones, or all) to a new time.",
            move_event,
        ),
        Tool::typed(
            "cancel_event",
            "Cancel an event: one occurrence, it and the following ones, or the whole series \
             (a whole recurring series is cancelled only once the person confirms).",
            cancel_event,
        ),
        Tool::typed(
            "find_free_time",
            "Find free time of a given length in the person's calendar.",
            find_free_time,
        ),
        Tool::typed("add_todo", "Add a to-do to the person's list.", add_todo),
        Tool::typed("list_todos", "The person's open to-dos.", list_todos),
        Tool::typed("complete_todo", "Mark a to-do done.", complete_todo),
    ]
}

fn failed<E: Into<ChangeError>>(tool: &'static str) -> impl Fn(E) -> ToolError {
    move |error| match error.into() {
        ChangeError::Store(StoreError::Internal(error)) => ToolError::internal(tool, &error),
        other => ToolError::new(other.to_string()),
    }
}

async fn zone(context: &ToolContext, tool: &'static str) -> Result<Tz, ToolError> {
    context
        .profile()
        .await
        .map(|profile| profile.time_zone.tz())
        .map_err(|error| ToolError::internal(tool, &error))
}

fn today(zone: Tz) -> NaiveDate {
    Utc::now().with_timezone(&zone).date_naive()
}

fn parse_day(field: &str, text: &str) -> Result<NaiveDate, ToolError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| ToolError::new(format!("{field}: {text:?} is not a date (YYYY-MM-DD)")))
}

fn parse_local(field: &str, text: &str) -> Result<When, ToolError> {
    let text = text.trim();
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Ok(When::Date(day));
    }
    ["%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
        .map(When::Floating)
        .ok_or_else(|| {
            ToolError::new(format!(
                "{field}: {text:?} is not a local time (YYYY-MM-DDTHH:MM) or a date (YYYY-MM-DD)"
            ))
        })
}

/// A local time as the person's zone has it (a date stays a date).
fn zoned(when: When, zone: Tz) -> When {
    match when {
        When::Floating(local) => When::Zoned { local, zone },
        other => other,
    }
}

/// A window of `days` days from the start of `day` in `zone`.
fn days_from(day: NaiveDate, days: i64, zone: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    let from = local_instant(zone, day.and_time(NaiveTime::MIN));
    let to = local_instant(zone, (day + Duration::days(days)).and_time(NaiveTime::MIN));
    (from, to)
}

fn local_text(time: &crate::schemas::Time) -> String {
    time.date.clone().or_else(|| time.date_time.clone()).unwrap_or_default()
}

fn brief(occurrence: &OccurrenceJson) -> Value {
    let mut entry = json!({
        "summary": occurrence.summary,
        "start": local_text(&occurrence.start),
        "end": local_text(&occurrence.end),
        "event_id": occurrence.event_id,
    });
    if occurrence.all_day {
        entry["all_day"] = json!(true);
    }
    if let Some(location) = &occurrence.location {
        entry["location"] = json!(location);
    }
    if let Some(id) = &occurrence.occurrence {
        entry["occurrence"] = json!(id);
    }
    if occurrence.status.as_deref() == Some("cancelled") {
        entry["cancelled"] = json!(true);
    }
    entry
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct AgendaArgs {
    /// The first day, YYYY-MM-DD (today when left out).
    from: Option<String>,
    /// How many days (1 when left out).
    #[schemars(range(min = 1, max = 62))]
    days: Option<i64>,
}

async fn agenda(context: ToolContext, args: AgendaArgs) -> Result<Value, ToolError> {
    let zone = zone(&context, "calendar_agenda").await?;
    let day = match &args.from {
        Some(day) => parse_day("from", day)?,
        None => today(zone),
    };
    let days = args.days.unwrap_or(1).clamp(1, MAX_DAYS);
    let (from, to) = days_from(day, days, zone);
    let found = service::occurrences(&context.db, context.person, None, from, to)
        .await
        .map_err(failed("calendar_agenda"))?;
    Ok(json!({
        "from": day.to_string(),
        "days": days,
        "time_zone": zone.name(),
        "events": found.iter().map(brief).collect::<Vec<_>>(),
    }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct NewEventArgs {
    #[schemars(length(min = 1, max = 500))]
    summary: String,
    /// Local start, YYYY-MM-DDTHH:MM (or YYYY-MM-DD for all day).
    start: String,
    /// Local end, YYYY-MM-DDTHH:MM; or give duration_minutes.
    end: Option<String>,
    #[schemars(range(min = 1, max = 100000))]
    duration_minutes: Option<i64>,
    location: Option<String>,
    description: Option<String>,
    /// For a repeating event: an RFC 5545 RRULE, e.g. FREQ=WEEKLY;BYDAY=TU;COUNT=10.
    rrule: Option<String>,
    /// A reminder this many minutes before the start.
    #[schemars(range(min = 0, max = 40320))]
    remind_minutes_before: Option<i64>,
}

async fn create_event(context: ToolContext, args: NewEventArgs) -> Result<Value, ToolError> {
    let zone = zone(&context, "create_event").await?;
    let calendar = service::calendar_or_default(&context.db, context.person, None, zone)
        .await
        .map_err(failed("create_event"))?;
    let calendar_zone = zone_of(&calendar);
    let mut item = Item::new(Kind::Event, service::new_uid());
    item.summary = Some(args.summary.trim().to_owned());
    let start = zoned(parse_local("start", &args.start)?, zone);
    item.start = Some(start);
    item.end = match (&args.end, args.duration_minutes) {
        (Some(end), _) => Some(End::At(zoned(parse_local("end", end)?, zone))),
        (None, Some(minutes)) => Some(End::Duration(Duration::minutes(minutes))),
        (None, None) if start.is_date() => None,
        (None, None) => Some(End::Duration(Duration::hours(1))),
    };
    if let Some(End::At(end)) = item.end
        && (end.is_date() != start.is_date()
            || end.instant(calendar_zone) < start.instant(calendar_zone))
    {
        return Err(ToolError::new("end: must be after start, and a date only when start is"));
    }
    item.location = args.location.map(|l| l.trim().to_owned()).filter(|l| !l.is_empty());
    item.description = args.description.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty());
    if let Some(rule) = &args.rrule {
        let rule = rule.trim();
        let rule = rule.strip_prefix("RRULE:").unwrap_or(rule);
        item.rules =
            vec![Rule::parse(rule).map_err(|error| ToolError::new(format!("rrule: {error}")))?];
    }
    if let Some(minutes) = args.remind_minutes_before {
        item.alarms.push(Alarm {
            action: "DISPLAY".into(),
            trigger: Trigger::Relative { offset: -Duration::minutes(minutes), to_end: false },
            description: item.summary.clone(),
            extra: Vec::new(),
        });
    }
    let saved = service::create(&context.db, context.person, &calendar, item)
        .await
        .map_err(failed("create_event"))?;
    Ok(json!({"created": true, "event_id": saved.id, "calendar": calendar.name}))
}

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
enum ScopeArg {
    This,
    Following,
    All,
}

impl From<ScopeArg> for Scope {
    fn from(scope: ScopeArg) -> Self {
        match scope {
            ScopeArg::This => Scope::This,
            ScopeArg::Following => Scope::Following,
            ScopeArg::All => Scope::All,
        }
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct MoveArgs {
    event_id: String,
    /// For a repeating event: the occurrence (as the agenda gives it).
    occurrence: Option<String>,
    /// this, following or all (all when left out).
    scope: Option<ScopeArg>,
    /// The new local start, YYYY-MM-DDTHH:MM.
    new_start: String,
    /// The new local end (it keeps its length when left out).
    new_end: Option<String>,
}

/// An id the model gave, read.
fn id_of(field: &str, text: &str) -> Result<Uuid, ToolError> {
    text.trim().parse().map_err(|_| {
        ToolError::new(format!("{field}: {text:?} is not an id from the agenda or the to-do list"))
    })
}

fn target(occurrence: Option<&str>, scope: Option<ScopeArg>) -> Result<Target, ToolError> {
    let occurrence = occurrence
        .map(|text| parse_occurrence(text).map_err(|error| ToolError::new(error.to_string())))
        .transpose()?;
    Ok(Target { scope: scope.map_or(Scope::All, Scope::from), occurrence, if_match: None })
}

async fn move_event(context: ToolContext, args: MoveArgs) -> Result<Value, ToolError> {
    let zone = zone(&context, "move_event").await?;
    let mut patch = Patch {
        start: Some(zoned(parse_local("new_start", &args.new_start)?, zone)),
        ..Patch::default()
    };
    if let Some(end) = &args.new_end {
        patch.end = Some(Some(End::At(zoned(parse_local("new_end", end)?, zone))));
    }
    let target = target(args.occurrence.as_deref(), args.scope)?;
    let outcome = service::change(
        &context.db,
        context.person,
        id_of("event_id", &args.event_id)?,
        Kind::Event,
        Some(&patch),
        &target,
    )
    .await
    .map_err(failed("move_event"))?;
    Ok(json!({
        "moved": true,
        "event_id": outcome.object.map(|saved| saved.id),
        "new_series_id": outcome.split.map(|saved| saved.id),
    }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct CancelArgs {
    event_id: String,
    /// For a repeating event: the occurrence (as the agenda gives it).
    occurrence: Option<String>,
    /// this, following or all (all when left out).
    scope: Option<ScopeArg>,
}

async fn cancel_event(context: ToolContext, args: CancelArgs) -> Result<Value, ToolError> {
    let target = target(args.occurrence.as_deref(), args.scope)?;
    let event_id = id_of("event_id", &args.event_id)?;
    let (_, object) = service::load(&context.db, context.person, event_id, Kind::Event)
        .await
        .map_err(failed("cancel_event"))?;
    let recurring = object.master.as_ref().is_some_and(Item::is_recurring);
    if recurring && target.scope != Scope::This {
        let summary = object.master.as_ref().and_then(|m| m.summary.clone()).unwrap_or_default();
        let what = if target.scope == Scope::All {
            "every occurrence"
        } else {
            "this and every later occurrence"
        };
        return Ok(context.ask(
            PLUGIN,
            ConfirmationRequest {
                summary: format!("cancel {what} of \"{summary}\""),
                reason: "it removes many events from your calendar at once".into(),
                payload: json!({
                    "cancel": event_id,
                    "occurrence": target.occurrence.map(|id| occurrence_param(&id, Tz::UTC)),
                    "scope": if target.scope == Scope::All { "all" } else { "following" },
                }),
                expires_in: StdDuration::from_secs(24 * 3600),
            },
        ));
    }
    service::change(&context.db, context.person, event_id, Kind::Event, None, &target)
        .await
        .map_err(failed("cancel_event"))?;
    Ok(json!({"cancelled": true}))
}

/// Runs a cancellation the person confirmed.
pub fn run_confirmed(
    action: PendingAction,
    context: ToolContext,
) -> BoxFuture<'static, Result<Value, ToolError>> {
    Box::pin(async move {
        let payload = &action.payload;
        let id = payload["cancel"]
            .as_str()
            .and_then(|id| id.parse::<Uuid>().ok())
            .ok_or_else(|| ToolError::new("the confirmed action names no event"))?;
        let scope = match payload["scope"].as_str() {
            Some("following") => ScopeArg::Following,
            _ => ScopeArg::All,
        };
        let target = target(payload["occurrence"].as_str(), Some(scope))?;
        service::change(&context.db, context.person, id, Kind::Event, None, &target)
            .await
            .map_err(failed("cancel_event"))?;
        Ok(json!({"cancelled": true}))
    })
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct FreeArgs {
    /// How long, in minutes.
    #[schemars(range(min = 5, max = 1440))]
    minutes: i64,
    /// The first day to look at, YYYY-MM-DD (today when left out).
    from: Option<String>,
    /// How many days to look at (7 when left out).
    #[schemars(range(min = 1, max = 62))]
    days: Option<i64>,
    /// The earliest local time of day, HH:MM (09:00 when left out).
    day_starts: Option<String>,
    /// The latest local time of day, HH:MM (18:00 when left out).
    day_ends: Option<String>,
}

fn parse_hour(field: &str, text: Option<&str>, default: u32) -> Result<NaiveTime, ToolError> {
    match text {
        None => Ok(NaiveTime::from_hms_opt(default, 0, 0).unwrap_or(NaiveTime::MIN)),
        Some(text) => NaiveTime::parse_from_str(text.trim(), "%H:%M")
            .map_err(|_| ToolError::new(format!("{field}: {text:?} is not a time of day (HH:MM)"))),
    }
}

async fn find_free_time(context: ToolContext, args: FreeArgs) -> Result<Value, ToolError> {
    let zone = zone(&context, "find_free_time").await?;
    let day = match &args.from {
        Some(day) => parse_day("from", day)?,
        None => today(zone),
    };
    let (mut from, to) = days_from(day, args.days.unwrap_or(7).clamp(1, MAX_DAYS), zone);
    from = from.max(Utc::now());
    let opens = parse_hour("day_starts", args.day_starts.as_deref(), 9)?;
    let closes = parse_hour("day_ends", args.day_ends.as_deref(), 18)?;
    if closes <= opens {
        return Err(ToolError::new("day_ends must be after day_starts"));
    }
    let busy: Vec<_> = service::occurrences(&context.db, context.person, None, from.min(to), to)
        .await
        .map_err(failed("find_free_time"))?
        .into_iter()
        .filter(|o| !o.transparent && o.status.as_deref() != Some("cancelled"))
        .filter_map(|o| {
            let start = DateTime::parse_from_rfc3339(o.start.at.as_deref()?).ok()?;
            let end = DateTime::parse_from_rfc3339(o.end.at.as_deref()?).ok()?;
            Some((start.with_timezone(&Utc), end.with_timezone(&Utc)))
        })
        .collect();
    let slots = free_slots(
        &busy,
        from,
        to,
        Duration::minutes(args.minutes),
        Some((opens, closes)),
        zone,
        10,
    );
    let local = |at: DateTime<Utc>| at.with_timezone(&zone).format("%Y-%m-%dT%H:%M").to_string();
    Ok(json!({
        "time_zone": zone.name(),
        "free": slots.iter().map(|(start, end)| json!({"start": local(*start), "end": local(*end)})).collect::<Vec<_>>(),
    }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct TodoArgs {
    #[schemars(length(min = 1, max = 500))]
    summary: String,
    /// When it is due: local YYYY-MM-DDTHH:MM or a date YYYY-MM-DD.
    due: Option<String>,
    /// 1 (highest) to 9.
    #[schemars(range(min = 1, max = 9))]
    priority: Option<u8>,
    /// The parent to-do's id, for a subtask.
    parent_id: Option<String>,
}

async fn add_todo(context: ToolContext, args: TodoArgs) -> Result<Value, ToolError> {
    let zone = zone(&context, "add_todo").await?;
    let calendar = service::calendar_or_default(&context.db, context.person, None, zone)
        .await
        .map_err(failed("add_todo"))?;
    let mut item = Item::new(Kind::Todo, service::new_uid());
    item.summary = Some(args.summary.trim().to_owned());
    item.status = Some(Status::NeedsAction);
    item.priority = args.priority.filter(|p| (1..=9).contains(p));
    if let Some(due) = &args.due {
        item.end = Some(End::At(zoned(parse_local("due", due)?, zone)));
    }
    if let Some(parent) = args.parent_id {
        let parent = id_of("parent_id", &parent)?;
        let (_, object) = service::load(&context.db, context.person, parent, Kind::Todo)
            .await
            .map_err(failed("add_todo"))?;
        item.parent = Some(object.uid);
    }
    let saved = service::create(&context.db, context.person, &calendar, item)
        .await
        .map_err(failed("add_todo"))?;
    Ok(json!({"added": true, "todo_id": saved.id}))
}

async fn list_todos(
    context: ToolContext,
    _: posey_plugin::NoArguments,
) -> Result<Value, ToolError> {
    let rows = crate::db::objects_in_range(&context.db, context.person, None, "todo", None)
        .await
        .map_err(|error| ToolError::internal("list_todos", &error.into()))?;
    let mut todos = Vec::new();
    for row in &rows {
        let object = crate::store::read(row).map_err(failed("list_todos"))?;
        let todo = service::event_json(row, &object);
        if matches!(todo.status.as_deref(), Some("completed" | "cancelled")) {
            continue;
        }
        let mut entry = json!({"todo_id": todo.id, "summary": todo.summary});
        if let Some(due) = &todo.end {
            entry["due"] = json!(local_text(due));
        }
        if let Some(priority) = todo.priority {
            entry["priority"] = json!(priority);
        }
        todos.push(entry);
    }
    Ok(json!({"todos": todos}))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct CompleteArgs {
    todo_id: String,
}

async fn complete_todo(context: ToolContext, args: CompleteArgs) -> Result<Value, ToolError> {
    let now = crate::store::now();
    let patch = Patch {
        status: Some(Some(Status::Completed)),
        completed: Some(Some(now)),
        percent_complete: Some(Some(100)),
        ..Patch::default()
    };
    let target = Target { scope: Scope::All, occurrence: None, if_match: None };
    service::change(
        &context.db,
        context.person,
        id_of("todo_id", &args.todo_id)?,
        Kind::Todo,
        Some(&patch),
        &target,
    )
    .await
    .map_err(failed("complete_todo"))?;
    Ok(json!({"completed": true}))
}
