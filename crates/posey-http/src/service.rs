//! The shape every Posey service has, in code: configured from the environment (or by the
//! launcher), built, bound to a port, served until told to stop. The services' binaries
//! ([`main`]), the launcher's `posey serve` and the tests drive all four the same way.

use std::future::Future;
use std::process::ExitCode;

use posey_config::{ConfigError, Env};

/// A service's configuration.
pub trait ServiceConfig: Sized + Send + 'static {
    /// Reads it through `env`, recording each bad or missing variable there.
    fn read_env(env: &mut Env<'_>) -> Option<Self>;

    /// The settings every service has: HTTP, Postgres, Redis.
    fn common(&self) -> &posey_config::ServiceConfig;

    /// Standalone: every variable from the process environment (`DATABASE_URL` required); a
    /// bad or missing variable is an error naming it.
    fn from_env() -> Result<Self, ConfigError> {
        let mut env = Env::process();
        let config = Self::read_env(&mut env);
        env.finish(config)
    }
}

/// One of Posey's services.
pub trait Service: Sized + Send + 'static {
    /// The binary's name (`posey-auth`), in logs and error messages.
    const PROGRAM: &'static str;

    type Config: ServiceConfig;

    /// Connects what it needs, starts its background work and binds its port. (Not `Send`:
    /// nothing spawns it, and a sqlx transaction held across an await can make it not `Send`
    /// for every lifetime, a known limit of the compiler's reasoning.)
    fn build(config: Self::Config) -> impl Future<Output = anyhow::Result<Self>>;

    /// The port actually bound (useful when the configuration asked for 0).
    fn port(&self) -> u16;

    /// Serves until `shutdown` completes, then lets work in flight finish within its grace
    /// and stops its background tasks.
    fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// The body of a service binary's `main`: telemetry, configuration from the environment,
/// build, serve until SIGINT/SIGTERM; any error ends the process with status 1 and one message.
pub async fn main<S: Service>() -> ExitCode {
    crate::server::run_main(S::PROGRAM, S::Config::from_env, |config| async move {
        crate::backing::log_choices(config.common());
        S::build(config).await?.run_until_stopped(crate::shutdown::signal()).await
    })
    .await
}
