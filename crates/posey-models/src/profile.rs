//! What a chat model can be trusted with: its context size, how well it calls tools and whether
//! it can hand tasks to other agents. The agents runtime shapes turns by it: a tiny model gets
//! no delegation and only the few tools that matter for the message, and every model's output
//! budget comes from its context size.
//!
//! The profile is derived from the model: a GGUF's header (its trained context and its size), a
//! table of known provider models, or safe defaults; operators override any part of it (the
//! agents file's `models:` list, or `POSEY_MODEL_*` for the default model, see
//! [`ProfileOverride::from_env`]).

use std::path::Path;

use posey_config::Env;
use serde::{Deserialize, Serialize};

use crate::config::{LocalModelConfig, ModelConfig, local_file};
use crate::gguf;

pub const CONTEXT_VAR: &str = "POSEY_MODEL_CONTEXT_TOKENS";
pub const MAX_OUTPUT_VAR: &str = "POSEY_MODEL_MAX_OUTPUT_TOKENS";
pub const TOOLS_VAR: &str = "POSEY_MODEL_TOOLS";
pub const DELEGATION_VAR: &str = "POSEY_MODEL_DELEGATION";

/// A local model with fewer parameters than this calls tools only weakly and does not delegate
/// (SmolLM2-135M and -360M; from about a billion parameters models follow the tool protocol and
/// a specialist's description well enough).
pub const CAPABLE_PARAMETERS: u64 = 1_000_000_000;

/// The longest reply of a local model under [`CAPABLE_PARAMETERS`]: such a model's useful
/// answers are a few sentences, and past them it rambles until its budget runs out, which on a
/// small machine is most of a slow turn's time. `POSEY_MODEL_MAX_OUTPUT_TOKENS` (or the agents
/// file's `models:`) sets another.
pub const SMALL_MODEL_REPLY_TOKENS: u32 = 256;

/// The most context a local model under [`CAPABLE_PARAMETERS`] is given, whatever it was
/// trained for: past it such a model makes no better use of an older message, and every token
/// of a longer prompt slows each step (on the companion bench, a 135M model evaluated prompts at
/// about 270 tokens a second with 250 tokens before them and 130 with 3,000). A longer
/// conversation keeps its latest part. `POSEY_MODEL_CONTEXT_TOKENS` sets another.
pub const SMALL_MODEL_CONTEXT_TOKENS: u32 = 2048;

/// How well a model calls tools.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ToolCalling {
    /// Offer it every tool its agent has; it chooses.
    Full,
    /// Offer it only the tools most relevant to the message (none for small talk): it cannot
    /// choose among many.
    Weak,
    /// Offer it no tools.
    None,
}

impl std::str::FromStr for ToolCalling {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text.trim() {
            "full" => Ok(Self::Full),
            "weak" => Ok(Self::Weak),
            "none" => Ok(Self::None),
            other => Err(format!("{other:?} is not one of full, weak, none")),
        }
    }
}

/// What a model can be trusted with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelProfile {
    /// Tokens of prompt and reply together that one request may use.
    pub context_tokens: u32,
    /// The most tokens one reply may have, when the model (or its provider) caps it below the
    /// context.
    pub max_output_tokens: Option<u32>,
    pub tools: ToolCalling,
    /// Whether it may hand tasks to specialist agents.
    pub delegation: bool,
}

impl ModelProfile {
    /// A model nothing is known about: a modest context, trusted with tools and delegation.
    pub const UNKNOWN: Self = Self {
        context_tokens: 8192,
        max_output_tokens: None,
        tools: ToolCalling::Full,
        delegation: true,
    };

    /// The profile of a local GGUF run with `config`: its context is the configured window
    /// capped at what the model was trained for; under [`CAPABLE_PARAMETERS`] it calls tools
    /// weakly and does not delegate. A header that cannot be read gives the configured window
    /// and the cautious choices.
    pub fn local(config: &LocalModelConfig) -> Self {
        match gguf::read_info(&config.path) {
            Ok(info) => Self::from_gguf(&info, config.context_tokens.get()),
            Err(error) => {
                tracing::debug!(%error, "no profile from the GGUF header");
                Self {
                    context_tokens: config.context_tokens.get().min(SMALL_MODEL_CONTEXT_TOKENS),
                    max_output_tokens: Some(SMALL_MODEL_REPLY_TOKENS),
                    tools: ToolCalling::Weak,
                    delegation: false,
                }
            }
        }
    }

    /// The profile of a GGUF with header `info`, run with a window of `window` tokens.
    pub fn from_gguf(info: &gguf::GgufInfo, window: u32) -> Self {
        let trained = info.context_length.map_or(window, |n| u32::try_from(n).unwrap_or(u32::MAX));
        let capable = info.parameters >= CAPABLE_PARAMETERS;
        let context = window.min(trained);
        Self {
            context_tokens: if capable { context } else { context.min(SMALL_MODEL_CONTEXT_TOKENS) }
                .max(1),
            max_output_tokens: (!capable).then_some(SMALL_MODEL_REPLY_TOKENS),
            tools: if capable { ToolCalling::Full } else { ToolCalling::Weak },
            delegation: capable,
        }
    }

