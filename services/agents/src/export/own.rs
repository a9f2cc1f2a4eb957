//! The export's files that are no plugin's: the README, the account (auth's), conversations,
//! the actions the companion asked to confirm, and reminders and notifications (cron's).

use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use posey_plugin::{Credential, Export, ExportFile};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::db::{self, conversations::Conversation, messages::StoredMessage};
use crate::state::AppState;

/// How long auth and cron get to answer.
const PEER_TIMEOUT: Duration = Duration::from_secs(30);

pub async fn write(
    state: &AppState,
    person: Uuid,
    credential: &Credential,
    plugins: &[&str],
    files: &mpsc::Sender<ExportFile>,
) -> anyhow::Result<()> {
    let root = Export::new("", files.clone());
    let config = &state.config;
    let mut missing = Vec::new();
    if config.auth_url.is_none() {
        missing.push("your account's details (this install's agents service has no AUTH_URL)");
    }
    if config.cron_url.is_none() {
        missing.push("reminders and notifications (this install's agents service has no CRON_URL)");
    }
    let peers = reqwest::Client::builder().timeout(PEER_TIMEOUT).build()?;
    // Auth's part is read first: the README says what of it a session could not see.
    let account = match &config.auth_url {
        Some(auth) => {
            let user = fetch(&peers, auth.join("user")?, credential)
                .await
                .context("reading the account from auth")?;
            let held = fetch_allowed(&peers, auth.join("user/export")?, credential)
                .await
                .context("reading the account's sign-ins, passkeys and apps from auth")?;
            if held.is_none() {
                missing.push(
                    "your sessions, passkeys, app passwords, the apps you let in and your sign-in \
                     history: auth shows them only to a session signed in with your second \
                     factor (sign in with it and export again)",
                );
            }
            Some((user, held))
        }
        None => None,
    };
    root.file("README.md", readme(person, Utc::now(), plugins, &missing)).await?;
    if let Some((user, held)) = account {
        root.json("account.json", &user).await?;
        if let Some(held) = held {
            listed_parts(held, &Export::new("account", files.clone()), "auth's account export")
                .await?;
        }
    }
    conversations(state.db(), person, &Export::new("conversations", files.clone())).await?;
    let actions = db::actions::all(state.db(), person).await?;
    root.json("actions.json", &json!({"actions": actions})).await?;
    let model = db::model_choices::get(state.db(), person).await?;
    root.json("settings.json", &json!({"model": model})).await?;
    root.file("usage.csv", usage_csv(state.db(), person).await?).await?;
    if let Some(cron) = &config.cron_url {
        let kept = fetch(&peers, cron.join("v1/me/export")?, credential)
            .await
            .context("reading reminders and notifications from cron")?;
        listed_parts(kept, &Export::new("reminders", files.clone()), "cron's export").await?;
    }
    Ok(())
}

/// Each list in another service's export (a JSON object) as a file of its own in `out`:
/// `{"tasks": [...]}` becomes `tasks.json`.
async fn listed_parts(kept: Value, out: &Export, what: &str) -> anyhow::Result<()> {
    let Value::Object(parts) = kept else { anyhow::bail!("{what} is not a JSON object") };
    for (name, part) in parts.into_iter().filter(|(_, part)| part.is_array()) {
        out.json(&format!("{name}.json"), &json!({ name.clone(): part })).await?;
    }
    Ok(())
}

/// A GET of another service's API as the person.
async fn fetch(
    client: &reqwest::Client,
    url: url::Url,
    credential: &Credential,
) -> anyhow::Result<Value> {
    let what = format!("GET {url}");
    fetch_allowed(client, url, credential).await?.ok_or_else(|| anyhow::anyhow!("{what}: 403"))
}

/// A GET of another service's API as the person, `None` if it is forbidden to their session
/// (auth keeps some of a person's data for `aal2` sessions when they have a second factor).
async fn fetch_allowed(
    client: &reqwest::Client,
    url: url::Url,
    credential: &Credential,
) -> anyhow::Result<Option<Value>> {
    let Credential::Person(token) = credential else {
        anyhow::bail!("only a person's own token exports their data");
    };
    let response = client
        .get(url.clone())
        .bearer_auth(token)
        .send()
        .await
        .with_context(|| format!("GET {url}"))?;
    let status = response.status();
    if status == reqwest::StatusCode::FORBIDDEN {
        return Ok(None);
    }
    if !status.is_success() {
        anyhow::bail!("GET {url}: {status}");
    }
    response.json().await.map(Some).with_context(|| format!("GET {url}: not JSON"))
}

/// Each conversation as Markdown to read and JSON with every message as stored.
async fn conversations(db: &sqlx::PgPool, person: Uuid, out: &Export) -> anyhow::Result<()> {
    const PAGE: i64 = 100;
    let mut offset = 0;
    loop {
        let page = db::conversations::list(db, person, PAGE, offset).await?;
        for conversation in &page {
            let messages = db::messages::list(db, conversation.id).await?;
            let stem = file_stem(conversation);
            out.file(&format!("{stem}.md"), markdown(conversation, &messages)).await?;
            out.json(
                &format!("{stem}.json"),
                &json!({"conversation": conversation, "messages": messages}),
            )
            .await?;
        }
        if page.len() < PAGE as usize {
            return Ok(());
        }
        offset += PAGE;
    }
}

