//! [`VectorStore`] on Qdrant Edge, in process: one Edge shard per collection, in
//! `<root>/<collection>/`, with the recorded model in `<root>/<collection>/posey-collection.json`.
//!
//! Edge is synchronous, so every call runs on tokio's blocking pool. It has no background
//! optimizer: search indexes are built by [`VectorStore::optimize`] (call it after a bulk
//! load). Payload indexes on `user_id` (and the spec's keyword fields) are kept from the start,
//! so per-person filtered searches stay fast either way.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::{Context, anyhow};
use async_trait::async_trait;
use qdrant_edge::{
    CountRequest, CreateIndex, Distance, EdgeConfig, EdgeConfigBuilder, EdgeShard,
    EdgeSparseVectorParamsBuilder, EdgeVectorParams, FieldIndexOperations, Filter, Fusion,
    JsonPath, Modifier, NamedQuery, PayloadFieldSchema, PayloadSchemaType, PointId,
    PointInsertOperations, PointOperations, PointStruct, Prefetch, QueryEnum, QueryRequest,
    ScoredPoint, ScoringQuery, ScrollRequest, UpdateOperation, Vector, VectorInternal, Vectors,
    WithPayloadInterface, WithVector,
};
use serde_json::{Value, json};
use tokio::sync::Mutex;
use uuid::Uuid;

use crate::collection::{CollectionSpec, DENSE_VECTOR, Recorded, SPARSE_VECTOR};
use crate::error::{Result, VectorError};
use crate::filter::{Condition, FieldValue, PointScope, UserFilter};
use crate::payload::USER_ID_FIELD;
use crate::point::{Hit, Point, Record, ScrollPage, split_payload};
use crate::sparse::SparseVector;
use crate::store::{DenseQuery, HybridQuery, RRF_K, VectorStore, check_dense_query, check_limit};

const RECORD_FILE: &str = "posey-collection.json";

/// The file in the root whose exclusive lock says a process has the store open.
const LOCK_FILE: &str = ".posey-vectors.lock";

/// The free space a write must leave on the store's filesystem (see [`EdgeStore::room`]):
/// room for the pages Edge's memory-mapped files may touch beyond the write itself (a new
/// chunk, the id tracker, a WAL segment's headroom).
pub const MIN_FREE_BYTES: u64 = 64 << 20;

/// Qdrant Edge collections under one directory (e.g. `<POSEY_DATA_DIR>/vectors`). One process
/// at a time: opening takes an exclusive lock on a file in the directory, held until the
/// store is dropped, since two processes writing one Edge shard would corrupt it.
pub struct EdgeStore {
    root: PathBuf,
    _lock: std::fs::File,
    open: RwLock<HashMap<String, Arc<OpenCollection>>>,
    /// Serialises opening and dropping, so one directory is never loaded twice at once.
    lifecycle: Mutex<()>,
    /// Free space every write must leave ([`MIN_FREE_BYTES`] unless set).
    min_free: AtomicU64,
}

struct OpenCollection {
    spec: CollectionSpec,
    shard: EdgeShard,
}

