//! Binding and serving: bind first (so port 0 works in tests), wrap the router in the layers
//! every service shares (request id, a trace span per request with the matched path, panics
//! turned into the standard 500, unknown routes into the standard 404, the edge's guards of
//! `edge`), then serve until the shutdown future completes, letting in-flight requests finish.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::MatchedPath;
use axum::http::{Request, Response, StatusCode};
use axum::response::IntoResponse;
use axum::serve::ListenerExt;
use posey_config::HttpConfig;
use tokio::net::TcpListener;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tracing::Span;

use crate::ApiError;
use crate::backing::Backing;
use crate::edge::{self, ErrorShape, api_error_shape};
use crate::error::InternalCause;

/// Binds the listener, with an error that names the port variable.
pub async fn bind(config: &HttpConfig) -> anyhow::Result<TcpListener> {
    let addr = SocketAddr::new(config.host, config.port);
    TcpListener::bind(addr).await.with_context(|| {
        format!("{}: cannot listen on {addr} (BIND_ADDRESS={})", config.port_var, config.host)
    })
}

/// The layers every service wraps its routes in, with errors in `ApiError`'s shape.
pub fn with_common_layers(router: Router, service: &'static str) -> Router {
    with_layers(router, service, api_error_shape)
}

/// The common layers, with the errors they make themselves (unknown routes, wrong methods,
/// plain-text rejections, a NUL in the URI) worded by `shape`.
pub fn with_layers(router: Router, service: &'static str, shape: ErrorShape) -> Router {
    router
        // Plain text here; the edge guard words it in the service's shape.
        .fallback(|| async { (StatusCode::NOT_FOUND, "no such route") })
        .layer(axum::middleware::from_fn(move |request, next| edge::guard(shape, request, next)))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(move |req: &Request<_>| {
                    let path = req
                        .extensions()
                        .get::<MatchedPath>()
                        .map_or_else(|| req.uri().path().to_owned(), |p| p.as_str().to_owned());
                    let request_id = req
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default();
                    tracing::info_span!("request", service, method = %req.method(), path, request_id)
                })
                .on_request(())
                .on_response(|res: &Response<_>, latency: Duration, _span: &Span| {
                    let status = res.status().as_u16();
                    let ms = latency.as_secs_f64() * 1000.0;
                    if res.status().is_server_error() {
                        // The one place a 5xx is logged, with the cause the client never saw.
                        let cause = res.extensions().get::<InternalCause>().map(|c| c.0.as_str());
                        tracing::error!(status, ms, cause, "request failed");
                    } else {
                        tracing::debug!(status, ms, "request done");
                    }
                })
                .on_failure(()),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(CatchPanicLayer::custom(|_panic| {
            ApiError::Internal(anyhow::anyhow!("handler panicked")).into_response()
        }))
}

/// Serves until `shutdown` completes, then waits for in-flight requests. Connections are
/// `TCP_NODELAY`: a streamed answer (a chat's server-sent events) writes its first small event
/// right after the headers, and under Nagle's algorithm that event waited for the client's
/// delayed ACK of the headers, about 40 ms on Linux, on every turn.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "setting TCP_NODELAY on a connection");
        }
    });
    axum::serve(listener, router.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
        .context("serving HTTP")
}

/// A service ready to serve: its listener (already bound), its routes wrapped in the common
/// layers, and its backing connections to close when it stops.
pub struct Server {
    service: &'static str,
    listener: TcpListener,
    router: Router,
    backing: Backing,
}

impl Server {
    /// Binds first, so a configured port of 0 gets a free one that `port()` then reports.
    pub async fn bind(
        service: &'static str,
        http: &HttpConfig,
        router: Router,
        backing: Backing,
    ) -> anyhow::Result<Self> {
        Self::bind_shaped(service, http, router, backing, api_error_shape).await
    }

    /// [`Server::bind`] for a service whose errors have a shape of their own.
    pub async fn bind_shaped(
        service: &'static str,
        http: &HttpConfig,
        router: Router,
        backing: Backing,
        shape: ErrorShape,
    ) -> anyhow::Result<Self> {
        let listener = bind(http).await?;
        Ok(Self { service, listener, router: with_layers(router, service, shape), backing })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or_default()
    }

    /// Serves until `shutdown`, drains in-flight requests, then closes the pool.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let addr = self.listener.local_addr()?;
        tracing::info!(service = self.service, %addr, "listening");
        let served = serve(self.listener, self.router, shutdown).await;
        self.backing.close().await;
        tracing::info!(service = self.service, "stopped");
        served
    }
}

/// The body of a service binary's `main`: telemetry, configuration (a bad variable is one
/// clear message, not a panic), then `run`; any error ends the process with status 1.
pub async fn run_main<C, Fut>(
    program: &str,
    read_config: impl FnOnce() -> Result<C, posey_config::ConfigError>,
    run: impl FnOnce(C) -> Fut,
) -> std::process::ExitCode
where
    Fut: Future<Output = anyhow::Result<()>>,
{
    use std::process::ExitCode;
    if let Err(e) = crate::telemetry::init() {
        eprintln!("{program}: {e}");
        return ExitCode::FAILURE;
    }
    let config = match read_config() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("{program}: {e}");
            return ExitCode::FAILURE;
        }
    };
    match run(config).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A user's mistake (bad URL, port in use) reads as one message, not a backtrace.
            eprintln!("{program}: {e:#}");
            ExitCode::FAILURE
        }
    }
}
