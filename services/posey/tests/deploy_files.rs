//! No Docker engine runs in CI here, so the deployment files are checked statically: they
//! parse, every service is defined with a healthcheck, restart policy and limits, and the ports
//! and variables agree with what the services' configuration code really reads.

// A failed unwrap in a test helper fails the test, which is what it should do.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;
use std::path::PathBuf;

use posey_config::Env;
use serde_yaml_ng::Value;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn yaml(path: &str) -> Value {
    let text = std::fs::read_to_string(repo().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut value: Value =
        serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{path} does not parse: {e}"));
    // Resolve `<<: *anchor` merge keys, as compose does.
    value.apply_merge().unwrap_or_else(|e| panic!("{path}: bad merge key: {e}"));
    value
}

/// Each app service: compose name, binary, port variable, default port, variables it reads.
fn app_services() -> Vec<(&'static str, &'static str, &'static str, u16, BTreeSet<String>)> {
    fn read<C>(f: impl FnOnce(&mut Env<'static>) -> C) -> BTreeSet<String> {
        let mut env = Env::from_pairs::<_, String, String>([]);
        let _ = f(&mut env);
        let mut vars = env.variables().clone();
        vars.extend(posey_http::telemetry::VARIABLES.iter().map(|v| v.to_string()));
        vars
    }
    vec![
        (
            "auth",
            "posey-auth",
            posey_auth::Config::PORT_VAR,
            posey_auth::Config::DEFAULT_PORT,
            read(posey_auth::Config::read),
        ),
        (
            "agents",
            "posey-agents",
            posey_agents::Config::PORT_VAR,
            posey_agents::Config::DEFAULT_PORT,
            read(posey_agents::Config::read),
        ),
        (
            "gateway",
            "posey-gateway",
            posey_gateway::Config::PORT_VAR,
            posey_gateway::Config::DEFAULT_PORT,
            read(posey_gateway::Config::read),
        ),
        (
            "cron",
            "posey-cron",
            posey_cron::Config::PORT_VAR,
            posey_cron::Config::DEFAULT_PORT,
            read(posey_cron::Config::read),
        ),
    ]
}

fn services(compose: &Value) -> &serde_yaml_ng::Mapping {
    compose["services"].as_mapping().expect("a services mapping")
}

fn names(compose: &Value) -> BTreeSet<String> {
    services(compose).keys().map(|k| k.as_str().unwrap().to_owned()).collect()
}

fn on_posey_network(service: &Value) -> bool {
    service["networks"].as_sequence().is_some_and(|n| n.iter().any(|v| v == "posey.network"))
        || service["networks"].as_mapping().is_some_and(|m| m.contains_key("posey.network"))
}

#[test]
fn compose_defines_every_service_with_healthchecks_limits_and_the_network() {
    let compose = yaml("docker-compose.yml");
    let expected: BTreeSet<String> =
        ["postgres", "qdrant", "redis", "mosquitto", "auth", "agents", "gateway", "cron", "web"]
            .map(String::from)
            .into();
    assert_eq!(names(&compose), expected);
    assert!(compose["networks"]["posey.network"].is_mapping());
    for (name, service) in services(&compose) {
        let name = name.as_str().unwrap();
        assert!(
            service["healthcheck"]["test"].is_sequence()
                || service["healthcheck"]["test"].is_string(),
            "{name}: no healthcheck"
        );
        assert!(service["restart"].is_string(), "{name}: no restart policy");
        assert!(on_posey_network(service), "{name}: not on posey.network");
    }
    for (name, _, _, _, _) in app_services() {
        let service = &compose["services"][name];
        let limits = &service["deploy"]["resources"]["limits"];
        assert!(limits["cpus"].is_string() && limits["memory"].is_string(), "{name}: no limits");
        for dep in ["postgres", "redis"] {
            assert_eq!(
                service["depends_on"][dep]["condition"], "service_healthy",
                "{name} -> {dep}"
            );
        }
    }
    assert_eq!(
        compose["services"]["agents"]["depends_on"]["qdrant"]["condition"],
        "service_healthy"
    );
}

#[test]
fn compose_ports_and_variables_agree_with_the_services_config() {
    let compose = yaml("docker-compose.yml");
    for (name, binary, port_var, port, reads) in app_services() {
        let service = &compose["services"][name];
        let env =
            service["environment"].as_mapping().unwrap_or_else(|| panic!("{name}: environment"));
        for key in env.keys() {
            let key = key.as_str().unwrap();
            assert!(reads.contains(key), "{name}: sets {key}, which the service never reads");
        }
        for required in ["DATABASE_URL", "BIND_ADDRESS"] {
            assert!(env.contains_key(required), "{name}: {required} missing");
        }
        assert_eq!(env[port_var].as_str(), Some(port.to_string().as_str()), "{name}: {port_var}");
        assert_eq!(env["BIND_ADDRESS"], "0.0.0.0", "{name}: must listen beyond loopback");
        let published: Vec<String> = service["ports"]
            .as_sequence()
            .unwrap()
            .iter()
            .map(|p| p.as_str().unwrap().to_owned())
            .collect();
        assert!(
            published.iter().any(|p| p.ends_with(&format!(":{port}"))),
            "{name}: {published:?}"
        );
        let health = serde_yaml_ng::to_string(&service["healthcheck"]["test"]).unwrap();
        assert!(health.contains(&format!("127.0.0.1:{port}/readyz")), "{name}: {health}");
        assert_eq!(service["build"]["args"]["SERVICE"], binary, "{name}: builds the wrong binary");
    }
    assert_eq!(compose["services"]["agents"]["environment"]["QDRANT_URL"], "http://qdrant:6333");
    // The home plugin's broker is the mosquitto service inside the network, by default.
    let mqtt = compose["services"]["agents"]["environment"]["MQTT_URL"].as_str().unwrap();
    assert!(mqtt.ends_with(":-mqtt://mosquitto:1883}"), "{mqtt}");
    let mosquitto = &compose["services"]["mosquitto"];
    let config = &mosquitto["configs"][0];
    assert_eq!(config["target"], "/mosquitto/config/mosquitto.conf");
    let text = compose["configs"][config["source"].as_str().unwrap()]["content"].as_str().unwrap();
    assert!(text.contains("listener 1883"), "mosquitto 2 would listen on loopback only: {text}");
    // A service that checks tokens must reach auth inside the network, not its own loopback.
    for (name, service) in services(&compose) {
        if let Some(url) = service["environment"]["AUTH_JWKS_URL"].as_str() {
            assert_eq!(url, "http://auth:9000/.well-known/jwks.json", "{name:?}");
        }
    }
    assert!(compose["services"]["cron"]["environment"]["AUTH_JWKS_URL"].is_string());
}

/// The web app's own source files (not its tests, installs or builds), with their text.
fn web_sources() -> Vec<(PathBuf, String)> {
    fn walk(dir: &std::path::Path, found: &mut Vec<(PathBuf, String)>) {
        for entry in std::fs::read_dir(dir).unwrap().flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if !["node_modules", ".next", "e2e", "test", "test-artifacts"].contains(&&*name) {
                    walk(&path, found);
                }
            } else if [".ts", ".tsx", ".mjs"].iter().any(|ext| name.ends_with(ext)) {
                found.push((path.clone(), std::fs::read_to_string(&path).unwrap()));
            }
        }
    }
    let mut found = Vec::new();
    walk(&repo().join("apps/web"), &mut found);
    found
}

