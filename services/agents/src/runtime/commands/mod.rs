//! Explicit commands: a message that is nothing but "remind me to … at …" or "remember that …"
//! is carried out by the runtime itself, through the same tool a model would call (its events
//! and stored messages are those of a call), and answered from the tool's result. So these
//! never rest on a model's judgement (the demonstration-size local model calls no tool at
//! all), and they answer at once. Anything else, or any doubt, goes to the model.
//! `AGENTS_EXPLICIT_COMMANDS=false` turns this off.

mod read;
mod words;

use chrono::{DateTime, Datelike, NaiveDateTime, Utc};
use chrono_tz::Tz;
use serde_json::Value;

use super::Runtime;
use super::direct::call_directly;
use super::run::{AgentRun, TurnEvent, TurnScope, assistant};
use crate::catalog::AgentSpec;
pub use read::{Command, read};

impl Runtime {
    /// Carries out the turn's message when it is an explicit command and the agent has the
    /// tool for it: the agent's run, else `None` (its model answers).
    pub(super) async fn run_command(
        &self,
        scope: &TurnScope,
        agent: &AgentSpec,
    ) -> Option<AgentRun> {
        if !self.settings.explicit_commands {
            return None;
        }
        let message = scope.context.message.as_deref()?;
        if !read::may_be_command(message) {
            return None;
        }
        let zone = match scope.context.profile().await {
            Ok(profile) => profile.time_zone.tz(),
            Err(error) => {
                tracing::warn!(
                    error = format!("{error:#}"),
                    "reading the profile for a command; the model answers"
                );
                return None;
            }
        };
        let now = Utc::now().with_timezone(&zone);
        let command = read(message, now)?;
        let tool =
            self.plugins.tools_of(&agent.plugins).find(|tool| tool.name == command.tool())?;
        tracing::info!(agent = %agent.name, tool = %tool.name, "an explicit command, carried out without the model");
        let name = agent.name.as_str();
        if let Command::Remind { at, .. } = &command
            && at.local(zone) <= now.naive_local()
        {
            // Cron would keep it and never remind them: say so instead.
            let when = spoken(at.local(zone), now.naive_local());
            let when = when.strip_prefix("on ").unwrap_or(&when);
            let reply = format!("That time ({when}) has passed already. When should I remind you?");
            scope.send(TurnEvent::Text { agent: name.to_owned(), depth: 0, delta: reply.clone() });
            let messages = vec![assistant(name, 0, reply.clone(), Vec::new())];
            return Some(AgentRun { messages, text: reply, ..AgentRun::default() });
        }
        let (result, [call, answer]) =
            call_directly(scope, name, 0, tool, command.arguments()).await;
        let reply = reply(&command, &result, zone, Utc::now());
        scope.send(TurnEvent::Text { agent: name.to_owned(), depth: 0, delta: reply.clone() });
        Some(AgentRun {
            messages: vec![call, answer, assistant(name, 0, reply.clone(), Vec::new())],
            text: reply,
            ..AgentRun::default()
        })
    }
}

/// The answer to a command from what its tool answered: what was done and when, or why not.
fn reply(
    command: &Command,
    result: &Result<Value, String>,
    zone: Tz,
    now: DateTime<Utc>,
) -> String {
    match (command, result) {
        (Command::Remind { about, at, .. }, Ok(task)) => {
            // When cron will remind them, as it placed the time (its DST rules), else as asked.
            let when = task["next_run_at"]
                .as_str()
                .and_then(|at| DateTime::parse_from_rfc3339(at).ok())
                .map(|at| at.with_timezone(&zone).naive_local())
                .unwrap_or_else(|| at.local(zone));
            let mut reply = format!(
                "Okay, I'll remind you {about} {}.",
                spoken(when, now.with_timezone(&zone).naive_local())
            );
            if zone == Tz::UTC {
                reply.push_str(
                    " That is UTC: tell me your time zone, or set it in your profile, if you \
                     are elsewhere.",
                );
            }
            reply
        }
        (Command::Remind { .. }, Err(why)) => format!("I could not set that reminder: {why}"),
        (Command::Remember { about, .. }, Ok(_)) => format!("Got it. I'll remember that {about}."),
        (Command::Remember { .. }, Err(why)) => format!("I could not remember that: {why}"),
    }
}

/// A time as said to the person: "today at 6:00 pm", "tomorrow at 7:30 am", "on Monday at
/// 9:00 am" within the week, else with the date ("on Wednesday 3 March 2027 at 9:00 am").
fn spoken(when: NaiveDateTime, now: NaiveDateTime) -> String {
    let time = when.format("%-I:%M %P");
    let days = (when.date() - now.date()).num_days();
    match days {
        0 => format!("today at {time}"),
        1 => format!("tomorrow at {time}"),
        2..=6 => format!("on {} at {time}", when.format("%A")),
        _ if when.year() == now.year() => format!("on {} at {time}", when.format("%A %-d %B")),
        _ => format!("on {} at {time}", when.format("%A %-d %B %Y")),
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;
    use serde_json::json;

    use super::*;

    #[test]
    fn a_reminder_is_confirmed_at_the_time_cron_placed_it_in_the_persons_zone() {
        let zone = chrono_tz::Asia::Kolkata;
        let now = zone.with_ymd_and_hms(2026, 12, 5, 10, 15, 0).unwrap();
        let command = read("Remind me to call my mother tomorrow at 6 pm", now).unwrap();
        let task = json!({"next_run_at": "2026-12-06T12:30:00Z"});
        assert_eq!(
            reply(&command, &Ok(task), zone, now.with_timezone(&Utc)),
            "Okay, I'll remind you to call your mother tomorrow at 6:00 pm."
        );
        let refused = Err("schedule: the time is in the past".to_owned());
        assert_eq!(
            reply(&command, &refused, zone, now.with_timezone(&Utc)),
            "I could not set that reminder: schedule: the time is in the past"
        );
        let utc = Tz::UTC.with_ymd_and_hms(2026, 12, 5, 10, 15, 0).unwrap();
        let command = read("Remind me to call my mother tomorrow at 6 pm", utc).unwrap();
        assert!(reply(&command, &Ok(json!({})), Tz::UTC, utc.with_timezone(&Utc)).starts_with(
            "Okay, I'll remind you to call your mother tomorrow at 6:00 pm. That is UTC"
        ));
    }

    #[test]
    fn times_are_said_as_a_person_says_them() {
        let now = NaiveDateTime::parse_from_str("2026-12-05 10:15", "%Y-%m-%d %H:%M").unwrap();
        let at = |text: &str| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M").unwrap();
        assert_eq!(spoken(at("2026-12-05 18:00"), now), "today at 6:00 pm");
        assert_eq!(spoken(at("2026-12-06 07:30"), now), "tomorrow at 7:30 am");
        assert_eq!(spoken(at("2026-12-07 09:00"), now), "on Monday at 9:00 am");
        assert_eq!(spoken(at("2026-12-24 19:00"), now), "on Thursday 24 December at 7:00 pm");
        assert_eq!(spoken(at("2027-03-03 09:00"), now), "on Wednesday 3 March 2027 at 9:00 am");
    }

    #[test]
    fn a_memory_is_confirmed_in_the_persons_words_facing_them() {
        let now = Tz::UTC.with_ymd_and_hms(2026, 12, 5, 10, 15, 0).unwrap();
        let command = read("Remember that my sister's name is Ana", now).unwrap();
        assert_eq!(
            reply(&command, &Ok(json!({})), Tz::UTC, now.with_timezone(&Utc)),
            "Got it. I'll remember that your sister's name is Ana."
        );
    }
}
