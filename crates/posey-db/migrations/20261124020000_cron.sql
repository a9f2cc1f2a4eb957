-- The cron service's tables. Postgres is the scheduler of record: a task's next run time lives
-- here, and a run exists once per (task, scheduled_for) whatever the number of replicas.

CREATE TABLE cron.tasks (
    id uuid PRIMARY KEY,
    -- The person the task works for; NULL for the system's maintenance tasks.
    user_id uuid,
    name text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('reminder', 'agent_task', 'webhook', 'maintenance')),
    -- What the job needs: a reminder's text, an agent's prompt, a webhook's URL, ...
    payload jsonb NOT NULL DEFAULT '{}',
    schedule_kind text NOT NULL CHECK (schedule_kind IN ('cron', 'once', 'interval', 'rrule')),
    -- The cron expression (with seconds), the RFC 3339 time, the interval in seconds, or the
    -- RRULE (with its DTSTART), as given.
    schedule text NOT NULL,
    -- IANA time zone the schedule is read in.
    time_zone text NOT NULL DEFAULT 'UTC',
    -- The next time to run, in UTC; NULL when the schedule has no more runs.
    next_run_at timestamptz,
    paused boolean NOT NULL DEFAULT false,
    -- Runs missed while everything was down: one run, each up to a limit, or none.
    misfire_policy text NOT NULL DEFAULT 'run_once' CHECK (misfire_policy IN ('run_once', 'run_all', 'skip')),
    misfire_limit int NOT NULL DEFAULT 10 CHECK (misfire_limit > 0),
    -- A run due while the previous one still runs: skip it, queue (at most) one, or run both.
    overlap_policy text NOT NULL DEFAULT 'skip' CHECK (overlap_policy IN ('skip', 'queue_one', 'allow')),
    timeout_seconds int NOT NULL DEFAULT 300 CHECK (timeout_seconds > 0),
    max_attempts int NOT NULL DEFAULT 5 CHECK (max_attempts > 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX tasks_due_idx ON cron.tasks (next_run_at) WHERE NOT paused AND next_run_at IS NOT NULL;
CREATE INDEX tasks_user_idx ON cron.tasks (user_id);

CREATE TABLE cron.runs (
    id bigserial PRIMARY KEY,
    task_id uuid NOT NULL REFERENCES cron.tasks (id) ON DELETE CASCADE,
    -- The schedule's time for this run: with task_id, the handlers' idempotency key.
    scheduled_for timestamptz NOT NULL,
    status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'running', 'retrying', 'succeeded', 'skipped', 'dead')),
    attempts int NOT NULL DEFAULT 0,
    -- When the run may be picked up (now, or after a retry's backoff).
    available_at timestamptz NOT NULL,
    -- The worker holding the run, and until when; a lapsed lease means the worker died.
    lease_owner text,
    lease_expires_at timestamptz,
    started_at timestamptz,
    finished_at timestamptz,
    error text,
    output jsonb,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT runs_task_id_scheduled_for_key UNIQUE (task_id, scheduled_for)
);
CREATE INDEX runs_ready_idx ON cron.runs (available_at) WHERE status IN ('pending', 'retrying');
CREATE INDEX runs_lease_idx ON cron.runs (lease_expires_at) WHERE status = 'running';
CREATE INDEX runs_task_idx ON cron.runs (task_id, scheduled_for DESC);

CREATE TABLE cron.notifications (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    title text NOT NULL,
    body text NOT NULL DEFAULT '',
    data jsonb NOT NULL DEFAULT '{}',
    task_id uuid REFERENCES cron.tasks (id) ON DELETE SET NULL,
    run_id bigint REFERENCES cron.runs (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    read_at timestamptz,
    -- One notification per run: a retried handler does not notify twice.
    CONSTRAINT notifications_run_id_key UNIQUE (run_id)
);
CREATE INDEX notifications_user_idx ON cron.notifications (user_id, created_at DESC);

-- Browsers subscribed to Web Push for a person.
CREATE TABLE cron.push_subscriptions (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    endpoint text NOT NULL,
    p256dh text NOT NULL,
    auth text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT push_subscriptions_endpoint_key UNIQUE (endpoint)
);

-- Each channel's delivery of a notification, with retries; the notification itself is never
-- lost when a channel fails.
CREATE TABLE cron.deliveries (
    id bigserial PRIMARY KEY,
    notification_id uuid NOT NULL REFERENCES cron.notifications (id) ON DELETE CASCADE,
    channel text NOT NULL CHECK (channel IN ('email', 'web_push')),
    -- The push subscription, for web_push.
    target text,
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_error text,
    delivered_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX deliveries_pending_idx ON cron.deliveries (next_attempt_at) WHERE status = 'pending';
