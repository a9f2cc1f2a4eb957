//! A hosted provider's settings from the environment: `provider:model`, its key and base URL.
//! Shared by the chat and the embedding configuration, which differ only in their variables'
//! names and in the dialect an `openai-compatible` server speaks.

use posey_config::{Env, ExposeSecret, SecretString};
use rig_core::providers::openai::OpenAIConfig;
use rig_core::providers::openai::wire::Dialect;
use rig_core::providers::registry::{ProviderConfig, ProviderId};

/// Which variables a configuration reads, and what its messages suggest.
pub(crate) struct Vars {
    /// The variable that chose `provider:model` (`POSEY_MODEL`, `POSEY_EMBEDDING_MODEL`).
    pub choice: &'static str,
    pub base_url: &'static str,
    /// Overrides the provider's own key variable (`OPENAI_API_KEY`, ...).
    pub api_key: &'static str,
    /// The choices besides `provider:model`, for messages: "`local`", "`local`, `test`".
    pub others: &'static str,
    /// Examples of `provider:model`, for messages.
    pub examples: &'static str,
}

/// A provider read from the environment.
pub(crate) struct Remote {
    pub provider: String,
    pub model: String,
    pub base_url: Option<String>,
    pub config: ProviderConfig,
}

/// Reads `choice` (`provider:model`) and the provider's key and base URL, recording every
/// problem under the variable it is about. `compatible` is the dialect of `openai-compatible:`.
pub(crate) fn from_env(
    env: &mut Env<'_>,
    choice: &str,
    vars: &Vars,
    compatible: Dialect,
) -> Option<Remote> {
    let Some((provider, model)) =
        choice.split_once(':').filter(|(p, m)| !p.trim().is_empty() && !m.trim().is_empty())
    else {
        let (others, examples) = (vars.others, vars.examples);
        env.problem(
            vars.choice,
            format!("{choice:?} is not {others} or `provider:model` (e.g. {examples})"),
        );
        return None;
    };
    let (provider, model) = (provider.trim().to_owned(), model.trim().to_owned());
    let base_url = env.url(vars.base_url, &["http", "https"]).map(|url| url.to_string());

    let config = if provider == "openai-compatible" {
        let Some(base_url) = &base_url else {
            env.problem(
                vars.base_url,
                format!("is required for {}=openai-compatible:...", vars.choice),
            );
            return None;
        };
        let key =
            env.secret(vars.api_key).map(|k| k.expose_secret().to_owned()).unwrap_or_default();
        ProviderConfig::OpenAi(
            OpenAIConfig::with_key(&compatible, key).with_base_url(base_url.trim_end_matches('/')),
        )
    } else {
        let id = match ProviderId::resolve(&provider) {
            Ok(id) => id,
            Err(error) => {
                env.problem(vars.choice, format!("{error} (in {choice:?})"));
                return None;
            }
        };
        let key_var = id.api_key_env();
        let key: Option<SecretString> =
            env.secret(vars.api_key).or_else(|| key_var.and_then(|var| env.secret(var)));
        let key = match key {
            Some(key) => key.expose_secret().to_owned(),
            None if id.requires_credential() => {
                let var = key_var.unwrap_or(vars.api_key);
                let (chosen, api_key) = (vars.choice, vars.api_key);
                env.problem(var, format!("is required for {chosen}={choice} (or set {api_key})"));
                return None;
            }
            None => String::new(),
        };
        let config = id.config(key)?;
        match &base_url {
            Some(url) => config.with_base_url(url.trim_end_matches('/')),
            None => config,
        }
    };
    Some(Remote { provider, model, base_url, config })
}
