//! The cron service's SQL, each statement checked against the schema at build time
//! (`sqlx::query!` and its kin): plain functions over `impl PgExecutor` or a transaction, shared
//! by the REST API, the dispatcher, the workers, the jobs and notification delivery. Tasks' and
//! runs' times are always bound from the caller's clock (`crate::clock`), never read with
//! `now()`, so tests can move time; notifications and their deliveries use the database's.
//!
//! The bottom layer: it imports nothing else of the crate, and the row types and text enums
//! it reads into are defined here.

pub mod api;
pub mod deliveries;
pub mod dispatch;
pub mod maintenance;
pub mod notifications;
pub mod push_subscriptions;
pub mod reminders;
pub mod runs;
pub mod tasks;
pub(crate) mod text_enum;
pub mod time_zone;

pub use runs::{ClaimedRun, Run, RunStatus};
pub use tasks::{MisfirePolicy, NewTask, OverlapPolicy, Task, TaskKind};
pub use text_enum::UnknownName;
