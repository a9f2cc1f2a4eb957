//! The tools agents keep a person's money with: accounts and balances, what was spent on a
//! category or at a payee in a period, finding transactions, recording one, and categorising.
//! Every amount a tool gives is exact and carries its currency (`-12.50 EUR`), so an answer
//! can quote it as it is. What changes many rows at once (applying a rule to the past,
//! deleting an import) asks the person first.

use std::time::Duration as StdDuration;

use chrono::{Datelike, Months, NaiveDate, Utc};
use futures::future::BoxFuture;
use posey_finance::{Currency, Money};
use posey_plugin::{ConfirmationRequest, Found, PendingAction, Tool, ToolContext, ToolError};
use rust_decimal::Decimal;
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::db::accounts::{self, Account, Kinds};
use crate::db::reports::{self, Side};
use crate::db::transactions::{self, Filter, Transaction};
use crate::error::FinanceError;
use crate::question;
use crate::service::{self, Entry, Legs};

/// The plugin's name, as confirmations name it.
pub const PLUGIN: &str = "finance";

pub fn all() -> Vec<Tool> {
    vec![
        Tool::typed(
            "finance_accounts",
            "The person's bank accounts, cards and loans with their balances.",
            list_accounts,
        ),
        Tool::typed(
            "finance_spending",
            "How much the person spent on a category (e.g. groceries) or at a payee, or earned \
             from an income category, in a period: exact totals per currency.",
            spending,
        )
        .looks_up(look_up_spending),
        Tool::typed(
            "finance_transactions",
            "Find the person's transactions: by words in payee or description, category, account \
             and dates; newest first.",
            find_transactions,
        ),
        Tool::typed(
            "finance_budget",
            "The person's budget for a month: each category's envelope (budgeted, spent, \
             available, overspent) and what is left to budget.",
            budget_status,
        ),
        Tool::typed(
            "finance_add_transaction",
            "Record money the person spent (negative amount) or received (positive) on one of \
             their accounts, with its category.",
            add_transaction,
        ),
        Tool::typed(
            "finance_categorise",
            "Put a transaction (by its id from finance_transactions) in a category.",
            categorise,
        ),
        Tool::typed(
            "finance_apply_rule",
            "Apply one of the person's rules to their past transactions (asks the person first: \
             it changes many at once).",
            apply_rule,
        ),
        Tool::typed(
            "finance_delete_import",
            "Delete an imported bank file with every transaction it added (asks the person first).",
            delete_import,
        ),
    ]
}

fn failed(tool: &'static str) -> impl Fn(FinanceError) -> ToolError {
    move |error| match error {
        FinanceError::Internal(error) => ToolError::internal(tool, &error),
        other => ToolError::new(other.to_string()),
    }
}

fn db_failed(tool: &'static str) -> impl Fn(sqlx::Error) -> ToolError {
    move |error| failed(tool)(FinanceError::from(error))
}

async fn today(context: &ToolContext, tool: &'static str) -> Result<NaiveDate, ToolError> {
    let profile = context.profile().await.map_err(|error| ToolError::internal(tool, &error))?;
    Ok(Utc::now().with_timezone(&profile.time_zone.tz()).date_naive())
}

fn parse_day(field: &str, text: &str) -> Result<NaiveDate, ToolError> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d")
        .map_err(|_| ToolError::new(format!("{field}: {text:?} is not a date (YYYY-MM-DD)")))
}

fn parse_amount(field: &str, text: &str) -> Result<Decimal, ToolError> {
    posey_finance::parse_amount(text, '.')
        .map_err(|_| ToolError::new(format!("{field}: {text:?} is not an amount like -12.50")))
}

/// `amount currency`, exact at the currency's minor units.
fn money(amount: Decimal, currency: &str) -> String {
    match Currency::parse(currency) {
        Ok(currency) => Money::rounded(amount, currency).to_string(),
        Err(_) => format!("{amount} {currency}"),
    }
}

