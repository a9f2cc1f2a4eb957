//! Every connection's live link, kept up while the service runs: made when a person connects
//! (the first connection must succeed, so a wrong token is refused at once), started for every
//! stored connection when the service starts, and on every replica for connections made on
//! another (the table is read every `poll`). Each link's events are mirrored into
//! `home.entities` and `home.history`, and each change is shown to the person's watches.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::Utc;
use posey_home::mqtt::MqttError;
use posey_home::{Change, Command, EntityId, EntityState, Secret, entity::slugify};
use posey_plugin::{CancellationToken, Host};
use serde_json::Value;
use sqlx::PgPool;
use tokio::sync::{Notify, broadcast};
use uuid::Uuid;

use crate::db::connections::{self, Connection, Fence, Kind};
use crate::db::entities::{self, EntityRow};
use crate::db::history;
use crate::error::HomeError;
use crate::lease::MirrorLease;
use crate::settings::HomeSettings;
use crate::watching::Watchers;
use crate::{ha, mqtt};

/// How long making a connection may take before it is refused as unreachable.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A connection's link, as running.
pub(crate) enum Live {
    Mqtt(mqtt::Link),
    Ha(ha::Link),
}

pub(crate) struct Running {
    pub connection: Connection,
    pub live: Live,
    /// An MQTT connection's: whether this replica is the one that mirrors it.
    lease: Option<Arc<MirrorLease>>,
    stop: CancellationToken,
}

impl Drop for Running {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// What a person asks to connect.
#[derive(Debug, Clone)]
pub struct NewConnection {
    pub kind: Kind,
    pub name: String,
    pub url: Option<String>,
    /// Home Assistant's access token, or the broker's password.
    pub secret: Option<Secret>,
    pub discovery_prefix: Option<String>,
    pub zigbee2mqtt_base: Option<String>,
}

/// The live links of every connection.
pub struct Homes {
    pub(crate) db: PgPool,
    pub(crate) settings: HomeSettings,
    /// Shows each change to the person's watches.
    watchers: Watchers,
    links: Mutex<HashMap<Uuid, Arc<Running>>>,
    /// Wakes the loop when a connection was made or removed here.
    changed: Notify,
    /// Cancelled at shutdown: every link's token is a child.
    stop: CancellationToken,
    /// This replica, as the holder of MQTT connections' mirror leases.
    replica: Uuid,
}

impl Homes {
    pub fn new(host: &Host, settings: HomeSettings) -> Self {
        Self {
            db: host.db.clone(),
            settings,
            watchers: Watchers {
                db: host.db.clone(),
                profiles: host.profiles.clone(),
                notifier: host.notifier.clone(),
            },
            links: Mutex::default(),
            changed: Notify::new(),
            stop: CancellationToken::new(),
            replica: Uuid::new_v4(),
        }
    }

    fn links(&self) -> std::sync::MutexGuard<'_, HashMap<Uuid, Arc<Running>>> {
        self.links.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The running link of a connection.
    pub(crate) fn running(&self, connection: Uuid) -> Option<Arc<Running>> {
        self.links().get(&connection).cloned()
    }

    /// An entity's state as its connection's link holds it now.
    pub(crate) fn state(&self, connection: Uuid, entity_id: &EntityId) -> Option<EntityState> {
        self.running(connection).and_then(|running| match &running.live {
            Live::Mqtt(link) => link.state(entity_id),
            Live::Ha(link) => link.state(entity_id),
        })
    }

    /// Keeps every stored connection's link up until `stop`; also forgets history past its
    /// retention and hands over watch notices that failed to reach cron.
    pub async fn run(self: Arc<Self>, stop: CancellationToken) {
        let mut last_cleanup = None::<std::time::Instant>;
        loop {
            if let Err(error) = self.start_stored().await {
                tracing::warn!(error = format!("{error:#}"), "reading the home connections failed");
            }
            if last_cleanup.is_none_or(|at| at.elapsed() > Duration::from_secs(3600)) {
                last_cleanup = Some(std::time::Instant::now());
                self.forget_old_history().await;
            }
            self.watchers.redeliver().await;
            tokio::select! {
                () = stop.cancelled() => break,
                () = self.changed.notified() => {}
                () = tokio::time::sleep(self.settings.poll) => {}
            }
        }
        self.stop.cancel();
        self.links().clear();
        // Another replica takes the MQTT connections over on its next try, not after a lease.
        if let Err(error) = connections::release_mirror(&self.db, None, self.replica).await {
            tracing::warn!(%error, "releasing the home mirror leases failed");
        }
    }

