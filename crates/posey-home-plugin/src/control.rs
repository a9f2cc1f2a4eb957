//! Commands on a person's home, as the person or the companion gives them: checked against
//! the entity's kind; the companion's only on what the person let it control, and a
//! security-relevant one (unlock, disarm, open the garage) never on its word: it waits for the
//! person's yes. Every command is audited with what came of it.

use std::time::Duration;

use chrono::Utc;
use posey_home::exposure::ExposurePolicy;
use posey_home::security::{EntityInfo, Reason, requires_confirmation};
use posey_home::{Command, EntityId, EntityState};
use serde_json::Value;
use uuid::Uuid;

use crate::db::audit::{self, AuditEntry};
use crate::db::entities::{self, EntityRow};
use crate::db::exposure;
use crate::error::HomeError;
use crate::homes::Homes;

/// How long a command waits for the entity to report its new state, for the audit log's
/// "state after" and the answer (a device that never reports is answered without it).
const SETTLE: Duration = Duration::from_millis(1500);

/// Who gives a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// The person, through the API.
    Person,
    /// The companion, in a turn (the person's yes, when the command needed it, is `confirmed`).
    Agent { confirmed: bool },
    /// A turn no one is in: one another service started for the person (a scheduled task of
    /// cron's), named by what started it. It is still the model's word: it controls only what
    /// the companion may, and a security-relevant command waits for the person's yes.
    Automation(String),
}

impl Actor {
    fn as_str(&self) -> &'static str {
        match self {
            Self::Person => "person",
            Self::Agent { .. } => "agent",
            Self::Automation(_) => "automation",
        }
    }

    fn detail(&self) -> Option<String> {
        match self {
            Self::Automation(name) => Some(name.clone()),
            _ => None,
        }
    }
}

/// What a command came to.
#[derive(Debug)]
pub enum Outcome {
    /// It ran; the entity as the link saw it after.
    Done { state: Option<EntityState>, audit: AuditEntry },
    /// The companion asked for a security-relevant command: nothing ran; the person must say yes.
    NeedsConfirmation { reason: Reason, audit: AuditEntry },
}

/// The person's entity with this id; `connection` picks one when two connections have it.
pub async fn find(
    homes: &Homes,
    person: Uuid,
    entity_id: &str,
    connection: Option<Uuid>,
) -> Result<EntityRow, HomeError> {
    EntityId::parse(entity_id.trim()).map_err(|e| HomeError::invalid("entity_id", e))?;
    let mut rows = entities::find(&homes.db, person, entity_id.trim()).await?;
    if let Some(connection) = connection {
        rows.retain(|row| row.connection_id == connection);
    }
    match rows.len() {
        0 => Err(HomeError::NotFound(format!("no entity {} in this home", entity_id.trim()))),
        1 => Ok(rows.remove(0)),
        _ => Err(HomeError::Conflict(format!(
            "{} is in {} connections: say which with `connection`",
            entity_id.trim(),
            rows.len()
        ))),
    }
}

/// Whether the companion may see / control this entity under `policy`.
pub fn exposed(policy: &ExposurePolicy, row: &EntityRow) -> (bool, bool) {
    match EntityId::parse(&row.entity_id) {
        Ok(id) => (
            policy.can_see(&id, row.area_id.as_deref()),
            policy.can_control(&id, row.area_id.as_deref()),
        ),
        Err(_) => (false, false),
    }
}

/// Whether some command on this entity needs the person's yes when the companion asks.
pub fn is_security(row: &EntityRow) -> bool {
    let Ok(id) = EntityId::parse(&row.entity_id) else { return false };
    let info = EntityInfo::new(id, row.device_class.as_deref());
    let probes = [
        Command::Unlock,
        Command::Open,
        Command::OpenCover,
        Command::AlarmDisarm { code: None },
        Command::DisableAutomation,
    ];
    probes
        .iter()
        .any(|c| c.check(&info.entity_id).is_ok() && requires_confirmation(c, &info).is_some())
}

