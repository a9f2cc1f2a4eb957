//! [`VectorStore`] on a Qdrant server (single node or cluster) through `qdrant-client`.
//!
//! `qdrant-client` speaks **gRPC**, to Qdrant's gRPC port [`QDRANT_GRPC_PORT`] (6334), while
//! Posey's `QDRANT_URL` names the REST port [`QDRANT_REST_PORT`] (6333: readiness checks,
//! dashboard, curl). [`grpc_url`] derives the one from the other: an explicit gRPC URL
//! (`QDRANT_GRPC_URL`) wins; otherwise `QDRANT_URL` with port 6333 becomes the same host on
//! 6334; any other port must be given explicitly. [`ServerStore::connect`] takes the gRPC URL
//! and refuses port 6333 with that explanation. The model and dimension of
//! a collection are recorded in the collection's metadata. `user_id` is indexed as a tenant
//! key (`is_tenant`), which lets Qdrant lay points out per person.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::Duration;

use anyhow::{Context, anyhow};
use async_trait::async_trait;
use qdrant_client::qdrant::{
    self, CountPointsBuilder, CreateCollectionBuilder, CreateFieldIndexCollectionBuilder,
    DeletePointsBuilder, Distance, FieldType, KeywordIndexParamsBuilder, Modifier, NamedVectors,
    PointId, PointStruct, PointsIdsList, PrefetchQueryBuilder, Query, QueryPointsBuilder,
    RrfBuilder, ScrollPointsBuilder, SparseVectorParamsBuilder, SparseVectorsConfigBuilder,
    UpsertPointsBuilder, VectorInput, VectorParamsBuilder, VectorsConfigBuilder,
    point_id::PointIdOptions,
};
use qdrant_client::{Payload, Qdrant};
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::collection::{CollectionSpec, DENSE_VECTOR, Recorded, SPARSE_VECTOR};
use crate::error::{Result, VectorError};
use crate::filter::{Condition, FieldValue, PointScope, UserFilter};
use crate::payload::USER_ID_FIELD;
use crate::point::{Hit, Point, Record, ScrollPage, split_payload};
use crate::store::{DenseQuery, HybridQuery, RRF_K, VectorStore, check_dense_query, check_limit};

/// Qdrant's gRPC port, the one `QDRANT_URL` must name.
pub const QDRANT_GRPC_PORT: u16 = 6334;
/// Qdrant's REST port (dashboard, curl); not usable by this client.
pub const QDRANT_REST_PORT: u16 = 6333;

