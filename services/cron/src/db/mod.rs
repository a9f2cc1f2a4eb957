//! The cron service's SQL for tasks and runs: plain functions over `impl PgExecutor` or a
//! transaction, shared by the REST API, the dispatcher and the workers. Times are always bound
//! from the caller's clock (`crate::clock`), never read with `now()`, so tests can move time.

pub mod api;
pub mod dispatch;
pub mod runs;
pub mod tasks;

pub use runs::{ClaimedRun, Run, RunStatus};
pub use tasks::{MisfirePolicy, NewTask, OverlapPolicy, Task, TaskKind};

/// A text column's value that is not one of the names the migration's CHECK allows.
#[derive(Debug, thiserror::Error)]
#[error("unknown {what}: {value:?}")]
pub struct UnknownName {
    pub what: &'static str,
    pub value: String,
}

/// A text enum: `as_str`, `FromStr` and `TryFrom<String>` (for `#[sqlx(try_from)]`).
macro_rules! text_enum {
    ($(#[$meta:meta])* $name:ident, $what:literal { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            pub const ALL: &[Self] = &[$(Self::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::db::UnknownName;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                match s {
                    $($text => Ok(Self::$variant),)+
                    _ => Err($crate::db::UnknownName { what: $what, value: s.to_owned() }),
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = $crate::db::UnknownName;

            fn try_from(s: String) -> Result<Self, Self::Error> {
                s.parse()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use text_enum;
