//! Writing to the books the way routes and tools both do: a transaction from what a person
//! says (one amount against a category or another account, or splits given one by one), its
//! money checked against each account's currency and its splits checked to balance before
//! anything is written; categorising; reconciling an account against a statement.

use std::collections::HashMap;

use chrono::NaiveDate;
use posey_finance::ledger::{self, Posting};
use posey_finance::{Currency, Money};
use rust_decimal::Decimal;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::db::accounts::{self, Account};
use crate::db::transactions::{self, NewSplit, NewTransaction, Transaction};
use crate::error::FinanceError;

/// What a transaction is, as a person says it.
#[derive(Debug, Clone)]
pub struct Entry {
    pub date: NaiveDate,
    pub payee: Option<String>,
    pub description: Option<String>,
    pub notes: Option<String>,
    pub tags: Vec<String>,
    pub status: String,
    pub legs: Legs,
}

/// A transaction without its date: what a recurring transaction posts on each of its dates
/// (kept as JSON).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Template {
    pub payee: Option<String>,
    pub description: Option<String>,
    pub notes: Option<String>,
    pub tags: Vec<String>,
    pub legs: Legs,
}

impl Template {
    /// The transaction to post on `date`: uncleared, as a person's own entry is.
    pub fn entry(&self, date: NaiveDate) -> Entry {
        Entry {
            date,
            payee: self.payee.clone(),
            description: self.description.clone(),
            notes: self.notes.clone(),
            tags: self.tags.clone(),
            status: "uncleared".into(),
            legs: self.legs.clone(),
        }
    }
}

/// Where the money goes (kept as JSON in a recurring transaction's template).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Legs {
    /// `amount` into (positive) or out of (negative) an account, against a category, another
    /// of the person's accounts (a transfer; `transfer_amount` is what the other account
    /// moves, in its currency, when that differs), or neither (uncategorised by its sign).
    Simple {
        account_id: Uuid,
        amount: Decimal,
        category_id: Option<Uuid>,
        transfer_account_id: Option<Uuid>,
        transfer_amount: Option<Decimal>,
    },
    /// Splits given one by one, balancing in `currency`.
    Splits { currency: String, splits: Vec<SplitEntry> },
}

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct SplitEntry {
    pub account_id: Uuid,
    /// In the account's currency (a category's: the transaction's).
    pub amount: Decimal,
    /// In the transaction's currency, for a split in another: required there.
    pub value: Option<Decimal>,
    pub rate_date: Option<NaiveDate>,
    pub memo: Option<String>,
}

/// Records a new transaction: what it became.
pub async fn create(
    db: &mut PgConnection,
    person: Uuid,
    entry: Entry,
) -> Result<Transaction, FinanceError> {
    let new = build(db, person, Uuid::now_v7(), entry).await?;
    transactions::insert(db, person, std::slice::from_ref(&new)).await?;
    transactions::find(db, person, new.id)
        .await?
        .ok_or_else(|| FinanceError::not_found("transaction"))
}

/// Replaces a transaction with `entry` (a reconciled one only when `confirm_reconciled`).
pub async fn replace(
    db: &mut PgConnection,
    person: Uuid,
    id: Uuid,
    entry: Entry,
    confirm_reconciled: bool,
) -> Result<Transaction, FinanceError> {
    let new = build(db, person, id, entry).await?;
    if confirm_reconciled {
        transactions::allow_reconciled_changes(db).await?;
    }
    if !transactions::replace(db, person, &new).await? {
        return Err(FinanceError::not_found("transaction"));
    }
    transactions::find(db, person, id).await?.ok_or_else(|| FinanceError::not_found("transaction"))
}

