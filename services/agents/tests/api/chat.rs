//! Turns with the test models: a tool call, an argument-validation retry, a delegation, the
//! turn limit, the daily usage limits, a client that disconnects mid-stream, and the turn lease
//! that runs one turn at a time per conversation without holding a connection.

use std::time::Duration;

use futures::StreamExt as _;
use posey_models::testing::{FunctionModel, Reply, TestModel};
use posey_models::wire::{Chunk, ChunkStream, Generate, in_process, usage};
use rig_core::DynModel;
use rig_core::completion::{CompletionRequest, FinishReason};
use rig_core::operation::Completion;
use serde_json::{Value, json};
use tokio::sync::watch;
use uuid::Uuid;

use crate::helpers::{Models, events, hold_lease, lease, spawn, store_and_release};

/// How long a test waits for an outcome before it fails.
const PATIENCE: Duration = Duration::from_secs(60);

#[tokio::test]
async fn a_turn_calls_a_tool_streams_the_answer_and_is_stored() {
    // The timekeeper has the calendar's tools too; this turn is about the clock.
    let models = Models::default().with("test", TestModel::new().call_tools(["current_time"]));
    let app = spawn(models, None, &[]).await;
    let (_, token) = app.person();
    let id = app.conversation(&token, Some("timekeeper")).await;

    let stream = app.chat(&token, &id, "What time is it?").await;
    let kinds: Vec<&str> = stream.iter().map(|e| e.event.as_str()).collect();
    assert_eq!(kinds.first(), Some(&"agent"));
    assert_eq!(&kinds[kinds.len() - 2..], ["usage", "done"]);
    assert_eq!(stream[0].data["agent"], "timekeeper");

    let calls = events(&stream, "tool_call");
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0]["name"], "current_time");
    let results = events(&stream, "tool_result");
    assert_eq!(results[0]["is_error"], false);
    let result: Value = serde_json::from_str(results[0]["content"].as_str().unwrap()).unwrap();
    assert_eq!(result["time_zone"], "UTC");
    let text: String =
        events(&stream, "text").iter().map(|e| e["delta"].as_str().unwrap()).collect();
    assert!(text.contains("current_time"), "{text}");
    let usage = events(&stream, "usage")[0];
    assert!(
        usage["input_tokens"].as_u64().unwrap() > 0 && usage["output_tokens"].as_u64().unwrap() > 0
    );

    let history = app.history(&token, &id).await;
    let roles: Vec<&str> = history.iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["user", "assistant", "tool", "assistant"]);
    assert_eq!(history[0]["content"], "What time is it?");
    assert_eq!(history[1]["tool_calls"][0]["name"], "current_time");
    assert_eq!(history[2]["tool_call_id"], history[1]["tool_calls"][0]["id"]);
    assert_eq!(history[3]["content"], text);

    // The next turn sends the stored history to the model.
    app.chat(&token, &id, "And now?").await;
    assert_eq!(app.history(&token, &id).await.len(), 8);
}

#[tokio::test]
async fn a_stored_time_zone_that_is_no_zone_is_an_error_never_utc() {
    let app = spawn(Models::test(), None, &[]).await;
    let (person, token) = app.person();
    sqlx::query("INSERT INTO agents.profiles (user_id, time_zone) VALUES ($1, 'Mars/Olympus')")
        .bind(person)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let id = app.conversation(&token, Some("timekeeper")).await;

    let stream = app.chat(&token, &id, "What time is it?").await;
    let failed = events(&stream, "error").len()
        + events(&stream, "tool_result").iter().filter(|result| result["is_error"] == true).count();
    assert!(failed > 0, "the bad zone went unnoticed: {stream:?}");
    let said = format!("{stream:?}");
    assert!(!said.contains("\"UTC\"") && !said.contains("+00:00"), "{said}");
}

