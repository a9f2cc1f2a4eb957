//! `posey-agents`: the agents service on its own, configured from the environment.

use posey_agents::{Application, Config};

/// mimalloc rather than glibc's malloc: a turn makes many small short-lived allocations
/// (JSON values, messages, futures), and glibc's malloc was ~17% of the service's CPU under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    // Run as the document extractor's child process (see documents::sandbox), before any
    // runtime or thread starts; returns at once otherwise.
    posey_agents::documents::run_child_if_requested();
    serve()
}

#[tokio::main]
async fn serve() -> std::process::ExitCode {
    posey_http::server::run_main("posey-agents", Config::from_env, |config| async move {
        posey_http::backing::log_choices(&config.service);
        let app = Application::build(config).await?;
        app.run_until_stopped(posey_http::shutdown::signal()).await
    })
    .await
}
