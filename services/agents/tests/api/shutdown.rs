//! Shutdown within a bound (issue 13): a turn still running when the service is told to stop
//! gets `AGENTS_SHUTDOWN_GRACE_SECS`, then its model is cancelled and the turn is stored with
//! what it had (the text streamed so far, the tool calls that completed, its usage), marked
//! interrupted, and the service exits. A turn that finishes within the grace period is stored
//! as usual.
//!
//! The deadlines below bound how long a test may wait before it fails; they claim nothing
//! about speed.

use std::time::Duration;

use futures::StreamExt;
use posey_agents::runtime::INTERRUPTED_MARKER;
use posey_models::testing::{FunctionModel, Reply};
use serde_json::{Value, json};

use crate::helpers::{AgentsApp, Models, Sse, events, parse_sse, spawn};

const AGENTS: &str = r#"
router: helper
agents:
  - name: helper
    description: Helps.
    prompt: You help.
    plugins: [time]
"#;

/// Longer than the grace period plus the time an interrupted turn gets to store what it has:
/// past it, the service did not stop.
const STOP_DEADLINE: Duration = Duration::from_secs(20);

async fn spawn_helper(model: &FunctionModel, grace_secs: &str) -> AgentsApp {
    let models = Models::default().with("test", model.clone());
    spawn(models, Some(AGENTS), &[("AGENTS_SHUTDOWN_GRACE_SECS", grace_secs.into())]).await
}

/// Posts `content`, reads the stream until its first text event, stops the service (as SIGTERM
/// does), reads the rest of the stream and waits for the service to finish, failing past
/// [`STOP_DEADLINE`]. Returns every event.
async fn chat_and_stop(app: &AgentsApp, token: &str, id: &str, content: &str) -> Vec<Sse> {
    let response = app
        .post_as(&format!("/v1/conversations/{id}/messages"), token, &json!({"content": content}))
        .await;
    assert_eq!(response.status(), 200);
    let mut body = response.bytes_stream();
    let mut buffer = String::new();
    let mut seen: Vec<Sse> = Vec::new();
    let mut stopping = false;
    let read = async {
        while let Some(chunk) = body.next().await {
            buffer.push_str(&String::from_utf8_lossy(&chunk.unwrap()));
            while let Some(end) = buffer.find("\n\n") {
                let block: String = buffer.drain(..end + 2).collect();
                seen.extend(parse_sse(&block));
            }
            if !stopping && seen.iter().any(|e| e.event == "text") {
                // The model is generating: stop the service now.
                app.shutdown.cancel();
                stopping = true;
            }
        }
    };
    tokio::time::timeout(STOP_DEADLINE, read)
        .await
        .expect("the turn's stream did not end after the service was told to stop");
    assert!(stopping, "the turn never streamed text: {seen:?}");
    tokio::time::timeout(STOP_DEADLINE, app.stop())
        .await
        .expect("the service did not stop within the grace period and a margin");
    seen
}

/// The conversation's stored messages, read from the database (the service is gone).
async fn stored(app: &AgentsApp, id: &str) -> Vec<(String, String, bool)> {
    sqlx::query_as(
        "SELECT role, content, is_error FROM agents.messages
         WHERE conversation_id = $1::uuid ORDER BY id",
    )
    .bind(id)
    .fetch_all(&app.db.pool)
    .await
    .unwrap()
}

/// The usage recorded for the person, with or without a conversation (each test's person has
/// one): rows, input and output tokens.
async fn usage(app: &AgentsApp, person: uuid::Uuid) -> (i64, i64, i64) {
    sqlx::query_as(
        "SELECT count(*), coalesce(sum(input_tokens), 0)::bigint,
                coalesce(sum(output_tokens), 0)::bigint
         FROM agents.usage WHERE user_id = $1",
    )
    .bind(person)
    .fetch_one(&app.db.pool)
    .await
    .unwrap()
}

fn streamed_text(stream: &[Sse]) -> String {
    events(stream, "text").iter().map(|e| e["delta"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn a_turn_still_generating_after_the_grace_period_is_interrupted_stored_and_the_service_exits()
 {
    // A tool call that completes, then an answer that would stream for ten minutes.
    let endless: Vec<String> = (0..600).map(|i| format!("word{i} ")).collect();
    let model = FunctionModel::from_replies([
        Reply::tool_call("current_time", json!({})).with_usage(120, 7),
        Reply::text_chunks(endless).with_chunk_delay(Duration::from_secs(1)),
    ]);
    let app = spawn_helper(&model, "1").await;
    let (person, token) = app.person();
    let id = app.conversation(&token, None).await;

    let stream = chat_and_stop(&app, &token, &id, "What time is it?").await;

    // The stream ends saying the turn was interrupted.
    let last = stream.last().unwrap();
    assert_eq!(last.event, "error", "{stream:?}");
    assert_eq!(last.data["code"], "interrupted");
    assert!(events(&stream, "done").is_empty());
    let streamed = streamed_text(&stream);
    assert!(streamed.starts_with("word0 "), "{streamed:?}");
    assert!(streamed.ends_with(INTERRUPTED_MARKER), "{streamed:?}");

    // Stored: the person's message, the completed tool call and its result, then the partial
    // answer with the marker (what was streamed, no error note).
    let history = stored(&app, &id).await;
    let roles: Vec<&str> = history.iter().map(|(role, _, _)| role.as_str()).collect();
    assert_eq!(roles, ["user", "assistant", "tool", "assistant"], "{history:?}");
    let (_, reply, is_error) = history.last().unwrap();
    assert!(!is_error);
    assert!(reply.starts_with("word0 "), "{reply:?}");
    assert!(reply.ends_with(INTERRUPTED_MARKER), "{reply:?}");
    assert_eq!(*reply, streamed);

    // Its usage counts: the completed call's and an estimate of what was streamed after.
    let (rows, input, output) = usage(&app, person).await;
    assert_eq!(rows, 1);
    assert_eq!(input, 120);
    assert!(output > 7, "output tokens {output}");
}

#[tokio::test]
async fn a_turn_that_finishes_within_the_grace_period_is_stored_as_usual() {
    let model =
        FunctionModel::from_replies([Reply::text_chunks(["It ", "is ", "noon."])
            .with_chunk_delay(Duration::from_millis(300))]);
    let app = spawn_helper(&model, "30").await;
    let (person, token) = app.person();
    let id = app.conversation(&token, None).await;

    let stream = chat_and_stop(&app, &token, &id, "What time is it?").await;

    assert_eq!(stream.last().unwrap().event, "done", "{stream:?}");
    assert!(events(&stream, "error").is_empty(), "{stream:?}");
    let history = stored(&app, &id).await;
    let last: Vec<Value> =
        history.iter().map(|(role, content, _)| json!([role, content])).collect();
    assert_eq!(last, [json!(["user", "What time is it?"]), json!(["assistant", "It is noon."])]);
    assert_eq!(usage(&app, person).await.0, 1);
}
