//! `POST /v1/graphql`: queries and mutations (one request or a batch), as Hasura serves them;
//! `GET /v1/graphql` upgrades to a WebSocket for subscriptions (see `ws`).

use std::sync::Arc;

use async_graphql::dynamic::Schema;
use async_graphql::{BatchRequest, Request};
use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;

use crate::catalog::Access;
use crate::compile::Compiler;
use crate::errors::GatewayError;
use crate::execute::{Engine, TxSlot};
use crate::session::{Credentials, Session};
use crate::state::AppState;
use crate::{fast, guard};

pub fn router() -> Router<AppState> {
    Router::new().route("/v1/graphql", post(post_graphql).get(super::ws::upgrade))
}

async fn post_graphql(State(state): State<AppState>, headers: HeaderMap, body: Body) -> Response {
    match handle(&state, &headers, body).await {
        Ok(json) => ([(header::CONTENT_TYPE, "application/json")], json).into_response(),
        Err(error) => error.into_response(),
    }
}

/// The answer as JSON text (serialised once, straight from the executor's response).
async fn handle(state: &AppState, headers: &HeaderMap, body: Body) -> Result<String, GatewayError> {
    let limits = &state.config.limits;
    let bytes = axum::body::to_bytes(body, limits.max_body_bytes).await.map_err(|_| {
        GatewayError::new(
            "payload-too-large",
            format!("the request body is larger than {} bytes", limits.max_body_bytes),
        )
    })?;
    let session =
        Credentials::from_headers(headers).resolve(&state.config.engine, &state.verifier).await?;
    let batch: BatchRequest = serde_json::from_slice(&bytes).map_err(|error| {
        GatewayError::new("invalid-json", format!("the body is not a GraphQL request: {error}"))
    })?;
    let (schema, engine) = state.gateway.engine_for(&session)?;
    let schema = (schema, engine);
    Ok(match batch {
        BatchRequest::Single(request) => run(state, &schema, &session, request).await,
        BatchRequest::Batch(requests) => {
            if session.access != Access::Admin && requests.len() > limits.max_batch {
                return Err(GatewayError::validation(format!(
                    "a batch may hold at most {} operations",
                    limits.max_batch
                )));
            }
            let mut out = Vec::with_capacity(requests.len());
            for request in requests {
                out.push(run(state, &schema, &session, request).await);
            }
            format!("[{}]", out.join(","))
        }
    })
}

/// Executes one operation; its mutations commit together, or not at all.
async fn run(
    state: &AppState,
    (schema, engine): &(Schema, Arc<Engine>),
    session: &Session,
    mut request: Request,
) -> String {
    // Parsing is the same for every role: parsed documents are kept by query text. A kept
    // text has passed the text bounds already; a new one is scanned before the parser sees it,
    // so nothing recurses over the request before its size and nesting are within the limits.
    let limits = &state.config.limits;
    let document = match state.gateway.parsed(&request.query) {
        Some(document) => Some(document),
        None => {
            if let Err(error) = guard::check_text(&request.query, limits) {
                return error.body().to_string();
            }
            async_graphql::parser::parse_query(&request.query).ok().inspect(|document| {
                state.gateway.remember_parsed(&request.query, document.clone());
            })
        }
    };
    let Some(document) = document else {
        // Not even parseable: the executor words the error.
        return execute(schema, session, request).await;
    };
    // Fragments and variables expanded, before validation or execution expands them.
    if let Err(error) = guard::check_document(&document, &request.variables, limits) {
        return error.body().to_string();
    }
    let plan = fast::plan(
        &document,
        request.operation_name.as_deref(),
        &request.variables,
        &engine.catalog,
        &session.access,
    );
    request.set_parsed_query(document);
    match plan {
        Some(plan) => answer_fast(schema, engine, session, request, plan).await,
        None => execute(schema, session, request).await,
    }
}

/// Validation by the executor, then each root field's JSON straight from Postgres.
async fn answer_fast(
    schema: &Schema,
    engine: &Engine,
    session: &Session,
    request: Request,
    plan: Vec<fast::Planned>,
) -> String {
    let variables = serde_json::to_string(&request.variables).unwrap_or_default();
    let key = engine.validated.key(&[
        &session.role_key(),
        &request.query,
        request.operation_name.as_deref().unwrap_or("\u{0}"),
        &variables,
    ]);
    if !engine.validated.contains(key) {
        let marker = Arc::new(fast::FastPath::default());
        let response = schema.execute(request.data(session.clone()).data(marker.clone())).await;
        if !marker.validated() {
            return error_text(&response);
        }
        engine.validated.insert(key);
    }
    let mut out = String::from("{\"data\":{");
    for (i, planned) in plan.iter().enumerate() {
        let compiler = Compiler::new(&engine.catalog, session, &engine.limits);
        let compiled = match planned.kind {
            fast::RootQuery::List => compiler.select_list(planned.table, &planned.sel),
            fast::RootQuery::ByPk => compiler.select_by_pk(planned.table, &planned.sel),
            fast::RootQuery::Aggregate => compiler.select_aggregate(planned.table, &planned.sel),
        };
        let text = match compiled {
            Ok(compiled) => engine.query_text(&compiled).await,
            Err(error) => Err(error),
        };
        match text {
            Ok(text) => {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::Value::from(planned.key.as_str()).to_string());
                out.push(':');
                out.push_str(text.as_deref().unwrap_or("null"));
            }
            Err(error) => {
                return serde_json::json!({
                    "data": null,
                    "errors": [{
                        "message": error.message,
                        "path": [planned.key],
                        "extensions": { "code": error.code },
                    }],
                })
                .to_string();
            }
        }
    }
    out.push_str("}}");
    out
}

fn error_text(response: &async_graphql::Response) -> String {
    let mut json = serde_json::to_value(response).unwrap_or_default();
    with_codes(&mut json);
    json.to_string()
}

async fn execute(schema: &Schema, session: &Session, request: Request) -> String {
    let slot = TxSlot::default();
    let response = schema.execute(request.data(session.clone()).data(slot.clone())).await;
    let ok = response.errors.is_empty();
    if let Err(error) = slot.finish(ok).await {
        return error.body().to_string();
    }
    if ok {
        return serde_json::to_string(&response).unwrap_or_default();
    }
    error_text(&response)
}

/// Gives every error a Hasura-style `extensions.code`: those the engine raised before running
/// anything (parse, validation, limits) are `validation-failed`.
fn with_codes(json: &mut serde_json::Value) {
    let Some(errors) = json.get_mut("errors").and_then(|e| e.as_array_mut()) else { return };
    for error in errors {
        let Some(object) = error.as_object_mut() else { continue };
        let extensions = object.entry("extensions").or_insert_with(|| serde_json::json!({}));
        if let Some(ext) = extensions.as_object_mut()
            && !ext.contains_key("code")
        {
            ext.insert("code".into(), "validation-failed".into());
        }
    }
}