    /// Starts links for stored connections that have none here (made on another replica, or
    /// whose first try failed), and stops those whose connection is gone.
    async fn start_stored(self: &Arc<Self>) -> anyhow::Result<()> {
        let stored = connections::all(&self.db).await?;
        let ids: std::collections::HashSet<Uuid> = stored.iter().map(|c| c.id).collect();
        self.links().retain(|id, _| ids.contains(id));
        for connection in stored {
            if self.running(connection.id).is_some() || connection.status == "stopped" {
                continue;
            }
            let id = connection.id;
            if let Err(error) = self.start(connection).await {
                let message = error.to_string();
                tracing::info!(connection = %id, error = message, "a home connection is down");
                connections::set_status(&self.db, id, "disconnected", Some(&message)).await?;
            }
        }
        Ok(())
    }

    async fn forget_old_history(&self) {
        let before = Utc::now() - chrono::Duration::days(i64::from(self.settings.history_days));
        loop {
            match history::forget_before(&self.db, before).await {
                Ok(n) if n > 0 => continue,
                Ok(_) => break,
                Err(error) => {
                    tracing::warn!(error = %error, "forgetting old home history failed");
                    break;
                }
            }
        }
    }

    /// Connects as the person asks: the link must come up (a refused token or an unreachable
    /// address is the error, naming the field), then the connection is stored and mirrored.
    pub async fn connect(
        self: &Arc<Self>,
        person: Uuid,
        new: NewConnection,
    ) -> Result<Connection, HomeError> {
        let name = new.name.trim().to_owned();
        if name.is_empty() || name.chars().count() > 200 {
            return Err(HomeError::invalid("name", "must be 1 to 200 characters"));
        }
        let id = Uuid::now_v7();
        // A broker's password given in its URL is kept sealed like one given as `token`; the
        // URL is stored without it.
        let secret = match (&new.secret, new.kind, new.url.as_deref()) {
            (Some(secret), ..) if !secret.is_empty() => Some(secret.clone()),
            (_, Kind::Mqtt, Some(url)) => mqtt::BrokerUrl::parse(url)
                .ok()
                .and_then(|url| url.credentials().map(|(_, password)| password.clone()))
                .filter(|password| !password.is_empty()),
            _ => None,
        };
        let sealed = match &secret {
            Some(secret) if !secret.is_empty() => {
                let key = self.settings.seal_key.as_ref().ok_or_else(|| {
                    HomeError::invalid(
                        "token",
                        "this Posey cannot keep secrets: the operator has not set HOME_SEAL_KEY",
                    )
                })?;
                Some(key.seal(id, secret)?)
            }
            _ => None,
        };
        let url = match (new.kind, new.url.as_deref().map(str::trim)) {
            (Kind::HomeAssistant, Some(url)) if !url.is_empty() => {
                if sealed.is_none() {
                    return Err(HomeError::invalid(
                        "token",
                        "Home Assistant needs a long-lived access token (its profile page makes one)",
                    ));
                }
                ha::Endpoint::parse(url).map_err(|e| HomeError::invalid("url", e))?;
                Some(url.trim_end_matches('/').to_owned())
            }
            (Kind::HomeAssistant, _) => {
                return Err(HomeError::invalid("url", "Home Assistant's address is needed"));
            }
            (Kind::Mqtt, Some(url)) if !url.is_empty() => {
                mqtt::BrokerUrl::parse(url).map_err(|e| HomeError::invalid("url", e))?;
                Some(without_password(url))
            }
            (Kind::Mqtt, _) => {
                if self.settings.broker.is_none() {
                    return Err(HomeError::invalid(
                        "url",
                        "this Posey has no MQTT broker of its own (MQTT_URL): give the broker's address",
                    ));
                }
                None
            }
        };
        let prefix = new.discovery_prefix.map(|p| p.trim().trim_matches('/').to_owned());
        let discovery_prefix = match prefix {
            Some(p) if p.is_empty() || p.contains(['+', '#']) => {
                return Err(HomeError::invalid(
                    "discovery_prefix",
                    "must be a topic without wildcards",
                ));
            }
            Some(p) => p,
            None => "homeassistant".to_owned(),
        };
        let zigbee2mqtt_base = new
            .zigbee2mqtt_base
            .map(|b| b.trim().trim_matches('/').to_owned())
            .filter(|b| !b.is_empty());
        if zigbee2mqtt_base.as_ref().is_some_and(|b| b.contains(['+', '#'])) {
            return Err(HomeError::invalid(
                "zigbee2mqtt_base",
                "must be a topic without wildcards",
            ));
        }
        let now = Utc::now();
        let connection = Connection {
            id,
            user_id: person,
            kind: new.kind,
            name,
            url,
            secret_sealed: sealed,
            discovery_prefix,
            zigbee2mqtt_base,
            status: "connected".into(),
            last_error: None,
            created_at: now,
            updated_at: now,
        };
        // Refused here before anything is stored; the name is checked first, so a taken one
        // is a 409 and no link is made for nothing.
        if connections::of_person(&self.db, person)
            .await
            .map_err(HomeError::from)?
            .iter()
            .any(|c| c.name.to_lowercase() == connection.name.to_lowercase())
        {
            return Err(HomeError::Conflict("a connection with this name exists".into()));
        }
        let running = self.open(&connection).await.map_err(|error| match error {
            // A refused token names the token; anything else, the address.
            OpenError::Refused(message) => HomeError::invalid(
                if message.contains("access token") { "token" } else { "url" },
                message,
            ),
            OpenError::Other(error) => HomeError::Internal(error),
        })?;
        connections::insert(&self.db, &connection).await?;
        self.adopt(running);
        self.changed.notify_one();
        Ok(connection)
    }

