//! Bank files into the books, for routes and tools alike: a file is parsed into a preview
//! (lines the account holds already flagged, lines that are payments the recurring poster
//! already posted matched to them, the person's rules applied, the statement's closing balance
//! checked) kept for a day; committing writes its new lines and links the matched ones in one
//! database transaction, and deleting an import takes the transactions it added with it.

use std::collections::{HashMap, HashSet};

use axum::body::Bytes;
use chrono::{DateTime, NaiveDate, Utc};
use posey_finance::import::csv::{CsvMapping, presets};
use posey_finance::import::dedupe::import_keys;
use posey_finance::import::{Format, Statement, sniff};
use posey_finance::rules::{self, Rule, Subject};
use posey_finance::{Currency, Money};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::db::accounts::{self, Account, Kinds};
use crate::db::imports::{self as store, ImportRow, NewImport};
use crate::db::transactions::{self, NewSplit, NewTransaction};
use crate::error::FinanceError;

/// How long a preview waits to be committed.
pub const PREVIEW_HOURS: i64 = 24;
/// Transactions written per statement: large enough that 100,000 lines take 50 round trips,
/// small enough that a statement's parameters stay modest.
const CHUNK: usize = 2000;
// The columns' limits (see the migration): longer text from a bank is cut, not refused.
const MAX_PAYEE: usize = 200;
const MAX_DESCRIPTION: usize = 2000;
/// How many days apart a bank line and a transaction the recurring poster posted may be and
/// still be one payment: Actual Budget's window for matching imported lines to existing ones
/// (the poster uses it too, for a line imported before its date was posted).
pub(crate) const MATCH_DAYS: u64 = 7;

/// A file as uploaded, with how to read it.
#[derive(Debug, Clone)]
pub struct Upload {
    pub account_id: Uuid,
    /// `ofx`, `camt053` or `csv`; `None`: sniffed (CSV when a mapping or preset is given).
    pub format: Option<String>,
    /// A saved CSV mapping of the person's.
    pub mapping_id: Option<Uuid>,
    /// One of `import::csv::presets()`' ids.
    pub preset: Option<String>,
    pub file_name: Option<String>,
    pub bytes: Bytes,
}

/// One line of a preview, as kept until committed and as shown.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportLine {
    pub date: NaiveDate,
    /// Signed, in the account's currency: money out is negative.
    #[schema(value_type = String)]
    pub amount: Decimal,
    /// As the rules leave it.
    #[schema(required = true)]
    pub payee: Option<String>,
    /// As the file says it, when a rule changed it.
    #[schema(required = true)]
    pub file_payee: Option<String>,
    #[schema(required = true)]
    pub description: Option<String>,
    /// The bank's own id for the line (OFX FITID, CAMT AcctSvcrRef).
    #[schema(required = true)]
    pub reference: Option<String>,
    #[schema(required = true)]
    pub check_number: Option<String>,
    /// The category a rule chose; `null`: uncategorised.
    #[schema(required = true)]
    pub category_id: Option<Uuid>,
    #[schema(required = true)]
    pub category: Option<String>,
    pub tags: Vec<String>,
    /// The rules that matched, in the order they ran.
    pub rules: Vec<Uuid>,
    /// The account holds this line already (or the file repeats it): committing skips it.
    pub duplicate: bool,
    /// The transaction the recurring poster already posted for this payment (same account and
    /// amount, at most 7 days apart, not matched to a bank line before): committing links the
    /// line to it (it keeps its date, category and payee, takes the line's dedupe key and is
    /// cleared) instead of adding a second one. A reconciled one is left as it is, and the
    /// line skipped.
    #[serde(default)]
    #[schema(required = true)]
    pub matches: Option<Uuid>,
    /// Where in the file it is (`line 12`, `STMTTRN 3, line 40`, `Stmt 1/Ntry 2`).
    pub source: String,
    /// What makes importing it again change nothing.
    pub import_key: String,
}

