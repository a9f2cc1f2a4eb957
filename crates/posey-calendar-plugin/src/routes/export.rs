//! The calendar's part of a person's export (`GET /v1/me/export`): each calendar as the ICS file
//! its export route gives, and `calendars.json` with the calendars and subscriptions as their
//! lists show them (whether a feed is on, never its token).

use anyhow::Context as _;
use posey_plugin::Export;
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use super::calendars::CalendarList;
use super::subscriptions::{SubscriptionList, subscription_list};
use crate::db;
use crate::service;

#[derive(Serialize)]
struct Calendars {
    #[serde(flatten)]
    calendars: CalendarList,
    #[serde(flatten)]
    subscriptions: SubscriptionList,
}

/// Writes `calendar/<name> (<id>).ics` for each of the person's calendars, one at a time, then
/// `calendar/calendars.json`.
pub async fn export_person(db: PgPool, person: Uuid, out: Export) -> anyhow::Result<()> {
    let calendars = db::list_calendars(&db, person).await.context("listing the calendars")?;
    for calendar in &calendars {
        let text = service::export(&db, calendar)
            .await
            .with_context(|| format!("exporting calendar {}", calendar.id))?;
        out.file(&ics_name(&calendar.name, calendar.id), text).await?;
    }
    let subscriptions =
        subscription_list(&db, person).await.context("listing the subscriptions")?;
    let listed = Calendars { calendars: CalendarList { calendars }, subscriptions };
    out.json("calendars.json", &listed).await
}

/// A calendar's file: its name (a `/` in it would make a folder) and its id's start, so two
/// calendars of one name stay two files.
/// With the whole id: its first digits are a time (UUIDv7), the same for calendars made within
/// a minute, and two calendars of one name must not share a file.
fn ics_name(name: &str, id: Uuid) -> String {
    format!("{} ({}).ics", name.replace('/', "-"), id.simple())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_calendar_file_is_named_by_name_and_id() {
        let id = Uuid::parse_str("0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0").unwrap();
        assert_eq!(ics_name("Work/Home", id), "Work-Home (0b1c2d3e4f5061728394a5b6c7d8e9f0).ics");
        // Made in the same millisecond: the same time digits, still two files.
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        assert_ne!(ics_name("Home", a), ics_name("Home", b));
    }
}
