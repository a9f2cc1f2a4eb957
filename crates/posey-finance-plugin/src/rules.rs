//! Rules against a person's books, for routes and tools alike: a rule is checked before it is
//! saved (what it sets and matches must be the person's own categories and accounts), and one
//! rule is run over past transactions, as a dry run that lists what would change or written
//! in one database transaction. Reconciled transactions are never changed by a rule.

use std::collections::HashMap;

use chrono::NaiveDate;
use posey_finance::rules::{self, Action, Condition, Rule, Subject};
use rust_decimal::Decimal;
use serde::Serialize;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::db::accounts::{self, Kinds};
use crate::db::imports as payees;
use crate::db::rules::{self as store, Write};
use crate::error::FinanceError;

/// How many changes a run lists; the counts cover all of them.
pub const LISTED: usize = 1000;

/// A rule as sent, checked: it reads as posey-finance's `Rule`, passes `Rule::check`, its tags
/// are tags, and the categories it sets and accounts it matches are the person's.
pub async fn parse(
    db: &mut PgConnection,
    person: Uuid,
    json: &serde_json::Value,
) -> Result<Rule, FinanceError> {
    let rule: Rule = serde_json::from_value(json.clone())
        .map_err(|error| FinanceError::invalid("rule", error))?;
    rule.check().map_err(|error| FinanceError::invalid("rule", error))?;
    let mut ids = Vec::new();
    for condition in &rule.conditions {
        if let Condition::Account { id } = condition {
            ids.push(*id);
        }
    }
    for (at, action) in rule.actions.iter().enumerate() {
        match action {
            Action::SetCategory { id } => ids.push(*id),
            Action::AddTag { tag } => {
                let tag = tag.trim();
                if tag.chars().count() > 50 || tag.contains(|c: char| c.is_control() || c == ',') {
                    return Err(FinanceError::invalid(
                        format!("rule.actions[{at}].tag"),
                        "a tag is 1 to 50 characters, no commas",
                    ));
                }
            }
            Action::SetPayee { name } if name.trim().chars().count() > 200 => {
                return Err(FinanceError::invalid(
                    format!("rule.actions[{at}].name"),
                    "a payee is at most 200 characters",
                ));
            }
            Action::SetPayee { .. } => {}
        }
    }
    let kinds = store::kinds_of(&mut *db, person, &ids).await?;
    let kind = |id: &Uuid| kinds.get(id).map(String::as_str);
    for (at, condition) in rule.conditions.iter().enumerate() {
        if let Condition::Account { id } = condition
            && !matches!(kind(id), Some("asset" | "liability"))
        {
            return Err(FinanceError::invalid(
                format!("rule.conditions[{at}].id"),
                "no such account",
            ));
        }
    }
    for (at, action) in rule.actions.iter().enumerate() {
        if let Action::SetCategory { id } = action
            && !matches!(kind(id), Some("income" | "expense"))
        {
            return Err(FinanceError::invalid(
                format!("rule.actions[{at}].id"),
                "no such category",
            ));
        }
    }
    Ok(rule)
}

/// What running a rule over past transactions changes (or would).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RuleRun {
    pub rule_id: Uuid,
    /// Whether the changes were written (apply) or only listed (dry run).
    pub written: bool,
    /// Transactions the rule matched.
    pub matched: usize,
    /// Transactions it changes, reconciled ones not among them.
    pub changed: usize,
    /// Reconciled transactions the rule would change, left as they are.
    pub skipped_reconciled: usize,
    /// The changes, oldest first; at most 1000 are listed.
    pub changes: Vec<TransactionChange>,
    /// More changes than are listed.
    pub truncated: bool,
}

/// One transaction and what the rule changes about it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TransactionChange {
    pub transaction_id: Uuid,
    pub date: NaiveDate,
    #[schema(required = true)]
    pub payee: Option<String>,
    /// Into (positive) or out of (negative) `account_id`, in its currency.
    #[schema(value_type = String)]
    pub amount: Decimal,
    pub currency: String,
    pub account_id: Uuid,
    #[schema(required = true)]
    pub current_category_id: Option<Uuid>,
    #[schema(required = true)]
    pub current_category: Option<String>,
    /// Set when the category changes.
    #[schema(required = true)]
    pub new_category_id: Option<Uuid>,
    #[schema(required = true)]
    pub new_category: Option<String>,
    /// Set when the payee changes.
    #[schema(required = true)]
    pub new_payee: Option<String>,
    pub added_tags: Vec<String>,
}