impl EdgeStore {
    /// A store keeping its collections under `root`, created if missing. Fails with
    /// [`VectorError::Locked`] while another process has the same directory open.
    pub fn open(root: impl Into<PathBuf>) -> Result<Self> {
        let root = root.into();
        std::fs::create_dir_all(&root)
            .with_context(|| format!("creating the vector directory {}", root.display()))?;
        let path = root.join(LOCK_FILE);
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("opening {}", path.display()))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(std::fs::TryLockError::WouldBlock) => {
                return Err(VectorError::Locked(root.display().to_string()));
            }
            Err(std::fs::TryLockError::Error(e)) => {
                return Err(anyhow::Error::new(e)
                    .context(format!("locking {}", path.display()))
                    .into());
            }
        }
        Ok(Self {
            root,
            _lock: lock,
            open: RwLock::new(HashMap::new()),
            lifecycle: Mutex::new(()),
            min_free: AtomicU64::new(MIN_FREE_BYTES),
        })
    }

    /// Sets the free space every write must leave on the store's filesystem (instead of
    /// [`MIN_FREE_BYTES`]); takes effect at the next write.
    pub fn set_min_free(&self, bytes: u64) {
        self.min_free.store(bytes, Ordering::Relaxed);
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Ok if the store's filesystem has room for a write of about `writing` bytes and the
    /// margin after it, else [`VectorError::OutOfSpace`]. Edge writes through memory maps of
    /// files it sizes without allocating them: on a full disk such a write is a SIGBUS that
    /// kills the process (and every restart, while the disk stays full), so every write and
    /// every opening asks first. The disk can still fill between the check and the write; the
    /// margin makes that a race with another writer of tens of megabytes, not the rule.
    fn room(&self, writing: u64) -> Result<()> {
        let free = fs4::available_space(&self.root)
            .with_context(|| format!("reading the free space of {}", self.root.display()))?;
        let needed = self.min_free.load(Ordering::Relaxed).saturating_add(writing);
        if free >= needed {
            return Ok(());
        }
        tracing::error!(
            path = %self.root.display(),
            free_mib = free >> 20,
            needed_mib = needed.div_ceil(1 << 20),
            "the vector store is out of disk space: writes are refused until space is freed"
        );
        Err(VectorError::OutOfSpace {
            path: self.root.display().to_string(),
            free,
            needed,
            source: std::io::Error::from(std::io::ErrorKind::StorageFull),
        })
    }

    fn collection(&self, name: &str) -> Result<Arc<OpenCollection>> {
        self.open
            .read()
            .map_err(|_| anyhow!("vector store lock poisoned"))?
            .get(name)
            .cloned()
            .ok_or_else(|| VectorError::UnknownCollection(name.to_owned()))
    }

    /// Run `f` on the collection on the blocking pool.
    async fn with<T, F>(&self, name: &str, f: F) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&OpenCollection) -> Result<T> + Send + 'static,
    {
        let collection = self.collection(name)?;
        tokio::task::spawn_blocking(move || f(&collection))
            .await
            .context("Qdrant Edge task panicked")?
    }
}

#[async_trait]
impl VectorStore for EdgeStore {
    async fn ensure_collection(&self, spec: &CollectionSpec) -> Result<()> {
        let _guard = self.lifecycle.lock().await;
        if let Ok(open) = self.collection(spec.name()) {
            return Recorded::check(spec, &open.spec.recorded());
        }
        // Opening replays and resizes Edge's files: on a full disk it would die like a write.
        self.room(0)?;
        let dir = self.root.join(spec.name());
        let spec_for_open = spec.clone();
        let shard = tokio::task::spawn_blocking(move || open_shard(&dir, &spec_for_open))
            .await
            .context("Qdrant Edge task panicked")??;
        tracing::info!(
            collection = spec.name(),
            model = spec.model(),
            dimension = spec.dimension(),
            "opened Qdrant Edge collection"
        );
        self.open
            .write()
            .map_err(|_| anyhow!("vector store lock poisoned"))?
            .insert(spec.name().to_owned(), Arc::new(OpenCollection { spec: spec.clone(), shard }));
        Ok(())
    }