/// Every model call of the person's: when, in which conversation, by which agent on which
/// model, and its tokens (read a page at a time).
async fn usage_csv(db: &sqlx::PgPool, person: Uuid) -> anyhow::Result<Vec<u8>> {
    const PAGE: i64 = 5_000;
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "created_at",
        "conversation_id",
        "agent",
        "model",
        "input_tokens",
        "output_tokens",
    ])?;
    let mut after = 0;
    loop {
        let page = db::usage::of_person(db, person, after, PAGE).await?;
        for (_, row) in &page {
            let conversation = row.conversation_id.map(|c| c.to_string()).unwrap_or_default();
            out.write_record([
                row.created_at.to_rfc3339(),
                conversation,
                row.agent.clone(),
                row.model.clone(),
                row.input_tokens.to_string(),
                row.output_tokens.to_string(),
            ])?;
        }
        match page.last() {
            Some((id, _)) if page.len() == PAGE as usize => after = *id,
            _ => break,
        }
    }
    out.into_inner().context("writing usage.csv")
}

/// `2026-12-01 Trip to Lisbon (0191a2b3c4d57e6f8091a2b3c4d5e6f7)`: sorted by when it began,
/// told apart by its whole id (its first digits are a time, the same for conversations begun
/// within a minute).
fn file_stem(conversation: &Conversation) -> String {
    let title: String = conversation.title.replace('/', "-").chars().take(60).collect();
    let title = title.trim();
    let title = if title.is_empty() { "Conversation" } else { title };
    format!("{} {title} ({})", conversation.created_at.format("%Y-%m-%d"), conversation.id.simple())
}

fn markdown(conversation: &Conversation, messages: &[StoredMessage]) -> String {
    let mut text = format!(
        "# {}\n\nWith {}, from {} to {}.\n",
        conversation.title,
        conversation.agent,
        conversation.created_at.format("%Y-%m-%d %H:%M UTC"),
        conversation.updated_at.format("%Y-%m-%d %H:%M UTC"),
    );
    for message in messages {
        let when = message.created_at.format("%Y-%m-%d %H:%M UTC");
        let body = match message.role.as_str() {
            "user" => format!("## You, {when}\n\n{}", message.content),
            "tool" => {
                let tool = message.tool_name.as_deref().unwrap_or("a tool");
                format!(
                    "> {tool} answered{}:\n>\n> {}",
                    if message.is_error { " with an error" } else { "" },
                    message.content.replace('\n', "\n> ")
                )
            }
            _ => {
                let called: Vec<&str> =
                    message.tool_calls.iter().map(|call| call.name.as_str()).collect();
                let calls = if called.is_empty() {
                    String::new()
                } else {
                    format!("\n\n*Used {}.*", called.join(", "))
                };
                format!("## {}, {when}\n\n{}{calls}", message.agent, message.content)
            }
        };
        text.push('\n');
        text.push_str(body.trim_end());
        text.push('\n');
    }
    text
}

fn readme(person: Uuid, now: DateTime<Utc>, plugins: &[&str], missing: &[&str]) -> String {
    let mut text = format!(
        "# Everything Posey keeps of you\n\n\
         Exported {} for the account {person}. Every file is in an open format: JSON, Markdown,\n\
         CSV, iCalendar (.ics), an hledger journal (.ledger), and your documents as you uploaded them.\n\n\
         - `account.json`: your account (address, sign-in methods, when it was made).\n\
         - `account/`: what auth keeps beside it: linked sign-in identities, passkeys and app\n  \
           passwords (names and dates, never a secret), the apps you let sign in as you, your\n  \
           sessions and your sign-in history (`audit_log.json`).\n\
         - `conversations/`: each conversation as Markdown to read, and as JSON with every message,\n  \
           tool call and answer as stored.\n\
         - `actions.json`: what the companion asked you to confirm, and what you answered.\n\
         - `settings.json`: the chat model you chose; `usage.csv`: every model call made for you\n  \
           (when, which agent and model, tokens in and out).\n\
         - `reminders/`: your reminders and scheduled tasks, their runs, your notifications and the\n  \
           devices that get push notifications.\n",
        now.format("%Y-%m-%d %H:%M UTC"),
    );
    let described = [
        ("profile", "`profile/`: your name, time zone and preferences."),
        (
            "memory",
            "`memory/memories.json`: what the companion remembers, with each memory's history.",
        ),
        (
            "documents",
            "`documents/`: your documents as uploaded (`files/`) and what Posey knows of them.",
        ),
        (
            "calendar",
            "`calendar/`: each calendar as iCalendar, and your calendars and subscriptions as JSON.",
        ),
        (
            "finance",
            "`finance/`: transactions as CSV and an hledger journal; accounts, budgets, rules and bills as JSON.",
        ),
        (
            "home",
            "`home/`: your home connections (never their tokens), entities, exposure, watches, audit log and state history.",
        ),
    ];
    for (plugin, line) in described {
        if plugins.contains(&plugin) {
            text.push_str(&format!("- {line}\n"));
        }
    }
    for plugin in plugins.iter().filter(|p| !described.iter().any(|(d, _)| d == *p)) {
        text.push_str(&format!("- `{plugin}/`: what the {plugin} plugin keeps, if anything.\n"));
    }
    if !missing.is_empty() {
        text.push_str("\nNot in this export:\n\n");
        for line in missing {
            text.push_str(&format!("- {line}\n"));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversations_begun_in_the_same_minute_get_files_of_their_own() {
        // UUIDv7s made together share their first digits (a time); a zip refuses a name twice.
        let untitled = |id| Conversation {
            id,
            title: String::new(),
            agent: "posey".into(),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        let (a, b) = (untitled(Uuid::now_v7()), untitled(Uuid::now_v7()));
        assert_ne!(file_stem(&a), file_stem(&b));
        assert!(file_stem(&a).ends_with(&format!("Conversation ({})", a.id.simple())));
    }
}
