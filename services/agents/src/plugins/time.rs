//! The `time` plugin: what time it is now, in the person's time zone (from their profile).

use chrono::Utc;
use futures::future::BoxFuture;
use serde_json::{Value, json};

use posey_plugin::{NoArguments, Plugin, Tool, ToolContext, ToolError};

pub struct TimePlugin;

impl Plugin for TimePlugin {
    fn name(&self) -> &str {
        "time"
    }

    fn description(&self) -> &str {
        "The current date and time in the person's time zone."
    }

    fn tools(&self) -> Vec<Tool> {
        vec![Tool::typed(
            "current_time",
            "The current date, time and weekday in the person's time zone.",
            current_time,
        )]
    }

    fn instructions(
        &self,
        _context: &ToolContext,
    ) -> BoxFuture<'static, anyhow::Result<Option<String>>> {
        Box::pin(async {
            Ok(Some(
                "Use current_time whenever the answer depends on today's date or the time.".into(),
            ))
        })
    }

    /// The date and time with every message, so a model that calls no tool (the small local
    /// one) still knows them; next to the message, as it changes from one to the next.
    fn context(&self, context: &ToolContext) -> BoxFuture<'static, anyhow::Result<Option<String>>> {
        let context = context.clone();
        Box::pin(async move {
            let zone = match context.profile().await {
                Ok(profile) => profile.time_zone.tz(),
                Err(error) => {
                    // current_time says why, if the model asks; the turn goes on without it.
                    tracing::warn!(
                        error = format!("{error:#}"),
                        "reading the profile for the time"
                    );
                    return Ok(None);
                }
            };
            let now = Utc::now().with_timezone(&zone);
            Ok(Some(format!(
                "The current date and time: {} ({}).",
                now.format("%A %-d %B %Y, %H:%M"),
                zone.name()
            )))
        })
    }
}

async fn current_time(context: ToolContext, _: NoArguments) -> Result<Value, ToolError> {
    let profile =
        context.profile().await.map_err(|error| ToolError::internal("current_time", &error))?;
    let zone = profile.time_zone.tz();
    let now = Utc::now().with_timezone(&zone);
    Ok(json!({
        "now": now.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
        "time_zone": zone.name(),
        "weekday": now.format("%A").to_string(),
    }))
}