    async fn drop_collection(&self, name: &str) -> Result<()> {
        crate::collection::check_name(name)?;
        let _guard = self.lifecycle.lock().await;
        let taken =
            self.open.write().map_err(|_| anyhow!("vector store lock poisoned"))?.remove(name);
        if let Some(mut open) = taken {
            // Calls already running hold clones; the shard flushes when dropped, which must
            // happen before its directory goes.
            loop {
                match Arc::try_unwrap(open) {
                    Ok(open) => {
                        tokio::task::spawn_blocking(move || drop(open))
                            .await
                            .context("Qdrant Edge task panicked")?;
                        break;
                    }
                    Err(shared) => {
                        open = shared;
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                }
            }
        }
        let dir = self.root.join(name);
        if dir.exists() {
            tokio::fs::remove_dir_all(&dir)
                .await
                .with_context(|| format!("removing {}", dir.display()))?;
        }
        tracing::info!(collection = name, "dropped Qdrant Edge collection");
        Ok(())
    }

    async fn upsert(&self, collection: &str, points: Vec<Point>) -> Result<()> {
        if points.is_empty() {
            return Ok(());
        }
        self.room(written_bytes(&points))?;
        self.with(collection, move |open| {
            let mut persisted = Vec::with_capacity(points.len());
            for point in &points {
                point.validate(open.spec.dimension())?;
                persisted.push(to_edge_point(point)?.0);
            }
            update(
                &open.shard,
                UpdateOperation::PointOperation(PointOperations::UpsertPoints(
                    PointInsertOperations::PointsList(persisted),
                )),
            )
        })
        .await
    }

    async fn delete_ids(&self, collection: &str, ids: &[Uuid]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        self.room(0)?;
        let ids: Vec<PointId> = ids.iter().map(|id| PointId::Uuid(*id)).collect();
        self.with(collection, move |open| {
            update(
                &open.shard,
                UpdateOperation::PointOperation(PointOperations::DeletePoints { ids }),
            )
        })
        .await
    }

    async fn delete_by_filter(&self, collection: &str, filter: &UserFilter) -> Result<()> {
        let filter = to_edge_filter(filter)?;
        self.room(0)?;
        self.with(collection, move |open| {
            update(
                &open.shard,
                UpdateOperation::PointOperation(PointOperations::DeletePointsByFilter(filter)),
            )
        })
        .await
    }

    async fn search(&self, collection: &str, query: &DenseQuery) -> Result<Vec<Hit>> {
        let filter = to_edge_filter(&query.filter)?;
        let query = query.clone();
        self.with(collection, move |open| {
            check_dense_query(&query.vector, query.limit, open.spec.dimension())?;
            let request = QueryRequest {
                prefetches: vec![],
                query: Some(dense_scoring(query.vector)),
                filter: Some(filter),
                score_threshold: None,
                limit: query.limit,
                offset: 0,
                params: None,
                with_vector: WithVector::Bool(false),
                with_payload: WithPayloadInterface::Bool(true),
            };
            let points = open.shard.query(request).map_err(edge_error("dense search"))?;
            points.into_iter().map(to_hit).collect()
        })
        .await
    }

    async fn hybrid_search(&self, collection: &str, query: &HybridQuery) -> Result<Vec<Hit>> {
        if query.sparse.is_empty() {
            let dense = DenseQuery {
                vector: query.vector.clone(),
                filter: query.filter.clone(),
                limit: query.limit,
            };
            return self.search(collection, &dense).await;
        }
        query.sparse.validate()?;
        let filter = to_edge_filter(&query.filter)?;
        let query = query.clone();
        self.with(collection, move |open| {
            check_dense_query(&query.vector, query.limit, open.spec.dimension())?;
            let prefetch = |scoring| Prefetch {
                prefetches: vec![],
                query: Some(scoring),
                limit: query.prefetch_limit(),
                params: None,
                filter: Some(filter.clone()),
                score_threshold: None,
            };
            let request = QueryRequest {
                prefetches: vec![
                    prefetch(dense_scoring(query.vector.clone())),
                    prefetch(sparse_scoring(&query.sparse)?),
                ],
                query: Some(ScoringQuery::Fusion(Fusion::Rrf { k: RRF_K, weights: None })),
                filter: Some(filter.clone()),
                score_threshold: None,
                limit: query.limit,
                offset: 0,
                params: None,
                with_vector: WithVector::Bool(false),
                with_payload: WithPayloadInterface::Bool(true),
            };
            let points = open.shard.query(request).map_err(edge_error("hybrid search"))?;
            points.into_iter().map(to_hit).collect()
        })
        .await
    }

    async fn count(&self, collection: &str, scope: &PointScope) -> Result<u64> {
        let filter = scope_filter(scope)?;
        self.with(collection, move |open| {
            let count = open
                .shard
                .count(CountRequest { filter, exact: true })
                .map_err(edge_error("count"))?;
            Ok(count as u64)
        })
        .await
    }

    async fn scroll(
        &self,
        collection: &str,
        scope: &PointScope,
        offset: Option<Uuid>,
        limit: usize,
    ) -> Result<ScrollPage> {
        check_limit(limit)?;
        let filter = scope_filter(scope)?;
        self.with(collection, move |open| {
            let (records, next) = open
                .shard
                .scroll(ScrollRequest {
                    offset: offset.map(PointId::Uuid),
                    limit: Some(limit),
                    filter,
                    with_payload: Some(WithPayloadInterface::Bool(true)),
                    with_vector: WithVector::Bool(false),
                    order_by: None,
                })
                .map_err(edge_error("scroll"))?;
            let records = records
                .into_iter()
                .map(|r| {
                    let (user_id, payload) =
                        split_payload(r.payload.map(|p| p.0).unwrap_or_default())?;
                    Ok(Record { id: uuid_of(r.id)?, user_id, payload })
                })
                .collect::<Result<_>>()?;
            Ok(ScrollPage { records, next: next.map(uuid_of).transpose()? })
        })
        .await
    }

    async fn optimize(&self, collection: &str) -> Result<()> {
        // Optimizing rewrites the collection's segments beside the old ones.
        let dir = self.root.join(collection);
        let size = tokio::task::spawn_blocking(move || bytes_under(&dir))
            .await
            .context("Qdrant Edge task panicked")?;
        self.room(size)?;
        self.with(collection, |open| {
            open.shard.optimize().map_err(edge_error("optimize"))?;
            Ok(())
        })
        .await
    }
}

/// About what upserting `points` writes: their vectors and payloads, twice (the WAL and the
/// segment).
fn written_bytes(points: &[Point]) -> u64 {
    let each: usize = points
        .iter()
        .map(|point| {
            let sparse = point.sparse.as_ref().map_or(0, |s| s.indices.len() * 8);
            let payload: usize =
                point.payload.iter().map(|(k, v)| k.len() + v.to_string().len()).sum();
            point.dense.len() * 4 + sparse + payload + 64
        })
        .sum();
    2 * each as u64
}

/// The bytes of the files under `dir` (0 when it cannot be read).
fn bytes_under(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .flatten()
        .map(|entry| match entry.file_type() {
            Ok(kind) if kind.is_dir() => bytes_under(&entry.path()),
            Ok(_) => entry.metadata().map_or(0, |m| m.len()),
            Err(_) => 0,
        })
        .sum()
}

/// Open (or create) the shard in `dir`, after checking or writing its recorded model.
fn open_shard(dir: &Path, spec: &CollectionSpec) -> Result<EdgeShard> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let record_path = dir.join(RECORD_FILE);
    match std::fs::read(&record_path) {
        Ok(bytes) => {
            let found: Recorded = serde_json::from_slice(&bytes)
                .with_context(|| format!("reading {}", record_path.display()))?;
            Recorded::check(spec, &found)?;
        }
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            if std::fs::read_dir(dir)
                .with_context(|| format!("listing {}", dir.display()))?
                .next()
                .is_some()
            {
                return Err(anyhow!(
                    "{} holds data but no {RECORD_FILE}: not a Posey collection, or from an older \
                     version; move it away and reindex",
                    dir.display()
                )
                .into());
            }
            // Record first: a crash before the shard exists leaves a record and no data,
            // which the next open completes.
            let tmp = dir.join(format!("{RECORD_FILE}.tmp"));
            let bytes =
                serde_json::to_vec_pretty(&spec.recorded()).context("encoding the record")?;
            std::fs::write(&tmp, bytes).with_context(|| format!("writing {}", tmp.display()))?;
            std::fs::rename(&tmp, &record_path)
                .with_context(|| format!("writing {}", record_path.display()))?;
        }
        Err(err) => {
            return Err(anyhow::Error::new(err)
                .context(format!("reading {}", record_path.display()))
                .into());
        }
    }
    let shard = EdgeShard::load(dir, Some(edge_config(spec)))
        .map_err(edge_error("opening the Qdrant Edge shard"))?;
    let indexed = shard.info().payload_schema;
    let keyword_fields =
        std::iter::once(USER_ID_FIELD).chain(spec.keyword_indexes().iter().map(String::as_str));
    for field in keyword_fields {
        let path: JsonPath = field.parse().map_err(|()| {
            VectorError::invalid("payload key", format!("`{field}` is not a field path"))
        })?;
        if indexed.contains_key(&path) {
            continue;
        }
        update(
            &shard,
            UpdateOperation::FieldIndexOperation(FieldIndexOperations::CreateIndex(CreateIndex {
                field_name: path,
                field_schema: Some(PayloadFieldSchema::FieldType(PayloadSchemaType::Keyword)),
            })),
        )?;
    }
    Ok(shard)
}