/// A transaction's legs as an [`Entry`] says them back (to change some fields and keep the
/// rest).
pub fn entry_of(transaction: &Transaction) -> Entry {
    Entry {
        date: transaction.date,
        payee: transaction.payee.clone(),
        description: transaction.description.clone(),
        notes: transaction.notes.clone(),
        tags: transaction.tags.clone(),
        status: transaction.status.clone(),
        legs: Legs::Splits {
            currency: transaction.currency.clone(),
            splits: transaction
                .splits
                .iter()
                .map(|s| SplitEntry {
                    account_id: s.account_id,
                    amount: s.amount,
                    value: (s.currency != transaction.currency).then_some(s.value),
                    rate_date: s.rate_date,
                    memo: s.memo.clone(),
                })
                .collect(),
        },
    }
}

/// Moves a transaction's one category split to `category` (the categorising most edits are).
pub async fn categorise(
    db: &mut PgConnection,
    person: Uuid,
    id: Uuid,
    category: Uuid,
    confirm_reconciled: bool,
) -> Result<Transaction, FinanceError> {
    let transaction = transactions::find(db, person, id)
        .await?
        .ok_or_else(|| FinanceError::not_found("transaction"))?;
    let target = category_of(db, person, category).await?;
    let categorised: Vec<usize> = transaction
        .splits
        .iter()
        .enumerate()
        .filter(|(_, s)| s.account_kind == "income" || s.account_kind == "expense")
        .map(|(at, _)| at)
        .collect();
    let [at] = categorised[..] else {
        return Err(FinanceError::invalid(
            "category_id",
            if categorised.is_empty() {
                "the transaction has no category split (a transfer): edit its splits instead"
            } else {
                "the transaction is split over several categories: edit its splits instead"
            },
        ));
    };
    let mut entry = entry_of(&transaction);
    if let Legs::Splits { splits, .. } = &mut entry.legs {
        splits[at].account_id = target.id;
    }
    replace(db, person, id, entry, confirm_reconciled).await
}

async fn category_of(
    db: &mut PgConnection,
    person: Uuid,
    id: Uuid,
) -> Result<Account, FinanceError> {
    match accounts::find(&mut *db, person, id).await? {
        Some(account) if account.kind == "income" || account.kind == "expense" => Ok(account),
        _ => Err(FinanceError::invalid("category_id", "no such category")),
    }
}

/// The transaction `entry` says, checked: accounts are the person's and open, each amount is
/// exact in its currency, and the splits balance.
pub async fn build(
    db: &mut PgConnection,
    person: Uuid,
    id: Uuid,
    entry: Entry,
) -> Result<NewTransaction, FinanceError> {
    let (currency, splits) = match entry.legs {
        Legs::Simple { account_id, amount, category_id, transfer_account_id, transfer_amount } => {
            simple_splits(
                db,
                person,
                account_id,
                amount,
                category_id,
                transfer_account_id,
                transfer_amount,
            )
            .await?
        }
        Legs::Splits { currency, splits } => given_splits(db, person, &currency, splits).await?,
    };
    let postings: Vec<Posting> = splits
        .iter()
        .map(|(account, split)| Posting { account: *account, amount: split.0, value: split.1 })
        .collect();
    ledger::check_balanced(currency, &postings)
        .map_err(|error| FinanceError::invalid("splits", error))?;
    let payee_id = match entry.payee.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(name) => Some(accounts::payee(db, person, name).await?),
        None => None,
    };
    Ok(NewTransaction {
        id,
        date: entry.date,
        currency: currency.code().to_owned(),
        payee_id,
        description: entry.description,
        notes: entry.notes,
        tags: entry.tags,
        status: entry.status,
        import_id: None,
        import_key: None,
        source: None,
        recurring_id: None,
        splits: splits
            .into_iter()
            .map(|(account, (amount, value, rate_date, memo))| {
                let rate = (amount.currency() != value.currency() && !amount.is_zero())
                    .then(|| value.amount() / amount.amount());
                NewSplit {
                    account_id: account,
                    amount: amount.amount(),
                    currency: amount.currency().code().to_owned(),
                    value: value.amount(),
                    // A rate is the day's: the transaction's when the person names no other.
                    rate_date: rate_date.or(rate.map(|_| entry.date)),
                    rate,
                    memo,
                }
            })
            .collect(),
    })
}

type Leg = (Money, Money, Option<NaiveDate>, Option<String>);