    /// Removes a connection with what it mirrored; its link stops.
    pub async fn disconnect(&self, person: Uuid, id: Uuid) -> Result<bool, HomeError> {
        let gone = connections::delete(&self.db, person, id).await?;
        if gone {
            self.links().remove(&id);
            self.changed.notify_one();
        }
        Ok(gone)
    }

    /// Starts a stored connection's link.
    async fn start(self: &Arc<Self>, connection: Connection) -> anyhow::Result<()> {
        let id = connection.id;
        match self.open(&connection).await {
            Ok(running) => {
                self.adopt(running);
                connections::set_status(&self.db, id, "connected", None).await?;
                Ok(())
            }
            Err(OpenError::Refused(message)) => Err(anyhow::anyhow!(message)),
            Err(OpenError::Other(error)) => Err(error),
        }
    }

    /// Opens the link; its events are not read yet ([`Homes::adopt`] does).
    async fn open(&self, connection: &Connection) -> Result<Opened, OpenError> {
        let secret = match &connection.secret_sealed {
            Some(sealed) => {
                let key = self.settings.seal_key.as_ref().ok_or_else(|| {
                    OpenError::Refused("HOME_SEAL_KEY is not set: the token cannot be read".into())
                })?;
                Some(key.open(connection.id, sealed).map_err(OpenError::Other)?)
            }
            None => None,
        };
        let stop = self.stop.child_token();
        match connection.kind {
            Kind::HomeAssistant => {
                let url = connection.url.as_deref().unwrap_or_default();
                let config = ha::LinkConfig::new(url, secret.unwrap_or_else(|| Secret::new("")))
                    .map_err(|e| OpenError::Refused(e.to_string()))?;
                let opened =
                    tokio::time::timeout(CONNECT_TIMEOUT, ha::Link::connect(config, &stop)).await;
                let (link, changes) = match opened {
                    Ok(Ok(opened)) => opened,
                    Ok(Err(error)) => return Err(OpenError::Refused(error.to_string())),
                    Err(_) => {
                        return Err(OpenError::Refused(format!(
                            "Home Assistant at {url} did not answer within {} s",
                            CONNECT_TIMEOUT.as_secs()
                        )));
                    }
                };
                Ok(Opened {
                    running: Running {
                        connection: connection.clone(),
                        live: Live::Ha(link),
                        lease: None,
                        stop,
                    },
                    events: Events::Ha(changes),
                })
            }
            Kind::Mqtt => {
                let url = match &connection.url {
                    Some(url) => mqtt::BrokerUrl::parse(url)
                        .map_err(|e| OpenError::Refused(e.to_string()))?,
                    None => self.settings.broker.clone().ok_or_else(|| {
                        OpenError::Refused("this Posey has no MQTT broker (MQTT_URL)".into())
                    })?,
                };
                let url = match (secret, url.user().map(str::to_owned)) {
                    (Some(password), Some(user)) => url.with_login(user, password),
                    (Some(password), None) => url.with_login("posey", password),
                    (None, _) => url,
                };
                let mut config = mqtt::LinkConfig::new(url);
                config.discovery_prefix = connection.discovery_prefix.clone();
                config.zigbee2mqtt_base = connection.zigbee2mqtt_base.clone();
                let (link, mut events) = mqtt::Link::spawn(config, &stop);
                // The broker must answer before the connection counts as made.
                let first = tokio::time::timeout(CONNECT_TIMEOUT, async {
                    loop {
                        match events.recv().await {
                            Ok(mqtt::LinkEvent::Connected) => return true,
                            Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                            Err(broadcast::error::RecvError::Closed) => return false,
                        }
                    }
                })
                .await;
                if first != Ok(true) {
                    stop.cancel();
                    return Err(OpenError::Refused(format!(
                        "could not connect to the MQTT broker at {} within {} s",
                        connection.url.as_deref().unwrap_or("MQTT_URL"),
                        CONNECT_TIMEOUT.as_secs()
                    )));
                }
                Ok(Opened {
                    running: Running {
                        connection: connection.clone(),
                        live: Live::Mqtt(link),
                        lease: Some(Arc::new(MirrorLease::new(
                            self.db.clone(),
                            connection.id,
                            self.replica,
                        ))),
                        stop,
                    },
                    events: Events::Mqtt(events),
                })
            }
        }
    }

