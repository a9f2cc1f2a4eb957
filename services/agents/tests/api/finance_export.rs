//! The finance plugin's part of `GET /v1/me/export` (`finance/`): the books as the export
//! routes' CSV and hledger journal, and the rest as the lists give it; nothing of anyone
//! else's books.

use serde_json::json;

use crate::export::{export_of, json_in};
use crate::finance::{account, category};
use crate::helpers::{Models, json_of, spawn};

#[tokio::test]
async fn a_persons_books_are_in_their_export_and_no_one_elses() {
    let app = spawn(Models::test(), None, &[]).await;
    let (_, ada) = app.person();
    let (_, bob) = app.person();

    let checking = account(
        &app,
        &ada,
        json!({"name": "Checking", "kind": "asset", "currency": "EUR",
               "opening_balance": "1000.00", "opening_date": "2026-01-01"}),
    )
    .await;
    let groceries = category(&app, &ada, json!({"name": "Groceries"})).await;
    let spent = json!({"account_id": checking, "amount": "-45.27", "category_id": groceries,
                       "payee": "Rewe", "date": "2026-02-03"});
    json_of(app.post_as("/v1/finance/transactions", &ada, &spent).await, 201).await;
    let envelope = app
        .request(reqwest::Method::PUT, &format!("/v1/finance/budgets/{groceries}/2026-02"), &ada)
        .json(&json!({"amount": "300.00"}));
    json_of(envelope.send().await.unwrap(), 200).await;
    // A purchase abroad: notes on the transaction, a memo on each split, and the dollar
    // side converted at a rate of its own day.
    let dollars =
        account(&app, &ada, json!({"name": "Dollars", "kind": "asset", "currency": "USD"})).await;
    let abroad = json!({"date": "2026-02-10", "currency": "EUR",
        "notes": "Paid in New York,\nreceipt in the drawer",
        "splits": [
            {"account_id": dollars, "amount": "-108.50", "value": "-100.00",
             "rate_date": "2026-02-09", "memo": "card abroad"},
            {"account_id": groceries, "amount": "100.00", "memo": "for the party"}]});
    json_of(app.post_as("/v1/finance/transactions", &ada, &abroad).await, 201).await;
    // Bob's books, which must not be in Ada's export.
    let his =
        account(&app, &bob, json!({"name": "Bob's bank", "kind": "asset", "currency": "EUR"}))
            .await;
    let his_spend = json!({"account_id": his, "amount": "-999.13", "payee": "Bobs Secret Shop"});
    json_of(app.post_as("/v1/finance/transactions", &bob, &his_spend).await, 201).await;

    let files = export_of(&app, &ada).await;
    let text = |name: &str| {
        let bytes = files.get(name).unwrap_or_else(|| panic!("no {name} in {:?}", files.keys()));
        String::from_utf8(bytes.clone()).unwrap()
    };
    let csv = text("finance/transactions.csv");
    let route = app.get_as("/v1/finance/export.csv", &ada).await.text().await.unwrap();
    assert_eq!(csv, route, "the export route's CSV");
    assert!(csv.contains("-45.27") && csv.contains("Rewe"), "{csv}");
    let rows = csv_rows(&csv);
    let card = rows.iter().find(|row| row["memo"] == "card abroad").expect("the dollar split");
    assert_eq!(card["notes"], "Paid in New York,\nreceipt in the drawer");
    assert_eq!((card["amount"].as_str(), card["value"].as_str()), ("-108.50", "-100.00"));
    // 100 EUR for 108.50 USD, as the books keep it.
    assert!(card["rate"].starts_with("0.921658986"), "{card:?}");
    assert_eq!(card["rate_date"], "2026-02-09");
    let party = rows.iter().find(|row| row["memo"] == "for the party").expect("the category");
    assert_eq!(party["notes"], card["notes"], "the transaction's notes on each of its rows");
    assert_eq!((party["rate"].as_str(), party["rate_date"].as_str()), ("", ""));
    let journal = text("finance/journal.ledger");
    let route = app.get_as("/v1/finance/export.journal", &ada).await.text().await.unwrap();
    assert_eq!(journal, route, "the export route's journal");
    assert!(journal.contains("Rewe"), "{journal}");
    // The notes are the transaction's comment lines, each split's memo (and a conversion's
    // rate) its posting's comment.
    assert!(
        journal.contains("\n    ; Paid in New York,\n    ; receipt in the drawer\n"),
        "{journal}"
    );
    assert!(journal.contains("-108.50 USD @@ 100.00 EUR  ; card abroad, rate 0.921658986"));
    assert!(journal.contains(" of 2026-02-09\n"), "{journal}");
    assert!(journal.contains("100.00 EUR  ; for the party\n"), "{journal}");

    for (file, path, key) in [
        ("accounts", "/v1/finance/accounts", "accounts"),
        ("categories", "/v1/finance/categories", "categories"),
        ("payees", "/v1/finance/payees", "payees"),
        ("rules", "/v1/finance/rules", "rules"),
        ("bills", "/v1/finance/bills", "bills"),
        ("recurring", "/v1/finance/recurring", "recurring"),
        ("csv_mappings", "/v1/finance/csv-mappings", "mappings"),
        ("imports", "/v1/finance/imports", "imports"),
    ] {
        let exported = json_in(&files, &format!("finance/{file}.json"));
        let listed = json_of(app.get_as(path, &ada).await, 200).await;
        assert_eq!(exported[key], listed[key], "{file}: as the REST list gives it");
    }
    let settings = json_in(&files, "finance/settings.json");
    assert_eq!(settings, json_of(app.get_as("/v1/finance/settings", &ada).await, 200).await);
    let budgets = json_in(&files, "finance/budgets.json");
    assert_eq!(budgets["currency"], "EUR");
    assert_eq!(
        budgets["envelopes"],
        json!([{"category_id": groceries, "month": "2026-02-01", "amount": "300.00"}])
    );
    assert_eq!(json_in(&files, "finance/reconciliations.json")["reconciliations"], json!([]));

    let everything: String = files
        .iter()
        .filter(|(path, _)| path.starts_with("finance/"))
        .map(|(_, bytes)| String::from_utf8_lossy(bytes).into_owned())
        .collect();
    assert!(!everything.contains("Bobs Secret Shop") && !everything.contains("999.13"));
    assert!(!everything.contains("Bob's bank") && !everything.contains(&his));
}

/// The CSV's rows, each by its columns' names.
fn csv_rows(text: &str) -> Vec<std::collections::HashMap<String, String>> {
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let names = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|row| {
            let row = row.unwrap();
            names.iter().zip(row.iter()).map(|(n, v)| (n.to_owned(), v.to_owned())).collect()
        })
        .collect()
}
