//! Monthly envelope budgets, as in Actual Budget: each month a category is given money
//! (`budgeted`), spends or gets refunds (`activity`), and what is left carries into the next.
//!
//! The carry-over rule: a month's `available` is `carried_in + budgeted + activity`. A
//! positive `available` carries into the category's next month. A negative one (overspent) is
//! not carried in the category: the category starts the next month at zero and the
//! overspending is taken from the next month's "to be budgeted" instead, unless the category
//! has `rollover_overspending`, in which case the negative carries in the category and "to be
//! budgeted" is left alone. Months with no entries carry straight through.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use utoipa::ToSchema;

use crate::money::{Currency, Money};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BudgetError {
    #[error("{month}: {amount} is more precise than {currency} ({units} decimals)")]
    TooPrecise { month: Month, amount: Decimal, currency: Currency, units: u32 },
    #[error("{month} comes after {previous}: months are given in order, each once")]
    OutOfOrder { month: Month, previous: Month },
    #[error("the amounts are too large")]
    Overflow,
}

/// A calendar month; `"2026-01"` in JSON.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Month {
    year: i32,
    month: u32,
}

impl Month {
    /// `None` unless `month` is 1..=12.
    pub fn new(year: i32, month: u32) -> Option<Self> {
        (1..=12).contains(&month).then_some(Self { year, month })
    }

    pub fn of(date: NaiveDate) -> Self {
        Self { year: date.year(), month: date.month() }
    }

    pub fn year(&self) -> i32 {
        self.year
    }

    pub fn month(&self) -> u32 {
        self.month
    }

    pub fn next(self) -> Self {
        if self.month == 12 {
            Self { year: self.year + 1, month: 1 }
        } else {
            Self { year: self.year, month: self.month + 1 }
        }
    }
}

impl fmt::Display for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl fmt::Debug for Month {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl FromStr for Month {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || format!("{text:?} is not a month like 2026-01");
        let (year, month) = text.split_once('-').ok_or_else(bad)?;
        let year = year.parse().map_err(|_| bad())?;
        let month = month.parse().map_err(|_| bad())?;
        Self::new(year, month).ok_or_else(bad)
    }
}

impl Serialize for Month {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Month {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer)?.parse().map_err(serde::de::Error::custom)
    }
}

/// One month of a category, as the books have it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MonthEntry {
    #[schema(value_type = String, example = "2026-01")]
    pub month: Month,
    #[schema(value_type = String, example = "300.00")]
    pub budgeted: Decimal,
    /// Spending negative, refunds positive.
    #[schema(value_type = String, example = "-254.10")]
    pub activity: Decimal,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CategoryMonths {
    /// Carry a negative balance in the category instead of taking it from "to be budgeted".
    pub rollover_overspending: bool,
    /// In order, each month at most once; a month left out had no entries.
    pub months: Vec<MonthEntry>,
}

/// One month of a category's envelope.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Envelope {
    #[schema(value_type = String, example = "2026-01")]
    pub month: Month,
    #[schema(value_type = String)]
    pub budgeted: Decimal,
    #[schema(value_type = String)]
    pub activity: Decimal,
    /// What the month before left in the category.
    #[schema(value_type = String)]
    pub carried_in: Decimal,
    /// `carried_in + budgeted + activity`.
    #[schema(value_type = String)]
    pub available: Decimal,
    pub overspent: bool,
    /// The overspending that leaves the category at the month's end, to be taken from next
    /// month's "to be budgeted" (zero, or positive; always zero with `rollover_overspending`).
    #[schema(value_type = String)]
    pub overspending_out: Decimal,
}