    /// The profile of a provider's model: known families' context and output limits (as the
    /// providers document them), else [`Self::UNKNOWN`].
    pub fn remote(provider: &str, model: &str) -> Self {
        let known = |context_tokens, max_output: u32| Self {
            context_tokens,
            max_output_tokens: Some(max_output),
            ..Self::UNKNOWN
        };
        let model = model.to_ascii_lowercase();
        let starts = |prefix: &str| model.starts_with(prefix);
        match provider {
            "openai" | "azure" if starts("gpt-4.1") => known(1_047_576, 32_768),
            "openai" | "azure" if starts("gpt-5") => known(400_000, 128_000),
            "openai" | "azure" if starts("gpt-4o") => known(128_000, 16_384),
            "openai" | "azure" if starts("o1") || starts("o3") || starts("o4") => {
                known(200_000, 100_000)
            }
            "openai" | "azure" if starts("gpt-4-turbo") => known(128_000, 4_096),
            "openai" | "azure" if starts("gpt-3.5") => known(16_385, 4_096),
            "anthropic" if model.contains("haiku") && model.contains("claude-3-") => {
                known(200_000, 4_096)
            }
            "anthropic" if starts("claude-3") => known(200_000, 8_192),
            "anthropic" if starts("claude") => known(200_000, 32_000),
            "gemini" if starts("gemini-2.5") => known(1_048_576, 65_536),
            "gemini" if starts("gemini") => known(1_048_576, 8_192),
            // Ollama serves every model with its own context setting (num_ctx), 4096 by
            // default, whatever the model was trained for.
            "ollama" => Self { context_tokens: 4096, ..Self::UNKNOWN },
            _ => Self::UNKNOWN,
        }
    }

    /// The deterministic test models: any context, every tool, delegation.
    pub const TEST: Self = Self {
        context_tokens: 32_768,
        max_output_tokens: None,
        tools: ToolCalling::Full,
        delegation: true,
    };

    /// The most tokens a reply may take when the prompt takes about `prompt_tokens`: the room
    /// left in the context, and no more than the model's output cap, or a quarter of the context
    /// when it has none (a reply longer than that from a local model is a runaway, and its time
    /// is the person's wait). `None`: the prompt leaves no room.
    pub fn reply_budget(&self, prompt_tokens: u64) -> Option<u64> {
        let context = u64::from(self.context_tokens);
        let room = context.checked_sub(prompt_tokens).filter(|room| *room > 0)?;
        let cap = self.max_output_tokens.map_or(context / 4, u64::from).max(1);
        Some(room.min(cap))
    }
}

/// An operator's corrections to a model's derived profile; unset fields keep the derived value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileOverride {
    #[serde(default)]
    pub context_tokens: Option<u32>,
    #[serde(default)]
    pub max_output_tokens: Option<u32>,
    #[serde(default)]
    pub tools: Option<ToolCalling>,
    #[serde(default)]
    pub delegation: Option<bool>,
}

impl ProfileOverride {
    /// `POSEY_MODEL_CONTEXT_TOKENS`, `POSEY_MODEL_MAX_OUTPUT_TOKENS`, `POSEY_MODEL_TOOLS`
    /// (`full`, `weak`, `none`) and `POSEY_MODEL_DELEGATION` (`true`, `false`): the default
    /// model's profile as the operator knows it.
    pub fn from_env(env: &mut Env<'_>) -> Self {
        let positive = |env: &mut Env<'_>, name: &str| {
            let value = env.optional::<u32>(name);
            if value == Some(0) {
                env.problem(name, "must be at least 1");
            }
            value.filter(|n| *n > 0)
        };
        let context_tokens = positive(env, CONTEXT_VAR);
        let max_output_tokens = positive(env, MAX_OUTPUT_VAR);
        let tools = env.optional::<ToolCalling>(TOOLS_VAR);
        let delegation = env.optional::<bool>(DELEGATION_VAR);
        Self { context_tokens, max_output_tokens, tools, delegation }
    }

    /// Whether it changes anything.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// `profile` with these corrections.
    pub fn apply(&self, profile: ModelProfile) -> ModelProfile {
        ModelProfile {
            context_tokens: self.context_tokens.unwrap_or(profile.context_tokens).max(1),
            max_output_tokens: self.max_output_tokens.or(profile.max_output_tokens),
            tools: self.tools.unwrap_or(profile.tools),
            delegation: self.delegation.unwrap_or(profile.delegation),
        }
    }

    /// `later`'s fields where set, else these.
    pub fn then(&self, later: &Self) -> Self {
        Self {
            context_tokens: later.context_tokens.or(self.context_tokens),
            max_output_tokens: later.max_output_tokens.or(self.max_output_tokens),
            tools: later.tools.or(self.tools),
            delegation: later.delegation.or(self.delegation),
        }
    }
}

