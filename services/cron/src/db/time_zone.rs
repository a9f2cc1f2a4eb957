//! Stored time zones. `cron.tasks.time_zone` is TEXT holding an IANA name; what reads it gets a
//! `TimeZone` (posey-domain has no sqlx, so the decoding lives here), never UTC in place of a
//! name that is not a zone. Binds write `zone.name()`.
//!
//! The query macros type the column with an override (`time_zone AS "time_zone: StoredZone"`);
//! the row's field is the `TimeZone` (or, for the dispatcher, the zone or the error naming it).

use posey_domain::{TimeZone, TimeZoneError};
use sqlx::error::BoxDynError;
use sqlx::postgres::{PgTypeInfo, PgValueRef};
use sqlx::{Decode, Postgres, Type};

/// A stored zone read strictly: a name that is not a zone fails the row with an error naming
/// it (`unknown time zone "Mars/Olympus"`).
pub struct StoredZone(TimeZone);

/// A stored zone read as the zone or the error naming it, for a reader that must go on past one
/// bad row (the dispatcher stops that task alone rather than fail every batch).
pub struct CheckedZone(Result<TimeZone, TimeZoneError>);

impl From<StoredZone> for TimeZone {
    fn from(zone: StoredZone) -> Self {
        zone.0
    }
}

impl From<CheckedZone> for Result<TimeZone, TimeZoneError> {
    fn from(zone: CheckedZone) -> Self {
        zone.0
    }
}

impl Type<Postgres> for StoredZone {
    fn type_info() -> PgTypeInfo {
        <str as Type<Postgres>>::type_info()
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        <str as Type<Postgres>>::compatible(ty)
    }
}

impl Type<Postgres> for CheckedZone {
    fn type_info() -> PgTypeInfo {
        <str as Type<Postgres>>::type_info()
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        <str as Type<Postgres>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Postgres> for StoredZone {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Self(TimeZone::parse(<&str as Decode<Postgres>>::decode(value)?)?))
    }
}

impl<'r> Decode<'r, Postgres> for CheckedZone {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Self(TimeZone::parse(<&str as Decode<Postgres>>::decode(value)?)))
    }
}
