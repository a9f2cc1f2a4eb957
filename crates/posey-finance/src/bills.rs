//! Recurring bills and recurring transactions: the dates something falls due, counted from an
//! anchor date (a monthly bill from Jan 31 is due Feb 28 or 29, then Mar 31), and which
//! booked payment paid which due date, as Firefly III's bills and Actual's schedules show.

use chrono::{Days, Months, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// At most this many dates come out of one call: daily over 27 years. Enough for any view a
/// person looks at, and bounded whatever range is asked for.
pub const MAX_DATES: usize = 10_000;

/// Every so many days, weeks, months or years from the anchor date. Months and years are
/// counted from the anchor each time, not from the date before, so a date clamped to a short
/// month's end (Jan 31 → Feb 28) goes back to the 31st when the month has one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Cadence {
    Days(u32),
    Weeks(u32),
    Months(u32),
    Years(u32),
}

impl Cadence {
    /// The `n`th date from `anchor` (the anchor is the 0th); `None` past the calendar's end.
    fn nth(&self, anchor: NaiveDate, n: u64) -> Option<NaiveDate> {
        let months = |every: u32| u32::try_from(n.checked_mul(u64::from(every))?).ok();
        match *self {
            Self::Days(every) => {
                anchor.checked_add_days(Days::new(n.checked_mul(u64::from(every))?))
            }
            Self::Weeks(every) => {
                anchor.checked_add_days(Days::new(n.checked_mul(u64::from(every))?.checked_mul(7)?))
            }
            // chrono clamps to the month's last day.
            Self::Months(every) => anchor.checked_add_months(Months::new(months(every)?)),
            Self::Years(every) => {
                anchor.checked_add_months(Months::new(months(every)?.checked_mul(12)?))
            }
        }
    }

    fn every(&self) -> u32 {
        match *self {
            Self::Days(n) | Self::Weeks(n) | Self::Months(n) | Self::Years(n) => n,
        }
    }

    /// A count of steps that does not pass `date`: where to start looking instead of at the
    /// anchor (a daily schedule from 1990 asked about this week).
    fn steps_before(&self, anchor: NaiveDate, date: NaiveDate) -> u64 {
        let days = (date - anchor).num_days();
        if days <= 0 || self.every() == 0 {
            return 0;
        }
        let days = days.unsigned_abs();
        let every = u64::from(self.every());
        let step_days = match self {
            Self::Days(_) => every,
            Self::Weeks(_) => every * 7,
            // A month is at least 28 days, a year 365: never overshoots, and the few steps
            // short are walked.
            Self::Months(_) => every * 31,
            Self::Years(_) => every * 366,
        };
        days / step_days
    }
}

/// The dates of a recurring thing: from `starts` by `cadence`, up to and including `ends`,
/// those in `from..to` (half-open), at most [`MAX_DATES`]. A cadence of zero is the start
/// date alone.
pub fn occurrences(
    cadence: Cadence,
    starts: NaiveDate,
    ends: Option<NaiveDate>,
    from: NaiveDate,
    to: NaiveDate,
) -> Vec<NaiveDate> {
    let mut dates = Vec::new();
    let last = ends.map_or(to, |ends| to.min(ends.succ_opt().unwrap_or(ends)));
    if cadence.every() == 0 {
        if (from..last).contains(&starts) {
            dates.push(starts);
        }
        return dates;
    }
    let mut n = cadence.steps_before(starts, from);
    while dates.len() < MAX_DATES {
        let Some(date) = cadence.nth(starts, n) else { break };
        if date >= last {
            break;
        }
        if date >= from {
            dates.push(date);
        }
        n += 1;
    }
    dates
}

/// The first date of a recurring thing on or after `date`; `None` when it has ended (or the
/// calendar has). Walks from a step just before `date`, so it costs a few steps however far
/// `date` is from `starts`.
pub fn next_on_or_after(
    cadence: Cadence,
    starts: NaiveDate,
    ends: Option<NaiveDate>,
    date: NaiveDate,
) -> Option<NaiveDate> {
    if cadence.every() == 0 {
        return (starts >= date && ends.is_none_or(|ends| starts <= ends)).then_some(starts);
    }
    let mut n = cadence.steps_before(starts, date);
    loop {
        let next = cadence.nth(starts, n)?;
        if ends.is_some_and(|ends| next > ends) {
            return None;
        }
        if next >= date {
            return Some(next);
        }
        n += 1;
    }
}

