//! A turn always ends with a plain reply (issue 13): a tool called again with the same
//! arguments does not run again, the last model call a turn allows offers no tools, and a
//! model that loops, says nothing or is cut off at its output budget still leaves the person
//! an answer, stored, with `done` and no `error` event. A provider that fails is still an error.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use posey_agents::plugins::{Plugin, Tool, ToolContext};
use posey_models::testing::{FunctionModel, Reply};
use rig_core::completion::FinishReason;
use rig_core::message::Message;
use serde_json::{Value, json};

use crate::helpers::{AgentsApp, Models, Sse, events, spawn};

/// A plugin whose one tool, `lookup`, counts how often it really ran.
#[derive(Clone, Default)]
struct Counter(Arc<AtomicUsize>);

impl Counter {
    fn runs(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

impl Plugin for Counter {
    fn name(&self) -> &str {
        "counter"
    }

    fn description(&self) -> &str {
        "Looks things up, counting its runs."
    }

    fn tools(&self) -> Vec<Tool> {
        let runs = self.0.clone();
        vec![Tool::untyped(
            "lookup",
            "Look something up.",
            json!({"type": "object", "properties": {"query": {"type": "string"}},
                   "additionalProperties": false}),
            move |_context: ToolContext, arguments: Value| {
                let run = runs.fetch_add(1, Ordering::SeqCst) + 1;
                async move { Ok(json!(format!("result {run} for {}", arguments["query"]))) }
            },
        )]
    }
}

const AGENTS: &str = r#"
router: helper
agents:
  - name: helper
    description: Helps.
    prompt: You help.
    plugins: [counter]
"#;

async fn spawn_helper(model: &FunctionModel, counter: &Counter, max_turns: &str) -> AgentsApp {
    let models = Models::default().with("test", model.clone()).with_plugin(counter.clone());
    spawn(models, Some(AGENTS), &[("AGENTS_MAX_TURNS", max_turns.into())]).await
}

/// The turn ended with `done`, no `error` event, and the streamed reply is the stored last
/// message: a non-empty assistant message that is no error note. Returns it.
async fn assert_answered(app: &AgentsApp, token: &str, id: &str, stream: &[Sse]) -> String {
    assert_eq!(stream.last().unwrap().event, "done", "{stream:?}");
    assert!(events(stream, "error").is_empty(), "{stream:?}");
    let history = app.history(token, id).await;
    let last = history.last().unwrap();
    assert_eq!(last["role"], "assistant");
    assert_eq!(last["is_error"], false);
    let reply = last["content"].as_str().unwrap().to_owned();
    assert!(!reply.trim().is_empty());
    let streamed: String = events(stream, "text")
        .iter()
        .filter(|e| e["depth"] == 0)
        .map(|e| e["delta"].as_str().unwrap())
        .collect();
    assert!(streamed.ends_with(&reply), "streamed {streamed:?}, stored {reply:?}");
    reply
}

fn roles(history: &[Value]) -> Vec<&str> {
    history.iter().map(|m| m["role"].as_str().unwrap()).collect()
}

fn system_prompt(request: &rig_core::completion::CompletionRequest) -> String {
    match request.chat_history.first() {
        Some(Message::System { content }) => content.clone(),
        other => panic!("no system prompt first: {other:?}"),
    }
}

#[tokio::test]
async fn a_repeated_tool_call_runs_once_and_the_model_is_told_to_answer() {
    // A small model's loop: the same call whenever it has tools, an answer only without.
    let model = FunctionModel::new(|input| {
        if input.tools().is_empty() {
            Reply::text("Here is the weather.")
        } else {
            Reply::tool_call("lookup", json!({"query": "weather"}))
        }
    });
    let counter = Counter::default();
    let app = spawn_helper(&model, &counter, "8").await;
    let (_, token) = app.person();
    let id = app.conversation(&token, None).await;

    let stream = app.chat(&token, &id, "How is the weather?").await;
    assert_eq!(counter.runs(), 1, "the repeated call did not run the tool again");
    let results = events(&stream, "tool_result");
    assert_eq!(results.len(), 2);
    let repeat = results[1]["content"].as_str().unwrap();
    assert!(repeat.contains("You already called lookup"), "{repeat}");
    assert!(repeat.contains(r#"result 1 for "weather""#), "the earlier result: {repeat}");
    assert_eq!(results[1]["is_error"], false);

    // The call after the repeat offered no tools, so the model answered.
    let requests = model.requests();
    assert_eq!(requests.len(), 3);
    assert!(!requests[1].tools.is_empty());
    assert!(requests[2].tools.is_empty());
    assert!(system_prompt(&requests[2]).contains("Answer the person now"));

    let reply = assert_answered(&app, &token, &id, &stream).await;
    assert_eq!(reply, "Here is the weather.");
    let history = app.history(&token, &id).await;
    assert_eq!(roles(&history), ["user", "assistant", "tool", "assistant", "tool", "assistant"]);
}

#[tokio::test]
async fn a_model_that_never_stops_calling_tools_answers_on_the_last_call_without_tools() {
    // A new query every time, so no call repeats: only the turn's limit stops it.
    let model = FunctionModel::new(|input| {
        if input.tools().is_empty() {
            Reply::text("I looked it up three ways.")
        } else {
            Reply::tool_call("lookup", json!({"query": format!("try {}", input.index)}))
        }
    });
    let counter = Counter::default();
    let app = spawn_helper(&model, &counter, "4").await;
    let (_, token) = app.person();
    let id = app.conversation(&token, None).await;

    let stream = app.chat(&token, &id, "Find it").await;
    let offered: Vec<bool> = model.requests().iter().map(|r| !r.tools.is_empty()).collect();
    assert_eq!(offered, [true, true, true, false], "the 4th and last call offers no tools");
    assert_eq!(counter.runs(), 3);
    let reply = assert_answered(&app, &token, &id, &stream).await;
    assert_eq!(reply, "I looked it up three ways.");
}

#[tokio::test]
async fn a_reply_cut_off_at_the_output_budget_is_asked_for_again_without_tools() {
    let model = FunctionModel::new(|input| match input.index {
        0 => Reply::text("").with_finish_reason(FinishReason::Length),
        _ => Reply::text("Hello, Dana!"),
    });
    let counter = Counter::default();
    let app = spawn_helper(&model, &counter, "8").await;
    let (_, token) = app.person();
    let id = app.conversation(&token, None).await;

    let stream = app.chat(&token, &id, "Hi! My name is Dana and I live in Lisbon.").await;
    let requests = model.requests();
    assert_eq!(requests.len(), 2);
    assert!(requests[1].tools.is_empty());
    let reply = assert_answered(&app, &token, &id, &stream).await;
    assert_eq!(reply, "Hello, Dana!");
    assert_eq!(roles(&app.history(&token, &id).await), ["user", "assistant"]);

    // The next turn's history holds the exchange, not the request to try again.
    app.chat(&token, &id, "Thanks").await;
    let seen = format!("{:?}", model.requests()[2].chat_history);
    assert!(seen.contains("Hello, Dana!") && !seen.contains("Your reply was empty"), "{seen}");
}

#[tokio::test]
async fn a_model_that_is_always_cut_off_ends_with_an_honest_reply_not_an_error() {
    let model = FunctionModel::new(|_| Reply::text("").with_finish_reason(FinishReason::Length));
    let counter = Counter::default();
    let app = spawn_helper(&model, &counter, "2").await;
    let (_, token) = app.person();
    let id = app.conversation(&token, None).await;

    let stream = app.chat(&token, &id, "Hello, how are you?").await;
    assert_eq!(model.requests().len(), 2, "asked again once, within the limit");
    let reply = assert_answered(&app, &token, &id, &stream).await;
    assert!(reply.starts_with("Sorry, I couldn't finish that"), "{reply}");
    assert!(reply.contains("ran out of room"), "{reply}");
}

#[tokio::test]
async fn a_model_that_only_ever_says_nothing_gets_an_honest_reply() {
    let model = FunctionModel::new(|_| Reply::text(""));
    let counter = Counter::default();
    let app = spawn_helper(&model, &counter, "3").await;
    let (_, token) = app.person();
    let id = app.conversation(&token, None).await;

    let stream = app.chat(&token, &id, "Hello").await;
    assert_eq!(model.requests().len(), 3);
    let reply = assert_answered(&app, &token, &id, &stream).await;
    assert!(reply.starts_with("Sorry, I couldn't finish that"), "{reply}");
}

#[tokio::test]
async fn a_specialist_that_loops_still_answers_the_agent_that_delegated() {
    const DELEGATING: &str = r#"
router: posey
agents:
  - name: posey
    description: router
    prompt: You route.
    model: router
  - name: timekeeper
    description: Dates and times.
    prompt: You tell the time.
    model: specialist
    plugins: [counter]
"#;
    let router = FunctionModel::new(|input| match input.tool_results().last() {
        None => Reply::tool_call("delegate", json!({"agent": "timekeeper", "task": "the time"})),
        Some(result) => Reply::text(format!("The timekeeper says: {}", result.content)),
    });
    // Repeats its call whatever it is offered, like the timekeeper of issue 13.
    let specialist = FunctionModel::new(|_| Reply::tool_call("lookup", json!({"query": "now"})));
    let counter = Counter::default();
    let models = Models::default()
        .with("router", router.clone())
        .with("specialist", specialist.clone())
        .with_plugin(counter.clone());
    let app = spawn(models, Some(DELEGATING), &[("AGENTS_MAX_TURNS", "3".into())]).await;
    let (_, token) = app.person();
    let id = app.conversation(&token, None).await;

    let stream = app.chat(&token, &id, "Hi! My name is Dana and I live in Lisbon.").await;
    assert_eq!(counter.runs(), 1);
    assert_eq!(specialist.requests().len(), 3, "the specialist kept to the limit");
    let delegated = events(&stream, "tool_result")
        .into_iter()
        .find(|e| e["name"] == "delegate")
        .unwrap()
        .clone();
    assert_eq!(delegated["is_error"], false, "{delegated}");
    let reply = assert_answered(&app, &token, &id, &stream).await;
    assert!(reply.starts_with("The timekeeper says: Sorry, I couldn't finish that"), "{reply}");
}

#[tokio::test]
async fn a_provider_that_fails_is_still_an_error() {
    let model = FunctionModel::new(|_| Reply::error("connection refused"));
    let counter = Counter::default();
    let app = spawn_helper(&model, &counter, "8").await;
    let (_, token) = app.person();
    let id = app.conversation(&token, None).await;

    let stream = app.chat(&token, &id, "Hello").await;
    let last = stream.last().unwrap();
    assert_eq!(last.event, "error", "{stream:?}");
    assert_eq!(last.data["code"], "model_error");
    assert!(last.data["message"].as_str().unwrap().contains("connection refused"));
}
