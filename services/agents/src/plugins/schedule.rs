//! The `schedule` plugin: reminders and recurring agent tasks from conversation, kept by the
//! cron service. Its tools call cron's REST API (`CRON_URL`) as the person, with the person's
//! own access token, so cron's rules (a person sees only their own tasks, its validation)
//! apply unchanged; cron's validation errors go back to the model as tool errors.
//!
//! The call carries the turn's credential ([`ToolContext::credential`]): the person's own
//! bearer token for a turn they started (chat, the OpenAI-compatible API, MCP), or, for a turn
//! another service runs for them (cron's agent tasks), that service's token with the person
//! named in `X-Posey-Person`, which cron accepts from service clients only.
//! Registered only when `CRON_URL` is set.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use posey_http::auth::ACTING_FOR_HEADER;
use posey_plugin::NoArguments;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Credential, Plugin, Tool, ToolContext, ToolError};

pub struct SchedulePlugin {
    client: Arc<CronClient>,
}

impl SchedulePlugin {
    pub fn new(cron_url: url::Url) -> anyhow::Result<Self> {
        let mut base = cron_url;
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|error| anyhow::anyhow!("building the cron client: {error}"))?;
        Ok(Self { client: Arc::new(CronClient { base, http }) })
    }
}

struct CronClient {
    base: url::Url,
    http: reqwest::Client,
}

impl CronClient {
    /// Calls cron as the context's person; a refusal becomes a tool error the model can act on.
    async fn call(
        &self,
        tool: &str,
        context: &ToolContext,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<Value, ToolError> {
        let url = self.base.join(path).map_err(|e| ToolError::internal(tool, &e.into()))?;
        let request = self.http.request(method, url);
        let mut request = match &context.credential {
            Some(Credential::Person(token)) => request.bearer_auth(token),
            Some(Credential::Service(token)) => {
                request.bearer_auth(token).header(ACTING_FOR_HEADER, context.person.to_string())
            }
            None => {
                return Err(ToolError::new(
                    "scheduling needs the person to be signed in; ask them to try again in a chat",
                ));
            }
        };
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.map_err(|error| {
            ToolError::internal(tool, &anyhow::anyhow!("calling cron: {}", error.without_url()))
        })?;
        let status = response.status();
        let text = response.text().await.unwrap_or_default();
        let body: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
        if status.is_success() {
            return Ok(body);
        }
        let error = &body["error"];
        match status.as_u16() {
            400 | 404 | 409 | 422 => {
                let mut message = error["message"].as_str().unwrap_or("refused").to_owned();
                if let Some(fields) = error["fields"].as_object() {
                    let details: Vec<String> = fields
                        .iter()
                        .map(|(field, problems)| {
                            let problems: Vec<&str> = problems
                                .as_array()
                                .into_iter()
                                .flatten()
                                .filter_map(Value::as_str)
                                .collect();
                            format!("{field}: {}", problems.join("; "))
                        })
                        .collect();
                    message = details.join("; ");
                }
                Err(ToolError::new(message))
            }
            _ => Err(ToolError::internal(
                tool,
                &anyhow::anyhow!("cron answered {status}: {}", error["message"]),
            )),
        }
    }
}

/// The person's time zone (their profile's): a profile that cannot be read fails the tool
/// rather than scheduling in a zone the person never chose.
async fn zone_of(context: &ToolContext, tool: &str) -> Result<String, ToolError> {
    let profile = context.profile().await.map_err(|error| ToolError::internal(tool, &error))?;
    Ok(profile.time_zone.name().to_owned())
}

/// A name for a task from free text: its first line, at most 100 characters.
fn name_of(text: &str) -> String {
    let line = text.lines().next().unwrap_or(text).trim();
    line.chars().take(100).collect()
}

/// `value` trimmed. The schema wants a character; one of spaces only is still missing.
fn filled(name: &str, value: &str) -> Result<String, ToolError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ToolError::new(format!("{name} is required")));
    }
    Ok(value.to_owned())
}

