//! The finance plugin over REST and through its tools: accounts with opening balances,
//! categories, transactions against categories, transfers (in one currency and across two),
//! splits; what is refused and why; the database refusing unbalanced books whoever writes
//! them; reconciliation and what it protects; isolation between people; the bookkeeper's
//! tools answering with exact amounts; and a weak model given the amount a spending question
//! asks for without calling or delegating anything.

use chrono::Datelike as _;
use posey_models::testing::{FunctionModel, Reply};
use serde_json::{Value, json};

use crate::helpers::{AgentsApp, Models, events, json_of, scripted_tools, spawn};

/// Opens an account; its id.
pub async fn account(app: &AgentsApp, token: &str, body: Value) -> String {
    let made = json_of(app.post_as("/v1/finance/accounts", token, &body).await, 201).await;
    made["id"].as_str().unwrap().to_owned()
}

/// Makes a category; its id.
pub async fn category(app: &AgentsApp, token: &str, body: Value) -> String {
    let made = json_of(app.post_as("/v1/finance/categories", token, &body).await, 201).await;
    made["id"].as_str().unwrap().to_owned()
}

pub async fn balance(app: &AgentsApp, token: &str, id: &str) -> String {
    let account =
        json_of(app.get_as(&format!("/v1/finance/accounts/{id}"), token).await, 200).await;
    account["balance"].as_str().unwrap().to_owned()
}

