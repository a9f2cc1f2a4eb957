-- What cron's maintenance removes of auth's data, as a function auth's schema owns (like the
-- reads in 20261205120000_auth_reads.sql): cron calls it instead of deleting from auth's tables,
-- so auth may change its tables and what "expired" means for each.
-- One statement, one transaction; returns how many rows of each kind went.
CREATE FUNCTION auth.purge_expired(
    cutoff timestamptz,
    OUT sessions bigint,
    OUT revoked_sessions bigint,
    OUT one_time_tokens bigint,
    OUT flow_states bigint
)
LANGUAGE plpgsql
AS $$
BEGIN
    -- Sessions past their absolute end (their refresh tokens go with them, by cascade).
    DELETE FROM auth.sessions WHERE not_after < cutoff;
    GET DIAGNOSTICS sessions = ROW_COUNT;
    -- Revocations whose sessions' access tokens have all expired.
    DELETE FROM auth.revoked_sessions WHERE expires_at < cutoff;
    GET DIAGNOSTICS revoked_sessions = ROW_COUNT;
    -- One-time tokens used or expired.
    DELETE FROM auth.one_time_tokens WHERE used_at IS NOT NULL OR expires_at < cutoff;
    GET DIAGNOSTICS one_time_tokens = ROW_COUNT;
    -- PKCE flow states past their expiry.
    DELETE FROM auth.flow_states WHERE expires_at < cutoff;
    GET DIAGNOSTICS flow_states = ROW_COUNT;
END
$$;

COMMENT ON FUNCTION auth.purge_expired(timestamptz) IS
    'Called by cron''s auth_cleanup job instead of deleting from auth''s tables, so auth may change them.';
