//! The finance benchmark's two measurements, on a fresh database of its own (see
//! bench/finance/run, which builds and runs this and compares with hledger):
//!
//! import: an OFX file and a CSV file (the chase-checking preset's layout) of IMPORT
//!   transactions between them, generated here, each through the plugin's own import path
//!   (`imports::preview` then `imports::commit` in one database transaction: parsing, dedupe
//!   keys checked against the account, rules, the preview kept, then the transactions and
//!   their splits written and checked to balance by the database), then the OFX file again,
//!   whose every line is then a duplicate. Prints rows/s.
//! reports: REPORT transactions of another person bulk-generated in SQL (two splits each,
//!   through the same balance-checking and rollup triggers), then the cash-flow and category
//!   reports' SQL (the functions the routes call, without HTTP) RUNS times each, printing the
//!   median; then the book exported as the route exports it, to JOURNAL for hledger.
//!
//! Usage: posey-finance-bench <database url> <import> <report> <runs> <journal path>

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use chrono::{Days, NaiveDate};
use posey_finance_plugin::db::{self, accounts, reports};
use posey_finance_plugin::imports::{self, Upload};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgConnection, PgPool};
use uuid::Uuid;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let [_, url, import, report, runs, journal] = args.as_slice() else {
        bail!("usage: posey-finance-bench <database url> <import> <report> <runs> <journal path>");
    };
    let (import, report, runs): (usize, usize, usize) =
        (import.parse()?, report.parse()?, runs.parse()?);

    // A database of its own, dropped at the end.
    let name = format!("posey_finance_bench_{}", std::process::id());
    let mut admin = PgConnection::connect(url).await.context("connecting to the server")?;
    sqlx::raw_sql(&format!("CREATE DATABASE {name}")).execute(&mut admin).await?;
    let url = with_database(url, &name);
    let outcome = run(&url, import, report, runs, journal).await;
    sqlx::raw_sql(&format!("DROP DATABASE {name} WITH (FORCE)")).execute(&mut admin).await?;
    outcome
}