/// The person's account or category called `name`: the one named so (any case), else the one
/// whose name contains it; none or several is an error naming the choices.
async fn named(
    context: &ToolContext,
    kinds: Kinds,
    name: &str,
    tool: &'static str,
) -> Result<Account, ToolError> {
    let what = if kinds == Kinds::Accounts { "account" } else { "category" };
    let all = accounts::list(&context.db, context.person, kinds).await.map_err(db_failed(tool))?;
    let wanted = name.trim().to_lowercase();
    if let Ok(id) = wanted.parse::<Uuid>()
        && let Some(found) = all.iter().find(|a| a.id == id)
    {
        return Ok(found.clone());
    }
    let exact: Vec<&Account> = all.iter().filter(|a| a.name.to_lowercase() == wanted).collect();
    let near: Vec<&Account> = if exact.is_empty() {
        all.iter().filter(|a| a.name.to_lowercase().contains(&wanted)).collect()
    } else {
        exact
    };
    match near[..] {
        [one] => Ok(one.clone()),
        [] => {
            let names: Vec<&str> = all.iter().take(30).map(|a| a.name.as_str()).collect();
            Err(ToolError::new(format!(
                "the person has no {what} called {name:?}; theirs are: {}",
                if names.is_empty() { "none yet".to_owned() } else { names.join(", ") }
            )))
        }
        _ => {
            let names: Vec<&str> = near.iter().map(|a| a.name.as_str()).collect();
            Err(ToolError::new(format!(
                "several {what}s match {name:?}: {}; say which",
                names.join(", ")
            )))
        }
    }
}

fn brief(transaction: &Transaction) -> Value {
    // The money seen from the person's accounts: what left or reached them.
    let own: Vec<Value> = transaction
        .splits
        .iter()
        .filter(|s| s.account_kind == "asset" || s.account_kind == "liability")
        .map(|s| json!({"account": s.account_name, "amount": money(s.amount, &s.currency)}))
        .collect();
    let categories: Vec<&str> = transaction
        .splits
        .iter()
        .filter(|s| s.account_kind == "income" || s.account_kind == "expense")
        .map(|s| s.account_name.as_str())
        .collect();
    let mut entry = json!({
        "id": transaction.id,
        "date": transaction.date.to_string(),
        "payee": transaction.payee,
        "money": own,
        "categories": categories,
    });
    if let Some(description) = &transaction.description {
        entry["description"] = json!(description);
    }
    if !transaction.tags.is_empty() {
        entry["tags"] = json!(transaction.tags);
    }
    entry
}

