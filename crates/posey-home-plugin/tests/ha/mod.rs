//! The real Home Assistant the link is tested against is posey-testkit's
//! (`posey_testkit::home_assistant`); here, what only these tests use: a scripted stand-in
//! and a proxy that cuts sockets.

// Each test binary that includes this module uses part of it.
#![allow(dead_code, unused_imports)]

pub use posey_testkit::home_assistant::*;

pub mod fake;
pub mod proxy;
