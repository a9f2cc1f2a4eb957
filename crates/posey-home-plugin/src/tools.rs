//! The tools agents run a person's home with. They see only what the person exposed, control
//! only what the person let them control, and a security-relevant command (unlocking a door,
//! disarming the alarm, opening the garage) never runs on the model's word: the tool asks the
//! person, and only the person's yes through the API runs it ([`run_confirmed`]). No tool takes
//! an alarm code: a code is never in a prompt.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use futures::future::BoxFuture;
use posey_home::Command;
use posey_home::Secret;
use posey_home::command::{AlarmMode, Brightness, HvacMode, TargetTemperature};
use posey_plugin::{ConfirmationRequest, Credential, PendingAction, Tool, ToolContext, ToolError};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::control::{self, Actor, Outcome, exposed};
use crate::db::entities::{self, EntityRow};
use crate::db::{exposure, watches};
use crate::error::HomeError;
use crate::homes::Homes;
use crate::new_watch::NewWatch;

pub const PLUGIN: &str = "home";

/// How long the person has to confirm a security-relevant command: it is about now.
const ASK_FOR: Duration = Duration::from_secs(15 * 60);

type Shared = Arc<OnceLock<Arc<Homes>>>;

pub fn all(homes: Shared) -> Vec<Tool> {
    let with = |homes: &Shared| homes.clone();
    vec![
        Tool::typed(
            "home_entities",
            "The person's home: the lights, switches, climate, covers, locks, sensors, scenes and \
             scripts the companion may see, by area, with their states.",
            {
                let homes = with(&homes);
                move |context, args| list(homes.clone(), context, args)
            },
        ),
        Tool::typed(
            "home_state",
            "One entity's state and attributes (brightness, temperature, battery...), by its id \
             from home_entities.",
            {
                let homes = with(&homes);
                move |context, args| state(homes.clone(), context, args)
            },
        ),
        Tool::typed(
            "home_control",
            "Control an entity (by its id from home_entities): turn on or off (lights with \
             brightness or colour), set a thermostat, open or close a cover, lock or unlock, arm \
             or disarm an alarm, play or pause media. Unlocking, opening entrances, the alarm and \
             anything on an entity the person marked \"always ask first\" need the person's \
             confirmation, which this asks for.",
            {
                let homes = with(&homes);
                move |context, args| control_tool(homes.clone(), context, args)
            },
        ),
        Tool::typed(
            "home_scene",
            "Activate a scene or run a script, by its id from home_entities.",
            {
                let homes = with(&homes);
                move |context, args| scene(homes.clone(), context, args)
            },
        ),
        Tool::typed(
            "home_watch",
            "Watch an entity and notify the person when it changes as they asked (\"tell me if \
             the front door opens after 23:00\"): a state to change to or from, a threshold, a \
             time window.",
            {
                let homes = with(&homes);
                move |context, args| watch(homes.clone(), context, args)
            },
        ),
    ]
}

fn homes_of(shared: &Shared) -> Result<Arc<Homes>, ToolError> {
    shared.get().cloned().ok_or_else(|| ToolError::new("the home is not connected yet"))
}

fn failed(tool: &'static str) -> impl Fn(HomeError) -> ToolError {
    move |error| match error {
        HomeError::Internal(error) => ToolError::internal(tool, &error),
        other => ToolError::new(other.to_string()),
    }
}

/// The entity, if the companion may see it: one it may not see is as one that does not exist.
async fn visible(
    homes: &Homes,
    context: &ToolContext,
    entity_id: &str,
    tool: &'static str,
) -> Result<EntityRow, ToolError> {
    let row = control::find(homes, context.person, entity_id, None).await.map_err(failed(tool))?;
    let policy = exposure::get(&homes.db, context.person)
        .await
        .map_err(|e| ToolError::internal(tool, &e))?;
    if !exposed(&policy, &row).0 {
        return Err(ToolError::new(format!("no entity {} in this home", entity_id.trim())));
    }
    Ok(row)
}

fn shown(row: &EntityRow, controllable: bool) -> Value {
    json!({
        "entity_id": row.entity_id,
        "name": row.name,
        "area": row.area,
        "state": row.state,
        "controllable": controllable,
    })
}

#[derive(Debug, Deserialize, JsonSchema)]
struct ListArgs {
    /// Only this area (its name, e.g. "Kitchen").
    area: Option<String>,
    /// Only this kind: light, switch, climate, cover, lock, alarm_control_panel, sensor,
    /// binary_sensor, media_player, scene, script.
    domain: Option<String>,
}