/// The category's envelopes from its first entry through `through` (entries after `through`
/// cannot change these months, carry only flowing forward). No entries: no months.
pub fn envelopes(
    currency: Currency,
    category: &CategoryMonths,
    through: Month,
) -> Result<Vec<Envelope>, BudgetError> {
    let mut entries = category.months.iter().peekable();
    let Some(first) = entries.peek().map(|entry| entry.month) else {
        return Ok(Vec::new());
    };
    let mut previous: Option<Month> = None;
    for entry in &category.months {
        if let Some(previous) = previous.filter(|previous| entry.month <= *previous) {
            return Err(BudgetError::OutOfOrder { month: entry.month, previous });
        }
        exact(currency, entry.month, entry.budgeted)?;
        exact(currency, entry.month, entry.activity)?;
        previous = Some(entry.month);
    }

    let mut out = Vec::new();
    let mut carry = Decimal::ZERO;
    let mut month = first;
    while month <= through {
        let (budgeted, activity) = match entries.next_if(|entry| entry.month == month) {
            Some(entry) => (entry.budgeted, entry.activity),
            None => (Decimal::ZERO, Decimal::ZERO),
        };
        let available = add(add(carry, budgeted)?, activity)?;
        let overspent = available < Decimal::ZERO;
        let (next_carry, overspending_out) = if overspent && !category.rollover_overspending {
            (Decimal::ZERO, -available)
        } else {
            (available, Decimal::ZERO)
        };
        out.push(Envelope {
            month,
            budgeted,
            activity,
            carried_in: carry,
            available,
            overspent,
            overspending_out,
        });
        carry = next_carry;
        month = month.next();
    }
    Ok(out)
}

/// The budget-wide numbers of one month.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FundsEntry {
    #[schema(value_type = String, example = "2026-01")]
    pub month: Month,
    /// Money that came in this month for budgeting (income categories' activity).
    #[schema(value_type = String)]
    pub income: Decimal,
    /// The sum of every category's `budgeted` this month.
    #[schema(value_type = String)]
    pub budgeted: Decimal,
    /// The sum of every category's `overspending_out` of the month before (see
    /// [`overspending_by_month`]).
    #[schema(value_type = String)]
    pub overspent_last_month: Decimal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ToBeBudgeted {
    #[schema(value_type = String, example = "2026-01")]
    pub month: Month,
    /// What the month before left to budget (negative when it was over-budgeted).
    #[schema(value_type = String)]
    pub carried_in: Decimal,
    #[schema(value_type = String)]
    pub income: Decimal,
    #[schema(value_type = String)]
    pub overspent_last_month: Decimal,
    #[schema(value_type = String)]
    pub budgeted: Decimal,
    /// `carried_in + income - overspent_last_month - budgeted`; negative is over-budgeted.
    #[schema(value_type = String)]
    pub to_be_budgeted: Decimal,
}

/// "To be budgeted" month by month, as Actual Budget's "To Budget": what is left of the
/// income after budgeting, carried on from month to month (negative too: budgeting more than
/// there is takes from the next month), less the overspending of the month before that the
/// categories did not carry. Months left out had no income, budgeting or overspending.
pub fn to_be_budgeted(
    currency: Currency,
    months: &[FundsEntry],
) -> Result<Vec<ToBeBudgeted>, BudgetError> {
    let mut out: Vec<ToBeBudgeted> = Vec::with_capacity(months.len());
    let mut carry = Decimal::ZERO;
    for entry in months {
        if let Some(previous) = out.last().map(|m| m.month).filter(|p| entry.month <= *p) {
            return Err(BudgetError::OutOfOrder { month: entry.month, previous });
        }
        for amount in [entry.income, entry.budgeted, entry.overspent_last_month] {
            exact(currency, entry.month, amount)?;
        }
        let left = add(add(carry, entry.income)?, -entry.overspent_last_month)?;
        let to_be_budgeted = add(left, -entry.budgeted)?;
        out.push(ToBeBudgeted {
            month: entry.month,
            carried_in: carry,
            income: entry.income,
            overspent_last_month: entry.overspent_last_month,
            budgeted: entry.budgeted,
            to_be_budgeted,
        });
        carry = to_be_budgeted;
    }
    Ok(out)
}

/// Every month's overspending that categories passed on, keyed by the month it lands in (the
/// month after): what [`FundsEntry::overspent_last_month`] wants.
pub fn overspending_by_month<'a>(
    envelopes: impl IntoIterator<Item = &'a Envelope>,
) -> std::collections::BTreeMap<Month, Decimal> {
    let mut by_month = std::collections::BTreeMap::new();
    for envelope in envelopes {
        if !envelope.overspending_out.is_zero() {
            *by_month.entry(envelope.month.next()).or_insert(Decimal::ZERO) +=
                envelope.overspending_out;
        }
    }
    by_month
}

