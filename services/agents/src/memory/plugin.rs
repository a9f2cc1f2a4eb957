//! The `memory` plugin: relevant memories next to the message before a turn, extraction after
//! it, the `remember`, `recall` and `forget` tools, and the `/v1/memories` routes.

use std::sync::Arc;

use anyhow::Context;
use futures::future::BoxFuture;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

use super::{Kind, Memories, Memory, Origin, check_text};
use crate::knowledge::Knowledge;
use crate::models::SharedModels;
use posey_plugin::{Export, FinishedTurn, Host, Plugin, PluginState, Tool, ToolContext, ToolError};

/// Memories most relevant to the message put in context.
const RELEVANT: usize = 5;
/// Most recent memories put in context besides.
const RECENT: usize = 3;

pub struct MemoryPlugin {
    memories: Memories,
    /// What the routes run with.
    knowledge: Arc<Knowledge>,
    models: SharedModels,
    /// The model spec extraction runs on (`AGENTS_MEMORY_MODEL`).
    model: String,
    /// Whether memories are extracted after turns (the memory model calls tools well).
    extracts: bool,
}

impl MemoryPlugin {
    /// Opens (or creates) the `memories` collection; extraction will run on `model` when
    /// `extracts`.
    pub async fn open(
        db: sqlx::PgPool,
        knowledge: Arc<Knowledge>,
        models: SharedModels,
        model: String,
        extracts: bool,
    ) -> anyhow::Result<Self> {
        let spec = super::spec(&knowledge)?;
        knowledge
            .store
            .ensure_collection(&spec)
            .await
            .context("opening the memories vector collection (posey admin reindex rebuilds it)")?;
        if extracts {
            tracing::info!(model = %model, "the memory plugin extracts memories with this model");
        }
        Ok(Self {
            memories: Memories::new(db, knowledge.clone()),
            knowledge,
            models,
            model,
            extracts,
        })
    }
}

// The tools' arguments (no doc comments on the structs: they would become the schemas'
// descriptions).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RememberArgs {
    #[schemars(length(min = 1, max = super::MAX_TEXT))]
    text: String,
    #[serde(default)]
    kind: Kind,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RecallArgs {
    #[schemars(length(min = 1))]
    query: String,
    #[serde(default = "RecallArgs::default_limit")]
    #[schemars(range(min = 1, max = 20))]
    limit: usize,
}

impl RecallArgs {
    fn default_limit() -> usize {
        5
    }
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ForgetArgs {
    #[schemars(extend("format" = "uuid"))]
    id: Option<String>,
    #[schemars(length(min = 1))]
    query: Option<String>,
}

fn shown(memory: &Memory) -> Value {
    json!({"id": memory.id, "text": memory.text, "kind": memory.kind,
           "updated_at": memory.updated_at})
}

/// The block next to the message listing what the agent remembers; `compact` (for a small
/// model) without kinds and ids, which took half its tokens (`forget` finds a memory by a
/// query too).
fn context_block(memories: &[Memory], compact: bool) -> Option<String> {
    if memories.is_empty() {
        return None;
    }
    let mut block = String::from(if compact {
        "What you remember about the person:"
    } else {
        "What you remember about the person (from earlier conversations; use it when it helps, \
         and the `forget` tool with the id when they ask you to forget something):"
    });
    for memory in memories {
        if compact {
            block.push_str(&format!("\n- {}", memory.text));
        } else {
            block.push_str(&format!("\n- [{}] {} (id {})", memory.kind, memory.text, memory.id));
        }
    }
    Some(block)
}

impl Plugin for MemoryPlugin {
    fn name(&self) -> &str {
        "memory"
    }

    fn description(&self) -> &str {
        "Long-term memory of the person: what they told in earlier conversations."
    }

