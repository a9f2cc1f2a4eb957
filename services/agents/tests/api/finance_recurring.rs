//! Recurring transactions over REST against the real worker: one due today posts itself
//! within seconds, once; a backlog after an outage is posted date by date; skipping, pausing
//! and resuming move the next date as a person expects; a date that cannot be posted (its
//! account closed) pauses it with the reason; bad input is refused by name; another person
//! sees none of it; deleting one keeps what it posted.

use std::time::Duration;

use chrono::{Days, NaiveDate};
use reqwest::Method;
use serde_json::{Value, json};

use crate::finance::{account, balance, category};
use crate::helpers::{AgentsApp, Models, json_of, spawn};

/// The worker looks every 5 s; a post takes one look.
const PATIENCE: Duration = Duration::from_secs(30);

fn date(value: &Value) -> NaiveDate {
    value.as_str().and_then(|text| text.parse().ok()).unwrap_or_else(|| panic!("a date: {value}"))
}

fn days(date: NaiveDate, n: i64) -> NaiveDate {
    if n >= 0 {
        date.checked_add_days(Days::new(n.unsigned_abs())).unwrap()
    } else {
        date.checked_sub_days(Days::new(n.unsigned_abs())).unwrap()
    }
}

async fn recurring(app: &AgentsApp, token: &str, id: &str) -> Value {
    json_of(app.get_as(&format!("/v1/finance/recurring/{id}"), token).await, 200).await
}

