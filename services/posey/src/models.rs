//! Which chat model Posey uses and how to choose another: the line `posey up` logs, the advice
//! `posey doctor` gives, and `posey models` (the GGUF files in `<data dir>/models`).

use std::path::{Path, PathBuf};

use posey_config::ConfigError;
use posey_models::config::DEFAULT_LOCAL_MODEL_FILE;
use posey_models::{EmbeddingConfig, ModelConfig};

/// The chat model `POSEY_MODEL` selects, read through `lookup`, with the launcher's data dir
/// (however it was chosen) as the place the default GGUF lives.
pub fn chat_model(
    data_dir: &Path,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<ModelConfig, ConfigError> {
    let mut env = env_with_data_dir(data_dir, lookup);
    let model = ModelConfig::from_env(&mut env);
    env.finish(model)
}

/// The embedding model `POSEY_EMBEDDING_MODEL` selects, read like [`chat_model`].
pub fn embedding_model(
    data_dir: &Path,
    lookup: impl Fn(&str) -> Option<String>,
) -> Result<EmbeddingConfig, ConfigError> {
    let mut env = env_with_data_dir(data_dir, lookup);
    let model = EmbeddingConfig::from_env(&mut env);
    env.finish(model)
}

fn env_with_data_dir<'a>(
    data_dir: &Path,
    lookup: impl Fn(&str) -> Option<String> + 'a,
) -> posey_config::Env<'a> {
    let data_dir = data_dir.to_string_lossy().into_owned();
    posey_config::Env::new(move |name| match name {
        posey_config::DATA_DIR_VAR => Some(data_dir.clone()),
        _ => lookup(name),
    })
}

/// Whether `path` is the GGUF the setup scripts install: SmolLM2-135M, a demonstration-size
/// model (fast on any machine, but its answers are simple and it handles tools poorly).
pub fn is_demonstration_model(path: &Path) -> bool {
    path.file_name().is_some_and(|name| name == DEFAULT_LOCAL_MODEL_FILE)
}

/// What the chat model is, in one line: `local <file>` (saying when it is the
/// demonstration-size default), or the provider and model.
pub fn describe_chat(model: &ModelConfig) -> String {
    let Some(path) = model.local_model_path() else {
        return model.describe();
    };
    if is_demonstration_model(path) {
        format!(
            "local {DEFAULT_LOCAL_MODEL_FILE} (a demonstration-size model: answers will be \
             simple; see `posey models` for a better one)"
        )
    } else {
        format!("local {}", path.display())
    }
}

/// The ways to a better chat model, one per line, each true to what posey-models reads.
pub fn how_to_switch(models_dir: &Path) -> String {
    format!(
        "  any GGUF file:  drop it into {dir}: each person can then pick it in their \
         settings (or PUT /v1/me/model) without a restart; POSEY_LOCAL_MODEL=/path/to/model.gguf \
         makes one the default\n  \
         Ollama:         POSEY_MODEL=ollama:llama3.2 (and POSEY_MODEL_BASE_URL=http://host:11434 \
         when Ollama runs elsewhere)\n  \
         hosted:         POSEY_MODEL=openai:gpt-4o-mini with OPENAI_API_KEY (or \
         anthropic:claude-sonnet-4-5 with ANTHROPIC_API_KEY, ...)\n  \
         any OpenAI-compatible server: POSEY_MODEL=openai-compatible:<model> with \
         POSEY_MODEL_BASE_URL\n\
         (a variable takes effect when `posey up` starts again).",
        dir = models_dir.display()
    )
}

/// The directory `posey models` lists: `<data dir>/models`.
pub fn models_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("models")
}

/// One GGUF file found in the models directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GgufFile {
    pub path: PathBuf,
    pub bytes: u64,
}

/// The `.gguf` files directly in `dir` (the ones the agents service offers as `local:<file>`),
/// with their sizes; none when `dir` does not exist.
pub fn gguf_files(dir: &Path) -> std::io::Result<Vec<GgufFile>> {
    posey_models::gguf::gguf_files(dir)?
        .into_iter()
        .map(|path| Ok(GgufFile { bytes: std::fs::metadata(&path)?.len(), path }))
        .collect()
}

/// Sizes as people read them: `97.3 MB`, `4.9 GB`.
pub fn human_size(bytes: u64) -> String {
    // Display only; the precision lost above 2^52 bytes does not matter.
    #[allow(clippy::cast_precision_loss)]
    let bytes = bytes as f64;
    if bytes >= 1e9 {
        format!("{:.1} GB", bytes / 1e9)
    } else if bytes >= 1e6 {
        format!("{:.1} MB", bytes / 1e6)
    } else {
        format!("{:.1} kB", bytes / 1e3)
    }
}