#[tokio::test]
async fn bad_tool_arguments_are_refused_and_the_model_tries_again() {
    let model = FunctionModel::new(|input| match input.tool_results().last() {
        None => Reply::tool_call("update_profile", json!({"name": 42, "color": "blue"})),
        Some(result) if result.is_error => {
            Reply::tool_call("update_profile", json!({"name": "Ada"}))
        }
        Some(_) => Reply::text("Nice to meet you, Ada."),
    });
    let app = spawn(Models::default().with("test", model.clone()), None, &[]).await;
    let (_, token) = app.person();
    let id = app.conversation(&token, Some("biographer")).await;

    let stream = app.chat(&token, &id, "Call me Ada").await;
    let results = events(&stream, "tool_result");
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["is_error"], true);
    let refusal = results[0]["content"].as_str().unwrap();
    assert!(refusal.contains("$.name: expected string, got number"), "{refusal}");
    assert!(refusal.contains("$.color: is not an accepted argument"), "{refusal}");
    assert_eq!(results[1]["is_error"], false);
    assert_eq!(stream.last().unwrap().event, "done");

    // The model saw the refusal, and the second call went through.
    let requests = model.requests();
    assert_eq!(requests.len(), 3);
    let profile: Value = app.get_as("/v1/profile", &token).await.json().await.unwrap();
    assert_eq!(profile["name"], "Ada");
    let history = app.history(&token, &id).await;
    let errors: Vec<bool> = history.iter().map(|m| m["is_error"].as_bool().unwrap()).collect();
    assert_eq!(errors, [false, false, true, false, false, false]);
}

const DELEGATING_AGENTS: &str = r#"
router: posey
agents:
  - name: posey
    description: router
    prompt: You route.
    model: router
    plugins: [profile]
  - name: timekeeper
    description: Dates and times.
    prompt: You tell the time.
    model: specialist
    plugins: [time]
"#;

