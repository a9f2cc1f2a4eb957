//! `/v1/finance/imports`: a bank file uploaded as it is (OFX, CAMT.053, or CSV with a saved
//! mapping or a bank's preset) becomes a preview; committing it writes its new lines in one
//! transaction; deleting a committed import removes what it added. Also the person's saved CSV
//! mappings and the banks' presets. Someone else's import or mapping is a 404.

use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use posey_domain::{CsvMappingId, FinanceImportId};
use posey_finance::import::csv::{CsvMapping, CsvPreset, presets};
use posey_finance::import::{ImportError, Importer as _};
use posey_http::auth::Person;
use posey_http::{ApiError, AppJson, PathId, Query};
use posey_plugin::responses::{BadInput, NeedsPerson};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::shared::{NoSuchAccount, RouteState, name};
use crate::db::imports::{self as store, CsvMappingRow};
use crate::error::FinanceError;
use crate::imports::{self, DeletedImport, Import, Upload};

/// The largest file an import takes (a year of a busy account's OFX is a few MB).
pub const MAX_FILE_BYTES: usize = 20 * 1024 * 1024;

posey_http::error_responses! { schema = "Error";
    /// A route taking an import's id.
    NoSuchImport {
        "404" => "No such import of this person, or a preview that expired (after 24 hours)",
    }
    /// A route taking a CSV mapping's id.
    NoSuchCsvMapping {
        "404" => "No such CSV mapping of this person",
    }
    /// Committing an import twice, deleting one with reconciled transactions.
    ImportRefused {
        "409" => "The import is committed already, or it added reconciled transactions (send confirm_reconciled=true)",
    }
    /// An upload over the limit.
    FileTooLarge {
        "413" => "The file is larger than 20 MB",
    }
    /// A mapping whose name is taken.
    MappingNameTaken {
        "409" => "A CSV mapping with this name exists",
    }
}

pub fn router() -> OpenApiRouter<RouteState> {
    // Room for a file on the upload only; the JSON routes keep the default limit.
    let upload = OpenApiRouter::new()
        .routes(routes!(list_imports, upload_import))
        .layer(DefaultBodyLimit::max(MAX_FILE_BYTES));
    upload
        .routes(routes!(get_import, delete_import))
        .routes(routes!(commit_import))
        .routes(routes!(list_csv_mappings, create_csv_mapping))
        .routes(routes!(delete_csv_mapping))
        .routes(routes!(list_csv_presets))
}

#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct ImportList {
    pub(super) imports: Vec<Import>,
}

/// The person's imports, newest first
#[utoipa::path(get, path = "/v1/finance/imports", tag = "finance", operation_id = "listImports",
    security(("bearer" = [])),
    responses((status = 200, description = "Previews and committed imports (without lines)", body = ImportList), NeedsPerson))]
async fn list_imports(
    State(state): State<RouteState>,
    Person(person): Person,
) -> Result<Json<ImportList>, ApiError> {
    Ok(Json(import_list(state.db(), person).await?))
}

/// The person's imports as their list shows them (and their export).
pub(super) async fn import_list(
    pool: &sqlx::PgPool,
    person: Uuid,
) -> Result<ImportList, FinanceError> {
    let mut db = pool.acquire().await?;
    Ok(ImportList { imports: imports::list(&mut db, person).await? })
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct UploadParams {
    /// The account the file is a statement of.
    account_id: Uuid,
    /// `ofx` (also QFX), `camt053` or `csv`; left out, it is recognised from the file (CSV
    /// when `mapping_id` or `preset` is given).
    format: Option<String>,
    /// A saved CSV mapping of the person's, for a CSV file.
    mapping_id: Option<Uuid>,
    /// A bank's preset (`GET /v1/finance/csv-presets`), for a CSV file.
    preset: Option<String>,
    /// The file's name, kept to show.
    file_name: Option<String>,
}

/// Upload a bank file and preview its import
///
/// The body is the file as it is (any content type, at most 20 MB). Nothing is written to the
/// books: the answer shows each line with whether the account holds it already, what the
/// person's rules set, and the file's closing balance against what the account would hold. A
/// file that cannot be read is refused naming its line or element (field `file`).
#[utoipa::path(post, path = "/v1/finance/imports", tag = "finance", operation_id = "uploadImport",
    security(("bearer" = [])), params(UploadParams),
    request_body(content = String, content_type = "application/octet-stream",
        description = "The statement file: OFX, QFX, CAMT.053 XML or CSV"),
    responses((status = 201, description = "The preview, kept for 24 hours", body = Import),
        NoSuchAccount, NoSuchCsvMapping, BadInput, FileTooLarge, NeedsPerson))]