async fn count(app: &AgentsApp) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM finance.transactions")
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn accounts_categories_and_transactions_keep_the_books_exact() {
    let app = spawn(Models::test(), None, &[]).await;
    let (_, token) = app.person();
    let checking = account(
        &app,
        &token,
        json!({"name": "Checking", "kind": "asset",
        "subtype": "checking", "currency": "eur", "opening_balance": "1000.00",
        "opening_date": "2026-01-01", "number": "DE89 3704 0044 0532 0130 00"}),
    )
    .await;
    let card = account(
        &app,
        &token,
        json!({"name": "Visa", "kind": "liability",
        "subtype": "credit_card", "currency": "EUR"}),
    )
    .await;
    let dollars = account(
        &app,
        &token,
        json!({"name": "US account", "kind": "asset",
        "currency": "USD"}),
    )
    .await;
    let yen = account(
        &app,
        &token,
        json!({"name": "Tokyo wallet", "kind": "asset",
        "subtype": "cash", "currency": "JPY", "opening_balance": "5000"}),
    )
    .await;
    let settings = json_of(app.get_as("/v1/finance/settings", &token).await, 200).await;
    assert_eq!(settings["currency"], "EUR", "the first account's currency is the person's");
    let listed = json_of(app.get_as("/v1/finance/accounts", &token).await, 200).await;
    let numbers: Vec<&Value> =
        listed["accounts"].as_array().unwrap().iter().map(|a| &a["number"]).collect();
    assert!(numbers.contains(&&json!("DE89370400440532013000")), "{listed}");

    let food = category(&app, &token, json!({"name": "Food"})).await;
    let groceries = category(&app, &token, json!({"name": "Groceries", "parent_id": food})).await;
    let restaurants =
        category(&app, &token, json!({"name": "Restaurants", "parent_id": food})).await;
    let salary = category(&app, &token, json!({"name": "Salary", "kind": "income"})).await;

    let spend = |account: &str, amount: &str, category: &str, payee: &str, date: &str| {
        json!({"account_id": account, "amount": amount, "category_id": category,
               "payee": payee, "date": date})
    };
    for body in [
        spend(&checking, "-45.20", &groceries, "Rewe", "2026-02-03"),
        spend(&checking, "2500.00", &salary, "ACME GmbH", "2026-02-25"),
        spend(&card, "-61.90", &restaurants, "Trattoria", "2026-02-14"),
        spend(&yen, "-1200", &restaurants, "Ichiran", "2026-02-20"),
    ] {
        json_of(app.post_as("/v1/finance/transactions", &token, &body).await, 201).await;
    }
    // Paying the card off is a transfer between two of the person's accounts.
    let paid = json!({"account_id": checking, "amount": "-61.90", "transfer_account_id": card,
                      "date": "2026-02-28", "description": "Card bill"});
    let paid = json_of(app.post_as("/v1/finance/transactions", &token, &paid).await, 201).await;
    assert_eq!(paid["splits"][1]["amount"], "61.90");
    // Across currencies the other side's amount is given, and the rate kept.
    let sent = json!({"account_id": checking, "amount": "-100.00", "transfer_account_id": dollars,
                      "transfer_amount": "108.50", "date": "2026-02-10"});
    let sent = json_of(app.post_as("/v1/finance/transactions", &token, &sent).await, 201).await;
    assert_eq!(sent["currency"], "EUR");
    assert_eq!(sent["splits"][1]["amount"], "108.50");
    assert_eq!(sent["splits"][1]["currency"], "USD");
    assert_eq!(sent["splits"][1]["value"], "100.00");
    // The rate kept is the value per unit of the split's own currency (100 EUR for 108.50 USD),
    // taken on the transaction's day when no other is named; the EUR side has none.
    let (rate, rate_date, back): (String, Option<chrono::NaiveDate>, String) = sqlx::query_as(
        "SELECT rate::text, rate_date, round(rate * amount, 2)::text FROM finance.splits \
         WHERE transaction_id = $1::uuid AND currency = 'USD'",
    )
    .bind(sent["id"].as_str().unwrap())
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert!(rate.starts_with("0.92165898617511520737"), "{rate}");
    assert_eq!(back, "100.00");
    assert_eq!(rate_date, chrono::NaiveDate::from_ymd_opt(2026, 2, 10));
    assert_eq!(sent["splits"][1]["rate"], json!(rate), "{sent}");
    assert_eq!(sent["splits"][1]["rate_date"], "2026-02-10", "{sent}");
    assert_eq!([&sent["splits"][0]["rate"], &sent["splits"][0]["rate_date"]], [&Value::Null; 2]);
    // A rate taken on another day keeps that day.
    let dated = json!({"currency": "EUR", "date": "2026-02-11", "splits": [
        {"account_id": checking, "amount": "-10.00"},
        {"account_id": dollars, "amount": "11.00", "value": "10.00", "rate_date": "2026-02-09"},
    ]});
    let dated = json_of(app.post_as("/v1/finance/transactions", &token, &dated).await, 201).await;
    assert_eq!(
        [&dated["splits"][1]["rate"], &dated["splits"][1]["rate_date"]],
        [&json!("0.9090909090909090909090909091"), &json!("2026-02-09")],
        "{dated}"
    );
    let undone = format!("/v1/finance/transactions/{}", dated["id"].as_str().unwrap());
    json_of(app.delete_as(&undone, &token).await, 204).await;
    // Splits given one by one: a shop's bill over two categories.
    let split = json!({"currency": "EUR", "date": "2026-02-05", "payee": "Rewe",
    "splits": [
        {"account_id": checking, "amount": "-30.00"},
        {"account_id": groceries, "amount": "20.00"},
        {"account_id": restaurants, "amount": "10.00", "memo": "coffee"},
    ]});
    let split = json_of(app.post_as("/v1/finance/transactions", &token, &split).await, 201).await;
    assert_eq!(split["splits"].as_array().unwrap().len(), 3);

    assert_eq!(balance(&app, &token, &checking).await, "3262.90"); // 1000 − 45.20 + 2500 − 61.90 − 100 − 30
    assert_eq!(balance(&app, &token, &card).await, "0.00");
    assert_eq!(balance(&app, &token, &dollars).await, "108.50");
    assert_eq!(balance(&app, &token, &yen).await, "3800");

    // A category's listing holds those under it; words find payees.
    let in_food = json_of(
        app.get_as(&format!("/v1/finance/transactions?category_id={food}"), &token).await,
        200,
    )
    .await;
    assert_eq!(in_food["transactions"].as_array().unwrap().len(), 4, "{in_food}");
    let rewe = json_of(app.get_as("/v1/finance/transactions?q=rew", &token).await, 200).await;
    assert_eq!(rewe["transactions"].as_array().unwrap().len(), 2);
    let february = json_of(
        app.get_as(&format!("/v1/finance/transactions?account_id={checking}&from=2026-02-01&to=2026-03-01&limit=2"), &token).await,
        200,
    )
    .await;
    let dates: Vec<&str> = february["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["date"].as_str().unwrap())
        .collect();
    assert_eq!(dates, ["2026-02-28", "2026-02-25"], "newest first, two per page");
    let payees = json_of(app.get_as("/v1/finance/payees", &token).await, 200).await;
    let rewe = payees["payees"].as_array().unwrap().iter().find(|p| p["name"] == "Rewe").unwrap();
    assert_eq!(rewe["transactions"], 2);

    // Categorising moves the one category split; the amount stays.
    let first = &in_food["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["payee"] == "Ichiran")
        .unwrap()
        .clone();
    let moved = json!({"category_id": groceries});
    let moved = json_of(
        app.patch_as(
            &format!("/v1/finance/transactions/{}", first["id"].as_str().unwrap()),
            &token,
            &moved,
        )
        .await,
        200,
    )
    .await;
    assert_eq!(moved["splits"][1]["account_name"], "Groceries");
    assert_eq!(moved["splits"][1]["amount"], "1200");
    // A transaction of no category (the card bill) cannot be categorised.
    let refused = app
        .patch_as(
            &format!("/v1/finance/transactions/{}", paid["id"].as_str().unwrap()),
            &token,
            &json!({"category_id": groceries}),
        )
        .await;
    let refused = json_of(refused, 422).await;
    assert!(
        refused["error"]["fields"]["category_id"][0].as_str().unwrap().contains("transfer"),
        "{refused}"
    );

    // Without a category, money goes to Posey's uncategorised ones by its sign.
    let loose = json!({"account_id": checking, "amount": "-5.00", "payee": "Kiosk"});
    let loose = json_of(app.post_as("/v1/finance/transactions", &token, &loose).await, 201).await;
    assert_eq!(loose["splits"][1]["account_name"], "Uncategorised");
    let open =
        json_of(app.get_as("/v1/finance/transactions?uncategorised=true", &token).await, 200).await;
    assert_eq!(open["transactions"].as_array().unwrap().len(), 1);

    // A category in use, or with categories under it, is not deleted; an empty one is.
    json_of(app.delete_as(&format!("/v1/finance/categories/{food}"), &token).await, 409).await;
    let spare = category(&app, &token, json!({"name": "Spare"})).await;
    json_of(app.delete_as(&format!("/v1/finance/categories/{spare}"), &token).await, 204).await;
    json_of(app.delete_as(&format!("/v1/finance/accounts/{checking}"), &token).await, 409).await;
}

#[tokio::test]
async fn bad_input_is_refused_by_name_and_nothing_is_written() {
    let app = spawn(Models::test(), None, &[]).await;
    let (_, token) = app.person();
    let checking =
        account(&app, &token, json!({"name": "Checking", "kind": "asset", "currency": "EUR"}))
            .await;
    let yen =
        account(&app, &token, json!({"name": "Yen", "kind": "asset", "currency": "JPY"})).await;
    let groceries = category(&app, &token, json!({"name": "Groceries"})).await;
    let refused = |field: &'static str, body: Value| {
        let app = &app;
        let token = &token;
        async move {
            let answer =
                json_of(app.post_as("/v1/finance/transactions", token, &body).await, 422).await;
            assert!(answer["error"]["fields"][field].is_array(), "{field}: {answer}");
            answer["error"]["fields"][field][0].as_str().unwrap().to_owned()
        }
    };
    let message = refused(
        "amount",
        json!({"account_id": checking, "amount": "12.345", "category_id": groceries}),
    )
    .await;
    assert!(message.contains("minor units"), "{message}");
    refused("amount", json!({"account_id": yen, "amount": "1.5", "category_id": groceries})).await;
    refused("amount", json!({"account_id": checking, "amount": "0", "category_id": groceries}))
        .await;
    let message = refused("splits", json!({"currency": "EUR", "splits": [
        {"account_id": checking, "amount": "-10.00"}, {"account_id": groceries, "amount": "9.99"}]})).await;
    assert!(message.contains("0.01"), "the difference is named: {message}");
    refused("currency", json!({"currency": "EURO", "splits": []})).await;
    let message = refused(
        "splits[1].value",
        json!({"currency": "EUR", "splits": [
        {"account_id": checking, "amount": "-10.00"}, {"account_id": yen, "amount": "1600"}]}),
    )
    .await;
    assert!(message.contains("JPY"), "{message}");
    refused("account_id", json!({"account_id": groceries, "amount": "-1.00"})).await;
    refused("category_id", json!({"account_id": checking, "amount": "-1.00", "category_id": yen}))
        .await;
    refused(
        "transfer_amount",
        json!({"account_id": checking, "amount": "-1.00", "transfer_account_id": yen}),
    )
    .await;
    refused("account_id", json!({"account_id": uuid::Uuid::now_v7(), "amount": "-1.00"})).await;
    let closed = app
        .patch_as(&format!("/v1/finance/accounts/{yen}"), &token, &json!({"closed": true}))
        .await;
    assert!(json_of(closed, 200).await["closed_at"].is_string());
    let message = refused(
        "transfer_account_id",
        json!({"account_id": checking, "amount": "-1.00",
        "transfer_account_id": yen, "transfer_amount": "160"}),
    )
    .await;
    assert!(message.contains("closed"), "{message}");
    assert_eq!(count(&app).await, 0);

    // Accounts and categories: named problems, and names unique per person.
    let bad = json_of(
        app.post_as(
            "/v1/finance/accounts",
            &token,
            &json!({"name": " ", "kind": "asset", "currency": "EUR"}),
        )
        .await,
        422,
    )
    .await;
    assert!(bad["error"]["fields"]["name"].is_array());
    let bad = json_of(
        app.post_as(
            "/v1/finance/accounts",
            &token,
            &json!({"name": "X", "kind": "expense", "currency": "EUR"}),
        )
        .await,
        422,
    )
    .await;
    assert!(bad["error"]["fields"]["kind"].is_array());
    let bad = json_of(
        app.post_as(
            "/v1/finance/accounts",
            &token,
            &json!({"name": "X", "kind": "asset", "currency": "XYZ"}),
        )
        .await,
        422,
    )
    .await;
    assert!(bad["error"]["fields"]["currency"].is_array());
    let bad = json_of(
        app.post_as(
            "/v1/finance/accounts",
            &token,
            &json!({"name": "X", "kind": "asset", "subtype": "loan", "currency": "EUR"}),
        )
        .await,
        422,
    )
    .await;
    assert!(bad["error"]["fields"]["subtype"].is_array());
    json_of(
        app.post_as(
            "/v1/finance/accounts",
            &token,
            &json!({"name": "checking", "kind": "asset", "currency": "EUR"}),
        )
        .await,
        409,
    )
    .await;
    let loop_ = app
        .patch_as(
            &format!("/v1/finance/categories/{groceries}"),
            &token,
            &json!({"parent_id": groceries}),
        )
        .await;
    json_of(loop_, 422).await;
    let settings = app
        .request(reqwest::Method::PUT, "/v1/finance/settings", &token)
        .json(&json!({"currency": "ABC"}));
    json_of(settings.send().await.unwrap(), 422).await;
}

#[tokio::test]
async fn the_database_refuses_unbalanced_books_whoever_writes_them() {
    let app = spawn(Models::test(), None, &[]).await;
    let (person, token) = app.person();
    let checking =
        account(&app, &token, json!({"name": "Checking", "kind": "asset", "currency": "EUR"}))
            .await;
    let groceries = category(&app, &token, json!({"name": "Groceries"})).await;
    let made = json!({"account_id": checking, "amount": "-10.00", "category_id": groceries});
    let made = json_of(app.post_as("/v1/finance/transactions", &token, &made).await, 201).await;
    let id: uuid::Uuid = made["id"].as_str().unwrap().parse().unwrap();
    let pool = &app.db.pool;
    // Changing one leg alone leaves the transaction off by a cent: refused.
    let error = sqlx::query("UPDATE finance.splits SET amount = amount + 0.01, value = value + 0.01 WHERE transaction_id = $1 AND position = 0")
        .bind(id)
        .execute(pool)
        .await
        .unwrap_err();
    let error = error.as_database_error().unwrap();
    assert_eq!(error.constraint(), Some("splits_balance"), "{error}");
    // Deleting one leg of two: refused.
    let error =
        sqlx::query("DELETE FROM finance.splits WHERE transaction_id = $1 AND position = 0")
            .bind(id)
            .execute(pool)
            .await
            .unwrap_err();
    assert_eq!(error.as_database_error().unwrap().constraint(), Some("splits_balance"));
    // A split in another currency than its account's: refused.
    let error = sqlx::query("UPDATE finance.splits SET currency = 'USD' WHERE transaction_id = $1")
        .bind(id)
        .execute(pool)
        .await
        .unwrap_err();
    assert_eq!(error.as_database_error().unwrap().constraint(), Some("splits_agree"));
    // The books are as they were, and the monthly roll-up agrees with the splits.
    assert_eq!(balance(&app, &token, &checking).await, "-10.00");
    let off: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM (SELECT account_id, date_trunc('month', date)::date AS month, currency, sum(amount) AS amount
                               FROM finance.splits WHERE user_id = $1 GROUP BY 1, 2, 3) s
         FULL JOIN (SELECT * FROM finance.account_months WHERE user_id = $1) m USING (account_id, month, currency)
         WHERE s.amount IS DISTINCT FROM m.amount",
    )
    .bind(person)
    .fetch_one(pool)
    .await
    .unwrap();
    assert_eq!(off, 0);
}

