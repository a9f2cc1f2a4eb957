//! The `posey` launcher: supervises the four services (and the web app), each in its own process, with embedded
//! defaults for whatever backing part has no server configured, and carries the operator
//! commands.

pub mod admin;
pub mod backup;
pub mod config;
pub mod database;
pub mod doctor;
pub mod embedded;
pub mod home;
pub mod models;
pub mod service;
pub mod status;
pub mod up;
pub mod web;

pub use config::LauncherConfig;
