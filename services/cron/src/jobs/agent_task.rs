//! `agent_task`: a prompt an agent runs for the task's owner, its answer kept in a conversation
//! and delivered as a notification. Payload: `{prompt, agent?, conversation_id?}`.
//!
//! At run time cron gets a service token from auth's client-credentials grant (cached until
//! shortly before it expires) and calls the agents service's
//! `POST /v1/service/users/{owner}/turns` with the run's idempotency key
//! (`Idempotency-Key: <task_id>:<scheduled_for>`), so a retried run is answered from the
//! stored turn, never run twice. The conversation the answer went to is written back into the
//! task's payload, so a recurring task continues one conversation. Any failure is a failed
//! attempt: retried with backoff, then dead-lettered with the error.

use std::time::Duration;

use anyhow::Context as _;
use posey_config::SecretString;
use posey_http::auth::{ServiceClient, ServiceCredentials, error_message};
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use super::completion::Completion;
use crate::db::{self, ClaimedRun};
use crate::notifications::{self, Channels, NewNotification};

/// The error of an `agent_task` run on a replica without the agents service configured.
pub const AGENT_TASKS_UNAVAILABLE: &str = "agent tasks are not configured on this cron replica \
     (AGENTS_URL, AUTH_URL, CRON_SERVICE_CLIENT_ID, CRON_SERVICE_CLIENT_SECRET)";

/// The longest one turn may take; the task's own timeout may cut it shorter.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

/// Where agent tasks go and the service credentials they go with (`AGENTS_URL`, `AUTH_URL`,
/// `CRON_SERVICE_CLIENT_ID`, `CRON_SERVICE_CLIENT_SECRET`).
#[derive(Debug, Clone)]
pub struct AgentTaskSettings {
    /// The agents service's base URL.
    pub agents_url: url::Url,
    /// Auth's base URL (its token endpoint is `{AUTH_URL}/token`).
    pub auth_url: url::Url,
    pub client_id: String,
    pub client_secret: SecretString,
}

/// Runs agent tasks: where the agents service is, and cron's service client at auth.
pub struct AgentTasks {
    agents_url: url::Url,
    client: ServiceClient,
}

#[derive(Deserialize)]
struct TurnAnswer {
    conversation_id: Uuid,
    message_id: i64,
    text: String,
}

impl AgentTasks {
    pub fn new(settings: AgentTaskSettings) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("posey-cron/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("building the agent tasks' HTTP client")?;
        let credentials = ServiceCredentials {
            auth_url: settings.auth_url,
            client_id: settings.client_id,
            client_secret: settings.client_secret,
        };
        let client = ServiceClient::new(credentials, "CRON_SERVICE_CLIENT_ID/SECRET", http);
        Ok(Self { agents_url: settings.agents_url, client })
    }

    async fn run_turn(&self, user: Uuid, key: &str, body: &Value) -> anyhow::Result<TurnAnswer> {
        let url = self.agents_url.join(&format!("v1/service/users/{user}/turns"))?;
        let response = self
            .client
            .send(|http, token| {
                http.post(url.clone()).bearer_auth(token).header("Idempotency-Key", key).json(body)
            })
            .await?;
        let status = response.status();
        if !status.is_success() {
            let message = error_message(response).await;
            anyhow::bail!("the agents service answered {status}: {message}");
        }
        response.json().await.context("reading the agents service's answer")
    }
}

/// Runs `run`'s prompt through `agents` (`None`: not configured, and the run fails saying so)
/// and delivers the answer as a notification on `channels`.
pub async fn run(
    agents: Option<&AgentTasks>,
    db: &PgPool,
    channels: Channels,
    run: &ClaimedRun,
) -> anyhow::Result<Completion> {
    // Faking an answer would deliver a notification the person never asked an agent for.
    let agents = agents.context(AGENT_TASKS_UNAVAILABLE)?;
    let user = run.user_id.context("an agent task needs the task's owner (user_id is NULL)")?;
    let prompt = run
        .payload
        .get("prompt")
        .and_then(Value::as_str)
        .filter(|p| !p.trim().is_empty())
        .context("the agent task has no payload.prompt")?;
    let mut body = json!({"prompt": prompt, "title": run.name});
    for field in ["agent", "conversation_id"] {
        if let Some(value) = run.payload.get(field).filter(|v| v.is_string()) {
            body[field] = value.clone();
        }
    }
    let answer = agents.run_turn(user, &run.idempotency_key(), &body).await?;

    let mut tx = db.begin().await.context("starting to deliver an agent task's answer")?;
    // The next run continues this conversation.
    db::tasks::set_conversation(&mut tx, run.task_id, answer.conversation_id)
        .await
        .context("keeping the agent task's conversation")?;
    let data = json!({
        "conversation_id": answer.conversation_id,
        "message_id": answer.message_id,
        "link": format!("/conversations/{}", answer.conversation_id),
    });
    notifications::create(
        &mut tx,
        channels,
        &NewNotification {
            user_id: user,
            title: &run.name,
            body: &answer.text,
            data: &data,
            task_id: Some(run.task_id),
            run_id: Some(run.id),
            key: None,
        },
    )
    .await?;
    tx.commit().await.context("delivering an agent task's answer")?;
    Ok(Completion::Output(data))
}