async fn list(shared: Shared, context: ToolContext, args: ListArgs) -> Result<Value, ToolError> {
    const TOOL: &str = "home_entities";
    let homes = homes_of(&shared)?;
    let rows = entities::of_person(&homes.db, context.person, None, args.domain.as_deref())
        .await
        .map_err(|e| ToolError::internal(TOOL, &e.into()))?;
    let policy = exposure::get(&homes.db, context.person)
        .await
        .map_err(|e| ToolError::internal(TOOL, &e))?;
    let wanted = args.area.as_deref().map(|a| a.trim().to_lowercase());
    let list: Vec<Value> = rows
        .iter()
        .filter(|row| {
            wanted.as_deref().is_none_or(|area| {
                row.area.as_deref().is_some_and(|a| a.to_lowercase() == area)
                    || row.area_id.as_deref() == Some(area)
            })
        })
        .filter_map(|row| {
            let (see, control) = exposed(&policy, row);
            see.then(|| shown(row, control))
        })
        .collect();
    if list.is_empty() {
        return Ok(json!({"entities": [], "note": "Nothing of the home is shared with the \
            companion here: the person chooses what it may see on the Home page."}));
    }
    Ok(json!({ "entities": list }))
}

#[derive(Debug, Deserialize, JsonSchema)]
struct EntityArgs {
    /// The entity's id, e.g. light.kitchen.
    entity_id: String,
}

async fn state(shared: Shared, context: ToolContext, args: EntityArgs) -> Result<Value, ToolError> {
    const TOOL: &str = "home_state";
    let homes = homes_of(&shared)?;
    let row = visible(&homes, &context, &args.entity_id, TOOL).await?;
    Ok(json!({
        "entity_id": row.entity_id,
        "name": row.name,
        "area": row.area,
        "state": row.state,
        "attributes": row.attributes,
        "last_changed": row.last_changed,
    }))
}

#[derive(Debug, Clone, Copy, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
enum Action {
    TurnOn,
    TurnOff,
    Toggle,
    SetTemperature,
    SetHvacMode,
    OpenCover,
    CloseCover,
    StopCover,
    SetCoverPosition,
    Lock,
    Unlock,
    Open,
    AlarmArm,
    AlarmDisarm,
    MediaPlay,
    MediaPause,
    SetVolume,
}

#[derive(Debug, Deserialize, JsonSchema)]
struct ControlArgs {
    /// The entity's id, e.g. light.kitchen.
    entity_id: String,
    action: Action,
    /// turn_on of a light: 0 to 100.
    #[schemars(range(min = 0, max = 100))]
    brightness_percent: Option<u8>,
    /// turn_on of a light: red, green, blue, each 0 to 255.
    rgb: Option<[u8; 3]>,
    /// turn_on of a light: colour temperature in kelvin (2700 warm, 6500 cold).
    color_temp_kelvin: Option<u16>,
    /// set_temperature: the target in degrees Celsius.
    temperature: Option<f64>,
    /// set_hvac_mode.
    hvac_mode: Option<HvacMode>,
    /// set_cover_position: 0 closed to 100 open.
    #[schemars(range(min = 0, max = 100))]
    position: Option<u8>,
    /// alarm_arm: home, away, night or vacation.
    alarm_mode: Option<AlarmMode>,
    /// set_volume: 0.0 to 1.0.
    volume: Option<f64>,
}

fn command_of(args: &ControlArgs) -> Result<Command, ToolError> {
    let need = |what: &str| ToolError::new(format!("{:?} needs {what}", args.action));
    Ok(match args.action {
        Action::TurnOn => Command::TurnOn {
            brightness: args.brightness_percent.map(Brightness::Percent),
            rgb: args.rgb,
            color_temp_kelvin: args.color_temp_kelvin,
        },
        Action::TurnOff => Command::TurnOff,
        Action::Toggle => Command::Toggle,
        Action::SetTemperature => Command::SetTemperature {
            target: TargetTemperature::Single(args.temperature.ok_or_else(|| need("temperature"))?),
        },
        Action::SetHvacMode => {
            Command::SetHvacMode { mode: args.hvac_mode.ok_or_else(|| need("hvac_mode"))? }
        }
        Action::OpenCover => Command::OpenCover,
        Action::CloseCover => Command::CloseCover,
        Action::StopCover => Command::StopCover,
        Action::SetCoverPosition => {
            Command::SetCoverPosition { position: args.position.ok_or_else(|| need("position"))? }
        }
        Action::Lock => Command::Lock,
        Action::Unlock => Command::Unlock,
        Action::Open => Command::Open,
        Action::AlarmArm => Command::AlarmArm {
            mode: args.alarm_mode.ok_or_else(|| need("alarm_mode"))?,
            code: None,
        },
        Action::AlarmDisarm => Command::AlarmDisarm { code: None },
        Action::MediaPlay => Command::MediaPlay,
        Action::MediaPause => Command::MediaPause,
        Action::SetVolume => {
            Command::SetVolume { level: args.volume.ok_or_else(|| need("volume"))? }
        }
    })
}

