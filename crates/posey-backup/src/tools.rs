//! PostgreSQL's client programs (`pg_dump`, `pg_restore`) and the URL they take.

use std::path::PathBuf;

use anyhow::{Context, bail};
use tokio::process::Command;

/// Where `pg_dump` and `pg_restore` are: a directory (beside the cluster's `initdb`, so their
/// version matches the server's), else whichever `PATH` has.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PgTools {
    pub bin_dir: Option<PathBuf>,
}

impl PgTools {
    pub fn in_dir(bin_dir: Option<PathBuf>) -> Self {
        Self { bin_dir }
    }

    fn program(&self, name: &str) -> PathBuf {
        match &self.bin_dir {
            Some(dir) if dir.join(name).is_file() => dir.join(name),
            _ => PathBuf::from(name),
        }
    }

    /// Where the program `name` that [`PgTools::run`] would run is, if anywhere.
    pub fn find(&self, name: &str) -> Option<PathBuf> {
        let program = self.program(name);
        if program.is_absolute() {
            return Some(program);
        }
        std::env::var_os("PATH")?
            .to_str()?
            .split(':')
            .map(|dir| PathBuf::from(dir).join(name))
            .find(|candidate| candidate.is_file())
    }

    /// Runs the client program `name`, the password (if any) in its environment rather than
    /// on its command line, where any local user could read it.
    pub(crate) async fn run(
        &self,
        name: &str,
        args: &[String],
        password: Option<&str>,
    ) -> anyhow::Result<()> {
        let program = self.program(name);
        let mut cmd = Command::new(&program);
        cmd.args(args).kill_on_drop(true);
        if let Some(password) = password {
            cmd.env("PGPASSWORD", password);
        }
        let out = cmd.output().await.with_context(|| {
            format!("running {} (install PostgreSQL's client programs)", program.display())
        })?;
        if !out.status.success() {
            bail!(
                "{} failed ({}):\n{}",
                program.display(),
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(())
    }
}

/// `DATABASE_URL` as libpq's programs take it: without its password (returned apart) and
/// without the query parameters only sqlx knows (`statement-cache-capacity`, ...).
pub(crate) fn libpq(url: &str) -> anyhow::Result<(String, Option<String>)> {
    const LIBPQ: &[&str] = &[
        "host",
        "hostaddr",
        "port",
        "dbname",
        "user",
        "sslmode",
        "sslcert",
        "sslkey",
        "sslrootcert",
        "sslcrl",
        "application_name",
        "options",
        "connect_timeout",
        "target_session_attrs",
    ];
    let mut url = url::Url::parse(url).context("DATABASE_URL is not a URL")?;
    let password = url.password().map(percent_decode);
    let _ = url.set_password(None);
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(key, _)| LIBPQ.contains(&key.as_ref()))
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if kept.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
    Ok((url.to_string(), password))
}

/// A URL's percent-encoded part as text.
fn percent_decode(part: &str) -> String {
    url::form_urlencoded::parse(format!("p={}", part.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libpq_gets_the_url_without_sqlx_parameters_or_the_password() {
        let (url, password) = libpq(
            "postgres://posey:s%40cret+1@db:5432/posey?sslmode=require&statement-cache-capacity=100",
        )
        .unwrap();
        assert_eq!(url, "postgres://posey@db:5432/posey?sslmode=require");
        assert_eq!(password.as_deref(), Some("s@cret+1"));
        let (url, password) = libpq(
            "postgres://posey@localhost/posey?host=/data/postgres/run&statement-cache-capacity=1",
        )
        .unwrap();
        assert_eq!(url, "postgres://posey@localhost/posey?host=%2Fdata%2Fpostgres%2Frun");
        assert_eq!(password, None);
    }
}
