-- A notice another service hands to cron (a calendar alarm that fell due) names itself with a
-- key: the same key twice is one notification, so the service may hand it over again until it
-- hears back (at least once, never twice).
ALTER TABLE cron.notifications ADD COLUMN key text;
ALTER TABLE cron.notifications ADD CONSTRAINT notifications_user_key UNIQUE (user_id, key);
