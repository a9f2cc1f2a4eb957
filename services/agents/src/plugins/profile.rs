//! The `profile` plugin: the person's name, time zone and preferences. The companion reads and
//! updates them through tools; the person through `GET`/`PATCH /v1/profile`.

use axum::Json;
use axum::extract::State;
use futures::future::BoxFuture;
use posey_http::{ApiError, AppJson};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{Plugin, Tool, ToolContext, ToolError};
use crate::db::{self, profiles::Profile};
use crate::routes::Person;
use crate::routes::openapi::{BadFields, NeedsPerson};
use crate::state::AppState;

pub struct ProfilePlugin;

impl Plugin for ProfilePlugin {
    fn name(&self) -> &str {
        "profile"
    }

    fn description(&self) -> &str {
        "The person's name, time zone and preferences."
    }

    fn tools(&self) -> Vec<Tool> {
        vec![
            Tool::new(
                "get_profile",
                "The person's profile: name, IANA time zone and preferences.",
                json!({"type": "object", "properties": {}, "additionalProperties": false}),
                |context: ToolContext, _| async move {
                    let profile = context
                        .profile()
                        .await
                        .map_err(|error| ToolError::internal("get_profile", &error))?;
                    Ok(json!(profile))
                },
            ),
            Tool::new(
                "update_profile",
                "Change the person's name, IANA time zone (such as Europe/Paris) or preferences \
                 (merged into the existing ones; a null value removes a preference). Only what \
                 is given changes.",
                json!({
                    "type": "object",
                    "properties": {
                        "name": {"type": "string", "minLength": 1, "maxLength": 100},
                        "time_zone": {"type": "string", "default": "UTC",
                                      "description": "An IANA time zone name"},
                        "preferences": {"type": "object"}
                    },
                    "additionalProperties": false
                }),
                |context: ToolContext, arguments: Value| async move {
                    let fields: ProfileFields = serde_json::from_value(arguments)
                        .map_err(|error| ToolError::new(format!("invalid arguments: {error}")))?;
                    let changes = fields.check().map_err(|problems| {
                        ToolError::new(
                            problems
                                .into_iter()
                                .map(|(field, message)| format!("{field} {message}"))
                                .collect::<Vec<_>>()
                                .join("; "),
                        )
                    })?;
                    let profile = db::profiles::update(&context.db, context.person, &changes)
                        .await
                        .map_err(|error| ToolError::internal("update_profile", &error))?;
                    context.profile.replace(profile.clone());
                    Ok(json!(profile))
                },
            ),
        ]
    }

    fn instructions(
        &self,
        context: &ToolContext,
    ) -> BoxFuture<'static, anyhow::Result<Option<String>>> {
        let context = context.clone();
        Box::pin(async move {
            let profile = context.profile().await?;
            let name = profile.name.as_deref().unwrap_or("not known yet");
            let mut lines =
                format!("About the person: name: {name}; time zone: {}.", profile.time_zone);
            if !profile.preferences.is_empty() {
                lines.push_str(&format!(" Preferences: {}.", Value::Object(profile.preferences)));
            }
            Ok(Some(lines))
        })
    }

    fn routes(&self) -> Option<OpenApiRouter<AppState>> {
        Some(router())
    }
}

/// `GET`/`PATCH /v1/profile`.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_profile, update_profile))
}

/// The fields a person (or the model) may change; absent ones stay.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileFields {
    #[schema(min_length = 1, max_length = 100)]
    name: Option<String>,
    /// IANA time zone
    time_zone: Option<String>,
    /// Merged into the stored ones; a null value removes a preference
    preferences: Option<Map<String, Value>>,
}

/// A checked change.
#[derive(Debug, Default)]
pub struct ProfileChanges {
    pub name: Option<String>,
    pub time_zone: Option<String>,
    /// Merged into the stored preferences; null values remove keys.
    pub preferences: Option<Map<String, Value>>,
}

impl ProfileFields {
    fn check(self) -> Result<ProfileChanges, Vec<(&'static str, String)>> {
        let mut problems = Vec::new();
        let name = self.name.map(|name| name.trim().to_owned());
        if let Some(name) = &name
            && (name.is_empty() || name.chars().count() > 100)
        {
            problems.push(("name", "must be 1 to 100 characters".to_owned()));
        }
        if let Some(zone) = &self.time_zone
            && zone.parse::<chrono_tz::Tz>().is_err()
        {
            problems.push(("time_zone", format!("{zone:?} is not an IANA time zone")));
        }
        if problems.is_empty() {
            Ok(ProfileChanges { name, time_zone: self.time_zone, preferences: self.preferences })
        } else {
            Err(problems)
        }
    }
}

/// The person's profile (the profile plugin's)
#[utoipa::path(get, path = "/v1/profile", tag = "profile", operation_id = "getProfile",
    security(("bearer" = [])),
    responses((status = 200, description = "The profile", body = Profile), NeedsPerson))]
async fn get_profile(
    State(state): State<AppState>,
    Person(person): Person,
) -> Result<Json<Profile>, ApiError> {
    Ok(Json(db::profiles::get(state.db(), person).await?))
}

/// Change the name, time zone or preferences (merged; null removes a preference)
#[utoipa::path(patch, path = "/v1/profile", tag = "profile", operation_id = "updateProfile",
    security(("bearer" = [])),
    request_body = ProfileFields,
    responses((status = 200, description = "The profile", body = Profile), BadFields, NeedsPerson))]
async fn update_profile(
    State(state): State<AppState>,
    Person(person): Person,
    AppJson(fields): AppJson<ProfileFields>,
) -> Result<Json<Profile>, ApiError> {
    let changes = fields.check().map_err(|problems| {
        ApiError::Validation(
            problems
                .into_iter()
                .map(|(field, message)| (field.to_owned(), vec![message]))
                .collect(),
        )
    })?;
    Ok(Json(db::profiles::update(state.db(), person, &changes).await?))
}
