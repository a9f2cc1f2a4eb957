//! What every format's reader gives: statements of one account, their lines, and the error
//! that names where a file is broken.

use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::money::Currency;

/// What one file says about one account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Statement {
    pub account: AccountRef,
    /// The statement's currency (OFX `CURDEF`, CAMT `Acct/Ccy`); `None` when the file does
    /// not say (most CSV): the account's is meant.
    pub currency: Option<Currency>,
    pub lines: Vec<StatementLine>,
    pub opening_balance: Option<Balance>,
    /// The balance the bank states at the end (OFX `LEDGERBAL`, CAMT `CLBD`): what the
    /// preview checks the account against.
    pub closing_balance: Option<Balance>,
}

/// How the file names the account (all optional: CSV rarely says).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRef {
    /// OFX `BANKID` / CAMT `Svcr/FinInstnId/BICFI`.
    pub bank_id: Option<String>,
    /// OFX `ACCTID` (or a card's number) / CAMT `Acct/Id/IBAN` or `Othr/Id`.
    pub account_id: Option<String>,
    /// OFX `ACCTTYPE` (CHECKING, SAVINGS, CREDITLINE, ...), `CREDITCARD` for a card statement.
    pub kind: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Balance {
    pub amount: Decimal,
    pub date: NaiveDate,
}

/// One booked line: money into the account is positive, money out negative, whatever the
/// file's own convention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatementLine {
    /// When it was booked (OFX `DTPOSTED`, CAMT `BookgDt`), as a date: banks' times of day
    /// and zones say nothing a person's books need.
    pub date: NaiveDate,
    pub amount: Decimal,
    /// The line's own currency where the file gives one per line (CAMT `Amt@Ccy`, a CSV
    /// currency column); `None`: the statement's.
    pub currency: Option<Currency>,
    /// Who was paid or paid (OFX `NAME`/`PAYEE`, CAMT `Cdtr`/`Dbtr` `Nm`, a CSV column).
    pub payee: Option<String>,
    /// What the bank says about it (OFX `MEMO`, CAMT `RmtInf/Ustrd`, a CSV column).
    pub description: Option<String>,
    /// The bank's own id for the line (OFX `FITID`, CAMT `AcctSvcrRef`): the dedupe key when
    /// present.
    pub reference: Option<String>,
    /// OFX `CHECKNUM`, CAMT `EndToEndId`: shown, not matched on.
    pub check_number: Option<String>,
    /// Where the line is in the file ("line 12", "Ntry 3"): what a person is shown when asking
    /// where a row came from.
    pub source: String,
}

/// A file that could not be read: `at` names the line or element, `message` what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize)]
#[error("{at}: {message}")]
pub struct ImportError {
    pub at: String,
    pub message: String,
}

impl ImportError {
    pub fn new(at: impl Into<String>, message: impl Into<String>) -> Self {
        Self { at: at.into(), message: message.into() }
    }
}

/// A statement format: reads a whole file, or refuses it whole.
pub trait Importer {
    fn parse(&self, bytes: &[u8]) -> Result<Vec<Statement>, ImportError>;
}
