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
    let journal = text("finance/journal.ledger");
    let route = app.get_as("/v1/finance/export.journal", &ada).await.text().await.unwrap();
    assert_eq!(journal, route, "the export route's journal");
    assert!(journal.contains("Rewe"), "{journal}");

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
