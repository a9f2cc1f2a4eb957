//! The finance plugin's imports over REST, on real files (ofxparse's OFX fixtures, the camt053
//! package's samples, banks' CSV layouts): upload → preview → commit, dedupe across files,
//! balance checks, broken files, rules in imports and over past transactions, deleting an
//! import, saved CSV mappings, and isolation between people.

use reqwest::Method;
use serde_json::{Value, json};

use crate::finance::{account, balance};
use crate::helpers::{AgentsApp, Models, json_of, spawn};

async fn app() -> AgentsApp {
    spawn(Models::test(), None, &[]).await
}

fn fixture(path: &str) -> Vec<u8> {
    let full = format!(
        "{}/../../crates/posey-finance/tests/finance/fixtures/{path}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&full).unwrap_or_else(|error| panic!("{full}: {error}"))
}

async fn upload(app: &AgentsApp, token: &str, query: &str, file: &[u8]) -> reqwest::Response {
    app.request(Method::POST, &format!("/v1/finance/imports?{query}"), token)
        .header("content-type", "application/octet-stream")
        .body(file.to_vec())
        .send()
        .await
        .unwrap()
}

async fn preview(app: &AgentsApp, token: &str, query: &str, file: &[u8]) -> Value {
    json_of(upload(app, token, query, file).await, 201).await
}

async fn commit(app: &AgentsApp, token: &str, import: &Value) -> reqwest::Response {
    let path = format!("/v1/finance/imports/{}/commit", import["id"].as_str().unwrap());
    app.request(Method::POST, &path, token).send().await.unwrap()
}

async fn category(app: &AgentsApp, token: &str, name: &str) -> String {
    crate::finance::category(app, token, json!({"name": name})).await
}

async fn transactions(app: &AgentsApp, token: &str, query: &str) -> Vec<Value> {
    let path = format!("/v1/finance/transactions?limit=500&{query}");
    let found = json_of(app.get_as(&path, token).await, 200).await;
    found["transactions"].as_array().unwrap().clone()
}

fn strings(lines: &Value, field: &str) -> Vec<String> {
    lines
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l[field].as_str().map(str::to_owned).unwrap_or_default())
        .collect()
}

async fn count(app: &AgentsApp, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT count(*) FROM finance.{table}"))
        .fetch_one(&app.db.pool)
        .await
        .unwrap()
}

/// Chase's export without its newest day (5 January): the older half of an overlap.
fn chase_until_the_4th() -> Vec<u8> {
    let file = String::from_utf8(fixture("banks/chase-checking.csv")).unwrap();
    file.lines()
        .filter(|line| !line.contains("01/05/2024"))
        .map(|line| format!("{line}\n"))
        .collect::<String>()
        .into_bytes()
}