/// A bill: an amount expected every so often, paid to a payee.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Bill {
    pub name: String,
    /// Text the paying transaction's payee contains, ignoring case; empty: any payee.
    pub payee_contains: String,
    /// What a payment is expected to be, signed as the account sees it (a bill paid is
    /// negative).
    #[schema(value_type = String, example = "-49.99")]
    pub amount: Decimal,
    /// How far a payment's amount may be from `amount` and still pay the bill, as an absolute
    /// amount in the bill's currency (Firefly III's bills give a minimum and a maximum, the
    /// same thing): -49.99 with 5.00 takes -54.99 up to -44.99.
    #[schema(value_type = String, example = "5.00")]
    pub tolerance: Decimal,
    pub cadence: Cadence,
    /// The anchor: the first due date.
    pub starts: NaiveDate,
    /// The last day the bill can fall due, itself included.
    pub ends: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BillError {
    #[error("a bill needs a name")]
    NoName,
    #[error("a bill recurs every 1 or more days, weeks, months or years")]
    ZeroCadence,
    #[error("the tolerance {0} is below zero")]
    NegativeTolerance(Decimal),
    #[error("the bill ends ({ends}) before it starts ({starts})")]
    EndsBeforeStart { starts: NaiveDate, ends: NaiveDate },
}

impl Bill {
    /// What a bill must be to be saved.
    pub fn check(&self) -> Result<(), BillError> {
        if self.name.trim().is_empty() {
            return Err(BillError::NoName);
        }
        if self.cadence.every() == 0 {
            return Err(BillError::ZeroCadence);
        }
        if self.tolerance < Decimal::ZERO {
            return Err(BillError::NegativeTolerance(self.tolerance));
        }
        if let Some(ends) = self.ends.filter(|ends| *ends < self.starts) {
            return Err(BillError::EndsBeforeStart { starts: self.starts, ends });
        }
        Ok(())
    }

    /// Whether a payment of `amount` to `payee` can pay this bill (dates aside).
    pub fn accepts(&self, amount: Decimal, payee: Option<&str>) -> bool {
        let wanted = self.payee_contains.trim().to_lowercase();
        let payee_fits =
            wanted.is_empty() || payee.is_some_and(|payee| payee.to_lowercase().contains(&wanted));
        payee_fits && (amount - self.amount).abs() <= self.tolerance
    }
}

/// The bill's due dates in `from..to` (half-open), at most [`MAX_DATES`].
pub fn due_dates(bill: &Bill, from: NaiveDate, to: NaiveDate) -> Vec<NaiveDate> {
    occurrences(bill.cadence, bill.starts, bill.ends, from, to)
}

/// A booked transaction that may have paid a bill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Candidate {
    pub id: Uuid,
    pub date: NaiveDate,
    #[schema(value_type = String, example = "-49.99")]
    pub amount: Decimal,
    pub payee: Option<String>,
}

