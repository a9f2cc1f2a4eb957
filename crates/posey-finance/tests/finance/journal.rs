//! The journal read back by the real hledger (`HLEDGER`, or `hledger` on the PATH): its
//! balances must be the ones `ledger::balances` gives for the same books.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;
use std::str::FromStr;

use chrono::NaiveDate;
use posey_finance::journal::{
    Account, AccountKind, OPENING_BALANCES, Opening, Status, Transaction, account_names,
    write_journal,
};
use posey_finance::ledger::{Posting, balances, check_balanced};
use posey_finance::{Currency, Money};
use rust_decimal::Decimal;
use uuid::Uuid;

fn cur(code: &str) -> Currency {
    Currency::parse(code).expect("a currency")
}

fn money(text: &str, code: &str) -> Money {
    Money::new(Decimal::from_str(text).expect("a decimal"), cur(code)).expect("money")
}

fn date(text: &str) -> NaiveDate {
    NaiveDate::from_str(text).expect("a date")
}

fn account(
    n: u128,
    name: &[&str],
    kind: AccountKind,
    code: &str,
    opening: Option<&str>,
) -> Account {
    Account {
        id: Uuid::from_u128(n),
        name: name.iter().map(|s| (*s).to_owned()).collect(),
        kind,
        currency: cur(code),
        opening: opening
            .map(|amount| Opening { date: date("2026-01-01"), amount: money(amount, code) }),
    }
}

fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

const CHECKING: u128 = 1;
const SAVINGS_JPY: u128 = 2;
const KUWAIT: u128 = 3;
const VISA: u128 = 4;
const CAFE: u128 = 5;
const TOKYO: u128 = 6;
const SALARY: u128 = 7;
const POCKET: u128 = 8;
const FEES: u128 = 9;

fn accounts() -> Vec<Account> {
    vec![
        account(CHECKING, &["Assets", "Checking"], AccountKind::Asset, "EUR", Some("1500.00")),
        account(
            SAVINGS_JPY,
            &["Assets", "Savings  Account\tTokyo"],
            AccountKind::Asset,
            "JPY",
            Some("250000"),
        ),
        account(KUWAIT, &["Assets", "Kuwait; Bank: NBK"], AccountKind::Asset, "KWD", Some("120.5")),
        account(VISA, &["Liabilities", ";Visa: Gold"], AccountKind::Liability, "EUR", None),
        account(CAFE, &["Expenses", "Café & Bäckerei"], AccountKind::Expense, "EUR", None),
        account(TOKYO, &["Expenses", "Travel", "東京"], AccountKind::Expense, "JPY", None),
        account(SALARY, &["Income", "Salary"], AccountKind::Income, "EUR", None),
        // A sub-account with postings of its own under one that has some too.
        account(POCKET, &["Assets", "Checking", "Pocket"], AccountKind::Asset, "EUR", None),
        account(FEES, &["Fees"], AccountKind::Expense, "USD", None),
    ]
}

fn transaction(on: &str, payee: &str, status: Status, postings: Vec<Posting>) -> Transaction {
    Transaction {
        date: date(on),
        payee: Some(payee.to_owned()),
        description: None,
        status,
        tags: Vec::new(),
        postings,
        notes: None,
        comments: Vec::new(),
    }
}

