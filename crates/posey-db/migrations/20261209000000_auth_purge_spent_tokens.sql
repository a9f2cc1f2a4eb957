-- auth.purge_expired also takes what piles up while people stay signed in for years: the refresh
-- tokens each rotation spends (one row per refresh, for as long as the session lives), the
-- OpenID provider's authorization codes (each lasts a minute, used or not) and its spent refresh
-- tokens, and its browser sessions past their end. Spent tokens and codes are kept a day after
-- they were spent, as GoTrue keeps spent refresh tokens: within that day a replayed one is still
-- recognised as a reuse (and ends its session or grant); after it, it is simply unknown, and
-- refused as such. The OpenID provider's grants stay: they are the person's record of which
-- apps signed in as them (their export lists them).
DROP FUNCTION auth.purge_expired(timestamptz);

CREATE FUNCTION auth.purge_expired(
    cutoff timestamptz,
    OUT sessions bigint,
    OUT revoked_sessions bigint,
    OUT one_time_tokens bigint,
    OUT flow_states bigint,
    OUT refresh_tokens bigint,
    OUT oauth_codes bigint,
    OUT oauth_refresh_tokens bigint,
    OUT oauth_browser_sessions bigint
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
    -- Refresh tokens spent (rotated, or revoked) more than a day ago; a live one is never revoked.
    DELETE FROM auth.refresh_tokens
    WHERE revoked AND coalesce(rotated_at, created_at) < cutoff - interval '1 day';
    GET DIAGNOSTICS refresh_tokens = ROW_COUNT;
    -- The provider's codes a day past their expiry, used or not.
    DELETE FROM auth.oauth_codes WHERE expires_at < cutoff - interval '1 day';
    GET DIAGNOSTICS oauth_codes = ROW_COUNT;
    -- The provider's refresh tokens spent more than a day ago.
    DELETE FROM auth.oauth_refresh_tokens WHERE used_at < cutoff - interval '1 day';
    GET DIAGNOSTICS oauth_refresh_tokens = ROW_COUNT;
    -- The provider's browser sessions past their end.
    DELETE FROM auth.oauth_browser_sessions WHERE expires_at < cutoff;
    GET DIAGNOSTICS oauth_browser_sessions = ROW_COUNT;
END
$$;

COMMENT ON FUNCTION auth.purge_expired(timestamptz) IS
    'Called by cron''s auth_cleanup job instead of deleting from auth''s tables, so auth may change them.';
