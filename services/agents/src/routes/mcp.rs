//! `/mcp`: Posey's own tools (every plugin's) served over MCP's streamable HTTP transport for
//! the signed-in person: the caller's access token (`Authorization: Bearer`) decides whose
//! profile, calendar, ... the tools work on, exactly as in a conversation. Arguments are checked
//! against each tool's schema as the runtime does.

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRequestParts, Request, State};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use rmcp::model::{
    CallToolRequestParams, CallToolResult, ContentBlock, Implementation, ListToolsResult,
    PaginatedRequestParams, ServerCapabilities, ServerInfo,
};
use rmcp::service::{RequestContext, RoleServer};
use rmcp::transport::streamable_http_server::session::local::LocalSessionManager;
use rmcp::transport::streamable_http_server::{StreamableHttpServerConfig, StreamableHttpService};
use rmcp::{ErrorData, ServerHandler};
use serde_json::Value;
use uuid::Uuid;

use super::person::PersonWithToken;
use crate::plugins::Credential;
use crate::runtime::Runtime;
use crate::runtime::schema;
use crate::state::AppState;
use posey_plugin::responses::NeedsPerson;

pub fn router(state: AppState) -> Router<AppState> {
    let handler = McpTools { runtime: state.runtime.clone(), turns: state.turns.clone() };
    // Stateless: every request is whole, so any replica answers any request. Host checks are
    // off: the bearer token, which a rebinding page cannot send, is what guards the endpoint.
    let config = StreamableHttpServerConfig::default()
        .with_stateful_mode(false)
        .with_json_response(true)
        .disable_allowed_hosts();
    let service = StreamableHttpService::new(
        move || Ok(handler.clone()),
        Arc::new(LocalSessionManager::default()),
        config,
    );
    Router::new()
        .route_service("/mcp", service)
        .route_layer(middleware::from_fn_with_state(state, authenticate))
}

/// MCP (streamable HTTP, stateless): every plugin's tools, for the signed-in person
#[utoipa::path(post, path = "/mcp", tag = "mcp", operation_id = "mcp", security(("bearer" = [])),
    request_body(content = Object, description = "A JSON-RPC message", content_type = "application/json"),
    responses(
        (status = 200, description = "The JSON-RPC answer", body = Object),
        (status = 202, description = "A notification was accepted"),
        (status = 406, description = "The client does not accept both `application/json` and `text/event-stream` (`bad_request`)", body = posey_http::openapi::Error),
        (status = 415, description = "The body is not `application/json`, or not JSON-RPC (`unsupported_media_type`)", body = posey_http::openapi::Error),
        (status = 500, description = "An unexpected failure checking the token (`internal`)", body = posey_http::openapi::Error),
        NeedsPerson,
    ))]
#[allow(dead_code)] // Served by the MCP service above; described here.
pub(super) fn mcp() {}

/// The person behind the request and their token, for the MCP handler (which sees the
/// request's parts).
#[derive(Debug, Clone)]
struct McpPerson(Uuid, Credential);

async fn authenticate(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    match PersonWithToken::from_request_parts(&mut parts, &state).await {
        Ok(PersonWithToken(person, credential)) => {
            parts.extensions.insert(McpPerson(person, credential));
            next.run(Request::from_parts(parts, body)).await
        }
        Err(error) => error.into_response(),
    }
}

#[derive(Clone)]
struct McpTools {
    /// The plugins' tools, and the context they run with.
    runtime: Arc<Runtime>,
    /// Where actions a tool asked the person to confirm are stored.
    turns: crate::turns::Turns,
}

impl McpTools {
    fn person(context: &RequestContext<RoleServer>) -> Result<McpPerson, ErrorData> {
        context
            .extensions
            .get::<axum::http::request::Parts>()
            .and_then(|parts| parts.extensions.get::<McpPerson>())
            .cloned()
            .ok_or_else(|| ErrorData::invalid_request("no signed-in person", None))
    }
}

impl ServerHandler for McpTools {
    fn get_info(&self) -> ServerInfo {
        let mut info = ServerInfo::default();
        info.capabilities = ServerCapabilities::builder().enable_tools().build();
        info.server_info = Implementation::new("posey", env!("CARGO_PKG_VERSION"));
        info.instructions = Some("Posey's tools, working for the signed-in person.".into());
        info
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        let tools = self
            .runtime
            .plugins
            .tools()
            .map(|tool| {
                let schema = match &tool.parameters {
                    Value::Object(object) => object.clone(),
                    _ => serde_json::Map::new(),
                };
                rmcp::model::Tool::new(
                    tool.name.clone(),
                    tool.description.clone(),
                    Arc::new(schema),
                )
            })
            .collect();
        Ok(ListToolsResult::with_all_items(tools))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResult, ErrorData> {
        let McpPerson(person, credential) = Self::person(&context)?;
        let Some(tool) = self.runtime.plugins.tool(&request.name) else {
            return Err(ErrorData::invalid_params(format!("no tool {:?}", request.name), None));
        };
        let arguments = Value::Object(request.arguments.unwrap_or_default());
        let problems = schema::validate(&tool.parameters, &arguments);
        if !problems.is_empty() {
            let message = format!("invalid arguments: {}", problems.join("; "));
            return Ok(CallToolResult::error(vec![ContentBlock::text(message)]));
        }
        let context = self.runtime.tool_context(person, Some(credential));
        let asks = context.asks.clone();
        let called = tool.call(context, arguments).await;
        // A tool that asked the person to confirm: the action waits for them in the app.
        if let Err(error) = self.turns.store_asks(person, &asks.all()).await {
            tracing::error!(
                error = format!("{error:#}"),
                "storing the actions an MCP call asked for"
            );
            return Err(ErrorData::internal_error("the call could not be completed", None));
        }
        match called {
            Ok(Value::String(text)) => Ok(CallToolResult::success(vec![ContentBlock::text(text)])),
            Ok(value) => Ok(CallToolResult::success(vec![ContentBlock::text(value.to_string())])),
            Err(error) => Ok(CallToolResult::error(vec![ContentBlock::text(error.0)])),
        }
    }
}
