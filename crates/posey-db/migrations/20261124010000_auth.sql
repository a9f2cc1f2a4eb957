-- The auth service's tables: accounts, sessions, refresh tokens, signing keys, one-time email
-- tokens, PKCE flow states, roles, the audit log and the email outbox.

CREATE TABLE auth.users (
    id uuid PRIMARY KEY,
    -- Normalised (NFKC, lower case): one address is one account.
    email text NOT NULL,
    encrypted_password text,
    role text NOT NULL DEFAULT 'authenticated',
    email_confirmed_at timestamptz,
    confirmation_sent_at timestamptz,
    recovery_sent_at timestamptz,
    invited_at timestamptz,
    -- A pending email change, confirmed through a link sent to the new address.
    email_change text,
    email_change_sent_at timestamptz,
    last_sign_in_at timestamptz,
    banned_until timestamptz,
    -- Soft-deleted by an admin: the row stays (the address is freed), nobody can sign in as it.
    deleted_at timestamptz,
    raw_app_meta_data jsonb NOT NULL DEFAULT '{}',
    raw_user_meta_data jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT users_email_key UNIQUE (email)
);

CREATE TABLE auth.sessions (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    -- Last refresh: the inactivity timeout counts from here.
    refreshed_at timestamptz NOT NULL DEFAULT now(),
    -- Absolute end of the session, whatever its activity.
    not_after timestamptz NOT NULL,
    aal text NOT NULL DEFAULT 'aal1',
    amr jsonb NOT NULL DEFAULT '[]',
    user_agent text,
    ip inet
);
CREATE INDEX sessions_user_id_idx ON auth.sessions (user_id);

-- Sessions ended before their access tokens expired. Every service polls this (through the
-- shared extractor) so a revoked session's tokens stop working within seconds.
CREATE TABLE auth.revoked_sessions (
    session_id uuid PRIMARY KEY,
    revoked_at timestamptz NOT NULL DEFAULT now(),
    -- After this, every access token of the session has expired anyway.
    expires_at timestamptz NOT NULL
);
CREATE INDEX revoked_sessions_revoked_at_idx ON auth.revoked_sessions (revoked_at);

CREATE TABLE auth.refresh_tokens (
    id bigserial PRIMARY KEY,
    -- SHA-256 of the token; the token itself is never stored.
    token_hash bytea NOT NULL,
    session_id uuid NOT NULL REFERENCES auth.sessions (id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    parent_id bigint REFERENCES auth.refresh_tokens (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    -- Set when the token was exchanged for its successor.
    rotated_at timestamptz,
    revoked boolean NOT NULL DEFAULT false,
    CONSTRAINT refresh_tokens_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX refresh_tokens_session_id_idx ON auth.refresh_tokens (session_id);

-- Access-token signing keys. The newest active key signs; retired keys stay published in the
-- JWKS until every token they signed has expired.
CREATE TABLE auth.signing_keys (
    kid text PRIMARY KEY,
    alg text NOT NULL,
    private_key bytea NOT NULL,
    public_jwk jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    retired_at timestamptz,
    -- Published until then (retired_at + the access-token lifetime).
    publish_until timestamptz
);

-- Secrets the service makes for itself on first start (e.g. the key that derives a refresh
-- token's successor from it).
CREATE TABLE auth.instance_secrets (
    name text PRIMARY KEY,
    secret bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Single-use email tokens: signup confirmation, recovery, magic links, OTPs, email change,
-- invites. Hashed at rest, short-lived.
CREATE TABLE auth.one_time_tokens (
    id bigserial PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    kind text NOT NULL,
    -- SHA-256 of the link token, and of the six-digit code with the address it was sent to.
    token_hash bytea NOT NULL,
    otp_hash bytea NOT NULL,
    -- The address the token was sent to.
    relates_to text NOT NULL,
    redirect_to text,
    -- PKCE: set when the flow that sent the token asked for a code.
    flow_state_id uuid,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    CONSTRAINT one_time_tokens_token_hash_key UNIQUE (token_hash)
);
CREATE INDEX one_time_tokens_user_kind_idx ON auth.one_time_tokens (user_id, kind);
CREATE INDEX one_time_tokens_otp_hash_idx ON auth.one_time_tokens (otp_hash);

-- PKCE: a code challenge waiting for its auth code to be exchanged.
CREATE TABLE auth.flow_states (
    id uuid PRIMARY KEY,
    user_id uuid REFERENCES auth.users (id) ON DELETE CASCADE,
    code_challenge text NOT NULL,
    code_challenge_method text NOT NULL,
    authentication_method text NOT NULL,
    auth_code_hash bytea,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz
);

-- RBAC: named roles carrying permissions (`users:manage`, ...). A user's roles go into their
-- access tokens (`roles`); services look the permissions up here.
CREATE TABLE auth.roles (
    name text PRIMARY KEY,
    description text NOT NULL DEFAULT '',
    permissions text[] NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT roles_name_check CHECK (name ~ '^[a-z0-9_-]{1,63}$')
);
INSERT INTO auth.roles (name, description, permissions)
VALUES ('admin', 'Manages users, roles and the audit log', '{users:manage,roles:manage,audit:read}');

CREATE TABLE auth.user_roles (
    user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    role text NOT NULL REFERENCES auth.roles (name) ON DELETE CASCADE,
    granted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, role)
);
CREATE INDEX user_roles_role_idx ON auth.user_roles (role);

CREATE TABLE auth.audit_log (
    id bigserial PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    -- Who acted (a user, an admin, a service client) and on whom.
    actor_id text,
    target_id text,
    action text NOT NULL,
    ip inet,
    payload jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_created_at_idx ON auth.audit_log (created_at DESC);

-- Emails, when no SMTP server is configured (and a record of every email otherwise).
CREATE TABLE auth.outbox (
    id bigserial PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    recipient text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    kind text NOT NULL,
    sent_at timestamptz,
    attempts int NOT NULL DEFAULT 0,
    last_error text
);
