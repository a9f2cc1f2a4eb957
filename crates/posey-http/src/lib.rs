//! The HTTP edge every Posey service shares: one error shape, JSON extraction, access-token
//! verification against auth's JWKS, telemetry, health and readiness, the shared parts of the
//! OpenAPI documents, serving with a graceful shutdown, and the guard on where outgoing HTTP to
//! a person's URL may go.

pub mod auth;
pub mod backing;
pub mod destination;
pub mod edge;
pub mod error;
pub mod health;
pub mod json;
pub mod openapi;
pub mod params;
pub mod ratelimit;
pub mod server;
pub mod service;
pub mod shutdown;
pub mod telemetry;

pub use error::ApiError;
pub use json::{AppJson, OptionalJson};
pub use params::{Path, PathId, Query};
pub use service::{Service, ServiceConfig};
