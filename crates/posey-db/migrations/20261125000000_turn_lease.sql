-- A conversation's turn lease: the turn that has the conversation to itself, until when. A turn
-- takes it with one UPDATE, renews it while the model runs and clears it in the transaction that
-- stores the turn; a lease past `turn_lease_until` is a crashed replica's and may be taken over.
-- Unlike the advisory lock it replaces, it holds no connection while the model runs.
ALTER TABLE agents.conversations
    ADD COLUMN turn_holder uuid,
    ADD COLUMN turn_lease_until timestamptz,
    ADD CONSTRAINT conversations_turn_lease_check
        CHECK ((turn_holder IS NULL) = (turn_lease_until IS NULL));
