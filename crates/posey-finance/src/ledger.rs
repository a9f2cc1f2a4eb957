//! Double entry: a transaction is postings to accounts, each in its account's currency and
//! valued in the transaction's currency, whose values add up to exactly zero (as in GnuCash,
//! where a split has an amount and a value, and hledger, where a foreign leg has a cost).

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::money::{Currency, Money, MoneyError};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LedgerError {
    #[error("a transaction needs at least two postings, this one has {0}")]
    TooFewPostings(usize),
    #[error("a posting is valued in {found}, the transaction is in {expected}")]
    MixedCurrency { expected: Currency, found: Currency },
    #[error(
        "the posting to {account} is in the transaction's currency, so its value {value} must be its amount {amount}"
    )]
    ValueIsNotAmount { account: Uuid, amount: Money, value: Money },
    #[error(
        "the posting to {account} has amount {amount} but value {value}: a value has its amount's sign"
    )]
    ValueSign { account: Uuid, amount: Money, value: Money },
    #[error("the postings do not balance: they are off by {off}")]
    Unbalanced { off: Money },
    #[error("{0} is not an exchange rate: a rate is more than zero")]
    BadRate(Decimal),
    #[error(transparent)]
    Money(#[from] MoneyError),
}

/// One leg of a transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Posting {
    pub account: Uuid,
    /// What the account's balance changes by, in the account's currency.
    #[serde(with = "money_json")]
    #[schema(value_type = MoneyJson)]
    pub amount: Money,
    /// The same in the transaction's currency: equal to `amount` unless the account's
    /// currency differs (then it is what the bank converted at; hledger's `@@` total cost).
    #[serde(with = "money_json")]
    #[schema(value_type = MoneyJson)]
    pub value: Money,
}

impl Posting {
    /// A posting in the transaction's own currency.
    pub fn same(account: Uuid, amount: Money) -> Self {
        Self { account, amount, value: amount }
    }

    /// A posting in another currency: its value is `amount × rate` (units of `txn_currency`
    /// per unit of the amount's) rounded to `txn_currency`'s minor units. When the bank says
    /// what both sides were, build the posting with that value instead: the bank's rounding
    /// is the one that balances.
    pub fn converted(
        account: Uuid,
        amount: Money,
        rate: Decimal,
        txn_currency: Currency,
    ) -> Result<Self, LedgerError> {
        if rate <= Decimal::ZERO {
            return Err(LedgerError::BadRate(rate));
        }
        if amount.currency() == txn_currency {
            // A rate other than 1 here would make the value disagree with the amount.
            if rate != Decimal::ONE {
                return Err(LedgerError::BadRate(rate));
            }
            return Ok(Self::same(account, amount));
        }
        let exact = amount.amount().checked_mul(rate).ok_or(MoneyError::Overflow)?;
        Ok(Self { account, amount, value: Money::rounded(exact, txn_currency) })
    }
}

/// Checks that `postings` make a transaction in `currency`: at least two, every value in
/// `currency`, a posting in that currency valued at its amount, a foreign one valued with its
/// amount's sign (or zero), and the values adding up to exactly zero.
pub fn check_balanced(currency: Currency, postings: &[Posting]) -> Result<(), LedgerError> {
    if postings.len() < 2 {
        return Err(LedgerError::TooFewPostings(postings.len()));
    }
    let mut sum = Money::zero(currency);
    for posting in postings {
        let Posting { account, amount, value } = *posting;
        if value.currency() != currency {
            return Err(LedgerError::MixedCurrency { expected: currency, found: value.currency() });
        }
        if amount.currency() == currency && value != amount {
            return Err(LedgerError::ValueIsNotAmount { account, amount, value });
        }
        // A value rounded to zero is fine (1 JPY in EUR); one of the other sign is not.
        let (a, v) = (amount.amount(), value.amount());
        let opposite =
            (a > Decimal::ZERO && v < Decimal::ZERO) || (a < Decimal::ZERO && v > Decimal::ZERO);
        if opposite || (amount.is_zero() && !value.is_zero()) {
            return Err(LedgerError::ValueSign { account, amount, value });
        }
        sum = sum.checked_add(value)?;
    }
    if sum.is_zero() { Ok(()) } else { Err(LedgerError::Unbalanced { off: sum }) }
}