/// The file's closing balance against what the account holds on that day.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct BalanceCheck {
    pub date: NaiveDate,
    /// What the file says.
    #[schema(value_type = String)]
    pub stated: Decimal,
    /// What the account holds at the end of `date`: once the preview's new lines are in, for a
    /// preview.
    #[schema(value_type = String)]
    pub after_import: Decimal,
    pub matches: bool,
}

/// An import: a preview of a file, or what committing it added.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = FinanceImport)]
pub struct Import {
    pub id: Uuid,
    pub account_id: Uuid,
    /// `ofx`, `camt053` or `csv`.
    pub format: String,
    #[schema(required = true)]
    pub file_name: Option<String>,
    /// `preview` (not written yet) or `committed`.
    pub state: String,
    /// A preview's lines that committing would add, those it would skip, and those it would
    /// link to the recurring transactions they match.
    #[schema(required = true)]
    pub new_lines: Option<i64>,
    #[schema(required = true)]
    pub duplicate_lines: Option<i64>,
    #[schema(required = true)]
    pub matched_lines: Option<i64>,
    /// What committing added, linked to posted recurring transactions, and skipped as
    /// already there.
    #[schema(required = true)]
    pub added: Option<i32>,
    #[schema(required = true)]
    pub matched: Option<i32>,
    #[schema(required = true)]
    pub skipped: Option<i32>,
    /// Where the file states a closing balance (not in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub balance_check: Option<BalanceCheck>,
    /// A preview's lines (not in lists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lines: Option<Vec<ImportLine>>,
    pub created_at: DateTime<Utc>,
    #[schema(required = true)]
    pub committed_at: Option<DateTime<Utc>>,
    /// When an uncommitted preview is forgotten.
    #[schema(required = true)]
    pub expires_at: Option<DateTime<Utc>>,
}

impl Import {
    fn of(row: ImportRow) -> Self {
        let preview = row.state == "preview";
        let duplicates = row.duplicate_count.unwrap_or(0);
        let matched = row.matched_count.unwrap_or(0);
        Self {
            id: row.id,
            account_id: row.account_id,
            format: row.format,
            file_name: row.file_name,
            new_lines: preview
                .then(|| i64::from(row.line_count.unwrap_or(0)) - duplicates - matched),
            duplicate_lines: preview.then_some(duplicates),
            matched_lines: preview.then_some(matched),
            state: row.state,
            added: row.added,
            matched: row.matched,
            skipped: row.skipped,
            balance_check: None,
            lines: None,
            created_at: row.created_at,
            committed_at: row.committed_at,
            expires_at: row.expires_at,
        }
    }
}

