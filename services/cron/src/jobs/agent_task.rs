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

use std::time::{Duration, Instant};

use anyhow::Context as _;
use posey_config::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::PgPool;
use tokio::sync::Mutex;
use uuid::Uuid;

use super::completion::Completion;
use crate::db::{self, ClaimedRun};
use crate::notifications::{self, Channels, NewNotification};

/// The error of an `agent_task` run on a replica without the agents service configured.
pub const AGENT_TASKS_UNAVAILABLE: &str = "agent tasks are not configured on this cron replica \
     (AGENTS_URL, AUTH_URL, CRON_SERVICE_CLIENT_ID, CRON_SERVICE_CLIENT_SECRET)";

/// A token is renewed this long before it expires, so none is sent about to lapse.
const RENEW_BEFORE: Duration = Duration::from_secs(60);
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

/// Runs agent tasks: the settings, an HTTP client and the cached service token.
pub struct AgentTasks {
    settings: AgentTaskSettings,
    http: reqwest::Client,
    token: Mutex<Option<(String, Instant)>>,
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: u64,
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
        Ok(Self { settings, http, token: Mutex::new(None) })
    }

    /// A service token, from the cache unless it is about to expire.
    async fn token(&self) -> anyhow::Result<String> {
        let mut cached = self.token.lock().await;
        if let Some((token, renew_at)) = cached.as_ref()
            && Instant::now() < *renew_at
        {
            return Ok(token.clone());
        }
        let url = self.settings.auth_url.join("token?grant_type=client_credentials")?;
        let response = self
            .http
            .post(url)
            .json(&json!({
                "client_id": self.settings.client_id,
                "client_secret": self.settings.client_secret.expose_secret(),
            }))
            .send()
            .await
            .map_err(|e| {
                anyhow::anyhow!("getting a service token from auth: {}", e.without_url())
            })?;
        let status = response.status();
        anyhow::ensure!(
            status.is_success(),
            "auth refused cron's service credentials (CRON_SERVICE_CLIENT_ID/SECRET): {status}"
        );
        let answer: TokenAnswer =
            response.json().await.context("reading auth's service token answer")?;
        let lifetime = Duration::from_secs(answer.expires_in);
        let renew_at = Instant::now() + lifetime.saturating_sub(RENEW_BEFORE).max(lifetime / 2);
        *cached = Some((answer.access_token.clone(), renew_at));
        Ok(answer.access_token)
    }

    /// Forgets the cached token (after the agents service refused it).
    async fn forget_token(&self) {
        *self.token.lock().await = None;
    }

    async fn run_turn(&self, user: Uuid, key: &str, body: &Value) -> anyhow::Result<TurnAnswer> {
        let url = self.settings.agents_url.join(&format!("v1/service/users/{user}/turns"))?;
        for attempt in 0..2 {
            let token = self.token().await?;
            let response = self
                .http
                .post(url.clone())
                .bearer_auth(token)
                .header("Idempotency-Key", key)
                .json(body)
                .send()
                .await
                .map_err(|e| anyhow::anyhow!("calling the agents service: {}", e.without_url()))?;
            let status = response.status();
            // A token revoked or signed with a rotated-out key: get a new one, once.
            if status == reqwest::StatusCode::UNAUTHORIZED && attempt == 0 {
                self.forget_token().await;
                continue;
            }
            if !status.is_success() {
                let text = response.text().await.unwrap_or_default();
                let message = serde_json::from_str::<Value>(&text)
                    .ok()
                    .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
                    .unwrap_or(text);
                anyhow::bail!("the agents service answered {status}: {message}");
            }
            return response.json().await.context("reading the agents service's answer");
        }
        anyhow::bail!("the agents service refused cron's service token twice")
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
        },
    )
    .await?;
    tx.commit().await.context("delivering an agent task's answer")?;
    Ok(Completion::Output(data))
}