/// Each account's balance per currency: the sum of its postings' amounts (values are the
/// transaction's view and do not move an account).
pub fn balances<'a>(
    postings: impl IntoIterator<Item = &'a Posting>,
) -> BTreeMap<(Uuid, Currency), Decimal> {
    let mut balances = BTreeMap::new();
    for posting in postings {
        *balances.entry((posting.account, posting.amount.currency())).or_insert(Decimal::ZERO) +=
            posting.amount.amount();
    }
    balances
}

/// How money travels over REST: `{"amount": "-12.50", "currency": "EUR"}`, the amount as a
/// string so that no float ever rounds it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MoneyJson {
    #[schema(value_type = String, example = "-12.50")]
    pub amount: Decimal,
    #[schema(value_type = String, example = "EUR")]
    pub currency: Currency,
}

/// `#[serde(with = "money_json")]` for a [`Money`] field; reading refuses an amount more
/// precise than its currency.
pub mod money_json {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::MoneyJson;
    use crate::money::Money;

    pub fn serialize<S: Serializer>(money: &Money, serializer: S) -> Result<S::Ok, S::Error> {
        MoneyJson { amount: money.amount(), currency: money.currency() }.serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Money, D::Error> {
        let MoneyJson { amount, currency } = MoneyJson::deserialize(deserializer)?;
        Money::new(amount, currency).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use proptest::prelude::*;

    use super::*;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).expect("a decimal")
    }

    fn cur(code: &str) -> Currency {
        Currency::parse(code).expect("a currency")
    }

    fn money(text: &str, code: &str) -> Money {
        Money::new(dec(text), cur(code)).expect("money")
    }

