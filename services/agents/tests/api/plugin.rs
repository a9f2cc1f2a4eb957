//! The smallest complete plugin, written only against `posey-plugin` (and posey-http's `Person`
//! extractor): a typed tool, a table of its own (its migration), a route with its own state,
//! and an action that runs only once the person confirms it. The agents service is not
//! touched to add it: it is handed to the service like any extra plugin.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Json;
use axum::extract::State;
use futures::future::BoxFuture;
use posey_http::ApiError;
use posey_http::auth::Person;
use posey_models::testing::{FunctionModel, Reply};
use posey_plugin::responses::NeedsPerson;
use posey_plugin::{
    ConfirmationRequest, Host, Migration, NoArguments, PendingAction, Plugin, PluginState, Tool,
    ToolContext, ToolError,
};
use serde::Deserialize;
use serde_json::{Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::helpers::{Models, events, spawn};

/// Notes: `add_note` keeps one, `forget_notes` asks first, `GET /v1/notes` lists them.
#[derive(Clone, Default)]
struct NotesPlugin {
    /// How often a confirmed `forget_notes` really ran.
    forgotten: Arc<AtomicUsize>,
}

const MIGRATIONS: &[Migration] = &[Migration {
    name: "0001_notes",
    sql: "CREATE SCHEMA notes;
          CREATE TABLE notes.notes (id bigserial PRIMARY KEY, user_id uuid NOT NULL,
                                    text text NOT NULL);",
}];

/// `add_note`'s arguments: the schema the model sees is derived from this.
#[derive(Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
struct NewNote {
    /// What to note
    #[schemars(length(min = 1, max = 200))]
    text: String,
}

impl Plugin for NotesPlugin {
    fn name(&self) -> &str {
        "notes"
    }

    fn description(&self) -> &str {
        "The person's notes."
    }

    fn migrations(&self) -> &'static [Migration] {
        MIGRATIONS
    }

    fn tools(&self) -> Vec<Tool> {
        vec![
            Tool::typed(
                "add_note",
                "Keep a note.",
                |context: ToolContext, note: NewNote| async move {
                    sqlx::query("INSERT INTO notes.notes (user_id, text) VALUES ($1, $2)")
                        .bind(context.person)
                        .bind(&note.text)
                        .execute(&context.db)
                        .await
                        .map_err(|error| ToolError::internal("add_note", &error.into()))?;
                    Ok(json!({"noted": note.text}))
                },
            ),
            Tool::typed(
                "forget_notes",
                "Delete every note (asks the person first).",
                |context: ToolContext, _: NoArguments| async move {
                    Ok(context.ask(
                        "notes",
                        ConfirmationRequest {
                            summary: "delete all your notes".into(),
                            reason: "it cannot be undone".into(),
                            payload: json!({"all": true}),
                            expires_in: Duration::from_secs(3600),
                        },
                    ))
                },
            ),
        ]
    }

    fn run_confirmed(
        &self,
        action: PendingAction,
        context: ToolContext,
    ) -> BoxFuture<'static, Result<Value, ToolError>> {
        let forgotten = self.forgotten.clone();
        Box::pin(async move {
            assert_eq!(action.payload, json!({"all": true}), "the payload comes back as asked");
            let deleted = sqlx::query("DELETE FROM notes.notes WHERE user_id = $1")
                .bind(context.person)
                .execute(&context.db)
                .await
                .map_err(|error| ToolError::internal("forget_notes", &error.into()))?;
            forgotten.fetch_add(1, Ordering::SeqCst);
            Ok(Value::String(format!("{} notes deleted", deleted.rows_affected())))
        })
    }

    fn routes(&self, host: &Host) -> Option<OpenApiRouter> {
        Some(
            OpenApiRouter::new().routes(routes!(list_notes)).with_state(PluginState::new(host, ())),
        )
    }
}

/// The person's notes
#[utoipa::path(get, path = "/v1/notes", tag = "notes", operation_id = "listNotes",
    security(("bearer" = [])),
    responses((status = 200, description = "The notes", body = Object), NeedsPerson))]
async fn list_notes(
    State(state): State<PluginState<()>>,
    Person(person): Person,
) -> Result<Json<Value>, ApiError> {
    let notes: Vec<String> =
        sqlx::query_scalar("SELECT text FROM notes.notes WHERE user_id = $1 ORDER BY id")
            .bind(person)
            .fetch_all(state.db())
            .await
            .map_err(|error| ApiError::Internal(error.into()))?;
    Ok(Json(json!({"notes": notes})))
}

const AGENTS: &str = r#"
router: keeper
agents:
  - name: keeper
    description: Keeps notes.
    prompt: You keep notes.
    plugins: [notes]
"#;

/// A model that notes "note: ..." messages and forgets on "forget", then says it is done.
fn notes_model() -> FunctionModel {
    FunctionModel::new(|input| {
        if !input.tool_results().is_empty() {
            return Reply::text("Done.");
        }
        let said = input.last_user_text().unwrap_or_default();
        match said.strip_prefix("note: ") {
            Some(text) => Reply::tool_call("add_note", json!({"text": text})),
            None if said.contains("forget") => Reply::tool_call("forget_notes", json!({})),
            None => Reply::text("Hello."),
        }
    })
}

async fn notes(app: &crate::helpers::AgentsApp, token: &str) -> Value {
    let response = app.get_as("/v1/notes", token).await;
    assert_eq!(response.status(), 200);
    response.json::<Value>().await.unwrap()["notes"].clone()
}