/// Waits until it has posted `posted` transactions; it then.
async fn posted(app: &AgentsApp, token: &str, id: &str, posted: i64) -> Value {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let now = recurring(app, token, id).await;
        if now["posted"] == posted {
            return now;
        }
        assert!(tokio::time::Instant::now() < deadline, "never posted {posted}: {now}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// The transactions `id` posted, oldest first.
async fn posted_by(app: &AgentsApp, id: &str) -> Vec<(NaiveDate, String)> {
    sqlx::query_as(
        "SELECT t.date, s.amount::text FROM finance.transactions t \
         JOIN finance.splits s ON s.transaction_id = t.id \
         JOIN finance.accounts a ON a.id = s.account_id AND a.kind = 'asset' \
         WHERE t.recurring_id = $1::uuid ORDER BY t.date",
    )
    .bind(id)
    .fetch_all(&app.db.pool)
    .await
    .unwrap()
}

/// Makes it due again from `next` as if the worker had been down since then.
async fn fall_behind(app: &AgentsApp, id: &str, next: NaiveDate) {
    sqlx::query(
        "UPDATE finance.recurring SET next_date = $2, due_at = now() - interval '1 day' \
         WHERE id = $1::uuid",
    )
    .bind(id)
    .bind(next)
    .execute(&app.db.pool)
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_recurring_transaction_posts_each_date_once_and_moves_on() {
    let app = spawn(Models::test(), None, &[]).await;
    let (_, token) = app.person();
    let checking = account(
        &app,
        &token,
        json!({"name": "Checking", "kind": "asset", "currency": "EUR",
               "opening_balance": "1000.00", "opening_date": "2020-01-01"}),
    )
    .await;
    let coffee = category(&app, &token, json!({"name": "Coffee"})).await;

    // Daily since 2020: dates before today are not posted, today's is.
    let made = json_of(
        app.post_as(
            "/v1/finance/recurring",
            &token,
            &json!({"name": "Morning coffee", "cadence": {"days": 1}, "starts": "2020-01-01",
                    "account_id": checking, "amount": "-3.50", "category_id": coffee,
                    "payee": "Café Kranzler", "tags": ["habit"]}),
        )
        .await,
        201,
    )
    .await;
    let id = made["id"].as_str().unwrap().to_owned();
    let today = date(&made["next_date"]);
    assert_eq!(made["currency"], "EUR");
    assert_eq!(made["amount"], "-3.50");
    assert_eq!(made["splits"], Value::Null);
    let upcoming: Vec<NaiveDate> = made["upcoming"].as_array().unwrap().iter().map(date).collect();
    assert_eq!(upcoming, (0..5).map(|n| days(today, n)).collect::<Vec<_>>());

    let after = posted(&app, &token, &id, 1).await;
    assert_eq!(date(&after["last_posted"]), today);
    assert_eq!(date(&after["next_date"]), days(today, 1));
    let posting = after["last_transaction_id"].as_str().unwrap();
    let transaction =
        json_of(app.get_as(&format!("/v1/finance/transactions/{posting}"), &token).await, 200)
            .await;
    assert_eq!(transaction["recurring_id"], id.as_str());
    assert_eq!(date(&transaction["date"]), today);
    assert_eq!(transaction["status"], "uncleared");
    assert_eq!(transaction["payee"], "Café Kranzler");
    assert_eq!(transaction["tags"], json!(["habit"]));
    assert_eq!(balance(&app, &token, &checking).await, "996.50");

    // Later looks post nothing more for today.
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(posted_by(&app, &id).await.len(), 1);

    // Skipping tomorrow: nothing is posted for it, and the day after comes next.
    let skipped = json_of(
        app.post_as(&format!("/v1/finance/recurring/{id}/skip"), &token, &json!({})).await,
        200,
    )
    .await;
    assert_eq!(date(&skipped["next_date"]), days(today, 2));

    // Pausing keeps it from posting; resuming counts from today, keeping the skip.
    let path = format!("/v1/finance/recurring/{id}");
    let paused = json_of(app.patch_as(&path, &token, &json!({"paused": true})).await, 200).await;
    assert_eq!(paused["paused"], true);
    fall_behind(&app, &id, days(today, -3)).await;
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(posted_by(&app, &id).await.len(), 1, "a paused one posts nothing");
    let resumed = json_of(app.patch_as(&path, &token, &json!({"paused": false})).await, 200).await;
    assert_eq!(date(&resumed["next_date"]), days(today, 1), "never before the day after the last");

    // A new schedule counts from today: weekly from three weeks ago is due today, posted already.
    let weekly = json_of(
        app.patch_as(&path, &token, &json!({"cadence": {"weeks": 1}, "starts": days(today, -21)}))
            .await,
        200,
    )
    .await;
    assert_eq!(date(&weekly["next_date"]), days(today, 7));
    assert_eq!(weekly["category_id"], coffee.as_str());

    // A worker down for three weeks: each missed date is posted, dated as it fell due, once.
    sqlx::query("DELETE FROM finance.transactions WHERE recurring_id = $1::uuid")
        .bind(&id)
        .execute(&app.db.pool)
        .await
        .unwrap();
    sqlx::query("UPDATE finance.recurring SET last_posted = NULL WHERE id = $1::uuid")
        .bind(&id)
        .execute(&app.db.pool)
        .await
        .unwrap();
    fall_behind(&app, &id, days(today, -21)).await;
    let caught_up = posted(&app, &token, &id, 5).await;
    let dates: Vec<NaiveDate> = posted_by(&app, &id).await.into_iter().map(|p| p.0).collect();
    assert_eq!(dates, [-21, -14, -7, 0].map(|n| days(today, n)));
    assert_eq!(date(&caught_up["next_date"]), days(today, 7));
    assert_eq!(balance(&app, &token, &checking).await, "986.00");

    // The database keeps one per date, whoever writes.
    let twice = sqlx::query(
        "UPDATE finance.transactions SET date = $2 WHERE recurring_id = $1::uuid AND date = $3",
    )
    .bind(&id)
    .bind(today)
    .bind(days(today, -7))
    .execute(&app.db.pool)
    .await;
    assert!(twice.is_err(), "two transactions of one recurring transaction on one date");

    // Deleting it keeps what it posted.
    assert_eq!(app.delete_as(&path, &token).await.status(), 204);
    json_of(app.get_as(&path, &token).await, 404).await;
    let kept: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM finance.transactions WHERE recurring_id IS NULL AND date >= $1",
    )
    .bind(days(today, -21))
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(kept, 4);
    assert_eq!(balance(&app, &token, &checking).await, "986.00");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_date_that_cannot_be_posted_pauses_it_with_the_reason() {
    let app = spawn(Models::test(), None, &[]).await;
    let (_, token) = app.person();
    let checking =
        account(&app, &token, json!({"name": "Checking", "kind": "asset", "currency": "EUR"}))
            .await;
    let savings =
        account(&app, &token, json!({"name": "Savings", "kind": "asset", "currency": "EUR"})).await;
    let made = json_of(
        app.post_as(
            "/v1/finance/recurring",
            &token,
            &json!({"name": "Save", "cadence": {"months": 1}, "starts": "2030-01-01",
                    "account_id": checking, "amount": "-100", "transfer_account_id": savings}),
        )
        .await,
        201,
    )
    .await;
    let id = made["id"].as_str().unwrap().to_owned();
    assert_eq!(made["next_date"], "2030-01-01", "a start in the future is its first date");
    assert_eq!(made["transfer_account_id"], savings.as_str());

    let path = format!("/v1/finance/accounts/{savings}");
    json_of(app.patch_as(&path, &token, &json!({"closed": true})).await, 200).await;
    let due = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
    fall_behind(&app, &id, due).await;
    let deadline = tokio::time::Instant::now() + PATIENCE;
    let paused = loop {
        let now = recurring(&app, &token, &id).await;
        if now["paused"] == true {
            break now;
        }
        assert!(tokio::time::Instant::now() < deadline, "never paused: {now}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    let reason = paused["last_error"].as_str().unwrap();
    assert!(reason.starts_with("2026-01-01") && reason.contains("Savings is closed"), "{reason}");
    assert_eq!(paused["posted"], 0);
    assert_eq!(date(&paused["next_date"]), due, "the date it could not post waits");
    assert!(posted_by(&app, &id).await.is_empty());

    // Resuming with the account still closed is refused by name; reopened, it resumes.
    let own = format!("/v1/finance/recurring/{id}");
    let refused = json_of(app.patch_as(&own, &token, &json!({"paused": false})).await, 422).await;
    assert!(refused.to_string().contains("transfer_account_id"), "{refused}");
    json_of(app.patch_as(&path, &token, &json!({"closed": false})).await, 200).await;
    let resumed = json_of(app.patch_as(&own, &token, &json!({"paused": false})).await, 200).await;
    assert_eq!(resumed["last_error"], Value::Null);
    assert!(date(&resumed["next_date"]) > due, "dates passed while paused are not posted");
}

/// A Chase export (newest first) of `lines` (date, description, amount), with the running
/// balance from `opening`.
fn chase_file(opening: &str, lines: &[(NaiveDate, &str, &str)]) -> Vec<u8> {
    let exact = |text: &str| -> i64 { text.replace('.', "").parse().unwrap() };
    let mut balance = exact(opening);
    let mut rows: Vec<String> = Vec::new();
    for (date, description, amount) in lines {
        balance += exact(amount);
        let kind = if amount.starts_with('-') { "DEBIT" } else { "CREDIT" };
        rows.push(format!(
            "{kind},{},\"{description}\",{amount},ACH_DEBIT,{}.{:02},,",
            date.format("%m/%d/%Y"),
            balance / 100,
            balance % 100
        ));
    }
    rows.reverse();
    let header = "Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #";
    format!("{header}\n{}\n", rows.join("\n")).into_bytes()
}

async fn import(app: &AgentsApp, token: &str, account: &str, file: &[u8]) -> Value {
    let path = format!("/v1/finance/imports?account_id={account}&preset=chase-checking");
    let sent = app.request(Method::POST, &path, token).body(file.to_vec()).send().await.unwrap();
    json_of(sent, 201).await
}

/// The bank's line for a payment the poster already posted is that payment, as Actual Budget
/// treats a scheduled transaction and the imported line that matches it: the preview says so,
/// and committing links the line to the posted transaction (cleared, its date and category
/// kept, the line's dedupe key taken) instead of adding it a second time.
#[tokio::test(flavor = "multi_thread")]
async fn a_bank_line_for_a_posted_recurring_payment_is_linked_not_added_again() {
    let app = spawn(Models::test(), None, &[]).await;
    let (_, token) = app.person();
    let checking = account(
        &app,
        &token,
        json!({"name": "Checking", "kind": "asset", "currency": "USD",
               "opening_balance": "1000.00", "opening_date": "2020-01-01"}),
    )
    .await;
    let gym = category(&app, &token, json!({"name": "Gym"})).await;
    let made = json_of(
        app.post_as(
            "/v1/finance/recurring",
            &token,
            // Daily, so that today's date is posted whatever today is (as in the first test).
            &json!({"name": "Gym", "cadence": {"days": 1}, "starts": "2020-01-01",
                    "account_id": checking, "amount": "-45.00", "category_id": gym,
                    "payee": "City Gym"}),
        )
        .await,
        201,
    )
    .await;
    let id = made["id"].as_str().unwrap().to_owned();
    let today = date(&made["next_date"]);
    let after = posted(&app, &token, &id, 1).await;
    let posting = after["last_transaction_id"].as_str().unwrap().to_owned();
    assert_eq!(balance(&app, &token, &checking).await, "955.00");

    // The bank took the gym's 45.00 two days after the poster's date; 45.00 again twelve days
    // after is another payment, as are the coffee and the payee's refund.
    let file = chase_file(
        "1000.00",
        &[
            (days(today, 1), "COFFEE", "-4.75"),
            (days(today, 2), "CITY GYM MEMBERSHIP", "-45.00"),
            (days(today, 3), "CITY GYM REFUND", "45.00"),
            (days(today, 12), "CITY GYM DAY PASSES", "-45.00"),
        ],
    );
    let preview = import(&app, &token, &checking, &file).await;
    let lines = preview["lines"].as_array().unwrap();
    let matches: Vec<(&str, &Value)> =
        lines.iter().map(|l| (l["payee"].as_str().unwrap(), &l["matches"])).collect();
    assert_eq!(
        matches,
        [
            ("CITY GYM DAY PASSES", &Value::Null),
            ("CITY GYM REFUND", &Value::Null),
            ("CITY GYM MEMBERSHIP", &json!(posting)),
            ("COFFEE", &Value::Null),
        ],
        "{preview}"
    );
    assert_eq!(
        [&preview["new_lines"], &preview["matched_lines"], &preview["duplicate_lines"]],
        [&json!(3), &json!(1), &json!(0)],
        "{preview}"
    );
    // The bank's balance is the books' once the three new lines are in: the gym is there.
    assert_eq!(preview["balance_check"]["stated"], "950.25", "{preview}");
    assert_eq!(preview["balance_check"]["matches"], true, "{preview}");

    let path = format!("/v1/finance/imports/{}", preview["id"].as_str().unwrap());
    let done = json_of(app.post_as(&format!("{path}/commit"), &token, &json!({})).await, 200).await;
    assert_eq!(
        [&done["added"], &done["matched"], &done["skipped"]],
        [&json!(3), &json!(1), &json!(0)],
        "{done}"
    );
    assert_eq!(balance(&app, &token, &checking).await, "950.25");
    let linked =
        json_of(app.get_as(&format!("/v1/finance/transactions/{posting}"), &token).await, 200)
            .await;
    assert_eq!(
        [&linked["date"], &linked["status"], &linked["recurring_id"], &linked["payee"]],
        [&json!(today), &json!("cleared"), &json!(id), &json!("City Gym")],
        "{linked}"
    );
    let gyms: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM finance.splits WHERE account_id = $1::uuid AND amount = -45",
    )
    .bind(&checking)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(gyms, 2, "the membership once, and the day passes");

    // The same file again: every line is there already.
    let again = import(&app, &token, &checking, &file).await;
    assert_eq!(
        [&again["new_lines"], &again["matched_lines"], &again["duplicate_lines"]],
        [&json!(0), &json!(0), &json!(4)],
        "{again}"
    );
    let again = format!("/v1/finance/imports/{}", again["id"].as_str().unwrap());
    json_of(app.delete_as(&again, &token).await, 200).await;

    // Deleting the import takes what it added and leaves the posted payment, unlinked: the
    // file matches it again.
    let deleted = json_of(app.delete_as(&path, &token).await, 200).await;
    assert_eq!(deleted["transactions"], 3, "{deleted}");
    assert_eq!(balance(&app, &token, &checking).await, "955.00");
    let anew = import(&app, &token, &checking, &file).await;
    assert_eq!(anew["matched_lines"], 1, "{anew}");
    assert!(anew["lines"].as_array().unwrap().iter().any(|l| l["matches"] == posting.as_str()));
}

/// The other order: the bank's line was imported before the poster reached its date (the
/// bank took the payment a day early). The poster makes that line the date's transaction,
/// categorised as the template says, instead of paying the gym twice; a line of another
/// amount is left alone.
#[tokio::test(flavor = "multi_thread")]
async fn a_bank_line_imported_before_its_date_is_posted_is_that_date_not_a_second_payment() {
    let app = spawn(Models::test(), None, &[]).await;
    let (_, token) = app.person();
    let checking = account(
        &app,
        &token,
        json!({"name": "Checking", "kind": "asset", "currency": "USD",
               "opening_balance": "1000.00", "opening_date": "2020-01-01"}),
    )
    .await;
    let gym = category(&app, &token, json!({"name": "Gym"})).await;
    let yesterday = days(chrono::Utc::now().date_naive(), -1);
    let file = chase_file(
        "1000.00",
        &[(yesterday, "CITY GYM MEMBERSHIP", "-45.00"), (yesterday, "CITY GYM TOWEL", "-4.00")],
    );
    let preview = import(&app, &token, &checking, &file).await;
    let path = format!("/v1/finance/imports/{}", preview["id"].as_str().unwrap());
    let done = json_of(app.post_as(&format!("{path}/commit"), &token, &json!({})).await, 200).await;
    assert_eq!(done["added"], 2, "{done}");
    assert_eq!(balance(&app, &token, &checking).await, "951.00");
    let line: String = sqlx::query_scalar(
        "SELECT t.id::text FROM finance.transactions t JOIN finance.splits s \
         ON s.transaction_id = t.id AND s.account_id = $1::uuid AND s.amount = -45",
    )
    .bind(&checking)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();

    let made = json_of(
        app.post_as(
            "/v1/finance/recurring",
            &token,
            &json!({"name": "Gym", "cadence": {"days": 1}, "starts": "2020-01-01",
                    "account_id": checking, "amount": "-45.00", "category_id": gym,
                    "payee": "City Gym"}),
        )
        .await,
        201,
    )
    .await;
    let id = made["id"].as_str().unwrap().to_owned();
    let after = posted(&app, &token, &id, 1).await;
    assert_eq!(after["last_transaction_id"], line.as_str(), "{after}");
    assert_eq!(balance(&app, &token, &checking).await, "951.00", "the gym was paid once");
    assert_eq!(posted_by(&app, &id).await, [(yesterday, "-45.00".to_owned())]);
    let adopted =
        json_of(app.get_as(&format!("/v1/finance/transactions/{line}"), &token).await, 200).await;
    assert_eq!(adopted["recurring_id"], id.as_str(), "{adopted}");
    assert_eq!(adopted["payee"], "CITY GYM MEMBERSHIP", "the bank's payee is kept: {adopted}");
    let on_gym: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM finance.splits WHERE transaction_id = $1::uuid \
         AND account_id = $2::uuid AND amount = 45",
    )
    .bind(&line)
    .bind(&gym)
    .fetch_one(&app.db.pool)
    .await
    .unwrap();
    assert_eq!(on_gym, 1, "the line's uncategorised side is the template's category now");

    // Importing the file again changes nothing; the next date is posted as usual.
    let again = import(&app, &token, &checking, &file).await;
    assert_eq!(again["duplicate_lines"], 2, "{again}");
}

#[tokio::test]
async fn bad_recurring_transactions_are_refused_by_name_and_others_see_none() {
    let app = spawn(Models::test(), None, &[]).await;
    let (_, token) = app.person();
    let (_, bob) = app.person();
    let checking =
        account(&app, &token, json!({"name": "Checking", "kind": "asset", "currency": "EUR"}))
            .await;
    let rent = category(&app, &token, json!({"name": "Rent"})).await;
    let base = json!({"name": "Rent", "cadence": {"months": 1}, "starts": "2026-01-01",
                      "account_id": checking, "amount": "-950.00", "category_id": rent});
    let with = |change: Value| {
        let mut body = base.clone();
        body.as_object_mut().unwrap().extend(change.as_object().unwrap().clone());
        body
    };
    for (change, field) in [
        (json!({"cadence": {"months": 0}}), "cadence"),
        (json!({"ends": "2025-12-31"}), "ends"),
        (json!({"starts": "+200000-01-01"}), "starts"),
        (json!({"ends": "+250000-01-01"}), "ends"),
        (json!({"amount": "-950.001"}), "amount"),
        (json!({"name": " "}), "name"),
        (json!({"category_id": uuid::Uuid::new_v4()}), "category_id"),
        (json!({"currency": "EUR", "splits": []}), "splits"),
    ] {
        let refused =
            json_of(app.post_as("/v1/finance/recurring", &token, &with(change.clone())).await, 422)
                .await;
        assert!(refused["error"]["fields"].get(field).is_some(), "{change}: {refused}");
    }
    let unbalanced = json!({"name": "Split rent", "cadence": {"months": 1}, "starts": "2026-01-01",
        "currency": "EUR", "splits": [{"account_id": checking, "amount": "-950"},
                                      {"account_id": rent, "amount": "900"}]});
    let refused =
        json_of(app.post_as("/v1/finance/recurring", &token, &unbalanced).await, 422).await;
    assert!(refused["error"]["fields"].get("splits").is_some(), "{refused}");
    // Bob's attempt to post from Ada's account.
    let foreign = json_of(app.post_as("/v1/finance/recurring", &bob, &base).await, 422).await;
    assert!(foreign["error"]["fields"].get("account_id").is_some(), "{foreign}");
    let nothing: i64 = sqlx::query_scalar("SELECT count(*) FROM finance.recurring")
        .fetch_one(&app.db.pool)
        .await
        .unwrap();
    assert_eq!(nothing, 0);

    let split = json!({"name": "Split rent", "cadence": {"months": 1}, "starts": "2026-01-01",
        "currency": "EUR", "splits": [{"account_id": checking, "amount": "-950"},
                                      {"account_id": rent, "amount": "950", "memo": "flat"}]});
    let made = json_of(app.post_as("/v1/finance/recurring", &token, &split).await, 201).await;
    assert_eq!(made["splits"][1]["memo"], "flat");
    assert_eq!(made["account_id"], Value::Null);
    let id = made["id"].as_str().unwrap();
    let own = format!("/v1/finance/recurring/{id}");
    let moved = json_of(app.patch_as(&own, &token, &json!({"category_id": rent})).await, 422).await;
    assert!(moved["error"]["fields"].get("category_id").is_some(), "{moved}");
    let gone = format!("/v1/finance/recurring/{}", uuid::Uuid::new_v4());
    json_of(app.patch_as(&gone, &token, &json!({"name": "x"})).await, 404).await;
    json_of(app.post_as(&format!("{gone}/skip"), &token, &json!({})).await, 404).await;

    // Bob sees none of Ada's, and can change none.
    let listed = json_of(app.get_as("/v1/finance/recurring", &bob).await, 200).await;
    assert_eq!(listed["recurring"], json!([]));
    json_of(app.get_as(&own, &bob).await, 404).await;
    json_of(app.patch_as(&own, &bob, &json!({"paused": true})).await, 404).await;
    json_of(app.post_as(&format!("{own}/skip"), &bob, &json!({})).await, 404).await;
    assert_eq!(app.delete_as(&own, &bob).await.status(), 404);
    let mine = json_of(app.get_as("/v1/finance/recurring", &token).await, 200).await;
    assert_eq!(mine["recurring"].as_array().unwrap().len(), 1);

    // One that has ended has nothing to skip.
    let ended = json_of(
        app.post_as("/v1/finance/recurring", &token, &with(json!({"ends": "2026-02-01"}))).await,
        201,
    )
    .await;
    assert_eq!(ended["next_date"], Value::Null);
    assert_eq!(ended["upcoming"], json!([]));
    let skip = format!("/v1/finance/recurring/{}/skip", ended["id"].as_str().unwrap());
    json_of(app.post_as(&skip, &token, &json!({})).await, 409).await;
}

/// Every recurring route, for the OpenAPI check.
pub async fn samples(s: &mut posey_testkit::openapi::Samples, app: &AgentsApp, token: &str) {
    let call = |method: Method, path: &str| app.request(method, path, token);
    let checking = account(
        app,
        token,
        json!({"name": "Recurring checking", "kind": "asset", "currency": "EUR"}),
    )
    .await;
    let list = "/v1/finance/recurring";
    let rent = json!({"name": "Rent", "cadence": {"months": 1}, "starts": "2030-01-01",
                      "account_id": checking, "amount": "-950"});
    let (_, made) = s.send(list, call(Method::POST, list).json(&rent)).await;
    s.send(list, call(Method::POST, list).json(&json!({"name": "x"}))).await;
    s.send(list, call(Method::GET, list)).await;
    let id = made["id"].as_str().unwrap();
    let one = format!("/v1/finance/recurring/{id}");
    let template = "/v1/finance/recurring/{id}";
    let gone = format!("/v1/finance/recurring/{}", uuid::Uuid::new_v4());
    s.send(template, call(Method::GET, &one)).await;
    s.send(template, call(Method::GET, &gone)).await;
    s.send(template, call(Method::PATCH, &one).json(&json!({"amount": "-975"}))).await;
    s.send(template, call(Method::PATCH, &one).json(&json!({"amount": "-975.001"}))).await;
    let skip = "/v1/finance/recurring/{id}/skip";
    s.send(skip, call(Method::POST, &format!("{one}/skip"))).await;
    s.send(skip, call(Method::POST, &format!("{gone}/skip"))).await;
    s.send(template, call(Method::DELETE, &one)).await;
    s.send(template, call(Method::DELETE, &one)).await;
}
