//! Tools: a name, what it does, the JSON schema of its arguments, and what it runs. A typed
//! tool ([`Tool::typed`]) derives the schema from its argument struct, so the schema the model
//! sees and the struct that parses the arguments cannot drift apart.

use std::sync::Arc;

use futures::future::BoxFuture;
use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::ToolContext;

// The arguments of a tool that takes none: `{}`. (No doc comment: it would become the schema's
// description, which a model reads.)
#[derive(Debug, Clone, Copy, serde::Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoArguments {}

/// A failure the model is told about (the message is model-visible; keep internals out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolError(pub String);

impl ToolError {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }

    /// An internal failure: logged here, and the model only hears that the tool failed.
    pub fn internal(tool: &str, error: &anyhow::Error) -> Self {
        tracing::error!(tool, error = format!("{error:#}"), "a tool failed");
        Self(format!("the {tool} tool failed; try again later"))
    }
}

pub type ToolFuture = BoxFuture<'static, Result<Value, ToolError>>;
type Handler = dyn Fn(ToolContext, Value) -> ToolFuture + Send + Sync;

/// What a lookup found for a message: the arguments it ran with (shown and stored as the
/// call's) and its result.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub arguments: Value,
    pub result: Value,
    /// What the model is shown of it next to the message, when not the result as JSON: a
    /// compact form for a small model, each of whose prompt tokens costs the person's wait (the
    /// stream and the history keep `result`).
    pub shown: Option<String>,
}

/// A lookup's answer: what it found, or `None` when nothing is relevant to the message.
pub type LookupFuture = BoxFuture<'static, Result<Option<Found>, ToolError>>;
type Lookup = dyn Fn(ToolContext, String) -> LookupFuture + Send + Sync;

/// One tool. The runtime checks arguments against `parameters` before the handler sees them
/// (so a model that sent bad ones hears every problem and may try again).
#[derive(Clone)]
pub struct Tool {
    pub name: String,
    pub description: String,
    pub parameters: Value,
    handler: Arc<Handler>,
    lookup: Option<Arc<Lookup>>,
}

impl Tool {
    /// A tool whose arguments are the struct `A`: its JSON schema (from `schemars`, with the
    /// constraints its attributes give) is what the model is offered, and the arguments reach
    /// `handler` parsed. A tool without arguments takes a struct without fields.
    pub fn typed<A, F, Fut>(
        name: impl Into<String>,
        description: impl Into<String>,
        handler: F,
    ) -> Self
    where
        A: JsonSchema + DeserializeOwned + Send + 'static,
        F: Fn(ToolContext, A) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Value, ToolError>> + Send + 'static,
    {
        let handler = Arc::new(handler);
        Self {
            name: name.into(),
            description: description.into(),
            parameters: schema_of::<A>(),
            lookup: None,
            handler: Arc::new(move |context, arguments| {
                // Checked against the schema already; what serde still refuses is said plainly.
                match serde_json::from_value::<A>(arguments) {
                    Ok(arguments) => Box::pin(handler(context, arguments)),
                    Err(error) => Box::pin(std::future::ready(Err(ToolError::new(format!(
                        "invalid arguments: {error}"
                    ))))),
                }
            }),
        }
    }

    /// A tool whose arguments' schema is written by hand: for schemas only known at run time
    /// (an MCP server's tools).
    pub fn untyped<F, Fut>(
        name: impl Into<String>,
        description: impl Into<String>,
        parameters: Value,
        handler: F,
    ) -> Self
    where
        F: Fn(ToolContext, Value) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Value, ToolError>> + Send + 'static,
    {
        Self {
            name: name.into(),
            description: description.into(),
            parameters,
            lookup: None,
            handler: Arc::new(move |context, arguments| Box::pin(handler(context, arguments))),
        }
    }

