//! `/v1/finance/categories`: what a person's money is spent on and earned from (the income
//! and expense accounts), nested: list, make, rename or move, delete one no transaction uses.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use posey_domain::FinanceAccountId;
use posey_http::auth::Person;
use posey_http::{ApiError, AppJson, PathId};
use posey_plugin::responses::{BadInput, NeedsPerson};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::shared::{NoSuchCategory, Refused, RouteState, name};
use crate::db::accounts::{self, Account, AccountChange, Kinds, NewAccount};
use crate::error::FinanceError;

pub fn router() -> OpenApiRouter<RouteState> {
    OpenApiRouter::new()
        .routes(routes!(list_categories, create_category))
        .routes(routes!(update_category, delete_category))
}

#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct CategoryList {
    categories: Vec<Account>,
}

/// The person's categories (income and expense), parents before children's names
#[utoipa::path(get, path = "/v1/finance/categories", tag = "finance", operation_id = "listCategories",
    security(("bearer" = [])),
    responses((status = 200, description = "The categories", body = CategoryList), NeedsPerson))]
async fn list_categories(
    State(state): State<RouteState>,
    Person(person): Person,
) -> Result<Json<CategoryList>, ApiError> {
    Ok(Json(category_list(state.db(), person).await?))
}

/// The person's categories as their list shows them (and their export).
pub(super) async fn category_list(
    db: &sqlx::PgPool,
    person: Uuid,
) -> Result<CategoryList, FinanceError> {
    Ok(CategoryList { categories: accounts::list(db, person, Kinds::Categories).await? })
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewCategory {
    #[schema(min_length = 1, max_length = 200)]
    name: String,
    /// `expense` (default) or `income`.
    kind: Option<String>,
    /// The category it is under (of the same kind).
    parent_id: Option<Uuid>,
    /// Whether overspending carries into next month's envelope (default: it is taken from next
    /// month's money to budget instead).
    rollover_overspending: Option<bool>,
}

async fn parent(
    state: &RouteState,
    person: Uuid,
    kind: &str,
    id: Uuid,
    child: Option<Uuid>,
) -> Result<(), ApiError> {
    let parent = accounts::find(state.db(), person, id).await.map_err(FinanceError::from)?;
    match parent {
        Some(parent) if parent.kind == kind => {}
        Some(_) => {
            return Err(ApiError::invalid("parent_id", format!("must be an {kind} category too")));
        }
        None => return Err(ApiError::invalid("parent_id", "no such category")),
    }
    // A category never ends up under itself.
    let mut at = Some(id);
    let mut steps = 0;
    while let Some(current) = at {
        if Some(current) == child || steps > 50 {
            return Err(ApiError::invalid("parent_id", "would put the category under itself"));
        }
        at = accounts::find(state.db(), person, current)
            .await
            .map_err(FinanceError::from)?
            .and_then(|a| a.parent_id);
        steps += 1;
    }
    Ok(())
}

/// Make a category
#[utoipa::path(post, path = "/v1/finance/categories", tag = "finance", operation_id = "createCategory",
    security(("bearer" = [])), request_body = NewCategory,
    responses((status = 201, description = "The category", body = Account), BadInput, Refused, NeedsPerson))]
async fn create_category(
    State(state): State<RouteState>,
    Person(person): Person,
    AppJson(fields): AppJson<NewCategory>,
) -> Result<(StatusCode, Json<Account>), ApiError> {
    let name = name("name", &fields.name)?;
    let kind = fields.kind.unwrap_or_else(|| "expense".into());
    if !matches!(kind.as_str(), "income" | "expense") {
        return Err(ApiError::invalid("kind", "must be income or expense"));
    }
    if let Some(id) = fields.parent_id {
        parent(&state, person, &kind, id, None).await?;
    }
    let new = NewAccount {
        kind,
        name,
        parent_id: fields.parent_id,
        on_budget: true,
        rollover_overspending: fields.rollover_overspending.unwrap_or(false),
        ..NewAccount::default()
    };
    let id = accounts::insert(state.db(), person, &new).await.map_err(FinanceError::from)?;
    Ok((StatusCode::CREATED, Json(find_category(&state, person, id).await?)))
}

async fn find_category(state: &RouteState, person: Uuid, id: Uuid) -> Result<Account, ApiError> {
    accounts::find(state.db(), person, id)
        .await
        .map_err(FinanceError::from)?
        .filter(|a| matches!(a.kind.as_str(), "income" | "expense"))
        .ok_or_else(|| ApiError::NotFound("no such category".into()))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CategoryFields {
    name: Option<String>,
    /// Move under another category, or to the top (`null`).
    #[schema(value_type = Option<Uuid>)]
    #[serde(default, deserialize_with = "posey_http::json::nullable")]
    parent_id: Option<Option<Uuid>>,
    rollover_overspending: Option<bool>,
}

/// Rename or move a category
#[utoipa::path(patch, path = "/v1/finance/categories/{id}", tag = "finance", operation_id = "updateCategory",
    security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = CategoryFields,
    responses((status = 200, description = "The category", body = Account), NoSuchCategory, BadInput, Refused, NeedsPerson))]
async fn update_category(
    State(state): State<RouteState>,
    Person(person): Person,
    PathId(id, _): PathId<FinanceAccountId>,
    AppJson(fields): AppJson<CategoryFields>,
) -> Result<Json<Account>, ApiError> {
    let category = find_category(&state, person, id.as_uuid()).await?;
    if let Some(Some(parent_id)) = fields.parent_id {
        parent(&state, person, &category.kind, parent_id, Some(category.id)).await?;
    }
    let change = AccountChange {
        name: fields.name.as_deref().map(|n| name("name", n)).transpose()?,
        parent_id: fields.parent_id,
        rollover_overspending: fields.rollover_overspending,
        ..AccountChange::default()
    };
    accounts::update(state.db(), person, category.id, &change).await.map_err(FinanceError::from)?;
    Ok(Json(find_category(&state, person, category.id).await?))
}

/// Delete a category no transaction and no other category uses
#[utoipa::path(delete, path = "/v1/finance/categories/{id}", tag = "finance", operation_id = "deleteCategory",
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted"), NoSuchCategory, Refused, NeedsPerson))]
async fn delete_category(
    State(state): State<RouteState>,
    Person(person): Person,
    PathId(id, _): PathId<FinanceAccountId>,
) -> Result<StatusCode, ApiError> {
    let category = find_category(&state, person, id.as_uuid()).await?;
    if category.role.is_some() {
        return Err(ApiError::Conflict(
            "Posey keeps this category for what is not categorised yet".into(),
        ));
    }
    accounts::delete(state.db(), person, category.id).await.map_err(FinanceError::from)?;
    Ok(StatusCode::NO_CONTENT)
}
