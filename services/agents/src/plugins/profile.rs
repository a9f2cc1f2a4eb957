//! The `profile` plugin: the person's name, time zone and preferences. The companion reads and
//! updates them through tools; the person through `GET`/`PATCH /v1/profile`.

use axum::Json;
use futures::future::BoxFuture;
use posey_domain::TimeZone;
use posey_http::auth::Person;
use posey_http::{ApiError, AppJson};
use posey_plugin::responses::{BadFields, NeedsPerson};
use posey_plugin::{
    Export, Host, NoArguments, Plugin, PluginState, Profile, Tool, ToolContext, ToolError,
};
use schemars::JsonSchema;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::db::{self, profiles::ProfileChanges};

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
            Tool::typed(
                "get_profile",
                "The person's profile: name, IANA time zone and preferences.",
                |context: ToolContext, NoArguments {}| async move {
                    let profile = context
                        .profile()
                        .await
                        .map_err(|error| ToolError::internal("get_profile", &error))?;
                    Ok(json!(profile))
                },
            ),
            Tool::typed(
                "update_profile",
                "Change the person's name, IANA time zone (such as Europe/Paris) or preferences \
                 (merged into the existing ones; a null value removes a preference). Only what \
                 is given changes.",
                |context: ToolContext, fields: ProfileFields| async move {
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

    /// `profile.json`: their name, time zone and preferences.
    fn export(
        &self,
        host: &Host,
        person: Uuid,
        out: Export,
    ) -> Option<BoxFuture<'static, anyhow::Result<()>>> {
        let db = host.db.clone();
        Some(Box::pin(async move {
            let profile = db::profiles::get(&db, person).await?;
            out.json("profile.json", &profile).await
        }))
    }

    fn routes(&self, host: &Host) -> Option<OpenApiRouter> {
        Some(router().with_state(PluginState::new(host, ())))
    }
}

type State = PluginState<()>;

/// `GET`/`PATCH /v1/profile`, to be given its state.
pub fn router() -> OpenApiRouter<State> {
    OpenApiRouter::new().routes(routes!(get_profile, update_profile))
}

/// The fields a person (or the model) may change; absent ones stay.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileFields {
    #[schema(min_length = 1, max_length = 100)]
    #[schemars(length(min = 1, max = 100))]
    name: Option<String>,
    /// An IANA time zone, such as Europe/Paris
    time_zone: Option<String>,
    /// Merged into the stored ones; a null value removes a preference
    preferences: Option<Map<String, Value>>,
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
        let time_zone = match self.time_zone.as_deref().map(TimeZone::parse) {
            None => None,
            Some(Ok(zone)) => Some(zone.name().to_owned()),
            Some(Err(_)) => {
                let zone = self.time_zone.as_deref().unwrap_or_default();
                problems.push(("time_zone", format!("{zone:?} is not an IANA time zone")));
                None
            }
        };
        if problems.is_empty() {
            Ok(ProfileChanges { name, time_zone, preferences: self.preferences })
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
    axum::extract::State(state): axum::extract::State<State>,
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
    axum::extract::State(state): axum::extract::State<State>,
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