    fn tools(&self) -> Vec<Tool> {
        let remember = self.memories.clone();
        let recall = self.memories.clone();
        let forget = self.memories.clone();
        vec![
            Tool::typed(
                "remember",
                "Remember something lasting about the person (a fact, preference, event, \
                 relationship or goal), as one short sentence.",
                move |context: ToolContext, args: RememberArgs| {
                    let memories = remember.clone();
                    async move {
                        let text = check_text(&args.text)
                            .map_err(|problem| ToolError::new(format!("text {problem}")))?;
                        let memory = memories
                            .add(context.person, &text, args.kind, Origin::Agent)
                            .await
                            .map_err(|error| ToolError::internal("remember", &error))?;
                        Ok(json!({"remembered": shown(&memory)}))
                    }
                },
            ),
            Tool::typed(
                "recall",
                "Search what you remember about the person, most relevant first.",
                move |context: ToolContext, args: RecallArgs| {
                    let memories = recall.clone();
                    async move {
                        // The schema wants a character; a query of spaces still says nothing.
                        if args.query.trim().is_empty() {
                            return Err(ToolError::new("query must not be empty"));
                        }
                        let found = memories
                            .search(context.person, &args.query, None, args.limit)
                            .await
                            .map_err(|error| ToolError::internal("recall", &error))?;
                        let found: Vec<Value> = found.iter().map(|f| shown(&f.memory)).collect();
                        Ok(json!({"memories": found}))
                    }
                },
            ),
            Tool::typed(
                "forget",
                "Forget a memory for good: by its id, or the one that best matches a query.",
                move |context: ToolContext, args: ForgetArgs| {
                    let memories = forget.clone();
                    async move {
                        let fail = |error: anyhow::Error| ToolError::internal("forget", &error);
                        let target = match (args.id, args.query) {
                            (Some(id), _) => {
                                let id: Uuid = id.trim().parse().map_err(|_| {
                                    ToolError::new("id is not a memory id (a UUID)")
                                })?;
                                super::db::get(&memories.db, context.person, id)
                                    .await
                                    .map_err(fail)?
                            }
                            (None, Some(query)) if !query.trim().is_empty() => memories
                                .search(context.person, &query, None, 1)
                                .await
                                .map_err(fail)?
                                .into_iter()
                                .next()
                                .map(|found| found.memory),
                            _ => return Err(ToolError::new("give the memory's id or a query")),
                        };
                        let Some(memory) = target else {
                            return Err(ToolError::new("no such memory"));
                        };
                        memories.delete(context.person, memory.id).await.map_err(fail)?;
                        Ok(json!({"forgotten": shown(&memory)}))
                    }
                },
            ),
        ]
    }

    /// The memories relevant to the message (and the most recent), next to the message: they
    /// change with it.
    fn context(&self, context: &ToolContext) -> BoxFuture<'static, anyhow::Result<Option<String>>> {
        let memories = self.memories.clone();
        let person = context.person;
        let message = context.message.clone();
        let compact = context.compact;
        Box::pin(async move {
            let chosen = memories.for_context(person, message.as_deref(), RELEVANT, RECENT).await?;
            Ok(context_block(&chosen, compact))
        })
    }

    fn after_turn(&self, turn: Arc<FinishedTurn>) -> BoxFuture<'static, anyhow::Result<()>> {
        let memories = self.memories.clone();
        let models = self.models.clone();
        let model_name = self.model.clone();
        let extracts = self.extracts;
        Box::pin(async move {
            // A command ("remember that …") was carried out already: extracting it again
            // would only store it twice, on a model's reading.
            if !extracts || turn.failed || turn.explicit_command {
                return Ok(());
            }
            let model = models.model(&model_name).await.context("the memory model")?;
            let applied = memories.extract(&model, &model_name, &turn).await?;
            tracing::info!(
                turn = %turn.turn_id,
                added = applied.added.len(),
                updated = applied.updated.len(),
                deleted = applied.deleted.len(),
                unchanged = applied.unchanged,
                "memories extracted"
            );
            Ok(())
        })
    }

    /// `memories.json`: every memory with its history (what `GET /v1/memories/export` gives).
    fn export(
        &self,
        _host: &Host,
        person: Uuid,
        out: Export,
    ) -> Option<BoxFuture<'static, anyhow::Result<()>>> {
        let db = self.memories.db.clone();
        Some(Box::pin(async move {
            let all = super::db::all(&db, person).await?;
            out.json("memories.json", &json!({"memories": all})).await
        }))
    }

    fn routes(&self, host: &Host) -> Option<OpenApiRouter> {
        Some(super::routes::router().with_state(PluginState::new(host, self.knowledge.clone())))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_tools_schemas_keep_the_constraints_of_the_hand_written_ones() {
        let kinds: Vec<&str> = Kind::ALL.map(Kind::as_str).to_vec();
        assert_eq!(
            posey_plugin::schema_of::<RememberArgs>(),
            json!({
                "type": "object",
                "properties": {
                    "text": {"type": "string", "minLength": 1, "maxLength": crate::memory::MAX_TEXT},
                    "kind": {"type": "string", "enum": kinds, "default": "fact",
                             "description": "What a memory is about."}
                },
                "required": ["text"],
                "additionalProperties": false
            })
        );
        assert_eq!(
            posey_plugin::schema_of::<RecallArgs>(),
            json!({
                "type": "object",
                "properties": {
                    "query": {"type": "string", "minLength": 1},
                    "limit": {"type": "integer", "format": "uint", "minimum": 1, "maximum": 20,
                              "default": 5}
                },
                "required": ["query"],
                "additionalProperties": false
            })
        );
        // Both optional (may be left out); at least one is checked by the tool.
        assert_eq!(
            posey_plugin::schema_of::<ForgetArgs>(),
            json!({
                "type": "object",
                "properties": {
                    "id": {"type": "string", "format": "uuid"},
                    "query": {"type": "string", "minLength": 1}
                },
                "additionalProperties": false
            })
        );
    }
}
