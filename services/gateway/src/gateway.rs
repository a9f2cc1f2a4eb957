//! The live engine: the current catalog (introspection + metadata) and one schema per role,
//! built on first use. A background loop re-reads the database catalog and the metadata file and
//! swaps in a new catalog when either changed, so DDL and permission edits apply without restart.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};

use anyhow::Context;
use async_graphql::dynamic::Schema;
use async_graphql::parser::types::ExecutableDocument;
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::catalog::Catalog;
use crate::config::{EngineSettings, Limits};
use crate::errors::{GResult, GatewayError};
use crate::execute::Engine;
use crate::live::LiveQueries;
use crate::metadata::{DEFAULT_METADATA, Metadata};
use crate::session::Session;
use crate::{introspect, schema};

pub struct Gateway {
    pub settings: EngineSettings,
    pub limits: Limits,
    pub pool: PgPool,
    /// For introspection: the service's own pool, without the engine's statement timeout.
    catalog_pool: PgPool,
    pub live: LiveQueries,
    current: RwLock<Arc<Snapshot>>,
    /// One reload at a time.
    reloading: tokio::sync::Mutex<()>,
    /// Parsed documents by query text (parsing does not depend on the role or the catalog).
    parsed: Mutex<HashMap<String, ExecutableDocument>>,
}

/// Parsed documents kept; past this the cache starts over (clients send few distinct queries).
const PARSED_CACHE_SIZE: usize = 1024;
/// Longer queries are not kept.
const PARSED_CACHE_MAX_QUERY: usize = 16 * 1024;

struct Snapshot {
    fingerprint: String,
    engine: Arc<Engine>,
    schemas: Mutex<HashMap<String, Schema>>,
}

impl Gateway {
    pub async fn start(
        settings: EngineSettings,
        limits: Limits,
        pool: PgPool,
        catalog_pool: PgPool,
    ) -> anyhow::Result<Arc<Self>> {
        let live = LiveQueries::new(settings.subscription_interval);
        let (fingerprint, catalog) = load(&settings, &catalog_pool).await?;
        let engine = Arc::new(Engine {
            catalog: Arc::new(catalog),
            limits,
            pool: pool.clone(),
            live: live.clone(),
            validated: Default::default(),
        });
        let snapshot = Snapshot { fingerprint, engine, schemas: Mutex::default() };
        Ok(Arc::new(Self {
            settings,
            limits,
            pool,
            catalog_pool,
            live,
            current: RwLock::new(Arc::new(snapshot)),
            reloading: tokio::sync::Mutex::new(()),
            parsed: Mutex::default(),
        }))
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        self.current.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Re-reads the catalog and the metadata; swaps them in if they changed. Returns whether
    /// they did. A broken metadata file keeps the last good one (and says why).
    pub async fn reload(&self) -> anyhow::Result<bool> {
        let _one = self.reloading.lock().await;
        let (fingerprint, catalog) = load(&self.settings, &self.catalog_pool).await?;
        if fingerprint == self.snapshot().fingerprint {
            return Ok(false);
        }
        let engine = Arc::new(Engine {
            catalog: Arc::new(catalog),
            limits: self.limits,
            pool: self.pool.clone(),
            live: self.live.clone(),
            validated: Default::default(),
        });
        let snapshot = Arc::new(Snapshot { fingerprint, engine, schemas: Mutex::default() });
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = snapshot;
        tracing::info!("gateway schema reloaded: the database or the metadata changed");
        Ok(true)
    }

    /// Polls for changes every `reload_interval` (and on SIGHUP) until `cancel`.
    pub fn watch(self: &Arc<Self>, cancel: CancellationToken) {
        let gateway = self.clone();
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(gateway.settings.reload_interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            // SIGHUP reloads at once, as operators expect of a daemon.
            let mut hangup = match tokio::signal::unix::signal(
                tokio::signal::unix::SignalKind::hangup(),
            ) {
                Ok(signal) => Some(signal),
                Err(error) => {
                    tracing::warn!(error = %error, "no SIGHUP reload: the signal could not be watched");
                    None
                }
            };
            loop {
                tokio::select! {
                    () = cancel.cancelled() => return,
                    _ = ticker.tick() => {}
                    Some(()) = async { match hangup.as_mut() { Some(s) => s.recv().await, None => std::future::pending().await } } => {
                        tracing::info!("SIGHUP: reloading the gateway's metadata and catalog");
                    }
                }
                if let Err(error) = gateway.reload().await {
                    tracing::warn!(error = %format!("{error:#}"), "gateway reload failed; keeping the current schema");
                }
            }
        });
    }

    pub fn parsed(&self, query: &str) -> Option<ExecutableDocument> {
        self.parsed.lock().unwrap_or_else(|e| e.into_inner()).get(query).cloned()
    }

    pub fn remember_parsed(&self, query: &str, document: ExecutableDocument) {
        if query.len() > PARSED_CACHE_MAX_QUERY {
            return;
        }
        let mut cache = self.parsed.lock().unwrap_or_else(|e| e.into_inner());
        if cache.len() >= PARSED_CACHE_SIZE {
            cache.clear();
        }
        cache.insert(query.to_owned(), document);
    }

    /// The schema of the session's role (built once per catalog version).
    pub fn schema_for(&self, session: &Session) -> GResult<Schema> {
        self.engine_for(session).map(|(schema, _)| schema)
    }

    /// The role's schema and the engine (catalog version) it was built on.
    pub fn engine_for(&self, session: &Session) -> GResult<(Schema, Arc<Engine>)> {
        let snapshot = self.snapshot();
        let key = session.role_key();
        if let Some(schema) = snapshot.schemas.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
            return Ok((schema.clone(), snapshot.engine.clone()));
        }
        let schema = schema::build(
            &snapshot.engine.catalog,
            &session.access,
            snapshot.engine.clone(),
            &self.limits,
            self.settings.role_introspection,
        )
        .map_err(|error| {
            tracing::error!(error = %format!("{error:#}"), role = %key, "building a role's schema failed");
            GatewayError::new("unexpected", "the schema for this role could not be built")
        })?;
        snapshot.schemas.lock().unwrap_or_else(|e| e.into_inner()).insert(key, schema.clone());
        Ok((schema, snapshot.engine.clone()))
    }
}

/// Reads the metadata and the catalog; their fingerprint and the catalog built from them.
async fn load(settings: &EngineSettings, pool: &PgPool) -> anyhow::Result<(String, Catalog)> {
    let metadata_text = match &settings.metadata_path {
        Some(path) => tokio::fs::read_to_string(path)
            .await
            .with_context(|| format!("reading GATEWAY_METADATA {}", path.display()))?,
        None => DEFAULT_METADATA.to_owned(),
    };
    let catalog_text = introspect::read_catalog(pool, &settings.schemas).await?;
    let mut hash = Sha256::new();
    hash.update(metadata_text.as_bytes());
    hash.update([0]);
    hash.update(catalog_text.as_bytes());
    let fingerprint = format!("{:x}", hash.finalize());
    let metadata = Metadata::parse(&metadata_text)?;
    let catalog = Catalog::build(introspect::parse(&catalog_text)?, &metadata, &settings.schemas)?;
    Ok((fingerprint, catalog))
}