/// The person's accounts among `ids`, refusing others', closed ones and missing ones.
async fn accounts_of(
    db: &mut PgConnection,
    person: Uuid,
    ids: &[(Uuid, &'static str)],
) -> Result<HashMap<Uuid, Account>, FinanceError> {
    let mut found = HashMap::new();
    for (id, field) in ids {
        let account = accounts::find(&mut *db, person, *id)
            .await?
            .ok_or_else(|| FinanceError::invalid(*field, "no such account or category"))?;
        if account.closed_at.is_some() {
            return Err(FinanceError::invalid(*field, format!("{} is closed", account.name)));
        }
        found.insert(*id, account);
    }
    Ok(found)
}

fn currency_of(account: &Account, field: &str) -> Result<Currency, FinanceError> {
    let code = account.currency.as_deref().unwrap_or_default();
    Currency::parse(code).map_err(|error| FinanceError::invalid(field, error))
}

async fn simple_splits(
    db: &mut PgConnection,
    person: Uuid,
    account_id: Uuid,
    amount: Decimal,
    category_id: Option<Uuid>,
    transfer_account_id: Option<Uuid>,
    transfer_amount: Option<Decimal>,
) -> Result<(Currency, Vec<(Uuid, Leg)>), FinanceError> {
    let mut wanted = vec![(account_id, "account_id")];
    if let Some(category) = category_id {
        wanted.push((category, "category_id"));
    }
    if let Some(other) = transfer_account_id {
        if category_id.is_some() {
            return Err(FinanceError::invalid(
                "transfer_account_id",
                "a transfer has no category: give one or the other",
            ));
        }
        if other == account_id {
            return Err(FinanceError::invalid("transfer_account_id", "is the same account"));
        }
        wanted.push((other, "transfer_account_id"));
    }
    let found = accounts_of(db, person, &wanted).await?;
    let account = &found[&account_id];
    if !matches!(account.kind.as_str(), "asset" | "liability") {
        return Err(FinanceError::invalid("account_id", "must be an account, not a category"));
    }
    let currency = currency_of(account, "account_id")?;
    let money = Money::new(amount, currency).map_err(|e| FinanceError::invalid("amount", e))?;
    if money.is_zero() {
        return Err(FinanceError::invalid("amount", "must not be zero"));
    }
    let mine: Leg = (money, money, None, None);
    let counter: (Uuid, Leg) = if let Some(other) = transfer_account_id {
        let other_account = &found[&other];
        if !matches!(other_account.kind.as_str(), "asset" | "liability") {
            return Err(FinanceError::invalid("transfer_account_id", "must be an account"));
        }
        let other_currency = currency_of(other_account, "transfer_account_id")?;
        if other_currency == currency {
            if transfer_amount.is_some_and(|t| t.abs() != amount.abs()) {
                return Err(FinanceError::invalid(
                    "transfer_amount",
                    "both accounts are in one currency: the amount moves as it is",
                ));
            }
            (other, (-money, -money, None, None))
        } else {
            let moved = transfer_amount.ok_or_else(|| {
                FinanceError::invalid(
                    "transfer_amount",
                    format!("is required: how much {other_currency} the other account moves"),
                )
            })?;
            let moved = if amount.is_sign_negative() { moved.abs() } else { -moved.abs() };
            let moved = Money::new(moved, other_currency)
                .map_err(|e| FinanceError::invalid("transfer_amount", e))?;
            if moved.is_zero() {
                return Err(FinanceError::invalid("transfer_amount", "must not be zero"));
            }
            (other, (moved, -money, None, None))
        }
    } else {
        let category = match category_id {
            Some(category) => {
                let target = &found[&category];
                if !matches!(target.kind.as_str(), "income" | "expense") {
                    return Err(FinanceError::invalid(
                        "category_id",
                        "must be a category (use transfer_account_id for an account)",
                    ));
                }
                category
            }
            None => {
                let role = if amount.is_sign_negative() {
                    "uncategorised_expense"
                } else {
                    "uncategorised_income"
                };
                accounts::role_account(db, person, role).await?
            }
        };
        (category, (-money, -money, None, None))
    };
    Ok((currency, vec![(account_id, mine), counter]))
}

async fn given_splits(
    db: &mut PgConnection,
    person: Uuid,
    currency: &str,
    splits: Vec<SplitEntry>,
) -> Result<(Currency, Vec<(Uuid, Leg)>), FinanceError> {
    let currency = Currency::parse(currency).map_err(|e| FinanceError::invalid("currency", e))?;
    if splits.len() < 2 {
        return Err(FinanceError::invalid("splits", "a transaction has two splits or more"));
    }
    if splits.len() > 100 {
        return Err(FinanceError::invalid("splits", "at most 100 splits"));
    }
    let wanted: Vec<(Uuid, &'static str)> =
        splits.iter().map(|s| (s.account_id, "splits")).collect();
    let found = accounts_of(db, person, &wanted).await?;
    let mut legs = Vec::with_capacity(splits.len());
    for (at, split) in splits.into_iter().enumerate() {
        let field = format!("splits[{at}]");
        let account = &found[&split.account_id];
        let own = match account.currency.as_deref() {
            Some(code) => Currency::parse(code).map_err(|e| FinanceError::invalid(&field, e))?,
            None => currency,
        };
        let amount = Money::new(split.amount, own)
            .map_err(|e| FinanceError::invalid(format!("{field}.amount"), e))?;
        let value = if own == currency {
            if split.value.is_some_and(|v| v != split.amount) {
                return Err(FinanceError::invalid(
                    format!("{field}.value"),
                    "a split in the transaction's currency has its amount as value",
                ));
            }
            amount
        } else {
            let value = split.value.ok_or_else(|| {
                FinanceError::invalid(
                    format!("{field}.value"),
                    format!(
                        "is required: {} is in {own}, the transaction in {currency}",
                        account.name
                    ),
                )
            })?;
            Money::new(value, currency)
                .map_err(|e| FinanceError::invalid(format!("{field}.value"), e))?
        };
        legs.push((split.account_id, (amount, value, split.rate_date, split.memo)));
    }
    Ok((currency, legs))
}

/// What reconciling an account against a statement did.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct Reconciled {
    pub id: Uuid,
    pub account_id: Uuid,
    pub statement_date: NaiveDate,
    #[schema(value_type = String)]
    pub statement_balance: Decimal,
    /// How many transactions were marked reconciled.
    pub transactions: u64,
}

/// Reconciles an account: when its balance at the end of `date` is the statement's, every
/// transaction up to then is marked reconciled; else nothing changes and the difference is
/// named.
pub async fn reconcile(
    db: &mut PgConnection,
    person: Uuid,
    account_id: Uuid,
    date: NaiveDate,
    statement_balance: Decimal,
) -> Result<Reconciled, FinanceError> {
    let account = accounts::find(&mut *db, person, account_id)
        .await?
        .filter(|a| matches!(a.kind.as_str(), "asset" | "liability"))
        .ok_or_else(|| FinanceError::not_found("account"))?;
    let currency = currency_of(&account, "account_id")?;
    let stated = Money::new(statement_balance, currency)
        .map_err(|e| FinanceError::invalid("statement_balance", e))?;
    let held =
        Money::new(transactions::balance_through(&mut *db, account_id, date).await?, currency)?;
    if held != stated {
        let off = stated.checked_sub(held)?;
        return Err(FinanceError::invalid(
            "statement_balance",
            format!(
                "the account holds {held} at the end of {date}, the statement says {stated}: \
                 {off} is missing or extra; nothing was reconciled"
            ),
        ));
    }
    let marked = transactions::reconcile(&mut *db, person, account_id, date).await?;
    let id = transactions::record_reconciliation(
        &mut *db,
        person,
        account_id,
        date,
        stated.amount(),
        marked,
    )
    .await?;
    Ok(Reconciled {
        id,
        account_id,
        statement_date: date,
        statement_balance: stated.amount(),
        transactions: marked,
    })
}