    /// Keeps the link and mirrors what it reports until it stops.
    fn adopt(self: &Arc<Self>, opened: Opened) {
        let running = Arc::new(opened.running);
        let id = running.connection.id;
        self.links().insert(id, running.clone());
        let homes = self.clone();
        let stop = running.stop.clone();
        let weak = Arc::downgrade(&running);
        if let Some(lease) = running.lease.clone() {
            let stop = stop.clone();
            tokio::spawn(async move { lease.keep(stop).await });
        }
        drop(running);
        tokio::spawn(async move {
            let feed = async {
                match opened.events {
                    Events::Ha(changes) => homes.follow_ha(weak, changes).await,
                    Events::Mqtt(events) => homes.follow_mqtt(weak, events).await,
                }
            };
            tokio::select! {
                () = stop.cancelled() => {}
                result = feed => if let Err(error) = result {
                    tracing::warn!(connection = %id, error = format!("{error:#}"), "mirroring a home connection failed");
                    // Started again by the next round.
                    homes.links().remove(&id);
                },
            }
        });
    }

    async fn follow_ha(
        &self,
        running: std::sync::Weak<Running>,
        mut changes: ha::Changes,
    ) -> anyhow::Result<()> {
        let Some(now) = running.upgrade() else { return Ok(()) };
        let Live::Ha(link) = &now.live else { return Ok(()) };
        let connection = now.connection.clone();
        let mut status = link.watch_status();
        // The whole mirror first: what the link saw on connecting.
        let rows: Vec<EntityRow> =
            link.states().iter().map(|state| ha_row(&connection, link, state)).collect();
        let keep: Vec<String> = rows.iter().map(|r| r.entity_id.clone()).collect();
        for row in &rows {
            self.mirror(row, None).await?;
        }
        entities::retain(&self.db, connection.id, &keep).await?;
        drop(now);
        loop {
            tokio::select! {
                change = changes.recv() => {
                    let Some(change) = change else { return Ok(()) };
                    let Some(now) = running.upgrade() else { return Ok(()) };
                    let Live::Ha(link) = &now.live else { return Ok(()) };
                    match &change.new {
                        Some(state) => {
                            let row = ha_row(&connection, link, state);
                            drop(now);
                            self.mirror(&row, None).await?;
                        }
                        None => {
                            drop(now);
                            entities::delete(&self.db, connection.id, change.entity_id.as_str()).await?;
                        }
                    }
                    self.watchers.on_change(&connection, &change, None).await;
                }
                moved = status.changed() => {
                    if moved.is_err() { return Ok(()) }
                    let (text, error) = match &*status.borrow_and_update() {
                        ha::LinkStatus::Connected { .. } => ("connected", None),
                        ha::LinkStatus::Reconnecting { last_error, .. } => ("disconnected", Some(last_error.clone())),
                        ha::LinkStatus::Stopped { reason } => ("stopped", Some(reason.clone())),
                    };
                    connections::set_status(&self.db, connection.id, text, error.as_deref()).await?;
                }
            }
        }
    }

