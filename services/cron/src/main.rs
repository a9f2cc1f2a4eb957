//! `posey-cron`: the cron service on its own, configured from the environment.

use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    if let Err(e) = posey_http::telemetry::init() {
        eprintln!("posey-cron: {e}");
        return ExitCode::FAILURE;
    }
    let config = match posey_cron::Config::from_env() {
        Ok(config) => config,
        Err(e) => {
            eprintln!("posey-cron: {e}");
            return ExitCode::FAILURE;
        }
    };
    posey_http::backing::log_choices(&config.service);
    let result = async {
        let app = posey_cron::Application::build(config).await?;
        app.run_until_stopped(posey_http::shutdown::signal()).await
    };
    match result.await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A user's mistake (bad URL, port in use) reads as one message, not a backtrace.
            eprintln!("posey-cron: {e:#}");
            ExitCode::FAILURE
        }
    }
}
