//! `/v1/me/model`: the chat models a person may choose (each with its profile, the default
//! marked) and their choice, which every turn of theirs runs on (unless the agent names its
//! own model). The clients' settings offer it as a picker.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use posey_http::{ApiError, AppJson};
use serde::Deserialize;
use serde_json::{Value, json};

use super::Person;
use crate::db;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/me/model", get(get_choice).put(set_choice))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Choice {
    /// A model's id from the list, or `null` for the default; required, so that a body that
    /// forgot it does not reset the choice.
    model: Value,
}

async fn get_choice(
    State(state): State<AppState>,
    Person(person): Person,
) -> Result<Json<Value>, ApiError> {
    let chosen = db::model_choices::get(state.db(), person).await?;
    Ok(Json(choice_json(&state, chosen)))
}

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