#[test]
fn the_web_service_builds_the_app_and_sets_only_what_it_reads() {
    let compose = yaml("docker-compose.yml");
    let web = &compose["services"]["web"];
    assert_eq!(web["build"]["context"], "./apps");
    let dockerfile = web["build"]["dockerfile"].as_str().unwrap();
    let dockerfile = std::fs::read_to_string(repo().join("apps").join(dockerfile)).unwrap();
    // Every file the image copies before installing exists (the lock files npm ci needs).
    for line in dockerfile.lines().filter(|l| l.starts_with("COPY ") && !l.contains("--from")) {
        let parts: Vec<&str> = line.split_whitespace().collect();
        for source in &parts[1..parts.len() - 1] {
            assert!(repo().join("apps").join(source).exists(), "the web image copies {source}");
        }
    }
    // The Node.js major version the app is tested on (this machine's, Debian's 20).
    assert!(dockerfile.contains("FROM node:20-"), "the web image must run Node 20");
    let sources = web_sources();
    let env = web["environment"].as_mapping().expect("web: environment");
    for key in env.keys() {
        let key = key.as_str().unwrap();
        assert!(
            sources.iter().any(|(_, text)| text.contains(&format!("'{key}'"))
                || text.contains(&format!("process.env.{key}"))),
            "web: sets {key}, which the app never reads"
        );
    }
    for (var, url) in [
        ("AUTH_URL", "http://auth:9000"),
        ("AGENTS_URL", "http://agents:8000"),
        ("CRON_URL", "http://cron:8090"),
        ("GATEWAY_URL", "http://gateway:8080"),
    ] {
        assert_eq!(env[var], url, "web: {var}");
    }
    assert!(web["ports"][0].as_str().unwrap().ends_with(":3000"));
    // Auth's links end on the app's PKCE callback.
    let redirects = compose["services"]["auth"]["environment"]["AUTH_REDIRECT_URLS"].as_str();
    assert!(redirects.unwrap().contains("localhost:3000/auth/callback"));
    let callback = repo().join("apps/web/app/auth/callback");
    assert!(callback.is_dir(), "the app has no /auth/callback route");
}

#[test]
fn dev_compose_has_the_backing_services_with_published_ports() {
    let dev = yaml("docker-compose.dev.yml");
    let expected: BTreeSet<String> = ["postgres", "qdrant", "redis"].map(String::from).into();
    assert_eq!(names(&dev), expected);
    for (name, service) in services(&dev) {
        assert!(
            service["ports"].as_sequence().is_some_and(|p| !p.is_empty()),
            "{name:?}: no ports"
        );
        assert!(!service["healthcheck"]["test"].is_null(), "{name:?}: no healthcheck");
    }
}

