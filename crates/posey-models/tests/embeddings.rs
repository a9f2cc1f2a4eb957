//! The local embedding model (all-MiniLM-L6-v2 through candle) with the real weights, which
//! scripts/test installs and names in POSEY_LOCAL_EMBEDDING_MODEL. A missing model fails the test
//! with the command that installs it, never skips it.
#![allow(clippy::unwrap_used)]

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::OnceLock;

use posey_models::Embedder;
use posey_models::embeddings::{
    EmbeddingConfig, EmbeddingError, LocalEmbeddingConfig, cosine_similarity,
};

const HOW: &str = "run the tests through `scripts/test -p posey-models`, which installs it (see \
                   ensure_embedding_model in scripts/lib.sh)";

/// The model directory the tests run: $POSEY_LOCAL_EMBEDDING_MODEL.
fn model_dir() -> PathBuf {
    let dir =
        std::env::var_os("POSEY_LOCAL_EMBEDDING_MODEL").map(PathBuf::from).unwrap_or_else(|| {
            panic!("POSEY_LOCAL_EMBEDDING_MODEL is not set: it names the model directory; {HOW}")
        });
    assert!(
        dir.join("model.safetensors").is_file(),
        "POSEY_LOCAL_EMBEDDING_MODEL={} has no model.safetensors; {HOW}",
        dir.display()
    );
    dir
}

async fn load(max_batch: usize) -> Embedder {
    let mut config = LocalEmbeddingConfig::new(model_dir());
    config.max_batch = NonZeroUsize::new(max_batch).unwrap();
    EmbeddingConfig::Local(config).load().await.unwrap()
}

/// The model loaded once per test binary (each #[tokio::test] has its own runtime, but the
/// embedder does not belong to one: it runs on whichever runtime calls it).
async fn embedder() -> Embedder {
    static EMBEDDER: OnceLock<Embedder> = OnceLock::new();
    if let Some(embedder) = EMBEDDER.get() {
        return embedder.clone();
    }
    let embedder = load(32).await;
    EMBEDDER.get_or_init(|| embedder).clone()
}

fn texts(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| (*s).to_owned()).collect()
}

fn norm(v: &[f32]) -> f32 {
    v.iter().map(|x| x * x).sum::<f32>().sqrt()
}

#[tokio::test]
async fn vectors_have_384_dimensions_and_unit_length() {
    let embedder = embedder().await;
    assert_eq!(embedder.dimension(), 384);
    assert_eq!(embedder.model_name(), model_dir().file_name().unwrap().to_str().unwrap());
    let vectors = embedder.embed(&texts(&["The cat sits on the mat", "Hello"])).await.unwrap();
    assert_eq!(vectors.len(), 2);
    for v in &vectors {
        assert_eq!(v.len(), 384);
        assert!((norm(v) - 1.0).abs() < 1e-4, "norm {}", norm(v));
    }
    assert_ne!(vectors[0], vectors[1]);
}

#[tokio::test]
async fn related_sentences_score_higher_than_unrelated_ones() {
    let embedder = embedder().await;
    let v = embedder
        .embed(&texts(&[
            "The cat sits on the mat",
            "A kitten is resting on a rug",
            "Quarterly revenue rose 4%",
            "My sister lives in Lisbon and works as a nurse",
            "Where does my sister live?",
        ]))
        .await
        .unwrap();
    let related = cosine_similarity(&v[0], &v[1]);
    let unrelated = cosine_similarity(&v[0], &v[2]);
    assert!(related > unrelated + 0.3, "related {related} vs unrelated {unrelated}");
    // A question finds the memory it is about, ahead of the others.
    let question = &v[4];
    let best = (0..4)
        .max_by(|&a, &b| {
            cosine_similarity(question, &v[a]).total_cmp(&cosine_similarity(question, &v[b]))
        })
        .unwrap();
    assert_eq!(best, 3);
}

#[tokio::test]
async fn a_batch_gives_the_same_vectors_as_one_text_at_a_time() {
    // Batches of 3 over 7 texts of very different lengths: three batches, each padded to its own
    // longest text, the last one short.
    let embedder = load(3).await;
    assert_eq!(embedder.max_batch(), 3);
    let items = texts(&[
        "Short.",
        "A considerably longer sentence about gardening, tomatoes and the summer rain in Porto.",
        "I prefer tea over coffee in the morning.",
        "",
        "Remind me to call the dentist on Tuesday at 10.",
        "ok",
        "The meeting with the architects moved to Thursday because the drawings were late.",
    ]);
    let batched = embedder.embed(&items).await.unwrap();
    assert_eq!(batched.len(), items.len());
    for (text, from_batch) in items.iter().zip(&batched) {
        let single = embedder.embed_one(text).await.unwrap();
        let diff = single.iter().zip(from_batch).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(diff < 1e-4, "{text:?}: batch and single differ by {diff}");
    }
}

#[tokio::test]
async fn empty_input_and_empty_text() {
    let embedder = embedder().await;
    assert!(embedder.embed(&[]).await.unwrap().is_empty());
    // An empty text is still a vector (of [CLS] [SEP]), not an error.
    let v = embedder.embed_one("").await.unwrap();
    assert_eq!(v.len(), 384);
    assert!((norm(&v) - 1.0).abs() < 1e-4);
}

#[tokio::test]
async fn a_very_long_text_is_truncated_not_refused() {
    let embedder = embedder().await;
    // ~3k words: far past the 256-token window (and the 512 position embeddings).
    let head = "The cat sits on the mat. ".repeat(60);
    let long = format!("{head}{}", "Quarterly revenue rose 4% in the north. ".repeat(400));
    let v = embedder.embed(&texts(&[&long, &head])).await.unwrap();
    assert_eq!(v[0].len(), 384);
    assert!((norm(&v[0]) - 1.0).abs() < 1e-4);
    // Only the first 256 tokens count: the head alone is 420 tokens, so both read the same.
    let same = cosine_similarity(&v[0], &v[1]);
    assert!(same > 0.999, "the tail changed the vector: {same}");
}

#[tokio::test]
async fn many_concurrent_calls_share_one_model() {
    let embedder = embedder().await;
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let embedder = embedder.clone();
            tokio::spawn(async move { embedder.embed_one(&format!("note number {i}")).await })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap().len(), 384);
    }
}

#[tokio::test]
async fn a_missing_model_names_the_file_and_the_fix() {
    let dir = tempfile_dir();
    let error = EmbeddingConfig::Local(LocalEmbeddingConfig::new(&dir)).load().await.unwrap_err();
    assert!(matches!(error, EmbeddingError::LocalModelMissing { .. }), "{error}");
    let message = error.to_string();
    assert!(message.contains("config.json") && message.contains("scripts/up"), "{message}");
}

fn tempfile_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("posey-no-embedding-model-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
