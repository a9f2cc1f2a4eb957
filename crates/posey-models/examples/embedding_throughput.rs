//! Prints the local embedding model's throughput (sentences/s) at batch sizes 1, 8 and 32.
//!
//! ```sh
//! POSEY_LOCAL_EMBEDDING_MODEL=~/.cache/posey/models/all-MiniLM-L6-v2 \
//!   cargo run --release -p posey-models --example embedding_throughput
//! ```
//!
//! The model directory comes from the same variables as the service's (POSEY_LOCAL_EMBEDDING_MODEL,
//! else POSEY_DATA_DIR); scripts/lib.sh's ensure_embedding_model installs it.

// A program whose output is its figures.
#![allow(clippy::print_stdout)]

use std::num::NonZeroUsize;
use std::time::Instant;

use posey_config::Env;
use posey_models::embeddings::EmbeddingConfig;

/// Sentences of the length memories and chunks have: a clause to a couple of sentences.
const SENTENCES: [&str; 8] = [
    "My sister lives in Lisbon and works as a nurse at the central hospital.",
    "I prefer tea over coffee in the morning.",
    "Remind me to call the dentist on Tuesday at ten.",
    "The meeting with the architects moved to Thursday because the drawings were late.",
    "Quarterly revenue rose 4% on the back of strong sales in the northern region.",
    "The cat sits on the mat.",
    "We planted tomatoes, basil and two rows of beans along the south fence this spring.",
    "Allergic to penicillin.",
];

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let total = 512;
    let texts: Vec<String> =
        (0..total).map(|i| format!("{} ({i})", SENTENCES[i % SENTENCES.len()])).collect();
    println!("threads: {}", std::thread::available_parallelism().map_or(1, NonZeroUsize::get));
    for batch in [1usize, 8, 32] {
        let mut env = Env::process();
        let config = EmbeddingConfig::from_env(&mut env);
        let mut config = env.finish(config)?;
        if let EmbeddingConfig::Local(local) = &mut config {
            local.max_batch = NonZeroUsize::new(batch).ok_or("batch is not zero")?;
        }
        let embedder = config.load().await?;
        // Warm up (first allocations, page faults on the weights).
        embedder.embed(&texts[..batch]).await?;
        let start = Instant::now();
        let vectors = embedder.embed(&texts).await?;
        let seconds = start.elapsed().as_secs_f64();
        assert_eq!(vectors.len(), total);
        #[allow(clippy::cast_precision_loss)]
        let rate = total as f64 / seconds;
        println!(
            "{}: batch {batch:>2}: {rate:>7.1} sentences/s ({total} sentences in {seconds:.2} s)",
            embedder.model_name()
        );
    }
    Ok(())
}
