//! The chat models a person may choose (the configured ones and every GGUF dropped into the
//! data directory's models folder), their choice and the turns that run on it (chat, service and
//! OpenAI-compatible), and how a model's profile shapes a turn: only the tools relevant to the
//! message for a model that calls tools weakly (chosen with the real local embedding model), no
//! delegation, and output budgets and history that fit its context.

// The measuring tests print their figures (with --nocapture).
#![allow(clippy::print_stdout)]

use std::path::PathBuf;

use posey_agents::memory::extract::PROMPT_MARKER;
use posey_models::testing::{FunctionModel, Reply};
use rig_core::completion::CompletionRequest;
use rig_core::message::Message;
use serde_json::{Value, json};

use crate::helpers::{AgentsApp, Models, events, spawn};
use crate::service::service_token;

const AGENTS: &str = r#"
router: posey
agents:
  - name: posey
    prompt: You are Posey.
    plugins: [time, profile, memory, documents]
  - name: timekeeper
    description: Dates and times.
    prompt: You tell the time.
    plugins: [time]
models:
  - id: tiny
    description: A tiny model
    profile: {context_tokens: 2048, tools: weak, delegation: false}
"#;

/// The GGUF the tests run ($POSEY_LOCAL_MODEL, which scripts/test installs).
fn gguf() -> PathBuf {
    let path = std::env::var_os("POSEY_LOCAL_MODEL").map(PathBuf::from).unwrap_or_else(|| {
        panic!("POSEY_LOCAL_MODEL is not set: it names the GGUF these tests list; run scripts/test")
    });
    assert!(path.is_file(), "POSEY_LOCAL_MODEL={} is not a file", path.display());
    path
}

fn replying(text: &'static str) -> FunctionModel {
    FunctionModel::new(move |_| Reply::text(text))
}

