//! `posey models` and `posey doctor` say which chat model is in use and how to use a better one,
//! run as a person would: the real binary on a temporary data dir.

// A failed unwrap in a test helper fails the test, which is what it should do.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

const DEMO: &str = "SmolLM2-135M-Instruct.Q4_1.gguf";
const OTHER: &str = "Qwen2.5-3B-Instruct-Q4_K_M.gguf";

/// The output of `posey <command>` with only `vars` (and the data dir) in its environment, so
/// the developer's own model settings do not leak in.
fn posey(command: &str, data_dir: &Path, vars: &[(&str, &str)]) -> String {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_posey"));
    cmd.arg(command).env_clear().env("POSEY_DATA_DIR", data_dir).env("RUST_LOG", "warn");
    if let Some(path) = std::env::var_os("PATH") {
        cmd.env("PATH", path);
    }
    cmd.envs(vars.iter().copied());
    let out = cmd.output().unwrap();
    let text =
        format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    if command == "models" {
        assert!(out.status.success(), "posey models failed:\n{text}");
    }
    text
}

/// A data dir whose models directory holds two small fake GGUF files (and a non-GGUF file).
fn data_dir_with_two_models() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path().join("models");
    std::fs::create_dir(&models).unwrap();
    std::fs::write(models.join(DEMO), vec![0u8; 2_000]).unwrap();
    std::fs::write(models.join(OTHER), vec![0u8; 3_000_000]).unwrap();
    std::fs::write(models.join("notes.txt"), b"not a model").unwrap();
    dir
}

fn line_with<'a>(text: &'a str, needle: &str) -> &'a str {
    text.lines().find(|l| l.contains(needle)).unwrap_or_else(|| panic!("no {needle} in:\n{text}"))
}

#[test]
fn models_lists_the_ggufs_marks_the_one_in_use_and_says_how_to_switch() {
    let dir = data_dir_with_two_models();
    let out = posey("models", dir.path(), &[]);

    assert!(out.contains(&dir.path().join("models").display().to_string()), "{out}");
    let demo = line_with(&out, DEMO);
    assert!(demo.starts_with('*'), "the default is in use:\n{out}");
    assert!(demo.contains("2.0 kB"), "{out}");
    assert!(demo.contains("in use") && demo.contains("demonstration-size"), "{out}");
    let other = line_with(&out, OTHER);
    assert!(other.starts_with(' ') && !other.contains("in use"), "{out}");
    assert!(other.contains("3.0 MB") && !other.contains("demonstration"), "{out}");
    assert!(!out.contains("notes.txt"), "{out}");

    let in_use = line_with(&out, "Chat model in use:");
    assert!(in_use.contains(&format!("local {DEMO}")) && in_use.contains("demonstration"), "{out}");
    for advice in [
        "without a restart",
        "POSEY_LOCAL_MODEL=",
        "POSEY_MODEL=ollama:",
        "POSEY_MODEL_BASE_URL",
        "POSEY_MODEL=openai:",
        "OPENAI_API_KEY",
    ] {
        assert!(out.contains(advice), "no {advice} in:\n{out}");
    }

    // Pointing POSEY_LOCAL_MODEL at the other file moves the mark.
    let other_path = dir.path().join("models").join(OTHER);
    let out = posey("models", dir.path(), &[("POSEY_LOCAL_MODEL", other_path.to_str().unwrap())]);
    assert!(line_with(&out, OTHER).starts_with('*'), "{out}");
    assert!(line_with(&out, DEMO).starts_with(' '), "{out}");
    let in_use = line_with(&out, "Chat model in use:");
    assert!(in_use.contains(OTHER) && !in_use.contains("demonstration"), "{out}");

    // A hosted model: no file is in use.
    let hosted = [("POSEY_MODEL", "openai:gpt-4o-mini"), ("OPENAI_API_KEY", "sk-test")];
    let out = posey("models", dir.path(), &hosted);
    assert!(!out.lines().any(|l| l.starts_with('*')), "{out}");
    assert!(line_with(&out, "Chat model in use:").ends_with("openai:gpt-4o-mini"), "{out}");
    assert!(!out.contains("sk-test"), "{out}");
}

#[test]
fn models_on_an_empty_data_dir_says_so_and_that_the_default_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let out = posey("models", dir.path(), &[]);
    assert!(out.contains("No GGUF models in"), "{out}");
    assert!(out.contains("does not exist"), "{out}");
    assert!(out.contains("POSEY_LOCAL_MODEL="), "{out}");
}

#[test]
fn doctor_names_the_chat_model_and_how_to_use_a_better_one() {
    let dir = data_dir_with_two_models();
    let out = posey("doctor", dir.path(), &[]);
    let chat = line_with(&out, "chat model");
    assert!(chat.contains(&format!("local {DEMO}")), "{out}");
    assert!(chat.contains("demonstration-size"), "{out}");
    for advice in ["POSEY_LOCAL_MODEL=", "POSEY_MODEL=ollama:", "OPENAI_API_KEY", "posey models"] {
        assert!(out.contains(advice), "no {advice} in:\n{out}");
    }

    // A better local model: named, and no advice to replace it.
    let other_path = dir.path().join("models").join(OTHER);
    let out = posey("doctor", dir.path(), &[("POSEY_LOCAL_MODEL", other_path.to_str().unwrap())]);
    let chat = line_with(&out, "chat model");
    assert!(chat.contains(OTHER) && !chat.contains("demonstration"), "{out}");
    assert!(!out.contains("POSEY_MODEL=ollama:"), "{out}");
}

#[test]
fn up_says_which_models_it_uses_before_anything_else() {
    let dir = data_dir_with_two_models();
    // A database that refuses at once: `posey up` logs its models, then stops.
    let vars = [
        ("DATABASE_URL", "postgres://posey@127.0.0.1:1/posey"),
        ("DATABASE_CONNECT_TIMEOUT", "1"),
        ("RUST_LOG", "info"),
    ];
    let out = posey("up", dir.path(), &vars);
    let chat = line_with(&out, "chat model:");
    assert!(chat.contains(&format!("chat model: local {DEMO} (a demonstration-size")), "{out}");
    assert!(chat.contains("posey models"), "{out}");
    let embedding = line_with(&out, "embedding model:");
    assert!(embedding.contains("all-MiniLM-L6-v2") && embedding.contains("lacks"), "{out}");

    let hosted = [("POSEY_MODEL", "openai:gpt-4o-mini"), ("OPENAI_API_KEY", "sk-test")];
    let out = posey("up", dir.path(), &[&vars[..], &hosted[..]].concat());
    assert!(line_with(&out, "chat model:").ends_with("chat model: openai:gpt-4o-mini"), "{out}");
}
