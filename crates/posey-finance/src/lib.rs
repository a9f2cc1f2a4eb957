//! The finance domain, free of I/O: exact money in ISO 4217 currencies, double-entry
//! transactions whose splits balance, bank statements read from CSV, OFX and CAMT.053 files
//! with the keys that make importing a file twice change nothing, rules that categorise, budget
//! envelopes with carry-over, bills matched to what was paid, and the books written as an
//! hledger journal. The agents service's `finance` plugin stores and serves what this crate
//! computes.

pub mod bills;
pub mod budget;
pub mod import;
pub mod journal;
pub mod ledger;
pub mod money;
pub mod rules;

pub use money::{Currency, Money, MoneyError, parse_amount};
