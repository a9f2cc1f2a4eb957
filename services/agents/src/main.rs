//! `posey-agents`: the agents service on its own, configured from the environment.

use posey_agents::{Application, Config};

#[tokio::main]
async fn main() -> std::process::ExitCode {
    posey_http::server::run_main("posey-agents", Config::from_env, |config| async move {
        posey_http::backing::log_choices(&config.service);
        let app = Application::build(config).await?;
        app.run_until_stopped(posey_http::shutdown::signal()).await
    })
    .await
}
