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
    // The lock an import's commit takes too, before either looks for the other's payment.
    crate::db::lock_bank_payments(&mut *db, row.user_id).await?;
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::str::FromStr as _;

    use posey_finance::bills::Cadence;
    use sqlx::PgPool;

    use super::*;
    use crate::db::recurring::Settings;
    use crate::imports::{self, Upload};
    use crate::service::{Legs, Template};

    const ROUNDS: usize = 30;

    /// A person with a checking account, a gym category, a daily gym payment due today and a
    /// preview of the bank's line for today's payment (made before anything was posted).
    async fn books(pool: &PgPool, today: NaiveDate) -> (Uuid, Uuid, Uuid, Uuid) {
        let (person, checking, gym) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        sqlx::query(
            "INSERT INTO finance.accounts (id, user_id, kind, name, currency) VALUES \
             ($2, $1, 'asset', 'Checking', 'USD'), ($3, $1, 'expense', 'Gym', NULL)",
        )
        .bind(person)
        .bind(checking)
        .bind(gym)
        .execute(pool)
        .await
        .unwrap();
        let amount = Decimal::from_str("-45.00").unwrap();
        let settings = Settings {
            name: "Gym".into(),
            template: Template {
                payee: Some("City Gym".into()),
                description: None,
                notes: None,
                tags: Vec::new(),
                legs: Legs::Simple {
                    account_id: checking,
                    amount,
                    category_id: Some(gym),
                    transfer_account_id: None,
                    transfer_amount: None,
                },
            },
            currency: "USD".into(),
            cadence: Cadence::Days(1),
            starts: today,
            ends: None,
            paused: false,
        };
        let next = Next { date: Some(today), due_at: Some(Utc::now()) };
        let recurring = db::insert(pool, person, &settings, next).await.unwrap();
        let file = format!(
            "Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #\n\
             DEBIT,{},\"CITY GYM MEMBERSHIP\",-45.00,ACH_DEBIT,955.00,,\n",
            today.format("%m/%d/%Y")
        );
        let upload = Upload {
            account_id: checking,
            format: None,
            mapping_id: None,
            preset: Some("chase-checking".into()),
            file_name: None,
            bytes: file.into_bytes().into(),
        };
        let mut conn = pool.acquire().await.unwrap();
        let preview = imports::preview(&mut conn, person, upload).await.unwrap();
        (person, checking, recurring, preview.id)
    }

    /// The poster's claim of `recurring`, as `post_next` makes it, committed.
    async fn post(pool: PgPool, person: Uuid, recurring: Uuid, today: NaiveDate) {
        let mut tx = pool.begin().await.unwrap();
        let row = db::lock(&mut tx, person, recurring).await.unwrap().unwrap();
        let (posted, next_date) = post_due(&mut tx, &row, today).await.unwrap();
        let next = Next { date: next_date, due_at: next_date.map(|_| Utc::now()) };
        db::record_posted(&mut *tx, row.id, posted.count, posted.last, next).await.unwrap();
        tx.commit().await.unwrap();
    }

    /// The import's commit, as its route makes it.
    async fn commit(pool: PgPool, person: Uuid, import: Uuid) {
        let mut tx = pool.begin().await.unwrap();
        imports::commit(&mut tx, person, import).await.unwrap();
        tx.commit().await.unwrap();
    }

    /// The bank's line committed while the poster posts the same day's payment (each in its
    /// own database transaction, in flight at once, in either order) is one payment: whichever
    /// runs second finds the other's transaction.
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn a_bank_line_committed_while_its_date_is_posted_is_one_payment() {
        let db = posey_testkit::TestDatabase::new().await;
        for migration in crate::migrations::MIGRATIONS {
            sqlx::raw_sql(migration.sql).execute(&db.pool).await.unwrap();
        }
        let today = Utc::now().date_naive();
        for round in 0..ROUNDS {
            let (person, checking, recurring, import) = books(&db.pool, today).await;
            let (first, second) = if round % 2 == 0 {
                let a = tokio::spawn(commit(db.pool.clone(), person, import));
                let b = tokio::spawn(post(db.pool.clone(), person, recurring, today));
                (a, b)
            } else {
                let a = tokio::spawn(post(db.pool.clone(), person, recurring, today));
                let b = tokio::spawn(commit(db.pool.clone(), person, import));
                (a, b)
            };
            first.await.unwrap();
            second.await.unwrap();
            let payments: Vec<(Uuid, Option<Uuid>)> = sqlx::query_as(
                "SELECT t.id, t.recurring_id FROM finance.transactions t \
                 JOIN finance.splits s ON s.transaction_id = t.id \
                 WHERE t.user_id = $1 AND s.account_id = $2",
            )
            .bind(person)
            .bind(checking)
            .fetch_all(&db.pool)
            .await
            .unwrap();
            assert_eq!(payments.len(), 1, "round {round}: the gym was paid {payments:?}");
            assert_eq!(payments[0].1, Some(recurring), "round {round}: it is the date's payment");
        }
    }
}
