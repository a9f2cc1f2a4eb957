//! OFX 1.x (SGML) and 2.x (XML) / QFX bank statements, as an import upload gives them.
#![no_main]

use libfuzzer_sys::fuzz_target;
use posey_finance::Currency;
use posey_finance::import::{Importer, dedupe, ofx::Ofx, sniff};

fuzz_target!(|data: &[u8]| {
    let _ = sniff(data);
    if let Ok(statements) = Ofx.parse(data) {
        for statement in statements {
            let currency = statement.currency.unwrap_or(Currency::parse("EUR").expect("EUR"));
            let _ = dedupe::import_keys(&statement.lines, currency);
        }
    }
});
