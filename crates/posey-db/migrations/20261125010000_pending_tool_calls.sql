-- The OpenAI-compatible API is stateless toward its client, which sends the whole conversation
-- with every request. When the model calls the agent's own tools and the client's in one
-- message, the agent's tools run at once and only the client's go back to it: their calls
-- and results are kept here, keyed by the person and the client's call ids, so a later request
-- that re-sends that message gets them put back where they were. A row lives a day after it
-- was last used; expired rows are deleted whenever a new one is written.
CREATE TABLE agents.pending_tool_calls (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    -- The ids of the client's calls in that message, which a request's history is matched on.
    client_call_ids text[] NOT NULL,
    -- The client's calls as the model made them: [{"id", "name", "arguments"}]. A message
    -- matches only if its calls are exactly these.
    client_calls jsonb NOT NULL,
    -- The agent's own calls with their results: [{"index", "call", "result", "is_error"}].
    server_calls jsonb NOT NULL,
    expires_at timestamptz NOT NULL
);
-- A person has few rows (each lives a day): their rows are read by user_id, then by the ids.
CREATE INDEX pending_tool_calls_user_idx ON agents.pending_tool_calls (user_id);
CREATE INDEX pending_tool_calls_expires_idx ON agents.pending_tool_calls (expires_at);
