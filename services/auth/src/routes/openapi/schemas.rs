//! The shapes of auth's answers, for the OpenAPI document only: the handlers build them as JSON
//! in GoTrue's shape (`User::to_json`, ...), and the API test checks real answers against these.

// Never built: they only describe.
#![allow(dead_code, clippy::large_enum_variant)]

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

/// Every error, in GoTrue's shape: `{code, error_code, msg}`, or `{code, message}` for a client
/// that sends `X-Supabase-Api-Version: 2024-01-01` (as `@supabase/auth-js` does).
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum GoTrueError {
    Legacy {
        /// The HTTP status.
        code: u16,
        /// What went wrong, for programs: `validation_failed`, `not_admin`, ...
        error_code: String,
        msg: String,
    },
    Versioned {
        /// What went wrong, for programs.
        code: String,
        message: String,
    },
}

/// An account as Supabase Auth shows it; times that are not set are left out.
#[derive(Serialize, ToSchema)]
pub struct User {
    id: Uuid,
    /// Always `authenticated`.
    aud: String,
    /// The token's database role (`authenticated`, or what an admin set).
    role: String,
    email: String,
    email_confirmed_at: Option<DateTime<Utc>>,
    /// Always empty: phone numbers are not supported.
    phone: String,
    confirmation_sent_at: Option<DateTime<Utc>>,
    recovery_sent_at: Option<DateTime<Utc>>,
    email_change_sent_at: Option<DateTime<Utc>>,
    /// An email change waiting for its confirmation.
    new_email: Option<String>,
    invited_at: Option<DateTime<Utc>>,
    confirmed_at: Option<DateTime<Utc>>,
    last_sign_in_at: Option<DateTime<Utc>>,
    /// `provider`, `providers` and what admins stored.
    app_metadata: HashMap<String, Value>,
    /// The person's own metadata (`data` at sign-up).
    user_metadata: HashMap<String, Value>,
    identities: Vec<Identity>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    is_anonymous: bool,
    banned_until: Option<DateTime<Utc>>,
    deleted_at: Option<DateTime<Utc>>,
    /// The person's MFA factors; absent when there are none.
    factors: Option<Vec<Factor>>,
}

/// The account's email identity.
#[derive(Serialize, ToSchema)]
pub struct Identity {
    identity_id: Uuid,
    id: Uuid,
    user_id: Uuid,
    identity_data: IdentityData,
    /// Always `email`.
    provider: String,
    last_sign_in_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    email: String,
}

#[derive(Serialize, ToSchema)]
pub struct IdentityData {
    email: String,
    email_verified: bool,
    phone_verified: bool,
    sub: Uuid,
}

/// A signed-in session: what every grant and verified link answers.
#[derive(Serialize, ToSchema)]
pub struct Session {
    /// An ES256 JWT, verifiable against `/.well-known/jwks.json`.
    access_token: String,
    /// Always `bearer`.
    token_type: String,
    /// Seconds the access token lives.
    expires_in: i64,
    /// When it expires (Unix seconds).
    expires_at: i64,
    /// Single use: a refresh answers a new one.
    refresh_token: String,
    user: User,
}

/// A service client's token (the `client_credentials` grant): no refresh token, no user.
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)] // Documents `additionalProperties: false`: a session is not one.
pub struct ServiceToken {
    access_token: String,
    token_type: String,
    expires_in: i64,
    expires_at: i64,
    /// The token's scopes, space-separated (empty: it may act for nobody).
    scope: String,
}

/// What the `app_password` grant answers: an access token of the app password's session, with
/// its person; no refresh token (the app signs in with its password again).
#[derive(Serialize, ToSchema)]
#[serde(deny_unknown_fields)] // Documents `additionalProperties: false`: a session is not one.
pub struct AppPasswordToken {
    access_token: String,
    token_type: String,
    expires_in: i64,
    expires_at: i64,
    user: User,
}

/// What `/token` answers, by grant.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum TokenAnswer {
    Session(Session),
    Service(ServiceToken),
    AppPassword(AppPasswordToken),
}

/// A person's app passwords, without their secrets.
#[derive(Serialize, ToSchema)]
pub struct AppPasswordList {
    app_passwords: Vec<AppPasswordInfo>,
}

#[derive(Serialize, ToSchema)]
pub struct AppPasswordInfo {
    id: Uuid,
    /// What it is for.
    name: String,
    created_at: DateTime<Utc>,
    /// When an app last signed in with it.
    last_used_at: Option<DateTime<Utc>>,
}

