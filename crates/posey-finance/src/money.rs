//! Exact money: an amount of one ISO 4217 currency, never more precise than the currency's
//! minor units (JPY has none, EUR two, KWD three), and never added to another currency.

use std::fmt;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    #[error("{0:?} is not an ISO 4217 currency code")]
    UnknownCurrency(String),
    #[error("{amount} has more decimals than {currency} has minor units ({units})")]
    TooPrecise { amount: Decimal, currency: Currency, units: u32 },
    #[error("{0} and {1} are different currencies and cannot be added")]
    CurrencyMismatch(Currency, Currency),
    #[error("the amount is too large")]
    Overflow,
    #[error("{0:?} is not an amount")]
    NotAnAmount(String),
}

/// An active ISO 4217 currency, with its minor units.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Currency {
    code: [u8; 3],
    minor_units: u8,
}

// Active ISO 4217 codes with their minor units (list 1, 2024); funds and precious metals that
// have no minor units are left out.
#[rustfmt::skip]
const CURRENCIES: &[(&str, u8)] = &[
    ("AED", 2), ("AFN", 2), ("ALL", 2), ("AMD", 2), ("ANG", 2), ("AOA", 2), ("ARS", 2),
    ("AUD", 2), ("AWG", 2), ("AZN", 2), ("BAM", 2), ("BBD", 2), ("BDT", 2), ("BGN", 2),
    ("BHD", 3), ("BIF", 0), ("BMD", 2), ("BND", 2), ("BOB", 2), ("BOV", 2), ("BRL", 2),
    ("BSD", 2), ("BTN", 2), ("BWP", 2), ("BYN", 2), ("BZD", 2), ("CAD", 2), ("CDF", 2),
    ("CHE", 2), ("CHF", 2), ("CHW", 2), ("CLF", 4), ("CLP", 0), ("CNY", 2), ("COP", 2),
    ("COU", 2), ("CRC", 2), ("CUP", 2), ("CVE", 2), ("CZK", 2), ("DJF", 0), ("DKK", 2),
    ("DOP", 2), ("DZD", 2), ("EGP", 2), ("ERN", 2), ("ETB", 2), ("EUR", 2), ("FJD", 2),
    ("FKP", 2), ("GBP", 2), ("GEL", 2), ("GHS", 2), ("GIP", 2), ("GMD", 2), ("GNF", 0),
    ("GTQ", 2), ("GYD", 2), ("HKD", 2), ("HNL", 2), ("HTG", 2), ("HUF", 2), ("IDR", 2),
    ("ILS", 2), ("INR", 2), ("IQD", 3), ("IRR", 2), ("ISK", 0), ("JMD", 2), ("JOD", 3),
    ("JPY", 0), ("KES", 2), ("KGS", 2), ("KHR", 2), ("KMF", 0), ("KPW", 2), ("KRW", 0),
    ("KWD", 3), ("KYD", 2), ("KZT", 2), ("LAK", 2), ("LBP", 2), ("LKR", 2), ("LRD", 2),
    ("LSL", 2), ("LYD", 3), ("MAD", 2), ("MDL", 2), ("MGA", 2), ("MKD", 2), ("MMK", 2),
    ("MNT", 2), ("MOP", 2), ("MRU", 2), ("MUR", 2), ("MVR", 2), ("MWK", 2), ("MXN", 2),
    ("MXV", 2), ("MYR", 2), ("MZN", 2), ("NAD", 2), ("NGN", 2), ("NIO", 2), ("NOK", 2),
    ("NPR", 2), ("NZD", 2), ("OMR", 3), ("PAB", 2), ("PEN", 2), ("PGK", 2), ("PHP", 2),
    ("PKR", 2), ("PLN", 2), ("PYG", 0), ("QAR", 2), ("RON", 2), ("RSD", 2), ("RUB", 2),
    ("RWF", 0), ("SAR", 2), ("SBD", 2), ("SCR", 2), ("SDG", 2), ("SEK", 2), ("SGD", 2),
    ("SHP", 2), ("SLE", 2), ("SOS", 2), ("SRD", 2), ("SSP", 2), ("STN", 2), ("SVC", 2),
    ("SYP", 2), ("SZL", 2), ("THB", 2), ("TJS", 2), ("TMT", 2), ("TND", 3), ("TOP", 2),
    ("TRY", 2), ("TTD", 2), ("TWD", 2), ("TZS", 2), ("UAH", 2), ("UGX", 0), ("USD", 2),
    ("USN", 2), ("UYI", 0), ("UYU", 2), ("UYW", 4), ("UZS", 2), ("VED", 2), ("VES", 2),
    ("VND", 0), ("VUV", 0), ("WST", 2), ("XAF", 0), ("XCD", 2), ("XCG", 2), ("XOF", 0),
    ("XPF", 0), ("YER", 2), ("ZAR", 2), ("ZMW", 2), ("ZWG", 2), ("ZWL", 2),
];

