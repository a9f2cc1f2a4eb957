//! `/v1/finance/rules`: a person's rules (list in the order they run, make, change, delete),
//! and one rule run over past transactions: a dry run that lists what would change, or applied
//! in one transaction. Someone else's rule is a 404.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, NaiveDate, Utc};
use posey_domain::FinanceRuleId;
use posey_http::auth::Person;
use posey_http::{ApiError, AppJson, PathId, Query};
use posey_plugin::responses::{BadInput, NeedsPerson};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::shared::{RouteState, name};
use crate::db::rules::{self as store, RuleChange, RuleRow};
use crate::error::FinanceError;
use crate::rules::{self, RuleRun};

posey_http::error_responses! { schema = "Error";
    /// A route taking a rule's id.
    NoSuchRule {
        "404" => "No such rule of this person",
    }
}

pub fn router() -> OpenApiRouter<RouteState> {
    OpenApiRouter::new()
        .routes(routes!(list_rules, create_rule))
        .routes(routes!(update_rule, delete_rule))
        .routes(routes!(dry_run_rule))
        .routes(routes!(apply_rule))
}

/// A saved rule.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct SavedRule {
    id: Uuid,
    name: String,
    /// Rules run in ascending position; a later rule sees what earlier ones set.
    position: i32,
    /// Whether imports apply it.
    enabled: bool,
    /// posey-finance's rule: `{"conditions": [{"type": "payee_contains", "value": ".."}, ..],
    /// "actions": [{"type": "set_category", "id": ".."}, ..], "match_all": true}`.
    #[schema(value_type = posey_finance::rules::Rule)]
    rule: serde_json::Value,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<RuleRow> for SavedRule {
    fn from(row: RuleRow) -> Self {
        Self {
            id: row.id,
            name: row.name,
            position: row.position,
            enabled: row.enabled,
            rule: row.rule.0,
            created_at: row.created_at,
            updated_at: row.updated_at,
        }
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct RuleList {
    rules: Vec<SavedRule>,
}

/// The person's rules, in the order they run
#[utoipa::path(get, path = "/v1/finance/rules", tag = "finance", operation_id = "listRules",
    security(("bearer" = [])),
    responses((status = 200, description = "The rules", body = RuleList), NeedsPerson))]
async fn list_rules(
    State(state): State<RouteState>,
    Person(person): Person,
) -> Result<Json<RuleList>, ApiError> {
    Ok(Json(rule_list(state.db(), person).await?))
}

/// The person's rules as their list shows them (and their export).
pub(super) async fn rule_list(db: &sqlx::PgPool, person: Uuid) -> Result<RuleList, FinanceError> {
    let rows = store::list(db, person).await?;
    Ok(RuleList { rules: rows.into_iter().map(Into::into).collect() })
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct NewRule {
    #[schema(min_length = 1, max_length = 200)]
    name: String,
    /// Default: after the person's other rules.
    position: Option<i32>,
    /// Default true.
    enabled: Option<bool>,
    /// When it matches and what it sets (as in `SavedRule`); categories and accounts must be
    /// the person's.
    #[schema(value_type = posey_finance::rules::Rule)]
    rule: serde_json::Value,
}

/// Save a rule
#[utoipa::path(post, path = "/v1/finance/rules", tag = "finance", operation_id = "createRule",
    security(("bearer" = [])), request_body = NewRule,
    responses((status = 201, description = "The rule", body = SavedRule), BadInput, NeedsPerson))]
async fn create_rule(
    State(state): State<RouteState>,
    Person(person): Person,
    AppJson(new): AppJson<NewRule>,
) -> Result<(StatusCode, Json<SavedRule>), ApiError> {
    let name = name("name", &new.name)?;
    let mut db = state.db().acquire().await.map_err(FinanceError::from)?;
    let rule = rules::parse(&mut db, person, &new.rule).await?;
    let stored = serde_json::to_value(&rule).map_err(|e| ApiError::Internal(e.into()))?;
    let row =
        store::insert(&mut *db, person, &name, new.position, new.enabled.unwrap_or(true), &stored)
            .await
            .map_err(FinanceError::from)?;
    Ok((StatusCode::CREATED, Json(row.into())))
}

