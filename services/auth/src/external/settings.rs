//! The operator's upstream providers, from the environment, in GoTrue's style:
//!
//! | variable | meaning |
//! |---|---|
//! | `AUTH_EXTERNAL_<P>_ENABLED` | `true` to offer the provider |
//! | `AUTH_EXTERNAL_<P>_CLIENT_ID` | the client id Posey is registered under upstream |
//! | `AUTH_EXTERNAL_<P>_SECRET` | its secret (Apple: the client-secret JWT you generate) |
//! | `AUTH_EXTERNAL_<P>_SCOPES` | scopes asked for besides the preset's (space or comma separated) |
//! | `AUTH_EXTERNAL_OIDC_ISSUER` | the generic provider's issuer (discovery at `<issuer>/.well-known/openid-configuration`) |
//! | `AUTH_EXTERNAL_AZURE_ISSUER` | Microsoft's tenant (default `https://login.microsoftonline.com/common/v2.0`) |
//! | `AUTH_EXTERNAL_GITHUB_URL` | GitHub Enterprise's URL (default `https://github.com`) |
//!
//! `<P>` is `GOOGLE`, `APPLE`, `AZURE` (Microsoft, GoTrue's name), `GITHUB` or `OIDC` (any
//! OpenID provider: Keycloak, Authentik, Authelia, ...). The upstream's redirect URI to register
//! is `<AUTH_EXTERNAL_URL>/callback`.

use posey_config::{Env, SecretString};
use url::Url;

/// How Posey talks to a provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Protocol {
    /// OpenID Connect: discovery, an id_token checked against the upstream's keys, userinfo.
    /// `issuer` may hold `{tenantid}` (Microsoft's multi-tenant endpoints): the token's `tid`.
    Oidc { issuer: String },
    /// GitHub's OAuth 2 and its REST API for the person and their verified addresses.
    GitHub { web: Url, api: Url },
}

/// One enabled provider.
#[derive(Debug, Clone)]
pub struct Provider {
    /// The `provider` of `/authorize` (GoTrue's names).
    pub name: &'static str,
    pub protocol: Protocol,
    pub client_id: String,
    pub secret: SecretString,
    /// Every scope asked for (the preset's, then the operator's).
    pub scopes: Vec<String>,
    /// Apple sends the code back as a form POST when name or email are asked for.
    pub form_post: bool,
}

/// Every provider's name, as `/authorize` and `/settings` know them.
pub const NAMES: [&str; 5] = ["google", "apple", "azure", "github", "oidc"];

/// The presets: name and default scopes.
const PRESETS: [(&str, &str); 5] = [
    ("google", "openid email profile"),
    ("apple", "openid email name"),
    ("azure", "openid email profile"),
    ("github", "read:user user:email"),
    ("oidc", "openid email profile"),
];

/// The enabled providers; a provider enabled without what it needs is a configuration problem.
pub fn read(env: &mut Env<'_>) -> Vec<Provider> {
    let mut providers = Vec::new();
    for (name, scopes) in PRESETS {
        let upper = name.to_ascii_uppercase();
        let var = |suffix: &str| format!("AUTH_EXTERNAL_{upper}_{suffix}");
        let enabled = env.or(&var("ENABLED"), false);
        let client_id = env.raw(&var("CLIENT_ID")).map(|v| v.trim().to_owned());
        let secret = env.secret(&var("SECRET"));
        let extra = env.raw(&var("SCOPES")).unwrap_or_default();
        let protocol = match name {
            "google" => Some(Protocol::Oidc { issuer: "https://accounts.google.com".into() }),
            "apple" => Some(Protocol::Oidc { issuer: "https://appleid.apple.com".into() }),
            "azure" => {
                let issuer = env
                    .raw(&var("ISSUER"))
                    .unwrap_or_else(|| "https://login.microsoftonline.com/common/v2.0".into());
                Some(Protocol::Oidc { issuer })
            }
            "github" => {
                let web = env.url(&var("URL"), &["http", "https"]);
                Some(github_urls(web))
            }
            _ => env.url(&var("ISSUER"), &["http", "https"]).map(|issuer| Protocol::Oidc {
                issuer: issuer.as_str().trim_end_matches('/').to_owned(),
            }),
        };
        if !enabled {
            continue;
        }
        let Some(protocol) = protocol else {
            env.problem(&var("ISSUER"), format!("{name} is enabled without an issuer"));
            continue;
        };
        let (Some(client_id), Some(secret)) = (client_id.filter(|c| !c.is_empty()), secret) else {
            env.problem(
                &var("CLIENT_ID"),
                format!("{name} is enabled: set its client id and secret"),
            );
            continue;
        };
        let mut all: Vec<String> = Vec::new();
        for scope in scopes.split(' ').chain(extra.split([' ', ','])) {
            if !scope.is_empty() && !all.iter().any(|s| s == scope) {
                all.push(scope.to_owned());
            }
        }
        let form_post = name == "apple";
        providers.push(Provider { name, protocol, client_id, secret, scopes: all, form_post });
    }
    providers
}

