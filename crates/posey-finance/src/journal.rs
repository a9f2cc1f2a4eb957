//! The books written as a plain-text journal that hledger (and mostly ledger) read: what a
//! person takes away to keep their history outside Posey, or to check Posey's sums with
//! another tool.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::ledger::Posting;
use crate::money::{Currency, Money};

/// Where opening balances come from, as `hledger close --open` names it.
pub const OPENING_BALANCES: &str = "equity:opening balances";

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccountKind {
    Asset,
    Liability,
    Income,
    Expense,
    Equity,
}

impl AccountKind {
    /// hledger's top-level account for the kind.
    fn root(self) -> &'static str {
        match self {
            Self::Asset => "assets",
            Self::Liability => "liabilities",
            Self::Income => "income",
            Self::Expense => "expenses",
            Self::Equity => "equity",
        }
    }

    /// hledger's `type:` tag (R is revenue).
    fn type_code(self) -> char {
        match self {
            Self::Asset => 'A',
            Self::Liability => 'L',
            Self::Income => 'R',
            Self::Expense => 'X',
            Self::Equity => 'E',
        }
    }
}

/// What a person may have called a top-level account; such a first name gives way to the
/// kind's own root instead of nesting under it ("Assets:Checking" → `assets:Checking`).
const ROOT_NAMES: &[&str] = &[
    "asset",
    "assets",
    "liability",
    "liabilities",
    "income",
    "revenue",
    "revenues",
    "expense",
    "expenses",
    "equity",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: Uuid,
    /// The full name, top first: `["Assets", "Checking"]`.
    pub name: Vec<String>,
    pub kind: AccountKind,
    pub currency: Currency,
    pub opening: Option<Opening>,
}

/// The balance an account had when its books in Posey begin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opening {
    pub date: NaiveDate,
    pub amount: Money,
}

/// hledger's marks: `*` cleared, `!` pending, none for neither.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[default]
    Uncleared,
    Pending,
    Cleared,
    Reconciled,
}