/// Reads `upload` into a preview of what importing it into the account would add, and keeps
/// it; nothing is written to the books. A file that cannot be read is refused naming where.
pub async fn preview(
    db: &mut PgConnection,
    person: Uuid,
    upload: Upload,
) -> Result<Import, FinanceError> {
    let account = account_of(db, person, upload.account_id).await?;
    let currency = Currency::parse(account.currency.as_deref().unwrap_or_default())?;
    if let Some(name) = &upload.file_name
        && name.chars().count() > 255
    {
        return Err(FinanceError::invalid("file_name", "must be at most 255 characters"));
    }
    if upload.bytes.is_empty() {
        return Err(FinanceError::invalid("file", "is empty"));
    }
    let (format, format_name) = format_of(db, person, &upload).await?;
    let bytes = upload.bytes.clone();
    // Parsing a large file is CPU work: off the async threads.
    let parsed = tokio::task::spawn_blocking(move || format.importer().parse(&bytes))
        .await
        .map_err(|error| FinanceError::Internal(error.into()))?;
    let statements = parsed.map_err(|error| {
        FinanceError::invalid("file", format!("{}: {}", error.at, error.message))
    })?;
    let statement = statement_for(statements, &account)?;
    if let Some(stated) = statement.currency
        && stated != currency
    {
        return Err(FinanceError::invalid(
            "file",
            format!("the statement is in {stated}, the account {} in {currency}", account.name),
        ));
    }
    for line in &statement.lines {
        if let Some(own) = line.currency
            && own != currency
        {
            return Err(FinanceError::invalid(
                "file",
                format!(
                    "{}: the line is in {own}, the account {} in {currency}",
                    line.source, account.name
                ),
            ));
        }
        Money::new(line.amount, currency)
            .map_err(|error| FinanceError::invalid("file", format!("{}: {error}", line.source)))?;
    }

    let keys = import_keys(&statement.lines, currency);
    let held = store::existing_keys(&mut *db, person, account.id, &keys).await?;
    let rules = enabled_rules(db, person).await?;
    let categories: HashMap<Uuid, String> = accounts::list(&mut *db, person, Kinds::Categories)
        .await?
        .into_iter()
        .map(|c| (c.id, c.name))
        .collect();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut lines = Vec::with_capacity(statement.lines.len());
    for (line, key) in statement.lines.iter().zip(&keys) {
        let payee = line.payee.as_deref().map(|p| cut(p, MAX_PAYEE)).filter(|p| !p.is_empty());
        let description = line.description.as_deref().map(|d| cut(d, MAX_DESCRIPTION));
        let subject = Subject {
            payee: payee.as_deref(),
            description: description.as_deref(),
            amount: line.amount,
            account: account.id,
            category: None,
            tags: &[],
        };
        let outcome = rules::apply(&rules.1, &subject);
        let category_id = outcome.category.filter(|id| categories.contains_key(id));
        let new_payee = outcome.payee.as_deref().map(|p| cut(p, MAX_PAYEE));
        let duplicate = held.contains(key) || !seen.insert(key.as_str());
        lines.push(ImportLine {
            date: line.date,
            amount: Money::new(line.amount, currency)?.amount(),
            file_payee: (new_payee != payee).then(|| payee.clone()).flatten(),
            payee: new_payee,
            description,
            reference: line.reference.clone(),
            check_number: line.check_number.clone(),
            category_id,
            category: category_id.and_then(|id| categories.get(&id).cloned()),
            tags: outcome.tags,
            rules: outcome.matched.iter().map(|at| rules.0[*at]).collect(),
            duplicate,
            matches: None,
            source: line.source.clone(),
            import_key: key.clone(),
        });
    }
    match_posted(db, person, account.id, &mut lines).await?;

    store::delete_expired(&mut *db, person).await?;
    let id = Uuid::now_v7();
    let closing = statement.closing_balance;
    store::insert(
        &mut *db,
        person,
        &NewImport {
            id,
            account_id: account.id,
            format: format_name,
            file_name: upload.file_name.as_deref(),
            file_sha256: &Sha256::digest(&upload.bytes),
            lines: &lines,
            statement_balance: closing.map(|b| b.amount),
            statement_date: closing.map(|b| b.date),
            expires_at: Utc::now() + chrono::Duration::hours(PREVIEW_HOURS),
        },
    )
    .await?;
    get(db, person, id).await
}

/// One of the person's imports, with a preview's lines and the balance check.
pub async fn get(db: &mut PgConnection, person: Uuid, id: Uuid) -> Result<Import, FinanceError> {
    let row = find(db, person, id, false).await?;
    let (balance, date) = (row.statement_balance, row.statement_date);
    let mut import = Import::of(row);
    let lines: Option<Vec<ImportLine>> =
        if import.state == "preview" { store::lines(&mut *db, person, id).await? } else { None };
    if let (Some(stated), Some(date)) = (balance, date) {
        let held = transactions::balance_through(&mut *db, import.account_id, date).await?;
        let coming: Decimal = lines
            .iter()
            .flatten()
            .filter(|l| !l.duplicate && l.matches.is_none() && l.date <= date)
            .map(|l| l.amount)
            .sum();
        let after_import = held + coming;
        import.balance_check =
            Some(BalanceCheck { date, stated, after_import, matches: after_import == stated });
    }
    import.lines = lines;
    Ok(import)
}

/// The person's imports, newest first (previews past their time are forgotten first).
pub async fn list(db: &mut PgConnection, person: Uuid) -> Result<Vec<Import>, FinanceError> {
    store::delete_expired(&mut *db, person).await?;
    Ok(store::list(&mut *db, person).await?.into_iter().map(Import::of).collect())
}