/// Each with the currency it balances in.
fn transactions() -> Vec<(Currency, Transaction)> {
    let eur = cur("EUR");
    let lunch = money("-10.00", "EUR").allocate(&[Decimal::ONE, Decimal::ONE, Decimal::ONE]);
    vec![
        (
            eur,
            Transaction {
                tags: vec!["work".into(), "monthly pay".into()],
                ..transaction(
                    "2026-01-31",
                    "ACME GmbH",
                    Status::Reconciled,
                    vec![
                        Posting::same(id(SALARY), money("-3000.00", "EUR")),
                        Posting::same(id(CHECKING), money("3000.00", "EUR")),
                    ],
                )
            },
        ),
        (
            eur,
            Transaction {
                description: Some("(coffee) latte; two".into()),
                // Comments hledger must read as nothing else: no posting dates, no tags that
                // fail to parse.
                notes: Some("Paid at 10:30;\ndate:tomorrow [2026-01-09]\n\nsecond: line".into()),
                comments: vec![Some("latte, date2:2026-99-99 [x]".into()), None],
                ..transaction(
                    "2026-01-03",
                    "*Bäckerei | Müller",
                    Status::Uncleared,
                    vec![
                        Posting::same(id(CHECKING), money("-4.80", "EUR")),
                        Posting::same(id(CAFE), money("4.80", "EUR")),
                    ],
                )
            },
        ),
        // Euros to the yen account at 0.0062 EUR/JPY.
        (
            eur,
            transaction(
                "2026-01-10",
                "Wise",
                Status::Cleared,
                vec![
                    Posting::same(id(CHECKING), money("-620.00", "EUR")),
                    Posting::converted(
                        id(SAVINGS_JPY),
                        money("100000", "JPY"),
                        Decimal::from_str("0.0062").expect("a rate"),
                        eur,
                    )
                    .expect("a rate"),
                ],
            ),
        ),
        // Dinars to euros, in dinars: the bank's own euro amount.
        (
            cur("KWD"),
            transaction(
                "2026-01-12",
                "NBK",
                Status::Cleared,
                vec![
                    Posting::same(id(KUWAIT), money("-50.000", "KWD")),
                    Posting {
                        account: id(CHECKING),
                        amount: money("150.25", "EUR"),
                        value: money("50.000", "KWD"),
                    },
                ],
            ),
        ),
        // A card in euros paying in yen, booked in yen.
        (
            cur("JPY"),
            transaction(
                "2026-01-12",
                "ローソン",
                Status::Pending,
                vec![
                    Posting::same(id(TOKYO), money("3000", "JPY")),
                    Posting {
                        account: id(VISA),
                        amount: money("-18.60", "EUR"),
                        value: money("-3000", "JPY"),
                    },
                ],
            ),
        ),
        (
            eur,
            transaction(
                "2026-01-15",
                "Pocket",
                Status::Pending,
                vec![
                    Posting::same(id(CHECKING), money("-100.00", "EUR")),
                    Posting::same(id(POCKET), money("100.00", "EUR")),
                ],
            ),
        ),
        (
            eur,
            transaction(
                "2026-01-20",
                "Bank fee",
                Status::Cleared,
                vec![
                    Posting::same(id(CHECKING), money("-2.31", "EUR")),
                    Posting {
                        account: id(FEES),
                        amount: money("2.50", "USD"),
                        value: money("2.31", "EUR"),
                    },
                ],
            ),
        ),
        // A lunch split three ways: 3.34, 3.33, 3.33.
        (
            eur,
            transaction(
                "2026-01-20",
                "Lunch",
                Status::Uncleared,
                vec![
                    Posting::same(id(VISA), money("-10.00", "EUR")),
                    Posting::same(id(CAFE), -lunch[0]),
                    Posting::same(id(POCKET), -lunch[1]),
                    Posting::same(id(CHECKING), -lunch[2]),
                ],
            ),
        ),
    ]
}

/// The hledger to run: `HLEDGER`, else `hledger` on the PATH.
fn hledger() -> PathBuf {
    std::env::var_os("HLEDGER").map_or_else(|| PathBuf::from("hledger"), PathBuf::from)
}

fn run_hledger(journal: &std::path::Path, args: &[&str]) -> String {
    let program = hledger();
    let output = Command::new(&program).arg("-f").arg(journal).args(args).output();
    let output = match output {
        Ok(output) => output,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => panic!(
            "hledger is needed to check the journal and {} was not found: install it \
             (`apt-get install hledger`, which ./scripts/test does) or set HLEDGER to its path",
            program.display()
        ),
        Err(error) => panic!("running {}: {error}", program.display()),
    };
    let stdout = String::from_utf8(output.stdout).expect("hledger writes UTF-8");
    assert!(
        output.status.success(),
        "hledger {args:?} failed ({}):\n{}\n--- journal ---\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr),
        std::fs::read_to_string(journal).unwrap_or_default()
    );
    stdout
}

/// A journal file in the temporary directory, removed when dropped.
struct JournalFile(PathBuf);

