//! What memory and documents search with: the embedding model and the vector store. Both are
//! derived from Postgres (the truth) and opened once at start: the local all-MiniLM-L6-v2 (or
//! a provider's model, `POSEY_EMBEDDING_MODEL`) and Qdrant Edge under the data dir (or a
//! Qdrant server, `QDRANT_URL`).

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use futures::TryStreamExt;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
use posey_config::Env;
use posey_domain::UserId;
use posey_models::embeddings::LocalEmbeddingConfig;
use posey_models::{Embedder, EmbeddingConfig};
use posey_vector::{
    CollectionSpec, EdgeStore, Hit, HybridQuery, Point, ServerStore, SparseEncoder, UserFilter,
    VectorStore,
};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Map, Value};
use sqlx::PgPool;
use uuid::Uuid;

/// Where vectors live and which model makes them.
#[derive(Debug, Clone)]
pub struct KnowledgeConfig {
    pub embedding: EmbeddingConfig,
    pub store: StoreConfig,
}

#[derive(Debug, Clone)]
pub enum StoreConfig {
    /// Qdrant Edge in process, in this directory (`<POSEY_DATA_DIR>/vectors`).
    Embedded(PathBuf),
    /// A Qdrant server: `QDRANT_URL` (REST, port 6333; gRPC is derived or `QDRANT_GRPC_URL`)
    /// and `QDRANT_API_KEY`.
    Server { url: url::Url, grpc: Option<String>, api_key: Option<SecretString> },
}

impl KnowledgeConfig {
    /// Reads the embedding model's variables, `QDRANT_URL`/`QDRANT_GRPC_URL`/`QDRANT_API_KEY`
    /// and the data dir. Problems are recorded in `env` (which then refuses the configuration),
    /// with an unusable placeholder in their place.
    pub fn read(env: &mut Env<'_>, qdrant_url: Option<url::Url>) -> Self {
        let embedding = EmbeddingConfig::from_env(env)
            .unwrap_or_else(|| EmbeddingConfig::Local(LocalEmbeddingConfig::new(PathBuf::new())));
        let grpc = env.raw("QDRANT_GRPC_URL");
        let api_key = env.raw("QDRANT_API_KEY").map(SecretString::from);
        let store = match qdrant_url {
            Some(url) => StoreConfig::Server { url, grpc, api_key },
            None => match posey_config::data_dir(env) {
                Some(dir) => StoreConfig::Embedded(dir.join("vectors")),
                None => {
                    env.problem(
                        posey_config::DATA_DIR_VAR,
                        "no data directory is known here for the embedded vector store; set \
                         POSEY_DATA_DIR, or QDRANT_URL for a Qdrant server",
                    );
                    StoreConfig::Embedded(PathBuf::new())
                }
            },
        };
        Self { embedding, store }
    }
}

/// The embedder and the store, shared by memory and documents.
pub struct Knowledge {
    pub embedder: Embedder,
    pub store: Arc<dyn VectorStore>,
}

impl Knowledge {
    /// Loads the embedding model (unless `embedder` is given: tests share one) and opens the
    /// store.
    pub async fn open(
        config: &KnowledgeConfig,
        embedder: Option<Embedder>,
    ) -> anyhow::Result<Self> {
        let embedder = match embedder {
            Some(embedder) => embedder,
            None => config.embedding.load().await.with_context(|| {
                format!("loading the embedding model {}", config.embedding.describe())
            })?,
        };
        let store: Arc<dyn VectorStore> = match &config.store {
            StoreConfig::Embedded(dir) => {
                let dir = dir.clone();
                let store = tokio::task::spawn_blocking(move || EdgeStore::open(dir))
                    .await
                    .context("opening the vector store")??;
                Arc::new(store)
            }
            StoreConfig::Server { url, grpc, api_key } => {
                let grpc = posey_vector::grpc_url(url.as_str(), grpc.as_deref())?;
                let key = api_key.as_ref().map(|key| key.expose_secret().to_owned());
                Arc::new(ServerStore::connect(&grpc, key).await?)
            }
        };
        tracing::info!(
            embedding = %config.embedding.describe(),
            dimension = embedder.dimension(),
            store = %describe(&config.store),
            "knowledge ready"
        );
        Ok(Self { embedder, store })
    }