    /// Makes a read-only tool (a search) one that can look the message itself up: for a model
    /// that calls tools weakly or not at all, the runtime runs `lookup` on each message instead
    /// of offering the tool, and what it found (`None`: nothing relevant to the message) goes
    /// next to the message, stored and streamed as this tool's call and result. So what a
    /// search finds never rests on a small model deciding to search, and the lookup, which
    /// knows its data, decides what is relevant.
    pub fn looks_up<F, Fut>(mut self, lookup: F) -> Self
    where
        F: Fn(ToolContext, String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Option<Found>, ToolError>> + Send + 'static,
    {
        self.lookup = Some(Arc::new(move |context, message| Box::pin(lookup(context, message))));
        self
    }

    /// Whether it looks messages up ([`Tool::looks_up`]).
    pub fn is_lookup(&self) -> bool {
        self.lookup.is_some()
    }

    /// Looks `message` up, if it is a lookup.
    pub fn look_up(&self, context: ToolContext, message: &str) -> Option<LookupFuture> {
        self.lookup.as_ref().map(|lookup| lookup(context, message.to_owned()))
    }

    /// Runs the handler on arguments already checked against `parameters`.
    pub fn call(&self, context: ToolContext, arguments: Value) -> ToolFuture {
        (self.handler)(context, arguments)
    }
}

/// `A`'s JSON schema as a model is offered it: an object schema, inlined (no `$defs`), without
/// the meta-schema and title that say nothing to a model. An optional field is one that may be
/// left out, not one that may be null (what a model is shown is what it should send).
pub fn schema_of<A: JsonSchema>() -> Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12()
        .with(|settings| settings.inline_subschemas = true)
        .into_generator();
    let mut schema = generator.into_root_schema_for::<A>().to_value();
    if let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) {
        properties.values_mut().for_each(not_null);
    }
    if let Some(object) = schema.as_object_mut() {
        object.remove("$schema");
        object.remove("title");
        // A struct without fields: an object that takes none.
        object.entry("properties").or_insert_with(|| Value::Object(serde_json::Map::new()));
    }
    schema
}

/// An optional field's schema without the `null` schemars adds to it: `["string", "null"]` is
/// `"string"`, and an enum loses its `null` value. (Subschemas are inlined, so schemars never
/// wraps an optional field in `anyOf`.)
fn not_null(schema: &mut Value) {
    let Some(object) = schema.as_object_mut() else { return };
    if let Some(Value::Array(types)) = object.get_mut("type") {
        types.retain(|kind| kind != "null");
        if let [only] = types.as_slice() {
            let only = only.clone();
            object.insert("type".to_owned(), only);
        }
    }
    if let Some(Value::Array(values)) = object.get_mut("enum") {
        values.retain(|value| !value.is_null());
    }
}

#[cfg(test)]
mod tests {
    use schemars::JsonSchema;
    use serde::Deserialize;
    use serde_json::json;

    use super::*;

    #[derive(Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)] // Read through its schema.
    struct Remember {
        /// What to remember
        #[schemars(length(min = 1, max = 2000))]
        text: String,
        kind: Option<Kind>,
    }

    #[derive(Deserialize, JsonSchema)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Fact,
        Preference,
    }

    #[derive(Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    struct Nothing {}

    #[test]
    fn the_schema_comes_from_the_struct_with_its_constraints_and_docs() {
        let schema = schema_of::<Remember>();
        assert_eq!(schema["type"], "object");
        assert_eq!(schema["required"], json!(["text"]));
        assert_eq!(schema["additionalProperties"], false);
        assert_eq!(schema["properties"]["text"]["minLength"], 1);
        assert_eq!(schema["properties"]["text"]["maxLength"], 2000);
        assert_eq!(schema["properties"]["text"]["description"], "What to remember");
        // Inlined, so a model (and the runtime's checker) sees the values without `$ref`.
        let kind = schema["properties"]["kind"].to_string();
        assert!(kind.contains("preference") && !kind.contains("$ref"), "{kind}");
        assert!(schema.get("$schema").is_none() && schema.get("title").is_none());
        assert!(schema.get("$defs").is_none(), "{schema}");
    }

    #[test]
    fn an_optional_field_may_be_left_out_not_sent_as_null() {
        let schema = schema_of::<Remember>();
        assert_eq!(schema["properties"]["kind"]["type"], "string", "{schema}");
        assert_eq!(schema["properties"]["kind"]["enum"], json!(["fact", "preference"]), "{schema}");
    }

    #[test]
    fn a_tool_without_arguments_takes_an_empty_object() {
        let schema = schema_of::<NoArguments>();
        assert!(schema.get("description").is_none(), "{schema}");
        let schema = schema_of::<Nothing>();
        assert_eq!(schema["type"], "object");
        assert_eq!(schema["properties"], json!({}));
        assert_eq!(schema["additionalProperties"], false);
    }
}
