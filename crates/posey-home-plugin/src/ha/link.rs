//! The live link: connects, mirrors the home, follows `state_changed` events, calls services,
//! keeps the socket alive with pings, and after a gap reconnects with backoff and
//! resynchronises, reporting what changed while it was away.

use std::collections::HashMap;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use posey_home::ha::messages::{
    parse_areas, parse_config, parse_devices, parse_entity_entries, parse_states,
};
use posey_home::ha::{HaCommand, HaConfig, Mirror, ServerMessage, Snapshot, StateChanged};
use posey_home::{Area, Change, Command, EntityId, EntityState, Secret, ServiceCall};
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde_json::Value;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::socket::Socket;
use super::{Backoff, Endpoint, LinkError};

/// How to reach one Home Assistant and how patient to be with it.
#[derive(Debug, Clone)]
pub struct LinkConfig {
    pub endpoint: Endpoint,
    /// A long-lived access token; it never shows in `Debug` or logs.
    pub token: Secret,
    pub backoff: Backoff,
    /// How often to ping; a ping unanswered by the next one means the socket is dead.
    pub ping_interval: Duration,
    /// How long a connection, the auth phase, the snapshot or one request may take.
    pub request_timeout: Duration,
}

impl LinkConfig {
    /// The defaults: backoff from 1 s to 60 s, a ping every 30 s, 30 s per request.
    pub fn new(base_url: &str, token: Secret) -> Result<Self, LinkError> {
        Ok(Self {
            endpoint: Endpoint::parse(base_url)?,
            token,
            backoff: Backoff::default(),
            ping_interval: Duration::from_secs(30),
            request_timeout: Duration::from_secs(30),
        })
    }
}

/// Where the link stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkStatus {
    Connected {
        ha_version: Option<String>,
        /// How many times it has connected: 1, then one more after each gap.
        sessions: u64,
    },
    /// The socket is down; the next try is the `attempt`th (from 1).
    Reconnecting { attempt: u32, last_error: String },
    /// It will not connect again (stopped, or the token was refused).
    Stopped { reason: String },
}

/// How a service call reached Home Assistant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    WebSocket,
    /// The socket was down: `POST /api/services/<domain>/<service>`.
    Rest,
}

/// The changes the link reports: every `state_changed` event that changed the mirror, and after
/// a gap the differences between the mirror and the new snapshot.
pub type Changes = mpsc::UnboundedReceiver<Change>;

struct Shared {
    mirror: RwLock<Mirror>,
    config: RwLock<HaConfig>,
}

struct Op {
    command: HaCommand,
    reply: oneshot::Sender<Result<Value, LinkError>>,
}

/// A live link to one Home Assistant. Dropping it (or cancelling the token it was given) stops
/// it and closes the socket.
pub struct Link {
    shared: Arc<Shared>,
    ops: mpsc::Sender<Op>,
    status: watch::Receiver<LinkStatus>,
    rest: Rest,
    request_timeout: Duration,
    cancel: CancellationToken,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Link {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Link")
            .field("endpoint", &self.rest.endpoint)
            .field("status", &*self.status.borrow())
            .finish_non_exhaustive()
    }
}

impl Link {
    /// Connects, authenticates and reads the first snapshot (config, states, areas, devices,
    /// entity registry), then keeps the mirror live in a task of its own. The first connection
    /// must succeed: a refused token or an unreachable instance is the error, at once. Later
    /// gaps are retried with backoff; a token refused later stops the link. The mirror is full
    /// when this returns; [`Changes`] reports what changes from then on.
    pub async fn connect(
        config: LinkConfig,
        cancel: &CancellationToken,
    ) -> Result<(Self, Changes), LinkError> {
        let shared =
            Arc::new(Shared { mirror: RwLock::default(), config: RwLock::new(default_config()) });
        let (changes_tx, changes) = mpsc::unbounded_channel();
        let (ops_tx, ops_rx) = mpsc::channel(64);
        let cancel = cancel.child_token();
        let mut driver = Driver {
            endpoint: config.endpoint.clone(),
            token: config.token.clone(),
            backoff: config.backoff,
            ping_interval: config.ping_interval,
            request_timeout: config.request_timeout,
            shared: Arc::clone(&shared),
            changes: changes_tx,
            ops: ops_rx,
            cancel: cancel.clone(),
            rng: StdRng::from_entropy(),
        };
        let (socket, subscription) = driver.open_and_sync(false).await?;
        let (status_tx, status) = watch::channel(LinkStatus::Connected {
            ha_version: socket.ha_version.clone(),
            sessions: 1,
        });
        tracing::info!(url = socket.url(), ha_version = ?socket.ha_version, "linked to Home Assistant");
        let task = tokio::spawn(driver.run(socket, subscription, status_tx));
        let rest = Rest::new(config.endpoint, config.token, config.request_timeout)?;
        Ok((
            Self {
                shared,
                ops: ops_tx,
                status,
                rest,
                request_timeout: config.request_timeout,
                cancel,
                task: Some(task),
            },
            changes,
        ))
    }

