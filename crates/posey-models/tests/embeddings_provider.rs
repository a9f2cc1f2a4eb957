//! Provider embeddings through rig-core against a real OpenAI-compatible server: llama.cpp's
//! (llama-cpp-python, which scripts/test installs and names in TEST_LLAMA_SERVER_PYTHON) serving
//! the test GGUF (POSEY_LOCAL_MODEL) with `--embedding`. Its vectors are not a sentence model's,
//! so this checks the plumbing (configuration, batching, order, dimension, unit length), not the
//! meaning, which tests/embeddings.rs checks on the local model.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use posey_config::Env;
use posey_models::embeddings::EmbeddingConfig;

const HOW: &str = "run the tests through `scripts/test -p posey-models`, which installs both (see \
                   ensure_local_model and ensure_llama_server in scripts/lib.sh)";

/// llama_cpp.server as installed, with mean pooling: the server has no option for it, and a
/// GGUF of a chat model has no pooling of its own, so without it the server answers one vector
/// per token, which no OpenAI client reads.
const SERVE_WITH_MEAN_POOLING: &str = r#"
import functools, runpy, sys
import llama_cpp
_init = llama_cpp.Llama.__init__
@functools.wraps(_init)
def init(self, *args, **kwargs):
    kwargs["pooling_type"] = llama_cpp.LLAMA_POOLING_TYPE_MEAN
    _init(self, *args, **kwargs)
llama_cpp.Llama.__init__ = init
sys.argv[0] = "llama_cpp.server"
runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
"#;

/// The server, killed when dropped.
struct EmbeddingServer {
    child: Child,
    base_url: String,
}

impl EmbeddingServer {
    async fn start() -> Self {
        let python = std::env::var_os("TEST_LLAMA_SERVER_PYTHON").unwrap_or_else(|| {
            panic!("TEST_LLAMA_SERVER_PYTHON is not set: it runs llama_cpp.server; {HOW}")
        });
        let model = std::env::var_os("POSEY_LOCAL_MODEL").map(PathBuf::from).unwrap_or_else(|| {
            panic!("POSEY_LOCAL_MODEL is not set: it names the GGUF the server runs; {HOW}")
        });
        assert!(model.is_file(), "POSEY_LOCAL_MODEL={} is not a file; {HOW}", model.display());
        let port = posey_testkit::free_port();
        let logs = || {
            if std::env::var_os("TEST_LOG").is_some() { Stdio::inherit() } else { Stdio::null() }
        };
        let child = Command::new(&python)
            .args(["-c", SERVE_WITH_MEAN_POOLING, "--host", "127.0.0.1", "--embedding", "true"])
            .args(["--port", &port.to_string(), "--model_alias", "smollm2-embed", "--model"])
            .arg(&model)
            .stdout(logs())
            .stderr(logs())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {python:?} -m llama_cpp.server: {e}; {HOW}"));
        let mut server = Self { child, base_url: format!("http://127.0.0.1:{port}/v1") };
        let client = reqwest::Client::new();
        let url = format!("{}/models", server.base_url);
        for _ in 0..600 {
            if let Some(status) = server.child.try_wait().unwrap() {
                panic!("llama_cpp.server exited during start ({status}); TEST_LOG=1 shows its log");
            }
            if let Ok(response) = client.get(&url).send().await
                && response.status().is_success()
            {
                return server;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("llama_cpp.server did not answer {url} within 60 s");
    }
}

impl Drop for EmbeddingServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn config(pairs: &[(&str, &str)]) -> EmbeddingConfig {
    let mut env = Env::from_pairs(pairs.iter().copied());
    let config = EmbeddingConfig::from_env(&mut env);
    env.finish(config).unwrap()
}

#[tokio::test]
async fn an_openai_compatible_server_embeds_in_batches_in_order() {
    let server = EmbeddingServer::start().await;
    // Batches of 2, so 5 texts take three requests.
    let embedder = config(&[
        ("POSEY_EMBEDDING_MODEL", "openai-compatible:smollm2-embed"),
        ("POSEY_EMBEDDING_BASE_URL", &server.base_url),
        ("POSEY_EMBEDDING_BATCH_SIZE", "2"),
    ])
    .load()
    .await
    .unwrap();
    // The dimension was learnt from the server: SmolLM2-135M's hidden size.
    assert_eq!(embedder.dimension(), 576);
    assert_eq!(embedder.model_name(), "openai-compatible:smollm2-embed");

    let texts: Vec<String> =
        ["one", "the cat sits on the mat", "two", "quarterly revenue", "three"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
    let batched = embedder.embed(&texts).await.unwrap();
    assert_eq!(batched.len(), 5);
    for v in &batched {
        assert_eq!(v.len(), 576);
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4, "norm {norm}");
    }
    // Order kept across requests: each text's vector is the one it gets alone.
    for (text, from_batch) in texts.iter().zip(&batched) {
        let single = embedder.embed_one(text).await.unwrap();
        let diff = single.iter().zip(from_batch).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(diff < 1e-3, "{text:?}: batch and single differ by {diff}");
    }
    assert!(embedder.embed(&[]).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_declared_dimension_the_server_does_not_match_is_an_error() {
    let server = EmbeddingServer::start().await;
    let embedder = config(&[
        ("POSEY_EMBEDDING_MODEL", "openai-compatible:smollm2-embed"),
        ("POSEY_EMBEDDING_BASE_URL", &server.base_url),
        ("POSEY_EMBEDDING_DIMENSIONS", "384"),
    ])
    .load()
    .await
    .unwrap();
    assert_eq!(embedder.dimension(), 384);
    let error = embedder.embed_one("hello").await.unwrap_err().to_string();
    assert!(error.contains("576") && error.contains("384"), "{error}");
}

#[tokio::test]
async fn a_server_that_is_not_there_fails_at_load_naming_the_model() {
    let port = posey_testkit::free_port();
    let url = format!("http://127.0.0.1:{port}/v1");
    let error = config(&[
        ("POSEY_EMBEDDING_MODEL", "openai-compatible:nothing"),
        ("POSEY_EMBEDDING_BASE_URL", &url),
    ])
    .load()
    .await
    .unwrap_err()
    .to_string();
    assert!(error.contains("openai-compatible:nothing"), "{error}");
}
