//! Subscriptions over WebSocket at `/v1/graphql`: `graphql-transport-ws` and the legacy
//! `graphql-ws`. The token (or admin secret) comes in `connection_init` (or on the upgrade
//! request); the connection is closed with 4403 when the token expires, or is refused at
//! connection_init.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

use async_graphql::futures_util::stream::BoxStream;
use async_graphql::http::ALL_WEBSOCKET_PROTOCOLS;
use async_graphql::{Data, Executor, Request, Response};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::State;
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response as HttpResponse};
use futures::{SinkExt, StreamExt};

use crate::errors::GatewayError;
use crate::gateway::Gateway;
use crate::guard;
use crate::session::{Credentials, Session};
use crate::state::AppState;

/// Refused upgrades (a plain GET, no known subprotocol) answer in the gateway's error shape.
pub async fn upgrade(
    State(state): State<AppState>,
    protocol: Result<GraphQLProtocol, StatusCode>,
    headers: HeaderMap,
    upgrade: Result<WebSocketUpgrade, WebSocketUpgradeRejection>,
) -> HttpResponse {
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => {
            return GatewayError::new(
                "bad-request",
                format!(
                    "GET /v1/graphql is for WebSocket subscriptions ({}); queries are POSTed",
                    rejection.body_text()
                ),
            )
            .into_response();
        }
    };
    let Ok(protocol) = protocol else {
        return GatewayError::new(
            "bad-request",
            "the WebSocket subprotocol must be graphql-transport-ws or graphql-ws",
        )
        .into_response();
    };
    let header_credentials = Credentials::from_headers(&headers);
    // A message is bounded like a POSTed body.
    let max = state.config.limits.max_body_bytes;
    upgrade
        .max_message_size(max)
        .max_frame_size(max)
        .protocols(ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| serve(state, socket, protocol, header_credentials))
}

/// Runs operations in the schema of the session `connection_init` established.
#[derive(Clone)]
struct SessionExecutor {
    gateway: Arc<Gateway>,
    session: Arc<OnceLock<Session>>,
}

impl SessionExecutor {
    /// The session's schema and the request, parsed once its size and nesting were checked (the
    /// same limits as over HTTP, before anything recurses over it).
    fn prepare(
        &self,
        mut request: Request,
    ) -> Result<(async_graphql::dynamic::Schema, Request), GatewayError> {
        let session =
            self.session.get().cloned().ok_or_else(|| {
                GatewayError::access_denied("connection_init has not authenticated")
            })?;
        let schema = self.gateway.schema_for(&session)?;
        if let Some(document) =
            guard::parse_bounded(&request.query, &request.variables, &self.gateway.limits)?
        {
            request.set_parsed_query(document);
        }
        Ok((schema, request.data(session)))
    }
}

fn error_response(error: GatewayError) -> Response {
    Response::from_errors(vec![error.into_graphql().into_server_error(Default::default())])
}

impl Executor for SessionExecutor {
    async fn execute(&self, request: Request) -> Response {
        match self.prepare(request) {
            Ok((schema, request)) => schema.execute(request).await,
            Err(error) => error_response(error),
        }
    }

    fn execute_stream(
        &self,
        request: Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, Response> {
        match self.prepare(request) {
            Ok((schema, request)) => schema
                .execute_stream_with_session_data(request, session_data.unwrap_or_default())
                .boxed(),
            Err(error) => futures::stream::once(async move { error_response(error) }).boxed(),
        }
    }
}

async fn serve(
    state: AppState,
    socket: WebSocket,
    protocol: GraphQLProtocol,
    header_credentials: Credentials,
) {
    let cell = Arc::new(OnceLock::new());
    let executor = SessionExecutor { gateway: state.gateway.clone(), session: cell.clone() };
    let (mut sink, stream) = socket.split();
    // The protocol writes into a channel so that this task can still close the socket itself.
    let (tx, mut rx) = futures::channel::mpsc::channel::<Message>(64);
    let closer = tx.clone();
    // async-graphql closes a refused connection_init with 1002 (protocol error); the protocol
    // says a server rejecting the connection closes with 4403 Forbidden, which clients act on.
    let refused = Arc::new(AtomicBool::new(false));
    let forward = {
        let refused = refused.clone();
        tokio::spawn(async move {
            while let Some(message) = rx.next().await {
                let message = match message {
                    Message::Close(Some(frame))
                        if frame.code == 1002 && refused.load(Ordering::Acquire) =>
                    {
                        Message::Close(Some(CloseFrame { code: 4403, reason: frame.reason }))
                    }
                    other => other,
                };
                if sink.send(message).await.is_err() {
                    break;
                }
            }
            let _ = sink.close().await;
        })
    };
    let (expiry_tx, expiry_rx) = tokio::sync::oneshot::channel::<Option<i64>>();
    let on_init = {
        let state = state.clone();
        let refused = refused.clone();
        move |payload: serde_json::Value| async move {
            let mut credentials = Credentials::from_payload(&payload);
            if credentials.bearer.is_none() && credentials.admin_secret.is_none() {
                credentials = header_credentials;
            }
            let session =
                credentials.resolve(&state.config.engine, &state.verifier).await.map_err(|e| {
                    refused.store(true, Ordering::Release);
                    async_graphql::Error::new(e.message)
                })?;
            let _ = expiry_tx.send(session.expires_at);
            let _ = cell.set(session.clone());
            let mut data = Data::default();
            data.insert(session);
            Ok(data)
        }
    };
    let connection = GraphQLWebSocket::new_with_pair(tx, stream, executor, protocol)
        .on_connection_init(on_init)
        .serve();
    let expiry = async move {
        match expiry_rx.await {
            Ok(Some(exp)) => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs() as i64)
                    .unwrap_or_default();
                let left = u64::try_from(exp - now).unwrap_or(0);
                tokio::time::sleep(std::time::Duration::from_secs(left)).await;
            }
            _ => std::future::pending::<()>().await,
        }
    };
    let expired = tokio::select! {
        () = connection => false,
        () = expiry => true,
    };
    let mut closer = closer;
    if expired {
        let frame = CloseFrame { code: 4403, reason: "token expired".into() };
        let _ = closer.send(Message::Close(Some(frame))).await;
    }
    drop(closer);
    let _ = forward.await;
}
