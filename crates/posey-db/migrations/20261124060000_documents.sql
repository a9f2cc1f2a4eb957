-- A person's documents (the `documents` plugin): the uploaded file itself (Postgres is the
-- truth, so re-indexing never needs another store), its ingestion status and progress, and the
-- chunks its text was cut into, each with the page or heading it came from. The vectors in the
-- `documents` collection are derived from the chunks of ready documents.
CREATE TABLE agents.documents (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    filename text NOT NULL,
    -- Sniffed from the content, never taken from the name or the client's header.
    media_type text NOT NULL,
    size_bytes bigint NOT NULL CHECK (size_bytes >= 0),
    -- SHA-256 of the bytes: the same file uploaded twice by one person is one document.
    sha256 bytea NOT NULL,
    content bytea NOT NULL,
    status text NOT NULL DEFAULT 'queued'
        CHECK (status IN ('queued', 'extracting', 'embedding', 'ready', 'failed')),
    -- Why it failed (shown to the person); NULL otherwise.
    error text,
    -- Pages of a PDF; NULL for formats without pages.
    pages int,
    -- Progress of the embedding step.
    chunks_total int NOT NULL DEFAULT 0,
    chunks_done int NOT NULL DEFAULT 0,
    -- Ingestion attempts started; a worker that died mid-way leaves its lease to expire.
    attempts int NOT NULL DEFAULT 0,
    leased_until timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT documents_user_sha256_key UNIQUE (user_id, sha256)
);
CREATE INDEX documents_user_idx ON agents.documents (user_id, created_at DESC);
-- What the ingestion workers claim from.
CREATE INDEX documents_pending_idx ON agents.documents (updated_at)
    WHERE status IN ('queued', 'extracting', 'embedding');

CREATE TABLE agents.document_chunks (
    id uuid PRIMARY KEY,
    document_id uuid NOT NULL REFERENCES agents.documents (id) ON DELETE CASCADE,
    user_id uuid NOT NULL,
    -- Position in the document, from 0.
    ordinal int NOT NULL CHECK (ordinal >= 0),
    text text NOT NULL,
    -- The page (from 1) of a PDF chunk; the heading path ("Setup > Wiring") of a structured one.
    page int,
    heading text,
    -- Character offsets of the chunk in the document's extracted text.
    char_start int NOT NULL,
    char_end int NOT NULL,
    UNIQUE (document_id, ordinal)
);
CREATE INDEX document_chunks_user_idx ON agents.document_chunks (user_id);
