//! Telling a person something outside a turn (an alarm is due, a watched door opened): a
//! plugin hands a [`Notice`] to the host's [`Notifier`], which stores it as one of the person's
//! notifications in cron and delivers it in their channels (in-app, email, Web Push).

use futures::future::BoxFuture;
use serde_json::Value;
use uuid::Uuid;

/// What a person is told.
#[derive(Debug, Clone, PartialEq)]
pub struct Notice {
    pub person: Uuid,
    /// Names this notice for good: a notice whose key the person was already told is not told
    /// again, so a notice may be handed over as many times as it takes to be acknowledged
    /// (at least once, never twice). At most [`MAX_KEY_LEN`] characters.
    pub key: String,
    pub title: String,
    pub body: String,
    /// For the person's apps (what to open), an object.
    pub data: Value,
}

/// The longest a notice's key may be.
pub const MAX_KEY_LEN: usize = 200;

/// Where notices go.
pub trait Notifier: Send + Sync + 'static {
    /// Resolves once the notice is stored (or was stored before under its key); an error means
    /// it may not have been, and it should be handed over again later.
    fn notify(&self, notice: Notice) -> BoxFuture<'static, anyhow::Result<()>>;
}