    /// Mirrors an MQTT connection's events while this replica holds its lease (see
    /// [`crate::lease`]); the states a command given here made an optimistic entity assume, which
    /// only this replica knows, whether or not.
    async fn follow_mqtt(
        &self,
        running: std::sync::Weak<Running>,
        mut events: broadcast::Receiver<mqtt::LinkEvent>,
    ) -> anyhow::Result<()> {
        let Some(now) = running.upgrade() else { return Ok(()) };
        let connection = now.connection.clone();
        let Some(lease) = now.lease.clone() else { return Ok(()) };
        drop(now);
        let fence = Some(lease.fence());
        let mut gained = lease.gained();
        // What came before this receiver: the link is connected, retained configs may be in.
        // Only mirrored: what changed while no replica mirrored is not known from one that has
        // only now connected.
        lease.renew().await;
        gained.borrow_and_update();
        if lease.holds() {
            self.take_over(&running, &connection, false).await?;
        }
        loop {
            let event = tokio::select! {
                event = events.recv() => event,
                gain = gained.changed() => {
                    if gain.is_err() { return Ok(()) }
                    gained.borrow_and_update();
                    // This replica followed the broker meanwhile: what moved while nobody
                    // mirrored is a change.
                    self.take_over(&running, &connection, true).await?;
                    continue;
                }
            };
            let event = match event {
                Ok(event) => event,
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    if lease.holds() {
                        self.take_over(&running, &connection, false).await?;
                    }
                    continue;
                }
                Err(broadcast::error::RecvError::Closed) => return Ok(()),
            };
            match event {
                // Only this replica knows it, whether or not it mirrors the rest.
                mqtt::LinkEvent::Assumed(change) => {
                    self.mirror_change(&running, &connection, &change, None).await?;
                }
                _ if !lease.holds() => {}
                mqtt::LinkEvent::Discovered { entity, state } => {
                    self.mirror(&mqtt_row(&connection, &entity, &state), fence).await?;
                }
                mqtt::LinkEvent::Changed(change) => {
                    self.mirror_change(&running, &connection, &change, fence).await?;
                }
                mqtt::LinkEvent::Removed(entity_id) => {
                    entities::delete(&self.db, connection.id, entity_id.as_str()).await?;
                }
                mqtt::LinkEvent::Connected => {
                    connections::set_status(&self.db, connection.id, "connected", None).await?;
                }
                mqtt::LinkEvent::Disconnected => {
                    connections::set_status(
                        &self.db,
                        connection.id,
                        "disconnected",
                        Some("the connection to the broker was lost; retrying"),
                    )
                    .await?;
                }
            }
        }
    }

