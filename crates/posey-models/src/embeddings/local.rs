//! The embedded default: a sentence-transformers BERT model (all-MiniLM-L6-v2) run in process
//! through candle on the CPU. Texts are tokenized with the model's own `tokenizer.json`, truncated
//! to the model's window (`sentence_bert_config.json`'s `max_seq_length`, 256 for MiniLM; else
//! the position embeddings' 512), padded per batch to the batch's longest text, run through BERT,
//! mean-pooled over the attention mask and scaled to unit length, as sentence-transformers does.
//!
//! Everything here blocks: [`super::Embedder`] calls it on tokio's blocking threads.

use std::path::Path;

use candle_core::{D, DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config};
use tokenizers::{PaddingParams, PaddingStrategy, Tokenizer, TruncationParams};

use super::config::LocalEmbeddingConfig;
use super::error::EmbeddingError;
use super::vector::normalize;

const CONFIG_FILE: &str = "config.json";
const TOKENIZER_FILE: &str = "tokenizer.json";
const WEIGHTS_FILE: &str = "model.safetensors";
const SENTENCE_CONFIG_FILE: &str = "sentence_bert_config.json";

/// A loaded BERT sentence-embedding model. Not `Clone`: share it through [`super::Embedder`].
pub struct LocalEmbedder {
    model: BertModel,
    tokenizer: Tokenizer,
    device: Device,
    name: String,
    dimension: usize,
    max_tokens: usize,
    max_batch: usize,
}

impl LocalEmbedder {
    /// Loads the model's files from `config.dir` (it reads ~90 MB: call it off the async
    /// threads, as [`super::EmbeddingConfig::load`] does).
    pub fn load(config: &LocalEmbeddingConfig) -> Result<Self, EmbeddingError> {
        let dir = &config.dir;
        if let Some(&file) = config.missing_files().first() {
            return Err(EmbeddingError::LocalModelMissing { dir: dir.clone(), file });
        }
        let fail = |what: &str, e: &dyn std::fmt::Display| EmbeddingError::LocalModelLoad {
            dir: dir.clone(),
            message: format!("{what}: {e}"),
        };

        let text =
            std::fs::read_to_string(dir.join(CONFIG_FILE)).map_err(|e| fail(CONFIG_FILE, &e))?;
        let bert: Config = serde_json::from_str(&text).map_err(|e| fail(CONFIG_FILE, &e))?;
        let max_tokens = window(dir, &text).map_err(|e| fail(SENTENCE_CONFIG_FILE, &e))?;

        let mut tokenizer =
            Tokenizer::from_file(dir.join(TOKENIZER_FILE)).map_err(|e| fail(TOKENIZER_FILE, &e))?;
        // The file's own settings (MiniLM's: pad every text to 128, cut at 128) are replaced:
        // pad each batch only to its longest text, cut at the model's window.
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            pad_id: u32::try_from(bert.pad_token_id).unwrap_or(0),
            ..PaddingParams::default()
        }));
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: max_tokens,
                ..Default::default()
            }))
            .map_err(|e| fail(TOKENIZER_FILE, &e))?;

        let device = Device::Cpu;
        // Read into memory (not mmap: this workspace forbids unsafe code).
        let tensors = candle_core::safetensors::load(dir.join(WEIGHTS_FILE), &device)
            .map_err(|e| fail(WEIGHTS_FILE, &e))?;
        let weights = VarBuilder::from_tensors(tensors, DType::F32, &device);
        let model = BertModel::load(weights, &bert).map_err(|e| fail(WEIGHTS_FILE, &e))?;

        let name = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "local".to_owned());
        tracing::info!(model = %name, dir = %dir.display(), dimension = bert.hidden_size, max_tokens, "local embedding model loaded");
        Ok(Self {
            model,
            tokenizer,
            device,
            name,
            dimension: bert.hidden_size,
            max_tokens,
            max_batch: config.max_batch.get(),
        })
    }

    /// One unit vector per text, in batches of at most `max_batch` (this thread blocks).
    pub fn embed_blocking(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbeddingError> {
        let mut vectors = Vec::with_capacity(texts.len());
        for batch in texts.chunks(self.max_batch) {
            vectors.extend(self.embed_batch(batch)?);
        }
        Ok(vectors)
    }

    fn embed_batch(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbeddingError> {
        let inference = |e: &dyn std::fmt::Display| EmbeddingError::Inference(e.to_string());
        let inputs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let encodings = self.tokenizer.encode_batch(inputs, true).map_err(|e| inference(&e))?;
        let rows = encodings.len();
        let columns = encodings.first().map_or(0, |e| e.get_ids().len());
        let flatten = |part: fn(&tokenizers::Encoding) -> &[u32]| -> Vec<u32> {
            encodings.iter().flat_map(|e| part(e).iter().copied()).collect()
        };
        let tensor = |data: Vec<u32>| Tensor::from_vec(data, (rows, columns), &self.device);
        let run = || -> candle_core::Result<Vec<Vec<f32>>> {
            let ids = tensor(flatten(tokenizers::Encoding::get_ids))?;
            let type_ids = tensor(flatten(tokenizers::Encoding::get_type_ids))?;
            let mask = tensor(flatten(tokenizers::Encoding::get_attention_mask))?;
            // (rows, columns, hidden)
            let hidden = self.model.forward(&ids, &type_ids, Some(&mask))?;
            // Mean over the real tokens only: padding must not pull a short text's vector.
            let mask = mask.to_dtype(DType::F32)?.unsqueeze(D::Minus1)?;
            let summed = hidden.broadcast_mul(&mask)?.sum(1)?;
            let counts = mask.sum(1)?.clamp(1e-9, f32::MAX)?;
            summed.broadcast_div(&counts)?.to_vec2::<f32>()
        };
        let mut vectors = run().map_err(|e| inference(&e))?;
        vectors.iter_mut().for_each(|v| normalize(v));
        Ok(vectors)
    }

    pub fn dimension(&self) -> usize {
        self.dimension
    }

    /// The model directory's name (`all-MiniLM-L6-v2`).
    pub fn model_name(&self) -> &str {
        &self.name
    }

    /// Tokens kept per text; the rest is cut off.
    pub fn max_tokens(&self) -> usize {
        self.max_tokens
    }

    pub fn max_batch(&self) -> usize {
        self.max_batch
    }
}

/// Tokens per text: `sentence_bert_config.json`'s `max_seq_length` when the directory has one
/// (what the model was trained on), never more than the position embeddings allow.
fn window(dir: &Path, config_json: &str) -> Result<usize, String> {
    let positions = serde_json::from_str::<serde_json::Value>(config_json)
        .ok()
        .and_then(|c| c.get("max_position_embeddings")?.as_u64())
        .and_then(|n| usize::try_from(n).ok())
        .unwrap_or(512);
    let path = dir.join(SENTENCE_CONFIG_FILE);
    if !path.is_file() {
        return Ok(positions);
    }
    let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
    let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
    let trained = value
        .get("max_seq_length")
        .and_then(serde_json::Value::as_u64)
        .and_then(|n| usize::try_from(n).ok())
        .filter(|&n| n > 0)
        .ok_or("max_seq_length is missing or not a positive number")?;
    Ok(trained.min(positions))
}