impl Currency {
    /// A currency by its code, in any letter case (`eur` is EUR).
    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        let upper = code.trim().to_ascii_uppercase();
        CURRENCIES
            .binary_search_by(|(c, _)| (*c).cmp(upper.as_str()))
            .ok()
            .and_then(|at| {
                let (c, units) = CURRENCIES[at];
                let code: [u8; 3] = c.as_bytes().try_into().ok()?;
                Some(Self { code, minor_units: units })
            })
            .ok_or_else(|| MoneyError::UnknownCurrency(code.to_owned()))
    }

    pub fn code(&self) -> &str {
        // Always three ASCII letters from the table.
        std::str::from_utf8(&self.code).unwrap_or("XXX")
    }

    /// Digits after the decimal point: 0 (JPY), 2 (EUR), 3 (KWD), 4 (CLF).
    pub fn minor_units(&self) -> u32 {
        u32::from(self.minor_units)
    }

    /// `amount` rounded to this currency's minor units, half away from zero (what banks do
    /// with a converted amount).
    pub fn round(&self, amount: Decimal) -> Decimal {
        let mut rounded = amount
            .round_dp_with_strategy(self.minor_units(), RoundingStrategy::MidpointAwayFromZero);
        rounded.rescale(self.minor_units());
        rounded
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Currency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let code = String::deserialize(deserializer)?;
        Self::parse(&code).map_err(serde::de::Error::custom)
    }
}

/// An amount of one currency, at exactly the currency's minor units.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Money {
    amount: Decimal,
    currency: Currency,
}

impl Money {
    /// Refuses an amount more precise than the currency allows (12.345 EUR); trailing zeros
    /// beyond it are fine (12.500 EUR is 12.50 EUR).
    pub fn new(amount: Decimal, currency: Currency) -> Result<Self, MoneyError> {
        let mut exact = amount.normalize();
        if exact.scale() > currency.minor_units() {
            return Err(MoneyError::TooPrecise { amount, currency, units: currency.minor_units() });
        }
        exact.rescale(currency.minor_units());
        Ok(Self { amount: exact, currency })
    }

    pub fn zero(currency: Currency) -> Self {
        let mut amount = Decimal::ZERO;
        amount.rescale(currency.minor_units());
        Self { amount, currency }
    }

    /// `amount` rounded to the currency's minor units (see [`Currency::round`]).
    pub fn rounded(amount: Decimal, currency: Currency) -> Self {
        Self { amount: currency.round(amount), currency }
    }

    pub fn amount(&self) -> Decimal {
        self.amount
    }

    pub fn currency(&self) -> Currency {
        self.currency
    }

    pub fn is_zero(&self) -> bool {
        self.amount.is_zero()
    }

