//! The key each imported line is stored under, so that importing the same file twice, or a file
//! that overlaps one imported before, adds each real transaction once.
//!
//! A line with the bank's own id (OFX `FITID`, CAMT `AcctSvcrRef`, a CSV reference column) is
//! keyed by it. A line without one is keyed by a hash of what it says plus how many earlier
//! lines of the same file say exactly the same: two identical coffees bought on one day are two
//! lines (`:0` and `:1`), and the same file read again gives the same two keys.
//!
//! The limit: a file that starts or ends in the middle of a day can hold only some of that day's
//! identical lines, and then numbers them differently from a file holding the whole day (a file
//! holding only the second coffee calls it `:0`, which the first coffee already is). Banks'
//! exports are cut at whole days, and OFX and CAMT give ids, so this is rare; when it happens the
//! cost is a missed duplicate, never a lost line.

use sha2::{Digest, Sha256};

use super::statement::StatementLine;
use crate::money::Currency;

/// One key per line, in the lines' order: `ref:<reference>` or `hash:<sha256 hex>:<n>`.
/// `currency` is the statement's (or the account's), used for lines that name none.
pub fn import_keys(lines: &[StatementLine], currency: Currency) -> Vec<String> {
    let mut seen: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    lines
        .iter()
        .map(|line| {
            if let Some(reference) =
                line.reference.as_deref().map(str::trim).filter(|r| !r.is_empty())
            {
                return format!("ref:{reference}");
            }
            let hash = content_hash(line, currency);
            let occurrence = seen.entry(hash.clone()).or_insert(0);
            let key = format!("hash:{hash}:{occurrence}");
            *occurrence += 1;
            key
        })
        .collect()
}

fn content_hash(line: &StatementLine, currency: Currency) -> String {
    let currency = line.currency.unwrap_or(currency);
    let text = |value: &Option<String>| {
        value.as_deref().map(|v| v.trim().to_lowercase()).unwrap_or_default()
    };
    let fields = [
        line.date.format("%Y-%m-%d").to_string(),
        // 12.5 and 12.50 are the same amount, whichever way a bank writes it.
        line.amount.normalize().to_string(),
        currency.code().to_owned(),
        text(&line.payee),
        text(&line.description),
    ];
    let mut hasher = Sha256::new();
    for (index, field) in fields.iter().enumerate() {
        if index > 0 {
            hasher.update(b"|");
        }
        // Escaped so that a `|` inside a payee cannot make two different lines hash alike.
        hasher.update(field.replace('\\', "\\\\").replace('|', "\\|").as_bytes());
    }
    hasher.finalize().iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use chrono::NaiveDate;
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    use super::*;

    fn eur() -> Currency {
        Currency::parse("EUR").expect("EUR")
    }

    fn line(day: u32, amount: &str, payee: &str, reference: Option<&str>) -> StatementLine {
        StatementLine {
            date: NaiveDate::from_ymd_opt(2024, 1, day).expect("a date"),
            amount: Decimal::from_str(amount).expect("an amount"),
            currency: None,
            payee: Some(payee.to_owned()),
            description: None,
            reference: reference.map(str::to_owned),
            check_number: None,
            source: format!("line {day}"),
        }
    }

    #[test]
    fn a_reference_is_the_key() {
        let keys = import_keys(&[line(1, "-3.50", "Cafe", Some("FIT-1"))], eur());
        assert_eq!(keys, ["ref:FIT-1"]);
    }

    #[test]
    fn two_identical_purchases_on_one_day_are_both_kept() {
        let coffee = line(2, "-3.50", "Cafe", None);
        let keys = import_keys(&[coffee.clone(), coffee], eur());
        assert_ne!(keys[0], keys[1]);
        assert!(keys[0].ends_with(":0"), "{}", keys[0]);
        assert!(keys[1].ends_with(":1"), "{}", keys[1]);
        assert_eq!(keys[0].trim_end_matches(":0"), keys[1].trim_end_matches(":1"));
    }

    #[test]
    fn the_way_an_amount_or_a_name_is_written_does_not_matter() {
        let a = line(3, "-3.5", " CAFE ", None);
        let mut b = line(3, "-3.50", "cafe", None);
        b.currency = Some(eur());
        assert_eq!(import_keys(&[a], eur()), import_keys(&[b], eur()));
        let c = line(3, "-3.50", "cafe", None);
        let usd = Currency::parse("USD").expect("USD");
        assert_ne!(import_keys(std::slice::from_ref(&c), eur()), import_keys(&[c], usd));
    }

    #[test]
    fn a_bar_in_a_field_cannot_make_two_lines_collide() {
        let mut a = line(4, "1", "a|b", None);
        a.description = Some(String::new());
        let mut b = line(4, "1", "a", None);
        b.description = Some("b".to_owned());
        assert_ne!(import_keys(&[a], eur()), import_keys(&[b], eur()));
    }

    /// Lines from a small pool, so that identical lines happen often; sorted by date, as a file
    /// cut at whole days is.
    fn file() -> impl Strategy<Value = Vec<StatementLine>> {
        let one = (1u32..6, 0usize..3, 0usize..3, prop::option::weighted(0.2, 0u32..1000));
        prop::collection::vec(one, 0..40).prop_map(|picked| {
            let mut lines: Vec<StatementLine> = picked
                .into_iter()
                .map(|(day, amount, payee, reference)| {
                    let reference = reference.map(|r| format!("R{day}-{r}"));
                    line(
                        day,
                        ["-3.50", "-12", "100.00"][amount],
                        ["Cafe", "Shop", "Rent"][payee],
                        None,
                    )
                    .with_reference(reference)
                })
                .collect();
            lines.sort_by_key(|l| l.date);
            // A bank's ids are unique in a file.
            let mut ids = std::collections::HashSet::new();
            for l in &mut lines {
                if let Some(r) = &l.reference
                    && !ids.insert(r.clone())
                {
                    l.reference = None;
                }
            }
            lines
        })
    }

    trait WithReference {
        fn with_reference(self, reference: Option<String>) -> Self;
    }

    impl WithReference for StatementLine {
        fn with_reference(mut self, reference: Option<String>) -> Self {
            self.reference = reference;
            self
        }
    }

    proptest! {
        #[test]
        fn keys_within_a_file_are_unique(lines in file()) {
            let keys = import_keys(&lines, eur());
            let unique: std::collections::HashSet<&String> = keys.iter().collect();
            prop_assert_eq!(unique.len(), lines.len());
        }

        #[test]
        fn a_file_read_again_gives_the_same_keys(lines in file()) {
            let again = lines.clone();
            prop_assert_eq!(import_keys(&lines, eur()), import_keys(&again, eur()));
        }

        #[test]
        fn a_file_of_whole_days_inside_another_has_a_subset_of_its_keys(
            lines in file(), first in 1u32..6, days in 0u32..5,
        ) {
            let last = first + days;
            let inner: Vec<StatementLine> = lines
                .iter()
                .filter(|l| (first..=last).contains(&chrono::Datelike::day(&l.date)))
                .cloned()
                .collect();
            let outer: std::collections::HashSet<String> =
                import_keys(&lines, eur()).into_iter().collect();
            for key in import_keys(&inner, eur()) {
                prop_assert!(outer.contains(&key), "{} is not among the bigger file's keys", key);
            }
        }
    }
}
