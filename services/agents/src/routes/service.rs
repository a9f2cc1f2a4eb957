//! `POST /v1/service/users/{user_id}/turns`: another Posey service (cron's `agent_task`) runs
//! a turn on behalf of a person, without streaming. Only service tokens (auth's
//! client-credentials grant) may call it; a person's token is a 403.
//!
//! The turn happens in the person's conversation (`conversation_id`, or a new one titled after
//! the task), takes the conversation's turn lease like a chat message (so it never overlaps
//! another turn of the conversation and sees the ones before it), is stored like any turn and
//! counts toward the person's daily usage.
//!
//! `Idempotency-Key` (cron sends `<task_id>:<scheduled_for>`): a key whose turn is already
//! stored is answered from the stored turn, never run again. The key decides the turn's id
//! (a UUID v5 of the person and the key), and the turn is stored under a transaction-scoped
//! advisory lock on that id after checking no turn has it, so two deliveries of one key store
//! one turn; a delivery that waited for the lease while another stored the key's turn answers
//! from it. A failed turn is stored under a fresh id, so a retry runs it again.

use anyhow::Context;
use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use posey_http::auth::{Authenticated, require_scope, scopes};
use posey_http::{ApiError, AppJson, Path};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::messages::MAX_CONTENT;
use super::openapi::{BadFields, NeedsService, UsageLimit};
use super::usage_limit::{self, Limits};
use crate::db;
use crate::plugins::{Credential, TurnProfile};
use crate::state::AppState;
use crate::turns::{ConversationTurn, Finished, TurnFailure};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(service_turn))
}

/// The header carrying the caller's idempotency key.
pub const IDEMPOTENCY_HEADER: &str = "Idempotency-Key";
const MAX_KEY: usize = 200;
const MAX_TITLE: usize = 200;
/// Where turn ids of idempotency keys live (a fixed, random namespace for UUID v5).
const KEY_NAMESPACE: Uuid = Uuid::from_u128(0x6f1c_51d4_9a8e_4c0b_b7a3_2e5d_90c4_1f27);

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct ServiceTurnBody {
    /// What the person would have said
    #[schema(required = true, min_length = 1, max_length = 32000)]
    prompt: Option<String>,
    /// An agent's name; default the conversation's, or the router for a new one
    agent: Option<String>,
    /// The person's conversation to run it in; default a new one
    #[schema(format = Uuid)]
    conversation_id: Option<String>,
    /// A new conversation's title; default the prompt's first line
    #[schema(min_length = 1, max_length = 200)]
    title: Option<String>,
}

/// What the caller gets: where the answer is kept, and the answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ServiceTurnAnswer {
    conversation_id: Uuid,
    /// The stored message of the conversation agent's final answer.
    message_id: i64,
    turn_id: Uuid,
    text: String,
    /// True when the idempotency key's turn was already stored and this is it again.
    replayed: bool,
}

/// The checked request.
struct Checked {
    person: Uuid,
    prompt: String,
    agent: Option<String>,
    conversation: Option<Uuid>,
    title: Option<String>,
    key: Option<String>,
}

fn check(
    state: &AppState,
    user_id: &str,
    body: ServiceTurnBody,
    headers: &HeaderMap,
) -> Result<Checked, ApiError> {
    let mut problems = std::collections::BTreeMap::<String, Vec<String>>::new();
    let mut add = |field: &str, message: String| {
        problems.entry(field.to_owned()).or_default().push(message);
    };
    let person = user_id.parse::<Uuid>().ok();
    if person.is_none() {
        add("user_id", "must be a person's id (a UUID)".into());
    }
    let prompt = body.prompt.as_deref().map(str::trim).unwrap_or_default().to_owned();
    if body.prompt.is_none() {
        add("prompt", "is required".into());
    } else if prompt.is_empty() {
        add("prompt", "must not be empty".into());
    } else if prompt.chars().count() > MAX_CONTENT {
        add("prompt", format!("must be at most {MAX_CONTENT} characters"));
    }
    if let Some(agent) = &body.agent
        && state.runtime.agents.agent(agent).is_none()
    {
        let names: Vec<&str> =
            state.runtime.agents.agents.iter().map(|a| a.name.as_str()).collect();
        add("agent", format!("no agent {agent:?}; the agents are {}", names.join(", ")));
    }
    let conversation = body.conversation_id.as_deref().and_then(|raw| {
        let parsed = raw.parse::<Uuid>().ok();
        if parsed.is_none() {
            add("conversation_id", "must be a conversation's id (a UUID)".into());
        }
        parsed
    });
    let title = body.title.map(|title| title.trim().to_owned());
    if let Some(title) = &title
        && (title.is_empty() || title.chars().count() > MAX_TITLE)
    {
        add("title", format!("must be 1 to {MAX_TITLE} characters"));
    }
    let key = match headers.get(IDEMPOTENCY_HEADER).map(|value| value.to_str()) {
        None => None,
        Some(Ok(key)) if !key.trim().is_empty() && key.len() <= MAX_KEY => {
            Some(key.trim().to_owned())
        }
        Some(_) => {
            add(IDEMPOTENCY_HEADER, format!("must be 1 to {MAX_KEY} visible ASCII characters"));
            None
        }
    };
    match person {
        Some(person) if problems.is_empty() => {
            Ok(Checked { person, prompt, agent: body.agent, conversation, title, key })
        }
        _ => Err(ApiError::Validation(problems)),
    }
}

