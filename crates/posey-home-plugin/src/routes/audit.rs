//! `/v1/home/audit`: every command given to the person's home, newest first.

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Utc};
use posey_http::auth::Person;
use posey_http::{ApiError, Query};
use posey_plugin::responses::{BadInput, NeedsPerson};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::shared::RouteState;
use crate::db::audit::{self, AuditEntry};
use crate::error::HomeError;

pub fn router() -> OpenApiRouter<RouteState> {
    OpenApiRouter::new().routes(routes!(list_audit))
}

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
struct AuditParams {
    /// Those before this moment (the last one's `at`, for the next page).
    before: Option<DateTime<Utc>>,
    /// 1 to 500, default 50.
    limit: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(crate) struct AuditList {
    pub(crate) entries: Vec<AuditEntry>,
}

/// The commands given to the person's home, newest first
#[utoipa::path(get, path = "/v1/home/audit", tag = "home", operation_id = "listHomeAudit",
    security(("bearer" = [])), params(AuditParams),
    responses((status = 200, description = "The entries", body = AuditList), BadInput, NeedsPerson))]
async fn list_audit(
    State(state): State<RouteState>,
    Person(person): Person,
    Query(params): Query<AuditParams>,
) -> Result<Json<AuditList>, ApiError> {
    let limit = params.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be 1 to 500"));
    }
    Ok(Json(AuditList {
        entries: audit::list(state.db(), person, params.before, None, limit)
            .await
            .map_err(HomeError::from)?,
    }))
}
