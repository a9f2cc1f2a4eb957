//! One WebSocket connection to Home Assistant: opened, authenticated, and read frame by frame
//! (a frame may hold several coalesced messages).

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use posey_home::Secret;
use posey_home::ha::{Auth, ClientMessage, HaCommand, IdCounter, Request, ServerMessage};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::{Endpoint, LinkError};

pub(crate) struct Socket {
    ws: WebSocketStream<MaybeTlsStream<TcpStream>>,
    ids: IdCounter,
    url: String,
    pub(crate) ha_version: Option<String>,
}

impl Socket {
    /// Connects and runs the auth phase: `auth_required` → `auth` → `auth_ok`. A refused token is
    /// [`LinkError::BadToken`]; everything within `timeout`.
    pub(crate) async fn open(
        endpoint: &Endpoint,
        token: &Secret,
        timeout: Duration,
    ) -> Result<Self, LinkError> {
        let url = endpoint.websocket_url().to_string();
        if url.starts_with("wss:") {
            // tungstenite builds its TLS config on rustls's process-wide provider, and more than
            // one is compiled in here (ring, aws-lc-rs): without one named it panics. aws-lc-rs,
            // as the MQTT link names it (through rumqttc's rustls); Err: one is named already.
            let _ = rumqttc::tokio_rustls::rustls::crypto::aws_lc_rs::default_provider()
                .install_default();
        }
        let timed_out = |what: &str| LinkError::Timeout {
            url: url.clone(),
            what: what.to_owned(),
            seconds: timeout.as_secs(),
        };
        let (ws, _) = tokio::time::timeout(timeout, tokio_tungstenite::connect_async(url.as_str()))
            .await
            .map_err(|_| timed_out("the connection"))?
            .map_err(|e| LinkError::Unreachable { url: url.clone(), reason: e.to_string() })?;
        let mut socket = Self { ws, ids: IdCounter::new(), url: url.clone(), ha_version: None };
        let auth = async {
            loop {
                for message in socket.read().await? {
                    match message {
                        ServerMessage::AuthRequired { .. } => {
                            let auth = ClientMessage::Auth(Auth::new(token.clone()));
                            socket.send(&auth).await?;
                        }
                        ServerMessage::AuthOk { ha_version } => {
                            socket.ha_version = ha_version;
                            return Ok(());
                        }
                        ServerMessage::AuthInvalid { message } => {
                            return Err(LinkError::BadToken {
                                url: socket.url.clone(),
                                message: message.unwrap_or_else(|| "no reason given".into()),
                            });
                        }
                        _ => {}
                    }
                }
            }
        };
        tokio::time::timeout(timeout, auth).await.map_err(|_| timed_out("the auth phase"))??;
        Ok(socket)
    }

    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// Sends `command` with the next id and returns that id.
    pub(crate) async fn request(&mut self, command: HaCommand) -> Result<u64, LinkError> {
        let request: Request = self.ids.request(command);
        let id = request.id;
        self.send(&ClientMessage::Request(request)).await?;
        Ok(id)
    }

    async fn send(&mut self, message: &ClientMessage) -> Result<(), LinkError> {
        let text = serde_json::to_string(message).map_err(|e| self.protocol(e.to_string()))?;
        self.ws.send(Message::text(text)).await.map_err(|e| self.lost(&e))
    }

    /// The messages of the next text frame; a closed socket is an error.
    pub(crate) async fn read(&mut self) -> Result<Vec<ServerMessage>, LinkError> {
        loop {
            let frame = match self.ws.next().await {
                Some(Ok(frame)) => frame,
                Some(Err(e)) => return Err(self.lost(&e)),
                None => return Err(self.closed("the socket ended")),
            };
            match frame {
                Message::Text(text) => {
                    return ServerMessage::parse_frame(text.as_str())
                        .map_err(|e| self.protocol(format!("an unreadable message: {e}")));
                }
                Message::Close(close) => {
                    let why = close.map_or_else(String::new, |c| c.reason.to_string());
                    return Err(self.closed(&format!("Home Assistant closed the socket {why}")));
                }
                // Pings are answered by tungstenite itself; binary frames are not HA's.
                _ => {}
            }
        }
    }

    /// Closes the socket politely (when stopping).
    pub(crate) async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(2), self.ws.close(None)).await;
    }

    fn protocol(&self, reason: String) -> LinkError {
        LinkError::Protocol { url: self.url.clone(), reason }
    }

    fn lost(&self, error: &tokio_tungstenite::tungstenite::Error) -> LinkError {
        self.closed(&error.to_string())
    }

    fn closed(&self, reason: &str) -> LinkError {
        LinkError::Unreachable { url: self.url.clone(), reason: reason.trim().to_owned() }
    }
}
