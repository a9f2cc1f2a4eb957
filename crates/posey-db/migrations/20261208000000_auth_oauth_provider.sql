-- Posey's auth as an OpenID provider: the clients an admin registered, the provider's own
-- browser sessions (a first-party cookie), the consents people gave, authorization codes, and
-- grants (one per code exchange or client-credentials token) with their refresh tokens.
-- Secrets and tokens are stored only as SHA-256 hashes (each is 256 random bits).

CREATE TABLE auth.oauth_clients (
    client_id uuid PRIMARY KEY,
    client_name text NOT NULL,
    client_type text NOT NULL CHECK (client_type IN ('public', 'confidential')),
    token_endpoint_auth_method text NOT NULL
        CHECK (token_endpoint_auth_method IN ('none', 'client_secret_basic', 'client_secret_post')),
    client_secret_hash bytea,
    redirect_uris text[] NOT NULL,
    post_logout_redirect_uris text[] NOT NULL DEFAULT '{}',
    grant_types text[] NOT NULL,
    scope text NOT NULL,
    client_uri text,
    logo_uri text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT oauth_clients_secret_by_type
        CHECK ((client_type = 'confidential') = (client_secret_hash IS NOT NULL))
);

CREATE TABLE auth.oauth_browser_sessions (
    token_hash bytea PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    auth_time timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX oauth_browser_sessions_user_id_idx ON auth.oauth_browser_sessions (user_id);

CREATE TABLE auth.oauth_consents (
    user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    client_id uuid NOT NULL REFERENCES auth.oauth_clients (client_id) ON DELETE CASCADE,
    scopes text[] NOT NULL,
    granted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, client_id)
);

-- What one code exchange (or client-credentials token) granted; revoking it ends every access
-- and refresh token it issued. `user_id` is null for a client's own (client-credentials) grant.
CREATE TABLE auth.oauth_grants (
    id uuid PRIMARY KEY,
    client_id uuid NOT NULL REFERENCES auth.oauth_clients (client_id) ON DELETE CASCADE,
    user_id uuid REFERENCES auth.users (id) ON DELETE CASCADE,
    scope text NOT NULL,
    auth_time timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
CREATE INDEX oauth_grants_user_id_idx ON auth.oauth_grants (user_id);
CREATE INDEX oauth_grants_client_id_idx ON auth.oauth_grants (client_id);

CREATE TABLE auth.oauth_codes (
    code_hash bytea PRIMARY KEY,
    client_id uuid NOT NULL REFERENCES auth.oauth_clients (client_id) ON DELETE CASCADE,
    user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    redirect_uri text NOT NULL,
    scope text NOT NULL,
    nonce text,
    code_challenge text,
    auth_time timestamptz NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    grant_id uuid REFERENCES auth.oauth_grants (id) ON DELETE SET NULL
);
CREATE INDEX oauth_codes_expires_at_idx ON auth.oauth_codes (expires_at);

CREATE TABLE auth.oauth_refresh_tokens (
    token_hash bytea PRIMARY KEY,
    grant_id uuid NOT NULL REFERENCES auth.oauth_grants (id) ON DELETE CASCADE,
    used_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX oauth_refresh_tokens_grant_id_idx ON auth.oauth_refresh_tokens (grant_id);
