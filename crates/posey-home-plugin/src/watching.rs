//! Watches fired: each change a link reports is shown to the person's watches on that entity;
//! one that fires writes a notice under a key made of the watch, the entity and the moment of
//! the change, then hands it to cron. The key makes a change fire a watch once however often
//! it is seen: on every replica for Home Assistant, whose changes carry HA's own time; an MQTT
//! connection's changes are shown by the one replica holding its mirror lease
//! (`crate::lease`), under its fence. A notice cron did not take is handed over again later.

use chrono_tz::Tz;
use posey_home::Change;
use posey_home::watch::{dedupe_key, fires};
use posey_plugin::{MAX_KEY_LEN, Notice};
use serde_json::json;
use sha2::{Digest, Sha256};

use std::sync::Arc;

use posey_plugin::{Notifier, ProfileSource};
use sqlx::PgPool;

use crate::db::connections::{Connection, Fence};
use crate::db::{notices, watches};

/// What firing watches needs: the database, people's zones and cron.
pub struct Watchers {
    pub db: PgPool,
    pub profiles: Arc<dyn ProfileSource>,
    pub notifier: Option<Arc<dyn Notifier>>,
}

impl Watchers {
    /// Shows `change` to the person's watches; failures are logged (the change is mirrored
    /// whatever becomes of its watches). Under `fence`, a notice is written only while the
    /// fence's holder holds the connection's mirror lease.
    pub async fn on_change(&self, connection: &Connection, change: &Change, fence: Option<Fence>) {
        on_change(self, connection, change, fence).await;
    }

    /// Hands over again the notices cron did not take.
    pub async fn redeliver(&self) {
        redeliver(self).await;
    }
}

async fn on_change(
    watchers: &Watchers,
    connection: &Connection,
    change: &Change,
    fence: Option<Fence>,
) {
    if let Err(error) = fire(watchers, connection, change, fence).await {
        tracing::warn!(error = format!("{error:#}"), entity = %change.entity_id, "a home watch failed");
    }
}

async fn fire(
    watchers: &Watchers,
    connection: &Connection,
    change: &Change,
    fence: Option<Fence>,
) -> anyhow::Result<()> {
    let person = connection.user_id;
    let watching = watches::on_entity(&watchers.db, person, change.entity_id.as_str()).await?;
    if watching.is_empty() {
        return Ok(());
    }
    let tz: Tz = watchers.profiles.profile(person).await?.time_zone.tz();
    for row in watching {
        if !fires(&row.watch, change, tz) {
            continue;
        }
        let Some(new) = &change.new else { continue };
        let name = new.friendly_name().unwrap_or(change.entity_id.object_id()).to_owned();
        let local = new.last_updated.with_timezone(&tz).format("%H:%M");
        let body = match change.old.as_ref().map(|old| old.state.as_str()) {
            Some(old) => format!("{name} changed from {old} to {} at {local}.", new.state),
            None => format!("{name} is {} ({local}).", new.state),
        };
        let notice = Notice {
            person,
            key: key(&dedupe_key(&row.watch, change)),
            title: row.name.clone(),
            body,
            data: json!({
                "kind": "home_watch",
                "watch_id": row.watch.id,
                "entity_id": change.entity_id,
                "state": new.state,
                "connection_id": connection.id,
            }),
        };
        if notices::insert(&watchers.db, row.watch.id, &notice, fence).await? {
            watches::fired(&watchers.db, row.watch.id, new.last_updated).await?;
            deliver(watchers, notice).await;
        }
    }
    Ok(())
}

/// The notice's key: `home-watch:` and the dedupe key, hashed when that would be too long.
fn key(dedupe: &str) -> String {
    let key = format!("home-watch:{dedupe}");
    if key.len() <= MAX_KEY_LEN {
        return key;
    }
    let digest = Sha256::digest(dedupe.as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("home-watch:{hex}")
}

/// Hands the notice to cron; marked delivered once cron has it.
async fn deliver(watchers: &Watchers, notice: Notice) {
    let Some(notifier) = &watchers.notifier else {
        tracing::warn!("a home watch fired, but this service has no cron to tell the person with");
        return;
    };
    let key = notice.key.clone();
    match notifier.notify(notice).await {
        Ok(()) => {
            if let Err(error) = notices::delivered(&watchers.db, &key).await {
                tracing::warn!(error = %error, "marking a home notice delivered failed");
            }
        }
        Err(error) => {
            tracing::warn!(
                error = format!("{error:#}"),
                "a home notice did not reach cron; it will be handed over again"
            );
        }
    }
}

async fn redeliver(watchers: &Watchers) {
    if watchers.notifier.is_none() {
        return;
    }
    match notices::undelivered(&watchers.db, 100).await {
        Ok(waiting) => {
            for notice in waiting {
                deliver(watchers, notice).await;
            }
        }
        Err(error) => tracing::warn!(error = %error, "reading undelivered home notices failed"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_never_longer_than_cron_takes() {
        assert_eq!(key("w:light.a:t"), "home-watch:w:light.a:t");
        let long = format!("w:sensor.{}:t", "x".repeat(300));
        let hashed = key(&long);
        assert!(hashed.len() <= MAX_KEY_LEN);
        assert_ne!(hashed, key(&format!("w:sensor.{}:u", "x".repeat(300))));
    }
}