#[tokio::test]
async fn reconciling_protects_what_the_statement_confirmed() {
    let app = spawn(Models::test(), None, &[]).await;
    let (_, token) = app.person();
    let checking = account(
        &app,
        &token,
        json!({"name": "Checking", "kind": "asset", "currency": "EUR",
        "opening_balance": "100.00", "opening_date": "2026-03-01"}),
    )
    .await;
    let groceries = category(&app, &token, json!({"name": "Groceries"})).await;
    let made = json!({"account_id": checking, "amount": "-25.50", "category_id": groceries, "date": "2026-03-05"});
    let made = json_of(app.post_as("/v1/finance/transactions", &token, &made).await, 201).await;
    let later = json!({"account_id": checking, "amount": "-4.00", "category_id": groceries, "date": "2026-04-02"});
    let later = json_of(app.post_as("/v1/finance/transactions", &token, &later).await, 201).await;
    let reconcile = format!("/v1/finance/accounts/{checking}/reconcile");

    let wrong =
        app.post_as(&reconcile, &token, &json!({"date": "2026-03-31", "balance": "75.00"})).await;
    let wrong = json_of(wrong, 422).await;
    let message = wrong["error"]["fields"]["statement_balance"][0].as_str().unwrap();
    assert!(message.contains("74.50 EUR") && message.contains("0.50 EUR"), "{message}");
    let listed =
        json_of(app.get_as("/v1/finance/transactions?status=reconciled", &token).await, 200).await;
    assert_eq!(listed["transactions"].as_array().unwrap().len(), 0);

    let right =
        app.post_as(&reconcile, &token, &json!({"date": "2026-03-31", "balance": "74.50"})).await;
    let right = json_of(right, 200).await;
    assert_eq!(right["transactions"], 2, "the opening balance and the purchase");
    let one = format!("/v1/finance/transactions/{}", made["id"].as_str().unwrap());
    assert_eq!(json_of(app.get_as(&one, &token).await, 200).await["status"], "reconciled");
    let after = format!("/v1/finance/transactions/{}", later["id"].as_str().unwrap());
    assert_eq!(json_of(app.get_as(&after, &token).await, 200).await["status"], "uncleared");

    // A silent edit or delete is refused; said plainly, it is done.
    json_of(
        app.patch_as(
            &one,
            &token,
            &json!({"amount": "-26.00", "account_id": checking, "category_id": groceries}),
        )
        .await,
        409,
    )
    .await;
    json_of(app.delete_as(&one, &token).await, 409).await;
    let changed = json!({"description": "corrected", "confirm_reconciled": true});
    assert_eq!(
        json_of(app.patch_as(&one, &token, &changed).await, 200).await["description"],
        "corrected"
    );
    json_of(app.delete_as(&format!("{one}?confirm_reconciled=true"), &token).await, 204).await;
    assert_eq!(balance(&app, &token, &checking).await, "96.00");
}