/// A new app password, with its secret: shown this once.
#[derive(Serialize, ToSchema)]
pub struct NewAppPasswordAnswer {
    id: Uuid,
    name: String,
    /// The secret the app signs in with (with the person's email), in groups of four.
    password: String,
    created_at: DateTime<Utc>,
    last_used_at: Option<DateTime<Utc>>,
}

/// What `/signup` answers: a session when no confirmation is needed (the install's first
/// account, `AUTH_MAILER_AUTOCONFIRM`, an accepted invite), else the user awaiting confirmation.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
pub enum SignupAnswer {
    Session(Session),
    AwaitingConfirmation(User),
}

/// An email flow's answer: nothing to say (whether an email went out is not told).
#[derive(Serialize, ToSchema)]
pub struct Empty {}

#[derive(Serialize, ToSchema)]
pub struct Health {
    version: String,
    name: String,
    description: String,
}

/// GoTrue's public settings, and Posey's `signup`.
#[derive(Serialize, ToSchema)]
pub struct Settings {
    external: External,
    /// True when sign-up needs an invite.
    disable_signup: bool,
    /// Who may sign up: `owner` (no account yet: the first becomes the install's owner),
    /// `open` or `invite`.
    #[schema(pattern = "^(owner|open|invite)$")]
    signup: String,
    mailer_autoconfirm: bool,
    phone_autoconfirm: bool,
    sms_provider: String,
    saml_enabled: bool,
}

#[derive(Serialize, ToSchema)]
pub struct External {
    email: bool,
    phone: bool,
    anonymous_users: bool,
    /// Social login (`GET /authorize?provider=`): whether each upstream provider is enabled.
    google: bool,
    apple: bool,
    azure: bool,
    github: bool,
    oidc: bool,
}

/// The public keys access tokens are signed with (JWK, ES256).
#[derive(Serialize, ToSchema)]
pub struct Jwks {
    keys: Vec<HashMap<String, Value>>,
}

#[derive(Serialize, ToSchema)]
pub struct OpenIdConfiguration {
    issuer: String,
    jwks_uri: String,
    token_endpoint: String,
    userinfo_endpoint: String,
    response_types_supported: Vec<String>,
    subject_types_supported: Vec<String>,
    id_token_signing_alg_values_supported: Vec<String>,
    grant_types_supported: Vec<String>,
    claims_supported: Vec<String>,
}

/// A person's signed-in devices.
#[derive(Serialize, ToSchema)]
pub struct SessionList {
    sessions: Vec<SessionInfo>,
}

#[derive(Serialize, ToSchema)]
pub struct SessionInfo {
    id: Uuid,
    created_at: DateTime<Utc>,
    /// The last refresh: the inactivity timeout counts from here.
    refreshed_at: DateTime<Utc>,
    /// The session ends then, whatever its activity.
    not_after: DateTime<Utc>,
    aal: String,
    amr: Vec<HashMap<String, Value>>,
    user_agent: Option<String>,
    ip: Option<String>,
    /// The session of the token that asked.
    current: bool,
}

/// A page of accounts (`X-Total-Count` and `Link` name the rest).
#[derive(Serialize, ToSchema)]
pub struct UserList {
    users: Vec<User>,
    aud: String,
}

/// A user with the link an email would carry (`POST /admin/generate_link`).
#[derive(Serialize, ToSchema)]
pub struct GeneratedLink {
    #[serde(flatten)]
    user: User,
    action_link: String,
    /// The six-digit code the email would carry.
    email_otp: String,
    /// The link's token: what `/verify` takes as `token_hash`.
    hashed_token: String,
    redirect_to: String,
    verification_type: String,
}

/// An MFA factor (TOTP), as GoTrue lists it: never its secret.
#[derive(Serialize, ToSchema)]
pub struct Factor {
    id: Uuid,
    /// May be empty.
    friendly_name: String,
    /// `totp` or `webauthn`.
    factor_type: String,
    /// `unverified` until its first successful verification, then `verified`.
    status: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    last_challenged_at: Option<DateTime<Utc>>,
}

/// A factor just enrolled, with what the person's app needs (shown this once).
#[derive(Serialize, ToSchema)]
pub struct EnrolledFactor {
    id: Uuid,
    /// `totp` or `webauthn`.
    #[serde(rename = "type")]
    factor_type: String,
    friendly_name: String,
    /// A TOTP factor's secret; a WebAuthn factor has none (its credential is registered by
    /// answering its first challenge).
    totp: Option<TotpEnrolment>,
}