/// `url` naming database `name` instead of its own.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |at| at + 3);
    let base = match base[scheme_end..].rfind('/') {
        Some(at) => &base[..scheme_end + at],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

async fn run(
    url: &str,
    import: usize,
    report: usize,
    runs: usize,
    journal: &str,
) -> anyhow::Result<()> {
    let pool = PgPoolOptions::new().max_connections(4).connect(url).await?;
    for migration in posey_finance_plugin::migrations::MIGRATIONS {
        sqlx::raw_sql(migration.sql).execute(&pool).await.context(migration.name)?;
    }
    if import > 0 {
        import_files(&pool, import).await?;
    }
    if report > 0 {
        reports_over(&pool, report, runs.max(1), journal).await?;
    }
    Ok(())
}

fn rate(rows: usize, took: Duration) -> String {
    format!(
        "{:>9.0} rows/s ({rows} rows in {:.2} s)",
        rows as f64 / took.as_secs_f64(),
        took.as_secs_f64()
    )
}

/// An account for a bank file, with the identifiers its OFX names.
async fn bank_account(
    pool: &PgPool,
    person: Uuid,
    name: &str,
    number: &str,
) -> anyhow::Result<Uuid> {
    let new = accounts::NewAccount {
        kind: "asset".into(),
        name: name.into(),
        currency: Some("EUR".into()),
        on_budget: true,
        number: Some(number.into()),
        bank_id: Some("10020030".into()),
        ..accounts::NewAccount::default()
    };
    Ok(accounts::insert(pool, person, &new).await?)
}

/// Day `i` of the benchmark's years, 2020 to 2025.
fn day(i: usize) -> NaiveDate {
    let start = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap_or_default();
    start.checked_add_days(Days::new((i % 2190) as u64)).unwrap_or(start)
}

/// A purchase's amount in cents, varied but not random (the same files each run).
fn cents(i: usize) -> i64 {
    ((i * 7919) % 20_000 + 99) as i64
}

fn money(cents: i64) -> String {
    format!("{}{}.{:02}", if cents < 0 { "-" } else { "" }, cents.abs() / 100, cents.abs() % 100)
}

fn ofx(lines: usize) -> String {
    let mut text = String::from(
        "OFXHEADER:100\nDATA:OFXSGML\nVERSION:102\nSECURITY:NONE\nENCODING:USASCII\n\
         CHARSET:1252\nCOMPRESSION:NONE\nOLDFILEUID:NONE\nNEWFILEUID:NONE\n\n<OFX>\n\
         <SIGNONMSGSRSV1><SONRS><STATUS><CODE>0<SEVERITY>INFO</STATUS>\
         <DTSERVER>20260101120000<LANGUAGE>ENG</SONRS></SIGNONMSGSRSV1>\n\
         <BANKMSGSRSV1><STMTTRNRS><TRNUID>1<STATUS><CODE>0<SEVERITY>INFO</STATUS><STMTRS>\
         <CURDEF>EUR<BANKACCTFROM><BANKID>10020030<ACCTID>DE0001<ACCTTYPE>CHECKING</BANKACCTFROM>\n\
         <BANKTRANLIST><DTSTART>20200101<DTEND>20251231\n",
    );
    for i in 0..lines {
        let amount = if i % 10 == 0 { cents(i) * 20 } else { -cents(i) };
        let kind = if amount < 0 { "DEBIT" } else { "CREDIT" };
        text.push_str(&format!(
            "<STMTTRN><TRNTYPE>{kind}<DTPOSTED>{}<TRNAMT>{}<FITID>OFX{i:08}<NAME>Shop {}<MEMO>card payment {i}</STMTTRN>\n",
            day(i).format("%Y%m%d"),
            money(amount),
            i % 500,
        ));
    }
    text.push_str("</BANKTRANLIST></STMTRS></STMTTRNRS></BANKMSGSRSV1></OFX>\n");
    text
}

/// The chase-checking preset's layout: `Details,Posting Date,Description,Amount,Type,Balance,
/// Check or Slip #`, no bank ids: deduped by content and occurrence.
fn csv(lines: usize) -> String {
    let mut text =
        String::from("Details,Posting Date,Description,Amount,Type,Balance,Check or Slip #\n");
    for i in 0..lines {
        let amount = if i % 10 == 0 { cents(i) * 20 } else { -cents(i) };
        let details = if amount < 0 { "DEBIT" } else { "CREDIT" };
        text.push_str(&format!(
            "{details},{},\"SHOP {} BERLIN\",{},DEBIT_CARD,,,\n",
            day(i).format("%m/%d/%Y"),
            i % 500,
            money(amount),
        ));
    }
    text
}

/// Previews and commits one file, in one database transaction as the route does: the import.
async fn import_once(
    pool: &PgPool,
    person: Uuid,
    upload: Upload,
) -> anyhow::Result<(imports::Import, Duration, Duration)> {
    let started = Instant::now();
    let mut conn = pool.acquire().await?;
    let preview =
        imports::preview(&mut conn, person, upload).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    let previewed = started.elapsed();
    let mut tx = pool.begin().await?;
    let done =
        imports::commit(&mut tx, person, preview.id).await.map_err(|e| anyhow::anyhow!("{e}"))?;
    tx.commit().await?;
    Ok((done, previewed, started.elapsed()))
}

async fn import_files(pool: &PgPool, total: usize) -> anyhow::Result<()> {
    let person = Uuid::now_v7();
    db::set_currency(pool, person, "EUR").await?;
    let ofx_lines = total / 2;
    let csv_lines = total - ofx_lines;
    let giro = bank_account(pool, person, "Giro", "DE0001").await?;
    let card = bank_account(pool, person, "Card", "DE0002").await?;
    let ofx_file = bytes::Bytes::from(ofx(ofx_lines));
    let csv_file = bytes::Bytes::from(csv(csv_lines));
    println!(
        "import: {ofx_lines} OFX lines ({} kB) and {csv_lines} CSV lines ({} kB), dedupe on",
        ofx_file.len() / 1024,
        csv_file.len() / 1024
    );

    let upload = |account_id, format: &str, preset: Option<&str>, bytes: &bytes::Bytes| Upload {
        account_id,
        format: Some(format.into()),
        mapping_id: None,
        preset: preset.map(str::to_owned),
        file_name: Some(format!("bench.{format}")),
        bytes: bytes.clone(),
    };
    let (done, previewed, took) =
        import_once(pool, person, upload(giro, "ofx", None, &ofx_file)).await?;
    println!(
        "  OFX  preview+commit {}  (preview {:.2} s; added {:?}, skipped {:?})",
        rate(ofx_lines, took),
        previewed.as_secs_f64(),
        done.added,
        done.skipped
    );
    let (done, previewed, took) =
        import_once(pool, person, upload(card, "csv", Some("chase-checking"), &csv_file)).await?;
    println!(
        "  CSV  preview+commit {}  (preview {:.2} s; added {:?}, skipped {:?})",
        rate(csv_lines, took),
        previewed.as_secs_f64(),
        done.added,
        done.skipped
    );
    let (done, _, took) = import_once(pool, person, upload(giro, "ofx", None, &ofx_file)).await?;
    println!(
        "  OFX again (all duplicates) {}  (added {:?}, skipped {:?})",
        rate(ofx_lines, took),
        done.added,
        done.skipped
    );
    if done.added.unwrap_or(0) != 0 {
        bail!("importing the same file again added transactions");
    }
    Ok(())
}

/// `n` transactions over ten years for `person`, in chunks: 90% spending over 20 expense
/// categories (five top-level ones with three under each), 10% income over two; two accounts.
async fn generate(pool: &PgPool, person: Uuid, n: usize) -> anyhow::Result<()> {
    let setup = format!(
        "INSERT INTO finance.settings (user_id, currency) VALUES ('{person}', 'EUR');
         INSERT INTO finance.accounts (id, user_id, kind, name, currency) VALUES
            (md5('checking')::uuid, '{person}', 'asset', 'Checking', 'EUR'),
            (md5('card')::uuid, '{person}', 'liability', 'Card', 'EUR');
         INSERT INTO finance.accounts (id, user_id, kind, name)
            SELECT md5('top' || k)::uuid, '{person}', 'expense', 'Spending ' || k FROM generate_series(0, 4) k;
         INSERT INTO finance.accounts (id, user_id, kind, name, parent_id)
            SELECT md5('cat' || k)::uuid, '{person}', 'expense', 'Kind ' || k, md5('top' || (k % 5))::uuid
            FROM generate_series(0, 14) k;
         INSERT INTO finance.accounts (id, user_id, kind, name)
            SELECT md5('income' || k)::uuid, '{person}', 'income', 'Income ' || k FROM generate_series(0, 1) k;
         INSERT INTO finance.payees (id, user_id, name)
            SELECT md5('payee' || k)::uuid, '{person}', 'Payee ' || k FROM generate_series(0, 199) k;"
    );
    sqlx::raw_sql(&setup).execute(pool).await?;
    let chunk = 100_000;
    let mut from = 0;
    while from < n {
        let to = (from + chunk).min(n) - 1;
        let sql = format!(
            "CREATE TEMP TABLE g AS
               SELECT i, md5('t' || i)::uuid AS id, DATE '2016-01-01' + (i % 3652)::int AS date,
                 i % 10 = 0 AS income, round(((i * 7919) % 20000 + 99) / 100.0, 2) AS amount,
                 CASE WHEN i % 3 = 0 THEN md5('card')::uuid ELSE md5('checking')::uuid END AS account,
                 CASE WHEN i % 10 = 0 THEN md5('income' || (i % 2))::uuid
                      WHEN i % 4 = 0 THEN md5('top' || (i % 5))::uuid
                      ELSE md5('cat' || (i % 15))::uuid END AS category
               FROM generate_series({from}::bigint, {to}::bigint) i;
             INSERT INTO finance.transactions (id, user_id, date, currency, payee_id, description, status)
               SELECT id, '{person}', date, 'EUR', md5('payee' || (i % 200))::uuid, 'bench ' || i, 'cleared' FROM g;
             INSERT INTO finance.splits (id, transaction_id, user_id, account_id, amount, currency, value, position, date)
               SELECT md5('s' || i || '-' || side)::uuid, id, '{person}',
                 CASE side WHEN 0 THEN account ELSE category END,
                 CASE WHEN (side = 0) = income THEN amount ELSE -amount END, 'EUR',
                 CASE WHEN (side = 0) = income THEN amount ELSE -amount END, side, date
               FROM g CROSS JOIN (VALUES (0), (1)) AS s(side);
             DROP TABLE g;"
        );
        sqlx::raw_sql(&sql).execute(pool).await?;
        from = to + 1;
    }
    sqlx::raw_sql("VACUUM ANALYZE finance.splits, finance.transactions, finance.account_months")
        .execute(pool)
        .await?;
    Ok(())
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

async fn reports_over(pool: &PgPool, n: usize, runs: usize, journal: &str) -> anyhow::Result<()> {
    let person = Uuid::now_v7();
    let started = Instant::now();
    generate(pool, person, n).await?;
    println!(
        "reports: {n} transactions generated in SQL in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let from = NaiveDate::from_ymd_opt(2016, 1, 1).unwrap_or_default();
    let to = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default();

    let mut flow_times = Vec::new();
    let mut months = 0;
    for _ in 0..runs {
        let started = Instant::now();
        months = reports::cash_flow(pool, person, from, to).await?.len();
        flow_times.push(started.elapsed());
    }
    let mut category_times = Vec::new();
    let mut totals = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        totals = reports::by_category(pool, person, reports::Side::Expense, false, from, to, true)
            .await?;
        category_times.push(started.elapsed());
    }
    let categories = totals.len();
    let spent: rust_decimal::Decimal = totals.iter().map(|t| t.amount).sum();
    let mut payee_times = Vec::new();
    for _ in 0..runs {
        let started = Instant::now();
        reports::by_payee(pool, person, reports::Side::Expense, from, to).await?;
        payee_times.push(started.elapsed());
    }
    let started = Instant::now();
    let text = reports::journal(pool, person).await?;
    let exported = started.elapsed();
    std::fs::write(journal, &text).with_context(|| format!("writing {journal}"))?;
    // Lines the run script reads: name, milliseconds.
    println!(
        "posey cash-flow {:.3} ({months} month rows, median of {runs})",
        median(flow_times).as_secs_f64() * 1000.0
    );
    println!(
        "posey category {:.3} ({categories} categories, median of {runs})",
        median(category_times).as_secs_f64() * 1000.0
    );
    println!(
        "posey payee {:.3} (by payee, from the splits; median of {runs})",
        median(payee_times).as_secs_f64() * 1000.0
    );
    println!("posey spending-total {spent}");
    println!(
        "posey export {:.3} (the journal, {} MB)",
        exported.as_secs_f64() * 1000.0,
        text.len() / 1_000_000
    );
    Ok(())
}
