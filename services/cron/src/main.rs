//! `posey-cron`: the cron service on its own, configured from the environment.

#[tokio::main]
async fn main() -> std::process::ExitCode {
    posey_http::service::main::<posey_cron::Application>().await
}
