//! The finance plugin's budgets, bills, reports and exports over REST, on a small book whose
//! every figure is worked out by hand: cash flow, spending by category and payee, net worth,
//! budget against actual, envelopes carrying over, bills paid late and missed, the CSV and
//! the journal (read back by Debian's hledger, whose balances must be Posey's), and isolation
//! between two people on every one of these routes.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use posey_testkit::openapi::Samples;
use reqwest::Method;
use serde_json::{Value, json};

use crate::finance::{account, category};
use crate::helpers::{AgentsApp, Models, json_of, spawn};

async fn app() -> AgentsApp {
    spawn(Models::test(), None, &[]).await
}

async fn get(app: &AgentsApp, token: &str, path: &str) -> Value {
    json_of(app.get_as(path, token).await, 200).await
}

async fn put(app: &AgentsApp, token: &str, path: &str, body: &Value) -> reqwest::Response {
    app.request(Method::PUT, path, token).json(body).send().await.unwrap()
}

fn id(value: &Value) -> String {
    value["id"].as_str().unwrap_or_else(|| panic!("no id in {value}")).to_owned()
}

/// The ids of the small book's accounts, categories and the rent payment made late.
struct Book {
    checking: String,
    visa: String,
    dollars: String,
    food: String,
    groceries: String,
    restaurants: String,
    rent: String,
    travel: String,
    salary: String,
    rent_paid_late: String,
}

async fn spend(app: &AgentsApp, token: &str, body: Value) -> String {
    id(&json_of(app.post_as("/v1/finance/transactions", token, &body).await, 201).await)
}

/// A person's book in EUR with a USD account, January to March 2026:
///
/// | date  | account  | amount    | against              | payee          |
/// |-------|----------|-----------|----------------------|----------------|
/// | 01-01 | Checking | 1000.00   | opening balance      |                |
/// | 01-01 | Dollars  | 200.00 $  | opening balance      |                |
/// | 01-02 | Checking | 2000.00   | Salary               | ACME GmbH      |
/// | 01-05 | Checking | -950.00   | Rent                 | Hausverwaltung |
/// | 01-10 | Checking | -120.50   | Food:Groceries       | REWE           |
/// | 01-15 | Visa     | -45.00    | Food:Restaurants     | Trattoria      |
/// | 01-20 | Checking | -300.00   | Dollars +320.00 $    | (transfer)     |
/// | 01-25 | Dollars  | -30.00 $  | Food:Restaurants     | Diner          |
/// | 01-28 | Visa     | -60.00    | Travel (rolls over)  | Rail           |
/// | 02-02 | Checking | 2000.00   | Salary               | ACME GmbH      |
/// | 02-04 | Checking | -950.00   | Rent                 | Hausverwaltung |
/// | 02-12 | Checking | -80.25    | Food:Groceries       | REWE           |
/// | 02-14 | Checking | 10.25     | Food:Groceries       | REWE (refund)  |
/// | 03-02 | Checking | 2000.00   | Salary               | ACME GmbH      |
async fn small_book(app: &AgentsApp, token: &str) -> Book {
    json_of(put(app, token, "/v1/finance/settings", &json!({"currency": "EUR"})).await, 200).await;
    let checking = account(
        app,
        token,
        json!({"name": "Checking", "kind": "asset", "subtype": "checking", "currency": "EUR",
               "opening_balance": "1000.00", "opening_date": "2026-01-01"}),
    )
    .await;
    let visa = account(
        app,
        token,
        json!({"name": "Visa", "kind": "liability", "subtype": "credit_card", "currency": "EUR"}),
    )
    .await;
    let dollars = account(
        app,
        token,
        json!({"name": "Dollars", "kind": "asset", "currency": "USD",
               "opening_balance": "200", "opening_date": "2026-01-01"}),
    )
    .await;
    let food = category(app, token, json!({"name": "Food"})).await;
    let groceries = category(app, token, json!({"name": "Groceries", "parent_id": food})).await;
    let restaurants = category(app, token, json!({"name": "Restaurants", "parent_id": food})).await;
    let rent = category(app, token, json!({"name": "Rent"})).await;
    let travel =
        category(app, token, json!({"name": "Travel", "rollover_overspending": true})).await;
    let salary = category(app, token, json!({"name": "Salary", "kind": "income"})).await;

    let simple = |date: &str, account: &str, amount: &str, category: &str, payee: &str| {
        json!({"date": date, "account_id": account, "amount": amount, "category_id": category,
               "payee": payee, "status": "cleared"})
    };
    for body in [
        simple("2026-01-02", &checking, "2000.00", &salary, "ACME GmbH"),
        simple("2026-01-05", &checking, "-950.00", &rent, "Hausverwaltung"),
        json!({"date": "2026-01-10", "account_id": checking, "amount": "-120.50",
               "category_id": groceries, "payee": "REWE",
               "description": "weekly shop, \"organic\"", "tags": ["food", "weekly"]}),
        simple("2026-01-15", &visa, "-45.00", &restaurants, "Trattoria"),
        json!({"date": "2026-01-20", "account_id": checking, "amount": "-300.00",
               "transfer_account_id": dollars, "transfer_amount": "320.00"}),
        simple("2026-01-25", &dollars, "-30.00", &restaurants, "Diner"),
        simple("2026-01-28", &visa, "-60.00", &travel, "Rail"),
        simple("2026-02-02", &checking, "2000.00", &salary, "ACME GmbH"),
    ] {
        spend(app, token, body).await;
    }
    let rent_paid_late =
        spend(app, token, simple("2026-02-04", &checking, "-950.00", &rent, "Hausverwaltung"))
            .await;
    for body in [
        simple("2026-02-12", &checking, "-80.25", &groceries, "REWE"),
        simple("2026-02-14", &checking, "10.25", &groceries, "REWE"),
        simple("2026-03-02", &checking, "2000.00", &salary, "ACME GmbH"),
    ] {
        spend(app, token, body).await;
    }
    Book {
        checking,
        visa,
        dollars,
        food,
        groceries,
        restaurants,
        rent,
        travel,
        salary,
        rent_paid_late,
    }
}

