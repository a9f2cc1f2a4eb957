//! `TimeZone`: an IANA time zone (`Europe/Berlin`), the only way a zone name gets in. Shown,
//! serialised and stored as its name; there is no fallback: a name that is not a zone is an
//! error naming it, never UTC. The database stores the name as TEXT; the row types convert at
//! the db edge (`#[sqlx(try_from = "String")]`, `.bind(zone.name())`), as this crate has no sqlx.

use std::fmt;
use std::str::FromStr;

use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeZone(Tz);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TimeZoneError {
    #[error("the time zone is empty; use an IANA name such as Europe/Berlin")]
    Empty,
    #[error("unknown time zone \"{0}\"; use an IANA name such as Europe/Berlin")]
    Unknown(String),
}

impl TimeZone {
    pub const UTC: Self = Self(Tz::UTC);

    /// The zone named `name` (surrounding spaces ignored; the name is case-sensitive, as IANA's).
    pub fn parse(name: &str) -> Result<Self, TimeZoneError> {
        let name = name.trim();
        if name.is_empty() {
            return Err(TimeZoneError::Empty);
        }
        name.parse::<Tz>().map(Self).map_err(|_| TimeZoneError::Unknown(name.to_owned()))
    }

    /// Its IANA name, as stored and shown.
    pub fn name(&self) -> &'static str {
        self.0.name()
    }

    /// The zone, for chrono's arithmetic.
    pub fn tz(&self) -> Tz {
        self.0
    }
}

impl From<Tz> for TimeZone {
    fn from(tz: Tz) -> Self {
        Self(tz)
    }
}

impl From<TimeZone> for Tz {
    fn from(zone: TimeZone) -> Self {
        zone.0
    }
}

impl PartialEq<Tz> for TimeZone {
    fn eq(&self, other: &Tz) -> bool {
        self.0 == *other
    }
}

impl FromStr for TimeZone {
    type Err = TimeZoneError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// What a row's TEXT column decodes through (`#[sqlx(try_from = "String")]`).
impl TryFrom<String> for TimeZone {
    type Error = TimeZoneError;

    fn try_from(name: String) -> Result<Self, Self::Error> {
        Self::parse(&name)
    }
}

impl fmt::Display for TimeZone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for TimeZone {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for TimeZone {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let name = String::deserialize(deserializer)?;
        Self::parse(&name).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_iana_names() {
        let berlin = TimeZone::parse("Europe/Berlin").unwrap();
        assert_eq!(berlin, chrono_tz::Europe::Berlin);
        assert_eq!(berlin.name(), "Europe/Berlin");
        assert_eq!(TimeZone::parse("  UTC ").unwrap(), TimeZone::UTC);
        assert_eq!(
            "America/New_York".parse::<TimeZone>().unwrap().tz(),
            chrono_tz::America::New_York
        );
    }

    #[test]
    fn refuses_what_is_not_a_zone_naming_it() {
        assert_eq!(TimeZone::parse(" "), Err(TimeZoneError::Empty));
        let err = TimeZone::parse("Mars/Olympus").unwrap_err();
        assert_eq!(err, TimeZoneError::Unknown("Mars/Olympus".into()));
        assert_eq!(
            err.to_string(),
            "unknown time zone \"Mars/Olympus\"; use an IANA name such as Europe/Berlin"
        );
        // IANA names are case-sensitive; an offset is not a zone.
        assert!(TimeZone::parse("europe/berlin").is_err());
        assert!(TimeZone::parse("+02:00").is_err());
        assert!(TimeZone::try_from("Nowhere".to_owned()).is_err());
    }

    #[test]
    fn round_trips_through_its_name() {
        for name in ["Europe/Berlin", "Asia/Kolkata", "America/Argentina/Buenos_Aires", "UTC"] {
            let zone = TimeZone::parse(name).unwrap();
            assert_eq!(zone.to_string(), name);
            assert_eq!(TimeZone::try_from(zone.name().to_owned()), Ok(zone));
            let json = serde_json::to_string(&zone).unwrap();
            assert_eq!(json, format!("\"{name}\""));
            assert_eq!(serde_json::from_str::<TimeZone>(&json).unwrap(), zone);
        }
        let err = serde_json::from_str::<TimeZone>("\"Mars/Olympus\"").unwrap_err();
        assert!(err.to_string().contains("Mars/Olympus"), "{err}");
    }
}
