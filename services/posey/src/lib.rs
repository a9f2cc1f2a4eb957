//! The `posey` launcher: runs the four services in one process with embedded defaults for
//! whatever backing part has no server configured, and carries the operator commands.

pub mod admin;
pub mod config;
pub mod database;
pub mod doctor;
pub mod embedded;
pub mod up;

pub use config::LauncherConfig;