    pub fn status(&self) -> LinkStatus {
        self.status.borrow().clone()
    }

    /// The status as it changes (to wait for a reconnection, say).
    pub fn watch_status(&self) -> watch::Receiver<LinkStatus> {
        self.status.clone()
    }

    /// Every entity's state, in id order.
    pub fn states(&self) -> Vec<EntityState> {
        self.read(|mirror| mirror.states().cloned().collect())
    }

    pub fn state(&self, entity_id: &EntityId) -> Option<EntityState> {
        self.read(|mirror| mirror.state(entity_id).cloned())
    }

    pub fn areas(&self) -> Vec<Area> {
        self.read(|mirror| mirror.areas().cloned().collect())
    }

    /// Reads the mirror in place (areas of entities, devices, registry entries).
    pub fn read<R>(&self, f: impl FnOnce(&Mirror) -> R) -> R {
        f(&self.shared.mirror.read().unwrap_or_else(PoisonError::into_inner))
    }

    /// The instance's configuration (`get_config`) as last read.
    pub fn ha_config(&self) -> HaConfig {
        self.shared.config.read().unwrap_or_else(PoisonError::into_inner).clone()
    }

    /// Carries out `command` on `entity_id`: checked, made the service call in the instance's
    /// temperature unit, sent over the socket and its `result` awaited; over REST when the
    /// socket is down. A call sent whose answer was lost is not sent again (it may have run).
    pub async fn call_service(
        &self,
        entity_id: &EntityId,
        command: &Command,
    ) -> Result<Delivery, LinkError> {
        let unit = self.ha_config().unit_system.temperature;
        let call = command.to_service_call(entity_id)?.in_unit(unit);
        let refused = |error| LinkError::ServiceRefused {
            service: format!("{}.{}", call.domain, call.service),
            entity_id: entity_id.to_string(),
            error,
        };
        match self.send(HaCommand::call_service(&call)).await {
            Ok(_) => Ok(Delivery::WebSocket),
            Err(LinkError::Ha(error)) => Err(refused(error)),
            Err(LinkError::NotConnected) => {
                tracing::info!(service = %format!("{}.{}", call.domain, call.service), entity_id = %entity_id, "socket down: calling the service over REST");
                self.rest.call_service(&call).await?;
                Ok(Delivery::Rest)
            }
            Err(other) => Err(other),
        }
    }

    /// Sends one command over the socket and awaits its result. [`LinkError::NotConnected`]
    /// when the socket is down (nothing was sent). Service calls go through
    /// [`Link::call_service`] only, which checks the command against its entity first.
    pub async fn request(&self, command: HaCommand) -> Result<Value, LinkError> {
        if matches!(command, HaCommand::CallService { .. }) {
            return Err(LinkError::UncheckedServiceCall);
        }
        self.send(command).await
    }