async fn find(
    db: &mut PgConnection,
    person: Uuid,
    id: Uuid,
    lock: bool,
) -> Result<ImportRow, FinanceError> {
    let row = store::find(&mut *db, person, id, lock)
        .await?
        .ok_or_else(|| FinanceError::not_found("import"))?;
    if row.state == "preview" && row.expires_at.is_some_and(|at| at < Utc::now()) {
        return Err(FinanceError::NotFound(
            "the preview has expired: upload the file again".into(),
        ));
    }
    Ok(row)
}

/// Writes a preview's new lines as cleared transactions; `db` must be a database transaction,
/// which the caller commits: all of the file or none of it. Lines another import added since
/// the preview are skipped (the unique key decides), and counted. Lines are matched to what the
/// recurring poster posted again here, as of the commit, not as of the preview.
pub async fn commit(db: &mut PgConnection, person: Uuid, id: Uuid) -> Result<Import, FinanceError> {
    let row = find(db, person, id, true).await?;
    if row.state != "preview" {
        return Err(FinanceError::Conflict("the import is committed already".into()));
    }
    let mut lines: Vec<ImportLine> = store::lines(&mut *db, person, id).await?.unwrap_or_default();
    let account = account_of(db, person, row.account_id).await?;
    // Matched again, now, under the lock the recurring poster takes too: what it posted since
    // the preview (or is posting now) is linked, not added a second time.
    crate::db::lock_bank_payments(&mut *db, person).await?;
    for line in &mut lines {
        line.matches = None;
    }
    match_posted(db, person, account.id, &mut lines).await?;
    let currency = account.currency.clone().unwrap_or_default();
    let categories: HashSet<Uuid> = accounts::list(&mut *db, person, Kinds::Categories)
        .await?
        .into_iter()
        .map(|c| c.id)
        .collect();
    let kept: Vec<&ImportLine> = lines.iter().filter(|l| !l.duplicate).collect();
    let mut names: Vec<String> = kept.iter().filter_map(|l| l.payee.clone()).collect();
    names.sort();
    names.dedup();
    let payees = store::payee_ids(db, person, &names).await?;
    let mut roles: HashMap<&str, Uuid> = HashMap::new();
    // Lines matched to a posted recurring transaction link to it; one gone since leaves its
    // line to be added; a reconciled one skips it (Actual Budget's way).
    let mut new: Vec<&ImportLine> = Vec::with_capacity(kept.len());
    let mut matched = 0;
    for line in kept {
        let Some(posted) = line.matches else {
            new.push(line);
            continue;
        };
        match store::lock_unmatched(&mut *db, person, posted).await?.as_deref() {
            None => new.push(line),
            Some("reconciled") => {}
            Some(_) => {
                let link = store::Link {
                    transaction: posted,
                    account: account.id,
                    import: id,
                    key: &line.import_key,
                    source: &line.source,
                    description: line.description.as_deref(),
                    payee_id: line.payee.as_ref().and_then(|p| payees.get(p).copied()),
                };
                if store::link(&mut *db, person, &link).await? {
                    matched += 1;
                }
            }
        }
    }
    let mut added = 0;
    for chunk in new.chunks(CHUNK) {
        let mut batch = Vec::with_capacity(chunk.len());
        for line in chunk {
            let counter = match line.category_id.filter(|c| categories.contains(c)) {
                Some(category) => category,
                None => {
                    // No category (or one deleted since the preview): uncategorised, by sign.
                    let role = if line.amount.is_sign_negative() {
                        "uncategorised_expense"
                    } else {
                        "uncategorised_income"
                    };
                    match roles.get(role) {
                        Some(id) => *id,
                        None => {
                            let made = accounts::role_account(db, person, role).await?;
                            roles.insert(role, made);
                            made
                        }
                    }
                }
            };
            let split = |account_id: Uuid, amount: Decimal| NewSplit {
                account_id,
                amount,
                currency: currency.clone(),
                value: amount,
                rate: None,
                rate_date: None,
                memo: None,
            };
            batch.push(NewTransaction {
                id: Uuid::now_v7(),
                date: line.date,
                currency: currency.clone(),
                payee_id: line.payee.as_ref().and_then(|p| payees.get(p).copied()),
                description: line.description.clone(),
                notes: None,
                tags: line.tags.clone(),
                status: "cleared".into(),
                import_id: Some(id),
                import_key: Some((account.id, line.import_key.clone())),
                source: Some(line.source.clone()),
                recurring_id: None,
                splits: vec![split(account.id, line.amount), split(counter, -line.amount)],
            });
        }
        added += transactions::insert(db, person, &batch).await?.len();
    }
    store::mark_committed(&mut *db, id, added, matched, lines.len() - added - matched).await?;
    get(db, person, id).await
}