impl JournalFile {
    fn new(text: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let path = std::env::temp_dir()
            .join(format!("posey-finance-{}-{nanos}.journal", std::process::id()));
        std::fs::write(&path, text).expect("writing the journal");
        Self(path)
    }
}

impl Drop for JournalFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// `account,commodity,balance` rows of `bal --layout=bare -O csv`, zeros left out.
fn parse_balances(csv: &str) -> BTreeMap<(String, String), Decimal> {
    let mut rows = BTreeMap::new();
    for line in csv.lines().skip(1).filter(|line| !line.is_empty()) {
        let fields: Vec<String> = line
            .split("\",\"")
            .map(|field| field.trim_matches('"').replace("\"\"", "\""))
            .collect();
        let [account, commodity, amount] = fields.as_slice() else {
            panic!("not an account,commodity,balance row: {line}");
        };
        let amount =
            Decimal::from_str(amount).unwrap_or_else(|_| panic!("not an amount in {line}"));
        if !amount.is_zero() {
            rows.insert((account.clone(), commodity.clone()), amount);
        }
    }
    rows
}

#[test]
fn hledger_reads_the_journal_with_the_balances_posey_has() {
    let accounts = accounts();
    let book = transactions();
    for (currency, transaction) in &book {
        check_balanced(*currency, &transaction.postings)
            .unwrap_or_else(|error| panic!("{}: {error}", transaction.date));
    }
    let transactions: Vec<Transaction> = book.into_iter().map(|(_, t)| t).collect();
    let text = write_journal(&accounts, &transactions);
    assert_eq!(text, write_journal(&accounts, &transactions), "the same books, the same text");
    let file = JournalFile::new(&text);

    // --strict: every account and commodity is declared, as the journal promises.
    let csv = run_hledger(
        &file.0,
        &["--strict", "bal", "--flat", "--no-total", "--layout=bare", "-O", "csv"],
    );
    let from_hledger = parse_balances(&csv);

    let names = account_names(&accounts);
    let mut expected: BTreeMap<(String, String), Decimal> = BTreeMap::new();
    let postings = transactions.iter().flat_map(|t| &t.postings);
    for ((account, currency), amount) in balances(postings) {
        *expected.entry((names[&account].clone(), currency.to_string())).or_default() += amount;
    }
    for opening in accounts.iter().filter_map(|a| a.opening.map(|o| (a.id, o.amount))) {
        let (account, amount) = opening;
        let code = amount.currency().to_string();
        *expected.entry((names[&account].clone(), code.clone())).or_default() += amount.amount();
        *expected.entry((OPENING_BALANCES.to_owned(), code)).or_default() -= amount.amount();
    }
    expected.retain(|_, amount| !amount.is_zero());
    assert_eq!(from_hledger, expected, "hledger's balances (left) and Posey's (right)\n{text}");

    // The tricky names came through as single accounts, not split or cut.
    assert!(from_hledger.contains_key(&("assets:Savings Account Tokyo".into(), "JPY".into())));
    assert!(from_hledger.contains_key(&("assets:Kuwait; Bank - NBK".into(), "KWD".into())));
    assert!(from_hledger.contains_key(&("liabilities:Visa - Gold".into(), "EUR".into())));
    assert!(from_hledger.contains_key(&("expenses:Travel:東京".into(), "JPY".into())));

    // Marks, payees and tags read back as written.
    let pending = run_hledger(&file.0, &["print", "--pending"]);
    assert!(pending.contains("ローソン") && pending.contains("Pocket"), "{pending}");
    assert_eq!(pending.matches("\n2026-").count() + usize::from(pending.starts_with("2026-")), 2);
    let cleared = run_hledger(&file.0, &["reg", "--cleared", "-O", "csv", "payee:NBK"]);
    assert_eq!(cleared.lines().count(), 3, "NBK's two postings, cleared:\n{cleared}");
    let tagged = run_hledger(&file.0, &["print", "tag:monthly-pay"]);
    assert!(tagged.contains("ACME GmbH"), "{tagged}");
    let coffee = run_hledger(&file.0, &["reg", "-O", "csv", "desc:latte, two"]);
    assert!(coffee.contains("Bäckerei / Müller | (coffee) latte, two"), "{coffee}");
}