/// Which candidate paid each due date, in the order of `dues`: a payment the bill
/// [accepts](Bill::accepts) up to `window_days` before or after the date. Each due date gets
/// at most one payment and each payment pays at most one due date; the pair closest in date
/// is taken first, ties going to the earlier due date, then the earlier payment, then the
/// lower id, so the same books always match the same way.
pub fn match_payments(
    bill: &Bill,
    dues: &[NaiveDate],
    candidates: &[Candidate],
    window_days: u32,
) -> Vec<(NaiveDate, Option<Uuid>)> {
    let fitting: Vec<&Candidate> =
        candidates.iter().filter(|c| bill.accepts(c.amount, c.payee.as_deref())).collect();
    let mut pairs = Vec::new();
    for (due_at, due) in dues.iter().enumerate() {
        for (paid_at, payment) in fitting.iter().enumerate() {
            let distance = (payment.date - *due).num_days().unsigned_abs();
            if distance <= u64::from(window_days) {
                pairs.push((distance, *due, payment.date, payment.id, due_at, paid_at));
            }
        }
    }
    pairs.sort_unstable();
    let mut paid_by: Vec<Option<Uuid>> = vec![None; dues.len()];
    let mut used = vec![false; fitting.len()];
    for (_, _, _, id, due_at, paid_at) in pairs {
        if paid_by[due_at].is_none() && !used[paid_at] {
            paid_by[due_at] = Some(id);
            used[paid_at] = true;
        }
    }
    dues.iter().copied().zip(paid_by).collect()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DueStatus {
    Paid,
    /// Not paid, and still payable: the date is ahead, or a late payment would still match.
    Upcoming,
    /// Not paid, and the window for a late payment has passed.
    Missed,
}

/// A due date's status on `today`, given what [`match_payments`] found for it with the same
/// `window_days`.
pub fn due_status(
    due: NaiveDate,
    payment: Option<Uuid>,
    today: NaiveDate,
    window_days: u32,
) -> DueStatus {
    if payment.is_some() {
        DueStatus::Paid
    } else if due
        .checked_add_days(Days::new(u64::from(window_days)))
        .is_some_and(|last| last < today)
    {
        DueStatus::Missed
    } else {
        DueStatus::Upcoming
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn date(text: &str) -> NaiveDate {
        NaiveDate::from_str(text).expect("a date")
    }

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).expect("a decimal")
    }

    fn dates(texts: &[&str]) -> Vec<NaiveDate> {
        texts.iter().map(|text| date(text)).collect()
    }

    fn rent() -> Bill {
        Bill {
            name: "Rent".into(),
            payee_contains: "hausverwaltung".into(),
            amount: dec("-950.00"),
            tolerance: dec("10.00"),
            cadence: Cadence::Months(1),
            starts: date("2023-01-31"),
            ends: None,
        }
    }

    fn paid(n: u128, on: &str, amount: &str) -> Candidate {
        Candidate {
            id: Uuid::from_u128(n),
            date: date(on),
            amount: dec(amount),
            payee: Some("Hausverwaltung Müller GmbH".into()),
        }
    }

    #[test]
    fn month_ends_clamp_and_come_back_across_a_leap_year() {
        let bill = rent();
        assert_eq!(
            due_dates(&bill, date("2023-01-01"), date("2023-05-01")),
            dates(&["2023-01-31", "2023-02-28", "2023-03-31", "2023-04-30"])
        );
        assert_eq!(
            due_dates(&bill, date("2024-01-15"), date("2024-04-01")),
            dates(&["2024-01-31", "2024-02-29", "2024-03-31"])
        );
        let leap_day = Bill { cadence: Cadence::Years(1), starts: date("2024-02-29"), ..rent() };
        assert_eq!(
            due_dates(&leap_day, date("2024-01-01"), date("2029-01-01")),
            dates(&["2024-02-29", "2025-02-28", "2026-02-28", "2027-02-28", "2028-02-29"])
        );
    }

    #[test]
    fn ranges_are_half_open_and_end_at_the_bills_last_day() {
        let weekly = Bill { cadence: Cadence::Weeks(2), starts: date("2026-01-05"), ..rent() };
        assert_eq!(
            due_dates(&weekly, date("2026-01-05"), date("2026-02-02")),
            dates(&["2026-01-05", "2026-01-19"])
        );
        let ending = Bill { ends: Some(date("2026-02-02")), ..weekly };
        assert_eq!(
            due_dates(&ending, date("2026-01-01"), date("2027-01-01")),
            dates(&["2026-01-05", "2026-01-19", "2026-02-02"])
        );
        assert!(due_dates(&rent(), date("2020-01-01"), date("2023-01-31")).is_empty());
    }

    #[test]
    fn far_ranges_are_capped_and_late_starts_skip_ahead() {
        let daily = Bill { cadence: Cadence::Days(1), starts: date("1900-01-01"), ..rent() };
        let many = due_dates(&daily, date("1900-01-01"), date("2200-01-01"));
        assert_eq!(many.len(), MAX_DATES);
        assert_eq!(
            due_dates(&daily, date("2026-03-01"), date("2026-03-03")),
            dates(&["2026-03-01", "2026-03-02"])
        );
        let quarterly = Bill { cadence: Cadence::Months(3), starts: date("2000-05-31"), ..rent() };
        assert_eq!(
            due_dates(&quarterly, date("2026-01-01"), date("2027-01-01")),
            dates(&["2026-02-28", "2026-05-31", "2026-08-31", "2026-11-30"])
        );
    }

    #[test]
    fn a_payment_three_days_late_pays_the_bill() {
        let bill = rent();
        let dues = due_dates(&bill, date("2026-01-01"), date("2026-03-01"));
        let payments = [paid(1, "2026-02-03", "-950.00"), paid(2, "2026-02-27", "-955.00")];
        assert_eq!(
            match_payments(&bill, &dues, &payments, 5),
            [
                (date("2026-01-31"), Some(Uuid::from_u128(1))),
                (date("2026-02-28"), Some(Uuid::from_u128(2)))
            ]
        );
    }

    #[test]
    fn two_dues_and_one_payment_leave_one_missed() {
        let bill = rent();
        let dues = dates(&["2026-01-31", "2026-02-28"]);
        let matched = match_payments(&bill, &dues, &[paid(7, "2026-02-26", "-950.00")], 30);
        assert_eq!(matched, [(dues[0], None), (dues[1], Some(Uuid::from_u128(7)))]);
        let today = date("2026-03-10");
        assert_eq!(due_status(dues[0], matched[0].1, today, 5), DueStatus::Missed);
        assert_eq!(due_status(dues[1], matched[1].1, today, 5), DueStatus::Paid);
        assert_eq!(due_status(date("2026-03-08"), None, today, 5), DueStatus::Upcoming);
        assert_eq!(due_status(date("2026-03-31"), None, today, 5), DueStatus::Upcoming);
    }

    #[test]
    fn ties_go_to_the_earlier_due_date_then_the_earlier_payment_then_the_lower_id() {
        let bill = Bill { cadence: Cadence::Days(2), ..rent() };
        let dues = dates(&["2026-01-01", "2026-01-03"]);
        // Both dues are a day from the payment: the earlier takes it.
        let one = [paid(1, "2026-01-02", "-950")];
        assert_eq!(match_payments(&bill, &dues, &one, 3)[0].1, Some(Uuid::from_u128(1)));
        // Two payments the same day: the lower id wins, whatever order they come in.
        let twins = [paid(9, "2026-01-01", "-950"), paid(4, "2026-01-01", "-950")];
        let matched = match_payments(&bill, &dues[..1], &twins, 3);
        assert_eq!(matched[0].1, Some(Uuid::from_u128(4)));
    }

    #[test]
    fn payments_outside_the_tolerance_or_to_someone_else_do_not_pay() {
        let bill = rent();
        let dues = dates(&["2026-01-31"]);
        let too_much = [paid(1, "2026-01-31", "-960.01")];
        assert_eq!(match_payments(&bill, &dues, &too_much, 5)[0].1, None);
        let at_the_edge = [paid(1, "2026-01-31", "-960.00")];
        assert_eq!(match_payments(&bill, &dues, &at_the_edge, 5)[0].1, Some(Uuid::from_u128(1)));
        let refund = [paid(1, "2026-01-31", "950.00")];
        assert_eq!(match_payments(&bill, &dues, &refund, 5)[0].1, None);
        let elsewhere =
            [Candidate { payee: Some("Bäckerei".into()), ..paid(1, "2026-01-31", "-950") }];
        assert_eq!(match_payments(&bill, &dues, &elsewhere, 5)[0].1, None);
        let too_late = [paid(1, "2026-02-06", "-950")];
        assert_eq!(match_payments(&bill, &dues, &too_late, 5)[0].1, None);
    }

    #[test]
    fn bills_are_checked_before_saving() {
        assert_eq!(rent().check(), Ok(()));
        assert_eq!(
            Bill { cadence: Cadence::Months(0), ..rent() }.check(),
            Err(BillError::ZeroCadence)
        );
        assert!(Bill { tolerance: dec("-1"), ..rent() }.check().is_err());
        assert!(Bill { ends: Some(date("2022-01-01")), ..rent() }.check().is_err());
        assert_eq!(Bill { name: " ".into(), ..rent() }.check(), Err(BillError::NoName));
    }

    #[test]
    fn the_next_date_counts_from_the_anchor_and_stops_at_the_end() {
        let monthly = Cadence::Months(1);
        let starts = date("2026-01-31");
        assert_eq!(next_on_or_after(monthly, starts, None, date("2025-06-01")), Some(starts));
        assert_eq!(next_on_or_after(monthly, starts, None, starts), Some(starts));
        assert_eq!(
            next_on_or_after(monthly, starts, None, date("2026-02-01")),
            Some(date("2026-02-28"))
        );
        assert_eq!(
            next_on_or_after(monthly, starts, None, date("2026-03-01")),
            Some(date("2026-03-31"))
        );
        let ends = Some(date("2026-03-30"));
        assert_eq!(next_on_or_after(monthly, starts, ends, date("2026-03-01")), None);
        let daily_since_1990 =
            next_on_or_after(Cadence::Days(1), date("1990-01-01"), None, date("2026-12-06"));
        assert_eq!(daily_since_1990, Some(date("2026-12-06")));
    }

    proptest::proptest! {
        #[test]
        fn the_next_date_is_the_first_occurrence_from_then(
            every in 1u32..5,
            unit in 0u8..4,
            starts in 0i64..3000,
            ends in proptest::option::of(0i64..4000),
            from in 0i64..5000,
        ) {
            let cadence = match unit {
                0 => Cadence::Days(every),
                1 => Cadence::Weeks(every),
                2 => Cadence::Months(every),
                _ => Cadence::Years(every),
            };
            let base = date("2020-01-29");
            let day = |n: i64| base + chrono::Duration::days(n);
            let (starts, ends, from) = (day(starts), ends.map(day), day(from));
            let expected = occurrences(cadence, starts, ends, from, day(9000)).first().copied();
            proptest::prop_assert_eq!(next_on_or_after(cadence, starts, ends, from), expected);
        }
    }
}