#[test]
fn every_variable_the_code_reads_is_documented_in_env_example() {
    let example = std::fs::read_to_string(repo().join(".env.example")).unwrap();
    let documented: BTreeSet<&str> = example
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.split_once('=').map(|(k, _)| k.trim()))
        .collect();
    let mut read: BTreeSet<String> = app_services().into_iter().flat_map(|s| s.4).collect();
    let mut launcher = Env::from_pairs::<_, String, String>([]);
    let _ = posey::config::LauncherConfig::read_into(&mut launcher);
    read.extend(launcher.variables().iter().cloned());
    for var in &read {
        assert!(documented.contains(var.as_str()), "{var} is read but not in .env.example");
    }
}

#[test]
fn the_dockerfile_builds_every_binary_compose_and_ci_name() {
    let dockerfile = std::fs::read_to_string(repo().join("Dockerfile")).unwrap();
    assert!(dockerfile.contains("--bin \"${SERVICE}\""));
    for stage in ["AS builder", "AS runtime-base", "AS runtime", "AS posey-all-in-one"] {
        assert!(dockerfile.contains(stage), "Dockerfile lacks stage {stage}");
    }
    let mut binaries: Vec<&str> = app_services().iter().map(|s| s.1).collect();
    binaries.push("posey");
    for binary in &binaries {
        assert!(dockerfile.contains(binary), "Dockerfile does not accept {binary}");
        let crate_dir =
            if *binary == "posey" { "posey".into() } else { binary.replace("posey-", "") };
        let manifest =
            std::fs::read_to_string(repo().join("services").join(crate_dir).join("Cargo.toml"))
                .unwrap();
        assert!(manifest.contains(&format!("name = \"{binary}\"")), "no binary named {binary}");
    }
    let ci = yaml(".github/workflows/ci.yml");
    for job in ["lint", "test", "images"] {
        assert!(ci["jobs"][job].is_mapping(), "ci.yml lacks job {job}");
    }
    let ci_text = std::fs::read_to_string(repo().join(".github/workflows/ci.yml")).unwrap();
    assert!(ci_text.contains("./scripts/test"), "CI must run the README's test command");
    assert!(ci_text.contains("clippy") && ci_text.contains("-D warnings"));
    assert!(ci_text.contains("fmt --all -- --check"));
}

#[test]
fn every_compose_build_target_is_a_dockerfile_stage() {
    let dockerfile = std::fs::read_to_string(repo().join("Dockerfile")).unwrap();
    let compose = yaml("docker-compose.yml");
    for (name, service) in services(&compose) {
        if let Some(target) = service["build"]["target"].as_str() {
            assert!(
                dockerfile
                    .lines()
                    .any(|l| l.starts_with("FROM ") && l.ends_with(&format!(" AS {target}"))),
                "{name:?} builds target {target:?}, which the Dockerfile lacks"
            );
        }
    }
    assert_eq!(compose["services"]["agents"]["build"]["target"], "runtime-agents");
}

#[test]
fn the_images_take_the_model_from_the_same_wheel_as_the_scripts() {
    let dockerfile = std::fs::read_to_string(repo().join("Dockerfile")).unwrap();
    let lib = std::fs::read_to_string(repo().join("scripts/lib.sh")).unwrap();
    let pin = lib
        .lines()
        .find_map(|l| l.strip_prefix("POSEY_DEFAULT_MODEL_PACKAGE="))
        .expect("scripts/lib.sh names the model package");
    let file = lib
        .lines()
        .find_map(|l| l.strip_prefix("POSEY_DEFAULT_MODEL_FILE="))
        .expect("scripts/lib.sh names the model file");
    assert!(dockerfile.contains(pin), "the Dockerfile does not install {pin}");
    let embedding_pin = lib
        .lines()
        .find_map(|l| l.strip_prefix("POSEY_DEFAULT_EMBEDDING_MODEL_PACKAGE="))
        .expect("scripts/lib.sh names the embedding model package");
    assert!(dockerfile.contains(embedding_pin), "the Dockerfile does not install {embedding_pin}");
    let files = lib
        .lines()
        .find_map(|l| l.strip_prefix("POSEY_EMBEDDING_MODEL_FILES=("))
        .and_then(|l| l.strip_suffix(')'))
        .expect("scripts/lib.sh lists the embedding model's files");
    assert!(
        dockerfile.contains(&format!("for f in {files}; do")),
        "the images lack some of {files}"
    );
    assert!(
        dockerfile.contains("POSEY_LOCAL_EMBEDDING_MODEL=/usr/share/posey/models/all-MiniLM-L6-v2")
    );
    assert!(dockerfile.contains(&format!("POSEY_LOCAL_MODEL=/usr/share/posey/models/{file}")));
    // The builder compiles llama.cpp.
    assert!(dockerfile.contains("cmake clang libclang-dev"));
    // ... which links OpenMP's runtime, so every image needs it.
    assert!(dockerfile.contains("curl libgomp1"));
}
