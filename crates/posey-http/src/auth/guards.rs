//! Role, scope and permission guards for handlers. A verified token says who it speaks for (a
//! user, or a service client from auth's client-credentials grant), which RBAC roles the user
//! held when it was issued (`roles`), and what a service client may do (`scope`); the
//! permissions a role grants live in `auth.roles`, are read through auth's
//! `auth.role_permissions()` and kept in a short cache, so a change to a role reaches every
//! service within the cache's life.
//!
//! Refusals are 403 `forbidden` in the standard error shape. Roles in a token are as fresh as
//! the token (at most the access-token lifetime); auth's own admin API checks the database.

use std::collections::{BTreeSet, HashMap};
use std::marker::PhantomData;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::Context;
use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use posey_domain::clock::{SharedClock, SystemClock};
use sqlx::PgPool;

use super::{Authenticated, Claims, JwksVerifier};
use crate::ApiError;

/// The `role` claim of a service client's token.
pub const SERVICE_ROLE: &str = "service_role";

/// The scopes a service client may be granted (auth's `AUTH_SERVICE_CLIENT_SCOPES`), each what
/// one service lets a service token do for a person there.
pub mod scopes {
    /// Run a turn for a person at the agents service (cron's agent tasks).
    pub const AGENTS_TURNS: &str = "agents:turns";
    /// Act for a person at cron: their tasks, runs and notices (the agents service's schedule
    /// tools and calendar alarms, and the turns cron asked the agents service to run).
    pub const CRON_ACT_FOR_PERSON: &str = "cron:act-for-person";
    /// What an admin may do, for an operator's tool: auth's admin API, every RBAC permission
    /// (`Permissions`), the services' status pages. Posey's own services are never given it.
    pub const ADMIN: &str = "admin";
    /// Every scope a Posey service checks.
    pub const ALL: &[&str] = &[AGENTS_TURNS, CRON_ACT_FOR_PERSON, ADMIN];
}

impl Claims {
    /// The RBAC roles the token carries.
    pub fn roles(&self) -> impl Iterator<Item = &str> {
        self.roles.iter().flatten().map(String::as_str)
    }

    pub fn has_role(&self, role: &str) -> bool {
        self.roles().any(|r| r == role)
    }

    /// A service client's token (auth's client-credentials grant): role `service_role` and a
    /// subject that is not a user id. A user token carrying that role is still a user's.
    pub fn is_service(&self) -> bool {
        self.role.as_deref() == Some(SERVICE_ROLE) && self.sub.parse::<uuid::Uuid>().is_err()
    }

    /// The scopes the token carries (the space-separated `scope` claim).
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope.iter().flat_map(|scope| scope.split_ascii_whitespace())
    }

    /// Whether this is a service client's token granted `scope` (a person's token has none).
    pub fn has_scope(&self, scope: &str) -> bool {
        self.is_service() && self.scopes().any(|s| s == scope)
    }
}

/// Ok if the token carries `role`, else 403. Service tokens carry no roles: a handler that
/// also admits them checks [`Claims::is_service`] first.
pub fn require_role(claims: &Claims, role: &str) -> Result<(), ApiError> {
    if claims.has_role(role) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!("this needs the role {role:?}")))
    }
}

/// Ok for a service client's token, else 403.
pub fn require_service(claims: &Claims) -> Result<(), ApiError> {
    if claims.is_service() {
        Ok(())
    } else {
        Err(ApiError::Forbidden("this is for service clients only".into()))
    }
}

/// Ok for a service client's token granted `scope`; else 403, naming the scope when the token
/// is a service client's without it.
pub fn require_scope(claims: &Claims, scope: &str) -> Result<(), ApiError> {
    require_service(claims)?;
    if claims.has_scope(scope) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!(
            "this service token lacks the scope {scope:?} (auth's AUTH_SERVICE_CLIENT_SCOPES)"
        )))
    }
}

/// The header a service client names the person it acts for with (`X-Posey-Person: <uuid>`).
pub const ACTING_FOR_HEADER: &str = "x-posey-person";

