//! What the plugin is made with, from the agents service's configuration.

use crate::mqtt;
use crate::seal::SealKey;

/// What the plugin is made with.
#[derive(Debug, Clone)]
pub struct HomeSettings {
    /// The instance's broker (`MQTT_URL`; `posey up` runs one in the process when none is
    /// set): where an MQTT connection without a URL of its own connects.
    pub broker: Option<mqtt::BrokerUrl>,
    /// Seals Home Assistant tokens and broker passwords (`HOME_SEAL_KEY`); without it a
    /// connection that needs one cannot be made.
    pub seal_key: Option<SealKey>,
    /// How long states are kept (`HOME_HISTORY_DAYS`).
    pub history_days: u32,
    /// How often each replica looks for connections made or removed elsewhere.
    pub poll: std::time::Duration,
}

impl Default for HomeSettings {
    fn default() -> Self {
        Self {
            broker: None,
            seal_key: None,
            history_days: Self::DEFAULT_HISTORY_DAYS,
            poll: std::time::Duration::from_secs(10),
        }
    }
}

impl HomeSettings {
    /// Home Assistant's recorder keeps 10 days.
    pub const DEFAULT_HISTORY_DAYS: u32 = 10;
}
