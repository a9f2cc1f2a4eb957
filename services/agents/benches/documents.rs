//! Document ingestion throughput in pages per second, on a generated PAGES-page PDF (about
//! 2,400 characters of text a page, as a page of prose): extraction and chunking alone (the
//! blocking part), then the whole pipeline as the service runs it (the worker claims the queued
//! document in Postgres, extracts, chunks, stores the chunks, embeds them with the real local
//! all-MiniLM-L6-v2 and upserts them into Qdrant Edge, then marks it ready).
//!
//! Run by `bench/documents/run`. Usage: documents <data dir>  [PAGES=200 RUNS=3]
//! Needs TEST_DATABASE_URL (a server where it may create a database) and
//! POSEY_LOCAL_EMBEDDING_MODEL.
#![allow(clippy::print_stdout, clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use lopdf::{Document, Object, Stream, dictionary};
use posey_agents::config::DocumentSettings;
use posey_agents::documents::db::{self, Inserted, NewDocument};
use posey_agents::documents::extract::{self, Kind, Limits};
use posey_agents::documents::{Documents, chunk};
use posey_agents::knowledge::Knowledge;
use posey_models::EmbeddingConfig;
use posey_models::embeddings::LocalEmbeddingConfig;
use posey_vector::{EdgeStore, VectorStore};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

const WORDS: &[&str] = &[
    "the",
    "warranty",
    "covers",
    "parts",
    "and",
    "labour",
    "for",
    "months",
    "after",
    "purchase",
    "clean",
    "the",
    "filter",
    "every",
    "week",
    "press",
    "button",
    "to",
    "start",
    "device",
    "battery",
    "charge",
    "fully",
    "before",
    "first",
    "use",
    "contact",
    "support",
    "with",
    "serial",
    "number",
    "of",
    "your",
    "appliance",
    "safety",
    "instructions",
    "water",
    "power",
];

fn env(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// A PDF of `pages` pages, 40 lines of about 60 characters each.
fn pdf(pages: usize) -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(dictionary! {
        "Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica",
    });
    let kids: Vec<Object> = (0..pages)
        .map(|page| {
            let mut content =
                format!("BT\n/F1 10 Tf\n12 TL\n50 760 Td\n(Page {} ) Tj T*\n", page + 1);
            for _ in 0..40 {
                let mut line = String::new();
                while line.len() < 60 {
                    line.push_str(WORDS[(next() % WORDS.len() as u64) as usize]);
                    line.push(' ');
                }
                content.push_str(&format!("({line}) Tj T*\n"));
            }
            content.push_str("ET\n");
            let contents = doc.add_object(Stream::new(dictionary! {}, content.into_bytes()));
            Object::Reference(doc.add_object(dictionary! {
                "Type" => "Page",
                "Parent" => pages_id,
                "MediaBox" => vec![0.into(), 0.into(), 612.into(), 792.into()],
                "Resources" => dictionary! { "Font" => dictionary! { "F1" => font_id } },
                "Contents" => contents,
            }))
        })
        .collect();
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages", "Kids" => kids, "Count" => pages as i64,
        }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    doc.compress();
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes).unwrap();
    bytes
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
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
        .expect("usage: documents <data dir>");
    let pages = env("PAGES", 200);
    let runs = env("RUNS", 3).max(1);
    let model_dir = std::env::var("POSEY_LOCAL_EMBEDDING_MODEL")
        .expect("POSEY_LOCAL_EMBEDDING_MODEL: the all-MiniLM-L6-v2 directory");

    let bytes = pdf(pages);
    println!("a {pages}-page PDF of {} KiB", bytes.len() / 1024);

    // Extraction and chunking alone.
    let mut times = Vec::new();
    let mut chunks = 0;
    for _ in 0..runs {
        let start = Instant::now();
        let extracted = extract::extract(Kind::Pdf, &bytes, &Limits::default()).unwrap();
        chunks = chunk::chunk(&extracted).len();
        times.push(start.elapsed());
        assert_eq!(extracted.pages, Some(pages as u32));
    }
    let took = median(times);
    println!(
        "extraction + chunking: {:.0} pages/s ({pages} pages, {chunks} chunks, median of {runs}: \
         {:.2} s)",
        pages as f64 / took.as_secs_f64(),
        took.as_secs_f64()
    );

    // The whole pipeline, through the worker.
    let embedder =
        EmbeddingConfig::Local(LocalEmbeddingConfig::new(&model_dir)).load().await.unwrap();
    embedder.embed_one("warm up").await.unwrap();
    let path = dir.join("vectors");
    let store = tokio::task::spawn_blocking(move || EdgeStore::open(path)).await.unwrap().unwrap();
    let knowledge =
        Arc::new(Knowledge { embedder, store: Arc::new(store) as Arc<dyn VectorStore> });
    let database = posey_testkit::TestDatabase::new().await;
    // Files are read in a child process, as the service reads them.
    let settings = DocumentSettings {
        max_upload_bytes: bytes.len() + 1,
        extractor: Some(env!("CARGO_BIN_EXE_posey-agents").into()),
        ..DocumentSettings::default()
    };
    let documents = Documents::new(database.pool.clone(), knowledge, &settings).unwrap();
    let stop = CancellationToken::new();
    documents.start(stop.clone()).await.unwrap();

    let mut times = Vec::new();
    for run in 0..runs {
        // Another person each run: the same bytes are a new document for them.
        let person = Uuid::now_v7();
        let start = Instant::now();
        let new = NewDocument {
            user_id: person,
            filename: "manual.pdf",
            media_type: Kind::Pdf.media_type(),
            sha256: &run.to_be_bytes(),
            content: &bytes,
        };
        let Inserted::Queued(document) = db::insert(&database.pool, new, 1).await.unwrap() else {
            panic!("the document was not queued");
        };
        documents.queued();
        loop {
            let now = db::get(&database.pool, person, document.id).await.unwrap().unwrap();
            match now.status.as_str() {
                "ready" => break,
                "failed" => panic!("ingestion failed: {:?}", now.error),
                _ => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        }
        times.push(start.elapsed());
    }
    stop.cancel();
    let took = median(times);
    println!(
        "whole pipeline (queue, extract, chunk, store, embed, index): {:.1} pages/s, {:.1} \
         chunks/s (median of {runs}: {:.1} s)",
        pages as f64 / took.as_secs_f64(),
        chunks as f64 / took.as_secs_f64(),
        took.as_secs_f64()
    );
}
