//! What the tests of real models share: the local GGUF (which scripts/test installs and names in
//! POSEY_LOCAL_MODEL) and llama.cpp's OpenAI-compatible server started on it. A missing model or
//! server fails the test with the command that provides it, never skips it.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

use posey_models::{LocalModel, LocalModelConfig};

const HOW: &str = "run the tests through `scripts/test -p posey-models`, which installs both (see \
                   ensure_local_model and ensure_llama_server in scripts/lib.sh)";

/// The GGUF the tests run: $POSEY_LOCAL_MODEL.
pub fn model_path() -> PathBuf {
    let path = std::env::var_os("POSEY_LOCAL_MODEL").map(PathBuf::from).unwrap_or_else(|| {
        panic!("POSEY_LOCAL_MODEL is not set: it names the GGUF these tests run; {HOW}")
    });
    assert!(path.is_file(), "POSEY_LOCAL_MODEL={} is not a file; {HOW}", path.display());
    path
}

/// The local model, loaded once for the whole test binary.
pub fn local_model() -> LocalModel {
    static MODEL: OnceLock<LocalModel> = OnceLock::new();
    MODEL
        .get_or_init(|| {
            let mut config = LocalModelConfig::new(model_path());
            config.context_tokens = std::num::NonZeroU32::new(2048).unwrap();
            LocalModel::load_blocking(config).unwrap()
        })
        .clone()
}

/// llama.cpp's OpenAI-compatible server (llama-cpp-python) serving the test GGUF on a free
/// port; killed when dropped.
pub struct LlamaServer {
    child: Child,
    pub base_url: String,
}

impl LlamaServer {
    pub async fn start() -> Self {
        let python = std::env::var_os("TEST_LLAMA_SERVER_PYTHON").unwrap_or_else(|| {
            panic!(
                "TEST_LLAMA_SERVER_PYTHON is not set: it names the python that runs \
                 llama_cpp.server; {HOW}"
            )
        });
        let port = posey_testkit::free_port();
        let show_logs = std::env::var_os("TEST_LOG").is_some();
        let child = Command::new(&python)
            .args(["-m", "llama_cpp.server", "--host", "127.0.0.1", "--n_ctx", "2048"])
            .args(["--port", &port.to_string(), "--model_alias", "smollm2", "--model"])
            .arg(model_path())
            .stdout(if show_logs { Stdio::inherit() } else { Stdio::null() })
            .stderr(if show_logs { Stdio::inherit() } else { Stdio::null() })
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {python:?} -m llama_cpp.server: {e}; {HOW}"));
        let mut server = Self { child, base_url: format!("http://127.0.0.1:{port}/v1") };
        server.wait_ready().await;
        server
    }

    async fn wait_ready(&mut self) {
        let client = reqwest::Client::new();
        let url = format!("{}/models", self.base_url);
        // Loading a 100 MB model takes a second or two; allow a slow machine a minute.
        for _ in 0..600 {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("llama_cpp.server exited during start ({status}); TEST_LOG=1 shows its log");
            }
            if let Ok(response) = client.get(&url).send().await
                && response.status().is_success()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("llama_cpp.server did not answer {url} within 60 s");
    }
}

impl Drop for LlamaServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