/// GitHub's sign-in pages and API (GitHub Enterprise's `<url>/api/v3` when `web` is given).
fn github_urls(web: Option<Url>) -> Protocol {
    const WEB: &str = "https://github.com/";
    const API: &str = "https://api.github.com/";
    match web {
        Some(web) if web.as_str() != WEB && web.as_str() != WEB.trim_end_matches('/') => {
            let base = format!("{}/", web.as_str().trim_end_matches('/'));
            let web: Url = base.parse().unwrap_or_else(|_| WEB.parse().expect("a URL"));
            let api = web.join("api/v3/").unwrap_or_else(|_| API.parse().expect("a URL"));
            Protocol::GitHub { web, api }
        }
        _ => Protocol::GitHub {
            web: WEB.parse().expect("GitHub's URL parses"),
            api: API.parse().expect("GitHub's API URL parses"),
        },
    }
}

#[cfg(test)]
mod tests {
    use posey_config::ExposeSecret;

    use super::*;

    fn read_pairs(pairs: &[(&str, &str)]) -> Result<Vec<Provider>, String> {
        let mut env = Env::from_pairs(pairs.iter().copied());
        let providers = read(&mut env);
        env.finish(Some(providers)).map_err(|e| e.to_string())
    }

    #[test]
    fn only_enabled_providers_with_their_credentials_are_offered() {
        let providers = read_pairs(&[
            ("AUTH_EXTERNAL_GOOGLE_ENABLED", "true"),
            ("AUTH_EXTERNAL_GOOGLE_CLIENT_ID", "g-id"),
            ("AUTH_EXTERNAL_GOOGLE_SECRET", "g-secret"),
            ("AUTH_EXTERNAL_GOOGLE_SCOPES", "https://www.googleapis.com/auth/calendar, email"),
            ("AUTH_EXTERNAL_GITHUB_CLIENT_ID", "not enabled"),
            ("AUTH_EXTERNAL_OIDC_ENABLED", "true"),
            ("AUTH_EXTERNAL_OIDC_CLIENT_ID", "posey"),
            ("AUTH_EXTERNAL_OIDC_SECRET", "s"),
            ("AUTH_EXTERNAL_OIDC_ISSUER", "https://id.home.test/realms/home/"),
        ])
        .unwrap();
        let names: Vec<_> = providers.iter().map(|p| p.name).collect();
        assert_eq!(names, ["google", "oidc"]);
        assert_eq!(
            providers[0].scopes,
            ["openid", "email", "profile", "https://www.googleapis.com/auth/calendar"]
        );
        assert_eq!(providers[0].secret.expose_secret(), "g-secret");
        assert_eq!(
            providers[1].protocol,
            Protocol::Oidc { issuer: "https://id.home.test/realms/home".into() }
        );
        // The secret never shows in Debug.
        assert!(!format!("{providers:?}").contains("g-secret"));
    }

    #[test]
    fn an_enabled_provider_without_what_it_needs_is_refused() {
        let error = read_pairs(&[("AUTH_EXTERNAL_OIDC_ENABLED", "true")]).unwrap_err();
        assert!(error.contains("AUTH_EXTERNAL_OIDC_ISSUER"), "{error}");
        let error = read_pairs(&[("AUTH_EXTERNAL_APPLE_ENABLED", "true")]).unwrap_err();
        assert!(error.contains("AUTH_EXTERNAL_APPLE_CLIENT_ID"), "{error}");
    }

    #[test]
    fn github_enterprise_has_its_api_under_its_url() {
        let Protocol::GitHub { web, api } =
            github_urls(Some("https://git.home.test".parse().unwrap()))
        else {
            panic!("not GitHub")
        };
        assert_eq!(
            (web.as_str(), api.as_str()),
            ("https://git.home.test/", "https://git.home.test/api/v3/")
        );
        let Protocol::GitHub { api, .. } = github_urls(None) else { panic!("not GitHub") };
        assert_eq!(api.as_str(), "https://api.github.com/");
    }
}