    /// The spec of `collection` for this embedder, with keyword indexes on `fields`.
    pub fn spec(&self, collection: &str, fields: &[&str]) -> anyhow::Result<CollectionSpec> {
        let mut spec =
            CollectionSpec::new(collection, self.embedder.model_name(), self.embedder.dimension())?;
        for field in fields {
            spec = spec.with_keyword_index(field)?;
        }
        Ok(spec)
    }
}

/// A row to index: its Postgres id (the point's id), owner, the text embedded (dense and
/// BM25), and payload fields to filter on or show.
#[derive(Debug, Clone)]
pub struct Indexed {
    pub id: Uuid,
    pub user_id: Uuid,
    pub text: String,
    pub payload: Map<String, Value>,
}

/// A collection rebuilt from Postgres by `reindex`: its spec, and its owner's reads (in that
/// owner's `db` module) of how many rows it should hold and of the rows themselves.
pub struct Source {
    pub spec: CollectionSpec,
    pub count: for<'a> fn(&'a PgPool) -> BoxFuture<'a, anyhow::Result<i64>>,
    pub rows: for<'a> fn(&'a PgPool) -> BoxStream<'a, anyhow::Result<Indexed>>,
}

impl Knowledge {
    /// Embeds the items' texts (in the embedder's batches) and upserts them with their BM25
    /// vectors into `collection` (already ensured).
    pub async fn index(&self, collection: &str, items: Vec<Indexed>) -> anyhow::Result<()> {
        if items.is_empty() {
            return Ok(());
        }
        let encoder = SparseEncoder::new();
        let mut points = Vec::with_capacity(items.len());
        for batch in items.chunks(self.embedder.max_batch().max(1)) {
            let texts: Vec<String> = batch.iter().map(|item| item.text.clone()).collect();
            let vectors = self.embedder.embed(&texts).await.context("embedding")?;
            for (item, dense) in batch.iter().zip(vectors) {
                let mut point = Point::new(item.id, UserId::from_uuid(item.user_id), dense)
                    .with_sparse(encoder.encode_document(&item.text));
                point.payload = item.payload.clone();
                points.push(point);
            }
        }
        self.store.upsert(collection, points).await.context("storing vectors")?;
        Ok(())
    }

    /// Hybrid (dense + BM25, fused by rank) search for `text` among the points `filter`
    /// allows (always one person's), best first.
    pub async fn search(
        &self,
        collection: &str,
        text: &str,
        filter: UserFilter,
        limit: usize,
    ) -> anyhow::Result<Vec<Hit>> {
        let vector = self.embedder.embed_one(text).await.context("embedding the query")?;
        let query = HybridQuery::from_text(vector, text, filter, limit);
        Ok(self.store.hybrid_search(collection, &query).await?)
    }

    /// Rebuilds `source`'s collection from Postgres: drops it, creates it for this embedder
    /// and indexes every row, `batch` at a time, calling `progress(done, total)` after each
    /// batch. Returns how many rows were indexed. For `posey admin reindex` (also after the
    /// embedding model changed).
    pub async fn reindex(
        &self,
        db: &PgPool,
        source: &Source,
        progress: &(dyn Fn(u64, u64) + Sync),
    ) -> anyhow::Result<u64> {
        let name = source.spec.name();
        let total =
            (source.count)(db).await.with_context(|| format!("counting the rows of {name}"))?;
        self.store.drop_collection(name).await?;
        self.store.ensure_collection(&source.spec).await?;
        let total = total.max(0) as u64;
        progress(0, total);
        let batch = (self.embedder.max_batch() * 4).max(64);
        let mut rows = (source.rows)(db);
        let mut pending = Vec::with_capacity(batch);
        let mut done = 0u64;
        while let Some(row) =
            rows.try_next().await.with_context(|| format!("reading the rows of {name}"))?
        {
            pending.push(row);
            if pending.len() == batch {
                done += pending.len() as u64;
                self.index(name, std::mem::take(&mut pending)).await?;
                progress(done, total);
            }
        }
        if !pending.is_empty() {
            done += pending.len() as u64;
            self.index(name, pending).await?;
            progress(done, total);
        }
        self.store.optimize(name).await?;
        Ok(done)
    }
}

fn describe(store: &StoreConfig) -> String {
    match store {
        StoreConfig::Embedded(dir) => format!("Qdrant Edge in {}", dir.display()),
        StoreConfig::Server { url, .. } => {
            format!("Qdrant at {}", posey_config::redact_url(url.as_str()))
        }
    }
}