async fn upload_import(
    State(state): State<RouteState>,
    Person(person): Person,
    Query(params): Query<UploadParams>,
    body: Result<Bytes, BytesRejection>,
) -> Result<(StatusCode, Json<Import>), ApiError> {
    let bytes =
        body.map_err(|rejection| match posey_http::json::bytes_rejection_to_error(rejection) {
            ApiError::PayloadTooLarge(_) => ApiError::PayloadTooLarge(format!(
                "the file is larger than {} MB",
                MAX_FILE_BYTES / 1024 / 1024
            )),
            other => other,
        })?;
    let upload = Upload {
        account_id: params.account_id,
        format: params.format,
        mapping_id: params.mapping_id,
        preset: params.preset,
        file_name: params.file_name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()),
        bytes,
    };
    let mut db = state.db().acquire().await.map_err(FinanceError::from)?;
    let import = imports::preview(&mut db, person, upload).await?;
    Ok((StatusCode::CREATED, Json(import)))
}

/// An import, with its lines while a preview
#[utoipa::path(get, path = "/v1/finance/imports/{id}", tag = "finance", operation_id = "getImport",
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "The import", body = Import), NoSuchImport, NeedsPerson))]
async fn get_import(
    State(state): State<RouteState>,
    Person(person): Person,
    PathId(id, _): PathId<FinanceImportId>,
) -> Result<Json<Import>, ApiError> {
    let mut db = state.db().acquire().await.map_err(FinanceError::from)?;
    Ok(Json(imports::get(&mut db, person, id.as_uuid()).await?))
}

/// Commit a preview: its new lines become cleared transactions, all in one database transaction
///
/// Lines another import added since the preview are skipped and counted. A line that matches a
/// transaction the recurring poster posted is linked to it (which is cleared and keeps its
/// date, category and payee) instead of being added, as Actual Budget matches imported lines
/// to scheduled ones.
#[utoipa::path(post, path = "/v1/finance/imports/{id}/commit", tag = "finance", operation_id = "commitImport",
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, description = "The committed import with what it added, linked and skipped", body = Import),
        NoSuchImport, ImportRefused, NeedsPerson))]
async fn commit_import(
    State(state): State<RouteState>,
    Person(person): Person,
    PathId(id, _): PathId<FinanceImportId>,
) -> Result<Json<Import>, ApiError> {
    let mut tx = state.db().begin().await.map_err(FinanceError::from)?;
    let import = imports::commit(&mut tx, person, id.as_uuid()).await?;
    tx.commit().await.map_err(FinanceError::from)?;
    Ok(Json(import))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct DeleteParams {
    /// Also when transactions the import added are reconciled.
    confirm_reconciled: Option<bool>,
}

/// Delete an import: a preview, or a committed one with the transactions it added
#[utoipa::path(delete, path = "/v1/finance/imports/{id}", tag = "finance", operation_id = "deleteImport",
    security(("bearer" = [])), params(("id" = Uuid, Path), DeleteParams),
    responses((status = 200, description = "Deleted, with how many transactions went with it", body = DeletedImport),
        NoSuchImport, ImportRefused, BadInput, NeedsPerson))]
async fn delete_import(
    State(state): State<RouteState>,
    Person(person): Person,
    PathId(id, _): PathId<FinanceImportId>,
    Query(params): Query<DeleteParams>,
) -> Result<Json<DeletedImport>, ApiError> {
    let confirm = params.confirm_reconciled.unwrap_or(false);
    let mut tx = state.db().begin().await.map_err(FinanceError::from)?;
    let deleted = imports::delete(&mut tx, person, id.as_uuid(), confirm).await?;
    tx.commit().await.map_err(FinanceError::from)?;
    Ok(Json(deleted))
}