    /// Mirrors one change of an MQTT entity and shows it to the person's watches.
    async fn mirror_change(
        &self,
        running: &std::sync::Weak<Running>,
        connection: &Connection,
        change: &Change,
        fence: Option<Fence>,
    ) -> anyhow::Result<()> {
        let Some(now) = running.upgrade() else { return Ok(()) };
        let Live::Mqtt(link) = &now.live else { return Ok(()) };
        let entity = link.entity(&change.entity_id);
        drop(now);
        match (&change.new, entity) {
            (Some(state), Some(entity)) => {
                self.mirror(&mqtt_row(connection, &entity, state), fence).await?;
            }
            _ => entities::delete(&self.db, connection.id, change.entity_id.as_str()).await?,
        }
        self.watchers.on_change(connection, change, fence).await;
        Ok(())
    }

    /// Mirrors every MQTT entity as this replica's link holds it, having just taken the lease
    /// (or missed events): a state unlike the one mirrored is recorded, and when `changes`
    /// shown to the watches as a change from the mirrored one.
    async fn take_over(
        &self,
        running: &std::sync::Weak<Running>,
        connection: &Connection,
        changes: bool,
    ) -> anyhow::Result<()> {
        let Some(now) = running.upgrade() else { return Ok(()) };
        let (Live::Mqtt(link), Some(lease)) = (&now.live, now.lease.clone()) else { return Ok(()) };
        let live: Vec<(EntityRow, EntityState)> = link
            .entities()
            .iter()
            .filter_map(|entity| {
                link.state(&entity.entity_id)
                    .map(|state| (mqtt_row(connection, entity, &state), state))
            })
            .collect();
        drop(now);
        let fence = Some(lease.fence());
        let mirrored: HashMap<String, EntityRow> = entities::of_connection(&self.db, connection.id)
            .await?
            .into_iter()
            .map(|row| (row.entity_id.clone(), row))
            .collect();
        for (mut row, state) in live {
            let old = mirrored.get(&row.entity_id);
            if old.is_some_and(|old| old.state == row.state && old.attributes == row.attributes) {
                // The same state: only what is known of the entity may be new.
                entities::upsert(&self.db, &row).await?;
                continue;
            }
            // Newer than what the last holder wrote, whatever its clock said.
            if let Some(old) = old {
                row.last_updated =
                    row.last_updated.max(old.last_updated + chrono::Duration::microseconds(1));
            }
            self.mirror(&row, fence).await?;
            if changes && let Some(old) = old {
                let change = Change {
                    entity_id: state.entity_id.clone(),
                    old: Some(old.as_state(state.entity_id.clone())),
                    new: Some(state),
                };
                self.watchers.on_change(connection, &change, fence).await;
            }
        }
        if let Some(now) = running.upgrade()
            && let Live::Mqtt(link) = &now.live
        {
            let connected = link.is_connected();
            drop(now);
            let (status, error) = if connected {
                ("connected", None)
            } else {
                ("disconnected", Some("the connection to the broker was lost; retrying"))
            };
            connections::set_status(&self.db, connection.id, status, error).await?;
        }
        Ok(())
    }

    async fn mirror(&self, row: &EntityRow, fence: Option<Fence>) -> anyhow::Result<()> {
        entities::upsert(&self.db, row).await?;
        history::record(&self.db, row, fence).await?;
        Ok(())
    }

