//! Rules that tidy transactions as they arrive, as in Firefly III: when a transaction's payee,
//! description, amount or account match, set its category or payee and add tags. The dry run
//! a person sees before saving a rule is [`Outcome::changes`] over their transactions.
//!
//! Rules apply in order, and a later rule sees what earlier ones did: a rule that renames
//! "PAYPAL *SPOTIFY" to "Spotify" lets a later `payee_is: Spotify` rule match. A later rule's
//! category or payee replaces an earlier one's.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// More conditions than this is a rule no one can read; Firefly III's editor stops early too.
pub const MAX_CONDITIONS: usize = 50;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Rule {
    pub conditions: Vec<Condition>,
    pub actions: Vec<Action>,
    /// Every condition must match (`true`) or any one (`false`).
    pub match_all: bool,
}

/// Text conditions ignore letter case (Unicode lowercase: "ÄPFEL" contains "äpfel"); amount
/// conditions read the signed amount (spending is negative).
// Named apart in OpenAPI documents, where `Condition` and `Action` are taken by others.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = RuleCondition)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Condition {
    PayeeContains {
        value: String,
    },
    /// The whole payee, ignoring case and surrounding spaces.
    PayeeIs {
        value: String,
    },
    DescriptionContains {
        value: String,
    },
    AmountEquals {
        #[schema(value_type = String, example = "-9.99")]
        amount: Decimal,
    },
    /// `min <= amount <= max`.
    AmountBetween {
        #[schema(value_type = String, example = "-50.00")]
        min: Decimal,
        #[schema(value_type = String, example = "-10.00")]
        max: Decimal,
    },
    /// Money out (amount below zero).
    Outflow,
    /// Money in (amount above zero).
    Inflow,
    Account {
        id: Uuid,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[schema(as = RuleAction)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    SetCategory {
        id: Uuid,
    },
    SetPayee {
        name: String,
    },
    /// Adds the tag unless the transaction has it already.
    AddTag {
        tag: String,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RuleError {
    #[error("a rule needs at least one condition")]
    NoConditions,
    #[error("a rule needs at least one action")]
    NoActions,
    #[error("a rule has at most {MAX_CONDITIONS} conditions, this one has {0}")]
    TooManyConditions(usize),
    #[error("condition {0} has no text to look for")]
    EmptyCondition(usize),
    #[error("action {0} has no name or tag")]
    EmptyAction(usize),
    #[error("condition {index}: the lowest amount {min} is above the highest {max}")]
    MinAboveMax { index: usize, min: Decimal, max: Decimal },
}

impl Rule {
    /// What a rule must be to be saved; [`apply`] skips a rule that is not.
    pub fn check(&self) -> Result<(), RuleError> {
        if self.conditions.is_empty() {
            return Err(RuleError::NoConditions);
        }
        if self.actions.is_empty() {
            return Err(RuleError::NoActions);
        }
        if self.conditions.len() > MAX_CONDITIONS {
            return Err(RuleError::TooManyConditions(self.conditions.len()));
        }
        for (index, condition) in self.conditions.iter().enumerate() {
            match condition {
                Condition::PayeeContains { value }
                | Condition::PayeeIs { value }
                | Condition::DescriptionContains { value }
                    if value.trim().is_empty() =>
                {
                    return Err(RuleError::EmptyCondition(index));
                }
                Condition::AmountBetween { min, max } if min > max => {
                    return Err(RuleError::MinAboveMax { index, min: *min, max: *max });
                }
                _ => {}
            }
        }
        for (index, action) in self.actions.iter().enumerate() {
            match action {
                Action::SetPayee { name: text } | Action::AddTag { tag: text }
                    if text.trim().is_empty() =>
                {
                    return Err(RuleError::EmptyAction(index));
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn matches(&self, payee: Option<&str>, subject: &Subject) -> bool {
        let test = |condition: &Condition| condition.matches(payee, subject);
        if self.match_all {
            self.conditions.iter().all(test)
        } else {
            self.conditions.iter().any(test)
        }
    }
}

impl Condition {
    /// `payee` is the subject's as earlier rules left it.
    fn matches(&self, payee: Option<&str>, subject: &Subject) -> bool {
        match self {
            Self::PayeeContains { value } => {
                payee.is_some_and(|payee| lower(payee).contains(&lower(value)))
            }
            Self::PayeeIs { value } => {
                payee.is_some_and(|payee| lower(payee.trim()) == lower(value.trim()))
            }
            Self::DescriptionContains { value } => {
                subject.description.is_some_and(|text| lower(text).contains(&lower(value)))
            }
            Self::AmountEquals { amount } => subject.amount == *amount,
            Self::AmountBetween { min, max } => (*min..=*max).contains(&subject.amount),
            Self::Outflow => subject.amount < Decimal::ZERO,
            Self::Inflow => subject.amount > Decimal::ZERO,
            Self::Account { id } => subject.account == *id,
        }
    }
}

fn lower(text: &str) -> String {
    text.to_lowercase()
}

/// The transaction a rule looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subject<'a> {
    pub payee: Option<&'a str>,
    pub description: Option<&'a str>,
    /// Signed, in the account's currency: spending is negative.
    pub amount: Decimal,
    pub account: Uuid,
    pub category: Option<Uuid>,
    pub tags: &'a [String],
}

/// The transaction as the rules leave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Outcome {
    pub category: Option<Uuid>,
    pub payee: Option<String>,
    /// The subject's tags, then the added ones in the order rules added them.
    pub tags: Vec<String>,
    /// Indexes into the rules given to [`apply`], in order.
    pub matched: Vec<usize>,
}

/// What the rules would change: only what differs from the subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Change {
    /// The new category, when it differs.
    pub category: Option<Uuid>,
    /// The new payee, when it differs.
    pub payee: Option<String>,
    pub added_tags: Vec<String>,
    /// The rules that matched (also those whose actions changed nothing).
    pub matched: Vec<usize>,
}

/// Runs `rules` in order over `subject` (see the module's note on order). A rule that fails
/// [`Rule::check`] is skipped: one with no conditions would match every transaction.
pub fn apply(rules: &[Rule], subject: &Subject) -> Outcome {
    let mut outcome = Outcome {
        category: subject.category,
        payee: subject.payee.map(str::to_owned),
        tags: subject.tags.to_vec(),
        matched: Vec::new(),
    };
    for (index, rule) in rules.iter().enumerate() {
        if rule.check().is_err() || !rule.matches(outcome.payee.as_deref(), subject) {
            continue;
        }
        outcome.matched.push(index);
        for action in &rule.actions {
            match action {
                Action::SetCategory { id } => outcome.category = Some(*id),
                Action::SetPayee { name } => outcome.payee = Some(name.trim().to_owned()),
                Action::AddTag { tag } => {
                    let tag = tag.trim();
                    if !outcome.tags.iter().any(|have| have == tag) {
                        outcome.tags.push(tag.to_owned());
                    }
                }
            }
        }
    }
    outcome
}

impl Outcome {
    /// `None` when the rules change nothing about `subject` (the one they ran over).
    pub fn changes(&self, subject: &Subject) -> Option<Change> {
        let category = self.category.filter(|_| self.category != subject.category);
        let payee = self.payee.clone().filter(|payee| Some(payee.as_str()) != subject.payee);
        let added_tags: Vec<String> =
            self.tags.iter().filter(|tag| !subject.tags.contains(tag)).cloned().collect();
        if category.is_none() && payee.is_none() && added_tags.is_empty() {
            return None;
        }
        Some(Change { category, payee, added_tags, matched: self.matched.clone() })
    }
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use super::*;

    fn dec(text: &str) -> Decimal {
        Decimal::from_str(text).expect("a decimal")
    }

    const GROCERIES: Uuid = Uuid::from_u128(10);
    const MUSIC: Uuid = Uuid::from_u128(11);
    const CHECKING: Uuid = Uuid::from_u128(1);

    fn subject<'a>(payee: Option<&'a str>, amount: &str, tags: &'a [String]) -> Subject<'a> {
        Subject {
            payee,
            description: Some("Kartenzahlung GIROCARD"),
            amount: dec(amount),
            account: CHECKING,
            category: None,
            tags,
        }
    }

    fn rule(conditions: Vec<Condition>, actions: Vec<Action>) -> Rule {
        Rule { conditions, actions, match_all: true }
    }

    fn contains(value: &str) -> Condition {
        Condition::PayeeContains { value: value.into() }
    }

    #[test]
    fn text_conditions_ignore_case_beyond_ascii() {
        let groceries = rule(
            vec![contains("rewe"), Condition::Outflow],
            vec![Action::SetCategory { id: GROCERIES }],
        );
        let outcome = apply(
            std::slice::from_ref(&groceries),
            &subject(Some("REWE Markt GmbH"), "-23.40", &[]),
        );
        assert_eq!(outcome.category, Some(GROCERIES));
        assert_eq!(outcome.matched, [0]);
        let umlaut = rule(vec![contains("äpfel")], vec![Action::SetCategory { id: GROCERIES }]);
        let outcome = apply(&[umlaut], &subject(Some("ÄPFEL & BIRNEN"), "-1", &[]));
        assert_eq!(outcome.category, Some(GROCERIES));
        let description = rule(
            vec![Condition::DescriptionContains { value: "girocard".into() }],
            vec![Action::AddTag { tag: "card".into() }],
        );
        assert_eq!(apply(&[description], &subject(None, "-1", &[])).tags, ["card"]);
        // An inflow from the same payee (a refund) is not an outflow.
        assert_eq!(apply(&[groceries], &subject(Some("REWE"), "5.00", &[])).category, None);
    }

    #[test]
    fn amounts_are_signed_and_between_is_inclusive() {
        let between = rule(
            vec![Condition::AmountBetween { min: dec("-50"), max: dec("-10") }],
            vec![Action::AddTag { tag: "mid".into() }],
        );
        for (amount, hit) in [("-50.00", true), ("-10", true), ("-9.99", false), ("30", false)] {
            let outcome = apply(std::slice::from_ref(&between), &subject(None, amount, &[]));
            assert_eq!(!outcome.matched.is_empty(), hit, "{amount}");
        }
        let equals = rule(
            vec![Condition::AmountEquals { amount: dec("-9.99") }],
            vec![Action::SetCategory { id: MUSIC }],
        );
        assert_eq!(
            apply(std::slice::from_ref(&equals), &subject(None, "-9.990", &[])).matched,
            [0]
        );
        assert!(apply(&[equals], &subject(None, "9.99", &[])).matched.is_empty());
    }

    #[test]
    fn any_matches_when_one_condition_does() {
        let mut either = rule(
            vec![contains("spotify"), Condition::Account { id: Uuid::from_u128(99) }],
            vec![Action::SetCategory { id: MUSIC }],
        );
        assert!(
            apply(std::slice::from_ref(&either), &subject(Some("Spotify AB"), "-9.99", &[]))
                .matched
                .is_empty()
        );
        either.match_all = false;
        assert_eq!(apply(&[either], &subject(Some("Spotify AB"), "-9.99", &[])).matched, [0]);
    }

    #[test]
    fn later_rules_see_what_earlier_ones_did() {
        let rename = rule(
            vec![contains("paypal *spotify")],
            vec![Action::SetPayee { name: "Spotify".into() }],
        );
        let categorise = rule(
            vec![Condition::PayeeIs { value: "spotify".into() }],
            vec![Action::SetCategory { id: MUSIC }, Action::AddTag { tag: "subscription".into() }],
        );
        let rules = [rename.clone(), categorise.clone()];
        let outcome = apply(&rules, &subject(Some("PAYPAL *SPOTIFY 35314369001"), "-9.99", &[]));
        assert_eq!(outcome.payee.as_deref(), Some("Spotify"));
        assert_eq!(outcome.category, Some(MUSIC));
        assert_eq!(outcome.matched, [0, 1]);
        // The other way round, the category rule runs before the rename.
        let outcome = apply(&[categorise, rename], &subject(Some("PAYPAL *SPOTIFY"), "-9.99", &[]));
        assert_eq!(outcome.category, None);
        assert_eq!(outcome.matched, [1]);
    }

    #[test]
    fn changes_show_only_what_differs() {
        let tags = vec!["subscription".to_owned()];
        let mut already = subject(Some("Spotify"), "-9.99", &tags);
        already.category = Some(MUSIC);
        let same = rule(
            vec![contains("spotify")],
            vec![
                Action::SetCategory { id: MUSIC },
                Action::SetPayee { name: "Spotify".into() },
                Action::AddTag { tag: "subscription".into() },
            ],
        );
        let outcome = apply(std::slice::from_ref(&same), &already);
        assert_eq!(outcome.matched, [0]);
        assert_eq!(outcome.tags, ["subscription"]);
        assert_eq!(outcome.changes(&already), None);

        let more = rule(vec![contains("spot")], vec![Action::AddTag { tag: "music".into() }]);
        let outcome = apply(&[same, more], &already);
        assert_eq!(
            outcome.changes(&already),
            Some(Change {
                category: None,
                payee: None,
                added_tags: vec!["music".into()],
                matched: vec![0, 1],
            })
        );
    }

    #[test]
    fn invalid_rules_are_refused_and_skipped() {
        let set = || vec![Action::SetCategory { id: MUSIC }];
        assert_eq!(rule(vec![], set()).check(), Err(RuleError::NoConditions));
        assert_eq!(rule(vec![Condition::Outflow], vec![]).check(), Err(RuleError::NoActions));
        assert_eq!(
            rule(vec![Condition::Inflow, contains("  ")], set()).check(),
            Err(RuleError::EmptyCondition(1))
        );
        assert_eq!(
            rule(vec![Condition::Inflow], vec![Action::AddTag { tag: String::new() }]).check(),
            Err(RuleError::EmptyAction(0))
        );
        assert!(matches!(
            rule(vec![Condition::AmountBetween { min: dec("1"), max: dec("0") }], set()).check(),
            Err(RuleError::MinAboveMax { index: 0, .. })
        ));
        assert_eq!(
            rule(vec![Condition::Outflow; MAX_CONDITIONS + 1], set()).check(),
            Err(RuleError::TooManyConditions(MAX_CONDITIONS + 1))
        );
        assert_eq!(rule(vec![Condition::Outflow; MAX_CONDITIONS], set()).check(), Ok(()));
        // With no conditions, "all of them" would hold for every transaction.
        assert!(apply(&[rule(vec![], set())], &subject(None, "-1", &[])).matched.is_empty());
    }

    #[test]
    fn rules_travel_as_tagged_json() {
        let json = serde_json::json!({
            "conditions": [
                {"type": "payee_contains", "value": "rewe"},
                {"type": "amount_between", "min": "-100", "max": "0"},
                {"type": "outflow"},
            ],
            "actions": [{"type": "set_category", "id": GROCERIES}, {"type": "add_tag", "tag": "food"}],
            "match_all": true,
        });
        let rule: Rule = serde_json::from_value(json.clone()).expect("a rule");
        assert_eq!(rule.conditions[2], Condition::Outflow);
        assert_eq!(serde_json::to_value(&rule).expect("json"), json);
    }
}