/// Runs the person's rule `rule_id` over their transactions dated in `from..to` (`to`
/// exclusive, either open): lists what it changes, and with `write` changes it (`db` should
/// then be a database transaction, which the caller commits). A transaction split over several
/// categories (or a transfer) keeps its categories; reconciled ones are counted, not changed.
pub async fn apply_rule(
    db: &mut PgConnection,
    person: Uuid,
    rule_id: Uuid,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    write: bool,
) -> Result<RuleRun, FinanceError> {
    let row = store::find(&mut *db, person, rule_id)
        .await?
        .ok_or_else(|| FinanceError::not_found("rule"))?;
    let rule: Rule =
        serde_json::from_value(row.rule.0).map_err(|error| FinanceError::invalid("rule", error))?;
    let rules = std::slice::from_ref(&rule);
    let names: HashMap<Uuid, String> = accounts::list(&mut *db, person, Kinds::Categories)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let candidates = store::candidates(&mut *db, person, from, to, write).await?;
    let mut run = RuleRun {
        rule_id,
        written: write,
        matched: 0,
        changed: 0,
        skipped_reconciled: 0,
        changes: Vec::new(),
        truncated: false,
    };
    let mut writes: Vec<Write> = Vec::new();
    // The new payee of each write, resolved to ids once for all of them.
    let mut payee_names: Vec<Option<String>> = Vec::new();
    for candidate in &candidates {
        let subject = Subject {
            payee: candidate.payee.as_deref(),
            description: candidate.description.as_deref(),
            amount: candidate.amount,
            account: candidate.account_id,
            category: candidate.category_id,
            tags: &candidate.tags,
        };
        let outcome = rules::apply(rules, &subject);
        if outcome.matched.is_empty() {
            continue;
        }
        run.matched += 1;
        let Some(mut change) = outcome.changes(&subject) else { continue };
        // Only a transaction with one category split can be moved to another category.
        if candidate.category_splits != 1 {
            change.category = None;
        }
        // A category deleted since the rule was saved is not set.
        change.category = change.category.filter(|id| names.contains_key(id));
        if change.category.is_none() && change.payee.is_none() && change.added_tags.is_empty() {
            continue;
        }
        if candidate.status == "reconciled" {
            run.skipped_reconciled += 1;
            continue;
        }
        run.changed += 1;
        if run.changes.len() < LISTED {
            run.changes.push(TransactionChange {
                transaction_id: candidate.id,
                date: candidate.date,
                payee: candidate.payee.clone(),
                amount: candidate.amount,
                currency: candidate.currency.clone(),
                account_id: candidate.account_id,
                current_category_id: candidate.category_id,
                current_category: candidate.category_name.clone(),
                new_category_id: change.category,
                new_category: change.category.and_then(|id| names.get(&id).cloned()),
                new_payee: change.payee.clone(),
                added_tags: change.added_tags.clone(),
            });
        } else {
            run.truncated = true;
        }
        if write {
            writes.push(Write {
                transaction_id: candidate.id,
                category: change
                    .category
                    .and_then(|category| candidate.category_split_id.map(|s| (s, category))),
                payee_id: None,
                added_tags: change.added_tags,
            });
            payee_names.push(change.payee);
        }
    }
    if write && !writes.is_empty() {
        let mut names: Vec<String> = payee_names.iter().flatten().cloned().collect();
        names.sort();
        names.dedup();
        let ids = payees::payee_ids(db, person, &names).await?;
        for (write, name) in writes.iter_mut().zip(&payee_names) {
            write.payee_id = name.as_ref().and_then(|n| ids.get(n).copied());
        }
        store::write(db, person, &writes).await?;
    }
    Ok(run)
}
