//! Embedded defaults for the backing parts, used when no server is configured.

pub mod postgres;
