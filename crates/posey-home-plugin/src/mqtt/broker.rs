//! An MQTT broker in the process (rumqttd), for `posey up` when no `MQTT_URL` is set: devices
//! connect to Posey directly. MQTT 3.1.1 over plain TCP, open to any client or only to those
//! with the login given to [`start_with_login`] (better): either way, bind it to an address
//! only the home's network reaches.
//!
//! rumqttd's own `Broker::start` blocks forever, cannot be stopped, never says which port it
//! bound and starts a Prometheus exporter when configured; so this runs rumqttd's `Router`
//! and its v4 `Server` directly: the server in a thread of its own with its own runtime,
//! which [`Broker::stop`] (or drop) shuts down, closing the listener and every connection.
//! The router's thread cannot be stopped (it holds a sender to itself and waits on it): it
//! stays, idle, with the retained messages, until the process exits. No tracing subscriber,
//! metrics recorder or exporter is installed. The server thread's own logs (an `error` per
//! client that hangs up) are silenced; the router thread logs each connection and
//! subscription at `info` through the global subscriber, so add [`LOG_DIRECTIVE`] to the
//! service's filter.

use std::collections::HashMap;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use posey_home::Secret;
use rumqttd::protocol::v4::V4;
use rumqttd::{ConnectionSettings, LinkType, Router, RouterConfig, Server, ServerSettings};
use tokio::sync::oneshot;

/// The filter directive that keeps rumqttd's router quiet below warnings.
pub const LOG_DIRECTIVE: &str = "rumqttd=warn";

/// The largest message the broker takes: Zigbee2MQTT's `bridge/devices` grows with the
/// network.
const MAX_PAYLOAD: usize = 4 << 20;

/// A running embedded broker.
pub struct Broker {
    addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Broker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Broker").field("addr", &self.addr).finish()
    }
}

/// Starts a broker listening on `addr` that any client may use; port 0 picks a free port
/// ([`Broker::addr`] says which). Returns once it accepts connections.
pub async fn start(addr: SocketAddr) -> anyhow::Result<Broker> {
    start_broker(addr, None).await
}

/// [`start`], taking only clients that log in as `user` with `password` (rumqttd drops any
/// other connection without a CONNACK).
pub async fn start_with_login(
    addr: SocketAddr,
    user: &str,
    password: &Secret,
) -> anyhow::Result<Broker> {
    let login = HashMap::from([(user.to_owned(), password.expose().to_owned())]);
    start_broker(addr, Some(login)).await
}

async fn start_broker(
    addr: SocketAddr,
    login: Option<HashMap<String, String>>,
) -> anyhow::Result<Broker> {
    // rumqttd binds inside its server and never says the port: bind here first, to find a
    // free port for port 0 and to fail plainly on a port in use (what another process might
    // take in between is a bind error reported below).
    let addr = TcpListener::bind(addr)
        .and_then(|listener| listener.local_addr())
        .with_context(|| format!("listening for MQTT on {addr}"))?;
    let mut server = Server::new(server_settings(addr, login), router().spawn(), V4);
    let (stop, stopped) = oneshot::channel::<()>();
    let (failed_tx, mut failed) = oneshot::channel::<String>();
    let thread = std::thread::Builder::new()
        .name("mqtt-broker".into())
        .spawn(move || {
            // The server's logs are routine (a client hanging up is an `error`); bind errors
            // are reported through `failed`.
            let _quiet = tracing::subscriber::set_default(tracing::subscriber::NoSubscriber::new());
            let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(runtime) => runtime,
                Err(error) => {
                    let _ = failed_tx.send(format!("starting its runtime: {error}"));
                    return;
                }
            };
            runtime.block_on(async move {
                tokio::select! {
                    result = server.start(LinkType::Remote) => {
                        let why = match result {
                            Ok(()) => "the server stopped".to_owned(),
                            Err(error) => error.to_string(),
                        };
                        let _ = failed_tx.send(why);
                    }
                    _ = stopped => {}
                }
            });
            // Dropping the runtime ends every connection's task, closing its socket.
            drop(runtime);
        })
        .context("starting the MQTT broker's thread")?;
    let broker = Broker { addr, stop: Some(stop), thread: Some(thread) };
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Ok(why) = failed.try_recv() {
            bail!("the MQTT broker could not listen on {addr}: {why}");
        }
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            tracing::info!(%addr, "embedded MQTT broker listening");
            return Ok(broker);
        }
        if Instant::now() > deadline {
            bail!("the MQTT broker did not listen on {addr} within 10 s");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

impl Broker {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `mqtt://host:port` for a client on this host (the link): loopback when the broker
    /// listens on every address.
    pub fn url(&self) -> String {
        let mut addr = self.addr;
        if addr.ip().is_unspecified() {
            addr.set_ip(match addr {
                SocketAddr::V4(_) => Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => Ipv6Addr::LOCALHOST.into(),
            });
        }
        format!("mqtt://{addr}")
    }

    /// Stops listening and closes every client's connection; returns once they are closed.
    pub async fn stop(mut self) {
        self.signal_stop();
        if let Some(thread) = self.thread.take() {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }

    fn signal_stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.signal_stop();
    }
}

fn router() -> Router {
    Router::new(
        0,
        RouterConfig {
            max_connections: 10_010,
            max_outgoing_packet_count: 200,
            max_segment_size: MAX_PAYLOAD * 4,
            max_segment_count: 10,
            custom_segment: None,
            initialized_filters: None,
            shared_subscriptions_strategy: Default::default(),
        },
    )
}

/// rumqttd's settings. Never log them: their `Debug` shows the login's password.
fn server_settings(listen: SocketAddr, auth: Option<HashMap<String, String>>) -> ServerSettings {
    ServerSettings {
        name: "posey-mqtt".into(),
        listen,
        tls: None,
        next_connection_delay_ms: 1,
        connections: ConnectionSettings {
            connection_timeout_ms: 60_000,
            max_payload_size: MAX_PAYLOAD,
            max_inflight_count: 100,
            auth,
            external_auth: None,
            dynamic_filters: true,
        },
    }
}
