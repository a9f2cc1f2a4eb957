-- The chat model each person chose (`PUT /v1/me/model`): an id from the agents service's list
-- of models (`local`, `local:<file>.gguf`, `provider:model`). No row: the default model
-- (POSEY_MODEL). A choice that is no longer offered (its GGUF removed) is kept but ignored,
-- so it comes back if the model does.
CREATE TABLE agents.model_choices (
    user_id uuid PRIMARY KEY,
    model text NOT NULL CHECK (model <> ''),
    updated_at timestamptz NOT NULL DEFAULT now()
);