/// The gRPC URL to connect to: `grpc_override` (`QDRANT_GRPC_URL`) when given, else
/// `rest_url` (`QDRANT_URL`) moved from port 6333 to 6334.
pub fn grpc_url(rest_url: &str, grpc_override: Option<&str>) -> Result<String> {
    if let Some(grpc) = grpc_override.filter(|u| !u.trim().is_empty()) {
        return Ok(grpc.trim().to_owned());
    }
    let mut url = url::Url::parse(rest_url).map_err(|err| {
        VectorError::invalid("QDRANT_URL", format!("`{rest_url}` is not a URL: {err}"))
    })?;
    if url.port_or_known_default() != Some(QDRANT_REST_PORT) {
        return Err(VectorError::invalid(
            "QDRANT_URL",
            format!(
                "`{rest_url}` is not on Qdrant's REST port {QDRANT_REST_PORT}, so its gRPC port \
                 cannot be inferred: set QDRANT_GRPC_URL (e.g. http://host:{QDRANT_GRPC_PORT})"
            ),
        ));
    }
    url.set_port(Some(QDRANT_GRPC_PORT)).map_err(|()| {
        VectorError::invalid("QDRANT_URL", format!("`{rest_url}` cannot carry a port"))
    })?;
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

/// Collection metadata key holding the [`Recorded`] model.
const METADATA_KEY: &str = "posey";

/// Collections on a Qdrant server.
pub struct ServerStore {
    client: Qdrant,
    url: String,
    specs: RwLock<HashMap<String, CollectionSpec>>,
}

impl ServerStore {
    /// Connect to the server's gRPC endpoint `url` (see [`grpc_url`]), with an optional API
    /// key, and check that it answers.
    pub async fn connect(url: &str, api_key: Option<String>) -> Result<Self> {
        let parsed = url::Url::parse(url).map_err(|err| {
            VectorError::invalid("QDRANT_URL", format!("`{url}` is not a URL: {err}"))
        })?;
        if parsed.port() == Some(QDRANT_REST_PORT) {
            return Err(VectorError::invalid(
                "QDRANT_URL",
                format!(
                    "`{url}` names Qdrant's REST port {QDRANT_REST_PORT}; Posey talks gRPC, port \
                     {QDRANT_GRPC_PORT} by default"
                ),
            ));
        }
        let client = Qdrant::from_url(url)
            .api_key(api_key)
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(5))
            .skip_compatibility_check()
            .build()
            .with_context(|| format!("configuring the Qdrant client for {url}"))?;
        client.health_check().await.with_context(|| {
            format!("Qdrant at {url} (gRPC, from QDRANT_URL / QDRANT_GRPC_URL) does not answer")
        })?;
        Ok(Self { client, url: url.to_owned(), specs: RwLock::new(HashMap::new()) })
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    fn spec(&self, name: &str) -> Result<CollectionSpec> {
        self.specs
            .read()
            .map_err(|_| anyhow!("vector store lock poisoned"))?
            .get(name)
            .cloned()
            .ok_or_else(|| VectorError::UnknownCollection(name.to_owned()))
    }

    async fn recorded_on_server(&self, name: &str) -> Result<Option<Recorded>> {
        let info = self
            .client
            .collection_info(name)
            .await
            .with_context(|| format!("reading collection `{name}`"))?;
        let metadata = info.result.and_then(|i| i.config).map(|c| c.metadata).unwrap_or_default();
        let Some(value) = metadata.get(METADATA_KEY) else {
            return Ok(None);
        };
        let recorded = serde_json::from_value(value.clone().into_json()).with_context(|| {
            format!("collection `{name}` has unreadable `{METADATA_KEY}` metadata")
        })?;
        Ok(Some(recorded))
    }

    async fn create(&self, spec: &CollectionSpec) -> Result<()> {
        let mut vectors = VectorsConfigBuilder::default();
        vectors.add_named_vector_params(
            DENSE_VECTOR,
            VectorParamsBuilder::new(spec.dimension() as u64, Distance::Cosine),
        );
        let mut sparse = SparseVectorsConfigBuilder::default();
        sparse.add_named_vector_params(
            SPARSE_VECTOR,
            SparseVectorParamsBuilder::default().modifier(Modifier::Idf),
        );
        let recorded = serde_json::to_value(spec.recorded()).context("encoding the record")?;
        let metadata = HashMap::from([(METADATA_KEY.to_owned(), recorded)]);
        let created = self
            .client
            .create_collection(
                CreateCollectionBuilder::new(spec.name())
                    .vectors_config(vectors)
                    .sparse_vectors_config(sparse)
                    .metadata(metadata),
            )
            .await;
        if let Err(err) = created {
            // Another replica may have created it meanwhile; then its record decides.
            if self.client.collection_exists(spec.name()).await.unwrap_or(false) {
                return Ok(());
            }
            return Err(anyhow::Error::new(err)
                .context(format!("creating collection `{}`", spec.name()))
                .into());
        }
        tracing::info!(
            collection = spec.name(),
            model = spec.model(),
            dimension = spec.dimension(),
            "created Qdrant collection"
        );
        Ok(())
    }

    async fn ensure_indexes(&self, spec: &CollectionSpec) -> Result<()> {
        let tenant =
            CreateFieldIndexCollectionBuilder::new(spec.name(), USER_ID_FIELD, FieldType::Keyword)
                .field_index_params(KeywordIndexParamsBuilder::default().is_tenant(true))
                .wait(true);
        self.client.create_field_index(tenant).await.context("indexing `user_id`")?;
        for field in spec.keyword_indexes() {
            let index =
                CreateFieldIndexCollectionBuilder::new(spec.name(), field, FieldType::Keyword)
                    .wait(true);
            self.client
                .create_field_index(index)
                .await
                .with_context(|| format!("indexing `{field}`"))?;
        }
        Ok(())
    }
}

#[async_trait]
impl VectorStore for ServerStore {
    async fn ensure_collection(&self, spec: &CollectionSpec) -> Result<()> {
        let exists = self
            .client
            .collection_exists(spec.name())
            .await
            .with_context(|| format!("looking up collection `{}`", spec.name()))?;
        if !exists {
            self.create(spec).await?;
        }
        match self.recorded_on_server(spec.name()).await? {
            Some(found) => Recorded::check(spec, &found)?,
            None => {
                return Err(anyhow!(
                    "collection `{}` exists on {} without Posey's `{METADATA_KEY}` metadata (not \
                     created by Posey, or by an older version): drop it and reindex",
                    spec.name(),
                    self.url
                )
                .into());
            }
        }
        self.ensure_indexes(spec).await?;
        self.specs
            .write()
            .map_err(|_| anyhow!("vector store lock poisoned"))?
            .insert(spec.name().to_owned(), spec.clone());
        Ok(())
    }

    async fn drop_collection(&self, name: &str) -> Result<()> {
        crate::collection::check_name(name)?;
        self.specs.write().map_err(|_| anyhow!("vector store lock poisoned"))?.remove(name);
        let exists = self
            .client
            .collection_exists(name)
            .await
            .with_context(|| format!("looking up collection `{name}`"))?;
        if exists {
            self.client
                .delete_collection(name)
                .await
                .with_context(|| format!("dropping collection `{name}`"))?;
            tracing::info!(collection = name, "dropped Qdrant collection");
        }
        Ok(())
    }

    async fn upsert(&self, collection: &str, points: Vec<Point>) -> Result<()> {
        if points.is_empty() {
            return Ok(());
        }
        let spec = self.spec(collection)?;
        let mut structs = Vec::with_capacity(points.len());
        for point in &points {
            point.validate(spec.dimension())?;
            let mut vectors = NamedVectors::default()
                .add_vector(DENSE_VECTOR, qdrant::Vector::new_dense(point.dense.clone()));
            if let Some(sparse) = point.sparse.as_ref().filter(|s| !s.is_empty()) {
                vectors = vectors.add_vector(
                    SPARSE_VECTOR,
                    qdrant::Vector::new_sparse(sparse.indices.clone(), sparse.values.clone()),
                );
            }
            let payload = Payload::try_from(Value::Object(point.stored_payload()))
                .context("encoding the payload")?;
            structs.push(PointStruct::new(point.id, vectors, payload));
        }
        self.client
            .upsert_points(UpsertPointsBuilder::new(collection, structs).wait(true))
            .await
            .with_context(|| format!("upserting {} points into `{collection}`", points.len()))?;
        Ok(())
    }

    async fn delete_ids(&self, collection: &str, ids: &[Uuid]) -> Result<()> {
        self.spec(collection)?;
        if ids.is_empty() {
            return Ok(());
        }
        let ids: Vec<PointId> = ids.iter().map(|id| PointId::from(*id)).collect();
        self.client
            .delete_points(
                DeletePointsBuilder::new(collection).points(PointsIdsList { ids }).wait(true),
            )
            .await
            .with_context(|| format!("deleting points from `{collection}`"))?;
        Ok(())
    }

    async fn delete_by_filter(&self, collection: &str, filter: &UserFilter) -> Result<()> {
        self.spec(collection)?;
        self.client
            .delete_points(
                DeletePointsBuilder::new(collection).points(to_filter(filter)).wait(true),
            )
            .await
            .with_context(|| format!("deleting points by filter from `{collection}`"))?;
        Ok(())
    }

    async fn search(&self, collection: &str, query: &DenseQuery) -> Result<Vec<Hit>> {
        let spec = self.spec(collection)?;
        check_dense_query(&query.vector, query.limit, spec.dimension())?;
        let request = QueryPointsBuilder::new(collection)
            .query(Query::new_nearest(query.vector.clone()))
            .using(DENSE_VECTOR)
            .filter(to_filter(&query.filter))
            .limit(query.limit as u64)
            .with_payload(true);
        let response = self.client.query(request).await.context("dense search")?;
        response.result.into_iter().map(|p| to_hit(p.id, p.score, p.payload)).collect()
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
        let spec = self.spec(collection)?;
        check_dense_query(&query.vector, query.limit, spec.dimension())?;
        let filter = to_filter(&query.filter);
        let prefetch_limit = query.prefetch_limit() as u64;
        let dense = PrefetchQueryBuilder::default()
            .query(Query::new_nearest(query.vector.clone()))
            .using(DENSE_VECTOR)
            .filter(filter.clone())
            .limit(prefetch_limit);
        let sparse = PrefetchQueryBuilder::default()
            .query(Query::new_nearest(VectorInput::new_sparse(
                query.sparse.indices.clone(),
                query.sparse.values.clone(),
            )))
            .using(SPARSE_VECTOR)
            .filter(filter.clone())
            .limit(prefetch_limit);
        let request = QueryPointsBuilder::new(collection)
            .add_prefetch(dense)
            .add_prefetch(sparse)
            .query(Query::new_rrf(RrfBuilder::with_k(RRF_K as u32)))
            .filter(filter)
            .limit(query.limit as u64)
            .with_payload(true);
        let response = self.client.query(request).await.context("hybrid search")?;
        response.result.into_iter().map(|p| to_hit(p.id, p.score, p.payload)).collect()
    }

    async fn count(&self, collection: &str, scope: &PointScope) -> Result<u64> {
        self.spec(collection)?;
        let mut request = CountPointsBuilder::new(collection).exact(true);
        if let PointScope::Filter(filter) = scope {
            request = request.filter(to_filter(filter));
        }
        let response =
            self.client.count(request).await.with_context(|| format!("counting `{collection}`"))?;
        Ok(response.result.map(|r| r.count).unwrap_or(0))
    }

    async fn scroll(
        &self,
        collection: &str,
        scope: &PointScope,
        offset: Option<Uuid>,
        limit: usize,
    ) -> Result<ScrollPage> {
        self.spec(collection)?;
        check_limit(limit)?;
        let mut request = ScrollPointsBuilder::new(collection)
            .limit(limit as u32)
            .with_payload(true)
            .with_vectors(false);
        if let PointScope::Filter(filter) = scope {
            request = request.filter(to_filter(filter));
        }
        if let Some(offset) = offset {
            request = request.offset(offset);
        }
        let response = self
            .client
            .scroll(request)
            .await
            .with_context(|| format!("scrolling `{collection}`"))?;
        let records = response
            .result
            .into_iter()
            .map(|p| {
                let (user_id, payload) = split_payload(json_payload(p.payload))?;
                Ok(Record { id: uuid_of(p.id)?, user_id, payload })
            })
            .collect::<Result<_>>()?;
        let next = response.next_page_offset.map(|id| uuid_of(Some(id))).transpose()?;
        Ok(ScrollPage { records, next })
    }

    async fn optimize(&self, collection: &str) -> Result<()> {
        // The server's optimizers run in the background; nothing to wait for here.
        self.spec(collection)?;
        Ok(())
    }
}

fn to_filter(filter: &UserFilter) -> qdrant::Filter {
    let mut must = vec![qdrant::Condition::matches(USER_ID_FIELD, filter.user_id().to_string())];
    let mut must_not = Vec::new();
    for condition in filter.conditions() {
        match condition {
            Condition::Equals { key, value } => must.push(match_value(key, value)),
            Condition::NotEquals { key, value } => must_not.push(match_value(key, value)),
            Condition::AnyOf { key, values } => {
                must.push(qdrant::Condition::matches(key.as_str(), values.clone()));
            }
            Condition::Range { key, range } => must.push(qdrant::Condition::range(
                key.as_str(),
                qdrant::Range { lt: range.lt, gt: range.gt, gte: range.gte, lte: range.lte },
            )),
        }
    }
    qdrant::Filter { must, must_not, ..Default::default() }
}

fn match_value(key: &str, value: &FieldValue) -> qdrant::Condition {
    match value {
        FieldValue::Keyword(s) => qdrant::Condition::matches(key, s.clone()),
        FieldValue::Integer(i) => qdrant::Condition::matches(key, *i),
        FieldValue::Bool(b) => qdrant::Condition::matches(key, *b),
    }
}

fn json_payload(payload: HashMap<String, qdrant::Value>) -> Map<String, Value> {
    payload.into_iter().map(|(k, v)| (k, v.into_json())).collect()
}

fn uuid_of(id: Option<PointId>) -> Result<Uuid> {
    match id.and_then(|id| id.point_id_options) {
        Some(PointIdOptions::Uuid(s)) => {
            Ok(Uuid::parse_str(&s).with_context(|| format!("point id `{s}` is not a UUID"))?)
        }
        other => Err(anyhow!("point id {other:?} is not a UUID; Posey only writes UUIDs").into()),
    }
}

fn to_hit(id: Option<PointId>, score: f32, payload: HashMap<String, qdrant::Value>) -> Result<Hit> {
    let (user_id, payload) = split_payload(json_payload(payload))?;
    Ok(Hit { id: uuid_of(id)?, score, user_id, payload })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn grpc_url_moves_the_rest_port_to_the_grpc_port() {
        assert_eq!(grpc_url("http://qdrant:6333", None).unwrap(), "http://qdrant:6334");
        assert_eq!(grpc_url("https://q.example:6333/", None).unwrap(), "https://q.example:6334");
        assert_eq!(
            grpc_url("http://qdrant:6333", Some("http://grpc:7000")).unwrap(),
            "http://grpc:7000"
        );
        let err = grpc_url("http://qdrant:9999", Some(" ")).unwrap_err().to_string();
        assert!(err.contains("QDRANT_GRPC_URL"), "{err}");
        assert!(grpc_url("not a url", None).is_err());
    }
}
