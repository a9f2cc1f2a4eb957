//! `/v1/finance/export.csv` and `/v1/finance/export.journal`: everything a person's books hold,
//! to take away: every split as a CSV row, and the books as an hledger journal (account tree
//! names, opening balances, transactions). Both are built in memory and sent whole: one read
//! of the splits, so the file is one consistent state of the books. And the finance part of a
//! person's export (`GET /v1/me/export`): those two files, with the rest as the lists show it.

use anyhow::Context as _;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use posey_http::ApiError;
use posey_http::auth::Person;
use posey_plugin::Export;
use posey_plugin::responses::NeedsPerson;
use serde::Serialize;
use sqlx::PgPool;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::shared::RouteState;
use super::{accounts, bills, categories, imports, recurring, rules};
use crate::db::{self, reports};
use crate::error::FinanceError;

pub fn router() -> OpenApiRouter<RouteState> {
    OpenApiRouter::new().routes(routes!(export_csv)).routes(routes!(export_journal))
}

fn file(content_type: &str, name: &str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        body,
    )
        .into_response()
}

/// Every split as a CSV row
///
/// One row per split (RFC 4180): `date, transaction_id, payee, description, account,
/// account_kind, amount, currency, value, transaction_currency, status, tags, notes, memo,
/// rate, rate_date`. `account` is the account's or category's name under its parents
/// (`Food:Groceries`); `amount` is in the account's `currency`, debit positive, `value` in the
/// transaction's; `tags` are joined by commas; `notes` are the transaction's (on each of its
/// rows), `memo` the split's; `rate` and `rate_date` are the conversion of a split whose
/// currency is not the transaction's.
#[utoipa::path(get, path = "/v1/finance/export.csv", tag = "finance", operation_id = "exportFinanceCsv",
    security(("bearer" = [])),
    responses((status = 200, description = "The splits as CSV", content_type = "text/csv", body = String), NeedsPerson))]
async fn export_csv(
    State(state): State<RouteState>,
    Person(person): Person,
) -> Result<Response, ApiError> {
    let body = reports::csv(state.db(), person)
        .await
        .map_err(|e| ApiError::Internal(e.context("writing the CSV")))?;
    Ok(file("text/csv; charset=utf-8", "posey-finance.csv", body))
}

/// The books as an hledger journal
///
/// Readable by hledger (and mostly ledger): `hledger -f posey.journal bal` gives the balances
/// Posey shows. Accounts are named by kind and their tree (`expenses:Food:Groceries`); an
/// account's opening balance is written against `equity:opening balances`.
#[utoipa::path(get, path = "/v1/finance/export.journal", tag = "finance", operation_id = "exportFinanceJournal",
    security(("bearer" = [])),
    responses((status = 200, description = "The hledger journal", content_type = "text/plain", body = String), NeedsPerson))]
async fn export_journal(
    State(state): State<RouteState>,
    Person(person): Person,
) -> Result<Response, ApiError> {
    let text = reports::journal(state.db(), person)
        .await
        .map_err(|e| ApiError::Internal(e.context("writing the journal")))?;
    Ok(file("text/plain; charset=utf-8", "posey-finance.journal", text.into_bytes()))
}

#[derive(Serialize)]
struct Budgets {
    /// The currency the envelopes are in (the settings'); `null` until chosen.
    currency: Option<String>,
    envelopes: Vec<db::budgets::Envelope>,
}

#[derive(Serialize)]
struct Reconciliations {
    reconciliations: Vec<db::transactions::Reconciliation>,
}

/// Writes the person's books under `finance/`, one file at a time: `transactions.csv` and
/// `journal.ledger` (the export routes' files), the lists as their routes show them
/// (`settings`, `accounts`, `categories`, `payees`, `rules`, `bills`, `recurring`,
/// `csv_mappings`, `imports`), the budget's envelopes and the reconciliations, and each
/// import still a preview with its lines (`imports/<id> preview.json`). Bank files themselves
/// are not kept, so they are not in it.
pub async fn export_person(db: PgPool, person: Uuid, out: Export) -> anyhow::Result<()> {
    let csv = reports::csv(&db, person).await.context("writing the transactions' CSV")?;
    out.file("transactions.csv", csv).await?;
    let journal = reports::journal(&db, person).await.context("writing the journal")?;
    out.file("journal.ledger", journal).await?;

    let settings = accounts::settings(&db, person).await.context("reading the settings")?;
    out.json("settings.json", &settings).await?;
    let list = accounts::account_list(&db, person).await.context("listing the accounts")?;
    out.json("accounts.json", &list).await?;
    let list = categories::category_list(&db, person).await.context("listing the categories")?;
    out.json("categories.json", &list).await?;
    let list = accounts::payee_list(&db, person).await.context("listing the payees")?;
    out.json("payees.json", &list).await?;
    let budgets = Budgets {
        currency: db::currency(&db, person).await.context("reading the currency")?,
        envelopes: db::budgets::envelopes(&db, person).await.context("listing the budgets")?,
    };
    out.json("budgets.json", &budgets).await?;
    let list = rules::rule_list(&db, person).await.context("listing the rules")?;
    out.json("rules.json", &list).await?;
    let list = bills::bill_list(&db, person).await.context("listing the bills")?;
    out.json("bills.json", &list).await?;
    let list = recurring::recurring_list(&db, person).await.context("listing the recurring")?;
    out.json("recurring.json", &list).await?;
    let list = imports::csv_mapping_list(&db, person).await.context("listing the CSV mappings")?;
    out.json("csv_mappings.json", &list).await?;
    let reconciliations = Reconciliations {
        reconciliations: db::transactions::reconciliations(&db, person)
            .await
            .context("listing the reconciliations")?,
    };
    out.json("reconciliations.json", &reconciliations).await?;

    let list = imports::import_list(&db, person).await.context("listing the imports")?;
    out.json("imports.json", &list).await?;
    for import in list.imports.iter().filter(|import| import.state == "preview") {
        let mut conn = db.acquire().await.context("reading a preview")?;
        // A preview that expired since it was listed is gone: nothing to write.
        let preview = match crate::imports::get(&mut conn, person, import.id).await {
            Ok(preview) => preview,
            Err(FinanceError::NotFound(_)) => continue,
            Err(error) => return Err(anyhow::Error::from(error).context("reading a preview")),
        };
        // The whole id: its first digits are a time (UUIDv7), shared by imports within a minute.
        out.json(&format!("imports/{} preview.json", import.id.simple()), &preview).await?;
    }
    Ok(())
}