impl ModelConfig {
    /// What it can be trusted with (derived; operators' overrides are applied by the caller).
    pub fn profile(&self) -> ModelProfile {
        match self {
            Self::Local(local) => ModelProfile::local(local),
            Self::Test => ModelProfile::TEST,
            Self::Remote(remote) => ModelProfile::remote(&remote.provider, &remote.model),
        }
    }
}

/// The derived profile of the model `spec` names (`POSEY_MODEL`'s syntax), without loading it
/// or needing its keys: `local` is `local`'s GGUF, `local:<file>` a GGUF in `models_dir` run
/// like it; a spec that is none of the known forms (a test's own) gets [`ModelProfile::UNKNOWN`].
pub fn derived(spec: &str, local: &LocalModelConfig, models_dir: Option<&Path>) -> ModelProfile {
    match spec.trim() {
        "local" => ModelProfile::local(local),
        "test" => ModelProfile::TEST,
        spec => {
            if let Some(file) = local_file(spec) {
                return match models_dir {
                    Some(dir) => ModelProfile::local(&local.with_path(dir.join(file))),
                    None => ModelProfile::UNKNOWN,
                };
            }
            match spec.split_once(':') {
                Some((provider, model)) => ModelProfile::remote(provider.trim(), model.trim()),
                None => ModelProfile::UNKNOWN,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(parameters: u64, context: Option<u64>) -> gguf::GgufInfo {
        gguf::GgufInfo {
            architecture: "llama".into(),
            name: None,
            context_length: context,
            parameters,
        }
    }

    #[test]
    fn small_gguf_models_call_tools_weakly_never_delegate_and_answer_briefly() {
        let tiny = ModelProfile::from_gguf(&info(134_515_008, Some(8192)), 4096);
        assert_eq!(tiny.context_tokens, SMALL_MODEL_CONTEXT_TOKENS, "under the window of 4096");
        let narrow = ModelProfile::from_gguf(&info(134_515_008, Some(8192)), 1024);
        assert_eq!(narrow.context_tokens, 1024, "the configured window, under the small cap");
        assert_eq!(tiny.tools, ToolCalling::Weak);
        assert!(!tiny.delegation);
        assert_eq!(tiny.max_output_tokens, Some(SMALL_MODEL_REPLY_TOKENS), "it rambles past that");
        assert_eq!(tiny.reply_budget(1000), Some(u64::from(SMALL_MODEL_REPLY_TOKENS)));
        let big = ModelProfile::from_gguf(&info(8_030_261_248, Some(3072)), 4096);
        assert_eq!(big.context_tokens, 3072, "the trained context, under the window");
        let long = ModelProfile::from_gguf(&info(8_030_261_248, Some(131_072)), 16_384);
        assert_eq!(long.context_tokens, 16_384, "the window: no small model's cap");
        assert_eq!(big.tools, ToolCalling::Full);
        assert!(big.delegation);
        assert_eq!(big.max_output_tokens, None, "a quarter of its context");
    }

    #[test]
    fn known_provider_models_have_their_limits() {
        let mini = ModelProfile::remote("openai", "gpt-4o-mini");
        assert_eq!((mini.context_tokens, mini.max_output_tokens), (128_000, Some(16_384)));
        assert_eq!(ModelProfile::remote("ollama", "llama3.2").context_tokens, 4096);
        assert_eq!(ModelProfile::remote("groq", "whatever"), ModelProfile::UNKNOWN);
    }

    #[test]
    fn the_reply_budget_is_the_room_left_up_to_the_cap() {
        let local = ModelProfile { context_tokens: 4096, ..ModelProfile::UNKNOWN };
        assert_eq!(local.reply_budget(500), Some(1024), "a quarter of the context");
        assert_eq!(local.reply_budget(3500), Some(596), "the room left");
        assert_eq!(local.reply_budget(4096), None);
        let hosted = ModelProfile::remote("openai", "gpt-4o");
        assert_eq!(hosted.reply_budget(1000), Some(16_384), "the provider's output cap");
    }

    #[test]
    fn overrides_replace_only_what_they_set() {
        let mut env = Env::from_pairs([(TOOLS_VAR, "none"), (CONTEXT_VAR, "2048")]);
        let set = ProfileOverride::from_env(&mut env);
        env.finish(Some(())).unwrap();
        let profile = set.apply(ModelProfile::UNKNOWN);
        assert_eq!(profile.tools, ToolCalling::None);
        assert_eq!(profile.context_tokens, 2048);
        assert!(profile.delegation);
        let later = ProfileOverride { delegation: Some(false), ..ProfileOverride::default() };
        assert!(!set.then(&later).apply(ModelProfile::UNKNOWN).delegation);
        let mut env = Env::from_pairs([(TOOLS_VAR, "some"), (DELEGATION_VAR, "maybe")]);
        let _ = ProfileOverride::from_env(&mut env);
        let error = env.finish(Some(())).unwrap_err();
        let names: Vec<_> = error.problems.iter().map(|p| p.variable.as_str()).collect();
        assert_eq!(names, [TOOLS_VAR, DELEGATION_VAR], "{error}");
    }
}