async fn choice(app: &AgentsApp, token: &str) -> Value {
    let response = app.get_as("/v1/me/model", token).await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

async fn choose(app: &AgentsApp, token: &str, model: Value) -> reqwest::Response {
    app.request(reqwest::Method::PUT, "/v1/me/model", token)
        .json(&json!({"model": model}))
        .send()
        .await
        .unwrap()
}

fn reply_text(stream: &[crate::helpers::Sse]) -> String {
    assert_eq!(stream.last().unwrap().event, "done", "{stream:?}");
    events(stream, "text").iter().map(|e| e["delta"].as_str().unwrap()).collect()
}

fn ids(models: &Value) -> Vec<&str> {
    models.as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect()
}

#[tokio::test]
async fn the_models_are_the_configured_ones_and_every_gguf_in_the_models_folder() {
    // The service's own data directory (kept after the test, as the other tests' are: the
    // vector store writes to it until the service is gone).
    let dir = posey_testkit::data_dir();
    let folder = dir.join("models");
    std::fs::create_dir_all(&folder).unwrap();
    std::os::unix::fs::symlink(gguf(), folder.join("Dropped.gguf")).unwrap();
    std::fs::write(folder.join("notes.txt"), "not a model").unwrap();
    let data_dir = ("POSEY_DATA_DIR", dir.display().to_string());
    let app = spawn(Models::test(), Some(AGENTS), &[data_dir]).await;
    let (_, token) = app.person();

    let body = choice(&app, &token).await;
    assert_eq!(body["model"], Value::Null);
    assert_eq!(body["using"], "test");
    let models = &body["models"];
    assert_eq!(ids(models), ["test", "tiny", "local:Dropped.gguf"]);
    assert_eq!(models[0]["default"], true);
    assert_eq!(models[0]["source"], "configured");
    assert_eq!(models[0]["profile"]["tools"], "full");
    assert_eq!(models[1]["description"], "A tiny model");
    assert_eq!(models[1]["default"], false);
    assert_eq!(
        models[1]["profile"],
        json!({"context_tokens": 2048, "max_output_tokens": null, "tools": "weak",
               "delegation": false})
    );
    // From the GGUF's header: SmolLM2-135M, trained for 8192 tokens, run with the 4096-token
    // window; a small model, so a small model's context, weak tools, no delegation and brief
    // replies.
    let dropped = &models[2];
    assert_eq!(dropped["source"], "data_dir");
    assert_eq!(dropped["default"], false);
    assert_eq!(
        dropped["profile"],
        json!({"context_tokens": 2048, "max_output_tokens": 256, "tools": "weak",
               "delegation": false})
    );
    assert!(!dropped["description"].as_str().unwrap().contains('/'), "no paths: {dropped}");

    // A GGUF dropped in while the service runs is there at once.
    std::os::unix::fs::symlink(gguf(), folder.join("Later.gguf")).unwrap();
    let body = choice(&app, &token).await;
    assert_eq!(ids(&body["models"]), ["test", "tiny", "local:Dropped.gguf", "local:Later.gguf"]);

    // The OpenAI-compatible list: the agents, then the same models with the same profiles.
    let listed: Value = app.get_as("/v1/models", &token).await.json().await.unwrap();
    let data = &listed["data"];
    assert_eq!(
        ids(data),
        ["posey", "timekeeper", "test", "tiny", "local:Dropped.gguf", "local:Later.gguf"]
    );
    assert_eq!(data[0]["kind"], "agent");
    for (entry, model) in
        data.as_array().unwrap()[2..].iter().zip(body["models"].as_array().unwrap())
    {
        assert_eq!(entry["kind"], "chat_model");
        assert_eq!(entry["object"], "model");
        assert_eq!(entry["profile"], model["profile"]);
        assert_eq!(entry["default"], model["default"]);
    }
}

#[tokio::test]
async fn a_person_chooses_a_model_and_their_turns_run_on_it() {
    let models = Models::default()
        .with("test", replying("from the default"))
        .with("tiny", replying("from tiny"));
    let app = spawn(models, Some(AGENTS), &[]).await;
    let (alice_id, alice) = app.person();
    let (_, bob) = app.person();

    // Unknown models and malformed bodies are refused, naming the field; nothing changes.
    let response = choose(&app, &alice, json!("gpt-99")).await;
    assert_eq!(response.status(), 422);
    let body: Value = response.json().await.unwrap();
    let message = body["error"]["fields"]["model"][0].as_str().unwrap();
    assert!(message.contains("gpt-99") && message.contains("test, tiny"), "{message}");
    let response = choose(&app, &alice, json!(7)).await;
    assert_eq!(response.status(), 422);
    let response = app
        .request(reqwest::Method::PUT, "/v1/me/model", &alice)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422, "a body without `model` does not reset the choice");
    assert_eq!(choice(&app, &alice).await["model"], Value::Null);

    let conversation = app.conversation(&alice, None).await;
    assert_eq!(reply_text(&app.chat(&alice, &conversation, "Hi").await), "from the default");

    let response = choose(&app, &alice, json!("tiny")).await;
    assert_eq!(response.status(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!((body["model"].as_str(), body["using"].as_str()), (Some("tiny"), Some("tiny")));
    assert_eq!(choice(&app, &alice).await["model"], "tiny");

    // Chat, a service's turn and the OpenAI-compatible API all run on the choice.
    assert_eq!(reply_text(&app.chat(&alice, &conversation, "Hi again").await), "from tiny");
    let service = service_token(&app);
    let answer: Value = app
        .post_as(
            &format!("/v1/service/users/{alice_id}/turns"),
            &service,
            &json!({"prompt": "Brief me"}),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["text"], "from tiny");
    let completion = |token: String, model: &'static str| {
        let app = &app;
        async move {
            let body: Value = app
                .post_as(
                    "/v1/chat/completions",
                    &token,
                    &json!({"model": model, "messages": [{"role": "user", "content": "Hi"}]}),
                )
                .await
                .json()
                .await
                .unwrap();
            assert_eq!(body["model"], model, "{body}");
            body["choices"][0]["message"]["content"].as_str().unwrap().to_owned()
        }
    };
    assert_eq!(completion(alice.clone(), "posey").await, "from tiny");
    // A chat model as the OpenAI `model`: the router runs on it, whatever the choice.
    assert_eq!(completion(alice.clone(), "test").await, "from the default");
    assert_eq!(completion(bob.clone(), "tiny").await, "from tiny");

    // Only Alice's turns: Bob's run on the default.
    let theirs = app.conversation(&bob, None).await;
    assert_eq!(reply_text(&app.chat(&bob, &theirs, "Hi").await), "from the default");

    // The usage records say which model ran.
    let models: Vec<String> = sqlx::query_scalar(
        "SELECT model FROM agents.usage WHERE user_id = $1 AND agent = 'posey' ORDER BY id",
    )
    .bind(alice_id)
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(models, ["test", "tiny", "tiny", "tiny", "test"]);

    // Back to the default.
    let body: Value = choose(&app, &alice, Value::Null).await.json().await.unwrap();
    assert_eq!((body["model"].clone(), body["using"].as_str()), (Value::Null, Some("test")));
    assert_eq!(reply_text(&app.chat(&alice, &conversation, "Hi").await), "from the default");
}

/// The tools offered in each of `model`'s requests that answered a person's message.
fn offered(requests: &[CompletionRequest]) -> Vec<Vec<String>> {
    requests
        .iter()
        .map(|request| request.tools.iter().map(|tool| tool.name.to_string()).collect())
        .collect()
}

fn system_prompt(request: &CompletionRequest) -> String {
    match request.chat_history.first() {
        Some(Message::System { content }) => content.clone(),
        other => panic!("no system prompt: {other:?}"),
    }
}

/// A person's new conversation with `model` as the default model, its profile corrected from the
/// environment to weak tools and no delegation: the app, their token and the conversation.
async fn weak_conversation(model: &FunctionModel) -> (AgentsApp, String, String) {
    let vars =
        [("POSEY_MODEL_TOOLS", "weak".to_owned()), ("POSEY_MODEL_DELEGATION", "false".into())];
    let app = spawn(Models::default().with("test", model.clone()), Some(AGENTS), &vars).await;
    let (_, token) = app.person();
    let conversation = app.conversation(&token, None).await;
    (app, token, conversation)
}

#[tokio::test]
async fn a_model_that_calls_tools_weakly_gets_only_the_tools_the_message_needs_and_no_delegation() {
    let model = replying("ok");
    let (app, token, conversation) = weak_conversation(&model).await;
    let mut streams = Vec::new();
    for message in [
        "Hello, how are you?",
        "What time is it?",
        "Can you remember things about my family?",
        "Find the warranty terms in my uploaded documents.",
    ] {
        let stream = app.chat(&token, &conversation, message).await;
        reply_text(&stream);
        streams.push(stream);
    }
    let requests: Vec<CompletionRequest> =
        model.requests().into_iter().filter(|r| !is_extraction(r)).collect();
    let tools = offered(&requests);
    assert_eq!(tools[0], Vec::<String>::new(), "small talk gets no tools");
    assert!(tools[1].contains(&"current_time".to_owned()), "{tools:?}");
    assert!(tools[2].contains(&"remember".to_owned()), "{tools:?}");
    // A search is a lookup, never offered to a weak model: the runtime runs it on each message
    // (documents.rs tests what it finds); this person has no documents, so nothing is found.
    assert!(!tools[3].contains(&"search_documents".to_owned()), "{tools:?}");
    assert!(events(&streams[3], "tool_call").is_empty(), "{:?}", streams[3]);
    for (offered, request) in tools.iter().zip(&requests) {
        assert!(offered.len() <= 2, "{offered:?}");
        assert!(!offered.contains(&"delegate".to_owned()), "{offered:?}");
        assert!(!system_prompt(request).contains("Specialists"), "no delegation offered");
    }

    // A capable model (the same, without the corrections) keeps every tool and delegation.
    let model = replying("ok");
    let app = spawn(Models::default().with("test", model.clone()), Some(AGENTS), &[]).await;
    let (_, token) = app.person();
    let conversation = app.conversation(&token, None).await;
    reply_text(&app.chat(&token, &conversation, "Hello, how are you?").await);
    let request = &model.requests()[0];
    let tools = &offered(std::slice::from_ref(request))[0];
    assert_eq!(tools.len(), 8, "time 1, profile 2, memory 3, documents 1, delegate: {tools:?}");
    assert!(tools.contains(&"delegate".to_owned()));
    assert!(system_prompt(request).contains("Specialists"));
}

#[tokio::test]
async fn a_request_without_tools_gets_the_historys_calls_as_calls_for_an_in_process_model() {
    // The local model renders calls itself, the same with tools offered and without, so its
    // cache of the conversation holds across both; as text, the prompt would change.
    let model = replying("ok");
    let (app, token, conversation) = weak_conversation(&model).await;
    reply_text(&app.chat(&token, &conversation, "Remember that my sister is called Ana.").await);
    reply_text(&app.chat(&token, &conversation, "Hello, how are you?").await);
    let requests: Vec<CompletionRequest> =
        model.requests().into_iter().filter(|r| !is_extraction(r)).collect();
    let request = requests.last().unwrap();
    let names: Vec<String> = request.tools.iter().map(|t| t.name.to_string()).collect();
    assert!(request.tools.is_empty(), "small talk gets no tools: {names:?} of {}", requests.len());
    let history = format!("{:?}", request.chat_history);
    assert!(!history.contains("[called tool"), "{history}");
    assert!(
        request.chat_history.iter().any(
            |m| matches!(m, Message::Assistant(a) if a.tool_calls().any(|c| c.function.name.as_str() == "remember"))
        ),
        "{history}"
    );
}

/// Memory extraction runs on the same model after each turn; its requests are not the turns'.
fn is_extraction(request: &CompletionRequest) -> bool {
    format!("{:?}", request.chat_history.first()).contains(PROMPT_MARKER)
}

#[tokio::test]
async fn output_budgets_and_the_history_sent_fit_the_models_context() {
    const CONTEXT: u64 = 2048;
    let agents = r#"
router: posey
agents:
  - name: posey
    prompt: You are Posey.
models:
  - id: test
    profile: {context_tokens: 2048}
  - id: capped
    profile: {max_output_tokens: 100}
"#;
    let model = replying("ok");
    let capped = replying("ok");
    let models = Models::default().with("test", model.clone()).with("capped", capped.clone());
    let app = spawn(models, Some(agents), &[]).await;
    let (_, token) = app.person();
    let conversation = app.conversation(&token, None).await;

    // A short prompt: a quarter of the context (a local model's runaway reply is the person's
    // wait).
    reply_text(&app.chat(&token, &conversation, "Hi").await);
    assert_eq!(model.requests()[0].max_tokens, Some(CONTEXT / 4));

    // A long one (about 1,600 tokens at three characters a token): what the context has left.
    let long = "word ".repeat(960);
    reply_text(&app.chat(&token, &conversation, &long).await);
    let budget = model.requests()[1].max_tokens.unwrap();
    assert!(budget > 0 && budget < CONTEXT / 4, "{budget}");
    assert!(budget + long.len() as u64 / 3 <= CONTEXT, "{budget}");

    // The conversation has outgrown the context: its oldest messages are left out.
    reply_text(&app.chat(&token, &conversation, &long).await);
    let history = format!("{:?}", model.requests()[2].chat_history);
    assert!(!history.contains("\"Hi\""), "the first message is left out");
    let long_ones = model.requests()[2]
        .chat_history
        .iter()
        .filter(|message| format!("{message:?}").contains("word word"))
        .count();
    assert_eq!(long_ones, 1, "only the newest long message");

    // A model whose provider caps replies: its cap.
    choose(&app, &token, json!("capped")).await;
    reply_text(&app.chat(&token, &conversation, "Hi").await);
    assert_eq!(capped.requests()[0].max_tokens, Some(100));
}

/// The local model's requests since `before`, their prompt tokens, how many it evaluated (the
/// rest came from a slot's cache) and how long that took.
fn evaluated_since(
    local: &posey_models::LocalModel,
    before: posey_models::LocalStats,
) -> (u64, u64, u64, std::time::Duration) {
    let now = local.stats();
    (
        now.requests - before.requests,
        now.prompt_tokens - before.prompt_tokens,
        now.prompt_tokens_evaluated - before.prompt_tokens_evaluated,
        now.prompt_eval - before.prompt_eval,
    )
}

#[tokio::test]
async fn the_local_model_reuses_the_prompt_of_the_turns_before() {
    let mut config = posey_models::LocalModelConfig::new(gguf());
    config.context_tokens = std::num::NonZeroU32::new(4096).unwrap();
    let local = posey_models::LocalModel::load(config).await.unwrap();
    let agents = r#"
router: posey
agents:
  - name: posey
    prompt: You are Posey, a warm, concise personal companion.
    plugins: [time, profile, memory, documents]
"#;
    let vars = [
        ("POSEY_MODEL", "local".to_owned()),
        ("POSEY_LOCAL_MODEL", gguf().display().to_string()),
        // Extraction on the test model, so the local model's figures are the turns' alone.
        ("AGENTS_MEMORY_MODEL", "test".to_owned()),
        // Short replies: the figures are about prompts.
        ("POSEY_MODEL_MAX_OUTPUT_TOKENS", "24".to_owned()),
    ];
    let models = Models::test().with("local", local.model());
    let app = spawn(models, Some(agents), &vars).await;
    let (_, token) = app.person();
    for memory in ["Has a cat called Miso", "Works as a nurse, often on night shifts"] {
        let body = json!({"text": memory, "kind": "fact"});
        assert_eq!(app.post_as("/v1/memories", &token, &body).await.status(), 201);
    }
    let conversation = app.conversation(&token, None).await;
    let mut figures = Vec::new();
    for message in [
        "Hello, how are you?",
        "I had a long night at work.",
        "Tell me something nice.",
        "What time is it?",
        "Thanks, that helps.",
    ] {
        let before = local.stats();
        let stream = app.chat(&token, &conversation, message).await;
        assert_eq!(stream.last().unwrap().event, "done", "{stream:?}");
        let (requests, prompt, evaluated, took) = evaluated_since(&local, before);
        println!(
            "{message:<30} model calls {requests}  prompt tokens {prompt:>5}  evaluated \
             {evaluated:>5} in {:>5} ms  reused {:>5}",
            took.as_millis(),
            prompt - evaluated
        );
        figures.push(prompt - evaluated);
    }
    // Each turn evaluates its own message, its context (the memories chosen for it) and the
    // exchange before it; the system prompt and everything older come from the cache, so what
    // is reused grows while the tools offered stay the same (small talk: none). When they change
    // (the fourth message gets current_time, the fifth none again) the cached system prompt is
    // still reused: how much more depends on the calls the small model chose to make, which no
    // assertion may rest on.
    assert!(figures[1] > 0 && figures[2] > figures[1], "reused: {figures:?}");
    assert!(figures[3..].iter().all(|reused| *reused >= figures[1]), "reused: {figures:?}");
}

/// The default floor (`AGENTS_TOOL_MIN_SIMILARITY`) and count against the real local embedding
/// model and the built-in tools as `GET /v1/plugins` lists them (the schedule plugin's too): small
/// talk gets no tool; each request gets the tool it is for. Prints the scores it measured.
#[tokio::test]
async fn the_default_relevance_floor_separates_small_talk_from_requests() {
    let vars = [("CRON_URL", "http://127.0.0.1:9".to_owned())];
    let app = spawn(Models::test(), None, &vars).await;
    let (_, token) = app.person();
    let plugins: Value = app.get_as("/v1/plugins", &token).await.json().await.unwrap();
    let tools: Vec<posey_agents::plugins::Tool> = plugins["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|plugin| plugin["tools"].as_array().unwrap().clone())
        .map(|tool| {
            posey_agents::plugins::Tool::untyped(
                tool["name"].as_str().unwrap(),
                tool["description"].as_str().unwrap(),
                tool["parameters"].clone(),
                |_, _| async { Ok(Value::Null) },
            )
        })
        .collect();
    let candidates: Vec<&posey_agents::plugins::Tool> = tools.iter().collect();
    let settings = posey_agents::config::ModelSettings::DEFAULT_TOOL_MIN_SIMILARITY;
    let count = posey_agents::config::ModelSettings::DEFAULT_TOOLS_PER_MESSAGE;
    let embedder = posey_models::testing::local_embedder().await;
    let selector = posey_agents::runtime::selection::ToolSelector::new(
        Some(embedder.clone()),
        settings,
        count,
    );
    let cases: &[(&str, Option<&str>)] = &[
        ("Hello, how are you?", None),
        ("Hi!", None),
        ("Thanks, that helps.", None),
        ("Good night", None),
        ("I had a long night at work.", None),
        ("Tell me something nice.", None),
        ("I feel a bit sad today.", None),
        ("What time is it?", Some("current_time")),
        ("What day is it today?", Some("current_time")),
        ("Remember that my sister is called Ana.", Some("remember")),
        ("What do you remember about my sister?", Some("recall")),
        ("Forget what I said about my sister.", Some("forget")),
        ("Find the warranty terms in my uploaded documents.", Some("search_documents")),
        ("Remind me to call mum at 6pm.", Some("create_reminder")),
        ("What are my reminders?", Some("list_tasks")),
        ("Cancel the reminder about mum.", Some("cancel_task")),
    ];
    let names: Vec<&str> = tools.iter().map(|t| t.name.as_str()).collect();
    let short: Vec<String> = names.iter().map(|n| format!("{n:>8.8}")).collect();
    println!("{:<50} {}", "message", short.join(" "));
    for (message, expected) in cases {
        let scores = selector.scores(&embedder, message, &candidates).await.unwrap();
        let row: Vec<String> = scores.iter().map(|s| format!("{s:>8.2}")).collect();
        println!("{message:<50} {}", row.join(" "));
        let chosen: Vec<&str> = selector
            .select(Some(message), &candidates)
            .await
            .iter()
            .map(|t| t.name.as_str())
            .collect();
        match expected {
            None => assert!(chosen.is_empty(), "{message:?} is offered {chosen:?}"),
            Some(tool) => assert!(chosen.contains(tool), "{message:?} is offered {chosen:?}"),
        }
    }
}
