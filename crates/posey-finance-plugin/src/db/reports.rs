//! The reports' SQL: cash flow, spending, net worth and budget against actual, each one query,
//! summed from the `account_months` rollup where the report is by month (a few rows per
//! account and month, whatever the number of transactions), from the splits where it needs
//! what the rollup does not keep (payees, days); and the rows the exports write, with the
//! CSV and journal they make (assembled here so that the export routes, a person's export and
//! the benchmark write the same text).
//!
//! Splits are debit positive; the reports turn them the way people read them: income and
//! spending positive, what a liability owes positive.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::NaiveDate;
use posey_finance::journal::{self, AccountKind, Opening, Status};
use posey_finance::ledger::Posting;
use posey_finance::{Currency, Money};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::{FromRow, PgExecutor};
use uuid::Uuid;

/// One month of one currency's cash flow.
#[derive(Debug, Clone, FromRow)]
pub struct CashFlowRow {
    pub month: NaiveDate,
    pub currency: String,
    pub income: Decimal,
    pub expenses: Decimal,
}

/// Income and expense categories' movements per month in `from..to` (month starts).
pub async fn cash_flow(
    db: impl PgExecutor<'_>,
    person: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> sqlx::Result<Vec<CashFlowRow>> {
    sqlx::query_as(
        "SELECT m.month, m.currency, \
             COALESCE(-sum(m.amount) FILTER (WHERE a.kind = 'income'), 0) AS income, \
             COALESCE(sum(m.amount) FILTER (WHERE a.kind = 'expense'), 0) AS expenses \
         FROM finance.account_months m JOIN finance.accounts a ON a.id = m.account_id \
         WHERE m.user_id = $1 AND m.month >= $2 AND m.month < $3 \
           AND a.kind IN ('income', 'expense') \
         GROUP BY 1, 2 ORDER BY 1, 2",
    )
    .bind(person)
    .bind(from)
    .bind(to)
    .fetch_all(db)
    .await
}

/// A total of a category or a payee, in one currency.
#[derive(Debug, Clone, FromRow)]
pub struct TotalRow {
    /// The category's or payee's id (`None`: transactions without a payee).
    pub id: Option<Uuid>,
    pub name: Option<String>,
    pub currency: String,
    pub amount: Decimal,
}

/// Which side of the books a spending report sums.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Expense,
    Income,
}

impl Side {
    fn kind(self) -> &'static str {
        match self {
            Self::Expense => "expense",
            Self::Income => "income",
        }
    }

    /// Spending is debit (positive) on an expense category, income credit (negative) on an
    /// income one: either way the report shows it positive.
    fn sign(self) -> Decimal {
        match self {
            Self::Expense => Decimal::ONE,
            Self::Income => Decimal::NEGATIVE_ONE,
        }
    }
}

/// The categories (each its own, or each rolled up into its top-level category) and what of
/// `side` moved through them in `from..to`, per currency, largest first. With `whole_months`
/// the dates are month starts and the rollup is read; else the splits are.
pub async fn by_category(
    db: impl PgExecutor<'_>,
    person: Uuid,
    side: Side,
    rollup: bool,
    from: NaiveDate,
    to: NaiveDate,
    whole_months: bool,
) -> sqlx::Result<Vec<TotalRow>> {
    let source = if whole_months {
        "SELECT m.account_id, m.currency, m.amount FROM finance.account_months m \
         WHERE m.user_id = $1 AND m.month >= $3 AND m.month < $4"
    } else {
        "SELECT s.account_id, s.currency, s.amount FROM finance.splits s \
         WHERE s.user_id = $1 AND s.date >= $3 AND s.date < $4"
    };
    sqlx::query_as(&format!(
        "WITH RECURSIVE tree AS ( \
             SELECT id, id AS root FROM finance.accounts \
             WHERE user_id = $1 AND kind = $2 AND parent_id IS NULL \
             UNION ALL \
             SELECT a.id, tree.root FROM finance.accounts a JOIN tree ON a.parent_id = tree.id), \
         moved AS ({source}), \
         totals AS ( \
             SELECT CASE WHEN $5 THEN tree.root ELSE tree.id END AS id, moved.currency, \
                 sum(moved.amount) * $6 AS amount \
             FROM moved JOIN tree ON tree.id = moved.account_id GROUP BY 1, 2) \
         SELECT totals.id, a.name, totals.currency, totals.amount \
         FROM totals JOIN finance.accounts a ON a.id = totals.id \
         WHERE totals.amount <> 0 \
         ORDER BY totals.currency, abs(totals.amount) DESC, a.name, totals.id"
    ))
    .bind(person)
    .bind(side.kind())
    .bind(from)
    .bind(to)
    .bind(rollup)
    .bind(side.sign())
    .fetch_all(db)
    .await
}