impl Status {
    fn mark(self) -> Option<char> {
        match self {
            Self::Uncleared => None,
            Self::Pending => Some('!'),
            // hledger has one "done" state; reconciled is cleared and then some.
            Self::Cleared | Self::Reconciled => Some('*'),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    pub date: NaiveDate,
    pub payee: Option<String>,
    pub description: Option<String>,
    pub status: Status,
    pub tags: Vec<String>,
    /// Each in its account's currency, with its value in the transaction's: a leg whose
    /// currencies differ is written with its total cost (`10000 JPY @@ 61.00 EUR`).
    pub postings: Vec<Posting>,
    /// The transaction's notes, written as its comment lines.
    pub notes: Option<String>,
    /// Each posting's comment, by position (a memo, a conversion's rate); missing: none.
    pub comments: Vec<Option<String>>,
}

/// The journal: a `commodity` directive per currency fixing its decimals, an `account`
/// directive per account with its type, the opening balances against
/// [`OPENING_BALANCES`], then the transactions by date (the given order within a day). The
/// same books give the same text, byte for byte. A posting to an account not among
/// `accounts` goes to `equity:unknown:<id>`, so nothing is left out.
pub fn write_journal(accounts: &[Account], transactions: &[Transaction]) -> String {
    let names = account_names(accounts);
    let name_of =
        |id: &Uuid| names.get(id).cloned().unwrap_or_else(|| format!("equity:unknown:{id}"));

    let mut currencies = BTreeSet::new();
    for account in accounts {
        currencies.insert(account.currency);
        currencies.extend(account.opening.map(|opening| opening.amount.currency()));
    }
    for posting in transactions.iter().flat_map(|t| &t.postings) {
        currencies.insert(posting.amount.currency());
        currencies.insert(posting.value.currency());
    }

    let mut out = String::from("; Posey's books, as an hledger journal.\n\ndecimal-mark .\n\n");
    for currency in &currencies {
        let decimals = "0".repeat(currency.minor_units() as usize);
        // hledger wants the decimal mark even with no decimals (`1000. JPY`).
        let _ = writeln!(out, "commodity 1000.{decimals} {currency}");
    }

    let mut declared: BTreeMap<String, AccountKind> =
        accounts.iter().map(|a| (names[&a.id].clone(), a.kind)).collect();
    if accounts.iter().any(|a| a.opening.is_some()) {
        declared.entry(OPENING_BALANCES.to_owned()).or_insert(AccountKind::Equity);
    }
    for posting in transactions.iter().flat_map(|t| &t.postings) {
        declared.entry(name_of(&posting.account)).or_insert(AccountKind::Equity);
    }
    out.push('\n');
    for (name, kind) in &declared {
        let _ = writeln!(out, "account {name}  ; type: {}", kind.type_code());
    }

    let mut openings: Vec<(NaiveDate, &str, Money)> = accounts
        .iter()
        .filter_map(|a| a.opening.map(|o| (o.date, names[&a.id].as_str(), o.amount)))
        .collect();
    openings.sort_by(|a, b| (a.0, a.1).cmp(&(b.0, b.1)));
    let mut dated: Vec<(NaiveDate, usize)> =
        transactions.iter().enumerate().map(|(at, t)| (t.date, at)).collect();
    dated.sort();

    // Openings first on their day: a balance is there before anything moves it.
    let mut openings = openings.into_iter().peekable();
    for (date, at) in dated {
        while let Some((opened, name, amount)) = openings.next_if(|opening| opening.0 <= date) {
            write_opening(&mut out, opened, name, amount);
        }
        write_transaction(&mut out, &transactions[at], &name_of);
    }
    for (date, name, amount) in openings {
        write_opening(&mut out, date, name, amount);
    }
    out
}

fn write_opening(out: &mut String, date: NaiveDate, name: &str, amount: Money) {
    let _ = write!(
        out,
        "\n{date} opening balances\n    {name}  {amount}\n    {OPENING_BALANCES}  {}\n",
        -amount
    );
}

fn write_transaction(
    out: &mut String,
    transaction: &Transaction,
    name_of: &impl Fn(&Uuid) -> String,
) {
    let mark = transaction.status.mark();
    let mut header = format!("\n{}", transaction.date);
    if let Some(mark) = mark {
        let _ = write!(header, " {mark}");
    }
    let payee = transaction.payee.as_deref().map(|p| one_line(p).replace('|', "/"));
    let note = transaction.description.as_deref().map(one_line);
    let description = match (payee, note) {
        (Some(payee), Some(note)) => format!("{payee} | {note}"),
        (Some(text), None) | (None, Some(text)) => text,
        (None, None) => String::new(),
    };
    let description = safe_start(description.trim(), mark.is_some());
    if !description.is_empty() {
        header.push(' ');
        header.push_str(&description);
    }
    let mut tags: Vec<String> = Vec::new();
    for tag in &transaction.tags {
        let tag = tag_name(tag);
        if !tag.is_empty() && !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if !tags.is_empty() {
        let _ = write!(header, "  ; {}:", tags.join(":, "));
    }
    out.push_str(&header);
    out.push('\n');
    for line in transaction.notes.iter().flat_map(|notes| notes.lines()) {
        let line = comment(line);
        if !line.is_empty() {
            let _ = writeln!(out, "    ; {line}");
        }
    }
    for (at, posting) in transaction.postings.iter().enumerate() {
        let _ = write!(out, "    {}  {}", name_of(&posting.account), posting.amount);
        if posting.amount.currency() != posting.value.currency() {
            // @@ takes the cost unsigned; the amount's sign gives it its own.
            let _ = write!(
                out,
                " @@ {}",
                Money::rounded(posting.value.amount().abs(), posting.value.currency())
            );
        }
        let text = transaction.comments.get(at).and_then(Option::as_deref).map(comment);
        if let Some(text) = text.filter(|t| !t.is_empty()) {
            let _ = write!(out, "  ; {text}");
        }
        out.push('\n');
    }
}

/// Text for a comment, on one line, that hledger reads as nothing but a comment: no `[...]`
/// (a posting's own date) and no `date:` or `date2:` tag (the same, and an error when it is no
/// date); other `name:` words are tags, which is harmless.
fn comment(text: &str) -> String {
    let text = one_line(text).replace('[', "(").replace(']', ")");
    // Lower case keeps every byte where it was.
    let lower = text.to_ascii_lowercase();
    let mut out = String::with_capacity(text.len() + 4);
    let mut from = 0;
    for (at, _) in lower.match_indices("date") {
        // A tag's name starts the comment or follows a space or a comma.
        let starts = at == 0 || matches!(lower.as_bytes()[at - 1], b' ' | b',');
        let rest = &lower[at + 4..];
        let colon = if rest.starts_with(':') {
            at + 4
        } else if rest.starts_with("2:") {
            at + 5
        } else {
            continue;
        };
        if starts && colon >= from {
            out.push_str(&text[from..colon]);
            out.push_str(" -");
            from = colon + 1;
        }
    }
    out.push_str(&text[from..]);
    out
}

/// Each account's name in the journal, e.g. `liabilities:Visa - Gold`: the kind's root,
/// then the account's own names made safe to read back (see [`safe_segment`]). Two accounts
/// that would share a name are told apart by ` (2)`, ` (3)`... in the order of their ids.
pub fn account_names(accounts: &[Account]) -> BTreeMap<Uuid, String> {
    let mut wanted: Vec<(String, Uuid)> = accounts
        .iter()
        .map(|account| {
            let mut path = account.name.as_slice();
            if path
                .first()
                .is_some_and(|top| ROOT_NAMES.contains(&top.trim().to_lowercase().as_str()))
            {
                path = &path[1..];
            }
            let mut name = account.kind.root().to_owned();
            for segment in path {
                name.push(':');
                name.push_str(&safe_segment(segment));
            }
            (name, account.id)
        })
        .collect();
    wanted.sort();
    let mut taken: BTreeSet<String> = BTreeSet::from([OPENING_BALANCES.to_owned()]);
    let mut names = BTreeMap::new();
    for (name, id) in wanted {
        let mut unique = name.clone();
        let mut n = 2;
        while taken.contains(&unique) {
            unique = format!("{name} ({n})");
            n += 1;
        }
        taken.insert(unique.clone());
        names.insert(id, unique);
    }
    names
}

/// One name of an account's path as hledger can read it back: a colon would start a
/// sub-account (` - ` instead: "Visa: Gold" is `Visa - Gold`), two spaces or a tab would end
/// the name (runs of whitespace become one space), a `;` at the start would read as a comment
/// (dropped), and an empty name is `unnamed`.
fn safe_segment(segment: &str) -> String {
    let cleaned: String = segment
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .replace(':', " - ");
    let collapsed = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    let trimmed = collapsed.trim_start_matches(|c: char| c == ';' || c.is_whitespace());
    if trimmed.is_empty() { "unnamed".to_owned() } else { trimmed.to_owned() }
}

/// A payee or note on one line, without the `;` that would start a comment.
fn one_line(text: &str) -> String {
    let cleaned: String = text
        .chars()
        .map(|c| {
            if c == ';' {
                ','
            } else if c.is_control() {
                ' '
            } else {
                c
            }
        })
        .collect();
    cleaned.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A description whose start hledger would read as something else: `(` opens a transaction
/// code, and with no status mark written, a leading `*` or `!` would be one.
fn safe_start(description: &str, marked: bool) -> String {
    let mut text = description.to_owned();
    if !marked {
        text = text.trim_start_matches(['*', '!', ' ']).to_owned();
    }
    if let Some(rest) = text.strip_prefix('(') {
        text = format!("[{rest}");
    }
    text
}

/// A tag as an hledger tag name: no spaces, colons or commas, which end a name.
fn tag_name(tag: &str) -> String {
    let cleaned: String = tag
        .trim()
        .chars()
        .map(|c| if c.is_whitespace() || c == ':' || c == ',' || c.is_control() { '-' } else { c })
        .collect();
    cleaned
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use rust_decimal::Decimal;

    use super::*;

    fn money(text: &str, code: &str) -> Money {
        let currency = Currency::parse(code).expect("a currency");
        Money::new(Decimal::from_str(text).expect("a decimal"), currency).expect("money")
    }

    fn date(text: &str) -> NaiveDate {
        NaiveDate::from_str(text).expect("a date")
    }

    fn account(n: u128, name: &[&str], kind: AccountKind, code: &str) -> Account {
        Account {
            id: Uuid::from_u128(n),
            name: name.iter().map(|s| (*s).to_owned()).collect(),
            kind,
            currency: Currency::parse(code).expect("a currency"),
            opening: None,
        }
    }

    #[test]
    fn names_are_made_safe_and_unique() {
        let accounts = [
            account(1, &["Assets", "Giro  Konto\tAlt"], AccountKind::Asset, "EUR"),
            account(2, &["Visa: Gold", ";Card"], AccountKind::Liability, "EUR"),
            account(3, &["Expenses", "Café"], AccountKind::Expense, "EUR"),
            account(4, &["expenses", "Café"], AccountKind::Expense, "EUR"),
            account(5, &["Equity", "  "], AccountKind::Equity, "EUR"),
        ];
        let names = account_names(&accounts);
        let name = |n: u128| names[&Uuid::from_u128(n)].as_str();
        assert_eq!(name(1), "assets:Giro Konto Alt");
        assert_eq!(name(2), "liabilities:Visa - Gold:Card");
        assert_eq!(name(3), "expenses:Café");
        assert_eq!(name(4), "expenses:Café (2)");
        assert_eq!(name(5), "equity:unnamed");
    }

    #[test]
    fn a_small_book_reads_as_hledger_writes_it() {
        let checking = account(1, &["Assets", "Checking"], AccountKind::Asset, "EUR");
        let food = account(2, &["Expenses", "Food"], AccountKind::Expense, "EUR");
        let travel = account(3, &["Expenses", "Travel"], AccountKind::Expense, "JPY");
        let checking = Account {
            opening: Some(Opening { date: date("2026-01-01"), amount: money("1000", "EUR") }),
            ..checking
        };
        let transactions = [
            Transaction {
                date: date("2026-01-06"),
                payee: Some("Lawson".into()),
                description: None,
                status: Status::Pending,
                tags: vec![],
                notes: None,
                comments: vec![],
                postings: vec![
                    Posting::same(checking.id, money("-61", "EUR")),
                    Posting {
                        account: travel.id,
                        amount: money("10000", "JPY"),
                        value: money("61", "EUR"),
                    },
                ],
            },
            Transaction {
                date: date("2026-01-05"),
                payee: Some("REWE".into()),
                description: Some("weekly shop; milk".into()),
                status: Status::Reconciled,
                tags: vec!["groceries".into(), "trip 2026".into()],
                notes: None,
                comments: vec![],
                postings: vec![
                    Posting::same(checking.id, money("-12.5", "EUR")),
                    Posting::same(food.id, money("12.5", "EUR")),
                ],
            },
        ];
        let journal = write_journal(&[travel, food, checking], &transactions);
        let expected = "; Posey's books, as an hledger journal.

decimal-mark .

commodity 1000.00 EUR
commodity 1000. JPY

account assets:Checking  ; type: A
account equity:opening balances  ; type: E
account expenses:Food  ; type: X
account expenses:Travel  ; type: X

2026-01-01 opening balances
    assets:Checking  1000.00 EUR
    equity:opening balances  -1000.00 EUR

2026-01-05 * REWE | weekly shop, milk  ; groceries:, trip-2026:
    assets:Checking  -12.50 EUR
    expenses:Food  12.50 EUR

2026-01-06 ! Lawson
    assets:Checking  -61.00 EUR
    expenses:Travel  10000 JPY @@ 61.00 EUR
";
        assert_eq!(journal, expected);
    }

    #[test]
    fn notes_and_memos_are_comments_that_read_as_nothing_else() {
        let checking = account(1, &["Checking"], AccountKind::Asset, "EUR");
        let travel = account(3, &["Travel"], AccountKind::Expense, "JPY");
        let transaction = Transaction {
            date: date("2026-01-06"),
            payee: Some("Lawson".into()),
            description: None,
            status: Status::Cleared,
            tags: vec![],
            notes: Some("Paid in Tokyo;\n\ndate:2026-13-45 [2026-01-01] due,DATE2:x".into()),
            comments: vec![Some("card abroad".into()), Some("rate 0.0061 of 2026-01-05".into())],
            postings: vec![
                Posting::same(checking.id, money("-61", "EUR")),
                Posting {
                    account: travel.id,
                    amount: money("10000", "JPY"),
                    value: money("61", "EUR"),
                },
            ],
        };
        let journal = write_journal(&[checking, travel], &[transaction]);
        let expected = "
2026-01-06 * Lawson
    ; Paid in Tokyo,
    ; date -2026-13-45 (2026-01-01) due,DATE2 -x
    assets:Checking  -61.00 EUR  ; card abroad
    expenses:Travel  10000 JPY @@ 61.00 EUR  ; rate 0.0061 of 2026-01-05
";
        assert!(journal.ends_with(expected), "{journal}");
        assert_eq!(comment("update:x mydate:y"), "update:x mydate:y", "only date tags");
    }

    #[test]
    fn descriptions_that_would_read_as_marks_or_codes_are_defused() {
        assert_eq!(safe_start("*SPOTIFY", false), "SPOTIFY");
        assert_eq!(safe_start("*SPOTIFY", true), "*SPOTIFY");
        assert_eq!(safe_start("(123) rent", true), "[123) rent");
        assert_eq!(one_line("a;\nb  c"), "a, b c");
        assert_eq!(tag_name(" trip: 2026,x "), "trip--2026-x");
    }
}
