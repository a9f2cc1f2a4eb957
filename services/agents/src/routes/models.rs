//! `/v1/me/model`: the chat models a person may choose (each with its profile, the default
//! marked) and their choice, which every turn of theirs runs on (unless the agent names its
//! own model). The clients' settings offer it as a picker.

use axum::Json;
use axum::extract::State;
use posey_http::{ApiError, AppJson};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Person;
use super::openapi::schemas::ModelChoice;
use crate::db;
use crate::state::AppState;
use posey_plugin::responses::NeedsPerson;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_choice, set_choice))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Choice {
    /// A model's id from the list, or `null` for the default; required, so that a body that
    /// forgot it does not reset the choice.
    #[schema(value_type = Option<String>, required = true)]
    model: Value,
}

/// The chat models the person may choose, and their choice
#[utoipa::path(get, path = "/v1/me/model", tag = "companion", operation_id = "getModelChoice",
    security(("bearer" = [])),
    responses((status = 200, description = "The choice and the models", body = ModelChoice), NeedsPerson))]
async fn get_choice(
    State(state): State<AppState>,
    Person(person): Person,
) -> Result<Json<Value>, ApiError> {
    let chosen = db::model_choices::get(state.db(), person).await?;
    Ok(Json(choice_json(&state, chosen)))
}

/// Choose the chat model the person's turns run on (null: the default)
#[utoipa::path(put, path = "/v1/me/model", tag = "companion", operation_id = "setModelChoice",
    security(("bearer" = [])),
    request_body = inline(Choice),
    responses(
        (status = 200, description = "The choice and the models", body = ModelChoice),
        (status = 422, description = "Not a model that may be chosen (`fields.model` names the models)", body = posey_http::openapi::Error),
        NeedsPerson,
    ))]
async fn set_choice(
    State(state): State<AppState>,
    Person(person): Person,
    AppJson(body): AppJson<Choice>,
) -> Result<Json<Value>, ApiError> {
    let catalog = &state.runtime.catalog;
    let model = match body.model {
        Value::Null => None,
        Value::String(model) => Some(model),
        _ => return Err(ApiError::invalid("model", "must be a model's id or null")),
    };
    if let Some(model) = &model
        && !catalog.choosable(model)
    {
        let ids: Vec<String> = catalog.list().into_iter().map(|m| m.id).collect();
        return Err(ApiError::invalid(
            "model",
            format!("there is no model {model:?} to choose; the models are {}", ids.join(", ")),
        ));
    }
    db::model_choices::set(state.db(), person, model.as_deref()).await?;
    Ok(Json(choice_json(&state, model)))
}

/// The person's choice, the model their turns use, and the models they may choose.
fn choice_json(state: &AppState, chosen: Option<String>) -> Value {
    let catalog = &state.runtime.catalog;
    let models = catalog.list();
    let using = chosen
        .as_deref()
        .filter(|id| models.iter().any(|m| m.id == *id))
        .unwrap_or(catalog.default_model())
        .to_owned();
    json!({"model": chosen, "using": using, "models": models})
}
