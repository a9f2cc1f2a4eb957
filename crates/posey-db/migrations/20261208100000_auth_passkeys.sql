-- WebAuthn in auth: `webauthn` MFA factors beside TOTP, passkeys for passwordless sign-in, and
-- the ceremonies' state between their two requests.

ALTER TABLE auth.mfa_factors DROP CONSTRAINT mfa_factors_factor_type_check;
-- A webauthn factor keeps no secret (its credential is in auth.webauthn_credentials): its
-- secret_sealed is empty.
ALTER TABLE auth.mfa_factors ADD CONSTRAINT mfa_factors_factor_type_check
    CHECK (factor_type IN ('totp', 'webauthn'));

-- A credential is a webauthn factor's (factor_id set; it goes with the factor) or a passkey for
-- sign-in (factor_id null). Only public material: webauthn-rs's Passkey (public key, counter,
-- flags) as JSON.
CREATE TABLE auth.webauthn_credentials (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    factor_id uuid UNIQUE REFERENCES auth.mfa_factors (id) ON DELETE CASCADE,
    credential_id bytea NOT NULL,
    passkey jsonb NOT NULL,
    -- The authenticator's signature counter last seen: one that goes back is a clone's.
    sign_count bigint NOT NULL DEFAULT 0,
    friendly_name text NOT NULL DEFAULT '' CHECK (length(friendly_name) <= 120),
    created_at timestamptz NOT NULL,
    last_used_at timestamptz,
    CONSTRAINT webauthn_credentials_credential_id_key UNIQUE (credential_id)
);
CREATE INDEX webauthn_credentials_user_id_idx ON auth.webauthn_credentials (user_id, created_at);

-- A ceremony's state (webauthn-rs's, with its challenge) from its options to its answer; used
-- once (used_at), answerable for five minutes, forgotten after ten. A usernameless sign-in's
-- has no user.
CREATE TABLE auth.webauthn_challenges (
    id uuid PRIMARY KEY,
    ceremony text NOT NULL CHECK (ceremony IN ('registration', 'authentication', 'discoverable')),
    user_id uuid REFERENCES auth.users (id) ON DELETE CASCADE,
    factor_id uuid REFERENCES auth.mfa_factors (id) ON DELETE CASCADE,
    state jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    used_at timestamptz
);
CREATE INDEX webauthn_challenges_created_at_idx ON auth.webauthn_challenges (created_at);
