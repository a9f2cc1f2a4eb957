-- What other services read of auth's data, as functions auth's schema owns. posey-http (the
-- shared auth extractor every service runs) reads revoked sessions and role permissions
-- through these rather than from auth's tables, so auth may change its tables as long as these
-- keep answering the same.

-- Revocations made after `after` whose sessions' access tokens may still be alive: what each
-- service polls to refuse a revoked session's tokens.
CREATE FUNCTION auth.revoked_sessions_since(after timestamptz)
RETURNS TABLE (session_id uuid, revoked_at timestamptz, expires_at timestamptz)
LANGUAGE sql STABLE
AS $$
    SELECT r.session_id, r.revoked_at, r.expires_at
    FROM auth.revoked_sessions r
    WHERE r.revoked_at > after AND r.expires_at > now()
$$;

COMMENT ON FUNCTION auth.revoked_sessions_since(timestamptz) IS
    'Read by posey-http (every service) instead of auth.revoked_sessions, so auth may change its tables.';

-- Every role with the permissions it grants: what permission guards check a token's roles against.
CREATE FUNCTION auth.role_permissions()
RETURNS TABLE (name text, permissions text[])
LANGUAGE sql STABLE
AS $$
    SELECT r.name, r.permissions FROM auth.roles r
$$;

COMMENT ON FUNCTION auth.role_permissions() IS
    'Read by posey-http (every service) instead of auth.roles, so auth may change its tables.';
