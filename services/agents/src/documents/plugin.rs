//! The `documents` plugin: the `search_documents` tool (hybrid search over the person's ready
//! documents, each hit with its citation), instructions to cite, and the `/v1/documents` routes.

use std::sync::Arc;

use futures::future::BoxFuture;
use posey_domain::UserId;
use posey_vector::UserFilter;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa_axum::router::OpenApiRouter;
use uuid::Uuid;

use super::{COLLECTION, Documents, db};
use posey_models::embeddings::cosine_similarity;
use posey_plugin::{Export, Found, Host, Plugin, PluginState, Tool, ToolContext, ToolError};

/// Passages a lookup gives a weak model for a message ([`Tool::looks_up`]): what fits a small
/// context.
const LOOKUP_PASSAGES: usize = 3;
/// How close in meaning (cosine similarity of the embedding model's vectors) a passage must be
/// to the message for a lookup to give it. Measured with all-MiniLM-L6-v2 on the lease of the
/// API test `a_weak_model_gets_the_passages_a_question_is_about_and_none_for_small_talk`
/// (which prints the first figure): "When is my rent due?" scores 0.58 against the rent
/// passage; "Hello, how are you today?", "Good night!", "Thanks, that's helpful.", "What time
/// is it?" and "Remember that my dog is called Biscuit" at most 0.19 against any passage.
const LOOKUP_MIN_SIMILARITY: f32 = 0.3;

pub struct DocumentsPlugin {
    documents: Arc<Documents>,
}

impl DocumentsPlugin {
    pub fn new(documents: Arc<Documents>) -> Self {
        Self { documents }
    }
}

/// A passage found, and where it is.
#[derive(Debug, Clone, Serialize)]
pub struct Passage {
    pub document_id: Uuid,
    pub filename: String,
    /// The page (PDF) the passage is on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<i32>,
    /// The headings (DOCX, HTML, Markdown) the passage sits under.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heading: Option<String>,
    /// The chunk's position in the document, from 0.
    pub chunk: i32,
    /// How the answer cites it: `[filename p. N]` or `[filename § heading]`.
    pub cite: String,
    pub text: String,
    pub score: f32,
}

impl Documents {
    /// The passages of `person`'s ready documents best matching `query`, best first.
    pub async fn search(
        &self,
        person: Uuid,
        query: &str,
        limit: usize,
    ) -> anyhow::Result<Vec<Passage>> {
        let filter = UserFilter::for_user(UserId::from_uuid(person));
        let hits = self.knowledge.search(COLLECTION, query, filter, limit).await?;
        let ids: Vec<Uuid> = hits.iter().map(|hit| hit.id).collect();
        let rows = db::cited(&self.db, person, &ids).await?;
        Ok(hits
            .iter()
            .filter_map(|hit| {
                let row = rows.iter().find(|row| row.id == hit.id)?.clone();
                let cite = match (&row.page, &row.heading) {
                    (Some(page), _) => format!("[{} p. {page}]", row.filename),
                    (None, Some(heading)) => format!("[{} § {heading}]", row.filename),
                    (None, None) => format!("[{}]", row.filename),
                };
                Some(Passage {
                    document_id: row.document_id,
                    filename: row.filename,
                    page: row.page,
                    heading: row.heading,
                    chunk: row.ordinal,
                    cite,
                    text: row.text,
                    score: hit.score,
                })
            })
            .collect())
    }

    /// What a lookup gives a weak model for `message`: the best passages that are close in
    /// meaning to it ([`LOOKUP_MIN_SIMILARITY`]), with each one's similarity as its score.
    /// (The search's own scores are ranks fused, which say nothing of how close a passage is.)
    pub async fn relevant(&self, person: Uuid, message: &str) -> anyhow::Result<Vec<Passage>> {
        let passages = self.search(person, message, LOOKUP_PASSAGES).await?;
        if passages.is_empty() {
            return Ok(passages);
        }
        let mut texts = vec![message.to_owned()];
        texts.extend(passages.iter().map(|passage| passage.text.clone()));
        let vectors = self.knowledge.embedder.embed(&texts).await?;
        let Some((asked, found)) = vectors.split_first() else { return Ok(Vec::new()) };
        Ok(passages
            .into_iter()
            .zip(found)
            .filter_map(|(passage, vector)| {
                let similarity = cosine_similarity(asked, vector);
                tracing::debug!(cite = %passage.cite, similarity, "a passage a lookup found");
                (similarity >= LOOKUP_MIN_SIMILARITY)
                    .then_some(Passage { score: similarity, ..passage })
            })
            .collect())
    }
}

