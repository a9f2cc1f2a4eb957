-- Long-term memory (the agents service's `memory` plugin): what the companion remembers about a
-- person, one row per memory. Postgres is the truth; the `memories` vector collection holds
-- the current memories only and is rebuilt from here by `posey admin reindex`.
--
-- History: when the extraction after a turn UPDATEs a memory, a new row is written with
-- `supersedes` = the old row's id and the old row gets `superseded_at`; when it DELETEs one (a
-- retraction: "I no longer eat meat"), the row gets `retracted_at`. Such rows are history:
-- exported, never searched or put in context. A person deleting a memory (REST or the
-- `forget` tool) removes the row for real, with the rows it superseded.
CREATE TABLE agents.memories (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    text text NOT NULL CHECK (length(text) BETWEEN 1 AND 1000),
    kind text NOT NULL
        CHECK (kind IN ('fact', 'preference', 'event', 'relationship', 'goal', 'other')),
    -- How it came: extracted after a turn (`conversation`), the `remember` tool (`agent`), or
    -- the person over REST (`person`).
    origin text NOT NULL CHECK (origin IN ('conversation', 'agent', 'person')),
    -- The person's message it was extracted from, and its conversation.
    source_message bigint REFERENCES agents.messages (id) ON DELETE SET NULL,
    conversation_id uuid REFERENCES agents.conversations (id) ON DELETE SET NULL,
    -- The memory this one replaced (an UPDATE), kept as history.
    supersedes uuid REFERENCES agents.memories (id) ON DELETE SET NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    superseded_at timestamptz,
    retracted_at timestamptz
);
-- The current memories of a person, newest first (lists, recency in context).
CREATE INDEX memories_current_idx ON agents.memories (user_id, updated_at DESC)
    WHERE superseded_at IS NULL AND retracted_at IS NULL;
-- Export and history.
CREATE INDEX memories_user_idx ON agents.memories (user_id, created_at);
CREATE INDEX memories_supersedes_idx ON agents.memories (supersedes) WHERE supersedes IS NOT NULL;