fn exact(currency: Currency, month: Month, amount: Decimal) -> Result<(), BudgetError> {
    Money::new(amount, currency).map(|_| ()).map_err(|_| BudgetError::TooPrecise {
        month,
        amount,
        currency,
        units: currency.minor_units(),
    })
}

fn add(a: Decimal, b: Decimal) -> Result<Decimal, BudgetError> {
    a.checked_add(b).ok_or(BudgetError::Overflow)
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).expect("a decimal")
    }

    fn eur() -> Currency {
        Currency::parse("EUR").expect("EUR")
    }

    fn month(text: &str) -> Month {
        text.parse().expect("a month")
    }

    fn entry(at: &str, budgeted: &str, activity: &str) -> MonthEntry {
        MonthEntry { month: month(at), budgeted: dec(budgeted), activity: dec(activity) }
    }

    fn available(envelopes: &[Envelope]) -> Vec<String> {
        envelopes.iter().map(|e| format!("{} {}", e.month, e.available)).collect()
    }

    #[test]
    fn a_positive_balance_carries_through_an_empty_month() {
        // Groceries: 300 budgeted, 250 spent, nothing in February, 300 more in March.
        let groceries = CategoryMonths {
            rollover_overspending: false,
            months: vec![
                entry("2026-01", "300.00", "-250.00"),
                entry("2026-03", "300.00", "-320.00"),
            ],
        };
        let months = envelopes(eur(), &groceries, month("2026-04")).expect("envelopes");
        assert_eq!(
            available(&months),
            ["2026-01 50.00", "2026-02 50.00", "2026-03 30.00", "2026-04 30.00"]
        );
        assert_eq!(months[1].carried_in, dec("50.00"));
        assert_eq!(months[1].budgeted, Decimal::ZERO);
        assert_eq!(months[2].carried_in, dec("50.00"));
        assert!(months.iter().all(|m| !m.overspent));
    }

    #[test]
    fn overspending_leaves_the_category_for_to_be_budgeted() {
        // Dining: 100 budgeted, 130 spent: 30 overspent, February starts at zero.
        let dining = CategoryMonths {
            rollover_overspending: false,
            months: vec![
                entry("2026-01", "100", "-130"),
                entry("2026-02", "100", "-40"),
                entry("2026-03", "0", "15"),
            ],
        };
        let months = envelopes(eur(), &dining, month("2026-03")).expect("envelopes");
        assert_eq!(available(&months), ["2026-01 -30", "2026-02 60", "2026-03 75"]);
        assert!(months[0].overspent);
        assert_eq!(months[0].overspending_out, dec("30"));
        assert_eq!(months[1].carried_in, Decimal::ZERO);
        // A refund (positive activity) adds to the envelope.
        assert_eq!(months[2].carried_in, dec("60"));

        // Income 1000 in January, 900 budgeted: 100 left. February: no income, 100 more
        // budgeted, and January's 30 overspent comes off: -30, over-budgeted.
        let overspent = overspending_by_month(&months);
        assert_eq!(overspent.get(&month("2026-02")), Some(&dec("30")));
        let funds = [
            FundsEntry {
                month: month("2026-01"),
                income: dec("1000"),
                budgeted: dec("900"),
                overspent_last_month: Decimal::ZERO,
            },
            FundsEntry {
                month: month("2026-02"),
                income: Decimal::ZERO,
                budgeted: dec("100"),
                overspent_last_month: overspent[&month("2026-02")],
            },
            FundsEntry {
                month: month("2026-03"),
                income: dec("2000"),
                budgeted: dec("1500"),
                overspent_last_month: Decimal::ZERO,
            },
        ];
        let left: Vec<Decimal> = to_be_budgeted(eur(), &funds)
            .expect("to be budgeted")
            .iter()
            .map(|m| m.to_be_budgeted)
            .collect();
        assert_eq!(left, [dec("100"), dec("-30"), dec("470")]);
    }

    #[test]
    fn rollover_overspending_carries_the_negative_in_the_category() {
        let credit_card_interest = CategoryMonths {
            rollover_overspending: true,
            months: vec![entry("2026-01", "100", "-130"), entry("2026-03", "50", "-10")],
        };
        let months = envelopes(eur(), &credit_card_interest, month("2026-03")).expect("envelopes");
        assert_eq!(available(&months), ["2026-01 -30", "2026-02 -30", "2026-03 10"]);
        assert!(months[0].overspent && months[1].overspent && !months[2].overspent);
        assert!(months.iter().all(|m| m.overspending_out.is_zero()));
        assert!(overspending_by_month(&months).is_empty());
    }

    #[test]
    fn amounts_more_precise_than_the_currency_and_disorder_are_refused() {
        let yen = Currency::parse("JPY").expect("JPY");
        let category = CategoryMonths {
            rollover_overspending: false,
            months: vec![entry("2026-01", "10.5", "0")],
        };
        assert!(matches!(
            envelopes(yen, &category, month("2026-01")),
            Err(BudgetError::TooPrecise { .. })
        ));
        assert!(envelopes(eur(), &category, month("2026-01")).is_ok());
        let backwards = CategoryMonths {
            rollover_overspending: false,
            months: vec![entry("2026-02", "1", "0"), entry("2026-01", "1", "0")],
        };
        assert!(matches!(
            envelopes(eur(), &backwards, month("2026-03")),
            Err(BudgetError::OutOfOrder { .. })
        ));
        let funds = [FundsEntry {
            month: month("2026-01"),
            income: dec("0.001"),
            budgeted: Decimal::ZERO,
            overspent_last_month: Decimal::ZERO,
        }];
        assert!(to_be_budgeted(eur(), &funds).is_err());
    }

    #[test]
    fn months_read_and_write_as_year_dash_month() {
        assert_eq!(month("2026-12").next(), month("2027-01"));
        assert_eq!(serde_json::to_value(month("2026-03")).expect("json"), "2026-03");
        assert!("2026-13".parse::<Month>().is_err());
        assert!("2026".parse::<Month>().is_err());
        assert_eq!(
            Month::of(NaiveDate::from_ymd_opt(2024, 2, 29).expect("a date")),
            month("2024-02")
        );
    }

    fn category(rollover: bool) -> impl Strategy<Value = CategoryMonths> {
        proptest::collection::vec((1u32..4, 0i64..100_000, -200_000i64..50_000), 1..30).prop_map(
            move |steps| {
                let mut at = month("2025-01");
                let months = steps
                    .into_iter()
                    .map(|(gap, budgeted, activity)| {
                        for _ in 0..gap {
                            at = at.next();
                        }
                        MonthEntry {
                            month: at,
                            budgeted: Decimal::new(budgeted, 2),
                            activity: Decimal::new(activity, 2),
                        }
                    })
                    .collect();
                CategoryMonths { rollover_overspending: rollover, months }
            },
        )
    }

    proptest! {
        #[test]
        fn with_rollover_what_is_left_is_all_budgeted_plus_all_activity(category in category(true)) {
            let last = category.months.last().expect("a month").month;
            let months = envelopes(eur(), &category, last.next()).expect("envelopes");
            let budgeted: Decimal = category.months.iter().map(|m| m.budgeted).sum();
            let activity: Decimal = category.months.iter().map(|m| m.activity).sum();
            let end = months.last().expect("a month");
            prop_assert_eq!(end.available, budgeted + activity);
            // Every month in between is there, once.
            prop_assert!(months.windows(2).all(|w| w[0].month.next() == w[1].month));
        }

        #[test]
        fn without_rollover_overspending_is_what_the_category_no_longer_holds(category in category(false)) {
            let last = category.months.last().expect("a month").month;
            let months = envelopes(eur(), &category, last).expect("envelopes");
            let budgeted: Decimal = category.months.iter().map(|m| m.budgeted).sum();
            let activity: Decimal = category.months.iter().map(|m| m.activity).sum();
            let passed_on: Decimal = months.iter().map(|m| m.overspending_out).sum();
            let end = months.last().expect("a month");
            prop_assert_eq!(end.available, budgeted + activity + passed_on - end.overspending_out);
            prop_assert!(months.iter().all(|m| m.carried_in >= Decimal::ZERO));
        }
    }
}