/// What of `side` went to or came from each payee in `from..to`, per currency, largest first.
pub async fn by_payee(
    db: impl PgExecutor<'_>,
    person: Uuid,
    side: Side,
    from: NaiveDate,
    to: NaiveDate,
) -> sqlx::Result<Vec<TotalRow>> {
    sqlx::query_as(
        "SELECT p.id, p.name, s.currency, sum(s.amount) * $5 AS amount \
         FROM finance.splits s \
         JOIN finance.accounts a ON a.id = s.account_id \
         JOIN finance.transactions t ON t.id = s.transaction_id \
         LEFT JOIN finance.payees p ON p.id = t.payee_id \
         WHERE s.user_id = $1 AND a.kind = $2 AND s.date >= $3 AND s.date < $4 \
         GROUP BY p.id, p.name, s.currency HAVING sum(s.amount) <> 0 \
         ORDER BY s.currency, abs(sum(s.amount)) DESC, p.name NULLS LAST, p.id",
    )
    .bind(person)
    .bind(side.kind())
    .bind(from)
    .bind(to)
    .bind(side.sign())
    .fetch_all(db)
    .await
}

/// One month end of one currency: what the asset and liability accounts hold.
#[derive(Debug, Clone, FromRow)]
pub struct NetWorthRow {
    pub month: NaiveDate,
    pub currency: String,
    pub assets: Decimal,
    /// What liabilities owe: the negation of their debit-positive balance.
    pub liabilities: Decimal,
}

/// Balances at the end of each month in `from..to` (month starts), per currency: every
/// month's movement from the first summed up to it.
pub async fn net_worth(
    db: impl PgExecutor<'_>,
    person: Uuid,
    from: NaiveDate,
    to: NaiveDate,
) -> sqlx::Result<Vec<NetWorthRow>> {
    sqlx::query_as(
        "WITH moved AS ( \
             SELECT m.month, m.currency, \
                 COALESCE(sum(m.amount) FILTER (WHERE a.kind = 'asset'), 0) AS assets, \
                 COALESCE(-sum(m.amount) FILTER (WHERE a.kind = 'liability'), 0) AS liabilities \
             FROM finance.account_months m JOIN finance.accounts a ON a.id = m.account_id \
             WHERE m.user_id = $1 AND m.month < $3 AND a.kind IN ('asset', 'liability') \
             GROUP BY 1, 2), \
         before AS ( \
             SELECT currency, sum(assets) AS assets, sum(liabilities) AS liabilities \
             FROM moved WHERE month < $2 GROUP BY 1), \
         grid AS ( \
             SELECT g.month::date AS month, c.currency \
             FROM generate_series($2::date::timestamp, $3::date::timestamp - interval '1 month', \
                 interval '1 month') AS g(month) \
             CROSS JOIN (SELECT DISTINCT currency FROM moved) AS c) \
         SELECT grid.month, grid.currency, \
             COALESCE(b.assets, 0) + sum(COALESCE(moved.assets, 0)) OVER w AS assets, \
             COALESCE(b.liabilities, 0) + sum(COALESCE(moved.liabilities, 0)) OVER w AS liabilities \
         FROM grid \
         LEFT JOIN moved ON moved.month = grid.month AND moved.currency = grid.currency \
         LEFT JOIN before b ON b.currency = grid.currency \
         WINDOW w AS (PARTITION BY grid.currency ORDER BY grid.month) \
         ORDER BY 1, 2",
    )
    .bind(person)
    .bind(from)
    .bind(to)
    .fetch_all(db)
    .await
}

