//! Subscribing and refreshing: a feed is fetched, read leniently (an event or to-do that is
//! wrong on its own is skipped with the reason, as an import does), and the calendar made to
//! hold what it holds in one commit: new and changed UIDs put, UIDs gone deleted, the rest
//! untouched so that sync tokens move only for real changes. A failed refresh changes nothing
//! in the calendar; it is recorded, and the next attempt waits longer after each.

use std::time::Duration;

use chrono_tz::Tz;
use posey_calendar::Object;
use posey_calendar::ics::{self, Limits};
use posey_calendar::object::{Skipped, parse_calendar_lenient};
use serde::Serialize;
use sqlx::PgPool;
use url::Url;
use uuid::Uuid;

use super::db::{self as subscriptions, NewSubscription, Subscription};
use super::fetch::{FetchError, Fetched, Fetcher, Validators, host_of};
use crate::db::{self, Calendar};
use crate::service::{self, Mode, SkippedJson};
use crate::store::{self, zone_of};

/// How long a replica holds a subscription it refreshes: well past the longest fetch.
pub const LEASE: Duration = Duration::from_secs(300);

/// The shortest, default and longest refresh intervals.
pub const MIN_INTERVAL: Duration = Duration::from_secs(15 * 60);
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(3600);
pub const MAX_INTERVAL: Duration = Duration::from_secs(7 * 24 * 3600);

/// The longest wait after failures, unless the interval is longer.
const MAX_BACKOFF: Duration = Duration::from_secs(24 * 3600);

/// The subscriptions one person may have: each is a fetch on a schedule made for them.
pub const MAX_PER_PERSON: i64 = 50;

/// The skipped events and to-dos kept with a subscription's status (a refresh's report has
/// them all).
const KEEP_SKIPPED: usize = 100;

/// What a subscription's fetch did to its calendar.
#[derive(Debug, Clone, Default, Serialize, utoipa::ToSchema)]
pub struct RefreshReport {
    /// The server said the feed had not changed (304): nothing was read or changed.
    pub not_modified: bool,
    /// UIDs new to the calendar.
    pub added: Vec<String>,
    /// UIDs it had, now as the feed has them.
    pub updated: Vec<String>,
    /// UIDs the feed no longer has, deleted.
    pub removed: Vec<String>,
    /// Events and to-dos as they were.
    pub unchanged: usize,
    /// Events and to-dos of the feed left out, with why.
    pub skipped: Vec<SkippedJson>,
}