#[tokio::test]
async fn a_plugin_adds_a_table_a_tool_and_a_route_and_acts_only_once_the_person_confirms() {
    let plugin = NotesPlugin::default();
    let model = notes_model();
    let models = Models::default().with("test", model.clone()).with_plugin(plugin.clone());
    let app = spawn(models, Some(AGENTS), &[]).await;
    let (_, token) = app.person();
    let id = app.conversation(&token, None).await;

    // Its tool, on its table, seen through its route.
    let stream = app.chat(&token, &id, "note: buy milk").await;
    assert_eq!(stream.last().unwrap().event, "done", "{stream:?}");
    assert_eq!(notes(&app, &token).await, json!(["buy milk"]));
    // The schema the model was offered is the one derived from the struct.
    let offered = model.requests()[0].tools.clone();
    let add = offered.iter().find(|tool| tool.name == "add_note").unwrap();
    assert_eq!(add.parameters["properties"]["text"]["maxLength"], 200);

    // Forgetting needs a yes: the turn ends asking, and nothing is deleted.
    let calls_before = model.requests().len();
    let stream = app.chat(&token, &id, "forget my notes").await;
    assert_eq!(stream.last().unwrap().event, "done", "{stream:?}");
    let asked = events(&stream, "confirmation");
    assert_eq!(asked.len(), 1, "{stream:?}");
    assert_eq!(asked[0]["summary"], "delete all your notes");
    assert_eq!(asked[0]["plugin"], "notes");
    // The model was asked once (the call), never again after the tool asked.
    assert_eq!(model.requests().len(), calls_before + 1);
    assert_eq!(plugin.forgotten.load(Ordering::SeqCst), 0);
    assert_eq!(notes(&app, &token).await, json!(["buy milk"]));
    let action = asked[0]["action_id"].as_str().unwrap().to_owned();
    let history = app.history(&token, &id).await;
    let last = history.last().unwrap()["content"].as_str().unwrap().to_owned();
    assert!(last.contains("delete all your notes") && last.contains("confirm"), "{last}");

    // It waits for the person; someone else can neither see nor answer it.
    let pending: Value = app.get_as("/v1/actions", &token).await.json().await.unwrap();
    assert_eq!(pending["actions"][0]["id"], action.as_str());
    assert_eq!(pending["actions"][0]["status"], "pending");
    let (_, stranger) = app.person();
    let path = format!("/v1/actions/{action}/confirm");
    let response = app.post_as(&path, &stranger, &json!({})).await;
    assert_eq!(response.status(), 404);
    assert_eq!(plugin.forgotten.load(Ordering::SeqCst), 0);

    // The person confirms: it runs, once.
    let response = app.post_as(&path, &token, &json!({})).await;
    assert_eq!(response.status(), 200);
    let done: Value = response.json().await.unwrap();
    assert_eq!(done["status"], "done");
    assert_eq!(done["result"], "1 notes deleted");
    assert_eq!(plugin.forgotten.load(Ordering::SeqCst), 1);
    assert_eq!(notes(&app, &token).await, json!([]));
    let again = app.post_as(&path, &token, &json!({})).await;
    assert_eq!(again.status(), 409);
    let deny = app.post_as(&format!("/v1/actions/{action}/deny"), &token, &json!({})).await;
    assert_eq!(deny.status(), 409);
    assert_eq!(plugin.forgotten.load(Ordering::SeqCst), 1);
    // What became of it is in the conversation.
    let history = app.history(&token, &id).await;
    let told = history.last().unwrap()["content"].as_str().unwrap();
    assert_eq!(told, "Done: delete all your notes. 1 notes deleted");
    let pending: Value = app.get_as("/v1/actions", &token).await.json().await.unwrap();
    assert_eq!(pending["actions"], json!([]));
}

#[tokio::test]
async fn a_denied_or_expired_action_never_runs() {
    let plugin = NotesPlugin::default();
    let models = Models::default().with("test", notes_model()).with_plugin(plugin.clone());
    let app = spawn(models, Some(AGENTS), &[]).await;
    let (_, token) = app.person();
    let id = app.conversation(&token, None).await;
    app.chat(&token, &id, "note: call Ana").await;

    let asked = |stream: Vec<crate::helpers::Sse>| {
        events(&stream, "confirmation")[0]["action_id"].as_str().unwrap().to_owned()
    };
    let denied = asked(app.chat(&token, &id, "forget my notes").await);
    let response = app.post_as(&format!("/v1/actions/{denied}/deny"), &token, &json!({})).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<Value>().await.unwrap()["status"], "denied");
    let confirm = app.post_as(&format!("/v1/actions/{denied}/confirm"), &token, &json!({})).await;
    assert_eq!(confirm.status(), 409);
    let history = app.history(&token, &id).await;
    let told = history.last().unwrap()["content"].as_str().unwrap();
    assert_eq!(told, "Denied: delete all your notes. Nothing was done.");

    let expired = asked(app.chat(&token, &id, "forget my notes").await);
    sqlx::query("UPDATE agents.pending_actions SET expires_at = now() - interval '1 second' WHERE id = $1::uuid")
        .bind(&expired)
        .execute(&app.db.pool)
        .await
        .unwrap();
    let confirm = app.post_as(&format!("/v1/actions/{expired}/confirm"), &token, &json!({})).await;
    assert_eq!(confirm.status(), 409);
    let message = confirm.json::<Value>().await.unwrap()["error"]["message"].clone();
    assert_eq!(message, "the action expired; ask again");

    let unknown =
        app.post_as(&format!("/v1/actions/{}/confirm", Uuid::now_v7()), &token, &json!({})).await;
    assert_eq!(unknown.status(), 404);
    assert_eq!(plugin.forgotten.load(Ordering::SeqCst), 0);
    assert_eq!(notes(&app, &token).await, json!(["call Ana"]));
}
