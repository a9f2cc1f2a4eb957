//! `posey doctor`: checks each backing part, prints what is used, what is missing and the fix,
//! and fails when something required is missing.

use std::time::Duration;

use posey_config::{ExposeSecret, redact_url};

use crate::LauncherConfig;
use crate::embedded::postgres::EmbeddedPostgres;

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

/// Runs every check.
pub async fn check(config: &LauncherConfig) -> Vec<Finding> {
    vec![relational_store(config).await, cache(config).await, vectors(config).await]
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
        return Finding {
            part,
            status: Status::Ok,
            detail: format!(
                "embedded Qdrant Edge under {} (QDRANT_URL unset)",
                config.data_dir.join("qdrant").display()
            ),
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
