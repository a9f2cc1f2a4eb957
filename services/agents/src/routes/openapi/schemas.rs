//! The shapes of answers the handlers build as JSON (or from types of other crates), and the
//! string values some stored fields take, for the OpenAPI document only; the API test checks
//! real answers against them. Types the handlers serialise themselves derive their schemas
//! where they are defined.

// Never built: they only describe.
#![allow(dead_code)]

use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::db::conversations::Conversation;
use crate::db::messages::StoredMessage;

#[derive(Serialize, ToSchema)]
pub struct ConversationList {
    conversations: Vec<Conversation>,
}

#[derive(Serialize, ToSchema)]
pub struct MessageList {
    messages: Vec<StoredMessage>,
}

#[derive(Serialize, ToSchema)]
pub struct Agent {
    name: String,
    description: String,
    model: String,
    plugins: Vec<String>,
    delegates: Vec<String>,
    router: bool,
}

#[derive(Serialize, ToSchema)]
pub struct AgentList {
    agents: Vec<Agent>,
}

#[derive(Serialize, ToSchema)]
pub struct Plugin {
    name: String,
    description: String,
    #[schema(inline)]
    tools: Vec<PluginTool>,
}

#[derive(Serialize, ToSchema)]
pub struct PluginTool {
    name: String,
    description: String,
    #[schema(value_type = Object)]
    parameters: Value,
}

#[derive(Serialize, ToSchema)]
pub struct PluginList {
    plugins: Vec<Plugin>,
}

#[derive(Serialize, ToSchema)]
#[schema(description = "What a model can be trusted with, derived from the model (a GGUF's \
                        header, known provider models) and corrected by the operator (the \
                        agents file's `models:`, `POSEY_MODEL_*`).")]
pub struct ModelProfile {
    /// Prompt and reply tokens one request may use
    #[schema(minimum = 1)]
    context_tokens: u32,
    /// The most tokens of one reply, when capped below the context
    #[schema(required = true)]
    max_output_tokens: Option<u32>,
    // (Descriptions are kept on one line: a doc comment's line breaks stay in the document.)
    /// full: every tool of the agent; weak: only the few tools relevant to each message; none: no tools
    #[schema(inline)]
    tools: ToolCalling,
    /// Whether it may hand tasks to specialist agents
    delegation: bool,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ToolCalling {
    Full,
    Weak,
    None,
}

#[derive(Serialize, ToSchema)]
pub struct ChatModel {
    /// What to choose it by: `local`, `local:<file>.gguf`, `provider:model`
    id: String,
    description: String,
    /// Whether it is the model turns use unless the person chose another
    default: bool,
    /// configured (POSEY_MODEL, an agent's model, the agents file's models) or a GGUF found in the data directory's models folder
    #[schema(inline)]
    source: ModelSource,
    profile: ModelProfile,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ModelSource {
    Configured,
    DataDir,
}

#[derive(Serialize, ToSchema)]
pub struct ModelChoice {
    /// The person's choice; null: the default
    #[schema(required = true)]
    model: Option<String>,
    /// The model the person's turns run on (agents that name their own model keep it); the default when the choice is no longer offered
    using: String,
    /// The models the person may choose, the default first
    models: Vec<ChatModel>,
}

/// `GET /v1/models`: OpenAI's list of models.
#[derive(Serialize, ToSchema)]
pub struct ModelList {
    #[schema(inline)]
    object: ListObject,
    #[schema(inline)]
    data: Vec<ModelEntry>,
}

#[derive(Serialize, ToSchema)]
pub struct ModelEntry {
    id: String,
    #[schema(inline)]
    object: ModelObject,
    created: i64,
    owned_by: String,
    #[schema(inline)]
    kind: ModelKind,
    description: String,
    /// A chat model's: whether it is the default
    default: Option<bool>,
    /// A chat model's
    profile: Option<ModelProfile>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ModelKind {
    Agent,
    ChatModel,
}

/// Always `list`.
#[derive(Serialize, ToSchema)]
pub enum ListObject {
    #[serde(rename = "list")]
    List,
}

/// Always `model`.
#[derive(Serialize, ToSchema)]
pub enum ModelObject {
    #[serde(rename = "model")]
    Model,
}

/// An OpenAI chat message's role.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ChatRole {
    System,
    Developer,
    User,
    Assistant,
    Tool,
}

/// Always `function`.
#[derive(Serialize, ToSchema)]
pub enum FunctionType {
    #[serde(rename = "function")]
    Function,
}
