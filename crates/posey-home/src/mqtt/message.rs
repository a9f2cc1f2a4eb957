//! What the MQTT side's parsers refuse, and one message to publish.

use std::fmt;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MqttError {
    #[error("{0:?} is not a discovery topic: <prefix>/<component>/[<node_id>/]<object_id>/config")]
    NotDiscoveryTopic(String),
    #[error("the payload is not JSON: {0:?}")]
    NotJson(String),
    #[error("the discovery payload is not a JSON object")]
    NotAnObject,
    #[error("the {component} configuration is not valid: {message}")]
    Config { component: String, message: String },
    #[error("the {0} component is not supported")]
    UnsupportedComponent(String),
    #[error(
        "the template {0:?} is not supported: only {{{{ value }}}}, {{{{ value_json.key }}}} and {{{{ value_json['key'] }}}} are"
    )]
    UnsupportedTemplate(String),
    #[error("{entity} cannot {what}")]
    Unsupported { entity: String, what: String },
    #[error("{entity} sent {payload:?}, which is none of its states")]
    UnexpectedPayload { entity: String, payload: String },
    #[error("the alarm needs a code for that")]
    CodeRequired,
    #[error("the code is not the alarm's code")]
    WrongCode,
}

/// One MQTT message to publish. A payload carrying an alarm code is `sensitive`: `Debug`
/// does not show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Publication {
    pub topic: String,
    pub payload: String,
    pub retain: bool,
    pub qos: u8,
    pub sensitive: bool,
}

impl Publication {
    pub fn new(
        topic: impl Into<String>,
        payload: impl Into<String>,
        retain: bool,
        qos: u8,
    ) -> Self {
        Self { topic: topic.into(), payload: payload.into(), retain, qos, sensitive: false }
    }
}

impl fmt::Debug for Publication {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let payload: &dyn fmt::Debug = if self.sensitive { &"***" } else { &self.payload };
        f.debug_struct("Publication")
            .field("topic", &self.topic)
            .field("payload", payload)
            .field("retain", &self.retain)
            .field("qos", &self.qos)
            .finish()
    }
}
