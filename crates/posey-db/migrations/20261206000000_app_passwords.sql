-- App passwords: a secret per app (a phone's or Thunderbird's calendar sync) that the app signs
-- in with over HTTP Basic instead of the person's password. Each has a session of its own, so
-- revoking it ends that session and every token it gave stops working within seconds.
CREATE TABLE auth.app_passwords (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL REFERENCES auth.users (id) ON DELETE CASCADE,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    -- SHA-256 of the secret: it is random (144 bits), so a slow hash adds nothing.
    secret_hash bytea NOT NULL UNIQUE,
    session_id uuid NOT NULL REFERENCES auth.sessions (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    last_used_at timestamptz
);
CREATE INDEX app_passwords_user_id_idx ON auth.app_passwords (user_id, created_at);