    /// Carries out a checked command on a connection's entity; the state the link holds after.
    pub(crate) async fn command(
        &self,
        connection: Uuid,
        entity_id: &EntityId,
        command: &Command,
    ) -> Result<Option<EntityState>, HomeError> {
        let running = self.running(connection).ok_or_else(|| {
            HomeError::Unavailable("the connection to this home is down; try again soon".into())
        })?;
        match &running.live {
            Live::Mqtt(link) => {
                link.command(entity_id, command).await.map_err(|error| match error {
                    mqtt::LinkError::NotConnected | mqtt::LinkError::Stopped => {
                        HomeError::Unavailable(error.to_string())
                    }
                    // Mirrored (the route found it) but not yet heard of on this replica's
                    // link, which has just connected: the broker's retained announcements are
                    // still arriving.
                    mqtt::LinkError::UnknownEntity(_) => HomeError::Unavailable(format!(
                        "{entity_id} is not yet announced on this connection; try again in a \
                         moment"
                    )),
                    // Announced, but its retained availability has not arrived yet.
                    mqtt::LinkError::Unheard(_) => HomeError::Unavailable(format!(
                        "{entity_id} has not yet said on this connection whether it is \
                         available; try again in a moment"
                    )),
                    mqtt::LinkError::Rejected(
                        error @ (MqttError::Unsupported { .. }
                        | MqttError::CodeRequired
                        | MqttError::WrongCode),
                    ) => HomeError::invalid("action", error),
                    other => HomeError::Conflict(other.to_string()),
                })?;
                Ok(link.state(entity_id))
            }
            Live::Ha(link) => {
                link.call_service(entity_id, command).await.map_err(|error| match error {
                    ha::LinkError::Command(error) => HomeError::invalid("action", error),
                    ha::LinkError::NotConnected
                    | ha::LinkError::Stopped { .. }
                    | ha::LinkError::Unreachable { .. }
                    | ha::LinkError::Timeout { .. } => HomeError::Unavailable(error.to_string()),
                    other => HomeError::Conflict(other.to_string()),
                })?;
                Ok(link.state(entity_id))
            }
        }
    }
}

struct Opened {
    running: Running,
    events: Events,
}

enum Events {
    Ha(ha::Changes),
    Mqtt(broadcast::Receiver<mqtt::LinkEvent>),
}

enum OpenError {
    /// What the person can act on (a refused token, an unreachable address).
    Refused(String),
    Other(anyhow::Error),
}

/// The URL as stored and shown: without a password.
fn without_password(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            let _ = parsed.set_password(None);
            parsed.to_string().trim_end_matches('/').to_owned()
        }
        Err(_) => url.to_owned(),
    }
}

fn ha_row(connection: &Connection, link: &ha::Link, state: &EntityState) -> EntityRow {
    let id = &state.entity_id;
    let (area_id, area, device, device_class, entry_name) = link.read(|mirror| {
        let entry = mirror.entry(id);
        (
            mirror.area_id_of(id).map(str::to_owned),
            mirror.area_of(id).map(|a| a.name.clone()),
            entry
                .and_then(|e| e.device_id.as_deref())
                .and_then(|d| mirror.device(d))
                .and_then(|d| d.name.clone()),
            mirror.device_class(id).map(str::to_owned),
            entry.and_then(|e| e.name.clone()),
        )
    });
    let name = state
        .friendly_name()
        .map(str::to_owned)
        .or(entry_name)
        .unwrap_or_else(|| id.object_id().replace('_', " "));
    row(connection, state, name, area_id, area, device, device_class)
}

fn mqtt_row(
    connection: &Connection,
    entity: &mqtt::DiscoveredEntity,
    state: &EntityState,
) -> EntityRow {
    let area = entity.suggested_area.clone();
    row(
        connection,
        state,
        entity.name.clone(),
        area.as_deref().map(slugify),
        area,
        entity.device_name.clone(),
        entity.device_class.clone(),
    )
}

fn row(
    connection: &Connection,
    state: &EntityState,
    name: String,
    area_id: Option<String>,
    area: Option<String>,
    device: Option<String>,
    device_class: Option<String>,
) -> EntityRow {
    EntityRow {
        connection_id: connection.id,
        user_id: connection.user_id,
        entity_id: state.entity_id.to_string(),
        domain: state.entity_id.domain().to_string(),
        name,
        area_id,
        area,
        device,
        device_class,
        state: state.state.clone(),
        attributes: Value::Object(state.attributes.clone()),
        last_changed: state.last_changed,
        last_updated: state.last_updated,
    }
}
