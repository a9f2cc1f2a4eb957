//! Recurring transactions that post themselves: the next date and the instant it begins in the
//! person's zone, and the worker every agents replica runs, which claims one that is due at a
//! time (its row locked, `SKIP LOCKED`), posts each of its dates up to the person's today in
//! the same database transaction that moves its next date on, and commits both or neither. A
//! date that cannot be posted (an account closed since) pauses it with the reason, for the
//! person to see and fix. A date whose bank line was imported first is that line, not a
//! second payment.

use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, Days, NaiveDate, TimeZone as _, Utc};
use posey_domain::TimeZone;
use posey_finance::bills::{self, Cadence};
use posey_plugin::{CancellationToken, Host};
use rust_decimal::Decimal;
use sqlx::{Acquire as _, PgConnection};
use uuid::Uuid;

use crate::db::recurring::{self as db, Next, RecurringRow};
use crate::db::transactions;
use crate::error::FinanceError;
use crate::imports::MATCH_DAYS;
use crate::service;

/// How often the worker looks for what is due.
const TICK: Duration = Duration::from_secs(5);
/// Dates one claim posts at most (a long outage's backlog is worked off a month at a time).
const CATCH_UP: usize = 31;

/// The instant `date` begins in `zone`: its midnight, or the first moment after a clock change
/// that skips midnight.
pub fn start_of(date: NaiveDate, zone: &TimeZone) -> Option<DateTime<Utc>> {
    let zone = zone.tz();
    (0..=3).find_map(|hour| {
        let local = date.and_hms_opt(hour, 0, 0)?;
        zone.from_local_datetime(&local).earliest().map(|at| at.with_timezone(&Utc))
    })
}

/// The first date on or after `from`, and when it begins.
pub fn next(
    cadence: Cadence,
    starts: NaiveDate,
    ends: Option<NaiveDate>,
    from: NaiveDate,
    zone: &TimeZone,
) -> Next {
    let date = bills::next_on_or_after(cadence, starts, ends, from);
    Next { date, due_at: date.and_then(|date| start_of(date, zone)) }
}

/// Up to `count` dates from the next one.
pub fn upcoming(row: &RecurringRow, count: usize) -> Vec<NaiveDate> {
    let mut dates = Vec::with_capacity(count);
    let mut at = row.next_date;
    while let Some(date) = at {
        if dates.len() == count {
            break;
        }
        dates.push(date);
        at = date
            .checked_add_days(Days::new(1))
            .and_then(|after| bills::next_on_or_after(row.cadence.0, row.starts, row.ends, after));
    }
    dates
}

/// The day after the last date posted: nothing before it is posted again.
pub fn after_posted(row: &RecurringRow) -> Option<NaiveDate> {
    row.last_posted.and_then(|last| last.checked_add_days(Days::new(1)))
}

/// What one claim posted.
#[derive(Debug, Default)]
struct Posted {
    count: i32,
    last: Option<(NaiveDate, Uuid)>,
    /// Why it stopped short, if a date could not be posted.
    refused: Option<FinanceError>,
}

/// Posts `row`'s dates up to `today`, each in a savepoint; where it has got to is the caller's
/// to record.
async fn post_due(
    db: &mut PgConnection,
    row: &RecurringRow,
    today: NaiveDate,
) -> Result<(Posted, Option<NaiveDate>), FinanceError> {
    let mut posted = Posted::default();
    let mut at = row.next_date;
    while let Some(date) = at.filter(|date| *date <= today) {
        if posted.count as usize == CATCH_UP {
            break;
        }
        let mut savepoint = db.begin().await?;
        match post_one(&mut savepoint, row, date).await {
            Ok(id) => {
                savepoint.commit().await?;
                posted.count += 1;
                posted.last = Some((date, id));
            }
            Err(FinanceError::Internal(error)) => return Err(FinanceError::Internal(error)),
            Err(refused) => {
                savepoint.rollback().await?;
                posted.refused = Some(refused);
                break;
            }
        }
        at = date
            .checked_add_days(Days::new(1))
            .and_then(|after| bills::next_on_or_after(row.cadence.0, row.starts, row.ends, after));
    }
    Ok((posted, at))
}

