//! `/healthz` (the process is alive) and `/readyz` (every dependency answers). Readiness runs
//! its checks concurrently, each with a deadline, and names the ones that failed; why they
//! failed is logged, not sent. A part the service can serve without (Redis: the rate limits
//! fall back in process) is an optional check: while it fails the service is `degraded` but
//! ready (200), so a load balancer does not pull every replica over a cache.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use futures::future::{BoxFuture, join_all};
use serde_json::json;

type CheckFn = Arc<dyn Fn() -> BoxFuture<'static, anyhow::Result<()>> + Send + Sync>;

/// The dependencies a service needs to serve traffic, and those it reports but can do without.
#[derive(Clone, Default)]
pub struct Readiness {
    checks: Vec<Check>,
    timeout: Option<Duration>,
}

#[derive(Clone)]
struct Check {
    name: &'static str,
    run: CheckFn,
    /// Whether the service is not ready while it fails (else: degraded).
    required: bool,
}

/// One check's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Outcome {
    pub name: &'static str,
    pub ok: bool,
    pub required: bool,
}

impl std::fmt::Debug for Readiness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<_> = self.checks.iter().map(|c| c.name).collect();
        f.debug_struct("Readiness").field("checks", &names).finish()
    }
}

impl Readiness {
    pub fn new() -> Self {
        Self::default()
    }

    /// Any named check the service cannot serve without.
    pub fn check<F, Fut>(mut self, name: &'static str, f: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        self.checks.push(Check { name, run: Arc::new(move || Box::pin(f())), required: true });
        self
    }

    /// A named check of a part the service serves without (with a fallback): while it fails,
    /// `/readyz` says `degraded` and stays 200.
    pub fn optional<F, Fut>(mut self, name: &'static str, f: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        self.checks.push(Check { name, run: Arc::new(move || Box::pin(f())), required: false });
        self
    }

    /// Postgres answers `SELECT 1` through the service's pool.
    pub fn postgres(self, pool: sqlx::PgPool) -> Self {
        self.check("postgres", move || {
            let pool = pool.clone();
            async move {
                sqlx::query!("SELECT 1 AS one").fetch_one(&pool).await?;
                Ok(())
            }
        })
    }

    /// Redis answers `PING`. Optional: what Posey keeps there (rate-limit counts) falls back to
    /// each process while it is away.
    pub fn redis(self, conn: redis::aio::ConnectionManager) -> Self {
        self.optional("redis", move || {
            let mut conn = conn.clone();
            async move {
                let _: String = redis::cmd("PING").query_async(&mut conn).await?;
                Ok(())
            }
        })
    }

    /// An HTTP endpoint answers with a success status.
    pub fn http(self, name: &'static str, url: url::Url) -> Self {
        let client = reqwest::Client::new();
        self.check(name, move || {
            let request = client.get(url.clone());
            async move {
                request.send().await?.error_for_status()?;
                Ok(())
            }
        })
    }

    /// How long each check may take (default 2 s).
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Runs every check; their outcomes in registration order.
    pub async fn run(&self) -> Vec<Outcome> {
        let timeout = self.timeout.unwrap_or(Duration::from_secs(2));
        join_all(self.checks.iter().map(|check| async move {
            let name = check.name;
            let ok = match tokio::time::timeout(timeout, (check.run)()).await {
                Ok(Ok(())) => true,
                Ok(Err(e)) => {
                    tracing::warn!(check = name, error = %format!("{e:#}"), "readiness check failed");
                    false
                }
                Err(_) => {
                    tracing::warn!(check = name, ?timeout, "readiness check timed out");
                    false
                }
            };
            Outcome { name, ok, required: check.required }
        }))
        .await
    }

    /// `/healthz` and `/readyz`, ready to merge into a service's router.
    pub fn router<S: Clone + Send + Sync + 'static>(self) -> Router<S> {
        Router::new()
            .route("/healthz", get(healthz))
            .route("/readyz", get(readyz))
            .with_state(Arc::new(self))
    }
}

async fn healthz() -> Json<serde_json::Value> {
    Json(json!({ "status": "ok" }))
}

async fn readyz(State(readiness): State<Arc<Readiness>>) -> Response {
    let outcomes = readiness.run().await;
    let checks: serde_json::Map<_, _> = outcomes
        .iter()
        .map(|o| (o.name.to_owned(), json!(if o.ok { "ok" } else { "unavailable" })))
        .collect();
    let (status, word) = if outcomes.iter().any(|o| o.required && !o.ok) {
        (StatusCode::SERVICE_UNAVAILABLE, "unavailable")
    } else if outcomes.iter().any(|o| !o.ok) {
        (StatusCode::OK, "degraded")
    } else {
        (StatusCode::OK, "ready")
    };
    (status, Json(json!({ "status": word, "checks": checks }))).into_response()
}
