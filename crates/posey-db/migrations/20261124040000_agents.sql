-- The agents service's tables: a person's profile (what the `profile` plugin edits), their
-- conversations with the companion and every message of them (tool calls and results
-- included), and one usage record per model turn, which the daily limits are counted from.
CREATE SCHEMA IF NOT EXISTS agents;
COMMENT ON SCHEMA agents IS 'Owned by the agents service: profiles, conversations, messages, usage.';

CREATE TABLE agents.profiles (
    user_id uuid PRIMARY KEY,
    -- What the companion calls the person; NULL until they say.
    name text,
    -- IANA time zone; the `time` plugin answers in it.
    time_zone text NOT NULL DEFAULT 'UTC',
    -- Free-form preferences (language, tone, units, ...), a JSON object.
    preferences jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(preferences) = 'object'),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE agents.conversations (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    title text NOT NULL,
    -- The agent a new message goes to first (the router, `posey`, unless the person chose).
    agent text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX conversations_user_idx ON agents.conversations (user_id, updated_at DESC);

CREATE TABLE agents.messages (
    id bigserial PRIMARY KEY,
    conversation_id uuid NOT NULL REFERENCES agents.conversations (id) ON DELETE CASCADE,
    -- One id per turn (a person's message and everything that answered it).
    turn_id uuid NOT NULL,
    role text NOT NULL CHECK (role IN ('user', 'assistant', 'tool')),
    -- The agent that spoke (assistant), ran the tool (tool), or was addressed (user).
    agent text NOT NULL,
    -- 0: the conversation's own agent; 1 and more: a specialist it delegated to. Only depth 0
    -- is the model's history on the next turn; the rest is shown, not replayed.
    depth int NOT NULL DEFAULT 0 CHECK (depth >= 0),
    content text NOT NULL DEFAULT '',
    -- An assistant message's tool calls: [{"id", "name", "arguments"}].
    tool_calls jsonb NOT NULL DEFAULT '[]',
    -- A tool message answers one call.
    tool_call_id text,
    tool_name text,
    is_error boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((role = 'tool') = (tool_call_id IS NOT NULL))
);
CREATE INDEX messages_conversation_idx ON agents.messages (conversation_id, id);

-- One row per turn (or OpenAI-compatible request): who used which model, how much.
CREATE TABLE agents.usage (
    id bigserial PRIMARY KEY,
    user_id uuid NOT NULL,
    conversation_id uuid REFERENCES agents.conversations (id) ON DELETE SET NULL,
    agent text NOT NULL,
    model text NOT NULL,
    input_tokens bigint NOT NULL DEFAULT 0,
    output_tokens bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX usage_user_day_idx ON agents.usage (user_id, created_at);

-- A person's totals per UTC day, kept with every usage record: what the daily limits read (one
-- row, however many turns the day had).
CREATE TABLE agents.usage_daily (
    user_id uuid NOT NULL,
    day date NOT NULL,
    requests bigint NOT NULL DEFAULT 0,
    tokens bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (user_id, day)
);