async fn list_accounts(
    context: ToolContext,
    _: posey_plugin::NoArguments,
) -> Result<Value, ToolError> {
    let all = accounts::list(&context.db, context.person, Kinds::Accounts)
        .await
        .map_err(db_failed("finance_accounts"))?;
    let shown: Vec<Value> = all
        .iter()
        .map(|a| {
            let currency = a.currency.as_deref().unwrap_or_default();
            json!({
                "name": a.name,
                "kind": a.subtype.as_deref().unwrap_or(&a.kind),
                "balance": money(a.balance.unwrap_or_default(), currency),
                "closed": a.closed_at.is_some(),
            })
        })
        .collect();
    Ok(json!({"accounts": shown, "note": "A card's or loan's negative balance is what is owed."}))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct PeriodArgs {
    /// A category's name (e.g. Groceries), its subcategories included.
    category: Option<String>,
    /// Words of a payee's name, instead of a category.
    payee: Option<String>,
    /// A month, YYYY-MM (e.g. last month); or give from and to.
    month: Option<String>,
    /// First day, YYYY-MM-DD.
    from: Option<String>,
    /// Last day, YYYY-MM-DD (included).
    to: Option<String>,
}

/// The half-open range of days the arguments name: a month, from/to, or the current month.
fn period(
    month: Option<&str>,
    from: Option<&str>,
    to: Option<&str>,
    today: NaiveDate,
) -> Result<(NaiveDate, NaiveDate), ToolError> {
    if let Some(month) = month {
        let first = NaiveDate::parse_from_str(&format!("{}-01", month.trim()), "%Y-%m-%d")
            .map_err(|_| ToolError::new(format!("month: {month:?} is not a month (YYYY-MM)")))?;
        let next = first + Months::new(1);
        return Ok((first, next));
    }
    let start = match from {
        Some(from) => parse_day("from", from)?,
        None => today.with_day(1).unwrap_or(today),
    };
    let end = match to {
        Some(to) => parse_day("to", to)?.succ_opt().unwrap_or(NaiveDate::MAX),
        None => today.succ_opt().unwrap_or(NaiveDate::MAX),
    };
    if end <= start {
        return Err(ToolError::new("to: must not be before from"));
    }
    Ok((start, end))
}

async fn spending(context: ToolContext, args: PeriodArgs) -> Result<Value, ToolError> {
    const TOOL: &str = "finance_spending";
    let today = today(&context, TOOL).await?;
    let (from, to) =
        period(args.month.as_deref(), args.from.as_deref(), args.to.as_deref(), today)?;
    let last = to.pred_opt().unwrap_or(to);
    let (label, totals) = match (&args.category, &args.payee) {
        (Some(name), None) => {
            let category = named(&context, Kinds::Categories, name, TOOL).await?;
            let totals =
                transactions::category_totals(&context.db, context.person, category.id, from, to)
                    .await
                    .map_err(db_failed(TOOL))?;
            // Spending is positive on an expense category, income negative on an income one:
            // both are told as positive sums.
            let sign = if category.kind == "income" { -Decimal::ONE } else { Decimal::ONE };
            let totals: Vec<(String, Decimal, i64)> =
                totals.into_iter().map(|(c, amount, n)| (c, amount * sign, n)).collect();
            (json!({"category": category.name, "kind": category.kind}), totals)
        }
        (None, Some(payee)) => {
            let totals =
                transactions::payee_totals(&context.db, context.person, payee.trim(), from, to)
                    .await
                    .map_err(db_failed(TOOL))?;
            (
                json!({"payee": payee.trim(), "note": "money paid to the payee is negative, received positive"}),
                totals,
            )
        }
        _ => return Err(ToolError::new("give a category or a payee (one of them)")),
    };
    Ok(json!({
        "of": label,
        "from": from.to_string(),
        "to": last.to_string(),
        "totals": totals.iter().map(|(currency, amount, count)| json!({
            "total": money(*amount, currency),
            "transactions": count,
        })).collect::<Vec<_>>(),
        "nothing": totals.is_empty(),
    }))
}

/// Categories an overview of a period names, largest first.
const OVERVIEW: usize = 5;

/// Answers a question about what was spent or earned ("how much did I spend on groceries last
/// month?") before a model that calls tools weakly sees it: the category or payee the message
/// names, else the period's largest categories. Nothing for other messages, or for a person
/// who keeps no books here.
async fn look_up_spending(
    context: ToolContext,
    message: String,
) -> Result<Option<Found>, ToolError> {
    const TOOL: &str = "finance_spending";
    let today = today(&context, TOOL).await?;
    let Some(asked) = question::money_question(&message, today) else { return Ok(None) };
    let categories = accounts::list(&context.db, context.person, Kinds::Categories)
        .await
        .map_err(db_failed(TOOL))?;
    if categories.is_empty() {
        return Ok(None);
    }
    let kind = if asked.earned { "income" } else { "expense" };
    let (from, last) = (asked.from, asked.to.pred_opt().unwrap_or(asked.to));
    let of_kind = categories.iter().filter(|c| c.kind == kind).map(|c| c.name.as_str());
    let category = question::named(&message, of_kind).first().map(|name| (*name).to_owned());
    let payee = match category {
        Some(_) => None,
        None => {
            let payees = accounts::payee_names(&context.db, context.person)
                .await
                .map_err(db_failed(TOOL))?;
            question::named(&message, payees.iter().map(String::as_str))
                .first()
                .map(|name| (*name).to_owned())
        }
    };
    if category.is_none() && payee.is_none() {
        return overview(&context, asked.earned, from, asked.to).await.map(Some);
    }
    let arguments = json!({
        "category": category, "payee": payee, "from": from.to_string(), "to": last.to_string(),
    });
    let args = PeriodArgs {
        category,
        payee,
        month: None,
        from: Some(from.to_string()),
        to: Some(last.to_string()),
    };
    let result = spending(context, args).await?;
    let verb = if asked.earned { "Earned from" } else { "Spent on" };
    let what = result["of"]["category"]
        .as_str()
        .map(|name| format!("{verb} {name}"))
        .or_else(|| {
            result["of"]["payee"].as_str().map(|name| format!("Paid to or received from {name}"))
        })
        .unwrap_or_default();
    let totals: Vec<String> = result["totals"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|t| {
            let count = t["transactions"].as_i64().unwrap_or_default();
            let noun = if count == 1 { "transaction" } else { "transactions" };
            format!("{} in {count} {noun}", t["total"].as_str().unwrap_or(""))
        })
        .collect();
    let shown = format!(
        "{what} from {from} to {last}: {}.",
        if totals.is_empty() { "nothing".to_owned() } else { totals.join(", ") }
    );
    Ok(Some(Found { arguments: arguments_without_nulls(arguments), result, shown: Some(shown) }))
}

fn arguments_without_nulls(mut arguments: Value) -> Value {
    if let Some(fields) = arguments.as_object_mut() {
        fields.retain(|_, value| !value.is_null());
    }
    arguments
}

/// The period's largest categories and the whole total, per currency.
async fn overview(
    context: &ToolContext,
    earned: bool,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Found, ToolError> {
    const TOOL: &str = "finance_spending";
    let side = if earned { Side::Income } else { Side::Expense };
    let rows = reports::by_category(&context.db, context.person, side, true, from, to, false)
        .await
        .map_err(db_failed(TOOL))?;
    let mut totals: Vec<(String, Decimal)> = Vec::new();
    for row in &rows {
        match totals.iter_mut().find(|(currency, _)| *currency == row.currency) {
            Some((_, sum)) => *sum += row.amount,
            None => totals.push((row.currency.clone(), row.amount)),
        }
    }
    let last = to.pred_opt().unwrap_or(to);
    let largest: Vec<Value> = rows
        .iter()
        .take(OVERVIEW)
        .map(|row| json!({"category": row.name, "total": money(row.amount, &row.currency)}))
        .collect();
    let totals: Vec<String> = totals.iter().map(|(currency, sum)| money(*sum, currency)).collect();
    let what = if earned { "Earned" } else { "Spent" };
    let shown = format!(
        "{what} from {from} to {last}: {} in all{}",
        if totals.is_empty() { "nothing".to_owned() } else { totals.join(" and ") },
        if largest.is_empty() {
            ".".to_owned()
        } else {
            format!(
                "; most on {}.",
                largest
                    .iter()
                    .map(|c| format!(
                        "{} {}",
                        c["category"].as_str().unwrap_or("?"),
                        c["total"].as_str().unwrap_or("")
                    ))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    );
    Ok(Found {
        arguments: json!({"from": from.to_string(), "to": last.to_string()}),
        result: json!({"from": from.to_string(), "to": last.to_string(), "totals": totals,
                       "largest": largest}),
        shown: Some(shown),
    })
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct FindArgs {
    /// Words in the payee, description or notes.
    text: Option<String>,
    /// A category's name.
    category: Option<String>,
    /// An account's name.
    account: Option<String>,
    /// First day, YYYY-MM-DD.
    from: Option<String>,
    /// Last day, YYYY-MM-DD (included).
    to: Option<String>,
    /// Only those not categorised yet.
    uncategorised: Option<bool>,
    /// At most this many (20 when left out).
    #[schemars(range(min = 1, max = 50))]
    limit: Option<i64>,
}

async fn find_transactions(context: ToolContext, args: FindArgs) -> Result<Value, ToolError> {
    const TOOL: &str = "finance_transactions";
    let mut filter = Filter {
        text: args.text.map(|t| t.trim().to_owned()).filter(|t| !t.is_empty()),
        from: args.from.as_deref().map(|d| parse_day("from", d)).transpose()?,
        to: args
            .to
            .as_deref()
            .map(|d| parse_day("to", d))
            .transpose()?
            .map(|d| d.succ_opt().unwrap_or(NaiveDate::MAX)),
        uncategorised: args.uncategorised.unwrap_or(false),
        limit: args.limit.unwrap_or(20).clamp(1, 50),
        ..Filter::default()
    };
    if let Some(name) = &args.category {
        filter.category_id = Some(named(&context, Kinds::Categories, name, TOOL).await?.id);
    }
    if let Some(name) = &args.account {
        filter.account_id = Some(named(&context, Kinds::Accounts, name, TOOL).await?.id);
    }
    let mut db = context.db.acquire().await.map_err(db_failed(TOOL))?;
    let found =
        transactions::list(&mut db, context.person, &filter).await.map_err(db_failed(TOOL))?;
    Ok(json!({"transactions": found.iter().map(brief).collect::<Vec<_>>()}))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct BudgetArgs {
    /// The month, YYYY-MM (this month when left out).
    month: Option<String>,
}

async fn budget_status(context: ToolContext, args: BudgetArgs) -> Result<Value, ToolError> {
    const TOOL: &str = "finance_budget";
    let month = match &args.month {
        Some(text) => text
            .trim()
            .parse::<posey_finance::budget::Month>()
            .map_err(|_| ToolError::new(format!("month: {text:?} is not a month (YYYY-MM)")))?,
        None => posey_finance::budget::Month::of(today(&context, TOOL).await?),
    };
    let currency =
        crate::budgets::currency(&context.db, context.person).await.map_err(failed(TOOL))?;
    let budget = crate::budgets::month_of(&context.db, context.person, currency, month)
        .await
        .map_err(failed(TOOL))?;
    let shown = |amount: Decimal| money(amount, &budget.currency);
    let categories: Vec<Value> = budget
        .categories
        .iter()
        .filter(|c| !(c.budgeted.is_zero() && c.activity.is_zero() && c.available.is_zero()))
        .map(|c| {
            json!({
                "category": c.name,
                "budgeted": shown(c.budgeted),
                "spent": shown(-c.activity),
                "available": shown(c.available),
                "overspent": c.overspent,
            })
        })
        .collect();
    Ok(json!({
        "month": month.to_string(),
        "to_be_budgeted": shown(budget.to_be_budgeted),
        "income": shown(budget.income),
        "categories": categories,
    }))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct AddArgs {
    /// The account's name (e.g. Checking, Visa).
    account: String,
    /// Negative when spent, positive when received, e.g. "-12.50".
    amount: String,
    /// A category's name (uncategorised when left out).
    category: Option<String>,
    payee: Option<String>,
    description: Option<String>,
    /// YYYY-MM-DD (today when left out).
    date: Option<String>,
}

async fn add_transaction(context: ToolContext, args: AddArgs) -> Result<Value, ToolError> {
    const TOOL: &str = "finance_add_transaction";
    let account = named(&context, Kinds::Accounts, &args.account, TOOL).await?;
    let category = match &args.category {
        Some(name) => Some(named(&context, Kinds::Categories, name, TOOL).await?.id),
        None => None,
    };
    let date = match &args.date {
        Some(day) => parse_day("date", day)?,
        None => today(&context, TOOL).await?,
    };
    let entry = Entry {
        date,
        payee: args.payee.map(|p| p.trim().to_owned()).filter(|p| !p.is_empty()),
        description: args.description.map(|d| d.trim().to_owned()).filter(|d| !d.is_empty()),
        notes: None,
        tags: Vec::new(),
        status: "uncleared".into(),
        legs: Legs::Simple {
            account_id: account.id,
            amount: parse_amount("amount", &args.amount)?,
            category_id: category,
            transfer_account_id: None,
            transfer_amount: None,
        },
    };
    let mut tx = context.db.begin().await.map_err(db_failed(TOOL))?;
    let saved = service::create(&mut tx, context.person, entry).await.map_err(failed(TOOL))?;
    tx.commit().await.map_err(db_failed(TOOL))?;
    Ok(json!({"recorded": brief(&saved)}))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct CategoriseArgs {
    /// The transaction's id, from finance_transactions.
    transaction_id: String,
    /// The category's name.
    category: String,
}

async fn categorise(context: ToolContext, args: CategoriseArgs) -> Result<Value, ToolError> {
    const TOOL: &str = "finance_categorise";
    let id: Uuid = args.transaction_id.trim().parse().map_err(|_| {
        ToolError::new(format!(
            "transaction_id: {:?} is not an id from finance_transactions",
            args.transaction_id
        ))
    })?;
    let category = named(&context, Kinds::Categories, &args.category, TOOL).await?;
    let mut tx = context.db.begin().await.map_err(db_failed(TOOL))?;
    // A reconciled transaction is not changed on the model's word.
    let saved = service::categorise(&mut tx, context.person, id, category.id, false)
        .await
        .map_err(failed(TOOL))?;
    tx.commit().await.map_err(db_failed(TOOL))?;
    Ok(json!({"categorised": brief(&saved)}))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct ApplyRuleArgs {
    /// The rule's name or id.
    rule: String,
    /// Only transactions from this day, YYYY-MM-DD.
    from: Option<String>,
    /// Only transactions up to this day, YYYY-MM-DD (included).
    to: Option<String>,
}

/// How long a question about many rows stands.
const ASK_FOR: StdDuration = StdDuration::from_secs(24 * 3600);

async fn apply_rule(context: ToolContext, args: ApplyRuleArgs) -> Result<Value, ToolError> {
    const TOOL: &str = "finance_apply_rule";
    let from = args.from.as_deref().map(|d| parse_day("from", d)).transpose()?;
    // The tool's last day is included; the rule's run ends before its `to`.
    let to = args
        .to
        .as_deref()
        .map(|d| parse_day("to", d))
        .transpose()?
        .map(|d| d.succ_opt().unwrap_or(NaiveDate::MAX));
    let rules =
        crate::db::rules::list(&context.db, context.person).await.map_err(db_failed(TOOL))?;
    let wanted = args.rule.trim();
    let rule = rules
        .iter()
        .find(|r| r.id.to_string() == wanted || r.name.eq_ignore_ascii_case(wanted))
        .ok_or_else(|| {
            let names: Vec<&str> = rules.iter().map(|r| r.name.as_str()).collect();
            ToolError::new(format!(
                "the person has no rule called {wanted:?}; theirs are: {}",
                names.join(", ")
            ))
        })?;
    let mut db = context.db.acquire().await.map_err(db_failed(TOOL))?;
    let preview = crate::rules::apply_rule(&mut db, context.person, rule.id, from, to, false)
        .await
        .map_err(failed(TOOL))?;
    if preview.changed == 0 {
        return Ok(json!({"changed": 0, "note": "The rule changes none of these transactions."}));
    }
    Ok(context.ask(
        PLUGIN,
        ConfirmationRequest {
            summary: format!(
                "Apply the rule \"{}\" to {} past transactions",
                rule.name, preview.changed
            ),
            reason: "it changes many transactions at once".into(),
            payload: json!({"apply_rule": rule.id, "from": from, "to": to}),
            expires_in: ASK_FOR,
        },
    ))
}

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
struct DeleteImportArgs {
    /// The import's id.
    import_id: String,
}

async fn delete_import(context: ToolContext, args: DeleteImportArgs) -> Result<Value, ToolError> {
    const TOOL: &str = "finance_delete_import";
    let id: Uuid = args.import_id.trim().parse().map_err(|_| {
        ToolError::new(format!("import_id: {:?} is not an import's id", args.import_id))
    })?;
    let mut db = context.db.acquire().await.map_err(db_failed(TOOL))?;
    let import = crate::imports::get(&mut db, context.person, id).await.map_err(failed(TOOL))?;
    Ok(context.ask(
        PLUGIN,
        ConfirmationRequest {
            summary: format!(
                "Delete the import of {} with the {} transactions it added",
                import.file_name.as_deref().unwrap_or("a bank file"),
                import.added.unwrap_or(0)
            ),
            reason: "it deletes many transactions at once".into(),
            payload: json!({"delete_import": import.id}),
            expires_in: ASK_FOR,
        },
    ))
}

pub fn run_confirmed(
    action: PendingAction,
    context: ToolContext,
) -> BoxFuture<'static, Result<Value, ToolError>> {
    Box::pin(async move {
        let payload = &action.payload;
        let id_at = |key: &str| payload[key].as_str().and_then(|id| id.parse::<Uuid>().ok());
        let day_at = |key: &str| payload[key].as_str().and_then(|d| d.parse::<NaiveDate>().ok());
        if let Some(rule) = id_at("apply_rule") {
            const TOOL: &str = "finance_apply_rule";
            let mut tx = context.db.begin().await.map_err(db_failed(TOOL))?;
            let run = crate::rules::apply_rule(
                &mut tx,
                context.person,
                rule,
                day_at("from"),
                day_at("to"),
                true,
            )
            .await
            .map_err(failed(TOOL))?;
            tx.commit().await.map_err(db_failed(TOOL))?;
            return Ok(
                json!({"changed": run.changed, "skipped_reconciled": run.skipped_reconciled}),
            );
        }
        if let Some(import) = id_at("delete_import") {
            const TOOL: &str = "finance_delete_import";
            let mut tx = context.db.begin().await.map_err(db_failed(TOOL))?;
            // The person confirmed deleting the import whole, reconciled rows included.
            let deleted = crate::imports::delete(&mut tx, context.person, import, true)
                .await
                .map_err(failed(TOOL))?;
            tx.commit().await.map_err(db_failed(TOOL))?;
            return Ok(json!({"deleted": true, "transactions": deleted.transactions}));
        }
        Err(ToolError::new("the confirmed action names nothing the finance plugin runs"))
    })
}