/// Envelopes: Groceries 150 then 100, Restaurants 20 in January (overspent by 25, which comes
/// off February's money to budget), Rent 950 a month, Travel 50 then 30 (overspent by 10 in
/// January, which it carries).
async fn budget_book(app: &AgentsApp, token: &str, book: &Book) {
    for (category, month, amount) in [
        (&book.groceries, "2026-01", "150.00"),
        (&book.groceries, "2026-02", "100"),
        (&book.restaurants, "2026-01", "20.00"),
        (&book.rent, "2026-01", "950.00"),
        (&book.rent, "2026-02", "950.00"),
        (&book.rent, "2026-03", "950.00"),
        (&book.travel, "2026-01", "50.00"),
        (&book.travel, "2026-02", "30.00"),
    ] {
        let path = format!("/v1/finance/budgets/{category}/{month}");
        json_of(put(app, token, &path, &json!({"amount": amount})).await, 200).await;
    }
}

fn rows(body: &Value, list: &str, fields: &[&str]) -> Vec<Vec<String>> {
    body[list]
        .as_array()
        .unwrap_or_else(|| panic!("no {list} in {body}"))
        .iter()
        .map(|row| {
            fields
                .iter()
                .map(|field| match &row[*field] {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

fn table(lines: &[&[&str]]) -> Vec<Vec<String>> {
    lines.iter().map(|line| line.iter().map(|s| (*s).to_owned()).collect()).collect()
}

#[tokio::test]
async fn cash_flow_spending_and_net_worth_have_the_books_figures() {
    let app = app().await;
    let (_, token) = app.person();
    small_book(&app, &token).await;

    // Income and expense categories only: the transfer and the opening balances are neither.
    let flow = get(&app, &token, "/v1/finance/reports/cash-flow?from=2026-01&to=2026-04").await;
    assert_eq!(
        rows(&flow, "months", &["month", "currency", "income", "expenses", "net"]),
        table(&[
            &["2026-01", "EUR", "2000.00", "1175.50", "824.50"],
            &["2026-01", "USD", "0.00", "30.00", "-30.00"],
            &["2026-02", "EUR", "2000.00", "1020.00", "980.00"],
            &["2026-03", "EUR", "2000.00", "0.00", "2000.00"],
        ]),
        "{flow}"
    );

    let spending = |query: &str| format!("/v1/finance/reports/spending?{query}");
    let by_category = get(&app, &token, &spending("from=2026-01&to=2026-03")).await;
    assert_eq!(
        rows(&by_category, "totals", &["name", "currency", "amount"]),
        table(&[
            &["Rent", "EUR", "1900.00"],
            &["Groceries", "EUR", "190.50"],
            &["Travel", "EUR", "60.00"],
            &["Restaurants", "EUR", "45.00"],
            &["Restaurants", "USD", "30.00"],
        ]),
        "{by_category}"
    );
    let rolled = get(&app, &token, &spending("from=2026-01&to=2026-03&rollup=true")).await;
    assert_eq!(
        rows(&rolled, "totals", &["name", "currency", "amount"]),
        table(&[
            &["Rent", "EUR", "1900.00"],
            &["Food", "EUR", "235.50"],
            &["Travel", "EUR", "60.00"],
            &["Food", "USD", "30.00"],
        ]),
        "{rolled}"
    );
    // Days rather than months are summed from the transactions: 10 January to 12 February.
    let days = get(&app, &token, &spending("from=2026-01-10&to=2026-02-13")).await;
    assert_eq!(
        rows(&days, "totals", &["name", "currency", "amount"]),
        table(&[
            &["Rent", "EUR", "950.00"],
            &["Groceries", "EUR", "200.75"],
            &["Travel", "EUR", "60.00"],
            &["Restaurants", "EUR", "45.00"],
            &["Restaurants", "USD", "30.00"],
        ]),
        "{days}"
    );
    let payees = get(&app, &token, &spending("from=2026-01&to=2026-03&by=payee")).await;
    assert_eq!(
        rows(&payees, "totals", &["name", "currency", "amount"]),
        table(&[
            &["Hausverwaltung", "EUR", "1900.00"],
            &["REWE", "EUR", "190.50"],
            &["Rail", "EUR", "60.00"],
            &["Trattoria", "EUR", "45.00"],
            &["Diner", "USD", "30.00"],
        ]),
        "{payees}"
    );
    let income = get(&app, &token, &spending("from=2026-01&to=2026-04&kind=income")).await;
    assert_eq!(
        rows(&income, "totals", &["name", "currency", "amount"]),
        table(&[&["Salary", "EUR", "6000.00"]]),
        "{income}"
    );

    // Balances at each month's end; the card's debt is a liability of 105.00.
    let worth = get(&app, &token, "/v1/finance/reports/net-worth?from=2025-12&to=2026-04").await;
    assert_eq!(
        rows(&worth, "months", &["month", "currency", "assets", "liabilities", "net"]),
        table(&[
            &["2025-12", "EUR", "0.00", "0.00", "0.00"],
            &["2025-12", "USD", "0.00", "0.00", "0.00"],
            &["2026-01", "EUR", "1629.50", "105.00", "1524.50"],
            &["2026-01", "USD", "490.00", "0.00", "490.00"],
            &["2026-02", "EUR", "2609.50", "105.00", "2504.50"],
            &["2026-02", "USD", "490.00", "0.00", "490.00"],
            &["2026-03", "EUR", "4609.50", "105.00", "4504.50"],
            &["2026-03", "USD", "490.00", "0.00", "490.00"],
        ]),
        "{worth}"
    );
    // A range starting later still counts everything before it.
    let later = get(&app, &token, "/v1/finance/reports/net-worth?from=2026-03&to=2026-04").await;
    assert_eq!(
        rows(&later, "months", &["month", "currency", "net"]),
        table(&[&["2026-03", "EUR", "4504.50"], &["2026-03", "USD", "490.00"]]),
        "{later}"
    );
}

#[tokio::test]
async fn report_parameters_are_checked_and_named() {
    let app = app().await;
    let (_, token) = app.person();
    for (path, field) in [
        ("/v1/finance/reports/cash-flow?from=2026-13&to=2027-01", "from"),
        ("/v1/finance/reports/cash-flow?from=2026-01&to=2026-01", "to"),
        ("/v1/finance/reports/cash-flow?from=2026-03&to=2026-01", "to"),
        ("/v1/finance/reports/cash-flow?from=2026-01-15&to=2026-03", "from"),
        ("/v1/finance/reports/cash-flow?from=1900-01&to=2000-01", "to"),
        ("/v1/finance/reports/cash-flow?to=2026-01", "from"),
        ("/v1/finance/reports/net-worth?from=2026-01&to=soon", "to"),
        ("/v1/finance/reports/spending?from=2026-01&to=2026-02&by=colour", "by"),
        ("/v1/finance/reports/spending?from=2026-01&to=2026-02&kind=gift", "kind"),
        ("/v1/finance/reports/spending?from=2026-01&to=2026-02&by=payee&rollup=true", "rollup"),
        ("/v1/finance/reports/upcoming-bills?days=0", "days"),
        ("/v1/finance/reports/upcoming-bills?past=400", "past"),
        ("/v1/finance/budgets?month=March", "month"),
    ] {
        let body = json_of(app.get_as(path, &token).await, 422).await;
        assert!(body["error"]["fields"][field].is_array(), "{path}: {body}");
    }
    // Budgets are in the person's currency: none chosen yet, and the 422 says so.
    for path in
        ["/v1/finance/budgets?month=2026-03", "/v1/finance/reports/budget?from=2026-01&to=2026-02"]
    {
        let body = json_of(app.get_as(path, &token).await, 422).await;
        assert!(body["error"]["fields"]["currency"].is_array(), "{path}: {body}");
    }
}

fn envelope(month: &Value, name: &str) -> Vec<String> {
    let category = month["categories"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {month}"));
    ["budgeted", "activity", "carried_in", "available", "overspent"]
        .iter()
        .map(|field| match &category[*field] {
            Value::String(text) => text.clone(),
            other => other.to_string(),
        })
        .collect()
}

fn strings(values: &[&str]) -> Vec<String> {
    values.iter().map(|s| (*s).to_owned()).collect()
}

#[tokio::test]
async fn envelopes_carry_what_is_left_and_overspending_comes_off_next_months_money() {
    let app = app().await;
    let (_, token) = app.person();
    let book = small_book(&app, &token).await;
    budget_book(&app, &token, &book).await;
    let month = |m: &str| format!("/v1/finance/budgets?month={m}");

    let january = get(&app, &token, &month("2026-01")).await;
    assert_eq!(
        envelope(&january, "Groceries"),
        strings(&["150.00", "-120.50", "0.00", "29.50", "false"])
    );
    // The USD dinner is not in a EUR budget: 20 budgeted, 45 spent.
    assert_eq!(
        envelope(&january, "Restaurants"),
        strings(&["20.00", "-45.00", "0.00", "-25.00", "true"])
    );
    assert_eq!(
        envelope(&january, "Travel"),
        strings(&["50.00", "-60.00", "0.00", "-10.00", "true"])
    );
    assert_eq!(envelope(&january, "Food"), strings(&["0.00", "0.00", "0.00", "0.00", "false"]));
    assert_eq!(
        [&january["income"], &january["budgeted"], &january["to_be_budgeted"]],
        [&json!("2000.00"), &json!("1170.00"), &json!("830.00")],
        "{january}"
    );

    // February: Groceries' 29.50 carries; Restaurants starts at zero and its 25 overspent
    // comes off to-be-budgeted; Travel rolls its -10 over.
    let february = get(&app, &token, &month("2026-02")).await;
    assert_eq!(
        envelope(&february, "Groceries"),
        strings(&["100.00", "-70.00", "29.50", "59.50", "false"])
    );
    assert_eq!(
        envelope(&february, "Restaurants"),
        strings(&["0.00", "0.00", "0.00", "0.00", "false"])
    );
    assert_eq!(
        envelope(&february, "Travel"),
        strings(&["30.00", "0.00", "-10.00", "20.00", "false"])
    );
    assert_eq!(
        envelope(&february, "Rent"),
        strings(&["950.00", "-950.00", "0.00", "0.00", "false"])
    );
    let totals = |m: &Value| {
        [
            "currency",
            "income",
            "budgeted",
            "activity",
            "carried_in",
            "overspent_last_month",
            "to_be_budgeted",
        ]
        .iter()
        .map(|f| m[*f].as_str().unwrap_or_default().to_owned())
        .collect::<Vec<_>>()
    };
    assert_eq!(
        totals(&february),
        strings(&["EUR", "2000.00", "1080.00", "-1020.00", "830.00", "25.00", "1725.00"]),
        "{february}"
    );

    // March, with nothing spent: what is left carries on.
    let march = get(&app, &token, &month("2026-03")).await;
    assert_eq!(
        envelope(&march, "Groceries"),
        strings(&["0.00", "0.00", "59.50", "59.50", "false"])
    );
    assert_eq!(envelope(&march, "Travel"), strings(&["0.00", "0.00", "20.00", "20.00", "false"]));
    assert_eq!(envelope(&march, "Rent"), strings(&["950.00", "0.00", "0.00", "950.00", "false"]));
    assert_eq!(
        totals(&march),
        strings(&["EUR", "2000.00", "950.00", "0.00", "1725.00", "0.00", "2775.00"]),
        "{march}"
    );
    // Before anything happened: every envelope empty.
    let before = get(&app, &token, &month("2025-06")).await;
    assert_eq!(before["to_be_budgeted"], "0.00", "{before}");
    assert_eq!(envelope(&before, "Rent"), strings(&["0.00", "0.00", "0.00", "0.00", "false"]));

    // Budget against actual, month by month.
    let report = get(&app, &token, "/v1/finance/reports/budget?from=2026-01&to=2026-03").await;
    assert_eq!(report["currency"], "EUR");
    assert_eq!(
        rows(&report, "lines", &["month", "name", "budgeted", "activity", "difference"]),
        table(&[
            &["2026-01", "Groceries", "150.00", "-120.50", "29.50"],
            &["2026-01", "Rent", "950.00", "-950.00", "0.00"],
            &["2026-01", "Restaurants", "20.00", "-45.00", "-25.00"],
            &["2026-01", "Travel", "50.00", "-60.00", "-10.00"],
            &["2026-02", "Groceries", "100.00", "-70.00", "30.00"],
            &["2026-02", "Rent", "950.00", "-950.00", "0.00"],
            &["2026-02", "Travel", "30.00", "0.00", "30.00"],
        ]),
        "{report}"
    );

    // Setting an envelope: exact at the currency's units, an expense category, a real month;
    // zero removes it.
    let groceries = |m: &str| format!("/v1/finance/budgets/{}/{m}", book.groceries);
    let set =
        json_of(put(&app, &token, &groceries("2026-03"), &json!({"amount": "12.5"})).await, 200)
            .await;
    assert_eq!(
        set,
        json!({"category_id": book.groceries, "month": "2026-03", "currency": "EUR", "amount": "12.50"})
    );
    let march = get(&app, &token, &month("2026-03")).await;
    assert_eq!(
        envelope(&march, "Groceries"),
        strings(&["12.50", "0.00", "59.50", "72.00", "false"])
    );
    json_of(put(&app, &token, &groceries("2026-03"), &json!({"amount": "0"})).await, 200).await;
    let march = get(&app, &token, &month("2026-03")).await;
    assert_eq!(
        envelope(&march, "Groceries"),
        strings(&["0.00", "0.00", "59.50", "59.50", "false"])
    );
    for (path, body, field) in [
        (groceries("2026-03"), json!({"amount": "1.234"}), "amount"),
        (groceries("2026-13"), json!({"amount": "1"}), "month"),
        (
            format!("/v1/finance/budgets/{}/2026-03", book.salary),
            json!({"amount": "1"}),
            "category_id",
        ),
    ] {
        let answer = json_of(put(&app, &token, &path, &body).await, 422).await;
        assert!(answer["error"]["fields"][field].is_array(), "{path}: {answer}");
    }
    for path in [
        format!("/v1/finance/budgets/{}/2026-03", uuid::Uuid::new_v4()),
        "/v1/finance/budgets/not-an-id/2026-03".to_owned(),
    ] {
        json_of(put(&app, &token, &path, &json!({"amount": "1"})).await, 404).await;
    }
}

/// Off-budget accounts (a brokerage, a loan tracked off budget) are not the budget's, as in
/// Actual Budget: what is spent or earned through them alone is in no envelope and no income,
/// transfers between two of them count nowhere, and money moved between the budget and one of
/// them leaves or enters what is left to budget.
#[tokio::test]
async fn off_budget_accounts_stay_out_of_the_budget_and_money_moved_to_them_leaves_it() {
    let app = app().await;
    let (_, token) = app.person();
    let book = small_book(&app, &token).await;
    budget_book(&app, &token, &book).await;
    let brokerage = account(
        &app,
        &token,
        json!({"name": "Brokerage", "kind": "asset", "subtype": "investment", "currency": "EUR",
               "on_budget": false, "opening_balance": "5000.00", "opening_date": "2026-01-01"}),
    )
    .await;
    let loan = account(
        &app,
        &token,
        json!({"name": "Car loan", "kind": "liability", "subtype": "loan", "currency": "EUR",
               "on_budget": false}),
    )
    .await;
    let pension = account(
        &app,
        &token,
        json!({"name": "Pension", "kind": "asset", "currency": "EUR", "on_budget": false}),
    )
    .await;
    let dividends = category(&app, &token, json!({"name": "Dividends", "kind": "income"})).await;
    let simple = |date: &str, account: &str, amount: &str, category: &str| json!({"date": date, "account_id": account, "amount": amount, "category_id": category});
    let transfer = |date: &str, from: &str, amount: &str, to: &str| json!({"date": date, "account_id": from, "amount": amount, "transfer_account_id": to});
    for body in [
        // Spent and earned through off-budget accounts alone: not the budget's.
        simple("2026-01-12", &brokerage, "-500.00", &book.groceries),
        simple("2026-02-13", &loan, "-40.00", &book.restaurants),
        simple("2026-01-31", &brokerage, "75.00", &dividends),
        simple("2026-02-27", &brokerage, "80.00", &book.salary),
        // Between two off-budget accounts: nowhere.
        transfer("2026-01-20", &brokerage, "-1000.00", &loan),
        // Out of the budget in January, some of it back in February.
        transfer("2026-01-22", &book.checking, "-200.00", &brokerage),
        transfer("2026-02-03", &brokerage, "-50.00", &book.checking),
        // March's salary, 500 of it paid straight into the pension: the budget got 1500.
        json!({"date": "2026-03-02", "currency": "EUR", "splits": [
            {"account_id": book.checking, "amount": "1500.00"},
            {"account_id": pension, "amount": "500.00"},
            {"account_id": book.salary, "amount": "-2000.00"},
        ]}),
    ] {
        spend(&app, &token, body).await;
    }

    // The same envelopes as without the off-budget accounts; January's income less the 200
    // moved out, February's plus the 50 moved back.
    let month = |m: &str| format!("/v1/finance/budgets?month={m}");
    let january = get(&app, &token, &month("2026-01")).await;
    assert_eq!(
        envelope(&january, "Groceries"),
        strings(&["150.00", "-120.50", "0.00", "29.50", "false"]),
        "{january}"
    );
    assert_eq!(
        [&january["income"], &january["activity"], &january["to_be_budgeted"]],
        [&json!("1800.00"), &json!("-1175.50"), &json!("630.00")],
        "{january}"
    );
    let february = get(&app, &token, &month("2026-02")).await;
    assert_eq!(
        envelope(&february, "Restaurants"),
        strings(&["0.00", "0.00", "0.00", "0.00", "false"]),
        "{february}"
    );
    assert_eq!(
        [&february["income"], &february["carried_in"], &february["to_be_budgeted"]],
        [&json!("2050.00"), &json!("630.00"), &json!("1575.00")],
        "{february}"
    );
    let march = get(&app, &token, &month("2026-03")).await;
    assert_eq!(
        [&march["income"], &march["to_be_budgeted"]],
        [&json!("3500.00"), &json!("4125.00")],
        "{march}"
    );
    // Budget against actual agrees.
    let report = get(&app, &token, "/v1/finance/reports/budget?from=2026-01&to=2026-03").await;
    assert_eq!(
        rows(&report, "lines", &["month", "name", "activity"]),
        table(&[
            &["2026-01", "Groceries", "-120.50"],
            &["2026-01", "Rent", "-950.00"],
            &["2026-01", "Restaurants", "-45.00"],
            &["2026-01", "Travel", "-60.00"],
            &["2026-02", "Groceries", "-70.00"],
            &["2026-02", "Rent", "-950.00"],
            &["2026-02", "Travel", "0.00"],
        ]),
        "{report}"
    );
    // The off-budget accounts still keep their own books.
    assert_eq!(crate::finance::balance(&app, &token, &brokerage).await, "3805.00");
    assert_eq!(crate::finance::balance(&app, &token, &loan).await, "960.00");
}

#[tokio::test]
async fn bills_paid_late_are_paid_and_bills_not_paid_are_missed() {
    let app = app().await;
    let (_, token) = app.person();
    let book = small_book(&app, &token).await;
    let rent = json!({"name": "Rent", "payee_contains": "hausverwaltung", "amount": "-950",
                      "cadence": {"months": 1}, "starts": "2026-01-01",
                      "account_id": book.checking});
    let bill = json_of(app.post_as("/v1/finance/bills", &token, &rent).await, 201).await;
    assert_eq!(
        [&bill["amount"], &bill["tolerance"], &bill["currency"], &bill["cadence"]],
        [&json!("-950.00"), &json!("0.00"), &json!("EUR"), &json!({"months": 1})],
        "{bill}"
    );
    let streaming = json!({"name": "Streaming", "amount": "-12.99", "tolerance": "1",
                           "cadence": {"months": 1}, "starts": "2026-03-25",
                           "account_id": book.visa});
    let streaming = json_of(app.post_as("/v1/finance/bills", &token, &streaming).await, 201).await;

    // Seen from 20 March, 60 days back and 30 ahead: February's rent was paid 3 days late,
    // March's never (more than five days past), April's is ahead.
    let path = "/v1/finance/reports/upcoming-bills?today=2026-03-20&past=60&days=30";
    let upcoming = get(&app, &token, path).await;
    assert_eq!([&upcoming["from"], &upcoming["to"]], [&json!("2026-01-19"), &json!("2026-04-20")]);
    let dues = |bill: &Value| rows(bill, "dues", &["date", "status", "transaction_id"]);
    let bills = upcoming["bills"].as_array().unwrap();
    assert_eq!(bills.len(), 2, "{upcoming}");
    assert_eq!(bills[0]["name"], "Rent");
    assert_eq!(
        dues(&bills[0]),
        table(&[
            &["2026-02-01", "paid", &book.rent_paid_late],
            &["2026-03-01", "missed", "null"],
            &["2026-04-01", "upcoming", "null"],
        ]),
        "{upcoming}"
    );
    assert_eq!(bills[1]["name"], "Streaming");
    assert_eq!(dues(&bills[1]), table(&[&["2026-03-25", "upcoming", "null"]]), "{upcoming}");

    // A bill is checked whole: cadence, tolerance, dates, exact amounts, the person's account.
    let (_, other) = app.person();
    let theirs =
        account(&app, &other, json!({"name": "X", "kind": "asset", "currency": "EUR"})).await;
    for (change, field) in [
        (json!({"cadence": {"months": 0}}), "cadence"),
        (json!({"tolerance": "-1"}), "tolerance"),
        (json!({"ends": "2025-12-31"}), "ends"),
        (json!({"amount": "-9.999"}), "amount"),
        (json!({"name": " "}), "name"),
        (json!({"account_id": theirs}), "account_id"),
        (json!({"currency": "USD"}), "currency"),
    ] {
        let mut body = rent.clone();
        body.as_object_mut().unwrap().extend(change.as_object().unwrap().clone());
        let answer = json_of(app.post_as("/v1/finance/bills", &token, &body).await, 422).await;
        assert!(answer["error"]["fields"][field].is_array(), "{body}: {answer}");
    }

    // Changed: a new amount outside the tolerance no longer matches February's payment.
    let one = format!("/v1/finance/bills/{}", id(&bill));
    let changed = json_of(
        app.patch_as(&one, &token, &json!({"amount": "-900", "tolerance": "10"})).await,
        200,
    )
    .await;
    assert_eq!([&changed["amount"], &changed["tolerance"]], [&json!("-900.00"), &json!("10.00")]);
    let upcoming = get(&app, &token, path).await;
    assert_eq!(upcoming["bills"][0]["dues"][0]["status"], "missed", "{upcoming}");
    let body = json_of(app.patch_as(&one, &token, &json!({"ends": "2025-01-01"})).await, 422).await;
    assert!(body["error"]["fields"]["ends"].is_array(), "{body}");

    let list = get(&app, &token, "/v1/finance/bills").await;
    assert_eq!(rows(&list, "bills", &["name"]), table(&[&["Rent"], &["Streaming"]]));
    json_of(app.delete_as(&format!("/v1/finance/bills/{}", id(&streaming)), &token).await, 204)
        .await;
    json_of(app.delete_as(&format!("/v1/finance/bills/{}", id(&streaming)), &token).await, 404)
        .await;
    let list = get(&app, &token, "/v1/finance/bills").await;
    assert_eq!(rows(&list, "bills", &["name"]), table(&[&["Rent"]]));
}

#[tokio::test]
async fn the_csv_export_has_a_row_per_split_quoted_as_rfc_4180_says() {
    let app = app().await;
    let (_, token) = app.person();
    small_book(&app, &token).await;
    let response = app.get_as("/v1/finance/export.csv", &token).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["content-type"], "text/csv; charset=utf-8");
    let text = response.text().await.unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "date,transaction_id,payee,description,account,account_kind,amount,currency,value,\
         transaction_currency,status,tags,notes,memo,rate,rate_date"
    );
    // Two openings and twelve transactions, two splits each.
    assert_eq!(lines.len(), 1 + 14 * 2, "{text}");
    let shop: Vec<&&str> = lines.iter().filter(|l| l.contains("organic")).collect();
    assert_eq!(shop.len(), 2, "{text}");
    let groceries = shop.iter().find(|l| l.contains("Food:Groceries")).unwrap();
    assert!(groceries.starts_with("2026-01-10,"), "{groceries}");
    assert!(
        groceries.ends_with(
            ",REWE,\"weekly shop, \"\"organic\"\"\",Food:Groceries,expense,120.50,EUR,120.50,EUR,uncleared,\"food,weekly\",,,,"
        ),
        "{groceries}"
    );
    // The transfer: each side in its account's currency, valued in the transaction's.
    let dollars = lines.iter().find(|l| l.contains(",Dollars,asset,320.00,")).unwrap();
    assert!(dollars.contains(",Dollars,asset,320.00,USD,300.00,EUR,uncleared,"), "{dollars}");
}

/// The hledger to run: `HLEDGER`, else `hledger` on the PATH; the test fails without it.
fn hledger(journal: &std::path::Path, args: &[&str]) -> String {
    let program =
        std::env::var_os("HLEDGER").map_or_else(|| PathBuf::from("hledger"), PathBuf::from);
    let output = match Command::new(&program).arg("-f").arg(journal).args(args).output() {
        Ok(output) => output,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => panic!(
            "hledger is needed to check the journal and {} was not found: install it \
             (`apt-get install hledger`) or set HLEDGER to its path",
            program.display()
        ),
        Err(error) => panic!("running {}: {error}", program.display()),
    };
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "hledger {args:?} failed: {}\n--- journal ---\n{}",
        String::from_utf8_lossy(&output.stderr),
        std::fs::read_to_string(journal).unwrap_or_default()
    );
    stdout
}

/// `(account, commodity) -> balance` from `bal --layout=bare -O csv`, zeros left out.
fn hledger_balances(csv: &str) -> BTreeMap<(String, String), Exact> {
    let mut balances = BTreeMap::new();
    for line in csv.lines().skip(1).filter(|line| !line.is_empty()) {
        let fields: Vec<String> =
            line.split("\",\"").map(|f| f.trim_matches('"').replace("\"\"", "\"")).collect();
        let [account, commodity, amount] = fields.as_slice() else {
            panic!("not an account,commodity,balance row: {line}");
        };
        let amount = exact(amount);
        if amount != 0 {
            balances.insert((account.clone(), commodity.clone()), amount);
        }
    }
    balances
}

/// An exact amount in ten-thousandths (the books' finest unit), to compare hledger's figures
/// with Posey's whatever their number of decimals (`-6000`, `-6000.00`).
type Exact = i128;

fn exact(text: &str) -> Exact {
    let (sign, digits) = text.strip_prefix('-').map_or((1, text), |rest| (-1, rest));
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    assert!(fraction.len() <= 4, "more than 4 decimals: {text}");
    let whole: i128 = whole.parse().unwrap_or_else(|_| panic!("not an amount: {text}"));
    let fraction: i128 = format!("{fraction:0<4}").parse().unwrap();
    sign * (whole * 10_000 + fraction)
}

fn decimal(value: &Value) -> Exact {
    exact(value.as_str().unwrap_or_else(|| panic!("not an amount: {value}")))
}

#[tokio::test]
async fn hledger_reads_the_exported_journal_with_posey_s_balances() {
    let app = app().await;
    let (_, token) = app.person();
    small_book(&app, &token).await;
    let response = app.get_as("/v1/finance/export.journal", &token).await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("posey.journal");
    std::fs::write(&path, &text).unwrap();
    let csv =
        hledger(&path, &["--strict", "bal", "--flat", "--no-total", "--layout=bare", "-O", "csv"]);
    let from_hledger = hledger_balances(&csv);

    // What Posey says: the accounts' balances, and every category's total over all time from
    // the spending report (income negative, as hledger keeps it: a credit).
    let mut from_posey = BTreeMap::new();
    let accounts = get(&app, &token, "/v1/finance/accounts").await;
    for account in accounts["accounts"].as_array().unwrap() {
        let root = if account["kind"] == "asset" { "assets" } else { "liabilities" };
        let name = format!("{root}:{}", account["name"].as_str().unwrap());
        let currency = account["currency"].as_str().unwrap().to_owned();
        from_posey.insert((name, currency), decimal(&account["balance"]));
    }
    let categories = get(&app, &token, "/v1/finance/categories").await;
    let categories = categories["categories"].as_array().unwrap();
    let path_of = |id: &str| {
        let mut names = Vec::new();
        let mut at = Some(id.to_owned());
        while let Some(current) = at {
            let category = categories.iter().find(|c| c["id"] == current.as_str()).unwrap();
            names.insert(0, category["name"].as_str().unwrap().to_owned());
            at = category["parent_id"].as_str().map(str::to_owned);
        }
        names.join(":")
    };
    for (kind, root, sign) in [("expense", "expenses", 1), ("income", "income", -1)] {
        let path = format!("/v1/finance/reports/spending?from=2000-01&to=2040-01&kind={kind}");
        let report = get(&app, &token, &path).await;
        for total in report["totals"].as_array().unwrap() {
            let name = format!("{root}:{}", path_of(total["id"].as_str().unwrap()));
            let currency = total["currency"].as_str().unwrap().to_owned();
            from_posey.insert((name, currency), decimal(&total["amount"]) * i128::from(sign));
        }
    }
    let mut without_equity = from_hledger.clone();
    without_equity.retain(|(account, _), _| !account.starts_with("equity:"));
    assert_eq!(without_equity, from_posey, "hledger (left) and Posey (right)\n{text}");

    // And the figures themselves, so that both cannot be wrong the same way.
    let expected: BTreeMap<(String, String), Exact> = [
        ("assets:Checking", "EUR", "4609.50"),
        ("assets:Dollars", "USD", "490.00"),
        ("equity:opening balances", "EUR", "-1000.00"),
        ("equity:opening balances", "USD", "-200.00"),
        ("expenses:Food:Groceries", "EUR", "190.50"),
        ("expenses:Food:Restaurants", "EUR", "45.00"),
        ("expenses:Food:Restaurants", "USD", "30.00"),
        ("expenses:Rent", "EUR", "1900.00"),
        ("expenses:Travel", "EUR", "60.00"),
        ("income:Salary", "EUR", "-6000.00"),
        ("liabilities:Visa", "EUR", "-105.00"),
    ]
    .into_iter()
    .map(|(a, c, v)| ((a.to_owned(), c.to_owned()), exact(v)))
    .collect();
    assert_eq!(from_hledger, expected, "{text}");
    // The opening balances are openings, not transactions against an equity account of Posey's.
    assert!(text.contains("opening balances\n    assets:Checking  1000.00 EUR\n"), "{text}");
    assert!(!text.contains("equity:Opening balances"), "{text}");
    // hledger's monthly income statement agrees with the cash-flow report, month by month.
    let statement = hledger(
        &path,
        &["is", "-M", "-b", "2026-01-01", "-e", "2026-04-01", "-O", "csv", "--layout=bare"],
    );
    let flow = get(&app, &token, "/v1/finance/reports/cash-flow?from=2026-01&to=2026-04").await;
    let mut from_posey = BTreeMap::new();
    for month in flow["months"].as_array().unwrap() {
        let key = (
            month["month"].as_str().unwrap().to_owned(),
            month["currency"].as_str().unwrap().to_owned(),
        );
        from_posey.insert(key, (decimal(&month["income"]), decimal(&month["expenses"])));
    }
    assert_eq!(
        income_statement(&statement, &["2026-01", "2026-02", "2026-03"]),
        from_posey,
        "{statement}"
    );
}

/// `(month, commodity) -> (income, expenses)` from the section totals of `is -M -O csv
/// --layout=bare`; a month with neither is left out.
fn income_statement(csv: &str, months: &[&str]) -> BTreeMap<(String, String), (Exact, Exact)> {
    let mut totals: BTreeMap<(String, String), (Exact, Exact)> = BTreeMap::new();
    let mut section = "";
    for line in csv.lines().filter(|line| !line.is_empty()) {
        let fields: Vec<String> =
            line.split("\",\"").map(|f| f.trim_matches('"').to_owned()).collect();
        match fields[0].as_str() {
            "Revenues" => section = "income",
            "Expenses" => section = "expenses",
            "total" if !fields[1].is_empty() => {
                for (at, month) in months.iter().enumerate() {
                    let amount = exact(&fields[2 + at]);
                    let entry = totals.entry(((*month).to_owned(), fields[1].clone())).or_default();
                    if section == "income" { entry.0 = amount } else { entry.1 = amount }
                }
            }
            _ => {}
        }
    }
    totals.retain(|_, (income, expenses)| *income != 0 || *expenses != 0);
    totals
}

#[tokio::test]
async fn another_person_sees_none_of_it_on_any_of_these_routes() {
    let app = app().await;
    let (_, a) = app.person();
    let book = small_book(&app, &a).await;
    budget_book(&app, &a, &book).await;
    let rent = json!({"name": "Rent", "amount": "-950", "cadence": {"months": 1},
                      "starts": "2026-01-01", "account_id": book.checking});
    let bill = id(&json_of(app.post_as("/v1/finance/bills", &a, &rent).await, 201).await);

    let (_, b) = app.person();
    json_of(put(&app, &b, "/v1/finance/settings", &json!({"currency": "EUR"})).await, 200).await;
    let month = get(&app, &b, "/v1/finance/budgets?month=2026-02").await;
    assert_eq!(month["categories"], json!([]), "{month}");
    assert_eq!([&month["income"], &month["to_be_budgeted"]], [&json!("0.00"), &json!("0.00")]);
    for (path, list) in [
        ("/v1/finance/reports/cash-flow?from=2026-01&to=2026-04", "months"),
        ("/v1/finance/reports/spending?from=2026-01&to=2026-04", "totals"),
        ("/v1/finance/reports/spending?from=2026-01-02&to=2026-04-01&by=payee", "totals"),
        ("/v1/finance/reports/spending?from=2026-01&to=2026-04&rollup=true", "totals"),
        ("/v1/finance/reports/net-worth?from=2026-01&to=2026-04", "months"),
        ("/v1/finance/reports/budget?from=2026-01&to=2026-04", "lines"),
        ("/v1/finance/reports/upcoming-bills?today=2026-03-20&past=90", "bills"),
        ("/v1/finance/bills", "bills"),
    ] {
        let body = get(&app, &b, path).await;
        assert_eq!(body[list], json!([]), "{path}: {body}");
    }
    // B's own bill cannot be paid from A's account; A's bill and category are not B's.
    let mine = json!({"name": "Mine", "amount": "-1", "cadence": {"weeks": 1},
                      "starts": "2026-01-01", "account_id": book.checking});
    let body = json_of(app.post_as("/v1/finance/bills", &b, &mine).await, 422).await;
    assert!(body["error"]["fields"]["account_id"].is_array(), "{body}");
    let theirs = format!("/v1/finance/bills/{bill}");
    json_of(app.patch_as(&theirs, &b, &json!({"name": "Mine now"})).await, 404).await;
    json_of(app.delete_as(&theirs, &b).await, 404).await;
    let envelope = format!("/v1/finance/budgets/{}/2026-02", book.groceries);
    json_of(put(&app, &b, &envelope, &json!({"amount": "1"})).await, 404).await;
    // Exports: B's are empty.
    let csv = app.get_as("/v1/finance/export.csv", &b).await.text().await.unwrap();
    assert_eq!(csv.lines().count(), 1, "{csv}");
    let journal = app.get_as("/v1/finance/export.journal", &b).await.text().await.unwrap();
    assert!(!journal.contains("Checking") && !journal.contains("20"), "{journal}");

    // And A's are untouched.
    let list = get(&app, &a, "/v1/finance/bills").await;
    assert_eq!(rows(&list, "bills", &["name"]), table(&[&["Rent"]]));
    let february = get(&app, &a, "/v1/finance/budgets?month=2026-02").await;
    assert_eq!(envelope_of(&february, "Groceries"), "100.00");
    let _ = (&book.food, &book.dollars, &book.salary);
}

fn envelope_of(month: &Value, name: &str) -> String {
    envelope(month, name)[0].clone()
}

#[tokio::test]
async fn the_openapi_samples_answer_without_a_server_error() {
    let app = app().await;
    let (_, token) = app.person();
    let mut s = Samples::default();
    samples(&mut s, &app, &token).await;
    for sample in &s.0 {
        let status = sample["status"].as_u64().unwrap();
        assert!(status < 500, "{sample}");
    }
    let statuses: std::collections::BTreeSet<u64> =
        s.0.iter().map(|sample| sample["status"].as_u64().unwrap()).collect();
    assert_eq!(statuses, [200, 201, 204, 404, 422].into_iter().collect(), "{:?}", s.0);
}

/// Calls each of this file's operations at least once, answers and errors, for the OpenAPI
/// check (`openapi.rs` wires it in): budgets, bills, reports, exports.
pub async fn samples(s: &mut Samples, app: &AgentsApp, token: &str) {
    let call = |method: Method, path: &str| app.request(method, path, token);
    let book = small_book(app, token).await;
    let envelope = "/v1/finance/budgets/{category_id}/{month}";
    let groceries = format!("/v1/finance/budgets/{}/2026-01", book.groceries);
    s.send(envelope, call(Method::PUT, &groceries).json(&json!({"amount": "150.00"}))).await;
    s.send(envelope, call(Method::PUT, &groceries).json(&json!({"amount": "1.001"}))).await;
    let missing = format!("/v1/finance/budgets/{}/2026-01", uuid::Uuid::new_v4());
    s.send(envelope, call(Method::PUT, &missing).json(&json!({"amount": "1"}))).await;
    s.send("/v1/finance/budgets", call(Method::GET, "/v1/finance/budgets?month=2026-01")).await;
    s.send("/v1/finance/budgets", call(Method::GET, "/v1/finance/budgets?month=x")).await;

    let bills = "/v1/finance/bills";
    let rent = json!({"name": "Rent", "payee_contains": "hausverwaltung", "amount": "-950",
                      "cadence": {"months": 1}, "starts": "2026-01-01",
                      "account_id": book.checking});
    let (_, bill) = s.send(bills, call(Method::POST, bills).json(&rent)).await;
    let bad = json!({"name": "Rent", "amount": "-950", "cadence": {"months": 0},
                     "starts": "2026-01-01"});
    s.send(bills, call(Method::POST, bills).json(&bad)).await;
    s.send(bills, call(Method::GET, bills)).await;
    let one = format!("/v1/finance/bills/{}", id(&bill));
    let template = "/v1/finance/bills/{id}";
    s.send(template, call(Method::PATCH, &one).json(&json!({"tolerance": "5"}))).await;
    s.send(template, call(Method::PATCH, &one).json(&json!({"tolerance": "-5"}))).await;
    let gone = format!("/v1/finance/bills/{}", uuid::Uuid::new_v4());
    s.send(template, call(Method::PATCH, &gone).json(&json!({"name": "x"}))).await;

    for (template, query) in [
        ("/v1/finance/reports/cash-flow", "?from=2026-01&to=2026-04"),
        ("/v1/finance/reports/cash-flow", "?from=2026-04&to=2026-01"),
        ("/v1/finance/reports/spending", "?from=2026-01&to=2026-04&rollup=true"),
        ("/v1/finance/reports/spending", "?from=2026-01-01&to=2026-04-01&by=payee"),
        ("/v1/finance/reports/spending", "?from=2026-01&to=2026-04&by=x"),
        ("/v1/finance/reports/net-worth", "?from=2026-01&to=2026-04"),
        ("/v1/finance/reports/net-worth", "?from=2026-01"),
        ("/v1/finance/reports/budget", "?from=2026-01&to=2026-04"),
        ("/v1/finance/reports/budget", "?from=2026-01-05&to=2026-04"),
        ("/v1/finance/reports/upcoming-bills", "?today=2026-03-20&past=60"),
        ("/v1/finance/reports/upcoming-bills", "?days=1000"),
    ] {
        s.send(template, call(Method::GET, &format!("{template}{query}"))).await;
    }
    s.send("/v1/finance/export.csv", call(Method::GET, "/v1/finance/export.csv")).await;
    s.send("/v1/finance/export.journal", call(Method::GET, "/v1/finance/export.journal")).await;
    s.send(template, call(Method::DELETE, &one)).await;
    s.send(template, call(Method::DELETE, &one)).await;
    let _ = (&book.restaurants, &book.rent, &book.travel, &book.salary, &book.food);
}
