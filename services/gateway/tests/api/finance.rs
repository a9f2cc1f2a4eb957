//! The built-in metadata over the finance plugin's tables (created by the plugin's own
//! migrations, run here as the agents service runs them): a person reads only their own
//! accounts, transactions, splits, payees, budgets, recurring transactions, bills and monthly
//! rollup, and changes nothing.

use serde_json::{Value, json};

use crate::helpers::{GatewayApp, error_code, spawn_gateway};

const A: &str = "00000000-0000-4000-8000-00000000000a";
const B: &str = "00000000-0000-4000-8000-00000000000b";
const CHECKING_A: &str = "a0000000-0000-4000-8000-00000000000a";
const FOOD_A: &str = "a1000000-0000-4000-8000-00000000000a";
const PAYEE_A: &str = "a2000000-0000-4000-8000-00000000000a";
const TRANSACTION_A: &str = "a3000000-0000-4000-8000-00000000000a";
const CHECKING_B: &str = "b0000000-0000-4000-8000-00000000000b";
const FOOD_B: &str = "b1000000-0000-4000-8000-00000000000b";
const PAYEE_B: &str = "b2000000-0000-4000-8000-00000000000b";
const TRANSACTION_B: &str = "b3000000-0000-4000-8000-00000000000b";

/// Creates schema `finance` with the plugin's migrations, as the agents service does at start.
async fn create_finance_tables(app: &GatewayApp) {
    for migration in posey_finance_plugin::migrations::MIGRATIONS {
        app.sql(migration.sql).await;
    }
}

/// A and B each have a checking account, a food category, a payee, a purchase (two splits,
/// which the database checks balance) and a budget; the rollup is kept by the splits' trigger.
async fn insert_books(app: &GatewayApp) {
    let mut statements = String::new();
    for (person, checking, food, payee, payee_name, transaction, amount, split) in [
        (A, CHECKING_A, FOOD_A, PAYEE_A, "REWE", TRANSACTION_A, "12.50", "a4"),
        (B, CHECKING_B, FOOD_B, PAYEE_B, "secret shop of b", TRANSACTION_B, "99.00", "b4"),
    ] {
        statements.push_str(&format!(
            "INSERT INTO finance.accounts (id, user_id, kind, name, currency) VALUES
                ('{checking}', '{person}', 'asset', 'Checking of {person}', 'EUR');
             INSERT INTO finance.accounts (id, user_id, kind, name) VALUES
                ('{food}', '{person}', 'expense', 'Food of {person}');
             INSERT INTO finance.payees (id, user_id, name) VALUES ('{payee}', '{person}', '{payee_name}');
             INSERT INTO finance.transactions (id, user_id, date, currency, payee_id, description)
                VALUES ('{transaction}', '{person}', '2026-03-02', 'EUR', '{payee}', 'groceries of {person}');
             INSERT INTO finance.splits (id, transaction_id, user_id, account_id, amount, currency, value, position, date) VALUES
                ('{split}000000-0000-4000-8000-000000000001', '{transaction}', '{person}', '{checking}', -{amount}, 'EUR', -{amount}, 0, '2026-03-02'),
                ('{split}000000-0000-4000-8000-000000000002', '{transaction}', '{person}', '{food}', {amount}, 'EUR', {amount}, 1, '2026-03-02');
             INSERT INTO finance.budgets (user_id, category_id, month, amount) VALUES
                ('{person}', '{food}', '2026-03-01', 100);
             INSERT INTO finance.recurring (id, user_id, name, template, currency, cadence, starts)
                VALUES ('{split}000000-0000-4000-8000-000000000009', '{person}', 'Rent of {person}',
                        '{{}}', 'EUR', '{{\"months\": 1}}', '2026-03-01');
             UPDATE finance.transactions SET recurring_id = '{split}000000-0000-4000-8000-000000000009'
                WHERE id = '{transaction}';
             INSERT INTO finance.bills (id, user_id, name, account_id, currency, bill)
                VALUES ('{split}000000-0000-4000-8000-00000000000b', '{person}', 'Power of {person}',
                        '{checking}', 'EUR', '{{\"amount\": \"-{amount}\"}}');
            "
        ));
    }
    app.sql(&statements).await;
}

async fn app_with_books() -> GatewayApp {
    let app = spawn_gateway(None, &[]).await;
    create_finance_tables(&app).await;
    insert_books(&app).await;
    app.reload().await;
    app
}