#[tokio::test]
async fn one_persons_books_are_invisible_and_unusable_to_another() {
    let app = spawn(Models::test(), None, &[]).await;
    let (_, alice) = app.person();
    let (_, bob) = app.person();
    let checking =
        account(&app, &alice, json!({"name": "Checking", "kind": "asset", "currency": "EUR"}))
            .await;
    let groceries = category(&app, &alice, json!({"name": "Groceries"})).await;
    let made = json!({"account_id": checking, "amount": "-10.00", "category_id": groceries, "payee": "Rewe"});
    let made = json_of(app.post_as("/v1/finance/transactions", &alice, &made).await, 201).await;
    let transaction = format!("/v1/finance/transactions/{}", made["id"].as_str().unwrap());

    for path in [
        "/v1/finance/accounts",
        "/v1/finance/categories",
        "/v1/finance/transactions",
        "/v1/finance/payees",
    ] {
        let seen = json_of(app.get_as(path, &bob).await, 200).await;
        let list = seen.as_object().unwrap().values().next().unwrap();
        assert_eq!(list.as_array().unwrap().len(), 0, "{path}: {seen}");
    }
    json_of(app.get_as(&format!("/v1/finance/accounts/{checking}"), &bob).await, 404).await;
    json_of(app.get_as(&transaction, &bob).await, 404).await;
    json_of(app.patch_as(&transaction, &bob, &json!({"description": "mine"})).await, 404).await;
    json_of(app.delete_as(&transaction, &bob).await, 404).await;
    json_of(
        app.patch_as(&format!("/v1/finance/categories/{groceries}"), &bob, &json!({"name": "x"}))
            .await,
        404,
    )
    .await;
    json_of(app.delete_as(&format!("/v1/finance/accounts/{checking}"), &bob).await, 404).await;
    json_of(
        app.post_as(
            &format!("/v1/finance/accounts/{checking}/reconcile"),
            &bob,
            &json!({"date": "2026-01-01", "balance": "0"}),
        )
        .await,
        404,
    )
    .await;
    // Alice's account and category cannot carry Bob's money either.
    let his =
        account(&app, &bob, json!({"name": "Mine", "kind": "asset", "currency": "EUR"})).await;
    let stolen = json!({"account_id": his, "amount": "-1.00", "category_id": groceries});
    json_of(app.post_as("/v1/finance/transactions", &bob, &stolen).await, 422).await;
    let stolen = json!({"account_id": his, "amount": "-1.00", "transfer_account_id": checking});
    json_of(app.post_as("/v1/finance/transactions", &bob, &stolen).await, 422).await;
    json_of(
        app.post_as(
            "/v1/finance/categories",
            &bob,
            &json!({"name": "Sub", "parent_id": groceries}),
        )
        .await,
        422,
    )
    .await;
    assert_eq!(balance(&app, &alice, &checking).await, "-10.00");
}

const AGENTS: &str = r#"
router: keeper
agents:
  - name: keeper
    description: Keeps the books.
    prompt: You keep the person's books.
    plugins: [finance]
"#;