    pub fn checked_add(self, other: Self) -> Result<Self, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch(self.currency, other.currency));
        }
        let amount = self.amount.checked_add(other.amount).ok_or(MoneyError::Overflow)?;
        Ok(Self { amount, currency: self.currency })
    }

    pub fn checked_sub(self, other: Self) -> Result<Self, MoneyError> {
        self.checked_add(-other)
    }

    /// Splits the amount into parts proportional to `weights`, losing and creating no minor
    /// unit: the parts always add up to the amount exactly (largest remainder first).
    /// No weights, or weights adding up to zero: no parts.
    pub fn allocate(&self, weights: &[Decimal]) -> Vec<Self> {
        let total: Decimal = weights.iter().copied().sum();
        if weights.is_empty() || total.is_zero() {
            return Vec::new();
        }
        let unit = Decimal::new(1, self.currency.minor_units());
        let mut parts: Vec<Decimal> = Vec::with_capacity(weights.len());
        let mut remainders: Vec<(usize, Decimal)> = Vec::with_capacity(weights.len());
        for (index, weight) in weights.iter().enumerate() {
            let exact = self.amount * *weight / total;
            let truncated =
                exact.round_dp_with_strategy(self.currency.minor_units(), RoundingStrategy::ToZero);
            parts.push(truncated);
            remainders.push((index, (exact - truncated).abs()));
        }
        let left = self.amount - parts.iter().copied().sum::<Decimal>();
        let step = if left.is_sign_negative() { -unit } else { unit };
        let mut left_units = (left / unit).abs().trunc();
        remainders.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        for (index, _) in remainders.iter().cycle() {
            if left_units <= Decimal::ZERO {
                break;
            }
            parts[*index] += step;
            left_units -= Decimal::ONE;
        }
        parts.into_iter().map(|amount| Self::rounded(amount, self.currency)).collect()
    }
}

impl std::ops::Neg for Money {
    type Output = Self;

    fn neg(self) -> Self {
        Self { amount: -self.amount, currency: self.currency }
    }
}

/// `-1234.50 EUR`: the amount at the currency's minor units, then the code.
impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount, self.currency)
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// An amount as banks write it: `1.234,56` with `decimal_separator` `,` (the other of `.` and
/// `,` and spaces, apostrophes and non-breaking spaces group thousands), a sign before or after
/// the number (`-12.00`, `12.00-`), or in parentheses (`(12.00)`), and an optional currency
/// symbol or code around it, which is ignored.
pub fn parse_amount(text: &str, decimal_separator: char) -> Result<Decimal, MoneyError> {
    let not_an_amount = || MoneyError::NotAnAmount(text.to_owned());
    let mut body = text.trim();
    let mut negative = false;
    if let Some(inner) = body.strip_prefix('(').and_then(|b| b.strip_suffix(')')) {
        negative = true;
        body = inner;
    }
    let first = body.find(|c: char| c.is_ascii_digit()).ok_or_else(not_an_amount)?;
    let last = body.rfind(|c: char| c.is_ascii_digit()).ok_or_else(not_an_amount)?;
    // Around the number: a sign, and a currency symbol or code, which says nothing here.
    let (before, after) = (&body[..first], &body[last + 1..]);
    for c in before.chars().chain(after.chars()) {
        match c {
            '-' | '\u{2212}' if !negative => negative = true,
            '+' => {}
            c if c == decimal_separator => return Err(not_an_amount()),
            c if c.is_alphabetic() || c.is_whitespace() || is_currency_symbol(c) => {}
            _ => return Err(not_an_amount()),
        }
    }
    // Letters are only a currency's code ("EUR 12.00", "12.00 chf"), never a stray letter.
    let words =
        before.split(|c: char| !c.is_alphabetic()).chain(after.split(|c: char| !c.is_alphabetic()));
    if words.filter(|w| !w.is_empty()).any(|w| Currency::parse(w).is_err()) {
        return Err(not_an_amount());
    }
    let mut digits = String::with_capacity(last + 1 - first);
    let mut seen_separator = false;
    for c in body[first..=last].chars() {
        match c {
            '0'..='9' => digits.push(c),
            c if c == decimal_separator && !seen_separator => {
                seen_separator = true;
                digits.push('.');
            }
            // Thousands are grouped only before the decimal separator.
            '.' | ',' | ' ' | '\'' | '\u{a0}' | '\u{202f}' | '_' if !seen_separator => {}
            _ => return Err(not_an_amount()),
        }
    }
    let amount: Decimal = digits.parse().map_err(|_| not_an_amount())?;
    Ok(if negative { -amount } else { amount })
}