    fn id(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    #[test]
    fn a_split_purchase_balances() {
        let eur = cur("EUR");
        let postings = [
            Posting::same(id(1), money("-30.00", "EUR")),
            Posting::same(id(2), money("20.00", "EUR")),
            Posting::same(id(3), money("10.00", "EUR")),
        ];
        assert_eq!(check_balanced(eur, &postings), Ok(()));
    }

    #[test]
    fn an_unbalanced_transaction_says_by_how_much() {
        let postings = [
            Posting::same(id(1), money("-30.00", "EUR")),
            Posting::same(id(2), money("29.99", "EUR")),
        ];
        assert_eq!(
            check_balanced(cur("EUR"), &postings),
            Err(LedgerError::Unbalanced { off: money("-0.01", "EUR") })
        );
    }

    #[test]
    fn one_posting_is_not_a_transaction() {
        let postings = [Posting::same(id(1), money("0", "EUR"))];
        assert_eq!(check_balanced(cur("EUR"), &postings), Err(LedgerError::TooFewPostings(1)));
        assert_eq!(check_balanced(cur("EUR"), &[]), Err(LedgerError::TooFewPostings(0)));
    }

    #[test]
    fn values_are_all_in_the_transactions_currency() {
        let postings = [
            Posting::same(id(1), money("-30.00", "EUR")),
            Posting::same(id(2), money("30.00", "USD")),
        ];
        assert_eq!(
            check_balanced(cur("EUR"), &postings),
            Err(LedgerError::MixedCurrency { expected: cur("EUR"), found: cur("USD") })
        );
    }

    #[test]
    fn a_posting_in_the_transactions_currency_is_valued_at_its_amount() {
        let sneaky =
            Posting { account: id(2), amount: money("30.00", "EUR"), value: money("31.00", "EUR") };
        let postings = [Posting::same(id(1), money("-31.00", "EUR")), sneaky];
        assert!(matches!(
            check_balanced(cur("EUR"), &postings),
            Err(LedgerError::ValueIsNotAmount { .. })
        ));
    }

    #[test]
    fn a_foreign_leg_balances_through_its_value() {
        // 10 000 JPY paid from a euro account at 0.0061 EUR/JPY: 61.00 EUR.
        let eur = cur("EUR");
        let yen =
            Posting::converted(id(2), money("10000", "JPY"), dec("0.0061"), eur).expect("a rate");
        assert_eq!(yen.value, money("61.00", "EUR"));
        let postings = [Posting::same(id(1), money("-61.00", "EUR")), yen];
        assert_eq!(check_balanced(eur, &postings), Ok(()));
        let backwards = Posting { value: money("-61.00", "EUR"), ..yen };
        let postings = [Posting::same(id(1), money("61.00", "EUR")), backwards];
        assert!(matches!(check_balanced(eur, &postings), Err(LedgerError::ValueSign { .. })));
    }

    #[test]
    fn conversion_rounds_half_away_from_zero_to_the_transactions_currency() {
        let kwd = Posting::converted(id(1), money("-1.005", "KWD"), dec("3.25"), cur("EUR"))
            .expect("a rate");
        // -3.26625 EUR
        assert_eq!(kwd.value, money("-3.27", "EUR"));
        let jpy = Posting::converted(id(1), money("12.34", "EUR"), dec("162.5"), cur("JPY"))
            .expect("a rate");
        // 2005.25 JPY
        assert_eq!(jpy.value, money("2005", "JPY"));
        assert_eq!(
            Posting::converted(id(1), money("1", "EUR"), dec("0"), cur("JPY")),
            Err(LedgerError::BadRate(dec("0")))
        );
        assert!(Posting::converted(id(1), money("1", "EUR"), dec("1.1"), cur("EUR")).is_err());
    }

    #[test]
    fn balances_add_amounts_per_account_and_currency() {
        let postings = [
            Posting::same(id(1), money("-30.00", "EUR")),
            Posting::same(id(2), money("30.00", "EUR")),
            Posting::same(id(1), money("-5.00", "EUR")),
            Posting { account: id(1), amount: money("100", "JPY"), value: money("0.61", "EUR") },
        ];
        let balances = balances(&postings);
        assert_eq!(balances[&(id(1), cur("EUR"))], dec("-35.00"));
        assert_eq!(balances[&(id(1), cur("JPY"))], dec("100"));
        assert_eq!(balances[&(id(2), cur("EUR"))], dec("30.00"));
        assert_eq!(balances.len(), 3);
    }

    #[test]
    fn postings_travel_as_json_with_string_amounts() {
        let posting = Posting::same(id(1), money("-12.5", "EUR"));
        let json = serde_json::to_value(posting).expect("json");
        assert_eq!(json["amount"], serde_json::json!({"amount": "-12.50", "currency": "EUR"}));
        let back: Posting = serde_json::from_value(json).expect("a posting");
        assert_eq!(back, posting);
        let too_precise = serde_json::json!({
            "account": id(1),
            "amount": {"amount": "1.234", "currency": "EUR"},
            "value": {"amount": "1.234", "currency": "EUR"},
        });
        assert!(serde_json::from_value::<Posting>(too_precise).is_err());
    }

    const CODES: &[&str] = &["EUR", "USD", "JPY", "KWD", "CLF"];

    fn currency() -> impl Strategy<Value = Currency> {
        proptest::sample::select(CODES).prop_map(cur)
    }

    /// An amount of `currency` from a whole number of minor units.
    fn of_units(units: i64, currency: Currency) -> Money {
        Money::new(Decimal::new(units, currency.minor_units()), currency).expect("exact")
    }

    /// One transaction: an amount paid from account 0 and split by weights over accounts
    /// 1..=n; some legs are in a foreign currency, converted at a rate, and the paying leg
    /// takes whatever the values add up to.
    #[derive(Debug, Clone)]
    struct Plan {
        currency: Currency,
        total_units: i64,
        legs: Vec<Leg>,
    }

    /// A weight, an account, and maybe a foreign amount (currency, minor units, rate in
    /// ten-thousandths).
    type Leg = (u32, u128, Option<(Currency, i64, u32)>);

    fn plan() -> impl Strategy<Value = Plan> {
        let leg = (
            1u32..1000,
            1u128..6,
            proptest::option::of((currency(), -10i64.pow(9)..10i64.pow(9), 1u32..100_000)),
        );
        (currency(), -10i64.pow(12)..10i64.pow(12), proptest::collection::vec(leg, 1..6))
            .prop_map(|(currency, total_units, legs)| Plan { currency, total_units, legs })
    }

    fn build(plan: &Plan) -> Vec<Posting> {
        let total = of_units(plan.total_units, plan.currency);
        let weights: Vec<Decimal> = plan.legs.iter().map(|(w, ..)| Decimal::from(*w)).collect();
        let parts = total.allocate(&weights);
        let mut postings = Vec::new();
        for (part, (_, account, foreign)) in parts.into_iter().zip(&plan.legs) {
            match foreign {
                Some((other, units, rate)) if *other != plan.currency => {
                    // A rate with four decimals, like a bank's.
                    let rate = Decimal::new(i64::from(*rate), 4);
                    let amount = of_units(*units, *other);
                    postings.push(
                        Posting::converted(id(*account), amount, rate, plan.currency)
                            .expect("a positive rate"),
                    );
                }
                _ => postings.push(Posting::same(id(*account), part)),
            }
        }
        let sum = postings
            .iter()
            .try_fold(Money::zero(plan.currency), |sum, p| sum.checked_add(p.value))
            .expect("one currency");
        postings.push(Posting::same(id(0), -sum));
        postings
    }

    proptest! {
        #[test]
        fn generated_transactions_balance_and_accounts_add_up(plans in proptest::collection::vec(plan(), 1..8)) {
            let books: Vec<(Currency, Vec<Posting>)> =
                plans.iter().map(|plan| (plan.currency, build(plan))).collect();
            for (currency, postings) in &books {
                prop_assert_eq!(check_balanced(*currency, postings), Ok(()));
                let sum: Decimal = postings.iter().map(|p| p.value.amount()).sum();
                prop_assert!(sum.is_zero());
            }
            let all: Vec<&Posting> = books.iter().flat_map(|(_, p)| p).collect();
            let balances = balances(all.iter().copied());
            for ((account, currency), balance) in &balances {
                let by_hand: Decimal = all
                    .iter()
                    .filter(|p| p.account == *account && p.amount.currency() == *currency)
                    .map(|p| p.amount.amount())
                    .sum();
                prop_assert_eq!(*balance, by_hand);
            }
            // Every posting is in some balance.
            let moved: Decimal = balances.values().copied().sum();
            let posted: Decimal = all.iter().map(|p| p.amount.amount()).sum();
            prop_assert_eq!(moved, posted);
        }

        #[test]
        fn a_balanced_transaction_nudged_by_one_minor_unit_is_off_by_it(plan in plan()) {
            let mut postings = build(&plan);
            let unit = of_units(1, plan.currency);
            let last = postings.len() - 1;
            postings[last] = Posting::same(postings[last].account, postings[last].amount.checked_add(unit).expect("one currency"));
            prop_assert_eq!(check_balanced(plan.currency, &postings), Err(LedgerError::Unbalanced { off: unit }));
        }

        #[test]
        fn allocation_never_creates_or_loses_a_minor_unit(
            currency in currency(),
            units in -10i64.pow(15)..10i64.pow(15),
            weights in proptest::collection::vec(0u32..10_000, 1..12),
        ) {
            let whole = of_units(units, currency);
            let weights: Vec<Decimal> = weights.into_iter().map(Decimal::from).collect();
            let parts = whole.allocate(&weights);
            if weights.iter().all(Decimal::is_zero) {
                prop_assert!(parts.is_empty());
            } else {
                prop_assert_eq!(parts.len(), weights.len());
                let sum = parts
                    .iter()
                    .try_fold(Money::zero(currency), |sum, part| sum.checked_add(*part))
                    .expect("one currency");
                prop_assert_eq!(sum, whole);
                for (part, weight) in parts.iter().zip(&weights) {
                    prop_assert_eq!(part.amount().scale(), currency.minor_units());
                    // No part is more than one minor unit away from its exact share.
                    let exact = whole.amount() * weight / weights.iter().copied().sum::<Decimal>();
                    prop_assert!((part.amount() - exact).abs() < of_units(1, currency).amount());
                }
            }
        }

        #[test]
        fn conversion_is_within_half_a_minor_unit_and_exact_in_scale(
            from in currency(),
            to in currency(),
            units in -10i64.pow(12)..10i64.pow(12),
            rate in 1u32..10_000_000,
        ) {
            prop_assume!(from != to);
            let rate = Decimal::new(i64::from(rate), 5);
            let amount = of_units(units, from);
            let posting = Posting::converted(id(1), amount, rate, to).expect("a rate");
            prop_assert_eq!(posting.value.currency(), to);
            prop_assert_eq!(posting.value.amount().scale(), to.minor_units());
            let error = (posting.value.amount() - amount.amount() * rate).abs();
            prop_assert!(error * Decimal::TWO <= of_units(1, to).amount());
        }
    }
}