async fn call(
    app: &AgentsApp,
    token: &str,
    conversation: &str,
    tool: &str,
    arguments: Value,
) -> (bool, Value) {
    let stream = app.chat(token, conversation, &format!("{tool} {arguments}")).await;
    assert_eq!(stream.last().unwrap().event, "done", "{stream:?}");
    let results = events(&stream, "tool_result");
    assert_eq!(results.len(), 1, "{stream:?}");
    assert_eq!(results[0]["name"], tool);
    let content = results[0]["content"].as_str().unwrap();
    (results[0]["is_error"] == true, serde_json::from_str(content).unwrap_or(json!(content)))
}

#[tokio::test]
async fn the_bookkeepers_tools_answer_with_exact_amounts() {
    let app = spawn(Models::default().with("test", scripted_tools()), Some(AGENTS), &[]).await;
    let (_, token) = app.person();
    let checking = account(
        &app,
        &token,
        json!({"name": "Checking", "kind": "asset", "currency": "EUR",
        "opening_balance": "500.00", "opening_date": "2026-01-01"}),
    )
    .await;
    let food = category(&app, &token, json!({"name": "Food"})).await;
    let groceries = category(&app, &token, json!({"name": "Groceries", "parent_id": food})).await;
    category(&app, &token, json!({"name": "Rent"})).await;
    let conversation = app.conversation(&token, None).await;

    for (amount, date) in
        [("-45.20", "2026-02-03"), ("-12.35", "2026-02-17"), ("-9.99", "2026-03-01")]
    {
        let (failed, added) = call(&app, &token, &conversation, "finance_add_transaction",
            json!({"account": "checking", "amount": amount, "category": "groceries", "payee": "Rewe", "date": date})).await;
        assert!(!failed, "{added}");
        assert_eq!(added["recorded"]["money"][0]["amount"], format!("{amount} EUR"));
    }
    let (_, spent) = call(
        &app,
        &token,
        &conversation,
        "finance_spending",
        json!({"category": "Food", "month": "2026-02"}),
    )
    .await;
    assert_eq!(spent["totals"], json!([{"total": "57.55 EUR", "transactions": 2}]), "{spent}");
    assert_eq!(spent["to"], "2026-02-28");
    let (_, at_rewe) = call(
        &app,
        &token,
        &conversation,
        "finance_spending",
        json!({"payee": "rewe", "from": "2026-01-01", "to": "2026-03-01"}),
    )
    .await;
    assert_eq!(at_rewe["totals"][0]["total"], "-67.54 EUR");
    let (_, accounts) = call(&app, &token, &conversation, "finance_accounts", json!({})).await;
    assert_eq!(accounts["accounts"][0]["balance"], "432.46 EUR");
    let (_, found) = call(
        &app,
        &token,
        &conversation,
        "finance_transactions",
        json!({"text": "rewe", "from": "2026-02-10"}),
    )
    .await;
    let found = found["transactions"].as_array().unwrap().clone();
    assert_eq!(found.len(), 2);
    let (failed, moved) = call(
        &app,
        &token,
        &conversation,
        "finance_categorise",
        json!({"transaction_id": found[0]["id"], "category": "rent"}),
    )
    .await;
    assert!(!failed, "{moved}");
    assert_eq!(moved["categorised"]["categories"], json!(["Rent"]));
    // The month's envelopes, overspending told as it is.
    let envelope = format!("/v1/finance/budgets/{groceries}/2026-02");
    let set = app.request(reqwest::Method::PUT, &envelope, &token).json(&json!({"amount": "50"}));
    json_of(set.send().await.unwrap(), 200).await;
    let (failed, budget) =
        call(&app, &token, &conversation, "finance_budget", json!({"month": "2026-02"})).await;
    assert!(!failed, "{budget}");
    assert_eq!(
        budget["categories"],
        json!([{"category": "Groceries", "budgeted": "50.00 EUR", "spent": "57.55 EUR",
                "available": "-7.55 EUR", "overspent": true}]),
        "{budget}"
    );
    // What the tools cannot resolve is said with the choices.
    let (failed, said) =
        call(&app, &token, &conversation, "finance_spending", json!({"category": "Travel"})).await;
    assert!(failed);
    assert!(said.as_str().unwrap().contains("Groceries"), "{said}");
    let (failed, said) = call(
        &app,
        &token,
        &conversation,
        "finance_add_transaction",
        json!({"account": "checking", "amount": "-1.005", "category": "rent"}),
    )
    .await;
    assert!(failed && said.as_str().unwrap().contains("minor units"), "{said}");
    assert_eq!(balance(&app, &token, &checking).await, "432.46");
}