#[tokio::test]
async fn the_router_delegates_to_a_specialist_and_the_stream_says_who_speaks() {
    let router = FunctionModel::new(|input| match input.tool_results().last() {
        None => {
            assert!(input.tool_names().contains(&"delegate".to_owned()));
            Reply::tool_call("delegate", json!({"agent": "timekeeper", "task": "Say the time"}))
        }
        Some(result) => Reply::text(format!("The timekeeper says: {}", result.content)),
    });
    let specialist = TestModel::new().final_text("It is noon.");
    let models = Models::default().with("router", router).with("specialist", specialist.clone());
    let app = spawn(models, Some(DELEGATING_AGENTS), &[]).await;
    let (_, token) = app.person();
    let id = app.conversation(&token, None).await;

    let stream = app.chat(&token, &id, "What time is it?").await;
    let handoffs: Vec<(String, u64)> = events(&stream, "agent")
        .iter()
        .map(|e| (e["agent"].as_str().unwrap().to_owned(), e["depth"].as_u64().unwrap()))
        .collect();
    assert_eq!(handoffs, [("posey".into(), 0), ("timekeeper".into(), 1), ("posey".into(), 0)]);
    let calls: Vec<(&str, &str)> = events(&stream, "tool_call")
        .iter()
        .map(|e| (e["agent"].as_str().unwrap(), e["name"].as_str().unwrap()))
        .collect();
    assert_eq!(calls, [("posey", "delegate"), ("timekeeper", "current_time")]);
    let text: String = events(&stream, "text")
        .iter()
        .filter(|e| e["agent"] == "posey")
        .map(|e| e["delta"].as_str().unwrap())
        .collect();
    assert_eq!(text, "The timekeeper says: It is noon.");
    // The specialist got the task (after its prompt and its time plugin's date and time),
    // not the person's conversation.
    let asked = &specialist.requests()[0].chat_history;
    assert_eq!(asked.len(), 3, "{asked:?}");
    assert!(format!("{:?}", asked[1]).contains("The current date and time: "), "{asked:?}");

    let history = app.history(&token, &id).await;
    let shape: Vec<(String, String, i64)> = history
        .iter()
        .map(|m| {
            (
                m["role"].as_str().unwrap().into(),
                m["agent"].as_str().unwrap().into(),
                m["depth"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        shape,
        [
            ("user".into(), "posey".into(), 0),
            ("assistant".into(), "posey".into(), 0),
            ("user".into(), "timekeeper".into(), 1),
            ("assistant".into(), "timekeeper".into(), 1),
            ("tool".into(), "timekeeper".into(), 1),
            ("assistant".into(), "timekeeper".into(), 1),
            ("tool".into(), "posey".into(), 0),
            ("assistant".into(), "posey".into(), 0),
        ]
    );
}

#[tokio::test]
async fn delegation_stops_at_the_depth_limit() {
    let router = FunctionModel::new(|input| Reply::text(input.tool_names().join(",")));
    let app = spawn(
        Models::default().with("router", router),
        Some(DELEGATING_AGENTS),
        &[("AGENTS_MAX_DELEGATION_DEPTH", "0".into())],
    )
    .await;
    let (_, token) = app.person();
    let id = app.conversation(&token, None).await;
    let stream = app.chat(&token, &id, "hi").await;
    let text: String =
        events(&stream, "text").iter().map(|e| e["delta"].as_str().unwrap()).collect();
    assert_eq!(text, "get_profile,update_profile", "no delegate tool at the limit");
}

#[tokio::test]
async fn a_turn_that_never_ends_stops_at_the_turn_limit_with_a_reply_and_a_consistent_history() {
    // Calls its tool whatever it is offered, even on the last call, which offers none.
    let model = FunctionModel::new(|_| Reply::tool_call("current_time", json!({})));
    let app = spawn(
        Models::default().with("test", model.clone()),
        None,
        &[("AGENTS_MAX_TURNS", "3".into())],
    )
    .await;
    let (_, token) = app.person();
    let id = app.conversation(&token, Some("timekeeper")).await;

    let stream = app.chat(&token, &id, "loop").await;
    assert_eq!(stream.last().unwrap().event, "done");
    assert!(events(&stream, "error").is_empty());
    let reply = "Sorry, I couldn't finish that: I used all 3 steps I can take for one message \
                 before I had an answer. Could you ask again, perhaps more simply?";
    let text: String =
        events(&stream, "text").iter().map(|e| e["delta"].as_str().unwrap()).collect();
    assert_eq!(text, reply);
    assert_eq!(model.requests().len(), 3);
    assert!(model.requests()[2].tools.is_empty(), "the last call offers no tools");

    // Every stored call has its result (the repeat's says it is one); the call of a tool the
    // last call did not offer is not stored; the reply is last.
    let history = app.history(&token, &id).await;
    let roles: Vec<&str> = history.iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["user", "assistant", "tool", "assistant", "tool", "assistant"]);
    assert_eq!(events(&stream, "tool_result").len(), 2);
    assert!(history[4]["content"].as_str().unwrap().contains("You already called current_time"));
    assert_eq!(history.last().unwrap()["content"], reply);
    assert_eq!(history.last().unwrap()["is_error"], false);

    // The conversation goes on afterwards.
    let again = app.chat(&token, &id, "again").await;
    assert_eq!(again.last().unwrap().event, "done");
}

#[tokio::test]
async fn the_daily_request_limit_answers_429_with_a_clear_message() {
    let models = Models::default().with("test", TestModel::new().call_tools(["current_time"]));
    let app = spawn(models, None, &[("AGENTS_DAILY_REQUESTS", "2".into())]).await;
    let (_, token) = app.person();
    let (_, other) = app.person();
    let id = app.conversation(&token, Some("timekeeper")).await;
    app.chat(&token, &id, "one").await;
    app.chat(&token, &id, "two").await;

    let response = app
        .post_as(&format!("/v1/conversations/{id}/messages"), &token, &json!({"content": "three"}))
        .await;
    assert_eq!(response.status(), 429);
    assert!(response.headers().get("retry-after").is_some());
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "usage_limit_exceeded");
    assert_eq!(
        body["error"]["message"],
        "daily request limit reached: 2 of 2 requests used today (UTC); it resets at midnight UTC"
    );
    assert_eq!(app.history(&token, &id).await.len(), 8, "the refused message is not stored");

    // Someone else is not affected.
    let theirs = app.conversation(&other, None).await;
    assert_eq!(app.chat(&other, &theirs, "hi").await.last().unwrap().event, "done");
}

#[tokio::test]
async fn the_daily_token_limit_answers_429_too() {
    let model = FunctionModel::new(|_| Reply::text("ok").with_usage(600, 500));
    let app = spawn(
        Models::default().with("test", model),
        None,
        &[("AGENTS_DAILY_TOKENS", "1000".into())],
    )
    .await;
    let (_, token) = app.person();
    let id = app.conversation(&token, None).await;
    let stream = app.chat(&token, &id, "one").await;
    assert_eq!(
        events(&stream, "usage")[0],
        &json!({"type": "usage", "input_tokens": 600, "output_tokens": 500})
    );

    let response = app
        .post_as(&format!("/v1/conversations/{id}/messages"), &token, &json!({"content": "two"}))
        .await;
    assert_eq!(response.status(), 429);
    let body: Value = response.json().await.unwrap();
    assert_eq!(
        body["error"]["message"],
        "daily token limit reached: 1100 of 1000 tokens used today (UTC); it resets at midnight UTC"
    );
}

#[tokio::test]
async fn a_client_that_disconnects_mid_stream_leaves_a_complete_history() {
    let words: Vec<String> = (0..30).map(|i| format!("word{i} ")).collect();
    let full: String = words.concat();
    let model = FunctionModel::new(move |input| match input.tool_results().last() {
        None => Reply::tool_call("current_time", json!({})),
        Some(_) => Reply::text_chunks(words.clone()).with_chunk_delay(Duration::from_millis(20)),
    });
    let app = spawn(Models::default().with("test", model), None, &[]).await;
    let (_, token) = app.person();
    let id = app.conversation(&token, Some("timekeeper")).await;

    let response = app
        .post_as(&format!("/v1/conversations/{id}/messages"), &token, &json!({"content": "talk"}))
        .await;
    let seen = app.read_until(response, |event| event.event == "text").await;
    assert_eq!(seen.last().unwrap().event, "text", "disconnected after the first delta");

    // The turn finishes on its own; wait for it to be stored.
    let mut history = Vec::new();
    for _ in 0..200 {
        history = app.history(&token, &id).await;
        if !history.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let roles: Vec<&str> = history.iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["user", "assistant", "tool", "assistant"]);
    assert_eq!(history[3]["content"], full);
}

#[tokio::test]
async fn a_turn_in_progress_at_shutdown_finishes_and_is_stored() {
    let words: Vec<String> = (0..20).map(|i| format!("w{i} ")).collect();
    let full: String = words.concat();
    let model = FunctionModel::new(move |_| {
        Reply::text_chunks(words.clone()).with_chunk_delay(Duration::from_millis(25))
    });
    let app = spawn(Models::default().with("test", model), None, &[]).await;
    let (_, token) = app.person();
    let id = app.conversation(&token, Some("timekeeper")).await;
    let response = app
        .post_as(&format!("/v1/conversations/{id}/messages"), &token, &json!({"content": "talk"}))
        .await;
    let reader = tokio::spawn(async move {
        let body = response.text().await.unwrap();
        crate::helpers::parse_sse(&body)
    });
    // Shut down while the answer is still streaming.
    tokio::time::sleep(Duration::from_millis(100)).await;
    app.stop().await;

    let stream = reader.await.unwrap();
    assert_eq!(stream.last().unwrap().event, "done", "the client got the whole turn");
    let stored: Vec<(String, String)> = sqlx::query_as(
        "SELECT role, content FROM agents.messages WHERE conversation_id = $1::uuid ORDER BY id",
    )
    .bind(&id)
    .fetch_all(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(stored, [("user".to_owned(), "talk".to_owned()), ("assistant".to_owned(), full)]);
}

#[tokio::test]
async fn two_messages_posted_at_once_take_turns_and_the_second_sees_the_first() {
    // A slow model, so that the two turns would overlap if they were not serialised.
    let model = FunctionModel::new(|input| {
        let said = input.last_user_text().unwrap_or_default();
        Reply::text_chunks(["you said ", said.as_str()])
            .with_chunk_delay(Duration::from_millis(150))
    });
    let app = spawn(Models::default().with("test", model.clone()), None, &[]).await;
    let (_, token) = app.person();
    let id = app.conversation(&token, Some("timekeeper")).await;

    let (one, two) = tokio::join!(app.chat(&token, &id, "first"), app.chat(&token, &id, "second"));
    assert_eq!(one.last().unwrap().event, "done");
    assert_eq!(two.last().unwrap().event, "done");

    // Whichever ran second got the first's whole exchange as its history.
    let requests = model.requests();
    assert_eq!(requests.len(), 2);
    let earlier = format!("{:?}", requests[0].chat_history);
    let (first, second) =
        if earlier.contains("first") { ("first", "second") } else { ("second", "first") };
    let later = format!("{:?}", requests[1].chat_history);
    assert!(later.contains(first) && later.contains(&format!("you said {first}")), "{later}");
    assert!(later.contains(second), "{later}");
    let history = app.history(&token, &id).await;
    let stored: Vec<(&str, &str)> = history
        .iter()
        .map(|m| (m["role"].as_str().unwrap(), m["content"].as_str().unwrap()))
        .collect();
    let you_said_first = format!("you said {first}");
    let you_said_second = format!("you said {second}");
    assert_eq!(
        stored,
        [
            ("user", first),
            ("assistant", you_said_first.as_str()),
            ("user", second),
            ("assistant", you_said_second.as_str()),
        ]
    );
}

/// A model that answers "ok" only once the test opens its gate, so its turns stay in the model
/// call for as long as the test likes; it counts the requests that reached it.
#[derive(Clone)]
struct GatedModel {
    open: watch::Sender<bool>,
    arrived: watch::Sender<usize>,
}

impl GatedModel {
    fn new() -> Self {
        Self { open: watch::channel(false).0, arrived: watch::channel(0).0 }
    }

    fn model(&self) -> DynModel<Completion> {
        in_process("gated", "gated", self.clone()).erase()
    }

    /// Waits until `count` requests are in the model at once (none has been answered yet).
    async fn wait_for_arrivals(&self, count: usize) {
        let mut arrived = self.arrived.subscribe();
        let reached =
            tokio::time::timeout(PATIENCE, arrived.wait_for(|n| *n >= count)).await.is_ok();
        assert!(reached, "only {} of {count} turns reached the model", *self.arrived.borrow());
    }

    fn open(&self) {
        self.open.send_replace(true);
    }
}

impl Generate for GatedModel {
    fn generate(&self, _request: CompletionRequest) -> ChunkStream {
        self.arrived.send_modify(|n| *n += 1);
        let mut open = self.open.subscribe();
        futures::stream::once(async move {
            let _ = open.wait_for(|open| *open).await;
        })
        .flat_map(|()| {
            futures::stream::iter([
                Ok(Chunk::Text("ok".into())),
                Ok(Chunk::End { usage: usage(1, 1), reason: FinishReason::Stop }),
            ])
        })
        .boxed()
    }
}

#[tokio::test]
async fn more_turns_than_pool_connections_run_at_once_and_all_finish() {
    // With a turn holding a connection through its model call, the third turn would wait for
    // one of the two connections and give up.
    const TURNS: usize = 6;
    let model = GatedModel::new();
    let app = spawn(
        Models::default().with("test", model.model()),
        None,
        &[("DATABASE_MAX_CONNECTIONS", "2".into())],
    )
    .await;
    let (_, token) = app.person();
    let mut ids = Vec::new();
    for _ in 0..TURNS {
        ids.push(app.conversation(&token, Some("timekeeper")).await);
    }

    let chats = futures::future::join_all(ids.iter().map(|id| app.chat(&token, id, "hello")));
    let (streams, ()) = tokio::join!(chats, async {
        model.wait_for_arrivals(TURNS).await;
        model.open();
    });
    for (id, stream) in ids.iter().zip(&streams) {
        assert_eq!(stream.last().unwrap().event, "done", "{stream:?}");
        let history = app.history(&token, id).await;
        let stored: Vec<(&str, &str)> = history
            .iter()
            .map(|m| (m["role"].as_str().unwrap(), m["content"].as_str().unwrap()))
            .collect();
        assert_eq!(stored, [("user", "hello"), ("assistant", "ok")]);
        assert_eq!(lease(&app, id).await, (None, None), "released");
    }
}

#[tokio::test]
async fn a_lapsed_lease_left_by_a_crashed_replica_is_taken_over() {
    let models = Models::default().with("test", TestModel::new().call_tools(["current_time"]));
    let app = spawn(models, None, &[]).await;
    let (_, token) = app.person();
    let id = app.conversation(&token, Some("timekeeper")).await;
    hold_lease(&app, &id, Uuid::new_v4(), "interval '-1 second'").await;

    let stream = tokio::time::timeout(PATIENCE, app.chat(&token, &id, "hello"))
        .await
        .expect("the lapsed lease was taken over");
    assert_eq!(stream.last().unwrap().event, "done");
    assert_eq!(app.history(&token, &id).await.len(), 4);
    assert_eq!(lease(&app, &id).await, (None, None), "released");
}

#[tokio::test]
async fn a_turn_that_cannot_be_stored_releases_its_lease_on_its_own() {
    let app = spawn(Models::test(), None, &[]).await;
    let (_, token) = app.person();
    let id = app.conversation(&token, Some("timekeeper")).await;
    // The database refuses this turn's messages (as a full disk would), after the turn ran.
    sqlx::raw_sql(
        "CREATE FUNCTION public.refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$
         BEGIN
             IF NEW.content = 'poison' THEN RAISE EXCEPTION 'refused for the test'; END IF;
             RETURN NEW;
         END $$;
         CREATE TRIGGER refuse_poison BEFORE INSERT ON agents.messages
             FOR EACH ROW EXECUTE FUNCTION public.refuse_poison();",
    )
    .execute(&app.db.pool)
    .await
    .unwrap();

    let stream = app.chat(&token, &id, "poison").await;
    let last = stream.last().unwrap();
    assert_eq!(last.event, "error", "{stream:?}");
    assert_eq!(last.data["message"], "the turn could not be stored");
    // Released, not left to lapse: a lapsed lease keeps its holder until a turn takes it over,
    // so only a release clears it.
    let released = tokio::time::timeout(PATIENCE, async {
        while lease(&app, &id).await != (None, None) {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    assert!(released.is_ok(), "the lease of the unstored turn was never released");
    let stream = app.chat(&token, &id, "What time is it?").await;
    assert_eq!(stream.last().unwrap().event, "done", "{stream:?}");
}

#[tokio::test]
async fn a_live_lease_makes_the_turn_wait_until_it_is_released() {
    let model = FunctionModel::new(|_| Reply::text("ok"));
    let app = spawn(Models::default().with("test", model.clone()), None, &[]).await;
    let (_, token) = app.person();
    let id = app.conversation(&token, Some("timekeeper")).await;
    hold_lease(&app, &id, Uuid::new_v4(), "interval '1 hour'").await;

    let response = app
        .post_as(&format!("/v1/conversations/{id}/messages"), &token, &json!({"content": "mine"}))
        .await;
    assert_eq!(response.status(), 200);
    let reader = tokio::spawn(async move { response.text().await.unwrap() });
    // Time enough for a turn that did not wait to reach the model.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(model.requests().is_empty(), "the turn ran while another held the lease");

    // The other replica's turn is stored and releases the lease, without a NOTIFY (as if it
    // were lost): the waiting turn's poll finds it free.
    store_and_release(&app, &id, "timekeeper", ["theirs", "their answer"]).await;

    let body = tokio::time::timeout(PATIENCE, reader).await.expect("the turn ran").unwrap();
    let stream = crate::helpers::parse_sse(&body);
    assert_eq!(stream.last().unwrap().event, "done");
    // It ran after the other turn, with that turn in its history.
    let seen = format!("{:?}", model.requests()[0].chat_history);
    assert!(seen.contains("theirs") && seen.contains("their answer"), "{seen}");
    let history = app.history(&token, &id).await;
    let contents: Vec<&str> = history.iter().map(|m| m["content"].as_str().unwrap()).collect();
    assert_eq!(contents, ["theirs", "their answer", "mine", "ok"]);
    assert_eq!(lease(&app, &id).await, (None, None), "released");
}

#[tokio::test]
async fn a_turn_waiting_for_a_deleted_conversation_ends_with_an_error() {
    let app = spawn(Models::test(), None, &[]).await;
    let (_, token) = app.person();
    let id = app.conversation(&token, Some("timekeeper")).await;
    hold_lease(&app, &id, Uuid::new_v4(), "interval '1 hour'").await;

    let response = app
        .post_as(&format!("/v1/conversations/{id}/messages"), &token, &json!({"content": "hi"}))
        .await;
    assert_eq!(response.status(), 200);
    let reader = tokio::spawn(async move { response.text().await.unwrap() });
    assert_eq!(app.delete_as(&format!("/v1/conversations/{id}"), &token).await.status(), 204);

    let body = tokio::time::timeout(PATIENCE, reader).await.expect("the turn gave up").unwrap();
    let stream = crate::helpers::parse_sse(&body);
    let last = stream.last().unwrap();
    assert_eq!(last.event, "error");
    assert_eq!(last.data["message"], "the conversation was deleted");
}

#[tokio::test]
async fn a_running_turn_renews_its_lease_and_is_stored_even_after_losing_it() {
    let model = GatedModel::new();
    let app = spawn(Models::default().with("test", model.model()), None, &[]).await;
    let (_, token) = app.person();
    let id = app.conversation(&token, Some("timekeeper")).await;
    let other = Uuid::new_v4();

    let (stream, ()) = tokio::join!(app.chat(&token, &id, "hello"), async {
        model.wait_for_arrivals(1).await;
        let (holder, until) = lease(&app, &id).await;
        assert!(holder.is_some() && until.is_some(), "held while the model runs");
        // The heartbeat pushes the lease on while the model is still answering.
        let renewed = tokio::time::timeout(PATIENCE, async {
            loop {
                let now = lease(&app, &id).await;
                assert_eq!(now.0, holder, "the same turn holds it");
                if now.1 > until {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
        .await;
        assert!(renewed.is_ok(), "the lease was not renewed");
        // Then it lapses and another turn takes it (as if the renewals had failed).
        hold_lease(&app, &id, other, "interval '1 hour'").await;
        model.open();
    });

    assert_eq!(stream.last().unwrap().event, "done", "stored anyway");
    let history = app.history(&token, &id).await;
    let contents: Vec<&str> = history.iter().map(|m| m["content"].as_str().unwrap()).collect();
    assert_eq!(contents, ["hello", "ok"]);
    assert_eq!(lease(&app, &id).await.0, Some(other), "the other turn's lease is left alone");
}