fn edge_config(spec: &CollectionSpec) -> EdgeConfig {
    EdgeConfigBuilder::new()
        .vector(DENSE_VECTOR, EdgeVectorParams::builder(spec.dimension(), Distance::Cosine).build())
        .sparse_vector(
            SPARSE_VECTOR,
            EdgeSparseVectorParamsBuilder::new().modifier(Modifier::Idf).build(),
        )
        .build()
}

fn update(shard: &EdgeShard, operation: UpdateOperation) -> Result<()> {
    shard.update(operation).map_err(edge_error("updating"))?;
    Ok(())
}

fn edge_error(what: &'static str) -> impl Fn(qdrant_edge::OperationError) -> VectorError {
    move |err| VectorError::Backend(anyhow!("Qdrant Edge {what}: {err}"))
}

fn to_edge_point(point: &Point) -> Result<PointStruct> {
    let mut vectors = vec![(DENSE_VECTOR, Vector::new_dense(point.dense.clone()))];
    if let Some(sparse) = point.sparse.as_ref().filter(|s| !s.is_empty()) {
        vectors.push((SPARSE_VECTOR, edge_sparse(sparse)?));
    }
    Ok(PointStruct::new(
        PointId::Uuid(point.id),
        Vectors::new_named(vectors),
        Value::Object(point.stored_payload()),
    ))
}

