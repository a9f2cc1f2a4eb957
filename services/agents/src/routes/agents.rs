//! `/v1/agents` and `/v1/plugins`: what the companion is made of.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use posey_http::ApiError;
use serde_json::{Value, json};

use super::Person;
use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/agents", get(list_agents)).route("/v1/plugins", get(list_plugins))
}

async fn list_agents(
    State(state): State<AppState>,
    _person: Person,
) -> Result<Json<Value>, ApiError> {
    let runtime = &state.runtime;
    let agents: Vec<Value> = runtime
        .agents
        .agents
        .iter()
        .map(|agent| {
            let delegates: Vec<&str> =
                runtime.agents.delegates_of(agent).iter().map(|a| a.name.as_str()).collect();
            json!({
                "name": agent.name,
                "description": agent.description,
                "model": runtime.model_of(agent),
                "plugins": agent.plugins,
                "delegates": delegates,
                "router": agent.name == runtime.agents.router,
            })
        })
        .collect();
    Ok(Json(json!({"agents": agents})))
}

async fn list_plugins(
    State(state): State<AppState>,
    _person: Person,
) -> Result<Json<Value>, ApiError> {
    let plugins: Vec<Value> = state
        .runtime
        .plugins
        .all()
        .map(|plugin| {
            let tools: Vec<Value> = plugin
                .tools()
                .into_iter()
                .map(|tool| json!({"name": tool.name, "description": tool.description, "parameters": tool.parameters}))
                .collect();
            json!({"name": plugin.name(), "description": plugin.description(), "tools": tools})
        })
        .collect();
    Ok(Json(json!({"plugins": plugins})))
}
