-- cron.runs_task_idx (task_id, scheduled_for DESC) duplicated the unique index of
-- runs_task_id_scheduled_for_key (task_id, scheduled_for), which Postgres scans backwards just
-- as well: every run insert paid for a second index that no plan needed.
DROP INDEX IF EXISTS cron.runs_task_idx;