/// Writes the transaction of one date, marked as this recurring transaction's; or, when the
/// bank's line for it was imported first (the same amount on its account, at most
/// [`MATCH_DAYS`] days apart), makes that line this date's instead of adding the payment a
/// second time (the other way round from an import matching what was posted). A reconciled
/// line stands for the date unchanged. The transaction's id.
async fn post_one(
    db: &mut PgConnection,
    row: &RecurringRow,
    date: NaiveDate,
) -> Result<Uuid, FinanceError> {
    let mut new =
        service::build(db, row.user_id, Uuid::now_v7(), row.template.0.entry(date)).await?;
    new.recurring_id = Some(row.id);
    let splits: Vec<(Uuid, Decimal)> =
        new.splits.iter().map(|s| (s.account_id, s.amount)).collect();
    let window = Days::new(MATCH_DAYS);
    let around = (
        date.checked_sub_days(window).unwrap_or(date),
        date.checked_add_days(window).unwrap_or(date),
    );
    if let Some(line) =
        db::imported_for(&mut *db, row.user_id, row.id, &splits, date, around).await?
    {
        if line.status == "reconciled" {
            return Ok(line.id);
        }
        // A two-sided template's other side is where the money went: the line's category.
        let category = match new.splits.as_slice() {
            [a, b] if a.account_id == line.account_id => Some(b.account_id),
            [a, b] if b.account_id == line.account_id => Some(a.account_id),
            _ => None,
        };
        let description = new.description.as_deref();
        if db::adopt_imported(db, row.user_id, line.id, row.id, new.payee_id, description, category)
            .await?
        {
            return Ok(line.id);
        }
    }
    transactions::insert(db, row.user_id, std::slice::from_ref(&new)).await?;
    Ok(new.id)
}

/// Posts what is due until `stop`, looking every few seconds.
pub async fn run(host: Host, stop: CancellationToken) {
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(TICK) => {}
        }
        // One claim at a time until nothing is due.
        while !stop.is_cancelled() {
            match post_next(&host).await {
                Ok(true) => {}
                Ok(false) => break,
                Err(error) => {
                    tracing::warn!(error = %format!("{error:#}"), "posting recurring transactions");
                    break;
                }
            }
        }
    }
}

/// Claims one due recurring transaction and posts its dates: whether there was one.
async fn post_next(host: &Host) -> anyhow::Result<bool> {
    let mut tx = host.db.begin().await.context("starting a transaction")?;
    let Some(row) = db::claim_due(&mut tx).await.context("claiming a due one")? else {
        return Ok(false);
    };
    let zone = host.profiles.profile(row.user_id).await?.time_zone;
    let today = Utc::now().with_timezone(&zone.tz()).date_naive();
    let (posted, next_date) =
        post_due(&mut tx, &row, today).await.map_err(|error| match error {
            FinanceError::Internal(error) => error,
            other => anyhow::anyhow!("{other}"),
        })?;
    let next = Next { date: next_date, due_at: next_date.and_then(|date| start_of(date, &zone)) };
    db::record_posted(&mut *tx, row.id, posted.count, posted.last, next)
        .await
        .context("recording what was posted")?;
    if let Some(refused) = &posted.refused {
        let reason =
            format!("{}: {refused}", next_date.map_or_else(String::new, |d| d.to_string()));
        db::pause(&mut *tx, row.id, &reason).await.context("pausing it")?;
        tracing::info!(recurring = %row.id, reason, "a recurring transaction paused itself");
    }
    tx.commit().await.context("committing what was posted")?;
    if posted.count > 0 {
        tracing::debug!(recurring = %row.id, count = posted.count, "recurring transactions posted");
    }
    Ok(true)
}
