-- TOTP second factors (GoTrue's `mfa_factors`), their challenges, the failed attempts that
-- lock a factor or an account out, and recovery codes. A factor's secret is sealed with
-- AES-256-GCM under an instance key (never stored or returned in the clear after enrolment).
CREATE TABLE auth.mfa_factors (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    friendly_name text NOT NULL DEFAULT '' CHECK (length(friendly_name) <= 100),
    factor_type text NOT NULL CHECK (factor_type = 'totp'),
    status text NOT NULL DEFAULT 'unverified' CHECK (status IN ('unverified', 'verified')),
    -- nonce (12 bytes) || AES-256-GCM ciphertext of the secret, the factor's id as associated data.
    secret_sealed bytea NOT NULL,
    -- The last TOTP time step accepted: a code of that step or an earlier one is refused.
    last_step bigint,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    last_challenged_at timestamptz
);
CREATE INDEX mfa_factors_user_id_idx ON auth.mfa_factors (user_id, created_at);
-- GoTrue's rule: one name per person (an empty name may repeat).
CREATE UNIQUE INDEX mfa_factors_user_friendly_name_key ON auth.mfa_factors (user_id, friendly_name)
    WHERE friendly_name <> '';

CREATE TABLE auth.mfa_challenges (
    id uuid PRIMARY KEY,
    factor_id uuid NOT NULL REFERENCES auth.mfa_factors (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    verified_at timestamptz
);
CREATE INDEX mfa_challenges_factor_id_idx ON auth.mfa_challenges (factor_id);

-- Wrong codes, counted per factor and per person within the lockout window.
CREATE TABLE auth.mfa_failures (
    id bigserial PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    factor_id uuid REFERENCES auth.mfa_factors (id) ON DELETE SET NULL,
    at timestamptz NOT NULL
);
CREATE INDEX mfa_failures_user_id_at_idx ON auth.mfa_failures (user_id, at);

-- Recovery codes: SHA-256 of each (they are random, 60 bits), single use.
CREATE TABLE auth.mfa_recovery_codes (
    id bigserial PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    code_hash bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    used_at timestamptz,
    CONSTRAINT mfa_recovery_codes_code_hash_key UNIQUE (user_id, code_hash)
);