/// The person a request acts for. A person's token speaks for its own person, and naming
/// anyone else in [`ACTING_FOR_HEADER`] is a 403. A service client's token (auth's
/// client-credentials grant) acts for the person the header names only when auth granted its
/// client `scope` (a 403 naming the scope otherwise). A service token without the header is a
/// 403.
pub fn acting_person(
    claims: &Claims,
    headers: &axum::http::HeaderMap,
    scope: &str,
) -> Result<uuid::Uuid, ApiError> {
    let named = match headers.get(ACTING_FOR_HEADER) {
        None => None,
        Some(value) => Some(
            value
                .to_str()
                .ok()
                .and_then(|raw| raw.trim().parse::<uuid::Uuid>().ok())
                .ok_or_else(|| ApiError::invalid(ACTING_FOR_HEADER, "must be a person's id"))?,
        ),
    };
    if let Some(user) = claims.user_id() {
        let user = user.as_uuid();
        return match named {
            Some(named) if named != user => {
                Err(ApiError::Forbidden("a person's token acts for that person only".into()))
            }
            _ => Ok(user),
        };
    }
    match named {
        Some(named) if claims.is_service() => require_scope(claims, scope).map(|()| named),
        Some(_) => Err(ApiError::Forbidden("only service clients act for a person".into())),
        None => Err(ApiError::Forbidden("this API needs a person's access token".into())),
    }
}

/// A role name fixed at compile time, for [`RequireRole`].
pub trait RoleName {
    const NAME: &'static str;
}

/// The built-in `admin` role.
pub struct AdminRole;

impl RoleName for AdminRole {
    const NAME: &'static str = "admin";
}

/// The claims of a verified token that carries the role `R`: 401 without a valid token, 403
/// without the role.
#[derive(Debug, Clone)]
pub struct RequireRole<R> {
    pub claims: Claims,
    role: PhantomData<fn() -> R>,
}

impl<S, R> FromRequestParts<S> for RequireRole<R>
where
    S: Send + Sync,
    Arc<JwksVerifier>: FromRef<S>,
    R: RoleName,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Authenticated(claims) = Authenticated::from_request_parts(parts, state).await?;
        require_role(&claims, R::NAME)?;
        Ok(Self { claims, role: PhantomData })
    }
}

/// Which permissions each role grants, read from `auth.roles` and kept for a short while.
///
/// A granted permission matches a wanted one when they are equal, when it is `*`, or when it
/// ends in `:*` and the wanted one starts with what comes before the `*` (`notes:*` grants
/// `notes:read`). Service clients' tokens are trusted with every permission, as auth's admin
/// API trusts them.
#[derive(Clone)]
pub struct Permissions(Arc<Inner>);

struct Inner {
    db: PgPool,
    ttl: Duration,
    clock: SharedClock,
    snapshot: RwLock<Option<Snapshot>>,
    /// One load at a time: callers that find the cache stale wait for it, not the database.
    loading: tokio::sync::Mutex<()>,
}

#[derive(Clone)]
struct Snapshot {
    loaded_at: DateTime<Utc>,
    grants: Arc<HashMap<String, Vec<String>>>,
}

impl std::fmt::Debug for Permissions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Permissions").field("ttl", &self.0.ttl).finish_non_exhaustive()
    }
}

impl Permissions {
    /// How long a read of `auth.roles` is trusted.
    pub const DEFAULT_TTL: Duration = Duration::from_secs(30);

    pub fn new(db: PgPool) -> Self {
        Self::with_ttl(db, Self::DEFAULT_TTL)
    }

    pub fn with_ttl(db: PgPool, ttl: Duration) -> Self {
        Self::with_clock(db, ttl, SystemClock::shared())
    }

    /// Reads the age of what it read from `clock` (tests move it instead of sleeping).
    pub fn with_clock(db: PgPool, ttl: Duration, clock: SharedClock) -> Self {
        Self(Arc::new(Inner {
            db,
            ttl,
            clock,
            snapshot: RwLock::new(None),
            loading: tokio::sync::Mutex::new(()),
        }))
    }

    /// Forgets what was read, so the next check reads `auth.roles` again.
    pub fn invalidate(&self) {
        *self.0.snapshot.write().unwrap_or_else(std::sync::PoisonError::into_inner) = None;
    }

    /// The permissions the token's roles grant (none for a token without roles).
    pub async fn of(&self, claims: &Claims) -> Result<BTreeSet<String>, ApiError> {
        let grants = self.grants().await?;
        Ok(claims.roles().filter_map(|role| grants.get(role)).flatten().cloned().collect())
    }

    /// Whether the token may do `permission`: a person's through their roles' grants, a
    /// service client's only when auth granted its client the scope `admin`.
    pub async fn has_permission(
        &self,
        claims: &Claims,
        permission: &str,
    ) -> Result<bool, ApiError> {
        if claims.is_service() {
            return Ok(claims.has_scope(scopes::ADMIN));
        }
        if claims.roles().next().is_none() {
            return Ok(false);
        }
        let grants = self.grants().await?;
        Ok(claims
            .roles()
            .filter_map(|role| grants.get(role))
            .flatten()
            .any(|granted| grants_permission(granted, permission)))
    }