/// The text `posey models` prints: the GGUF files in `<data dir>/models` (the one in use
/// marked), the chat model in use, and how to switch.
pub fn report(data_dir: &Path, lookup: impl Fn(&str) -> Option<String>) -> anyhow::Result<String> {
    let dir = models_dir(data_dir);
    let files = gguf_files(&dir)
        .map_err(|e| anyhow::anyhow!("cannot list the models in {}: {e}", dir.display()))?;
    let model = chat_model(data_dir, lookup);
    let in_use = model.as_ref().ok().and_then(ModelConfig::local_model_path);
    let mut out = String::new();
    if files.is_empty() {
        out.push_str(&format!("No GGUF models in {}.\n", dir.display()));
    } else {
        out.push_str(&format!("GGUF models in {}:\n", dir.display()));
        let width = files.iter().map(|f| file_name(&f.path).len()).max().unwrap_or(0);
        for file in &files {
            let mark = if in_use.is_some_and(|p| same_file(p, &file.path)) { "*" } else { " " };
            let mut notes = Vec::new();
            if mark == "*" {
                notes.push("in use");
            }
            if is_demonstration_model(&file.path) {
                notes.push("demonstration-size");
            }
            let notes =
                if notes.is_empty() { String::new() } else { format!("  ({})", notes.join(", ")) };
            out.push_str(&format!(
                "{mark} {:<width$}  {:>9}{notes}\n",
                file_name(&file.path),
                human_size(file.bytes)
            ));
        }
    }
    out.push('\n');
    match &model {
        Ok(model) => {
            out.push_str(&format!("Chat model in use: {}\n", describe_chat(model)));
            if let Some(path) = model.local_model_path()
                && !path.is_file()
            {
                out.push_str(&format!(
                    "  {} does not exist, so chat replies fail (scripts/up installs the default).\n",
                    path.display()
                ));
            }
        }
        Err(e) => out.push_str(&format!("Chat model: not usable as configured: {e}\n")),
    }
    out.push_str("\nTo switch, set one of these for `posey up`:\n");
    out.push_str(&how_to_switch(&dir));
    out.push('\n');
    Ok(out)
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into())
}

fn same_file(a: &Path, b: &Path) -> bool {
    a == b
        || matches!(
            (std::fs::canonicalize(a), std::fs::canonicalize(b)),
            (Ok(a), Ok(b)) if a == b
        )
}

/// Logs, at the start of `posey up`, which chat and embedding models the services will use.
pub fn log_choice(data_dir: &Path) {
    let lookup = |name: &str| std::env::var(name).ok();
    match chat_model(data_dir, lookup) {
        Ok(model) => {
            let missing = model.local_model_path().is_some_and(|p| !p.is_file());
            if missing {
                tracing::warn!(
                    "chat model: {} (the file is missing: chat replies will fail; see `posey \
                     doctor`)",
                    describe_chat(&model)
                );
            } else {
                tracing::info!("chat model: {}", describe_chat(&model));
            }
        }
        // The agents service reports the problem itself, naming the variable.
        Err(e) => tracing::warn!("chat model: not usable as configured: {e}"),
    }
    match embedding_model(data_dir, lookup) {
        Ok(model) => match model.local().map(|local| local.missing_files()) {
            Some(missing) if !missing.is_empty() => tracing::warn!(
                "embedding model: {} (lacks {}: memory and document search will fail; see `posey \
                 doctor`)",
                model.describe(),
                missing.join(", ")
            ),
            _ => tracing::info!("embedding model: {}", model.describe()),
        },
        Err(e) => tracing::warn!("embedding model: not usable as configured: {e}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_default_file_is_demonstration_size() {
        assert!(is_demonstration_model(Path::new("/d/models/SmolLM2-135M-Instruct.Q4_1.gguf")));
        assert!(!is_demonstration_model(Path::new("/d/models/Qwen2.5-7B-Instruct-Q4_K_M.gguf")));
    }

    #[test]
    fn sizes_read_as_people_read_them() {
        assert_eq!(human_size(97_300_000), "97.3 MB");
        assert_eq!(human_size(4_920_000_000), "4.9 GB");
        assert_eq!(human_size(2_048), "2.0 kB");
    }
}