// `search_documents`' arguments (no doc comment: it would become the schema's description).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct SearchArgs {
    #[schemars(length(min = 1))]
    query: String,
    #[serde(default = "SearchArgs::default_limit")]
    #[schemars(range(min = 1, max = 20))]
    limit: usize,
}

impl SearchArgs {
    fn default_limit() -> usize {
        5
    }
}

impl Plugin for DocumentsPlugin {
    fn name(&self) -> &str {
        "documents"
    }

    fn description(&self) -> &str {
        "The person's uploaded documents (PDF, Word, HTML, Markdown, text), searchable with citations."
    }

    fn tools(&self) -> Vec<Tool> {
        let documents = self.documents.clone();
        let looked_up = self.documents.clone();
        vec![Tool::typed(
            "search_documents",
            "Search the person's documents; returns the best matching passages, each with where \
             it is (file, page or heading, chunk) and how to cite it.",
            move |context: ToolContext, args: SearchArgs| {
                let documents = documents.clone();
                async move {
                    // The schema wants a character; a query of spaces still says nothing.
                    let query = args.query.trim();
                    if query.is_empty() {
                        return Err(ToolError::new("query must not be empty"));
                    }
                    let passages = documents
                        .search(context.person, query, args.limit)
                        .await
                        .map_err(|error| ToolError::internal("search_documents", &error))?;
                    Ok(json!({"passages": passages}))
                }
            },
        )
        .looks_up(move |context: ToolContext, message: String| {
            let documents = looked_up.clone();
            async move {
                let passages = documents
                    .relevant(context.person, &message)
                    .await
                    .map_err(|error| ToolError::internal("search_documents", &error))?;
                Ok((!passages.is_empty()).then(|| Found {
                    arguments: json!({"query": message, "limit": LOOKUP_PASSAGES}),
                    // Each passage as its citation and text: the ids, positions and scores
                    // of the result are about half its tokens and tell the model nothing.
                    shown: Some(
                        passages
                            .iter()
                            .map(|passage| format!("{} {}", passage.cite, passage.text.trim()))
                            .collect::<Vec<_>>()
                            .join("\n\n"),
                    ),
                    result: json!({"passages": passages}),
                }))
            }
        })]
    }

    fn instructions(
        &self,
        _context: &ToolContext,
    ) -> BoxFuture<'static, anyhow::Result<Option<String>>> {
        Box::pin(async {
            Ok(Some(
                "The person's uploaded documents can be searched with search_documents. When an \
                 answer uses a passage, cite it right after the claim as the passage's `cite` \
                 field says, e.g. [manual.pdf p. 2] or [notes.md § Setup]. Say so when the \
                 documents do not answer the question; never invent a citation."
                    .to_owned(),
            ))
        })
    }

    /// `documents.json` (what the list shows of each) and each file as uploaded, under
    /// `files/`, read one at a time.
    fn export(
        &self,
        host: &Host,
        person: Uuid,
        out: Export,
    ) -> Option<BoxFuture<'static, anyhow::Result<()>>> {
        let db = host.db.clone();
        Some(Box::pin(async move {
            const PAGE: i64 = 100;
            let mut all = Vec::new();
            loop {
                let page = db::list(&db, person, PAGE, all.len() as i64).await?;
                let last = page.len() < PAGE as usize;
                all.extend(page);
                if last {
                    break;
                }
            }
            for document in &all {
                // Deleted since it was listed: nothing to give.
                let Some(bytes) = db::content(&db, person, document.id).await? else { continue };
                // The whole id: its first digits are a time (UUIDv7), the same for documents
                // stored within a minute, and two files of one name must not share a path.
                let id = document.id.simple();
                out.file(&format!("files/{id} {}", document.filename.replace('/', "-")), bytes)
                    .await?;
            }
            out.json("documents.json", &json!({"documents": all})).await
        }))
    }

    fn routes(&self, host: &Host) -> Option<OpenApiRouter> {
        Some(super::routes::router(self.documents.clone()).with_state(PluginState::new(host, ())))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn search_documents_schema_keeps_the_constraints_of_the_hand_written_one() {
        assert_eq!(
            posey_plugin::schema_of::<SearchArgs>(),
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
    }
}