// The tools' arguments (no doc comments on the structs: they would become the schemas'
// descriptions).
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ReminderArgs {
    #[schemars(length(min = 1, max = 500))]
    text: String,
    #[schemars(length(min = 1))]
    at: String,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct RecurringTaskArgs {
    #[schemars(length(min = 1, max = 4000))]
    prompt: String,
    #[schemars(length(min = 1))]
    schedule: String,
    /// An IANA time zone name
    time_zone: Option<String>,
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct CancelArgs {
    #[schemars(length(min = 1))]
    id: String,
}

/// `cron` or `rrule`, and a 5-field cron expression given seconds (cron's has them).
fn schedule_of(raw: &str) -> Value {
    let raw = raw.trim();
    let upper = raw.to_ascii_uppercase();
    if upper.contains("FREQ=") {
        return json!({"kind": "rrule", "spec": raw});
    }
    let spec = if raw.split_whitespace().count() == 5 { format!("0 {raw}") } else { raw.into() };
    json!({"kind": "cron", "spec": spec})
}

/// A task as the model needs it.
fn summary(task: &Value) -> Value {
    json!({
        "id": task["id"],
        "name": task["name"],
        "kind": task["kind"],
        "schedule": task["schedule"],
        "time_zone": task["time_zone"],
        "next_run_at": task["next_run_at"],
        "paused": task["paused"],
    })
}

impl Plugin for SchedulePlugin {
    fn name(&self) -> &str {
        "schedule"
    }

    fn description(&self) -> &str {
        "Reminders and recurring agent tasks, kept by the cron service."
    }

    fn tools(&self) -> Vec<Tool> {
        let reminder = self.client.clone();
        let recurring = self.client.clone();
        let list = self.client.clone();
        let cancel = self.client.clone();
        vec![
            Tool::typed(
                "create_reminder",
                "Remind the person of something once, at a time: RFC 3339 with an offset, or a \
                 local YYYY-MM-DDTHH:MM[:SS] in the person's time zone.",
                move |context: ToolContext, arguments: ReminderArgs| {
                    let client = reminder.clone();
                    async move {
                        let text = filled("text", &arguments.text)?;
                        let at = filled("at", &arguments.at)?;
                        let body = json!({
                            "name": name_of(&text),
                            "kind": "reminder",
                            "payload": {"title": text},
                            "schedule": {"kind": "once", "spec": at},
                            "time_zone": zone_of(&context, "create_reminder").await?,
                        });
                        let task = client
                            .call(
                                "create_reminder",
                                &context,
                                reqwest::Method::POST,
                                "v1/tasks",
                                Some(body),
                            )
                            .await?;
                        Ok(summary(&task))
                    }
                },
            ),
            Tool::typed(
                "create_recurring_task",
                "Have the companion run a prompt for the person on a schedule and notify them \
                 of the answer: a cron expression (sec min hour day month weekday; 5 fields \
                 are read as min hour day month weekday) or an RFC 5545 RRULE such as \
                 FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=7;BYMINUTE=30, in time_zone (IANA; \
                 default the person's).",
                move |context: ToolContext, arguments: RecurringTaskArgs| {
                    let client = recurring.clone();
                    async move {
                        let prompt = filled("prompt", &arguments.prompt)?;
                        let schedule = filled("schedule", &arguments.schedule)?;
                        let zone = match arguments.time_zone.as_deref().map(str::trim) {
                            Some(zone) if !zone.is_empty() => zone.to_owned(),
                            _ => zone_of(&context, "create_recurring_task").await?,
                        };
                        let body = json!({
                            "name": name_of(&prompt),
                            "kind": "agent_task",
                            "payload": {"prompt": prompt},
                            "schedule": schedule_of(&schedule),
                            "time_zone": zone,
                        });
                        let task = client
                            .call(
                                "create_recurring_task",
                                &context,
                                reqwest::Method::POST,
                                "v1/tasks",
                                Some(body),
                            )
                            .await?;
                        Ok(summary(&task))
                    }
                },
            ),
            Tool::typed(
                "list_tasks",
                "The person's reminders and recurring tasks, with their ids and next runs.",
                move |context: ToolContext, NoArguments {}| {
                    let client = list.clone();
                    async move {
                        let answer = client
                            .call(
                                "list_tasks",
                                &context,
                                reqwest::Method::GET,
                                "v1/tasks?limit=200",
                                None,
                            )
                            .await?;
                        let tasks: Vec<Value> =
                            answer["tasks"].as_array().into_iter().flatten().map(summary).collect();
                        Ok(json!({"tasks": tasks}))
                    }
                },
            ),
            Tool::typed(
                "cancel_task",
                "Cancel (delete) one of the person's reminders or recurring tasks, by its id \
                 from list_tasks.",
                move |context: ToolContext, arguments: CancelArgs| {
                    let client = cancel.clone();
                    async move {
                        let id = filled("id", &arguments.id)?;
                        let id: Uuid = id.parse().map_err(|_| {
                            ToolError::new(format!("{id:?} is not a task id; see list_tasks"))
                        })?;
                        client
                            .call(
                                "cancel_task",
                                &context,
                                reqwest::Method::DELETE,
                                &format!("v1/tasks/{id}"),
                                None,
                            )
                            .await?;
                        Ok(json!({"cancelled": id}))
                    }
                },
            ),
        ]
    }

    fn instructions(
        &self,
        _context: &ToolContext,
    ) -> BoxFuture<'static, anyhow::Result<Option<String>>> {
        Box::pin(async {
            Ok(Some(
                "To remind the person of something or to do something for them regularly, use \
                 create_reminder or create_recurring_task; list_tasks and cancel_task manage \
                 them. Times without an offset are in the person's time zone."
                    .into(),
            ))
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use serde_json::json;

    use super::*;

    #[test]
    fn the_tools_schemas_keep_the_constraints_of_the_hand_written_ones() {
        let plugin = SchedulePlugin::new("http://cron.invalid/".parse().unwrap()).unwrap();
        let schemas: BTreeMap<String, Value> =
            plugin.tools().into_iter().map(|tool| (tool.name, tool.parameters)).collect();
        assert_eq!(
            schemas["create_reminder"],
            json!({
                "type": "object",
                "properties": {
                    "text": {"type": "string", "minLength": 1, "maxLength": 500},
                    "at": {"type": "string", "minLength": 1}
                },
                "required": ["text", "at"],
                "additionalProperties": false
            })
        );
        assert_eq!(
            schemas["create_recurring_task"],
            json!({
                "type": "object",
                "properties": {
                    "prompt": {"type": "string", "minLength": 1, "maxLength": 4000},
                    "schedule": {"type": "string", "minLength": 1},
                    // Optional: left out means the person's time zone.
                    "time_zone": {"type": "string",
                                  "description": "An IANA time zone name"}
                },
                "required": ["prompt", "schedule"],
                "additionalProperties": false
            })
        );
        let list = &schemas["list_tasks"];
        assert_eq!(
            (&list["type"], &list["properties"], &list["additionalProperties"]),
            (&json!("object"), &json!({}), &json!(false))
        );
        assert_eq!(
            schemas["cancel_task"],
            json!({
                "type": "object",
                "properties": {"id": {"type": "string", "minLength": 1}},
                "required": ["id"],
                "additionalProperties": false
            })
        );
    }
}
