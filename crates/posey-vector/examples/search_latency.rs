//! Search latency of a [`VectorStore`] at a given size, excluding embedding: random unit
//! vectors of dimension 384 (all-MiniLM-L6-v2's), spread over a few hundred people, each query
//! scoped to one person as every real search is. Run by `bench/vector/run`; prints figures.
//!
//! Usage: search_latency <data dir> [SIZES=10000,100000 USERS=300 QUERIES=2000 LIMIT=10 OPTIMIZE=1]
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::time::{Duration, Instant};

use posey_domain::UserId;
use posey_vector::{
    CollectionSpec, DenseQuery, EdgeStore, HybridQuery, Point, SparseEncoder, UserFilter,
    VectorStore,
};
use uuid::Uuid;

const DIM: usize = 384;
const WORDS: &[&str] = &[
    "kayak", "river", "birthday", "sister", "coffee", "espresso", "meeting", "doctor", "passport",
    "travel", "garden", "tomato", "piano", "lesson", "budget", "rent", "invoice", "flight",
    "hotel", "recipe", "pasta", "allergy", "peanut", "running", "marathon", "book", "novel",
    "office", "project", "deadline", "vacation", "beach", "mountain", "dog", "vet", "school",
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn unit(&mut self) -> f32 {
        (self.next() % 1_000_000) as f32 / 500_000.0 - 1.0
    }

    fn unit_vector(&mut self) -> Vec<f32> {
        let mut v: Vec<f32> = (0..DIM).map(|_| self.unit()).collect();
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
        "  {what:<28} p50 {:>7.3} ms   p95 {:>7.3} ms   p99 {:>7.3} ms   ({} queries)",
        percentile(&times, 0.50),
        percentile(&times, 0.95),
        percentile(&times, 0.99),
        times.len()
    );
}

async fn measure<S: VectorStore>(
    store: &S,
    name: &str,
    users: &[UserId],
    queries: usize,
    limit: usize,
    label: &str,
) {
    let mut rng = Rng(0xDEAD_BEEF);
    let encoder = SparseEncoder::new();
    let mut dense_times = Vec::with_capacity(queries);
    let mut hybrid_times = Vec::with_capacity(queries);
    for _ in 0..queries {
        let user = users[(rng.next() % users.len() as u64) as usize];
        let vector = rng.unit_vector();
        let query =
            DenseQuery { vector: vector.clone(), filter: UserFilter::for_user(user), limit };
        let start = Instant::now();
        let hits = store.search(name, &query).await.unwrap();
        dense_times.push(start.elapsed());
        assert!(hits.iter().all(|h| h.user_id == user));

        let hybrid = HybridQuery {
            vector,
            sparse: encoder.encode_query(&rng.text(3)),
            filter: UserFilter::for_user(user),
            limit,
        };
        let start = Instant::now();
        store.hybrid_search(name, &hybrid).await.unwrap();
        hybrid_times.push(start.elapsed());
    }
    report(&format!("dense search, {label}"), dense_times);
    report(&format!("hybrid search, {label}"), hybrid_times);
}

#[tokio::main]
async fn main() {
    let dir = std::env::args().nth(1).expect("usage: search_latency <data dir>");
    let sizes: Vec<usize> = std::env::var("SIZES")
        .unwrap_or_else(|_| "10000,100000".into())
        .split(',')
        .map(|s| s.trim().parse().expect("SIZES: comma-separated numbers"))
        .collect();
    let user_count = env("USERS", 300);
    let queries = env("QUERIES", 2000);
    let limit = env("LIMIT", 10);

    let store = EdgeStore::open(&dir).unwrap();
    let users: Vec<UserId> = (0..user_count).map(|_| UserId::new()).collect();
    let encoder = SparseEncoder::new();
    for size in sizes {
        let name = format!("bench-{size}");
        store
            .ensure_collection(&CollectionSpec::new(&name, "random-unit-vectors", DIM).unwrap())
            .await
            .unwrap();
        let mut rng = Rng(size as u64 | 1);
        let start = Instant::now();
        for batch_start in (0..size).step_by(1000) {
            let points = (batch_start..(batch_start + 1000).min(size))
                .map(|i| {
                    Point::new(Uuid::new_v4(), users[i % users.len()], rng.unit_vector())
                        .with_sparse(encoder.encode_document(&rng.text(12)))
                        .with_field("kind", if i % 3 == 0 { "fact" } else { "event" })
                })
                .collect();
            store.upsert(&name, points).await.unwrap();
        }
        let load = start.elapsed();
        println!(
            "Qdrant Edge, {size} points of dimension {DIM}, {user_count} users (~{} points each), limit {limit}:",
            size / user_count
        );
        println!(
            "  loaded in {:.1} s ({:.0} points/s)",
            load.as_secs_f64(),
            size as f64 / load.as_secs_f64()
        );
        measure(&store, &name, &users, queries, limit, "as written").await;
        if env("OPTIMIZE", 1) == 0 {
            store.drop_collection(&name).await.unwrap();
            continue;
        }
        let start = Instant::now();
        store.optimize(&name).await.unwrap();
        println!("  optimize (index build) took {:.1} s", start.elapsed().as_secs_f64());
        measure(&store, &name, &users, queries, limit, "after optimize").await;
        store.drop_collection(&name).await.unwrap();
    }
}