/// Bob's tools, given Alice's names and ids, find nothing of hers and change nothing: every
/// lookup is by the person the runtime says is talking, not by what the model passes.
#[tokio::test]
async fn the_tools_give_another_person_nothing_of_ones_books() {
    let app = spawn(Models::default().with("test", scripted_tools()), Some(AGENTS), &[]).await;
    let (_, alice) = app.person();
    let checking = account(
        &app,
        &alice,
        json!({"name": "Alice Checking", "kind": "asset", "currency": "EUR",
               "opening_balance": "500.00", "opening_date": "2026-01-01"}),
    )
    .await;
    let groceries = category(&app, &alice, json!({"name": "Alice Groceries"})).await;
    let rent = category(&app, &alice, json!({"name": "Alice Rent"})).await;
    let bought = json!({"account_id": checking, "amount": "-45.20", "category_id": groceries,
                        "payee": "Alice Grocer", "date": "2026-02-03"});
    let bought = json_of(app.post_as("/v1/finance/transactions", &alice, &bought).await, 201).await;
    let bought = bought["id"].as_str().unwrap().to_owned();
    let rule = json!({"name": "Alice Rule", "rule": {"match_all": true,
        "conditions": [{"type": "payee_contains", "value": "grocer"}],
        "actions": [{"type": "set_category", "id": rent}]}});
    let rule = json_of(app.post_as("/v1/finance/rules", &alice, &rule).await, 201).await;
    let rule = rule["id"].as_str().unwrap().to_owned();
    let budget = format!("/v1/finance/budgets/{groceries}/2026-02");
    let set = app.request(reqwest::Method::PUT, &budget, &alice).json(&json!({"amount": "80"}));
    json_of(set.send().await.unwrap(), 200).await;

    // Bob keeps books of his own, in the same currency, so that his tools have something to
    // answer with.
    let (_, bob) = app.person();
    let wallet =
        account(&app, &bob, json!({"name": "Wallet", "kind": "asset", "currency": "EUR"})).await;
    let misc = category(&app, &bob, json!({"name": "Misc"})).await;
    let his = json!({"account_id": wallet, "amount": "-3.00", "category_id": misc,
                     "payee": "Kiosk", "date": "2026-02-04"});
    let his = json_of(app.post_as("/v1/finance/transactions", &bob, &his).await, 201).await;
    let his = his["id"].as_str().unwrap().to_owned();
    let conversation = app.conversation(&bob, None).await;

    // Nothing of Alice's is in an answer but what Bob's own arguments named.
    let hers = [
        "Alice",
        "Grocer",
        "45.20",
        "500.00",
        "80.00",
        checking.as_str(),
        groceries.as_str(),
        rent.as_str(),
        bought.as_str(),
        rule.as_str(),
    ];
    let calls = [
        ("finance_accounts", json!({})),
        ("finance_spending", json!({"category": "Alice Groceries", "month": "2026-02"})),
        ("finance_spending", json!({"category": groceries, "month": "2026-02"})),
        ("finance_spending", json!({"payee": "grocer", "from": "2026-01-01", "to": "2026-03-31"})),
        ("finance_transactions", json!({"text": "grocer"})),
        ("finance_transactions", json!({"account": "Alice Checking"})),
        ("finance_transactions", json!({"account": checking})),
        ("finance_transactions", json!({"category": groceries})),
        ("finance_transactions", json!({"from": "2026-01-01", "to": "2026-12-31"})),
        ("finance_budget", json!({"month": "2026-02"})),
        ("finance_categorise", json!({"transaction_id": bought, "category": "Misc"})),
        ("finance_categorise", json!({"transaction_id": bought, "category": "Alice Rent"})),
        ("finance_categorise", json!({"transaction_id": his, "category": rent})),
        ("finance_apply_rule", json!({"rule": "Alice Rule"})),
        ("finance_apply_rule", json!({"rule": rule})),
    ];
    let mut answers = Vec::new();
    for (tool, arguments) in calls {
        let (failed, said) = call(&app, &bob, &conversation, tool, arguments.clone()).await;
        let given = arguments.to_string();
        let text = said.to_string();
        for secret in hers.iter().filter(|h| !given.contains(**h)) {
            assert!(!text.contains(secret), "{tool} {given} told Bob {secret:?}: {text}");
        }
        answers.push((tool, given, failed, said));
    }
    let answer = |at: usize| &answers[at].3;
    let failed = |at: usize| answers[at].2;
    assert_eq!(answer(0)["accounts"].as_array().unwrap().len(), 1, "{}", answer(0));
    assert_eq!(answer(0)["accounts"][0]["name"], "Wallet");
    // Her category is not his, by name or id; her payee has nothing of his.
    assert!(failed(1) && failed(2), "{} / {}", answer(1), answer(2));
    assert!(!failed(3) && answer(3)["totals"] == json!([]), "{}", answer(3));
    // Searching finds his transactions only; her account and category are not his.
    assert_eq!(answer(4)["transactions"], json!([]), "{}", answer(4));
    assert!(failed(5) && failed(6) && failed(7), "{} / {} / {}", answer(5), answer(6), answer(7));
    let seen = answer(8)["transactions"].as_array().unwrap();
    assert_eq!(seen.len(), 1, "{}", answer(8));
    assert_eq!(seen[0]["id"], his.as_str());
    // His budget has his category only, and none of her money.
    assert!(!failed(9), "{}", answer(9));
    assert_eq!(
        answer(9)["categories"],
        json!([{"category": "Misc", "budgeted": "0.00 EUR", "spent": "3.00 EUR",
                "available": "-3.00 EUR", "overspent": true}]),
        "{}",
        answer(9)
    );
    assert_eq!(answer(9)["income"], "0.00 EUR");
    // Her transaction cannot be categorised by him, nor his put in her category; her rule is
    // nothing he can run (and nothing is asked).
    for (tool, given, failed, said) in &answers[10..15] {
        assert!(failed, "{tool} {given}: {said}");
    }
    let asked: i64 = sqlx::query_scalar("SELECT count(*) FROM agents.pending_actions")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(asked, 0, "a confirmation was asked of Bob");

    // Alice's books are as she left them, and his transaction still in his category.
    let mine =
        json_of(app.get_as(&format!("/v1/finance/transactions/{bought}"), &alice).await, 200).await;
    let categories: Vec<&Value> = mine["splits"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["account_kind"] == "expense")
        .map(|s| &s["account_id"])
        .collect();
    assert_eq!(categories, [&json!(groceries)], "{mine}");
    assert_eq!(in_category(&app, &alice, &rent).await, 0);
    assert_eq!(balance(&app, &alice, &checking).await, "454.80");
    assert_eq!(in_category(&app, &bob, &misc).await, 1);
    let february =
        json_of(app.get_as("/v1/finance/budgets?month=2026-02", &alice).await, 200).await;
    assert_eq!(february["categories"][0]["activity"], "-45.20", "{february}");
}

async fn in_category(app: &AgentsApp, token: &str, category: &str) -> usize {
    let path = format!("/v1/finance/transactions?category_id={category}");
    json_of(app.get_as(&path, token).await, 200).await["transactions"].as_array().unwrap().len()
}

