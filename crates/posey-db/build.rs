//! Rebuilds the crate when a migration is added. `sqlx::migrate!` embeds `migrations/` at
//! compile time, and Cargo reruns the macro only when a file it already knew changes: a new
//! migration file alone left the services and tests migrating to the previous list (the
//! build script sqlx's documentation recommends).

// Cargo reads a build script's instructions from its standard output.
#![allow(clippy::print_stdout)]

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