/// Run a turn for a person, without streaming (a service token only)
#[utoipa::path(post, path = "/v1/service/users/{user_id}/turns", tag = "service",
    operation_id = "runServiceTurn", security(("bearer" = [])),
    description = "For another Posey service (cron's agent tasks). The turn is stored in the \
                   person's conversation like any turn and counts toward their daily usage. A \
                   key whose turn is stored already gets that turn back (`replayed`) instead of \
                   a new one.",
    params(
        ("user_id" = Uuid, Path, description = "The person's id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Up to 200 characters (cron sends `<task_id>:<scheduled_for>`)"),
    ),
    request_body = ServiceTurnBody,
    responses(
        (status = 200, description = "The turn's answer, stored", body = ServiceTurnAnswer),
        (status = 404, description = "No such conversation for this person", body = posey_http::openapi::Error),
        (status = 503, description = "The turn failed (`unavailable`); a retry runs it again", body = posey_http::openapi::Error),
        BadFields, UsageLimit, NeedsService,
    ))]
async fn service_turn(
    State(state): State<AppState>,
    Authenticated(claims): Authenticated,
    Path(user_id): Path<String>,
    headers: HeaderMap,
    AppJson(body): AppJson<ServiceTurnBody>,
) -> Result<Response, ApiError> {
    require_scope(&claims, scopes::AGENTS_TURNS)?;
    let request = check(&state, &user_id, body, &headers)?;
    let person = request.person;
    if let Some(turn) = request.key.as_ref().map(|key| keyed_turn_id(person, key))
        && let Some(answer) = stored_answer(&state, person, turn).await?
    {
        return Ok(Json(answer).into_response());
    }

    let conversation = match request.conversation {
        Some(id) => db::conversations::get(state.db(), person, id)
            .await?
            .ok_or_else(|| ApiError::NotFound("no such conversation for this person".into()))?,
        None => {
            let title = request.title.clone().unwrap_or_else(|| title_of(&request.prompt));
            let agent =
                request.agent.clone().unwrap_or_else(|| state.runtime.agents.router.clone());
            db::conversations::create(state.db(), person, &title, &agent).await?
        }
    };
    // The profile read with the usage is not handed to the turn: the turn may wait below for
    // one that changes the profile, so it reads the profile itself once it runs.
    if let Limits::Over(response) = usage_limit::check(&state, person).await? {
        return Ok(response);
    }
    let turn = ConversationTurn {
        person,
        conversation: conversation.id,
        agent: request.agent.clone().unwrap_or_else(|| conversation.agent.clone()),
        content: request.prompt,
        // The turn's calls to other services act for the person with the caller's token.
        credential: super::bearer_token(&headers).map(|token| Credential::Service(token.into())),
        profile: TurnProfile::default(),
        id: Uuid::now_v7(),
        key: request.key.as_deref().map(|key| keyed_turn_id(person, key)),
        follow_up: false,
    };
    // Nobody streams this turn: its events go nowhere. It waits for the conversation's lease
    // like a chat message, and is stored even if this request is dropped meanwhile.
    let (events, _) = mpsc::unbounded_channel();
    let finished = state.turns.start(turn, events).await.context("running a service turn")?;
    let (turn_id, fresh) = match finished {
        Ok(Finished::Replayed { turn_id }) => (turn_id, false),
        Ok(Finished::Stored { outcome, turn_id, fresh }) => {
            if let Some(error) = &outcome.error {
                tracing::warn!(code = error.code, message = %error.message, "a service turn failed");
                return Err(ApiError::Unavailable(format!("the turn failed: {}", error.message)));
            }
            if !fresh {
                tracing::info!(%turn_id, "a concurrent delivery of the key stored the turn first");
            }
            (turn_id, fresh)
        }
        Err(TurnFailure::Gone) => {
            return Err(ApiError::NotFound("the conversation was deleted".into()));
        }
        Err(TurnFailure::NotStarted(error) | TurnFailure::NotStored { error, .. }) => {
            return Err(ApiError::Internal(error));
        }
    };
    let answer =
        stored_answer(&state, person, turn_id).await?.context("a stored turn has no answer")?;
    Ok(Json(ServiceTurnAnswer { replayed: !fresh, ..answer }).into_response())
}

/// The id a key's turn is stored under: the same for every delivery of the key.
fn keyed_turn_id(person: Uuid, key: &str) -> Uuid {
    Uuid::new_v5(&KEY_NAMESPACE, format!("{person}\n{key}").as_bytes())
}

/// A conversation title from the task's prompt: its first line, shortened.
fn title_of(prompt: &str) -> String {
    let line = prompt.lines().next().unwrap_or(prompt).trim();
    if line.chars().count() <= 60 {
        line.to_owned()
    } else {
        format!("{}…", line.chars().take(59).collect::<String>())
    }
}

/// The stored answer of `turn` (the conversation agent's last message of it), if stored.
async fn stored_answer(
    state: &AppState,
    person: Uuid,
    turn: Uuid,
) -> Result<Option<ServiceTurnAnswer>, ApiError> {
    let answer = db::turns::answer(state.db(), person, turn).await?;
    Ok(answer.map(|answer| ServiceTurnAnswer {
        conversation_id: answer.conversation,
        message_id: answer.message,
        turn_id: turn,
        text: answer.text,
        replayed: true,
    }))
}
