-- Actions a tool may take only with the person's yes (unlocking a door, paying a bill): the
-- turn that asked stores them with its messages and ends asking; they run only when the person
-- confirms through the API (`POST /v1/actions/{id}/confirm`), never on the model's word.
-- `payload` is what the plugin that asked needs to run it; `result` what it said when it ran.
CREATE TABLE agents.pending_actions (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    conversation_id uuid REFERENCES agents.conversations (id) ON DELETE CASCADE,
    turn_id uuid,
    plugin text NOT NULL,
    summary text NOT NULL,
    reason text NOT NULL,
    payload jsonb NOT NULL,
    status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'denied', 'running', 'done', 'failed')),
    result text,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    decided_at timestamptz
);

CREATE INDEX pending_actions_person ON agents.pending_actions (user_id, created_at DESC);