fn is_currency_symbol(c: char) -> bool {
    "$€£¥₹₩₽¢₺₴₪฿₫₦₱".contains(c)
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).expect("a decimal")
    }

    fn cur(code: &str) -> Currency {
        Currency::parse(code).expect("a currency")
    }

    #[test]
    fn the_table_is_sorted_so_that_lookups_find_every_code() {
        assert!(CURRENCIES.windows(2).all(|pair| pair[0].0 < pair[1].0));
        for (code, units) in CURRENCIES {
            assert_eq!(cur(code).minor_units(), u32::from(*units));
        }
    }

    #[test]
    fn currencies_have_their_minor_units() {
        assert_eq!(cur("jpy").minor_units(), 0);
        assert_eq!(cur("EUR").minor_units(), 2);
        assert_eq!(cur("KWD").minor_units(), 3);
        assert!(matches!(Currency::parse("XYZ"), Err(MoneyError::UnknownCurrency(_))));
        assert!(Currency::parse("EURO").is_err());
    }

    #[test]
    fn money_refuses_more_precision_than_its_currency() {
        assert_eq!(Money::new(dec("12.5"), cur("EUR")).expect("ok").to_string(), "12.50 EUR");
        assert_eq!(Money::new(dec("12.500"), cur("EUR")).expect("ok").to_string(), "12.50 EUR");
        assert!(Money::new(dec("12.345"), cur("EUR")).is_err());
        assert!(Money::new(dec("1.5"), cur("JPY")).is_err());
        assert_eq!(Money::new(dec("1.234"), cur("KWD")).expect("ok").to_string(), "1.234 KWD");
        assert_eq!(Money::new(dec("100"), cur("JPY")).expect("ok").to_string(), "100 JPY");
    }

    #[test]
    fn two_currencies_are_never_added() {
        let euros = Money::new(dec("1"), cur("EUR")).expect("ok");
        let dollars = Money::new(dec("1"), cur("USD")).expect("ok");
        assert!(matches!(euros.checked_add(dollars), Err(MoneyError::CurrencyMismatch(..))));
        assert_eq!(euros.checked_add(euros).expect("ok").to_string(), "2.00 EUR");
    }

    #[test]
    fn rounding_is_half_away_from_zero_at_the_minor_units() {
        assert_eq!(cur("EUR").round(dec("1.005")), dec("1.01"));
        assert_eq!(cur("EUR").round(dec("-1.005")), dec("-1.01"));
        assert_eq!(cur("JPY").round(dec("2.5")), dec("3"));
        assert_eq!(cur("KWD").round(dec("0.0004")).to_string(), "0.000");
    }

    #[test]
    fn allocation_keeps_every_minor_unit() {
        let ten = Money::new(dec("10"), cur("EUR")).expect("ok");
        let thirds = ten.allocate(&[Decimal::ONE, Decimal::ONE, Decimal::ONE]);
        let amounts: Vec<String> = thirds.iter().map(ToString::to_string).collect();
        assert_eq!(amounts, ["3.34 EUR", "3.33 EUR", "3.33 EUR"]);
        let back = (-ten).allocate(&[dec("1"), dec("2")]);
        assert_eq!(back.iter().map(Money::amount).sum::<Decimal>(), dec("-10"));
        assert!(ten.allocate(&[]).is_empty());
    }

    #[test]
    fn amounts_parse_as_banks_write_them() {
        assert_eq!(parse_amount("1.234,56", ',').expect("ok"), dec("1234.56"));
        assert_eq!(parse_amount("-1,234.56", '.').expect("ok"), dec("-1234.56"));
        assert_eq!(parse_amount("12.00-", '.').expect("ok"), dec("-12.00"));
        assert_eq!(parse_amount("(12.00)", '.').expect("ok"), dec("-12.00"));
        assert_eq!(parse_amount("€ 1 234,5", ',').expect("ok"), dec("1234.5"));
        assert_eq!(parse_amount("1'234.50 CHF", '.').expect("ok"), dec("1234.50"));
        assert!(parse_amount("", '.').is_err());
        assert!(parse_amount("abc", '.').is_err());
        assert!(parse_amount("12a34", '.').is_err());
        assert!(parse_amount("12,3x", ',').is_err());
        assert_eq!(parse_amount("EUR -3,50", ',').expect("ok"), dec("-3.50"));
        assert!(parse_amount("1.5.0", '.').is_err());
        assert!(parse_amount("1,2,3", ',').is_err());
        assert!(parse_amount("--1", '.').is_err());
    }
}