#[tokio::test]
async fn an_ofx_file_is_previewed_then_committed_and_importing_it_again_adds_nothing() {
    let app = app().await;
    let (_, token) = app.person();
    let checking = account(
        &app,
        &token,
        json!({"name": "Checking", "kind": "asset", "currency": "USD",
               "opening_balance": "160.49", "opening_date": "2011-01-01"}),
    )
    .await;
    let file = fixture("ofxparse/checking.ofx");
    let query = format!("account_id={checking}&file_name=checking.ofx");

    // The format is recognised; nothing is written by a preview.
    let first = preview(&app, &token, &query, &file).await;
    assert_eq!(first["state"], "preview");
    assert_eq!(first["format"], "ofx");
    assert_eq!(first["file_name"], "checking.ofx");
    assert_eq!(
        (first["new_lines"].as_i64(), first["duplicate_lines"].as_i64()),
        (Some(3), Some(0))
    );
    let lines = &first["lines"];
    assert_eq!(strings(lines, "amount"), ["0.01", "-34.51", "-25.00"]);
    assert_eq!(strings(lines, "date"), ["2011-03-31", "2011-04-05", "2011-04-07"]);
    assert_eq!(strings(lines, "import_key"), ["ref:0000486", "ref:0000487", "ref:0000488"]);
    assert_eq!(lines[1]["payee"], "AUTOMATIC WITHDRAWAL, ELECTRIC BILL");
    assert_eq!(lines[2]["check_number"], "319");
    assert_eq!(lines[2]["category_id"], Value::Null);
    assert!(lines.as_array().unwrap().iter().all(|l| l["duplicate"] == false));
    // LEDGERBAL 100.99 on 2013-05-25: 160.49 + 0.01 - 34.51 - 25.00.
    assert_eq!(
        first["balance_check"],
        json!({"date": "2013-05-25", "stated": "100.99", "after_import": "100.99", "matches": true})
    );
    assert_eq!(balance(&app, &token, &checking).await, "160.49");
    let import_id = first["id"].as_str().unwrap();
    assert!(transactions(&app, &token, &format!("import_id={import_id}")).await.is_empty());

    let committed = json_of(commit(&app, &token, &first).await, 200).await;
    assert_eq!(committed["state"], "committed");
    assert_eq!((committed["added"].as_i64(), committed["skipped"].as_i64()), (Some(3), Some(0)));
    assert!(committed.get("lines").is_none());
    assert_eq!(committed["balance_check"]["matches"], true);
    assert_eq!(balance(&app, &token, &checking).await, "100.99");
    let written = transactions(&app, &token, &format!("import_id={import_id}")).await;
    assert_eq!(written.len(), 3);
    assert!(written.iter().all(|t| t["status"] == "cleared" && t["currency"] == "USD"));
    let bill = written.iter().find(|t| t["date"] == "2011-04-05").unwrap();
    assert_eq!(bill["payee"], "AUTOMATIC WITHDRAWAL, ELECTRIC BILL");
    assert!(bill["source"].as_str().unwrap().starts_with("STMTTRN 2"), "{bill}");
    let legs: Vec<(&str, &str)> = bill["splits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["account_kind"].as_str().unwrap(), s["amount"].as_str().unwrap()))
        .collect();
    assert_eq!(legs, [("asset", "-34.51"), ("expense", "34.51")], "uncategorised spending");

    // Committing twice is refused.
    let again = json_of(commit(&app, &token, &first).await, 409).await;
    assert!(again["error"]["message"].as_str().unwrap().contains("committed already"));

    // The same file again: every line is a duplicate, and committing adds nothing.
    let second = preview(&app, &token, &query, &file).await;
    assert_eq!(
        (second["new_lines"].as_i64(), second["duplicate_lines"].as_i64()),
        (Some(0), Some(3))
    );
    assert!(second["lines"].as_array().unwrap().iter().all(|l| l["duplicate"] == true));
    assert_eq!(second["balance_check"]["after_import"], "100.99");
    let nothing = json_of(commit(&app, &token, &second).await, 200).await;
    assert_eq!((nothing["added"].as_i64(), nothing["skipped"].as_i64()), (Some(0), Some(3)));
    assert_eq!(balance(&app, &token, &checking).await, "100.99");
    assert_eq!(count(&app, "transactions").await, 4, "the opening balance and three lines");

    // Newest first.
    let list = json_of(app.get_as("/v1/finance/imports", &token).await, 200).await;
    let ids: Vec<&str> =
        list["imports"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [second["id"].as_str().unwrap(), import_id]);
    assert!(list["imports"][0].get("lines").is_none());
}

#[tokio::test]
async fn an_overlapping_file_adds_only_the_new_days_and_two_identical_purchases_are_kept() {
    let app = app().await;
    let (_, token) = app.person();
    let chase = account(
        &app,
        &token,
        json!({"name": "Chase", "kind": "asset", "currency": "USD", "opening_date": "2024-01-01"}),
    )
    .await;
    let query = format!("account_id={chase}&preset=chase-checking");

    let older = preview(&app, &token, &query, &chase_until_the_4th()).await;
    assert_eq!(older["format"], "csv");
    assert_eq!(strings(&older["lines"], "amount"), ["-120.00", "1500.00"]);
    let done = json_of(commit(&app, &token, &older).await, 200).await;
    assert_eq!(done["added"], 2);

    // The whole file, previewed twice before either is committed.
    let whole = fixture("banks/chase-checking.csv");
    let a = preview(&app, &token, &query, &whole).await;
    let b = preview(&app, &token, &query, &whole).await;
    for p in [&a, &b] {
        assert_eq!((p["new_lines"].as_i64(), p["duplicate_lines"].as_i64()), (Some(3), Some(2)));
        let new: Vec<&Value> =
            p["lines"].as_array().unwrap().iter().filter(|l| l["duplicate"] == false).collect();
        let amounts: Vec<&str> = new.iter().map(|l| l["amount"].as_str().unwrap()).collect();
        assert_eq!(amounts, ["-4.75", "-4.75", "-23.45"], "both coffees are new");
        assert_ne!(new[0]["import_key"], new[1]["import_key"]);
        // The newest row's balance, 1347.05 on 5 January.
        assert_eq!(p["balance_check"]["stated"], "1347.05");
        assert_eq!(p["balance_check"]["after_import"], "1347.05");
        assert_eq!(p["balance_check"]["matches"], true);
    }
    let added = json_of(commit(&app, &token, &a).await, 200).await;
    assert_eq!((added["added"].as_i64(), added["skipped"].as_i64()), (Some(3), Some(2)));
    // The second preview was made before the first was committed: its lines are skipped now.
    let late = json_of(commit(&app, &token, &b).await, 200).await;
    assert_eq!((late["added"].as_i64(), late["skipped"].as_i64()), (Some(0), Some(5)));

    assert_eq!(balance(&app, &token, &chase).await, "1347.05");
    let all = transactions(&app, &token, &format!("account_id={chase}")).await;
    assert_eq!(all.len(), 5);
    let coffees = all.iter().filter(|t| {
        t["date"] == "2024-01-05" && t["payee"].as_str().unwrap().starts_with("STARBUCKS")
    });
    assert_eq!(coffees.count(), 2);
}

#[tokio::test]
async fn a_broken_or_foreign_file_is_refused_naming_where_and_nothing_is_written() {
    let app = app().await;
    let (_, token) = app.person();
    let usd =
        account(&app, &token, json!({"name": "USD", "kind": "asset", "currency": "USD"})).await;
    let eur =
        account(&app, &token, json!({"name": "EUR", "kind": "asset", "currency": "EUR"})).await;
    let refused =
        |response: Value| response["error"]["fields"]["file"][0].as_str().unwrap().to_owned();

    let ofx = upload(
        &app,
        &token,
        &format!("account_id={usd}"),
        &fixture("ofxparse/fail_nice/date_missing.ofx"),
    )
    .await;
    assert_eq!(refused(json_of(ofx, 422).await), "line 33: STMTTRN 1 has no DTPOSTED");
    let sample = String::from_utf8(fixture("camt053/business_sample_camt.053.001.04.xml"))
        .unwrap()
        .replace(">30000<", ">30.000,00<");
    let camt = upload(&app, &token, &format!("account_id={eur}"), sample.as_bytes()).await;
    let message = refused(json_of(camt, 422).await);
    assert_eq!(message, "Stmt 1/Ntry 3/Amt: \"30.000,00\" is not an amount");
    let dkb = String::from_utf8(fixture("banks/dkb-girokonto.csv"))
        .unwrap()
        .replace("\"-23,45\"", "\"12,3x\"");
    let csv =
        upload(&app, &token, &format!("account_id={eur}&preset=dkb-girokonto"), dkb.as_bytes())
            .await;
    assert_eq!(
        refused(json_of(csv, 422).await),
        "line 8, column \"Betrag (€)\": \"12,3x\" is not an amount"
    );

    // Not a statement format, and CSV without a way to read it.
    let text = upload(&app, &token, &format!("account_id={eur}"), b"a,b\n1,2\n").await;
    assert!(json_of(text, 422).await["error"]["fields"]["format"].is_array());
    let bare = upload(&app, &token, &format!("account_id={eur}&format=csv"), b"a,b\n1,2\n").await;
    assert!(json_of(bare, 422).await["error"]["fields"]["mapping_id"].is_array());
    let empty = upload(&app, &token, &format!("account_id={eur}"), b"").await;
    assert!(json_of(empty, 422).await["error"]["fields"]["file"].is_array());

    // A statement in another currency than the account's.
    let cad =
        upload(&app, &token, &format!("account_id={eur}"), &fixture("ofxparse/bank_medium.ofx"))
            .await;
    let message = refused(json_of(cad, 422).await);
    assert!(message.contains("CAD") && message.contains("EUR"), "{message}");

    // Several accounts in one file: the one whose number is the account's.
    let two = fixture("ofxparse/multiple_accounts2.ofx");
    let which = upload(&app, &token, &format!("account_id={usd}"), &two).await;
    let message = refused(json_of(which, 422).await);
    assert!(message.contains("9100, 9200"), "{message}");

    // Too large.
    let huge = vec![b'x'; 21 * 1024 * 1024];
    let large = upload(&app, &token, &format!("account_id={usd}"), &huge).await;
    assert_eq!(large.status(), 413);

    assert_eq!(count(&app, "imports").await, 0);
    assert_eq!(count(&app, "transactions").await, 0);

    let savings = account(
        &app,
        &token,
        json!({"name": "Savings", "kind": "asset", "currency": "USD", "number": "9200"}),
    )
    .await;
    let found = preview(&app, &token, &format!("account_id={savings}"), &two).await;
    assert_eq!(found["balance_check"]["stated"], "222");
    assert_eq!(found["new_lines"], 0);

    // A CAMT.053 statement whose closing balance the account will not reach: shown, not refused.
    let camt =
        preview(&app, &token, &format!("account_id={eur}"), &fixture("camt053/statement_ac04.xml"))
            .await;
    assert_eq!(strings(&camt["lines"], "amount"), ["1500.00", "980.50", "-42.00"]);
    assert_eq!(
        camt["balance_check"],
        json!({"date": "2026-06-15", "stated": "10000.00", "after_import": "2438.50", "matches": false})
    );
}

async fn rule(app: &AgentsApp, token: &str, body: Value) -> String {
    let made = json_of(app.post_as("/v1/finance/rules", token, &body).await, 201).await;
    made["id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn rules_set_category_payee_and_tags_in_the_preview_and_the_commit() {
    let app = app().await;
    let (_, token) = app.person();
    let giro = account(
        &app,
        &token,
        json!({"name": "Giro", "kind": "asset", "currency": "EUR",
               "number": "DE12 1203 0000 0012 3456 78"}),
    )
    .await;
    let groceries = category(&app, &token, "Groceries").await;
    let food = rule(
        &app,
        &token,
        json!({"name": "Groceries", "rule": {
            "conditions": [{"type": "payee_contains", "value": "rewe"}, {"type": "outflow"}],
            "actions": [{"type": "set_category", "id": groceries},
                        {"type": "add_tag", "tag": "food"}],
            "match_all": true}}),
    )
    .await;
    let rename = rule(
        &app,
        &token,
        json!({"name": "Employer", "rule": {
            "conditions": [{"type": "payee_is", "value": "acme gmbh"}],
            "actions": [{"type": "set_payee", "name": "ACME"}], "match_all": true}}),
    )
    .await;
    rule(
        &app,
        &token,
        json!({"name": "Off", "enabled": false, "rule": {
            "conditions": [{"type": "inflow"}],
            "actions": [{"type": "add_tag", "tag": "never"}], "match_all": true}}),
    )
    .await;

    let p = preview(
        &app,
        &token,
        &format!("account_id={giro}&preset=dkb-girokonto"),
        &fixture("banks/dkb-girokonto.csv"),
    )
    .await;
    let lines = p["lines"].as_array().unwrap();
    let salary = &lines[0];
    assert_eq!(
        (salary["payee"].as_str(), salary["file_payee"].as_str()),
        (Some("ACME"), Some("ACME GmbH"))
    );
    assert_eq!(salary["rules"], json!([rename]));
    assert_eq!(salary["tags"], json!([]));
    let rewe = &lines[1];
    assert_eq!(rewe["category_id"], groceries.as_str());
    assert_eq!(rewe["category"], "Groceries");
    assert_eq!(rewe["tags"], json!(["food"]));
    assert_eq!(rewe["rules"], json!([food]));

    json_of(commit(&app, &token, &p).await, 200).await;
    let written = transactions(&app, &token, &format!("category_id={groceries}")).await;
    assert_eq!(written.len(), 1);
    assert_eq!(written[0]["tags"], json!(["food"]));
    assert_eq!(written[0]["payee"], "REWE Markt GmbH");
    let income = transactions(&app, &token, "uncategorised=true").await;
    assert_eq!(income.len(), 1);
    assert_eq!(income[0]["payee"], "ACME");
    assert_eq!(income[0]["splits"][1]["account_kind"], "income");
}

#[tokio::test]
async fn a_rule_dry_run_changes_nothing_and_applying_it_skips_reconciled_transactions() {
    let app = app().await;
    let (_, token) = app.person();
    let giro = account(
        &app,
        &token,
        json!({"name": "Giro", "kind": "asset", "currency": "EUR", "opening_date": "2024-01-01"}),
    )
    .await;
    let music = category(&app, &token, "Music").await;
    for (date, payee) in [
        ("2024-01-03", "Spotify"),
        ("2024-02-03", "SPOTIFY"),
        ("2024-03-03", "Spotify"),
        ("2024-03-04", "Netflix"),
    ] {
        let body = json!({"date": date, "payee": payee, "account_id": giro, "amount": "-9.99"});
        json_of(app.post_as("/v1/finance/transactions", &token, &body).await, 201).await;
    }
    let path = format!("/v1/finance/accounts/{giro}/reconcile");
    let reconciled = json!({"date": "2024-01-31", "balance": "-9.99"});
    json_of(app.post_as(&path, &token, &reconciled).await, 200).await;

    // Invalid rules are refused by name.
    let none = json!({"name": "x", "rule": {"conditions": [],
        "actions": [{"type": "add_tag", "tag": "t"}], "match_all": true}});
    let refused = json_of(app.post_as("/v1/finance/rules", &token, &none).await, 422).await;
    assert!(refused["error"]["fields"]["rule"][0].as_str().unwrap().contains("condition"));
    let stranger = json!({"name": "x", "rule": {"conditions": [{"type": "outflow"}],
        "actions": [{"type": "set_category", "id": uuid::Uuid::new_v4()}], "match_all": true}});
    let refused = json_of(app.post_as("/v1/finance/rules", &token, &stranger).await, 422).await;
    assert_eq!(refused["error"]["fields"]["rule.actions[0].id"][0], "no such category");
    let not_an_account = json!({"name": "x", "rule": {
        "conditions": [{"type": "account", "id": music}],
        "actions": [{"type": "add_tag", "tag": "t"}], "match_all": true}});
    let refused =
        json_of(app.post_as("/v1/finance/rules", &token, &not_an_account).await, 422).await;
    assert_eq!(refused["error"]["fields"]["rule.conditions[0].id"][0], "no such account");

    let spotify = rule(
        &app,
        &token,
        json!({"name": "Spotify", "rule": {
            "conditions": [{"type": "payee_is", "value": "spotify"}],
            "actions": [{"type": "set_category", "id": music},
                        {"type": "add_tag", "tag": "subscription"}],
            "match_all": true}}),
    )
    .await;
    let dry = json_of(
        app.post_as(&format!("/v1/finance/rules/{spotify}/dry-run"), &token, &json!({})).await,
        200,
    )
    .await;
    assert_eq!(dry["written"], false);
    assert_eq!(
        (dry["matched"].as_i64(), dry["changed"].as_i64(), dry["skipped_reconciled"].as_i64()),
        (Some(3), Some(2), Some(1))
    );
    let change = &dry["changes"][0];
    assert_eq!(change["date"], "2024-02-03");
    assert_eq!(change["amount"], "-9.99");
    assert_eq!(change["current_category"], "Uncategorised");
    assert_eq!(
        (change["new_category_id"].as_str(), change["new_category"].as_str()),
        (Some(music.as_str()), Some("Music"))
    );
    assert_eq!(change["added_tags"], json!(["subscription"]));
    assert!(
        transactions(&app, &token, &format!("category_id={music}")).await.is_empty(),
        "a dry run writes nothing"
    );
    let march = json_of(
        app.post_as(
            &format!("/v1/finance/rules/{spotify}/dry-run?from=2024-03-01"),
            &token,
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(march["changed"], 1);

    let applied = json_of(
        app.post_as(&format!("/v1/finance/rules/{spotify}/apply"), &token, &json!({})).await,
        200,
    )
    .await;
    assert_eq!(applied["written"], true);
    assert_eq!(
        (applied["changed"].as_i64(), applied["skipped_reconciled"].as_i64()),
        (Some(2), Some(1))
    );
    let moved = transactions(&app, &token, &format!("category_id={music}")).await;
    assert_eq!(strings(&Value::from(moved.clone()), "date"), ["2024-03-03", "2024-02-03"]);
    assert!(moved.iter().all(|t| t["tags"] == json!(["subscription"])));
    let january = transactions(&app, &token, "from=2024-01-03&to=2024-01-04").await;
    assert_eq!(
        (january[0]["status"].as_str(), january[0]["tags"].clone()),
        (Some("reconciled"), json!([]))
    );
    // Run again: nothing left to change but the reconciled one.
    let again = json_of(
        app.post_as(&format!("/v1/finance/rules/{spotify}/dry-run"), &token, &json!({})).await,
        200,
    )
    .await;
    assert_eq!(
        (again["changed"].as_i64(), again["skipped_reconciled"].as_i64()),
        (Some(0), Some(1))
    );

    // Changed, listed in position order, deleted.
    let path = format!("/v1/finance/rules/{spotify}");
    let off =
        json_of(app.patch_as(&path, &token, &json!({"enabled": false, "position": 5})).await, 200)
            .await;
    assert_eq!((off["enabled"].as_bool(), off["position"].as_i64()), (Some(false), Some(5)));
    let no_actions =
        json!({"rule": {"conditions": [{"type": "outflow"}], "actions": [], "match_all": true}});
    let bad = json_of(app.patch_as(&path, &token, &no_actions).await, 422).await;
    assert!(bad["error"]["fields"]["rule"].is_array());
    let list = json_of(app.get_as("/v1/finance/rules", &token).await, 200).await;
    assert_eq!(list["rules"].as_array().unwrap().len(), 1);
    assert_eq!(app.delete_as(&path, &token).await.status(), 204);
    assert_eq!(app.delete_as(&path, &token).await.status(), 404);
}

#[tokio::test]
async fn deleting_an_import_removes_its_transactions_and_reconciled_ones_need_saying_so() {
    let app = app().await;
    let (_, token) = app.person();
    let checking = account(
        &app,
        &token,
        json!({"name": "Checking", "kind": "asset", "currency": "USD",
               "opening_balance": "160.49", "opening_date": "2011-01-01"}),
    )
    .await;
    let file = fixture("ofxparse/checking.ofx");
    let p = preview(&app, &token, &format!("account_id={checking}"), &file).await;
    json_of(commit(&app, &token, &p).await, 200).await;
    let path = format!("/v1/finance/imports/{}", p["id"].as_str().unwrap());
    let statement = json!({"date": "2011-04-05", "balance": "125.99"});
    let done = app
        .post_as(&format!("/v1/finance/accounts/{checking}/reconcile"), &token, &statement)
        .await;
    assert_eq!(json_of(done, 200).await["transactions"], 3, "the opening balance and two lines");

    let refused = json_of(app.delete_as(&path, &token).await, 409).await;
    assert!(refused["error"]["message"].as_str().unwrap().starts_with("2 of the transactions"));
    assert_eq!(balance(&app, &token, &checking).await, "100.99");
    let deleted =
        json_of(app.delete_as(&format!("{path}?confirm_reconciled=true"), &token).await, 200).await;
    assert_eq!(deleted["transactions"], 3);
    assert_eq!(balance(&app, &token, &checking).await, "160.49");
    assert_eq!(count(&app, "transactions").await, 1, "the opening balance is left");
    assert_eq!(app.get_as(&path, &token).await.status(), 404);

    // A preview is deleted with nothing else; the file can be imported again after.
    let p = preview(&app, &token, &format!("account_id={checking}"), &file).await;
    assert_eq!(p["new_lines"], 3);
    let path = format!("/v1/finance/imports/{}", p["id"].as_str().unwrap());
    assert_eq!(json_of(app.delete_as(&path, &token).await, 200).await["transactions"], 0);
    assert_eq!(json_of(commit(&app, &token, &p).await, 404).await["error"]["code"], "not_found");
}

#[tokio::test]
async fn an_expired_preview_is_gone() {
    let app = app().await;
    let (_, token) = app.person();
    let checking =
        account(&app, &token, json!({"name": "C", "kind": "asset", "currency": "USD"})).await;
    let p =
        preview(&app, &token, &format!("account_id={checking}"), &fixture("ofxparse/checking.ofx"))
            .await;
    sqlx::query("UPDATE finance.imports SET expires_at = now() - interval '1 minute'")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let gone = json_of(commit(&app, &token, &p).await, 404).await;
    assert!(gone["error"]["message"].as_str().unwrap().contains("expired"));
    let list = json_of(app.get_as("/v1/finance/imports", &token).await, 200).await;
    assert_eq!(list["imports"], json!([]));
    assert_eq!(count(&app, "transactions").await, 0);
}

#[tokio::test]
async fn csv_mappings_are_checked_saved_used_and_deleted() {
    let app = app().await;
    let (_, token) = app.person();
    let presets = json_of(app.get_as("/v1/finance/csv-presets", &token).await, 200).await;
    let dkb =
        presets["presets"].as_array().unwrap().iter().find(|p| p["id"] == "dkb-girokonto").unwrap();
    let mapping = dkb["mapping"].clone();

    let mut unknown = mapping.clone();
    unknown["colour"] = json!("red");
    let refused = json_of(
        app.post_as("/v1/finance/csv-mappings", &token, &json!({"name": "x", "mapping": unknown}))
            .await,
        422,
    )
    .await;
    assert!(refused["error"]["fields"]["mapping"][0].as_str().unwrap().contains("colour"));
    let mut separator = mapping.clone();
    separator["decimal_separator"] = json!(";");
    let refused = json_of(
        app.post_as(
            "/v1/finance/csv-mappings",
            &token,
            &json!({"name": "x", "mapping": separator}),
        )
        .await,
        422,
    )
    .await;
    assert!(
        refused["error"]["fields"]["mapping"][0].as_str().unwrap().contains("decimal separator")
    );

    let saved = json_of(
        app.post_as(
            "/v1/finance/csv-mappings",
            &token,
            &json!({"name": "DKB", "mapping": mapping}),
        )
        .await,
        201,
    )
    .await;
    assert_eq!(saved["mapping"]["delimiter"], ";");
    let taken = app
        .post_as("/v1/finance/csv-mappings", &token, &json!({"name": "dkb", "mapping": mapping}))
        .await;
    assert_eq!(taken.status(), 409);
    let list = json_of(app.get_as("/v1/finance/csv-mappings", &token).await, 200).await;
    assert_eq!(list["mappings"].as_array().unwrap().len(), 1);

    let giro =
        account(&app, &token, json!({"name": "Giro", "kind": "asset", "currency": "EUR"})).await;
    let id = saved["id"].as_str().unwrap();
    let p = preview(
        &app,
        &token,
        &format!("account_id={giro}&mapping_id={id}"),
        &fixture("banks/dkb-girokonto.csv"),
    )
    .await;
    assert_eq!(strings(&p["lines"], "amount"), ["2500.00", "-23.45"]);

    let path = format!("/v1/finance/csv-mappings/{id}");
    assert_eq!(app.delete_as(&path, &token).await.status(), 204);
    assert_eq!(app.delete_as(&path, &token).await.status(), 404);
    let gone = upload(&app, &token, &format!("account_id={giro}&mapping_id={id}"), b"x").await;
    assert_eq!(gone.status(), 404);
}

#[tokio::test]
async fn another_person_cannot_see_commit_or_delete_my_import_nor_use_my_mapping_or_rule() {
    let app = app().await;
    let (_, mine) = app.person();
    let (_, theirs) = app.person();
    let giro =
        account(&app, &mine, json!({"name": "Giro", "kind": "asset", "currency": "EUR"})).await;
    let groceries = category(&app, &mine, "Groceries").await;
    let presets = json_of(app.get_as("/v1/finance/csv-presets", &mine).await, 200).await;
    let mapping =
        presets["presets"].as_array().unwrap().iter().find(|p| p["id"] == "dkb-girokonto").unwrap()
            ["mapping"]
            .clone();
    let saved = json_of(
        app.post_as("/v1/finance/csv-mappings", &mine, &json!({"name": "DKB", "mapping": mapping}))
            .await,
        201,
    )
    .await;
    let mapping_id = saved["id"].as_str().unwrap();
    let my_rule = rule(
        &app,
        &mine,
        json!({"name": "Groceries", "rule": {"conditions": [{"type": "outflow"}],
            "actions": [{"type": "set_category", "id": groceries}], "match_all": true}}),
    )
    .await;
    let p = preview(
        &app,
        &mine,
        &format!("account_id={giro}&mapping_id={mapping_id}"),
        &fixture("banks/dkb-girokonto.csv"),
    )
    .await;
    let import = format!("/v1/finance/imports/{}", p["id"].as_str().unwrap());

    let their_account =
        account(&app, &theirs, json!({"name": "Theirs", "kind": "asset", "currency": "EUR"})).await;
    assert_eq!(app.get_as(&import, &theirs).await.status(), 404);
    assert_eq!(commit(&app, &theirs, &p).await.status(), 404);
    assert_eq!(app.delete_as(&import, &theirs).await.status(), 404);
    let list = json_of(app.get_as("/v1/finance/imports", &theirs).await, 200).await;
    assert_eq!(list["imports"], json!([]));
    let file = fixture("banks/dkb-girokonto.csv");
    assert_eq!(
        upload(&app, &theirs, &format!("account_id={giro}&preset=dkb-girokonto"), &file)
            .await
            .status(),
        404
    );
    assert_eq!(
        upload(
            &app,
            &theirs,
            &format!("account_id={their_account}&mapping_id={mapping_id}"),
            &file
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        app.delete_as(&format!("/v1/finance/csv-mappings/{mapping_id}"), &theirs).await.status(),
        404
    );
    let mappings = json_of(app.get_as("/v1/finance/csv-mappings", &theirs).await, 200).await;
    assert_eq!(mappings["mappings"], json!([]));

    let rule_path = format!("/v1/finance/rules/{my_rule}");
    assert_eq!(app.patch_as(&rule_path, &theirs, &json!({"enabled": false})).await.status(), 404);
    assert_eq!(
        app.post_as(&format!("{rule_path}/dry-run"), &theirs, &json!({})).await.status(),
        404
    );
    assert_eq!(app.post_as(&format!("{rule_path}/apply"), &theirs, &json!({})).await.status(), 404);
    assert_eq!(app.delete_as(&rule_path, &theirs).await.status(), 404);
    let rules = json_of(app.get_as("/v1/finance/rules", &theirs).await, 200).await;
    assert_eq!(rules["rules"], json!([]));
    let borrowed = json!({"name": "Mine now", "rule": {"conditions": [{"type": "outflow"}],
        "actions": [{"type": "set_category", "id": groceries}], "match_all": true}});
    assert_eq!(app.post_as("/v1/finance/rules", &theirs, &borrowed).await.status(), 422);

    // Mine are untouched, and their rules never ran on my preview.
    let committed = json_of(commit(&app, &mine, &p).await, 200).await;
    assert_eq!(committed["added"], 2);
    assert_eq!(count(&app, "rules").await, 1);
}

#[tokio::test]
async fn a_commit_is_one_database_transaction() {
    let app = app().await;
    let (_, token) = app.person();
    let chase =
        account(&app, &token, json!({"name": "Chase", "kind": "asset", "currency": "USD"})).await;
    // 2,500 lines: more than one batch of inserts.
    let mut file =
        String::from("Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #\n");
    for n in 0..2500 {
        file.push_str(&format!("DEBIT,01/05/2024,SHOP {n},-1.00,DEBIT_CARD,,,\n"));
    }
    let p = preview(
        &app,
        &token,
        &format!("account_id={chase}&preset=chase-checking"),
        file.as_bytes(),
    )
    .await;
    assert_eq!(p["new_lines"], 2500);
    // The last line cannot be written: the whole commit must fail with it.
    sqlx::raw_sql(
        "CREATE FUNCTION finance.refuse_last() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN RAISE EXCEPTION 'refused for the test'; END $$; \
         CREATE TRIGGER refuse_last BEFORE INSERT ON finance.transactions FOR EACH ROW \
             WHEN (NEW.source = 'line 2501') EXECUTE FUNCTION finance.refuse_last();",
    )
    .execute(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(commit(&app, &token, &p).await.status(), 500);
    assert_eq!(count(&app, "transactions").await, 0, "nothing of the file is written");
    let path = format!("/v1/finance/imports/{}", p["id"].as_str().unwrap());
    assert_eq!(json_of(app.get_as(&path, &token).await, 200).await["state"], "preview");

    sqlx::raw_sql("DROP TRIGGER refuse_last ON finance.transactions")
        .execute(&app.db.pool)
        .await
        .unwrap();
    let done = json_of(commit(&app, &token, &p).await, 200).await;
    assert_eq!(done["added"], 2500);
    assert_eq!(balance(&app, &token, &chase).await, "-2500.00");
}

/// The routes' real answers, errors included, are what the OpenAPI document says they are.
#[tokio::test]
async fn the_answers_match_the_document() {
    let app = app().await;
    let (_, token) = app.person();
    let document: Value = serde_json::from_str(&posey_agents::openapi_json()).unwrap();
    let mut s = posey_testkit::openapi::Samples::default();
    samples(&mut s, &app, &token).await;
    let seen: std::collections::BTreeSet<(String, String)> = s
        .0
        .iter()
        .map(|x| (x["path"].as_str().unwrap().to_owned(), x["method"].as_str().unwrap().to_owned()))
        .collect();
    let mine: std::collections::BTreeSet<(String, String)> =
        OPERATIONS.iter().map(|(p, m)| ((*p).to_owned(), (*m).to_owned())).collect();
    assert_eq!(seen, mine);
    for (path, method) in OPERATIONS {
        assert!(document["paths"][path][method]["operationId"].is_string(), "{method} {path}");
    }
    posey_testkit::openapi::check_with_node(&document, &s);
}

/// The operations of this part of the API (path, method).
pub const OPERATIONS: &[(&str, &str)] = &[
    ("/v1/finance/csv-mappings", "get"),
    ("/v1/finance/csv-mappings", "post"),
    ("/v1/finance/csv-mappings/{id}", "delete"),
    ("/v1/finance/csv-presets", "get"),
    ("/v1/finance/imports", "get"),
    ("/v1/finance/imports", "post"),
    ("/v1/finance/imports/{id}", "delete"),
    ("/v1/finance/imports/{id}", "get"),
    ("/v1/finance/imports/{id}/commit", "post"),
    ("/v1/finance/rules", "get"),
    ("/v1/finance/rules", "post"),
    ("/v1/finance/rules/{id}", "delete"),
    ("/v1/finance/rules/{id}", "patch"),
    ("/v1/finance/rules/{id}/apply", "post"),
    ("/v1/finance/rules/{id}/dry-run", "post"),
];

/// Calls each of the imports', CSV mappings' and rules' operations with real requests, for the
/// OpenAPI test's check that answers match the document.
pub async fn samples(s: &mut posey_testkit::openapi::Samples, app: &AgentsApp, token: &str) {
    let call = |method: Method, path: &str| app.request(method, path, token);
    let made = call(Method::POST, "/v1/finance/accounts")
        .json(&json!({"name": "Imported", "kind": "asset", "currency": "USD",
                      "opening_balance": "160.49", "opening_date": "2011-01-01"}))
        .send()
        .await
        .unwrap();
    let account: Value = made.json().await.unwrap();
    let account = account["id"].as_str().unwrap().to_owned();
    let made = call(Method::POST, "/v1/finance/categories")
        .json(&json!({"name": "Bills"}))
        .send()
        .await
        .unwrap();
    let bills: Value = made.json().await.unwrap();
    let bills = bills["id"].as_str().unwrap().to_owned();
    let raw = |builder: reqwest::RequestBuilder, file: Vec<u8>| {
        builder.header("content-type", "application/octet-stream").body(file)
    };

    let presets = "/v1/finance/csv-presets";
    let (_, listed) = s.send(presets, call(Method::GET, presets)).await;
    let mapping = listed["presets"][0]["mapping"].clone();
    let mappings = "/v1/finance/csv-mappings";
    let (_, saved) = s
        .send(
            mappings,
            call(Method::POST, mappings).json(&json!({"name": "Bank", "mapping": mapping})),
        )
        .await;
    s.send(
        mappings,
        call(Method::POST, mappings).json(&json!({"name": "Bad", "mapping": {"date": 0}})),
    )
    .await;
    s.send(mappings, call(Method::GET, mappings)).await;

    let rules = "/v1/finance/rules";
    let body = json!({"name": "Electric", "rule": {
        "conditions": [{"type": "payee_contains", "value": "electric"}],
        "actions": [{"type": "set_category", "id": bills}], "match_all": true}});
    let (_, rule) = s.send(rules, call(Method::POST, rules).json(&body)).await;
    let bad =
        json!({"name": "Empty", "rule": {"conditions": [], "actions": [], "match_all": true}});
    s.send(rules, call(Method::POST, rules).json(&bad)).await;
    s.send(rules, call(Method::GET, rules)).await;
    let one = format!("{rules}/{}", rule["id"].as_str().unwrap());
    let missing = format!("{rules}/{}", uuid::Uuid::new_v4());
    s.send("/v1/finance/rules/{id}", call(Method::PATCH, &one).json(&json!({"position": 3}))).await;
    s.send(
        "/v1/finance/rules/{id}",
        call(Method::PATCH, &missing).json(&json!({"enabled": false})),
    )
    .await;

    let imports = "/v1/finance/imports";
    let upload = format!("{imports}?account_id={account}&file_name=checking.ofx");
    let (_, preview) =
        s.send(imports, raw(call(Method::POST, &upload), fixture("ofxparse/checking.ofx"))).await;
    s.send(
        imports,
        raw(call(Method::POST, &upload), fixture("ofxparse/fail_nice/date_missing.ofx")),
    )
    .await;
    let unknown = format!("{imports}?account_id={}", uuid::Uuid::new_v4());
    s.send(imports, raw(call(Method::POST, &unknown), fixture("ofxparse/checking.ofx"))).await;
    s.send(imports, call(Method::GET, imports)).await;
    let import = format!("{imports}/{}", preview["id"].as_str().unwrap());
    let nowhere = format!("{imports}/{}", uuid::Uuid::new_v4());
    s.send("/v1/finance/imports/{id}", call(Method::GET, &import)).await;
    s.send("/v1/finance/imports/{id}", call(Method::GET, &nowhere)).await;
    let commit = "/v1/finance/imports/{id}/commit";
    s.send(commit, call(Method::POST, &format!("{import}/commit"))).await;
    s.send(commit, call(Method::POST, &format!("{import}/commit"))).await;
    s.send("/v1/finance/imports/{id}", call(Method::GET, &import)).await;

    let dry = "/v1/finance/rules/{id}/dry-run";
    s.send(dry, call(Method::POST, &format!("{one}/dry-run?from=2011-01-01"))).await;
    s.send(dry, call(Method::POST, &format!("{missing}/dry-run"))).await;
    let apply = "/v1/finance/rules/{id}/apply";
    s.send(apply, call(Method::POST, &format!("{one}/apply"))).await;
    s.send(apply, call(Method::POST, &format!("{missing}/apply"))).await;

    let statement = json!({"date": "2011-04-05", "balance": "125.99"});
    call(Method::POST, &format!("/v1/finance/accounts/{account}/reconcile"))
        .json(&statement)
        .send()
        .await
        .unwrap();
    s.send("/v1/finance/imports/{id}", call(Method::DELETE, &import)).await;
    s.send(
        "/v1/finance/imports/{id}",
        call(Method::DELETE, &format!("{import}?confirm_reconciled=true")),
    )
    .await;
    s.send("/v1/finance/imports/{id}", call(Method::DELETE, &nowhere)).await;

    s.send("/v1/finance/rules/{id}", call(Method::DELETE, &one)).await;
    s.send("/v1/finance/rules/{id}", call(Method::DELETE, &one)).await;
    let mapping = format!("{mappings}/{}", saved["id"].as_str().unwrap());
    s.send("/v1/finance/csv-mappings/{id}", call(Method::DELETE, &mapping)).await;
    s.send("/v1/finance/csv-mappings/{id}", call(Method::DELETE, &mapping)).await;
}
