//! The person's part of their export (`home/` in the zip): their connections, entities,
//! exposure policy and watches as the REST lists give them (never a token, a broker's password
//! or a sealed secret), the whole audit log, and every kept state change as CSV.

use anyhow::Context as _;
use chrono::SecondsFormat;
use posey_plugin::Export;
use sqlx::PgPool;
use uuid::Uuid;

use crate::db::{audit, history};
use crate::routes::{AuditList, connection_list, entity_list, exposure_of, watch_list};

/// Rows read at a time from the audit log and the history.
const PAGE: i64 = 5_000;

/// Writes `person`'s files to `out`, each as soon as it is made.
pub async fn write(db: PgPool, person: Uuid, out: Export) -> anyhow::Result<()> {
    out.json("connections.json", &connection_list(&db, person).await?).await?;
    out.json("entities.json", &entity_list(&db, person, None, None).await?).await?;
    out.json("exposure.json", &exposure_of(&db, person).await?).await?;
    out.json("watches.json", &watch_list(&db, person).await?).await?;
    out.json("audit.json", &all_audit(&db, person).await?).await?;
    out.file("history.csv", history_csv(&db, person).await?).await?;
    Ok(())
}

/// Every entry of the audit log, newest first, read a page at a time.
async fn all_audit(db: &PgPool, person: Uuid) -> anyhow::Result<AuditList> {
    let mut entries = Vec::new();
    loop {
        let before = entries.last().map(|e: &audit::AuditEntry| (e.at, e.id));
        let page = audit::list(db, person, before.map(|b| b.0), before.map(|b| b.1), PAGE)
            .await
            .context("reading the audit log")?;
        let full = page.len() as i64 == PAGE;
        entries.extend(page);
        if !full {
            return Ok(AuditList { entries });
        }
    }
}

/// `entity_id,state,changed_at,attributes` (RFC 3339 times, the attributes as JSON), one row a
/// kept state, by entity and time; read a page at a time.
async fn history_csv(db: &PgPool, person: Uuid) -> anyhow::Result<Vec<u8>> {
    let mut rows = csv::Writer::from_writer(Vec::new());
    rows.write_record(["entity_id", "state", "changed_at", "attributes"])?;
    let mut last: Option<history::Kept> = None;
    loop {
        let page = history::of_person(db, person, last.as_ref(), PAGE)
            .await
            .context("reading the history")?;
        let full = page.len() as i64 == PAGE;
        for kept in &page {
            rows.write_record([
                kept.entity_id.as_str(),
                kept.state.as_str(),
                &kept.at.to_rfc3339_opts(SecondsFormat::Micros, true),
                &kept.attributes.to_string(),
            ])?;
        }
        last = page.into_iter().last();
        if !full {
            break;
        }
    }
    rows.into_inner().context("finishing the history's CSV")
}
