//! Migrations on a real Postgres: several replicas starting at once apply each migration once.

use posey_testkit::TestDatabase;

#[tokio::test]
async fn replicas_migrating_at_once_apply_each_migration_once() {
    let db = TestDatabase::empty().await;
    let runs = (0..4).map(|_| {
        let pool = db.pool.clone();
        tokio::spawn(async move { posey_db::migrate(&pool).await })
    });
    for run in futures::future::join_all(runs).await {
        run.expect("task").expect("migrating");
    }
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(&db.pool)
            .await
            .expect("reading the migrations table");
    let expected: Vec<i64> = posey_db::MIGRATOR.iter().map(|m| m.version).collect();
    assert_eq!(applied, expected);

    let schemas: Vec<String> = sqlx::query_scalar(
        "SELECT nspname::text FROM pg_namespace WHERE nspname IN ('auth', 'app', 'cron') ORDER BY 1",
    )
    .fetch_all(&db.pool)
    .await
    .expect("reading schemas");
    assert_eq!(schemas, ["app", "auth", "cron"]);
}

#[tokio::test]
async fn an_unreachable_database_names_database_url_without_its_password() {
    use posey_config::{DbConfig, PoolSettings, SecretString};
    let port = posey_testkit::free_port();
    let config = DbConfig {
        url: SecretString::from(format!("postgres://posey:hunter2@127.0.0.1:{port}/posey")),
        pool: PoolSettings {
            max_connections: 1,
            connect_timeout: std::time::Duration::from_secs(1),
        },
    };
    let message = posey_db::connect(&config).await.expect_err("nothing listens there").to_string();
    assert!(message.starts_with("DATABASE_URL (postgres://posey:***@127.0.0.1:"), "{message}");
    assert!(!message.contains("hunter2"), "{message}");
}
