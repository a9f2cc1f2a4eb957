//! Home Assistant: the messages of its WebSocket API and a mirror of one home fed by them.

pub mod messages;
pub mod mirror;

pub use messages::{
    Auth, ClientMessage, Event, HaCommand, HaConfig, HaError, IdCounter, Request, ResultMessage,
    ServerMessage, StateChanged, Target,
};
pub use mirror::{Mirror, Snapshot};
