-- One schema per owning service (ARCHITECTURE.md, "Data"). Later migrations add their tables
-- to these; the gateway exposes `app` by default.
CREATE SCHEMA IF NOT EXISTS auth;
CREATE SCHEMA IF NOT EXISTS app;
CREATE SCHEMA IF NOT EXISTS cron;

COMMENT ON SCHEMA auth IS 'Owned by the auth service: accounts, credentials, sessions, keys, audit.';
COMMENT ON SCHEMA app IS 'User data served through the GraphQL gateway and the agents service.';
COMMENT ON SCHEMA cron IS 'Owned by the cron service: tasks, runs, notifications.';
