//! Memory retrieval latency: the hybrid (dense + BM25, fused) search the `memory` plugin runs
//! before each turn, on the `memories` collection in Qdrant Edge, excluding embedding. For
//! each size, one person owns SIZE memories and others own OTHERS more (so the person filter
//! matters); texts are sentences drawn from a memory-like vocabulary (for BM25) and vectors are
//! random unit vectors (a real embedding of 100k texts would take an hour on this machine; the
//! search cost does not depend on where the vectors came from). Queries run after `optimize`,
//! unfiltered and filtered by kind. Embedding time is measured separately: the real local
//! all-MiniLM-L6-v2 embedding EMBED_TEXTS texts one at a time, as a turn embeds its message.
//!
//! Run by `bench/memory/run`. Usage: memory <data dir>
//!   [SIZES=10000,100000 OTHERS=20000 QUERIES=1000 LIMIT=5 EMBED_TEXTS=200]
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use posey_agents::knowledge::Knowledge;
use posey_agents::memory::{COLLECTION, Kind};
use posey_domain::UserId;
use posey_models::EmbeddingConfig;
use posey_models::embeddings::LocalEmbeddingConfig;
use posey_vector::{EdgeStore, HybridQuery, Point, SparseEncoder, UserFilter, VectorStore};
use uuid::Uuid;

const WORDS: &[&str] = &[
    "kayak", "river", "birthday", "sister", "coffee", "espresso", "meeting", "doctor", "passport",
    "travel", "garden", "tomato", "piano", "lesson", "budget", "rent", "invoice", "flight",
    "hotel", "recipe", "pasta", "allergy", "peanut", "running", "marathon", "book", "novel",
    "office", "project", "deadline", "vacation", "beach", "mountain", "dog", "vet", "school",
    "prefers", "likes", "lives", "works", "daughter", "son", "wife", "husband", "friend", "tea",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn unit_vector(&mut self, dimension: usize) -> Vec<f32> {
        let mut v: Vec<f32> =
            (0..dimension).map(|_| (self.next() % 1_000_000) as f32 / 500_000.0 - 1.0).collect();
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter_mut().for_each(|x| *x /= norm);
        v
    }

    fn text(&mut self, words: usize) -> String {
        (0..words)
            .map(|_| WORDS[(self.next() % WORDS.len() as u64) as usize])
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn kind(&mut self) -> Kind {
        Kind::ALL[(self.next() % Kind::ALL.len() as u64) as usize]
    }
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

fn report(what: &str, mut times: Vec<Duration>) {
    times.sort();
    println!(
        "  {what:<34} p50 {:>7.3} ms   p95 {:>7.3} ms   p99 {:>7.3} ms   ({} queries)",
        percentile(&times, 0.50),
        percentile(&times, 0.95),
        percentile(&times, 0.99),
        times.len()
    );
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes --bench; `cargo test --all-targets` passes nothing and should not
    // run it. The data dir is the first other argument.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let dir = std::env::args()
        .skip(1)
        .find(|arg| !arg.starts_with("--"))
        .map(std::path::PathBuf::from)
        .expect("usage: memory <data dir>");
    let sizes: Vec<usize> = std::env::var("SIZES")
        .unwrap_or_else(|_| "10000,100000".into())
        .split(',')
        .map(|s| s.trim().parse().unwrap())
        .collect();
    let others = env("OTHERS", 20_000);
    let queries = env("QUERIES", 1_000);
    let limit = env("LIMIT", 5);
    let embed_texts = env("EMBED_TEXTS", 200);
    let model_dir = std::env::var("POSEY_LOCAL_EMBEDDING_MODEL").expect(
        "POSEY_LOCAL_EMBEDDING_MODEL: the all-MiniLM-L6-v2 directory (bench/memory/run sets it)",
    );

    let loading = Instant::now();
    let embedder =
        EmbeddingConfig::Local(LocalEmbeddingConfig::new(&model_dir)).load().await.unwrap();
    println!("embedding model loaded in {:.1} s", loading.elapsed().as_secs_f64());
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);

    // Embedding, separately: one message at a time, as before a turn.
    let mut times = Vec::with_capacity(embed_texts);
    embedder.embed_one("warm up").await.unwrap();
    for _ in 0..embed_texts {
        let n = 6 + (rng.next() % 20) as usize;
        let text = rng.text(n);
        let start = Instant::now();
        embedder.embed_one(&text).await.unwrap();
        times.push(start.elapsed());
    }
    println!("embedding (all-MiniLM-L6-v2 on CPU, one 6-25 word message per call):");
    report("embed_one", times);

    let dimension = embedder.dimension();
    for size in sizes {
        let path = dir.join(format!("memories-{size}"));
        let store =
            tokio::task::spawn_blocking(move || EdgeStore::open(path)).await.unwrap().unwrap();
        let knowledge = Knowledge {
            embedder: embedder.clone(),
            store: Arc::new(store) as Arc<dyn VectorStore>,
        };
        let spec = posey_agents::memory::spec(&knowledge).unwrap();
        knowledge.store.ensure_collection(&spec).await.unwrap();

        let person = UserId::from_uuid(Uuid::now_v7());
        let other_people: Vec<UserId> =
            (0..100).map(|_| UserId::from_uuid(Uuid::now_v7())).collect();
        let encoder = SparseEncoder::new();
        let loading = Instant::now();
        let total = size + others;
        let mut batch = Vec::with_capacity(1_000);
        for i in 0..total {
            let owner = if i < size { person } else { other_people[i % other_people.len()] };
            let n = 5 + (rng.next() % 10) as usize;
            let text = rng.text(n);
            let point = Point::new(Uuid::now_v7(), owner, rng.unit_vector(dimension))
                .with_sparse(encoder.encode_document(&text))
                .with_field("kind", rng.kind().as_str());
            batch.push(point);
            if batch.len() == 1_000 {
                knowledge.store.upsert(COLLECTION, std::mem::take(&mut batch)).await.unwrap();
            }
        }
        if !batch.is_empty() {
            knowledge.store.upsert(COLLECTION, batch).await.unwrap();
        }
        let inserted = loading.elapsed();
        let optimizing = Instant::now();
        knowledge.store.optimize(COLLECTION).await.unwrap();
        println!(
            "\n{size} memories of one person + {others} of 100 others: inserted in {:.1} s, \
             optimized in {:.1} s",
            inserted.as_secs_f64(),
            optimizing.elapsed().as_secs_f64()
        );

        for filtered in [false, true] {
            let mut times = Vec::with_capacity(queries);
            for _ in 0..queries {
                let n = 3 + (rng.next() % 6) as usize;
                let text = rng.text(n);
                let vector = rng.unit_vector(dimension);
                let mut filter = UserFilter::for_user(person);
                if filtered {
                    filter = filter.eq("kind", rng.kind().as_str()).unwrap();
                }
                let start = Instant::now();
                let query = HybridQuery::from_text(vector, &text, filter, limit);
                let hits = knowledge.store.hybrid_search(COLLECTION, &query).await.unwrap();
                times.push(start.elapsed());
                assert!(hits.iter().all(|hit| hit.user_id == person));
            }
            let label =
                if filtered { "hybrid top-5, person + kind" } else { "hybrid top-5, person" };
            report(&label.replace("5", &limit.to_string()), times);
        }
    }
}