async fn control_tool(
    shared: Shared,
    context: ToolContext,
    args: ControlArgs,
) -> Result<Value, ToolError> {
    const TOOL: &str = "home_control";
    let homes = homes_of(&shared)?;
    let command = command_of(&args)?;
    let row = visible(&homes, &context, &args.entity_id, TOOL).await?;
    run(&homes, &context, &row, command, TOOL).await
}

async fn scene(shared: Shared, context: ToolContext, args: EntityArgs) -> Result<Value, ToolError> {
    const TOOL: &str = "home_scene";
    let homes = homes_of(&shared)?;
    let row = visible(&homes, &context, &args.entity_id, TOOL).await?;
    let command = match row.domain.as_str() {
        "scene" => Command::ActivateScene,
        "script" => Command::RunScript,
        _ => {
            return Err(ToolError::new(format!(
                "{} is no scene or script: use home_control",
                row.entity_id
            )));
        }
    };
    run(&homes, &context, &row, command, TOOL).await
}

/// Who the tool acts as: the companion in the person's turn, or an automation in a turn
/// another service started for them (cron's scheduled tasks call with a service token).
fn actor(context: &ToolContext) -> Actor {
    match context.credential {
        Some(Credential::Service(_)) => Actor::Automation("scheduled task".into()),
        _ => Actor::Agent { confirmed: false },
    }
}

/// Runs the command as the companion: what needs the person's yes is asked for instead.
async fn run(
    homes: &Homes,
    context: &ToolContext,
    row: &EntityRow,
    command: Command,
    tool: &'static str,
) -> Result<Value, ToolError> {
    let summary = format!("{} {}", command.name().replace('_', " "), row.name);
    let outcome = control::control(homes, context.person, &actor(context), row, command.clone())
        .await
        .map_err(failed(tool))?;
    match outcome {
        Outcome::Done { state, .. } => Ok(json!({
            "done": summary,
            "entity_id": row.entity_id,
            "state": state.map_or_else(|| row.state.clone(), |s| s.state),
        })),
        Outcome::NeedsConfirmation { reason, audit } => Ok(context.ask(
            PLUGIN,
            ConfirmationRequest {
                summary: format!("{summary} ({})", row.entity_id),
                reason: format!("{reason} needs your yes"),
                payload: json!({
                    "connection_id": row.connection_id,
                    "entity_id": row.entity_id,
                    "command": command.without_code(),
                    "audit_id": audit.id,
                }),
                expires_in: ASK_FOR,
            },
        )),
    }
}

async fn watch(shared: Shared, context: ToolContext, args: NewWatch) -> Result<Value, ToolError> {
    const TOOL: &str = "home_watch";
    let homes = homes_of(&shared)?;
    visible(&homes, &context, &args.entity_id, TOOL).await?;
    let (name, watch) = args.build().map_err(failed(TOOL))?;
    let row = watches::insert(&homes.db, context.person, &name, &watch)
        .await
        .map_err(|e| ToolError::internal(TOOL, &e))?;
    Ok(json!({"watching": row.watch.entity_id, "name": row.name, "id": row.watch.id}))
}

/// Runs a command the person confirmed: once (the action is answered only once), on the
/// entity as it is now, still only if the companion may control it.
pub fn run_confirmed(
    shared: Shared,
    action: PendingAction,
    context: ToolContext,
) -> BoxFuture<'static, Result<Value, ToolError>> {
    Box::pin(async move {
        const TOOL: &str = "home_control";
        let homes = homes_of(&shared)?;
        let payload = &action.payload;
        let connection = payload["connection_id"].as_str().and_then(|id| id.parse::<Uuid>().ok());
        let entity_id = payload["entity_id"].as_str().unwrap_or_default();
        let mut command: Command = serde_json::from_value(payload["command"].clone())
            .map_err(|_| ToolError::new("the confirmed action is not a home command"))?;
        // The alarm code the person gave with their yes (never asked of the model, never kept):
        // it goes to the alarm's call and nowhere else.
        if let Some(code) = payload.get("code").and_then(Value::as_str) {
            command = command.with_code(Secret::new(code));
        }
        let row = control::find(&homes, context.person, entity_id, connection)
            .await
            .map_err(failed(TOOL))?;
        let actor = Actor::Agent { confirmed: true };
        match control::control(&homes, context.person, &actor, &row, command).await {
            Ok(Outcome::Done { state, .. }) => Ok(Value::String(format!(
                "{} is {}",
                row.name,
                state.map_or_else(|| row.state.clone(), |s| s.state)
            ))),
            Ok(Outcome::NeedsConfirmation { .. }) => {
                Err(ToolError::new("the command still waits for a confirmation"))
            }
            Err(error) => Err(failed(TOOL)(error)),
        }
    })
}
