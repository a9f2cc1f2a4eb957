-- Erasure: deleting an account removes everything of that person in every service. auth
-- deletes its own rows and, in the same transaction, asks each other service for its part
-- here; each service erases the rows of its schemas (the agents service its vector points too)
-- and records the pass. A part is done after a pass that found nothing left, so a write that
-- was in flight when the first pass ran (a turn finishing) is caught by the next one.
-- A request keeps only the person's id (a random UUID), never anything they gave.
CREATE TABLE auth.erasures (
    user_id uuid NOT NULL,
    service text NOT NULL CHECK (service IN ('agents', 'cron')),
    requested_at timestamptz NOT NULL DEFAULT now(),
    -- Set by the pass that found nothing left to remove.
    erased_at timestamptz,
    passes int NOT NULL DEFAULT 0,
    rows_erased bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, service)
);
CREATE INDEX erasures_due_idx ON auth.erasures (service, requested_at) WHERE erased_at IS NULL;

COMMENT ON TABLE auth.erasures IS
    'Each service''s part of erasing a deleted person; read and written only through the functions below.';

-- auth: every service's part, for a person just deleted (again, if asked again).
CREATE FUNCTION auth.request_erasure(who uuid) RETURNS void
LANGUAGE sql
AS $$
    INSERT INTO auth.erasures (user_id, service) VALUES (who, 'agents'), (who, 'cron')
    ON CONFLICT (user_id, service) DO UPDATE SET requested_at = now(), erased_at = NULL;
$$;

-- A service: the people whose erasure it has not finished, oldest request first.
CREATE FUNCTION auth.erasures_due(svc text, lim int) RETURNS SETOF uuid
LANGUAGE sql STABLE
AS $$
    SELECT user_id FROM auth.erasures
    WHERE service = svc AND erased_at IS NULL
    ORDER BY requested_at
    LIMIT lim;
$$;

-- A service: one pass over a person removed `removed` rows; with none left, its part is done.
-- Returns whether it is.
CREATE FUNCTION auth.erasure_pass(svc text, who uuid, removed bigint) RETURNS boolean
LANGUAGE sql
AS $$
    UPDATE auth.erasures
    SET passes = passes + 1,
        rows_erased = rows_erased + removed,
        erased_at = CASE WHEN removed = 0 THEN now() END
    WHERE service = svc AND user_id = who AND erased_at IS NULL
    RETURNING erased_at IS NOT NULL;
$$;
