//! `/v1/agents` and `/v1/plugins`: what the companion is made of.

use axum::Json;
use axum::extract::State;
use posey_http::ApiError;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::Person;
use super::openapi::schemas::{AgentList, PluginList};
use crate::state::AppState;
use posey_plugin::responses::NeedsPerson;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(list_agents)).routes(routes!(list_plugins))
}

/// The agents: the router and its specialists
#[utoipa::path(get, path = "/v1/agents", tag = "companion", operation_id = "listAgents",
    security(("bearer" = [])),
    responses((status = 200, description = "The agents", body = inline(AgentList)), NeedsPerson))]
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

/// The plugins and their tools
#[utoipa::path(get, path = "/v1/plugins", tag = "companion", operation_id = "listPlugins",
    security(("bearer" = [])),
    responses((status = 200, description = "The plugins", body = inline(PluginList)), NeedsPerson))]
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