/// A numeric as a number, whether the gateway writes it as a JSON number or a string.
fn number(value: &Value) -> f64 {
    match value {
        Value::Number(n) => n.as_f64().unwrap_or(f64::NAN),
        Value::String(s) => s.parse().unwrap_or(f64::NAN),
        other => panic!("not a number: {other}"),
    }
}

#[tokio::test]
async fn a_person_reads_only_their_own_books() {
    let app = app_with_books().await;
    let a = app.token(A, &[]);
    let body = app
        .as_user(
            &a,
            "{ finance_accounts(order_by: {name: asc}) { id name kind }
               finance_transactions { id description recurring_id payee { name }
                 splits(order_by: {position: asc}) { amount account { name } } }
               finance_splits_aggregate { aggregate { count } }
               finance_payees { name }
               finance_budgets { category_id month amount }
               finance_recurring { name cadence }
               finance_bills { name currency bill account { name } }
               finance_bills_aggregate { aggregate { count } }
               finance_account_months(order_by: {amount: asc}) { month currency amount account { name } } }",
            json!({}),
        )
        .await;
    assert!(body.get("errors").is_none(), "{body}");
    let data = &body["data"];
    assert_eq!(
        data["finance_accounts"],
        json!([
            {"id": CHECKING_A, "name": format!("Checking of {A}"), "kind": "asset"},
            {"id": FOOD_A, "name": format!("Food of {A}"), "kind": "expense"},
        ]),
        "{body}"
    );
    let transactions = data["finance_transactions"].as_array().unwrap();
    assert_eq!(transactions.len(), 1, "{body}");
    assert_eq!(transactions[0]["id"], TRANSACTION_A);
    assert_eq!(transactions[0]["payee"]["name"], "REWE");
    let splits = transactions[0]["splits"].as_array().unwrap();
    assert_eq!(splits.iter().map(|s| number(&s["amount"])).collect::<Vec<_>>(), [-12.5, 12.5]);
    assert_eq!(splits[1]["account"]["name"], format!("Food of {A}"));
    assert_eq!(data["finance_splits_aggregate"]["aggregate"]["count"], 2, "{body}");
    assert_eq!(data["finance_payees"], json!([{"name": "REWE"}]), "{body}");
    assert_eq!(
        data["finance_recurring"],
        json!([{"name": format!("Rent of {A}"), "cadence": {"months": 1}}]),
        "{body}"
    );
    assert_eq!(transactions[0]["recurring_id"], "a4000000-0000-4000-8000-000000000009");
    assert_eq!(
        data["finance_bills"],
        json!([{"name": format!("Power of {A}"), "currency": "EUR", "bill": {"amount": "-12.50"},
                "account": {"name": format!("Checking of {A}")}}]),
        "{body}"
    );
    assert_eq!(data["finance_bills_aggregate"]["aggregate"]["count"], 1, "{body}");
    let budgets = data["finance_budgets"].as_array().unwrap();
    assert_eq!(budgets.len(), 1, "{body}");
    assert_eq!(
        (budgets[0]["category_id"].as_str(), number(&budgets[0]["amount"])),
        (Some(FOOD_A), 100.0)
    );
    // The monthly rollup the reports sum: A's two accounts in March, nothing of B's.
    let months = data["finance_account_months"].as_array().unwrap();
    assert_eq!(months.iter().map(|m| number(&m["amount"])).collect::<Vec<_>>(), [-12.5, 12.5]);
    assert!(months.iter().all(|m| m["month"] == "2026-03-01" && m["currency"] == "EUR"), "{body}");

    // B's rows do not exist for A, even asked for by id or by condition.
    let body = app
        .as_user(
            &a,
            "query($a: uuid!, $t: uuid!, $p: uuid!, $b: uuid!) {
               finance_accounts_by_pk(id: $a) { name }
               finance_bills_by_pk(id: $b) { name }
               finance_bills(where: {account_id: {_eq: $a}}) { name }
               finance_transactions_by_pk(id: $t) { description }
               finance_payees_by_pk(id: $p) { name }
               finance_splits(where: {transaction_id: {_eq: $t}}) { amount }
               finance_account_months(where: {account_id: {_eq: $a}}) { amount } }",
            json!({"a": CHECKING_B, "t": TRANSACTION_B, "p": PAYEE_B,
                   "b": "b4000000-0000-4000-8000-00000000000b"}),
        )
        .await;
    assert_eq!(
        body["data"],
        json!({"finance_accounts_by_pk": null, "finance_bills_by_pk": null, "finance_bills": [],
               "finance_transactions_by_pk": null,
               "finance_payees_by_pk": null, "finance_splits": [], "finance_account_months": []}),
        "{body}"
    );
    // And B sees theirs.
    let b = app.token(B, &[]);
    let body = app
        .as_user(
            &b,
            "{ finance_transactions { description user_id } finance_payees { name }
               finance_bills { name } }",
            json!({}),
        )
        .await;
    assert_eq!(
        body["data"],
        json!({"finance_transactions": [{"description": format!("groceries of {B}"), "user_id": B}],
               "finance_payees": [{"name": "secret shop of b"}],
               "finance_bills": [{"name": format!("Power of {B}")}]}),
        "{body}"
    );
}