/// What a turn asked the person to confirm; nothing else happened in it.
async fn asked(
    app: &AgentsApp,
    token: &str,
    conversation: &str,
    tool: &str,
    arguments: Value,
) -> String {
    let stream = app.chat(token, conversation, &format!("{tool} {arguments}")).await;
    let asked = events(&stream, "confirmation");
    assert_eq!(asked.len(), 1, "{stream:?}");
    asked[0]["action_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn rules_over_the_past_and_deleting_an_import_wait_for_the_persons_yes() {
    let app = spawn(Models::default().with("test", scripted_tools()), Some(AGENTS), &[]).await;
    let (_, token) = app.person();
    let checking = account(
        &app,
        &token,
        json!({"name": "Checking", "kind": "asset", "currency": "USD",
        "opening_balance": "160.49", "opening_date": "2011-01-01"}),
    )
    .await;
    let bills = category(&app, &token, json!({"name": "Bills"})).await;
    let file = std::fs::read(format!(
        "{}/../../crates/posey-finance/tests/finance/fixtures/ofxparse/checking.ofx",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let upload = app
        .request(
            reqwest::Method::POST,
            &format!("/v1/finance/imports?account_id={checking}"),
            &token,
        )
        .body(file)
        .send()
        .await
        .unwrap();
    let import = json_of(upload, 201).await;
    let import_id = import["id"].as_str().unwrap().to_owned();
    let committed =
        app.post_as(&format!("/v1/finance/imports/{import_id}/commit"), &token, &json!({})).await;
    assert_eq!(json_of(committed, 200).await["added"], 3);
    let rule = json!({"name": "Electricity", "rule": {"match_all": true,
        "conditions": [{"type": "payee_contains", "value": "electric"}],
        "actions": [{"type": "set_category", "id": bills}]}});
    json_of(app.post_as("/v1/finance/rules", &token, &rule).await, 201).await;
    let conversation = app.conversation(&token, None).await;

    // The rule over the past: asked, nothing changed until the yes, then changed once.
    let action =
        asked(&app, &token, &conversation, "finance_apply_rule", json!({"rule": "electricity"}))
            .await;
    assert_eq!(in_category(&app, &token, &bills).await, 0);
    let confirmed = app.post_as(&format!("/v1/actions/{action}/confirm"), &token, &json!({})).await;
    let confirmed = json_of(confirmed, 200).await;
    assert_eq!(in_category(&app, &token, &bills).await, 1, "{confirmed}");
    // Nothing left to change: no question.
    let (failed, nothing) =
        call(&app, &token, &conversation, "finance_apply_rule", json!({"rule": "Electricity"}))
            .await;
    assert!(!failed && nothing["changed"] == 0, "{nothing}");

    // Deleting the import: asked; a denial keeps it; a yes removes its three transactions.
    let action = asked(
        &app,
        &token,
        &conversation,
        "finance_delete_import",
        json!({"import_id": import_id}),
    )
    .await;
    json_of(app.post_as(&format!("/v1/actions/{action}/deny"), &token, &json!({})).await, 200)
        .await;
    assert_eq!(balance(&app, &token, &checking).await, "100.99");
    let action = asked(
        &app,
        &token,
        &conversation,
        "finance_delete_import",
        json!({"import_id": import_id}),
    )
    .await;
    json_of(app.post_as(&format!("/v1/actions/{action}/confirm"), &token, &json!({})).await, 200)
        .await;
    assert_eq!(balance(&app, &token, &checking).await, "160.49");
    // Someone else's import is nothing to ask about.
    let (_, bob) = app.person();
    let theirs = app.conversation(&bob, None).await;
    let (failed, said) =
        call(&app, &bob, &theirs, "finance_delete_import", json!({"import_id": import_id})).await;
    assert!(failed, "{said}");
}

/// Calls each of the core finance operations at least once, answers and errors, for the
/// OpenAPI check (`openapi.rs`): settings, accounts, reconciling, categories, payees,
/// transactions.
#[tokio::test]
async fn a_weak_model_is_given_what_a_spending_question_asks_for() {
    // The model repeats what it was given next to the message: the lookup is the runtime's.
    let model = FunctionModel::new(|input| {
        assert!(!input.tool_names().contains(&"finance_spending".to_owned()));
        let asked = format!("{:?}", input.request.chat_history);
        let found = asked
            .split("finance_spending found, for this message:\\n")
            .nth(1)
            .map(|rest| rest.split('"').next().unwrap_or_default().to_owned());
        Reply::text(found.unwrap_or_else(|| "nothing".to_owned()))
    });
    let vars =
        [("POSEY_MODEL_TOOLS", "weak".to_owned()), ("POSEY_MODEL_DELEGATION", "false".into())];
    // The built-in agents: the router has no finance plugin; its bookkeeper has.
    let app = spawn(Models::default().with("test", model), None, &vars).await;
    let (_, token) = app.person();
    let checking =
        account(&app, &token, json!({"name": "Checking", "kind": "asset", "currency": "EUR"}))
            .await;
    let food = category(&app, &token, json!({"name": "Food"})).await;
    let groceries = category(&app, &token, json!({"name": "Groceries", "parent_id": food})).await;
    let rent = category(&app, &token, json!({"name": "Rent"})).await;
    let today = chrono::Utc::now().date_naive();
    let last_month = chrono::NaiveDate::from_ymd_opt(today.year(), today.month(), 1).unwrap()
        - chrono::Months::new(1);
    for (amount, category, day) in
        [("-30.25", &groceries, 3), ("-12.25", &groceries, 20), ("-900", &rent, 1)]
    {
        let body = json!({"account_id": checking, "amount": amount, "category_id": category,
                          "date": last_month.with_day(day).unwrap(), "payee": "Edeka"});
        json_of(app.post_as("/v1/finance/transactions", &token, &body).await, 201).await;
    }
    let this_month = json!({"account_id": checking, "amount": "-5.00", "category_id": groceries,
                            "date": today, "payee": "Edeka"});
    json_of(app.post_as("/v1/finance/transactions", &token, &this_month).await, 201).await;
    let conversation = app.conversation(&token, None).await;
    let said = |stream: &[crate::helpers::Sse]| -> String {
        events(stream, "text").iter().map(|e| e["delta"].as_str().unwrap()).collect()
    };
    let last = (last_month + chrono::Months::new(1)).pred_opt().unwrap();

    let stream =
        app.chat(&token, &conversation, "How much did I spend on groceries last month?").await;
    assert_eq!(
        said(&stream),
        format!("Spent on Groceries from {last_month} to {last}: 42.50 EUR in 2 transactions.")
    );
    let calls = events(&stream, "tool_call");
    assert_eq!(calls.len(), 1, "{stream:?}");
    assert_eq!(calls[0]["name"], "finance_spending");
    assert_eq!(calls[0]["arguments"]["category"], "Groceries");

    // No category named: the month's largest, and the whole.
    let stream = app.chat(&token, &conversation, "What did I spend last month?").await;
    assert_eq!(
        said(&stream),
        format!(
            "Spent from {last_month} to {last}: 942.50 EUR in all; most on Rent 900.00 EUR, \
             Food 42.50 EUR."
        )
    );
    // A payee instead.
    let stream = app.chat(&token, &conversation, "How much did I pay at Edeka this month?").await;
    assert!(
        said(&stream).contains("Edeka") && said(&stream).contains("-5.00 EUR"),
        "{}",
        said(&stream)
    );
    // Other messages look nothing up.
    let stream = app.chat(&token, &conversation, "Hello, how are you?").await;
    assert_eq!(said(&stream), "nothing");
    assert!(events(&stream, "tool_call").is_empty());
}

pub async fn samples(s: &mut posey_testkit::openapi::Samples, app: &AgentsApp, token: &str) {
    use reqwest::Method;
    let call = |method: Method, path: &str| app.request(method, path, token);
    let settings = "/v1/finance/settings";
    s.send(settings, call(Method::GET, settings)).await;
    s.send(settings, call(Method::PUT, settings).json(&json!({"currency": "EUR"}))).await;
    s.send(settings, call(Method::PUT, settings).json(&json!({"currency": "EURO"}))).await;

    let accounts = "/v1/finance/accounts";
    let opened = json!({"name": "Samples", "kind": "asset", "subtype": "checking", "currency": "EUR",
                        "opening_balance": "10.00", "opening_date": "2026-01-01"});
    let (_, account) = s.send(accounts, call(Method::POST, accounts).json(&opened)).await;
    s.send(
        accounts,
        call(Method::POST, accounts).json(&json!({"name": "", "kind": "asset", "currency": "EUR"})),
    )
    .await;
    s.send(accounts, call(Method::POST, accounts).json(&opened)).await;
    s.send(accounts, call(Method::GET, accounts)).await;
    let one = format!("/v1/finance/accounts/{}", account["id"].as_str().unwrap());
    let nobody = format!("/v1/finance/accounts/{}", uuid::Uuid::now_v7());
    let template = "/v1/finance/accounts/{id}";
    s.send(template, call(Method::GET, &one)).await;
    s.send(template, call(Method::GET, &nobody)).await;
    s.send(
        template,
        call(Method::PATCH, &one).json(&json!({"number": "DE02 1203 0000 0000 2020 51"})),
    )
    .await;
    s.send(template, call(Method::PATCH, &one).json(&json!({"subtype": "loan"}))).await;

    let categories = "/v1/finance/categories";
    let (_, food) = s
        .send(categories, call(Method::POST, categories).json(&json!({"name": "Samples food"})))
        .await;
    s.send(categories, call(Method::POST, categories).json(&json!({"name": "x", "kind": "asset"})))
        .await;
    s.send(categories, call(Method::GET, categories)).await;
    let category = format!("/v1/finance/categories/{}", food["id"].as_str().unwrap());
    let category_template = "/v1/finance/categories/{id}";
    s.send(
        category_template,
        call(Method::PATCH, &category).json(&json!({"rollover_overspending": true})),
    )
    .await;
    s.send(category_template, call(Method::PATCH, &category).json(&json!({"name": ""}))).await;

    let transactions = "/v1/finance/transactions";
    let spent = json!({"account_id": account["id"], "amount": "-2.50", "category_id": food["id"],
                       "payee": "Bakery", "date": "2026-01-02", "tags": ["breakfast"]});
    let (_, made) = s.send(transactions, call(Method::POST, transactions).json(&spent)).await;
    s.send(
        transactions,
        call(Method::POST, transactions)
            .json(&json!({"account_id": account["id"], "amount": "1.001"})),
    )
    .await;
    s.send(transactions, call(Method::GET, &format!("{transactions}?q=bakery&limit=5"))).await;
    s.send(transactions, call(Method::GET, &format!("{transactions}?limit=0"))).await;
    let transaction = format!("/v1/finance/transactions/{}", made["id"].as_str().unwrap());
    let transaction_template = "/v1/finance/transactions/{id}";
    s.send(transaction_template, call(Method::GET, &transaction)).await;
    s.send(transaction_template, call(Method::PATCH, &transaction).json(&json!({"notes": "warm"})))
        .await;
    s.send(
        transaction_template,
        call(Method::PATCH, &transaction).json(&json!({"status": "lost"})),
    )
    .await;
    s.send("/v1/finance/payees", call(Method::GET, "/v1/finance/payees")).await;

    let reconcile = "/v1/finance/accounts/{id}/reconcile";
    let statement = format!("{one}/reconcile");
    s.send(
        reconcile,
        call(Method::POST, &statement).json(&json!({"date": "2026-01-31", "balance": "1.00"})),
    )
    .await;
    s.send(
        reconcile,
        call(Method::POST, &statement).json(&json!({"date": "2026-01-31", "balance": "7.50"})),
    )
    .await;
    s.send(transaction_template, call(Method::DELETE, &transaction)).await;
    s.send(
        transaction_template,
        call(Method::DELETE, &format!("{transaction}?confirm_reconciled=true")),
    )
    .await;
    s.send(transaction_template, call(Method::DELETE, &transaction)).await;
    s.send(category_template, call(Method::DELETE, &category)).await;
    s.send(template, call(Method::DELETE, &one)).await;
    s.send(template, call(Method::DELETE, &nobody)).await;
}
