//! MCP servers as plugins: each server in the agents file's `mcp_servers` (a program spoken to
//! over stdio, or a streamable HTTP URL) is connected at start, and its tools become the tools
//! of a plugin named after it. A call goes to the server; its text content is the result, and
//! an error result (or a lost server) is a tool error the model hears about.

use std::sync::Arc;

use anyhow::Context;
use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use rmcp::service::{Peer, RoleClient, RunningService};
use rmcp::transport::{StreamableHttpClientTransport, TokioChildProcess};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::{Plugin, Tool, ToolError};
use crate::catalog::McpServerSpec;

/// Connects to every configured server; one that cannot be reached stops the start, named.
pub async fn connect_all(
    servers: &[McpServerSpec],
    cancel: CancellationToken,
) -> anyhow::Result<Vec<Arc<dyn Plugin>>> {
    let mut plugins: Vec<Arc<dyn Plugin>> = Vec::new();
    for server in servers {
        let plugin = McpPlugin::connect(server, cancel.clone())
            .await
            .with_context(|| format!("MCP server {:?} (AGENTS_CONFIG)", server.name))?;
        tracing::info!(server = %server.name, tools = plugin.tools.len(), "MCP server connected");
        plugins.push(Arc::new(plugin));
    }
    Ok(plugins)
}

pub struct McpPlugin {
    name: String,
    description: String,
    tools: Vec<Tool>,
}

impl McpPlugin {
    async fn connect(spec: &McpServerSpec, cancel: CancellationToken) -> anyhow::Result<Self> {
        let service: RunningService<RoleClient, ()> = match (&spec.command, &spec.url) {
            (Some(command), _) => {
                let mut process = tokio::process::Command::new(command);
                process.args(&spec.args).envs(&spec.env);
                let transport = TokioChildProcess::new(process)
                    .with_context(|| format!("cannot start {command:?}"))?;
                ().serve(transport).await.context("the MCP handshake failed")?
            }
            (None, Some(url)) => {
                let transport = StreamableHttpClientTransport::from_uri(url.as_str());
                ().serve(transport).await.with_context(|| format!("cannot reach {url}"))?
            }
            (None, None) => anyhow::bail!("needs a command or a url"),
        };
        let listed = service.list_all_tools().await.context("listing its tools")?;
        let peer = service.peer().clone();
        // The connection lives until the service stops.
        tokio::spawn(async move {
            cancel.cancelled().await;
            let _ = service.cancel().await;
        });
        let tools = listed
            .into_iter()
            .map(|tool| {
                let name = tool.name.to_string();
                let description = tool.description.as_deref().unwrap_or_default().to_owned();
                let parameters = Value::Object((*tool.input_schema).clone());
                let peer = peer.clone();
                let remote = name.clone();
                Tool::untyped(name, description, parameters, move |_context, arguments| {
                    call(peer.clone(), remote.clone(), arguments)
                })
            })
            .collect();
        let description = if spec.description.is_empty() {
            format!("Tools of the MCP server {}", spec.name)
        } else {
            spec.description.clone()
        };
        Ok(Self { name: spec.name.clone(), description, tools })
    }
}

async fn call(peer: Peer<RoleClient>, name: String, arguments: Value) -> Result<Value, ToolError> {
    let mut params = CallToolRequestParams::new(name.clone());
    if let Value::Object(arguments) = arguments {
        params = params.with_arguments(arguments);
    }
    let result = peer.call_tool(params).await.map_err(|error| {
        ToolError::internal(&name, &anyhow::anyhow!("the MCP server failed: {error}"))
    })?;
    let text: Vec<String> = result
        .content
        .iter()
        .filter_map(|content| content.as_text().map(|text| text.text.clone()))
        .collect();
    let text = if text.is_empty() {
        result.structured_content.map(|value| value.to_string()).unwrap_or_default()
    } else {
        text.join("\n")
    };
    if result.is_error == Some(true) { Err(ToolError::new(text)) } else { Ok(Value::String(text)) }
}

impl Plugin for McpPlugin {
    fn name(&self) -> &str {
        &self.name
    }

    fn description(&self) -> &str {
        &self.description
    }

    fn tools(&self) -> Vec<Tool> {
        self.tools.clone()
    }
}
