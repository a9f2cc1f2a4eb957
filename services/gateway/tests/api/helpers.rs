//! `spawn_app()`: the gateway service on a random port with a fresh migrated database.

use posey_gateway::{Application, Config};
pub use posey_testkit::TestApp;

/// Starts the service with `vars` on top of the test defaults.
pub async fn spawn_app_with(vars: &[(&str, String)]) -> TestApp {
    posey_testkit::spawn_service(Config::PORT_VAR, vars, Config::read_with_db, |config| async {
        let app = Application::build(config).await.expect("building the gateway service");
        let port = app.port();
        tokio::spawn(app.run_until_stopped(std::future::pending()));
        port
    })
    .await
}