    /// Ok if the token has `permission`, else 403.
    pub async fn require(&self, claims: &Claims, permission: &str) -> Result<(), ApiError> {
        if self.has_permission(claims, permission).await? {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!("this needs the permission {permission:?}")))
        }
    }

    fn fresh(&self) -> Option<Arc<HashMap<String, Vec<String>>>> {
        let snapshot = self.0.snapshot.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        let now = self.0.clock.now();
        snapshot
            .as_ref()
            .filter(|s| (now - s.loaded_at).to_std().is_ok_and(|age| age < self.0.ttl))
            .map(|s| s.grants.clone())
    }

    async fn grants(&self) -> Result<Arc<HashMap<String, Vec<String>>>, ApiError> {
        if let Some(grants) = self.fresh() {
            return Ok(grants);
        }
        let _loading = self.0.loading.lock().await;
        // Someone else may have loaded it while this call waited.
        if let Some(grants) = self.fresh() {
            return Ok(grants);
        }
        // A function's columns look nullable to the macro; the table's are NOT NULL.
        let rows = sqlx::query!(
            r#"SELECT name AS "name!", permissions AS "permissions!" FROM auth.role_permissions()"#
        )
        .fetch_all(&self.0.db)
        .await
        .context("loading role permissions (auth.role_permissions())")?;
        let grants =
            Arc::new(rows.into_iter().map(|r| (r.name, r.permissions)).collect::<HashMap<_, _>>());
        *self.0.snapshot.write().unwrap_or_else(std::sync::PoisonError::into_inner) =
            Some(Snapshot { loaded_at: self.0.clock.now(), grants: grants.clone() });
        Ok(grants)
    }
}

fn grants_permission(granted: &str, wanted: &str) -> bool {
    granted == wanted
        || granted == "*"
        || granted
            .strip_suffix('*')
            .is_some_and(|prefix| prefix.ends_with(':') && wanted.starts_with(prefix))
}

/// A permission fixed at compile time, for [`RequirePermission`].
pub trait PermissionName {
    const NAME: &'static str;
}

/// The claims of a verified token that has the permission `P`: 401 without a valid token, 403
/// without the permission. The state provides the verifier and [`Permissions`].
#[derive(Debug, Clone)]
pub struct RequirePermission<P> {
    pub claims: Claims,
    permission: PhantomData<fn() -> P>,
}