/// One category's month of budget against what happened.
#[derive(Debug, Clone, FromRow)]
pub struct BudgetRow {
    pub month: NaiveDate,
    pub category_id: Uuid,
    pub name: String,
    pub parent_id: Option<Uuid>,
    pub budgeted: Decimal,
    /// Spending negative, refunds positive (as the budget view shows it).
    pub activity: Decimal,
}

/// Each expense category's budget and activity in `currency` per month in `from..to` (month
/// starts), where it had either; activity as the budget counts it (through on-budget accounts).
pub async fn budget_vs_actual(
    db: impl PgExecutor<'_>,
    person: Uuid,
    currency: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> sqlx::Result<Vec<BudgetRow>> {
    let sql = format!(
        "{}, \
         budgeted AS ( \
             SELECT category_id, month, amount FROM finance.budgets \
             WHERE user_id = $1 AND month >= $3 AND month < $4) \
         SELECT COALESCE(x.month, b.month) AS month, c.id AS category_id, c.name, c.parent_id, \
             COALESCE(b.amount, 0) AS budgeted, COALESCE(x.amount, 0) AS activity \
         FROM activity x FULL JOIN budgeted b ON b.category_id = x.account_id AND b.month = x.month \
         JOIN finance.accounts c ON c.id = COALESCE(x.account_id, b.category_id) \
         WHERE COALESCE(b.amount, 0) <> 0 OR COALESCE(x.amount, 0) <> 0 \
         ORDER BY 1, lower(c.name), c.id",
        super::budgets::activity_sql(
            "m.month >= $3 AND m.month < $4",
            "o.date >= $3 AND o.date < $4"
        )
    );
    sqlx::query_as(&sql).bind(person).bind(currency).bind(from).bind(to).fetch_all(db).await
}

/// An account or category with its names from the top of its tree down.
#[derive(Debug, Clone, FromRow)]
pub struct AccountPath {
    pub id: Uuid,
    pub kind: String,
    pub currency: Option<String>,
    pub role: Option<String>,
    pub path: Vec<String>,
}

pub async fn account_paths(
    db: impl PgExecutor<'_>,
    person: Uuid,
) -> sqlx::Result<Vec<AccountPath>> {
    sqlx::query_as(
        "WITH RECURSIVE tree AS ( \
             SELECT id, ARRAY[name] AS path FROM finance.accounts \
             WHERE user_id = $1 AND parent_id IS NULL \
             UNION ALL \
             SELECT a.id, tree.path || a.name FROM finance.accounts a \
             JOIN tree ON a.parent_id = tree.id) \
         SELECT a.id, a.kind, a.currency, a.role, tree.path \
         FROM finance.accounts a JOIN tree ON tree.id = a.id ORDER BY a.kind, tree.path, a.id",
    )
    .bind(person)
    .fetch_all(db)
    .await
}

/// One split with its transaction, as the exports write it.
#[derive(Debug, Clone, FromRow, Serialize)]
pub struct ExportSplit {
    pub transaction_id: Uuid,
    pub date: NaiveDate,
    pub payee: Option<String>,
    pub description: Option<String>,
    pub status: String,
    pub tags: Vec<String>,
    pub transaction_currency: String,
    pub account_id: Uuid,
    pub amount: Decimal,
    pub currency: String,
    pub value: Decimal,
    /// The transaction's notes (several lines, maybe).
    pub notes: Option<String>,
    /// The split's own memo.
    pub memo: Option<String>,
    /// Where the split's currency is not the transaction's: what one unit of it was worth in
    /// the transaction's, and the day that rate is of.
    pub rate: Option<Decimal>,
    pub rate_date: Option<NaiveDate>,
}

/// Every split of the person's, by date, transaction and position.
pub async fn export_splits(
    db: impl PgExecutor<'_>,
    person: Uuid,
) -> sqlx::Result<Vec<ExportSplit>> {
    sqlx::query_as(
        "SELECT t.id AS transaction_id, t.date, p.name AS payee, t.description, t.status, t.tags, \
             t.currency AS transaction_currency, s.account_id, s.amount, s.currency, s.value, \
             t.notes, s.memo, s.rate, s.rate_date \
         FROM finance.transactions t \
         JOIN finance.splits s ON s.transaction_id = t.id \
         LEFT JOIN finance.payees p ON p.id = t.payee_id \
         WHERE t.user_id = $1 ORDER BY t.date, t.id, s.position",
    )
    .bind(person)
    .fetch_all(db)
    .await
}

/// Every split of the person's as a CSV row (the export's; the columns are described on its
/// route): read in two queries.
pub async fn csv(db: &sqlx::PgPool, person: Uuid) -> anyhow::Result<Vec<u8>> {
    let accounts = account_paths(db, person).await?;
    let splits = export_splits(db, person).await?;
    let by_id: HashMap<Uuid, &AccountPath> = accounts.iter().map(|a| (a.id, a)).collect();
    let mut out = csv::Writer::from_writer(Vec::with_capacity(splits.len() * 120));
    out.write_record([
        "date",
        "transaction_id",
        "payee",
        "description",
        "account",
        "account_kind",
        "amount",
        "currency",
        "value",
        "transaction_currency",
        "status",
        "tags",
        "notes",
        "memo",
        "rate",
        "rate_date",
    ])?;
    for split in &splits {
        let account = by_id.get(&split.account_id);
        out.write_record([
            split.date.to_string(),
            split.transaction_id.to_string(),
            split.payee.clone().unwrap_or_default(),
            split.description.clone().unwrap_or_default(),
            // The account's names joined as one: `Food:Groceries`.
            account.map(|a| a.path.join(":")).unwrap_or_default(),
            account.map(|a| a.kind.clone()).unwrap_or_default(),
            split.amount.to_string(),
            split.currency.clone(),
            split.value.to_string(),
            split.transaction_currency.clone(),
            split.status.clone(),
            split.tags.join(","),
            split.notes.clone().unwrap_or_default(),
            split.memo.clone().unwrap_or_default(),
            split.rate.map(|rate| rate.to_string()).unwrap_or_default(),
            split.rate_date.map(|date| date.to_string()).unwrap_or_default(),
        ])?;
    }
    Ok(out.into_inner().map_err(|e| e.into_error())?)
}

/// The person's books as an hledger journal (the export's, and the benchmark's): read in
/// three queries, written by posey-finance's `journal::write_journal`.
pub async fn journal(db: &sqlx::PgPool, person: Uuid) -> anyhow::Result<String> {
    let chosen = crate::db::currency(db, person).await?;
    let accounts = account_paths(db, person).await?;
    let splits = export_splits(db, person).await?;
    journal_text(chosen.as_deref(), &accounts, splits)
}

fn kind_of(kind: &str) -> AccountKind {
    match kind {
        "asset" => AccountKind::Asset,
        "liability" => AccountKind::Liability,
        "income" => AccountKind::Income,
        "expense" => AccountKind::Expense,
        _ => AccountKind::Equity,
    }
}

fn status_of(status: &str) -> Status {
    match status {
        "cleared" => Status::Cleared,
        "reconciled" => Status::Reconciled,
        _ => Status::Uncleared,
    }
}

/// The journal of the books: a transaction of two splits between an account and Posey's
/// opening-balances account becomes that account's opening balance (the first one, when an
/// account has several), so that hledger shows it as one.
pub fn journal_text(
    chosen: Option<&str>,
    accounts: &[AccountPath],
    splits: Vec<ExportSplit>,
) -> anyhow::Result<String> {
    let money = |amount, code: &str| -> anyhow::Result<Money> {
        Ok(Money::new(amount, Currency::parse(code)?)?)
    };
    let opening_account: Option<Uuid> =
        accounts.iter().find(|a| a.role.as_deref() == Some("opening")).map(|a| a.id);
    let by_id: HashMap<Uuid, &AccountPath> = accounts.iter().map(|a| (a.id, a)).collect();

    let mut openings: HashMap<Uuid, Opening> = HashMap::new();
    let mut transactions = Vec::new();
    let mut used: HashSet<Uuid> = HashSet::new();
    let mut groups: BTreeMap<(chrono::NaiveDate, Uuid), Vec<ExportSplit>> = BTreeMap::new();
    let mut order = Vec::new();
    for split in splits {
        let key = (split.date, split.transaction_id);
        if !groups.contains_key(&key) {
            order.push(key);
        }
        groups.entry(key).or_default().push(split);
    }
    for key in order {
        let Some(legs) = groups.remove(&key) else { continue };
        if let [a, b] = legs.as_slice() {
            let (own, equity) = if Some(b.account_id) == opening_account { (a, b) } else { (b, a) };
            let is_account = by_id
                .get(&own.account_id)
                .is_some_and(|acc| matches!(acc.kind.as_str(), "asset" | "liability"));
            if Some(equity.account_id) == opening_account
                && is_account
                && !openings.contains_key(&own.account_id)
            {
                let amount = money(own.amount, &own.currency)?;
                openings.insert(own.account_id, Opening { date: own.date, amount });
                continue;
            }
        }
        let first = &legs[0];
        let mut postings = Vec::with_capacity(legs.len());
        for leg in &legs {
            used.insert(leg.account_id);
            postings.push(Posting {
                account: leg.account_id,
                amount: money(leg.amount, &leg.currency)?,
                value: money(leg.value, &leg.transaction_currency)?,
            });
        }
        // A split's comment: its memo, and the rate a conversion was made at.
        let comments = legs
            .iter()
            .map(|leg| {
                let rate = leg.rate.map(|rate| match leg.rate_date {
                    Some(day) => format!("rate {rate} of {day}"),
                    None => format!("rate {rate}"),
                });
                match (leg.memo.as_deref(), rate) {
                    (Some(memo), Some(rate)) => Some(format!("{memo}, {rate}")),
                    (Some(memo), None) => Some(memo.to_owned()),
                    (None, rate) => rate,
                }
            })
            .collect();
        transactions.push(journal::Transaction {
            date: first.date,
            payee: first.payee.clone(),
            description: first.description.clone(),
            status: status_of(&first.status),
            tags: first.tags.clone(),
            postings,
            notes: first.notes.clone(),
            comments,
        });
    }

    // Categories and equity hold each transaction's currency: the person's stands in for
    // theirs (it only declares a commodity).
    let fallback = chosen
        .or_else(|| accounts.iter().find_map(|a| a.currency.as_deref()))
        .and_then(|code| Currency::parse(code).ok())
        .map_or_else(|| Currency::parse("EUR"), Ok)?;
    let mut journal_accounts = Vec::with_capacity(accounts.len());
    for account in accounts {
        // Posey's opening-balances account appears only where a transaction still uses it.
        if Some(account.id) == opening_account && !used.contains(&account.id) {
            continue;
        }
        let currency = match &account.currency {
            Some(code) => Currency::parse(code)?,
            None => fallback,
        };
        journal_accounts.push(journal::Account {
            id: account.id,
            name: account.path.clone(),
            kind: kind_of(&account.kind),
            currency,
            opening: openings.get(&account.id).copied(),
        });
    }
    Ok(journal::write_journal(&journal_accounts, &transactions))
}