#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct RuleFields {
    name: Option<String>,
    position: Option<i32>,
    enabled: Option<bool>,
    #[schema(value_type = Option<posey_finance::rules::Rule>)]
    rule: Option<serde_json::Value>,
}

/// Change a rule (fields left out stay)
#[utoipa::path(patch, path = "/v1/finance/rules/{id}", tag = "finance", operation_id = "updateRule",
    security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = RuleFields,
    responses((status = 200, description = "The rule", body = SavedRule), NoSuchRule, BadInput, NeedsPerson))]
async fn update_rule(
    State(state): State<RouteState>,
    Person(person): Person,
    PathId(id, _): PathId<FinanceRuleId>,
    AppJson(fields): AppJson<RuleFields>,
) -> Result<Json<SavedRule>, ApiError> {
    let mut db = state.db().acquire().await.map_err(FinanceError::from)?;
    let name = fields.name.as_deref().map(|n| name("name", n)).transpose()?;
    let rule = match &fields.rule {
        Some(json) => {
            let rule = rules::parse(&mut db, person, json).await?;
            Some(serde_json::to_value(&rule).map_err(|e| ApiError::Internal(e.into()))?)
        }
        None => None,
    };
    let change = RuleChange { name, position: fields.position, enabled: fields.enabled, rule };
    let row = store::update(&mut *db, person, id.as_uuid(), &change)
        .await
        .map_err(FinanceError::from)?
        .ok_or_else(|| ApiError::NotFound("no such rule".into()))?;
    Ok(Json(row.into()))
}

/// Delete a rule (what it set on transactions stays)
#[utoipa::path(delete, path = "/v1/finance/rules/{id}", tag = "finance", operation_id = "deleteRule",
    security(("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted"), NoSuchRule, NeedsPerson))]
async fn delete_rule(
    State(state): State<RouteState>,
    Person(person): Person,
    PathId(id, _): PathId<FinanceRuleId>,
) -> Result<StatusCode, ApiError> {
    if !store::delete(state.db(), person, id.as_uuid()).await.map_err(FinanceError::from)? {
        return Err(ApiError::NotFound("no such rule".into()));
    }
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct RunParams {
    /// Transactions from this day on.
    from: Option<NaiveDate>,
    /// Transactions before this day.
    to: Option<NaiveDate>,
}

/// What a rule would change in the person's transactions, without changing anything
#[utoipa::path(post, path = "/v1/finance/rules/{id}/dry-run", tag = "finance", operation_id = "dryRunRule",
    security(("bearer" = [])), params(("id" = Uuid, Path), RunParams),
    responses((status = 200, description = "What would change (reconciled transactions counted, not listed)", body = RuleRun),
        NoSuchRule, BadInput, NeedsPerson))]
async fn dry_run_rule(
    State(state): State<RouteState>,
    Person(person): Person,
    PathId(id, _): PathId<FinanceRuleId>,
    Query(params): Query<RunParams>,
) -> Result<Json<RuleRun>, ApiError> {
    let mut db = state.db().acquire().await.map_err(FinanceError::from)?;
    let run =
        rules::apply_rule(&mut db, person, id.as_uuid(), params.from, params.to, false).await?;
    Ok(Json(run))
}

/// Apply a rule to the person's transactions, in one transaction; reconciled ones are skipped
#[utoipa::path(post, path = "/v1/finance/rules/{id}/apply", tag = "finance", operation_id = "applyRule",
    security(("bearer" = [])), params(("id" = Uuid, Path), RunParams),
    responses((status = 200, description = "What changed (reconciled transactions counted, not changed)", body = RuleRun),
        NoSuchRule, BadInput, NeedsPerson))]
async fn apply_rule(
    State(state): State<RouteState>,
    Person(person): Person,
    PathId(id, _): PathId<FinanceRuleId>,
    Query(params): Query<RunParams>,
) -> Result<Json<RuleRun>, ApiError> {
    let mut tx = state.db().begin().await.map_err(FinanceError::from)?;
    let run =
        rules::apply_rule(&mut tx, person, id.as_uuid(), params.from, params.to, true).await?;
    tx.commit().await.map_err(FinanceError::from)?;
    Ok(Json(run))
}
