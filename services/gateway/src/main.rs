//! `posey-gateway`: the gateway service on its own, configured from the environment.

use posey_gateway::{Application, Config};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    posey_http::server::run_main("posey-gateway", Config::from_env, |config| async move {
        posey_http::backing::log_choices(&config.service);
        let app = Application::build(config).await?;
        app.run_until_stopped(posey_http::shutdown::signal()).await
    })
    .await
}