/// A saved CSV mapping.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct SavedCsvMapping {
    id: Uuid,
    name: String,
    #[schema(value_type = CsvMapping)]
    mapping: serde_json::Value,
    created_at: DateTime<Utc>,
}

impl From<CsvMappingRow> for SavedCsvMapping {
    fn from(row: CsvMappingRow) -> Self {
        Self { id: row.id, name: row.name, mapping: row.mapping.0, created_at: row.created_at }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct CsvMappingList {
    mappings: Vec<SavedCsvMapping>,
}

/// The person's saved CSV mappings, by name
#[utoipa::path(get, path = "/v1/finance/csv-mappings", tag = "finance", operation_id = "listCsvMappings",
    security(("bearer" = [])),
    responses((status = 200, description = "The mappings", body = CsvMappingList), NeedsPerson))]
async fn list_csv_mappings(
    State(state): State<RouteState>,
    Person(person): Person,
) -> Result<Json<CsvMappingList>, ApiError> {
    Ok(Json(csv_mapping_list(state.db(), person).await?))
}

/// The person's CSV mappings as their list shows them (and their export).
pub(super) async fn csv_mapping_list(
    db: &sqlx::PgPool,
    person: Uuid,
) -> Result<CsvMappingList, FinanceError> {
    let rows = store::csv_mappings(db, person).await?;
    Ok(CsvMappingList { mappings: rows.into_iter().map(Into::into).collect() })
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewCsvMapping {
    #[schema(min_length = 1, max_length = 200)]
    name: String,
    /// How the bank's files are read (start from a preset's).
    #[schema(value_type = CsvMapping)]
    mapping: serde_json::Value,
}

/// Save a CSV mapping for a bank's files
#[utoipa::path(post, path = "/v1/finance/csv-mappings", tag = "finance", operation_id = "createCsvMapping",
    security(("bearer" = [])), request_body = NewCsvMapping,
    responses((status = 201, description = "The mapping", body = SavedCsvMapping), BadInput, MappingNameTaken, NeedsPerson))]
async fn create_csv_mapping(
    State(state): State<RouteState>,
    Person(person): Person,
    AppJson(new): AppJson<NewCsvMapping>,
) -> Result<(StatusCode, Json<SavedCsvMapping>), ApiError> {
    let name = name("name", &new.name)?;
    let mapping: CsvMapping = serde_json::from_value(new.mapping)
        .map_err(|error| ApiError::invalid("mapping", error.to_string()))?;
    // What the mapping itself gets wrong (a delimiter of two characters) shows on any file.
    if let Err(ImportError { at, message }) = (&mapping).parse(b"")
        && at == "mapping"
    {
        return Err(ApiError::invalid("mapping", message));
    }
    let stored = serde_json::to_value(&mapping).map_err(|e| ApiError::Internal(e.into()))?;
    let row = store::insert_csv_mapping(state.db(), person, &name, &stored)
        .await
        .map_err(FinanceError::from)?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

/// Delete a saved CSV mapping
#[utoipa::path(delete, path = "/v1/finance/csv-mappings/{id}", tag = "finance", operation_id = "deleteCsvMapping",
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted"), NoSuchCsvMapping, NeedsPerson))]
async fn delete_csv_mapping(
    State(state): State<RouteState>,
    Person(person): Person,
    PathId(id, _): PathId<CsvMappingId>,
) -> Result<StatusCode, ApiError> {
    if !store::delete_csv_mapping(state.db(), person, id.as_uuid())
        .await
        .map_err(FinanceError::from)?
    {
        return Err(ApiError::NotFound("no such CSV mapping".into()));
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, utoipa::ToSchema)]
struct CsvPresetList {
    presets: Vec<CsvPreset>,
}

/// Mappings for a few banks' CSV exports, to import with (`preset=`) or start a mapping from
#[utoipa::path(get, path = "/v1/finance/csv-presets", tag = "finance", operation_id = "listCsvPresets",
    security(("bearer" = [])),
    responses((status = 200, description = "The presets", body = CsvPresetList), NeedsPerson))]
async fn list_csv_presets(Person(_person): Person) -> Json<CsvPresetList> {
    Json(CsvPresetList { presets: presets() })
}