fn edge_sparse(sparse: &SparseVector) -> Result<Vector> {
    Vector::new_sparse(sparse.indices.clone(), sparse.values.clone())
        .map_err(|err| VectorError::invalid("sparse vector", err.to_string()))
}

fn dense_scoring(vector: Vec<f32>) -> ScoringQuery {
    ScoringQuery::Vector(QueryEnum::Nearest(NamedQuery {
        query: VectorInternal::Dense(vector),
        using: Some(DENSE_VECTOR.to_owned()),
    }))
}

fn sparse_scoring(sparse: &SparseVector) -> Result<ScoringQuery> {
    Ok(ScoringQuery::Vector(QueryEnum::Nearest(NamedQuery {
        query: edge_sparse(sparse)?.0,
        using: Some(SPARSE_VECTOR.to_owned()),
    })))
}

fn scope_filter(scope: &PointScope) -> Result<Option<Filter>> {
    match scope {
        PointScope::All => Ok(None),
        PointScope::Filter(filter) => to_edge_filter(filter).map(Some),
    }
}

/// The filter in Qdrant's REST shape, which Edge's filter type deserialises from: the same
/// JSON the server documents, so the two stores cannot drift apart in meaning.
fn to_edge_filter(filter: &UserFilter) -> Result<Filter> {
    let mut must =
        vec![json!({ "key": USER_ID_FIELD, "match": { "value": filter.user_id().to_string() } })];
    let mut must_not = Vec::new();
    for condition in filter.conditions() {
        match condition {
            Condition::Equals { key, value } => {
                must.push(json!({ "key": key, "match": { "value": json_value(value) } }));
            }
            Condition::NotEquals { key, value } => {
                must_not.push(json!({ "key": key, "match": { "value": json_value(value) } }));
            }
            Condition::AnyOf { key, values } => {
                must.push(json!({ "key": key, "match": { "any": values } }));
            }
            Condition::Range { key, range } => {
                must.push(json!({ "key": key, "range": {
                    "gt": range.gt, "gte": range.gte, "lt": range.lt, "lte": range.lte,
                } }));
            }
        }
    }
    let filter = json!({ "must": must, "must_not": must_not });
    Ok(serde_json::from_value(filter).context("building the Qdrant Edge filter")?)
}

fn json_value(value: &FieldValue) -> Value {
    match value {
        FieldValue::Keyword(s) => Value::String(s.clone()),
        FieldValue::Integer(i) => Value::from(*i),
        FieldValue::Bool(b) => Value::Bool(*b),
    }
}

fn uuid_of(id: PointId) -> Result<Uuid> {
    match id {
        PointId::Uuid(id) => Ok(id),
        PointId::NumId(n) => {
            Err(anyhow!("point {n} has a numeric id; Posey only writes UUIDs").into())
        }
    }
}

fn to_hit(point: ScoredPoint) -> Result<Hit> {
    let (user_id, payload) = split_payload(point.payload.map(|p| p.0).unwrap_or_default())?;
    Ok(Hit { id: uuid_of(point.id)?, score: point.score, user_id, payload })
}