/// What deleting an import removed.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeletedImport {
    pub id: Uuid,
    /// The transactions it had added (none for a preview).
    pub transactions: i64,
}

/// Deletes a preview, or a committed import with the transactions it added; reconciled ones
/// among them only when `confirm_reconciled`. `db` should be a database transaction.
pub async fn delete(
    db: &mut PgConnection,
    person: Uuid,
    id: Uuid,
    confirm_reconciled: bool,
) -> Result<DeletedImport, FinanceError> {
    store::find(&mut *db, person, id, true)
        .await?
        .ok_or_else(|| FinanceError::not_found("import"))?;
    let (count, reconciled) = store::transaction_counts(&mut *db, id).await?;
    if reconciled > 0 {
        if !confirm_reconciled {
            return Err(FinanceError::Conflict(format!(
                "{reconciled} of the transactions this import added are reconciled; \
                 send confirm_reconciled=true to delete them too"
            )));
        }
        transactions::allow_reconciled_changes(db).await?;
    }
    store::unlink(&mut *db, person, id).await?;
    store::delete(&mut *db, person, id).await?;
    Ok(DeletedImport { id, transactions: count })
}

/// Marks each new line that is a payment the recurring poster already posted on the account:
/// same amount, at most [`MATCH_DAYS`] apart, each posted transaction matched once, the
/// nearest in date first (in the file's order, as Actual Budget matches imported lines).
async fn match_posted(
    db: &mut PgConnection,
    person: Uuid,
    account: Uuid,
    lines: &mut [ImportLine],
) -> Result<(), FinanceError> {
    let dates = lines.iter().filter(|l| !l.duplicate).map(|l| l.date);
    let (Some(first), Some(last)) = (dates.clone().min(), dates.max()) else { return Ok(()) };
    let window = chrono::Days::new(MATCH_DAYS);
    let from = first.checked_sub_days(window).unwrap_or(first);
    let to = last.checked_add_days(window).unwrap_or(last);
    let posted = store::posted_unmatched(&mut *db, person, account, from, to).await?;
    if posted.is_empty() {
        return Ok(());
    }
    let mut taken: HashSet<Uuid> = HashSet::new();
    for line in lines.iter_mut().filter(|l| !l.duplicate) {
        let apart = |date: NaiveDate| (date - line.date).num_days().unsigned_abs();
        let nearest = posted
            .iter()
            .filter(|p| p.amount == line.amount && !taken.contains(&p.id))
            .filter(|p| apart(p.date) <= MATCH_DAYS)
            .min_by_key(|p| (apart(p.date), p.date, p.id));
        if let Some(found) = nearest {
            taken.insert(found.id);
            line.matches = Some(found.id);
        }
    }
    Ok(())
}

async fn account_of(
    db: &mut PgConnection,
    person: Uuid,
    id: Uuid,
) -> Result<Account, FinanceError> {
    let account = accounts::find(&mut *db, person, id)
        .await?
        .filter(|a| matches!(a.kind.as_str(), "asset" | "liability"))
        .ok_or_else(|| FinanceError::not_found("account"))?;
    if account.closed_at.is_some() {
        return Err(FinanceError::invalid("account_id", format!("{} is closed", account.name)));
    }
    Ok(account)
}