impl<S, P> FromRequestParts<S> for RequirePermission<P>
where
    S: Send + Sync,
    Arc<JwksVerifier>: FromRef<S>,
    Permissions: FromRef<S>,
    P: PermissionName,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Authenticated(claims) = Authenticated::from_request_parts(parts, state).await?;
        Permissions::from_ref(state).require(&claims, P::NAME).await?;
        Ok(Self { claims, permission: PhantomData })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn claims(value: serde_json::Value) -> Claims {
        let mut base = json!({ "sub": uuid::Uuid::new_v4().to_string(), "iss": "t", "aud": "authenticated", "exp": 0 });
        if let (Some(base), Some(extra)) = (base.as_object_mut(), value.as_object()) {
            base.extend(extra.clone());
        }
        serde_json::from_value(base).unwrap()
    }

    #[test]
    fn roles_come_from_the_roles_claim() {
        let c = claims(json!({ "role": "authenticated", "roles": ["admin", "editor"] }));
        assert!(c.has_role("admin") && c.has_role("editor"));
        assert!(!c.has_role("authenticated"), "the database role is not an RBAC role");
        assert!(require_role(&c, "admin").is_ok());
        let refused = require_role(&c, "billing").unwrap_err();
        assert_eq!(refused.status(), axum::http::StatusCode::FORBIDDEN);
        assert!(!claims(json!({})).has_role("admin"));
        // A `roles` that is not a list is no token of auth's: it does not parse, so grants nothing.
        let not_a_list = json!({ "sub": "s", "iss": "t", "aud": "a", "exp": 0, "roles": "admin" });
        assert!(serde_json::from_value::<Claims>(not_a_list).is_err());
    }

    #[test]
    fn only_client_credentials_tokens_are_services() {
        let service = claims(json!({ "sub": "service:cron", "role": "service_role" }));
        assert!(service.is_service());
        assert!(require_service(&service).is_ok());
        let user_claiming_it = claims(json!({ "role": "service_role" }));
        assert!(!user_claiming_it.is_service());
        assert!(!claims(json!({ "sub": "service:cron", "role": "authenticated" })).is_service());
        assert!(require_service(&user_claiming_it).is_err());
    }

    #[test]
    fn services_act_for_the_named_person_and_people_only_for_themselves() {
        let ada = uuid::Uuid::new_v4();
        let bob = uuid::Uuid::new_v4();
        let naming = |person: &uuid::Uuid| {
            let mut headers = axum::http::HeaderMap::new();
            headers.insert(ACTING_FOR_HEADER, person.to_string().parse().unwrap());
            headers
        };
        let none = axum::http::HeaderMap::new();
        let ada_token = claims(json!({ "sub": ada.to_string(), "role": "authenticated" }));
        assert_eq!(acting_person(&ada_token, &none, CRON).unwrap(), ada);
        assert_eq!(acting_person(&ada_token, &naming(&ada), CRON).unwrap(), ada);
        let refused = acting_person(&ada_token, &naming(&bob), CRON).unwrap_err();
        assert_eq!(refused.status(), axum::http::StatusCode::FORBIDDEN);

        let service = claims(json!({
            "sub": "service:cron", "role": "service_role", "scope": "agents:turns cron:act-for-person"
        }));
        assert_eq!(acting_person(&service, &naming(&bob), CRON).unwrap(), bob);
        let refused = acting_person(&service, &none, CRON).unwrap_err();
        assert_eq!(refused.status(), axum::http::StatusCode::FORBIDDEN);
        let not_service = claims(json!({
            "sub": "service:cron", "role": "authenticated", "scope": "cron:act-for-person"
        }));
        let refused = acting_person(&not_service, &naming(&bob), CRON).unwrap_err();
        assert_eq!(refused.status(), axum::http::StatusCode::FORBIDDEN);
        let mut junk = axum::http::HeaderMap::new();
        junk.insert(ACTING_FOR_HEADER, "nobody".parse().unwrap());
        let refused = acting_person(&service, &junk, CRON).unwrap_err();
        assert_eq!(refused.status(), axum::http::StatusCode::UNPROCESSABLE_ENTITY);
    }

    const CRON: &str = scopes::CRON_ACT_FOR_PERSON;

    #[test]
    fn a_service_token_acts_for_a_person_only_with_the_scope() {
        let bob = uuid::Uuid::new_v4();
        let mut naming = axum::http::HeaderMap::new();
        naming.insert(ACTING_FOR_HEADER, bob.to_string().parse().unwrap());
        let forbidden = |e: ApiError| {
            assert_eq!(e.status(), axum::http::StatusCode::FORBIDDEN);
            e.to_string()
        };
        for scope in [None, Some(""), Some("agents:turns"), Some("cron:act-for-person-x")] {
            let mut token = json!({ "sub": "service:agents", "role": "service_role" });
            if let Some(scope) = scope {
                token["scope"] = scope.into();
            }
            let unscoped = claims(token);
            let message = forbidden(acting_person(&unscoped, &naming, CRON).unwrap_err());
            assert!(message.contains("cron:act-for-person"), "{scope:?}: {message}");
            let message = forbidden(require_scope(&unscoped, CRON).unwrap_err());
            assert!(message.contains("cron:act-for-person"), "{message}");
        }
        let scoped = claims(json!({
            "sub": "service:agents", "role": "service_role", "scope": " cron:act-for-person  x "
        }));
        assert_eq!(acting_person(&scoped, &naming, CRON).unwrap(), bob);
        assert!(require_scope(&scoped, CRON).is_ok());
        assert!(require_scope(&scoped, scopes::AGENTS_TURNS).is_err());
        // A person's token carrying a `scope` is still only a person's.
        let person = claims(json!({ "role": "authenticated", "scope": "agents:turns" }));
        assert!(!person.has_scope(scopes::AGENTS_TURNS));
        forbidden(require_scope(&person, scopes::AGENTS_TURNS).unwrap_err());
    }

    #[test]
    fn wildcards_grant_a_family() {
        assert!(grants_permission("users:manage", "users:manage"));
        assert!(grants_permission("notes:*", "notes:read"));
        assert!(grants_permission("*", "anything:at_all"));
        assert!(!grants_permission("notes:*", "notesx:read"));
        assert!(!grants_permission("notes*", "notes:read"));
        assert!(!grants_permission("users:manage", "users:read"));
    }
}