#[tokio::test]
async fn import_bookkeeping_is_not_exposed() {
    let app = app_with_books().await;
    let a = app.token(A, &[]);
    for (query, column) in [
        ("{ finance_transactions { import_key } }", "import_key"),
        ("{ finance_transactions { import_account } }", "import_account"),
    ] {
        let body = app.as_user(&a, query, json!({})).await;
        assert_eq!(error_code(&body), "validation-failed", "{query}: {body}");
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.contains(&format!("\"{column}\"")), "{query}: {body}");
    }
}

#[tokio::test]
async fn people_cannot_change_their_books_through_the_gateway() {
    let app = app_with_books().await;
    let a = app.token(A, &[]);
    let mutations = [
        format!(
            r#"mutation {{ insert_finance_accounts_one(object: {{id: "{}", user_id: "{A}",
                 kind: "asset", name: "new", currency: "EUR"}}) {{ id }} }}"#,
            "a9000000-0000-4000-8000-0000000000aa"
        ),
        format!(
            r#"mutation {{ insert_finance_budgets(objects: [{{user_id: "{A}", category_id: "{FOOD_A}",
                 month: "2026-04-01", amount: 5}}]) {{ affected_rows }} }}"#
        ),
        r#"mutation { update_finance_transactions(where: {}, _set: {description: "changed"}) { affected_rows } }"#.to_owned(),
        r"mutation { update_finance_splits(where: {}, _set: {amount: 0}) { affected_rows } }".to_owned(),
        format!(
            r#"mutation {{ update_finance_accounts_by_pk(pk_columns: {{id: "{CHECKING_A}"}},
                 _set: {{name: "changed"}}) {{ id }} }}"#
        ),
        "mutation { delete_finance_splits(where: {}) { affected_rows } }".to_owned(),
        "mutation { delete_finance_account_months(where: {}) { affected_rows } }".to_owned(),
        format!(r#"mutation {{ delete_finance_transactions_by_pk(id: "{TRANSACTION_A}") {{ id }} }}"#),
        "mutation { delete_finance_payees(where: {}) { affected_rows } }".to_owned(),
        r#"mutation { update_finance_recurring(where: {}, _set: {paused: true}) { affected_rows } }"#.to_owned(),
        r#"mutation { update_finance_bills(where: {}, _set: {name: "changed"}) { affected_rows } }"#.to_owned(),
        "mutation { delete_finance_bills(where: {}) { affected_rows } }".to_owned(),
        format!(
            r#"mutation {{ insert_finance_bills_one(object: {{id: "{}", user_id: "{A}",
                 name: "new", currency: "EUR", bill: {{}}}}) {{ id }} }}"#,
            "a9000000-0000-4000-8000-0000000000bb"
        ),
    ];
    for mutation in &mutations {
        let body = app.as_user(&a, mutation, json!({})).await;
        assert_eq!(error_code(&body), "validation-failed", "{mutation}: {body}");
        // Refused because the field does not exist for the role, not for a typo here.
        let message = body["errors"][0]["message"].as_str().unwrap_or_default();
        assert!(message.starts_with("Unknown field \"") && message.contains("_finance_"), "{body}");
    }
    let (accounts, transactions, splits, budgets, changed): (i64, i64, i64, i64, i64) =
        sqlx::query_as(
            "SELECT (SELECT count(*) FROM finance.accounts),
                (SELECT count(*) FROM finance.transactions),
                (SELECT count(*) FROM finance.splits),
                (SELECT count(*) FROM finance.budgets),
                (SELECT count(*) FROM finance.transactions WHERE description = 'changed')
                  + (SELECT count(*) FROM finance.accounts WHERE name = 'changed')
                  + (SELECT count(*) FROM finance.bills WHERE name <> 'Power of ' || user_id)
                  + (2 - (SELECT count(*) FROM finance.bills))",
        )
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!((accounts, transactions, splits, budgets, changed), (4, 2, 4, 2, 0));
}
