//! A fresh database per test, created on the harness's Postgres server and migrated with the
//! system's one migration set.

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};

#[derive(Clone)]
pub struct TestDatabase {
    pub pool: PgPool,
    /// Connection URL of this test's database (no secrets: test servers only).
    pub url: String,
    pub name: String,
}

impl std::fmt::Debug for TestDatabase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDatabase").field("name", &self.name).finish_non_exhaustive()
    }
}

impl TestDatabase {
    /// Creates `test_<uuid>` on `TEST_DATABASE_URL`'s server and applies every migration.
    pub async fn new() -> Self {
        let db = Self::empty().await;
        posey_db::migrate(&db.pool).await.expect("migrating the test database");
        db
    }

    /// Creates an empty database (no migrations), for tests of migrating itself.
    pub async fn empty() -> Self {
        let admin_url = crate::env::required_url("TEST_DATABASE_URL");
        let admin: PgConnectOptions =
            admin_url.parse().expect("TEST_DATABASE_URL is a Postgres URL");
        let name = format!("test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = PgConnection::connect_with(&admin)
            .await
            .unwrap_or_else(|e| panic!("connecting to TEST_DATABASE_URL ({admin_url}): {e}"));
        sqlx::query(&format!(r#"CREATE DATABASE "{name}""#))
            .execute(&mut conn)
            .await
            .expect("creating the test database");
        let _ = conn.close().await;

        let options = admin.database(&name);
        let url = options.to_url_lossy().to_string();
        let pool = PgPoolOptions::new()
            .max_connections(5)
            .connect_with(options)
            .await
            .expect("connecting to the test database");
        Self { pool, url, name }
    }

    /// Terminates every connection to this database and refuses new ones: to the service under
    /// test, Postgres is gone.
    pub async fn cut_off(&self) {
        let admin = crate::env::required_url("TEST_DATABASE_URL");
        let mut conn = PgConnection::connect(&admin).await.expect("connecting as admin");
        let name = &self.name;
        sqlx::query(&format!(r#"ALTER DATABASE "{name}" ALLOW_CONNECTIONS false"#))
            .execute(&mut conn)
            .await
            .expect("closing the test database");
        sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
            .bind(name)
            .execute(&mut conn)
            .await
            .expect("terminating connections");
    }
}