/// Gives `command` to the entity as `actor`.
pub async fn control(
    homes: &Homes,
    person: Uuid,
    actor: &Actor,
    row: &EntityRow,
    command: Command,
) -> Result<Outcome, HomeError> {
    let entity_id =
        EntityId::parse(&row.entity_id).map_err(|e| HomeError::invalid("entity_id", e))?;
    let mut entry = AuditEntry {
        id: Uuid::now_v7(),
        at: Utc::now(),
        actor: actor.as_str().into(),
        agent: actor.detail(),
        connection_id: Some(row.connection_id),
        entity_id: row.entity_id.clone(),
        command: command.name().into(),
        parameters: parameters(&command),
        outcome: "done".into(),
        error: None,
        state_after: None,
    };
    let refuse = async |mut entry: AuditEntry, error: HomeError| {
        entry.outcome = "refused".into();
        entry.error = Some(error.to_string());
        audit::insert(&homes.db, person, &entry).await?;
        Err(error)
    };
    if let Err(error) = command.check(&entity_id) {
        return refuse(entry, HomeError::invalid("action", error)).await;
    }
    let confirmed = match actor {
        Actor::Person => None,
        Actor::Agent { confirmed } => Some(*confirmed),
        Actor::Automation(_) => Some(false),
    };
    if let Some(confirmed) = confirmed {
        let policy = exposure::get(&homes.db, person).await?;
        if !exposed(&policy, row).1 {
            let error = HomeError::NotAllowed(format!(
                "the person has not let the companion control {} ({}); they can allow it on the Home page",
                row.name, row.entity_id
            ));
            return refuse(entry, error).await;
        }
        let info = EntityInfo::new(entity_id.clone(), row.device_class.as_deref())
            .asking_first(policy.asks_first(&entity_id));
        if let Some(reason) = requires_confirmation(&command, &info)
            && !confirmed
        {
            entry.outcome = "awaiting_confirmation".into();
            audit::insert(&homes.db, person, &entry).await?;
            return Ok(Outcome::NeedsConfirmation { reason, audit: entry });
        }
    }
    let command = command.resolve_toggle(&row.state);
    let before = homes.state(row.connection_id, &entity_id).map(|s| s.last_updated);
    match homes.command(row.connection_id, &entity_id, &command).await {
        Ok(mut state) => {
            let deadline = tokio::time::Instant::now() + SETTLE;
            while state.as_ref().map(|s| s.last_updated) == before
                && tokio::time::Instant::now() < deadline
            {
                tokio::time::sleep(Duration::from_millis(25)).await;
                state = homes.state(row.connection_id, &entity_id);
            }
            entry.state_after = state.as_ref().map(|s| s.state.clone());
            audit::insert(&homes.db, person, &entry).await?;
            Ok(Outcome::Done { state, audit: entry })
        }
        Err(error) => {
            entry.outcome = "failed".into();
            entry.error = Some(error.to_string());
            entry.state_after = homes.state(row.connection_id, &entity_id).map(|s| s.state);
            audit::insert(&homes.db, person, &entry).await?;
            Err(error)
        }
    }
}

/// The command's values for the audit log: never its code.
fn parameters(command: &Command) -> Value {
    let mut value = serde_json::to_value(command.without_code()).unwrap_or_default();
    if let Value::Object(map) = &mut value {
        map.remove("action");
    }
    value
}

#[cfg(test)]
mod tests {
    use posey_home::Secret;
    use posey_home::command::AlarmMode;

    use super::*;

    #[test]
    fn the_audit_log_never_holds_a_code() {
        let command = Command::AlarmArm { mode: AlarmMode::Away, code: Some(Secret::new("4711")) };
        let kept = parameters(&command).to_string();
        assert!(!kept.contains("4711"), "{kept}");
        assert!(kept.contains("away"), "{kept}");
    }
}
