//! What can go wrong on a link to Home Assistant, each failure named so a person can act on it.

use posey_home::CommandError;
use posey_home::ha::HaError;

#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The address is not echoed: it might carry a password.
    #[error("not a Home Assistant address: {reason}")]
    BadUrl { reason: &'static str },
    /// The access token was refused: the link does not retry with it.
    #[error(
        "Home Assistant at {url} refused the access token ({message}): make a new long-lived access token on its profile page"
    )]
    BadToken { url: String, message: String },
    #[error("could not reach Home Assistant at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("Home Assistant at {url} did not follow its WebSocket protocol: {reason}")]
    Protocol { url: String, reason: String },
    #[error("Home Assistant at {url} did not answer {what} within {seconds} s")]
    Timeout { url: String, what: String, seconds: u64 },
    /// The socket is down: nothing was sent (a service call then goes over REST).
    #[error("not connected to Home Assistant")]
    NotConnected,
    /// The socket went down after the request was sent: it may or may not have run.
    #[error(
        "the connection to Home Assistant was lost before it answered; it may or may not have run"
    )]
    LostBeforeAnswer,
    #[error("Home Assistant refused {service} on {entity_id}: {error}")]
    ServiceRefused {
        service: String,
        entity_id: String,
        #[source]
        error: HaError,
    },
    #[error(transparent)]
    Ha(#[from] HaError),
    #[error(transparent)]
    Command(#[from] CommandError),
    #[error("Home Assistant's REST API answered {status} to {what}: {body}")]
    Rest { what: String, status: u16, body: String },
    /// Service calls go through `Link::call_service`, which checks them.
    #[error("a service call must go through call_service, which checks the command")]
    UncheckedServiceCall,
    #[error("the link to Home Assistant is stopped: {reason}")]
    Stopped { reason: String },
}
