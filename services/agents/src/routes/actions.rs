//! `/v1/actions`: what the companion's tools asked the person to confirm. An action runs only
//! when the person confirms it here, never on the model's word; denying it, or letting it
//! expire, means it never runs. What became of it is added to the conversation that asked.

use axum::Json;
use axum::extract::State;
use posey_domain::ActionId;
use posey_http::{ApiError, OptionalJson, PathId};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::{Person, PersonWithToken};
use crate::db;
use crate::db::actions::Action;
use crate::db::messages::{NewMessage, Role};
use crate::state::AppState;
use posey_plugin::responses::{BadFields, NeedsPerson};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_actions))
        .routes(routes!(confirm_action))
        .routes(routes!(deny_action))
}

posey_http::error_responses! { schema = "Error";
    /// A route taking an action's id.
    NoSuchAction {
        "404" => "No such action (or it is someone else's)",
        "409" => "The action was answered already, or it expired",
    }
}

#[derive(serde::Serialize, utoipa::ToSchema)]
struct ActionList {
    actions: Vec<Action>,
}

/// The actions waiting for the person's answer, newest first
#[utoipa::path(get, path = "/v1/actions", tag = "actions", operation_id = "listActions",
    security(("bearer" = [])),
    responses((status = 200, description = "The pending actions", body = ActionList), NeedsPerson))]
async fn list_actions(
    State(state): State<AppState>,
    Person(person): Person,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({"actions": db::actions::pending(state.db(), person).await?})))
}

/// What the person may give with their yes. No `Debug`: the code is never printed.
#[derive(Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Confirmation {
    /// The alarm's code, when the action arms or disarms an alarm that asks for one. It goes
    /// to the alarm and nowhere else: not kept, logged, audited or shown to the model.
    #[schema(min_length = 1, max_length = 64)]
    code: Option<String>,
}

/// Confirm an action: it runs now, and what it came to is answered and added to its conversation
#[utoipa::path(post, path = "/v1/actions/{id}/confirm", tag = "actions",
    operation_id = "confirmAction", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The action's id")),
    request_body(content = Option<Confirmation>, description = "Optional: an alarm's code", content_type = "application/json"),
    responses((status = 200, description = "The action, `done` or `failed`, with its result", body = Action),
        (status = 400, description = "Malformed JSON", body = posey_http::openapi::Error),
        BadFields, NoSuchAction, NeedsPerson))]
async fn confirm_action(
    State(state): State<AppState>,
    PersonWithToken(person, credential): PersonWithToken,
    PathId(id, ..): PathId<ActionId>,
    OptionalJson(confirmation): OptionalJson<Confirmation>,
) -> Result<Json<Action>, ApiError> {
    let code = confirmation.unwrap_or_default().code;
    if code.as_ref().is_some_and(|c| c.is_empty() || c.chars().count() > 64) {
        return Err(ApiError::invalid("code", "an alarm code is 1 to 64 characters"));
    }
    let id = id.as_uuid();
    let Some(action) = db::actions::decide(state.db(), person, id, "running").await? else {
        return Err(unanswerable(&state, person, id).await);
    };
    let ran = match state.runtime.plugins.get(&action.plugin) {
        Some(plugin) => {
            let context = state.runtime.tool_context(person, Some(credential));
            let mut pending = pending(&action);
            // Handed to the plugin with what it asked to keep, in memory only.
            if let (Some(code), Value::Object(payload)) = (code, &mut pending.payload) {
                payload.insert("code".into(), Value::String(code));
            }
            plugin.run_confirmed(pending, context).await
        }
        None => Err(crate::plugins::ToolError::new(format!(
            "the plugin {:?} that asked is no longer running",
            action.plugin
        ))),
    };
    let (status, result, said) = match ran {
        Ok(Value::String(text)) => {
            ("done", text.clone(), format!("Done: {}. {text}", action.summary))
        }
        Ok(value) => ("done", value.to_string(), format!("Done: {}.", action.summary)),
        Err(error) => {
            ("failed", error.0.clone(), format!("Could not {}: {}", action.summary, error.0))
        }
    };
    let action = db::actions::finish(state.db(), id, status, &result).await?;
    tell(&state, person, &action, said, status == "failed").await?;
    Ok(Json(action))
}

/// Deny an action: it never runs
#[utoipa::path(post, path = "/v1/actions/{id}/deny", tag = "actions",
    operation_id = "denyAction", security(("bearer" = [])),
    params(("id" = Uuid, Path, description = "The action's id")),
    responses((status = 200, description = "The action, `denied`", body = Action),
        NoSuchAction, NeedsPerson))]
async fn deny_action(
    State(state): State<AppState>,
    Person(person): Person,
    PathId(id, ..): PathId<ActionId>,
) -> Result<Json<Action>, ApiError> {
    let id = id.as_uuid();
    let Some(action) = db::actions::decide(state.db(), person, id, "denied").await? else {
        return Err(unanswerable(&state, person, id).await);
    };
    let said = format!("Denied: {}. Nothing was done.", action.summary);
    tell(&state, person, &action, said, false).await?;
    Ok(Json(action))
}

/// Why an action cannot be answered: not the person's (404), or answered or expired (409).
async fn unanswerable(state: &AppState, person: Uuid, id: Uuid) -> ApiError {
    match db::actions::get(state.db(), person, id).await {
        Ok(None) => ApiError::NotFound("no such action".into()),
        Ok(Some(action)) if action.status == "pending" => {
            ApiError::Conflict("the action expired; ask again".into())
        }
        Ok(Some(action)) => {
            ApiError::Conflict(format!("the action was answered already: it is {}", action.status))
        }
        Err(error) => ApiError::Internal(error),
    }
}

/// Adds what became of the action to the conversation that asked for it, in its agent's name.
async fn tell(
    state: &AppState,
    person: Uuid,
    action: &Action,
    said: String,
    failed: bool,
) -> Result<(), ApiError> {
    let Some(id) = action.conversation_id else { return Ok(()) };
    // Deleted meanwhile: nowhere to tell.
    let Some(conversation) = db::conversations::get(state.db(), person, id).await? else {
        return Ok(());
    };
    let message = NewMessage {
        role: Role::Assistant,
        agent: conversation.agent,
        depth: 0,
        content: said,
        tool_calls: Vec::new(),
        tool: None,
        is_error: failed,
    };
    db::messages::append(state.db(), id, Uuid::now_v7(), &message).await?;
    Ok(())
}

fn pending(action: &Action) -> posey_plugin::PendingAction {
    posey_plugin::PendingAction {
        id: action.id,
        plugin: action.plugin.clone(),
        summary: action.summary.clone(),
        reason: action.reason.clone(),
        payload: action.payload.clone(),
        expires_at: action.expires_at,
    }
}
