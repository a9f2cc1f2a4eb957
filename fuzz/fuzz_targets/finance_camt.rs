//! ISO 20022 CAMT.053 bank statements (XML), as an import upload gives them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use posey_finance::Currency;
use posey_finance::import::{Importer, camt::Camt053, dedupe, sniff};

fuzz_target!(|data: &[u8]| {
    let _ = sniff(data);
    if let Ok(statements) = Camt053.parse(data) {
        for statement in statements {
            let currency = statement.currency.unwrap_or(Currency::parse("EUR").expect("EUR"));
            let _ = dedupe::import_keys(&statement.lines, currency);
        }
    }
});
