//! The catalog the `gateway_compile` fuzz target compiles against
//! (`fuzz/data/gateway_catalog.json`) is the real schema's: every migration, the system's and
//! each plugin's, on a fresh database, read with the gateway's own introspection query. With
//! `POSEY_WRITE_FUZZ_CATALOG=1` the test writes it anew instead of comparing.

use std::path::Path;

/// `GATEWAY_SCHEMAS`' default.
const SCHEMAS: [&str; 5] = ["app", "cron", "calendar", "finance", "home"];

#[tokio::test]
async fn the_fuzz_targets_catalog_is_the_real_schemas() {
    let db = posey_testkit::TestDatabase::new().await;
    let plugins = [
        posey_calendar_plugin::migrations::MIGRATIONS,
        posey_finance_plugin::migrations::MIGRATIONS,
        posey_home_plugin::migrations::MIGRATIONS,
    ];
    for migration in plugins.into_iter().flatten() {
        sqlx::raw_sql(migration.sql).execute(&db.pool).await.unwrap();
    }
    let schemas = SCHEMAS.map(String::from);
    let text = posey_gateway::fuzzing::read_catalog(&db.pool, &schemas).await.unwrap();
    let fresh: serde_json::Value = serde_json::from_str(&text).unwrap();
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/data/gateway_catalog.json");
    if std::env::var_os("POSEY_WRITE_FUZZ_CATALOG").is_some() {
        let pretty = serde_json::to_string_pretty(&fresh).unwrap();
        std::fs::write(&path, format!("{pretty}\n")).unwrap();
        return;
    }
    let committed: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert!(
        committed == fresh,
        "fuzz/data/gateway_catalog.json is not the schema's any more: write it again with \
         POSEY_WRITE_FUZZ_CATALOG=1 cargo test -p posey-gateway --features fuzzing --test api \
         fuzz_catalog"
    );
}