#[derive(Serialize, ToSchema)]
pub struct TotpEnrolment {
    /// The `uri` as a QR code: an SVG document (auth-js makes it a `data:` URI).
    qr_code: String,
    /// The secret, base32 (SHA-1, 6 digits, 30-second steps).
    secret: String,
    /// `otpauth://totp/<issuer>:<email>?...`
    uri: String,
}

/// A challenge to answer at `/factors/{factor_id}/verify`.
#[derive(Serialize, ToSchema)]
pub struct MfaChallenge {
    id: Uuid,
    /// `totp` or `webauthn`.
    #[serde(rename = "type")]
    factor_type: String,
    /// When it can no longer be answered (Unix seconds).
    expires_at: i64,
    /// A WebAuthn factor's ceremony; none for TOTP.
    webauthn: Option<WebauthnChallenge>,
}

/// The ceremony a WebAuthn challenge asks the authenticator for.
#[derive(Serialize, ToSchema)]
pub struct WebauthnChallenge {
    /// `create` (registering an unverified factor's credential) or `request` (authenticating).
    #[serde(rename = "type")]
    kind: String,
    /// The options for `navigator.credentials.create`/`get`: `{publicKey: {...}}`, binary
    /// fields base64url.
    credential_options: serde_json::Value,
}

/// The factor unenrolled.
#[derive(Serialize, ToSchema)]
pub struct FactorId {
    id: Uuid,
}

/// Recovery codes, shown once.
#[derive(Serialize, ToSchema)]
pub struct RecoveryCodes {
    codes: Vec<String>,
}

/// One audit log entry, in Supabase's shape.
#[derive(Serialize, ToSchema)]
pub struct AuditEntry {
    id: i64,
    payload: AuditPayload,
    created_at: DateTime<Utc>,
    ip_address: String,
}

#[derive(Serialize, ToSchema)]
pub struct AuditPayload {
    action: String,
    actor_id: Option<String>,
    actor_username: Option<String>,
    target_id: Option<String>,
    /// Supabase's grouping: `account`, `team`, `token`, `user`, and Posey's `rbac`.
    log_type: String,
    /// What else the action recorded.
    traits: HashMap<String, Value>,
}

/// A role and the permissions it grants.
#[derive(Serialize, ToSchema)]
pub struct Role {
    name: String,
    description: String,
    permissions: Vec<String>,
    created_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct RoleList {
    roles: Vec<Role>,
}

/// The roles a user holds (they reach the user's tokens from the next refresh).
#[derive(Serialize, ToSchema)]
pub struct UserRoles {
    user_id: Uuid,
    roles: Vec<String>,
}

/// A pending invite; the invited account's id names it.
#[derive(Serialize, ToSchema)]
pub struct Invite {
    id: Uuid,
    email: String,
    /// When its current link was made.
    invited_at: DateTime<Utc>,
    expires_at: DateTime<Utc>,
    #[schema(pattern = "^(pending|expired)$")]
    status: String,
}

/// An invite just made: whether it was emailed, and its link when it was not.
#[derive(Serialize, ToSchema)]
pub struct NewInvite {
    #[serde(flatten)]
    invite: Invite,
    /// The SMTP server took the email.
    emailed: bool,
    /// Only when not emailed: the link for the admin to pass on (it works once).
    link: Option<String>,
}

/// The invited user (GoTrue's answer) with Posey's `invite`.
#[derive(Serialize, ToSchema)]
pub struct InvitedUser {
    #[serde(flatten)]
    user: User,
    invite: NewInvite,
}

#[derive(Serialize, ToSchema)]
pub struct InviteList {
    invites: Vec<Invite>,
}

/// How this install's auth is set up.
#[derive(Serialize, ToSchema)]
pub struct Status {
    email: EmailStatus,
    signup: SignupStatus,
    invites: InviteStatus,
    site_url: String,
}

#[derive(Serialize, ToSchema)]
pub struct EmailStatus {
    /// `SMTP_URL` is set: auth emails go out.
    configured: bool,
    /// `smtp`, or `outbox` (kept in `auth.outbox` and logged).
    #[schema(pattern = "^(smtp|outbox)$")]
    transport: String,
    from: String,
}

#[derive(Serialize, ToSchema)]
pub struct SignupStatus {
    #[schema(pattern = "^(owner|open|invite)$")]
    mode: String,
    open_signup: bool,
    disable_signup: bool,
    mailer_autoconfirm: bool,
    has_accounts: bool,
}

#[derive(Serialize, ToSchema)]
pub struct InviteStatus {
    pending: i64,
    /// Seconds an invite's link works.
    ttl: u64,
    /// The app's page invite links open.
    url: String,
}