/// The person's enabled rules as posey-finance reads them, with their ids.
async fn enabled_rules(
    db: &mut PgConnection,
    person: Uuid,
) -> Result<(Vec<Uuid>, Vec<Rule>), FinanceError> {
    let mut ids = Vec::new();
    let mut rules = Vec::new();
    for (id, json) in crate::db::rules::enabled(&mut *db, person).await? {
        // Rules are checked when saved; one that no longer reads is left out, not fatal.
        if let Ok(rule) = serde_json::from_value::<Rule>(json.0) {
            ids.push(id);
            rules.push(rule);
        }
    }
    Ok((ids, rules))
}

async fn format_of(
    db: &mut PgConnection,
    person: Uuid,
    upload: &Upload,
) -> Result<(Format, &'static str), FinanceError> {
    let wanted = upload.format.as_deref().map(str::to_ascii_lowercase);
    let csv = match (&upload.mapping_id, &upload.preset) {
        (Some(_), Some(_)) => {
            return Err(FinanceError::invalid("preset", "give mapping_id or preset, not both"));
        }
        (Some(id), None) => {
            let row = store::find_csv_mapping(&mut *db, person, *id)
                .await?
                .ok_or_else(|| FinanceError::not_found("CSV mapping"))?;
            let mapping: CsvMapping = serde_json::from_value(row.mapping.0)
                .map_err(|error| FinanceError::invalid("mapping_id", error))?;
            Some(mapping)
        }
        (None, Some(id)) => {
            let preset = presets().into_iter().find(|p| p.id == id).ok_or_else(|| {
                FinanceError::invalid("preset", "no such preset (GET /v1/finance/csv-presets)")
            })?;
            Some(preset.mapping)
        }
        (None, None) => None,
    };
    match (wanted.as_deref(), csv) {
        (None | Some("csv"), Some(mapping)) => Ok((Format::Csv { mapping }, "csv")),
        (Some("csv"), None) => Err(FinanceError::invalid(
            "mapping_id",
            "a CSV file is read with a saved mapping (mapping_id) or a bank's preset (preset)",
        )),
        (Some("ofx" | "qfx" | "camt053"), Some(_)) => {
            Err(FinanceError::invalid("mapping_id", "a mapping is for CSV files only"))
        }
        (Some("ofx" | "qfx"), None) => Ok((Format::Ofx, "ofx")),
        (Some("camt053"), None) => Ok((Format::Camt053, "camt053")),
        (Some(_), _) => Err(FinanceError::invalid("format", "must be ofx, camt053 or csv")),
        (None, None) => match sniff(&upload.bytes) {
            Some(Format::Camt053) => Ok((Format::Camt053, "camt053")),
            Some(format) => Ok((format, "ofx")),
            None => Err(FinanceError::invalid(
                "format",
                "the file is not OFX or CAMT.053; for a CSV file give mapping_id or preset",
            )),
        },
    }
}

/// The statement for `account`: the only one, or the one whose account number is the
/// account's.
fn statement_for(
    mut statements: Vec<Statement>,
    account: &Account,
) -> Result<Statement, FinanceError> {
    if statements.len() == 1 {
        return Ok(statements.remove(0));
    }
    let normal = |number: &str| {
        number.chars().filter(|c| c.is_alphanumeric()).collect::<String>().to_uppercase()
    };
    let ours = account.number.as_deref().map(normal);
    let named: Vec<String> = statements
        .iter()
        .map(|s| s.account.account_id.clone().unwrap_or_else(|| "(unnamed)".into()))
        .collect();
    if statements.is_empty() {
        return Err(FinanceError::invalid("file", "the file holds no statement"));
    }
    statements
        .into_iter()
        .find(|s| ours.is_some() && s.account.account_id.as_deref().map(normal) == ours)
        .ok_or_else(|| {
            FinanceError::invalid(
                "file",
                format!(
                    "the file holds statements for accounts {}; none is {}'s number{}",
                    named.join(", "),
                    account.name,
                    if ours.is_none() { " (the account has none: set it)" } else { "" }
                ),
            )
        })
}

/// `text` trimmed and cut to `max` characters.
fn cut(text: &str, max: usize) -> String {
    text.trim().chars().take(max).collect()
}