    async fn send(&self, command: HaCommand) -> Result<Value, LinkError> {
        match &*self.status.borrow() {
            LinkStatus::Connected { .. } => {}
            LinkStatus::Reconnecting { .. } => return Err(LinkError::NotConnected),
            LinkStatus::Stopped { reason } => {
                return Err(LinkError::Stopped { reason: reason.clone() });
            }
        }
        let (reply, answer) = oneshot::channel();
        self.ops.send(Op { command, reply }).await.map_err(|_| self.stopped())?;
        match tokio::time::timeout(self.request_timeout, answer).await {
            Ok(Ok(result)) => result,
            Ok(Err(_)) => Err(self.stopped()),
            Err(_) => Err(LinkError::Timeout {
                url: self.rest.endpoint.websocket_url().to_string(),
                what: "a request".into(),
                seconds: self.request_timeout.as_secs(),
            }),
        }
    }

    /// Stops the link, closes the socket and waits for its task to end.
    pub async fn stop(mut self) {
        self.cancel.cancel();
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }

    fn stopped(&self) -> LinkError {
        match &*self.status.borrow() {
            LinkStatus::Stopped { reason } => LinkError::Stopped { reason: reason.clone() },
            _ => LinkError::Stopped { reason: "its task ended".into() },
        }
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

fn default_config() -> HaConfig {
    HaConfig { version: None, time_zone: None, unit_system: Default::default() }
}

/// The link's task: owns the socket and the requests in flight.
struct Driver {
    endpoint: Endpoint,
    token: Secret,
    backoff: Backoff,
    ping_interval: Duration,
    request_timeout: Duration,
    shared: Arc<Shared>,
    changes: mpsc::UnboundedSender<Change>,
    ops: mpsc::Receiver<Op>,
    cancel: CancellationToken,
    rng: StdRng,
}

/// Why a session ended.
enum End {
    Stopped(String),
    Lost(LinkError),
}

impl Driver {
    async fn run(mut self, socket: Socket, subscription: u64, status: watch::Sender<LinkStatus>) {
        let mut socket = Some((socket, subscription));
        let mut sessions = 1u64;
        loop {
            let Some((live, subscription)) = socket.take() else { break };
            let error = match self.serve(live, subscription).await {
                End::Stopped(reason) => {
                    status.send_replace(LinkStatus::Stopped { reason });
                    return;
                }
                End::Lost(error) => error,
            };
            tracing::warn!(url = %self.endpoint, error = %error, "lost Home Assistant; reconnecting");
            let mut last_error = error.to_string();
            let mut attempt = 0u32;
            while socket.is_none() {
                attempt = attempt.saturating_add(1);
                status.send_replace(LinkStatus::Reconnecting {
                    attempt,
                    last_error: last_error.clone(),
                });
                let delay = self.backoff.delay(attempt - 1, &mut self.rng);
                if !self.wait(delay).await {
                    status.send_replace(LinkStatus::Stopped { reason: "stopped".into() });
                    return;
                }
                match self.open_and_sync(true).await {
                    Ok(live) => socket = Some(live),
                    Err(error @ LinkError::BadToken { .. }) => {
                        // A refused token stays refused: no retrying with it.
                        tracing::error!(url = %self.endpoint, "Home Assistant refused the access token; the link stops");
                        status.send_replace(LinkStatus::Stopped { reason: error.to_string() });
                        return;
                    }
                    Err(error) => {
                        tracing::debug!(url = %self.endpoint, attempt, error = %error, "reconnecting failed");
                        last_error = error.to_string();
                    }
                }
            }
            sessions += 1;
            let ha_version = socket.as_ref().and_then(|(s, _)| s.ha_version.clone());
            tracing::info!(url = %self.endpoint, attempt, "relinked to Home Assistant and resynchronised");
            status.send_replace(LinkStatus::Connected { ha_version, sessions });
        }
    }

    /// Sleeps for `delay` while answering requests with `NotConnected`; false when stopped.
    async fn wait(&mut self, delay: Duration) -> bool {
        let sleep = tokio::time::sleep(delay);
        tokio::pin!(sleep);
        loop {
            tokio::select! {
                () = self.cancel.cancelled() => return false,
                () = &mut sleep => return true,
                op = self.ops.recv() => match op {
                    Some(op) => { let _ = op.reply.send(Err(LinkError::NotConnected)); }
                    None => return false,
                },
            }
        }
    }

    /// Connects, subscribes to `state_changed` (first, so nothing is missed), reads the
    /// snapshot, puts it in the mirror, then applies the events that came meanwhile. When
    /// `report`, the differences from the mirror held before are sent as changes.
    async fn open_and_sync(&mut self, report: bool) -> Result<(Socket, u64), LinkError> {
        let timeout = self.request_timeout;
        let mut socket = tokio::select! {
            () = self.cancel.cancelled() => return Err(LinkError::Stopped { reason: "stopped".into() }),
            socket = Socket::open(&self.endpoint, &self.token, timeout) => socket?,
        };
        let url = socket.url().to_owned();
        let sync = async {
            let subscription = socket.request(HaCommand::subscribe_state_changed()).await?;
            let asked = [
                HaCommand::GetConfig,
                HaCommand::GetStates,
                HaCommand::AreaRegistryList,
                HaCommand::DeviceRegistryList,
                HaCommand::EntityRegistryList,
            ];
            let mut ids = Vec::with_capacity(asked.len());
            for command in asked {
                ids.push(socket.request(command).await?);
            }
            let mut results: HashMap<u64, Value> = HashMap::new();
            let mut subscribed = false;
            let mut early: Vec<StateChanged> = Vec::new();
            while !subscribed || results.len() < ids.len() {
                for message in socket.read().await? {
                    match message {
                        ServerMessage::Result(result) if result.id == subscription => {
                            result.into_result()?;
                            subscribed = true;
                        }
                        ServerMessage::Result(result) if ids.contains(&result.id) => {
                            let id = result.id;
                            results.insert(id, result.into_result()?);
                        }
                        ServerMessage::Event { id, event } if id == subscription => {
                            if let Some(Ok(changed)) = event.state_changed() {
                                early.push(changed);
                            }
                        }
                        _ => {}
                    }
                }
            }
            Ok::<_, LinkError>((subscription, ids, results, early))
        };
        let (subscription, ids, mut results, early) =
            tokio::time::timeout(timeout, sync).await.map_err(|_| LinkError::Timeout {
                url: url.clone(),
                what: "the snapshot".into(),
                seconds: timeout.as_secs(),
            })??;
        let mut take = |i: usize| results.remove(&ids[i]).unwrap_or(Value::Null);
        let unreadable = |what: &str, e: serde_json::Error| LinkError::Protocol {
            url: url.clone(),
            reason: format!("an unreadable {what}: {e}"),
        };
        let config = parse_config(take(0)).map_err(|e| unreadable("get_config", e))?;
        let snapshot = Snapshot {
            states: parse_states(take(1)).map_err(|e| unreadable("get_states", e))?,
            areas: parse_areas(take(2)).map_err(|e| unreadable("area registry", e))?,
            devices: parse_devices(take(3)).map_err(|e| unreadable("device registry", e))?,
            entities: parse_entity_entries(take(4))
                .map_err(|e| unreadable("entity registry", e))?,
        };
        *self.shared.config.write().unwrap_or_else(PoisonError::into_inner) = config;
        let changes = {
            let mut mirror = self.shared.mirror.write().unwrap_or_else(PoisonError::into_inner);
            let mut changes = mirror.apply_snapshot(snapshot);
            changes.extend(early.into_iter().filter_map(|event| mirror.apply_event(event)));
            changes
        };
        if report {
            tracing::info!(url = %url, changed = changes.len(), "resynchronised with Home Assistant");
            for change in changes {
                let _ = self.changes.send(change);
            }
        }
        Ok((socket, subscription))
    }

    /// Serves one connected socket until it is lost or the link stops.
    async fn serve(&mut self, mut socket: Socket, subscription: u64) -> End {
        let mut pending: HashMap<u64, oneshot::Sender<Result<Value, LinkError>>> = HashMap::new();
        let mut ping = tokio::time::interval(self.ping_interval);
        ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        ping.tick().await;
        let mut awaiting_pong: Option<u64> = None;
        let end = loop {
            tokio::select! {
                () = self.cancel.cancelled() => break End::Stopped("stopped".into()),
                messages = socket.read() => match messages {
                    Ok(messages) => {
                        for message in messages {
                            self.handle(message, subscription, &mut pending, &mut awaiting_pong);
                        }
                    }
                    Err(error) => break End::Lost(error),
                },
                op = self.ops.recv() => match op {
                    Some(Op { command, reply }) => match socket.request(command).await {
                        Ok(id) => { pending.insert(id, reply); }
                        Err(error) => {
                            let _ = reply.send(Err(LinkError::NotConnected));
                            break End::Lost(error);
                        }
                    },
                    None => break End::Stopped("every handle on the link was dropped".into()),
                },
                _ = ping.tick() => {
                    if awaiting_pong.is_some() {
                        break End::Lost(LinkError::Timeout {
                            url: socket.url().to_owned(),
                            what: "a ping".into(),
                            seconds: self.ping_interval.as_secs(),
                        });
                    }
                    pending.retain(|_, reply| !reply.is_closed());
                    match socket.request(HaCommand::Ping).await {
                        Ok(id) => awaiting_pong = Some(id),
                        Err(error) => break End::Lost(error),
                    }
                },
            }
        };
        for (_, reply) in pending.drain() {
            let _ = reply.send(Err(LinkError::LostBeforeAnswer));
        }
        if matches!(end, End::Stopped(_)) {
            socket.close().await;
        }
        end
    }

    fn handle(
        &self,
        message: ServerMessage,
        subscription: u64,
        pending: &mut HashMap<u64, oneshot::Sender<Result<Value, LinkError>>>,
        awaiting_pong: &mut Option<u64>,
    ) {
        match message {
            ServerMessage::Result(result) => {
                if let Some(reply) = pending.remove(&result.id) {
                    let _ = reply.send(result.into_result().map_err(LinkError::Ha));
                }
            }
            ServerMessage::Pong { id } if *awaiting_pong == Some(id) => *awaiting_pong = None,
            ServerMessage::Event { id, event } if id == subscription => {
                match event.state_changed() {
                    Some(Ok(changed)) => {
                        let change = self
                            .shared
                            .mirror
                            .write()
                            .unwrap_or_else(PoisonError::into_inner)
                            .apply_event(changed);
                        if let Some(change) = change {
                            let _ = self.changes.send(change);
                        }
                    }
                    Some(Err(error)) => {
                        tracing::warn!(error = %error, "an unreadable state_changed event, skipped");
                    }
                    None => {}
                }
            }
            _ => {}
        }
    }
}

/// Home Assistant's REST API, for service calls while the socket is down.
struct Rest {
    client: reqwest::Client,
    endpoint: Endpoint,
    token: Secret,
}

impl Rest {
    fn new(endpoint: Endpoint, token: Secret, timeout: Duration) -> Result<Self, LinkError> {
        let client = reqwest::Client::builder().timeout(timeout).build().map_err(|e| {
            LinkError::Unreachable { url: endpoint.to_string(), reason: e.to_string() }
        })?;
        Ok(Self { client, endpoint, token })
    }

    /// `POST /api/services/<domain>/<service>` with the data and the target's `entity_id`.
    async fn call_service(&self, call: &ServiceCall) -> Result<(), LinkError> {
        let what = format!("{}.{} on {}", call.domain, call.service, call.target);
        let url = self.endpoint.rest_url(&format!("api/services/{}/{}", call.domain, call.service));
        let mut body = call.data.clone();
        body.insert("entity_id".into(), Value::from(vec![call.target.to_string()]));
        let response = self
            .client
            .post(url.clone())
            .bearer_auth(self.token.expose())
            .json(&body)
            .send()
            .await
            .map_err(|e| LinkError::Unreachable {
                url: url.to_string(),
                reason: e.without_url().to_string(),
            })?;
        let status = response.status();
        if status.is_success() {
            return Ok(());
        }
        if status == reqwest::StatusCode::UNAUTHORIZED {
            return Err(LinkError::BadToken {
                url: self.endpoint.to_string(),
                message: "401 Unauthorized".into(),
            });
        }
        let mut body = response.text().await.unwrap_or_default();
        body.truncate(body.floor_char_boundary(300));
        Err(LinkError::Rest { what, status: status.as_u16(), body })
    }
}
