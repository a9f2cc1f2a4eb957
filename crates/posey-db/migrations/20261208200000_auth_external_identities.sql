-- Social login: the accounts people have at the operator's upstream providers (Google, Apple,
-- Microsoft, GitHub, an OpenID provider), each linked to one Posey account, and the sign-ins
-- under way between `/authorize` and `/callback`.

-- One upstream account (`provider`, its subject `provider_id`) is one identity of one person,
-- as GoTrue's `identities`.
CREATE TABLE auth.identities (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    provider text NOT NULL,
    provider_id text NOT NULL,
    -- The upstream's claims about the person at the last sign-in (sub, email, email_verified,
    -- name, picture), as GoTrue's `identity_data`.
    identity_data jsonb NOT NULL DEFAULT '{}',
    -- The upstream's address for the person, normalised; null when it gave none.
    email text,
    last_sign_in_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT identities_provider_id_key UNIQUE (provider, provider_id)
);
CREATE INDEX identities_user_id_idx ON auth.identities (user_id);

-- A sign-in sent to an upstream provider and not back yet: found by the hash of the `state`
-- it carried, used once (deleted when it comes back), refused after `expires_at`.
CREATE TABLE auth.external_states (
    state_hash bytea PRIMARY KEY,
    provider text NOT NULL,
    -- What the upstream's id_token must carry back.
    nonce text NOT NULL,
    -- The PKCE verifier of the request to the upstream.
    code_verifier text NOT NULL,
    -- Where the person goes afterwards (already checked against the allowed URLs).
    redirect_to text NOT NULL,
    -- The client's own PKCE flow with Posey (auth-js), if it started one.
    flow_state_id uuid REFERENCES auth.flow_states (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX external_states_expires_at_idx ON auth.external_states (expires_at);
