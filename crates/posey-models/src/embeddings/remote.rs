//! A provider's embedding model through rig-core: texts go in requests of at most `max_batch`,
//! and every vector comes back checked (one per text, all the same length) and scaled to unit
//! length, so it mixes with nothing but itself and compares like the local model's.

use rig_core::DynModel;
use rig_core::operation::Embedding;

use super::config::RemoteEmbeddingConfig;
use super::error::EmbeddingError;
use super::vector::normalize;

/// A provider's embedding model, ready. Clones share the HTTP client.
#[derive(Clone, Debug)]
pub struct RemoteEmbedder {
    model: DynModel<Embedding>,
    name: String,
    dimension: usize,
    max_batch: usize,
}

impl RemoteEmbedder {
    /// The model `config` names. Without `POSEY_EMBEDDING_DIMENSIONS`, one text is embedded to
    /// learn the dimension (which also checks the provider answers).
    pub async fn connect(config: &RemoteEmbeddingConfig) -> Result<Self, EmbeddingError> {
        let mut embedder = Self {
            model: config.model(),
            name: config.name(),
            dimension: config.dimensions.map_or(0, |d| d.get()),
            max_batch: config.max_batch.get(),
        };
        if embedder.dimension == 0 {
            let probe = embedder.request(&["dimension probe".to_owned()]).await?;
            embedder.dimension = probe.first().map_or(0, Vec::len);
            if embedder.dimension == 0 {
                return Err(embedder.fail("it returned an empty vector"));
            }
        }
        Ok(embedder)
    }

    pub(crate) async fn embed(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbeddingError> {
        let mut vectors = Vec::with_capacity(texts.len());
        for batch in texts.chunks(self.max_batch) {
            for vector in self.request(batch).await? {
                if vector.len() != self.dimension {
                    return Err(self.fail(format!(
                        "it returned a vector of {} dimensions, not {}",
                        vector.len(),
                        self.dimension
                    )));
                }
                vectors.push(vector);
            }
        }
        Ok(vectors)
    }

    /// One request: one unit vector per text, in order.
    async fn request(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbeddingError> {
        let response = self.model.call(texts.to_vec()).await.map_err(|e| self.fail(e))?;
        if response.embeddings.len() != texts.len() {
            return Err(self.fail(format!(
                "it returned {} vectors for {} texts",
                response.embeddings.len(),
                texts.len()
            )));
        }
        Ok(response
            .embeddings
            .into_iter()
            .map(|embedding| {
                // f32 is what vector stores keep; the provider's f64 carries no more meaning.
                #[allow(clippy::cast_possible_truncation)]
                let mut vector: Vec<f32> = embedding.vec.iter().map(|&x| x as f32).collect();
                normalize(&mut vector);
                vector
            })
            .collect())
    }

    fn fail(&self, message: impl std::fmt::Display) -> EmbeddingError {
        EmbeddingError::Provider { model: self.name.clone(), message: message.to_string() }
    }

    pub fn dimension(&self) -> usize {
        self.dimension
    }

    pub fn model_name(&self) -> &str {
        &self.name
    }

    pub fn max_batch(&self) -> usize {
        self.max_batch
    }
}