/// Why a subscription could not be made or refreshed.
#[derive(Debug, thiserror::Error)]
pub enum RefreshError {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    /// What the URL served is not an iCalendar file.
    #[error("{0}")]
    NotCalendar(String),
    #[error("an internal error stopped the refresh; it will be tried again")]
    Internal(#[from] anyhow::Error),
}

impl From<sqlx::Error> for RefreshError {
    fn from(error: sqlx::Error) -> Self {
        Self::Internal(error.into())
    }
}

impl From<store::StoreError> for RefreshError {
    fn from(error: store::StoreError) -> Self {
        Self::Internal(anyhow::Error::new(error).context("writing a subscription's objects"))
    }
}

/// A feed read: its objects, and those left out with why.
fn read_feed(
    text: &str,
    content_type: Option<&str>,
) -> Result<(Vec<Object>, Vec<Skipped>), RefreshError> {
    parse_calendar_lenient(text, &Limits::FILE).map_err(|error| {
        let page = content_type.is_some_and(|t| t.to_ascii_lowercase().starts_with("text/html"));
        let hint = if page {
            " (it is a web page: give the calendar's iCal or ICS address, not the page showing it)"
        } else {
            ""
        };
        RefreshError::NotCalendar(format!(
            "the address does not serve an iCalendar file{hint}: {error}"
        ))
    })
}

/// The skipped list as stored: the first [`KEEP_SKIPPED`].
fn skipped_json(skipped: &[SkippedJson]) -> serde_json::Value {
    serde_json::to_value(&skipped[..skipped.len().min(KEEP_SKIPPED)]).unwrap_or_default()
}

/// When to try again after `failures` failures in a row: the interval, doubled with each
/// further failure, up to a day (or the interval, when that is longer).
pub fn retry_in(refresh_secs: i32, failures: i32) -> Duration {
    let interval = Duration::from_secs(u64::try_from(refresh_secs).unwrap_or(3600).max(1));
    let doublings = u32::try_from(failures.saturating_sub(1)).unwrap_or(0).min(20);
    interval.saturating_mul(1 << doublings).min(MAX_BACKOFF.max(interval))
}

/// What one refresh came to: the subscription as recorded after it (`None`: it was deleted
/// meanwhile), and what it did or why it failed.
pub struct Refreshed {
    pub subscription: Option<Subscription>,
    pub outcome: Result<RefreshReport, RefreshError>,
}

/// Refreshes a subscription whose lease this replica holds, and records how it went (which
/// lets the lease go). `Err`: the outcome could not be recorded.
pub async fn refresh(
    db: &PgPool,
    fetcher: &Fetcher,
    held: &Subscription,
) -> Result<Refreshed, sqlx::Error> {
    let outcome = fetch_and_apply(db, fetcher, held).await;
    let subscription = match &outcome {
        Ok((report, validators)) => {
            let skipped = (!report.not_modified).then(|| skipped_json(&report.skipped));
            subscriptions::succeeded(db, held.calendar_id, validators.as_ref(), skipped.as_ref())
                .await
        }
        Err(error) => {
            let retry = retry_in(held.refresh_secs, held.failures.saturating_add(1));
            subscriptions::failed(db, held.calendar_id, &error.to_string(), retry).await
        }
    };
    let subscription = match subscription {
        Ok(subscription) => subscription,
        Err(error) => {
            // Not recorded: let the lease go so that it is tried again soon; the error is the
            // caller's to report.
            let _ = subscriptions::release(db, held.calendar_id).await;
            return Err(error);
        }
    };
    Ok(Refreshed { subscription, outcome: outcome.map(|(report, _)| report) })
}

/// The fetch and, when the feed changed, the commit: the report, and the new validators
/// (`None` after a 304).
async fn fetch_and_apply(
    db: &PgPool,
    fetcher: &Fetcher,
    held: &Subscription,
) -> Result<(RefreshReport, Option<Validators>), RefreshError> {
    let url = Url::parse(&held.url).map_err(|error| {
        RefreshError::Internal(anyhow::anyhow!("stored subscription URL does not parse: {error}"))
    })?;
    let (text, content_type, validators) = match fetcher.fetch(&url, &held.validators()).await? {
        Fetched::NotModified => {
            return Ok((RefreshReport { not_modified: true, ..RefreshReport::default() }, None));
        }
        Fetched::Feed { text, content_type, validators } => (text, content_type, validators),
    };
    let feed = read_feed(&text, content_type.as_deref())?;
    let Some(calendar) = db::calendar(db, held.user_id, held.calendar_id).await? else {
        return Ok((RefreshReport::default(), Some(validators)));
    };
    let report = apply(db, &calendar, feed).await?;
    Ok((report, Some(validators)))
}

/// Makes `calendar` hold the feed's objects, in one commit.
async fn apply(
    db: &PgPool,
    calendar: &Calendar,
    feed: (Vec<Object>, Vec<Skipped>),
) -> Result<RefreshReport, RefreshError> {
    let existing = db::calendar_objects(db, calendar.id).await?;
    let plan = service::plan(zone_of(calendar), &existing, feed, Mode::Mirror)?;
    if !plan.changes.is_empty() {
        store::commit(db, calendar.user_id, calendar.id, plan.changes).await?;
    }
    Ok(RefreshReport {
        not_modified: false,
        added: plan.report.added,
        updated: plan.report.updated,
        removed: plan.removed,
        unchanged: plan.report.unchanged.len(),
        skipped: plan.report.skipped,
    })
}

/// A subscription to make.
pub struct Subscribe {
    pub url: Url,
    /// The calendar's name; else the feed's (X-WR-CALNAME), else the URL's host.
    pub name: Option<String>,
    pub colour: Option<String>,
    /// The zone floating and all-day times are read in; else the feed's (X-WR-TIMEZONE), else
    /// `fallback_zone` (the person's).
    pub time_zone: Option<Tz>,
    pub fallback_zone: Tz,
    pub refresh_secs: i32,
}

/// Fetches the feed once and, when it is an iCalendar file, makes a calendar of the person's
/// filled from it and the subscription that keeps it so. Nothing is made when the fetch fails.
pub async fn subscribe(
    db: &PgPool,
    fetcher: &Fetcher,
    person: Uuid,
    request: Subscribe,
) -> Result<(Calendar, Subscription, RefreshReport), RefreshError> {
    let Fetched::Feed { text, content_type, validators } =
        fetcher.fetch(&request.url, &Validators::default()).await?
    else {
        return Err(RefreshError::Fetch(FetchError::Status {
            host: host_of(&request.url),
            status: 304,
        }));
    };
    let feed = read_feed(&text, content_type.as_deref())?;
    let (feed_name, feed_zone) = names(&text);
    let name = request.name.or(feed_name).unwrap_or_else(|| host_of(&request.url));
    let zone = request.time_zone.or(feed_zone).unwrap_or(request.fallback_zone);

    let mut tx = db.begin().await?;
    let calendar =
        db::insert_calendar(&mut *tx, person, &name, request.colour.as_deref(), zone.name(), None)
            .await?;
    subscriptions::insert(
        &mut *tx,
        &NewSubscription {
            calendar_id: calendar.id,
            person,
            url: request.url.as_str(),
            refresh_secs: request.refresh_secs,
            validators: &validators,
            skipped: &serde_json::Value::Array(Vec::new()),
        },
    )
    .await?;
    tx.commit().await?;
    let report = match apply(db, &calendar, feed).await {
        Ok(report) => report,
        Err(error) => {
            // All or nothing: the calendar goes again (and its subscription with it).
            db::delete_calendar(db, person, calendar.id).await?;
            return Err(error);
        }
    };
    let skipped = skipped_json(&report.skipped);
    let subscription = subscriptions::succeeded(db, calendar.id, None, Some(&skipped))
        .await?
        .ok_or_else(|| anyhow::anyhow!("the subscription just made is gone"))?;
    let calendar = db::calendar(db, person, calendar.id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the calendar just made is gone"))?;
    Ok((calendar, subscription, report))
}

/// The feed's own name for itself and its zone (X-WR-CALNAME, X-WR-TIMEZONE), when it gives
/// usable ones.
fn names(text: &str) -> (Option<String>, Option<Tz>) {
    let Ok(tree) = ics::parse(text, &Limits::FILE) else { return (None, None) };
    let Some(calendar) = tree.iter().find(|component| component.name == "VCALENDAR") else {
        return (None, None);
    };
    let name = calendar
        .property("X-WR-CALNAME")
        .map(|property| ics::values::text(&property.value).trim().chars().take(200).collect())
        .filter(|name: &String| !name.trim().is_empty());
    let zone = calendar
        .property("X-WR-TIMEZONE")
        .and_then(|property| ics::values::resolve_tzid(&property.value));
    (name.map(|name| name.trim().to_owned()), zone)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_back_off_from_the_interval_up_to_a_day() {
        let hours = |n: u64| Duration::from_secs(n * 3600);
        assert_eq!(retry_in(3600, 1), hours(1));
        assert_eq!(retry_in(3600, 2), hours(2));
        assert_eq!(retry_in(3600, 3), hours(4));
        assert_eq!(retry_in(3600, 6), hours(24));
        assert_eq!(retry_in(3600, 1000), hours(24));
        assert_eq!(retry_in(900, 1), Duration::from_secs(900));
        // A week's interval is never shortened by failing.
        assert_eq!(retry_in(7 * 24 * 3600, 3), MAX_INTERVAL);
    }

    #[test]
    fn a_feed_names_itself_and_its_zone() {
        let text = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nX-WR-CALNAME:Holidays\\, Berlin\r\n\
                    X-WR-TIMEZONE:Europe/Berlin\r\nEND:VCALENDAR\r\n";
        let (name, zone) = names(text);
        assert_eq!(name.as_deref(), Some("Holidays, Berlin"));
        assert_eq!(zone, Some(chrono_tz::Europe::Berlin));
        assert_eq!(names("BEGIN:VCALENDAR\r\nX-WR-CALNAME: \r\nEND:VCALENDAR\r\n"), (None, None));
        assert_eq!(names("<html>"), (None, None));
    }

    #[test]
    fn a_web_page_is_not_a_calendar_and_says_so() {
        let error = read_feed("<!doctype html><p>Sign in</p>", Some("text/html; charset=utf-8"))
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("the address does not serve an iCalendar file"), "{error}");
        assert!(error.contains("web page"), "{error}");
    }
}
