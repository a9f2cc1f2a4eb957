//! The plugin's tables, in schema `finance`: applied in order by the agents service at start.
//!
//! The books are double entry: a transaction's splits each move money in or out of one
//! account (a bank account, a card, a loan, or a category: the income and expense accounts),
//! and their values in the transaction's currency add up to zero. The database checks that
//! after every statement that writes splits (the plugin writes a transaction's splits in one
//! statement), so no path into the tables can leave the books unbalanced. Money is `numeric`.

use posey_plugin::Migration;

pub const MIGRATIONS: &[Migration] = &[
    Migration { name: "0001_finance", sql: INITIAL },
    Migration { name: "0002_recurring", sql: RECURRING },
    Migration { name: "0003_import_matches", sql: IMPORT_MATCHES },
];

const INITIAL: &str = r"
CREATE SCHEMA IF NOT EXISTS finance;

-- The currency a person's budgets and totals are in.
CREATE TABLE finance.settings (
    user_id uuid PRIMARY KEY,
    currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Accounts (asset, liability) and categories (income, expense accounts, nested), and the
-- equity account opening balances come from.
CREATE TABLE finance.accounts (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    kind text NOT NULL CHECK (kind IN ('asset', 'liability', 'income', 'expense', 'equity')),
    -- asset: checking, savings, cash, investment, other; liability: credit_card, loan,
    -- mortgage, other.
    subtype text CHECK (length(subtype) BETWEEN 1 AND 40),
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- Categories only: the category this one is under.
    parent_id uuid REFERENCES finance.accounts ON DELETE RESTRICT,
    -- Asset and liability accounts hold one currency; categories and equity take each split in
    -- its transaction's currency.
    currency text CHECK (currency ~ '^[A-Z]{3}$'),
    on_budget boolean NOT NULL DEFAULT true,
    -- What bank files call the account (IBAN or number, bank id): imports find it by these.
    number text CHECK (length(number) BETWEEN 1 AND 64),
    bank_id text CHECK (length(bank_id) BETWEEN 1 AND 64),
    -- Categories: whether overspending carries into the next month's envelope.
    rollover_overspending boolean NOT NULL DEFAULT false,
    -- Made by Posey: 'opening' (equity), 'uncategorised_expense', 'uncategorised_income'.
    role text CHECK (role IN ('opening', 'uncategorised_expense', 'uncategorised_income')),
    closed_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT accounts_currency_kind CHECK ((kind IN ('asset', 'liability')) = (currency IS NOT NULL)),
    CONSTRAINT accounts_parent_kind CHECK (parent_id IS NULL OR kind IN ('income', 'expense'))
);
CREATE UNIQUE INDEX accounts_name ON finance.accounts (user_id, lower(name))
    WHERE kind IN ('asset', 'liability');
CREATE UNIQUE INDEX categories_name ON finance.accounts
    (user_id, kind, COALESCE(parent_id, '00000000-0000-0000-0000-000000000000'), lower(name))
    WHERE kind IN ('income', 'expense');
CREATE UNIQUE INDEX accounts_role ON finance.accounts (user_id, role) WHERE role IS NOT NULL;
CREATE INDEX accounts_user ON finance.accounts (user_id, kind, name);

CREATE TABLE finance.payees (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX payees_name ON finance.payees (user_id, lower(name));

-- One bank file: previewed (its lines kept until committed or expired), then committed.
CREATE TABLE finance.imports (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    account_id uuid NOT NULL REFERENCES finance.accounts ON DELETE CASCADE,
    format text NOT NULL,
    file_name text CHECK (length(file_name) <= 255),
    file_sha256 bytea NOT NULL,
    state text NOT NULL CHECK (state IN ('preview', 'committed')),
    -- The preview's lines (JSON), dropped once committed.
    lines jsonb,
    statement_balance numeric,
    statement_date date,
    added integer,
    skipped integer,
    created_at timestamptz NOT NULL DEFAULT now(),
    committed_at timestamptz,
    expires_at timestamptz
);
CREATE INDEX imports_user ON finance.imports (user_id, created_at DESC);

CREATE TABLE finance.transactions (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    date date NOT NULL,
    currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    payee_id uuid REFERENCES finance.payees ON DELETE SET NULL,
    description text CHECK (length(description) <= 2000),
    notes text CHECK (length(notes) <= 10000),
    tags text[] NOT NULL DEFAULT '{}',
    status text NOT NULL DEFAULT 'uncleared'
        CHECK (status IN ('uncleared', 'cleared', 'reconciled')),
    -- Imported: from which file, into which account, under which dedupe key.
    import_id uuid REFERENCES finance.imports ON DELETE CASCADE,
    import_account uuid,
    import_key text,
    -- Where in its file it came from ('line 12').
    source text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT transactions_import CHECK ((import_key IS NULL) = (import_account IS NULL))
);
CREATE UNIQUE INDEX transactions_import_key ON finance.transactions (user_id, import_account, import_key)
    WHERE import_key IS NOT NULL;
CREATE INDEX transactions_user_date ON finance.transactions (user_id, date DESC, id DESC);
CREATE INDEX transactions_import ON finance.transactions (import_id) WHERE import_id IS NOT NULL;
CREATE INDEX transactions_payee ON finance.transactions (payee_id) WHERE payee_id IS NOT NULL;
CREATE INDEX transactions_tags ON finance.transactions USING gin (tags);

CREATE TABLE finance.splits (
    id uuid PRIMARY KEY,
    transaction_id uuid NOT NULL REFERENCES finance.transactions ON DELETE CASCADE,
    user_id uuid NOT NULL,
    account_id uuid NOT NULL REFERENCES finance.accounts ON DELETE RESTRICT,
    -- In the account's currency (a category's: the transaction's).
    amount numeric NOT NULL CHECK (scale(amount) <= 4),
    currency text NOT NULL,
    -- In the transaction's currency: what balances. Equal to amount unless converted at rate.
    value numeric NOT NULL CHECK (scale(value) <= 4),
    rate numeric CHECK (rate > 0),
    rate_date date,
    memo text CHECK (length(memo) <= 2000),
    position smallint NOT NULL,
    -- The transaction's date, kept here so that reports read splits alone.
    date date NOT NULL,
    UNIQUE (transaction_id, position)
);
CREATE INDEX splits_account ON finance.splits (account_id, date);
CREATE INDEX splits_user_date ON finance.splits (user_id, date);

-- Every split's account and currency agree with its transaction, and every transaction a
-- statement touched has two splits or more whose values add up to zero.
CREATE FUNCTION finance.check_splits() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    bad record;
BEGIN
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT n.transaction_id INTO bad
        FROM new_splits n
        JOIN finance.accounts a ON a.id = n.account_id
        JOIN finance.transactions t ON t.id = n.transaction_id
        WHERE a.user_id <> n.user_id OR t.user_id <> n.user_id OR t.date <> n.date
           OR n.currency <> COALESCE(a.currency, t.currency)
           OR (n.currency = t.currency AND n.value <> n.amount)
        LIMIT 1;
        IF FOUND THEN
            RAISE EXCEPTION 'a split of transaction % does not agree with its account or transaction', bad.transaction_id
                USING ERRCODE = 'check_violation', CONSTRAINT = 'splits_agree';
        END IF;
        SELECT s.transaction_id, sum(s.value) AS off INTO bad
        FROM finance.splits s
        WHERE s.transaction_id IN (SELECT transaction_id FROM new_splits)
        GROUP BY s.transaction_id
        HAVING sum(s.value) <> 0 OR count(*) < 2
        LIMIT 1;
    ELSE
        SELECT s.transaction_id, sum(s.value) AS off INTO bad
        FROM finance.splits s
        WHERE s.transaction_id IN (SELECT transaction_id FROM old_splits)
        GROUP BY s.transaction_id
        HAVING sum(s.value) <> 0 OR count(*) < 2
        LIMIT 1;
    END IF;
    IF FOUND THEN
        RAISE EXCEPTION 'transaction % does not balance (off by %)', bad.transaction_id, bad.off
            USING ERRCODE = 'check_violation', CONSTRAINT = 'splits_balance';
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER splits_checked_insert AFTER INSERT ON finance.splits
    REFERENCING NEW TABLE AS new_splits FOR EACH STATEMENT EXECUTE FUNCTION finance.check_splits();
CREATE TRIGGER splits_checked_update AFTER UPDATE ON finance.splits
    REFERENCING NEW TABLE AS new_splits FOR EACH STATEMENT EXECUTE FUNCTION finance.check_splits();
CREATE TRIGGER splits_checked_delete AFTER DELETE ON finance.splits
    REFERENCING OLD TABLE AS old_splits FOR EACH STATEMENT EXECUTE FUNCTION finance.check_splits();

-- Each account's movement per month and currency, kept up to date by the splits' writes: what
-- cash flow, net worth and budgets are summed from, so that they read a few rows a month
-- rather than every split.
CREATE TABLE finance.account_months (
    user_id uuid NOT NULL,
    account_id uuid NOT NULL REFERENCES finance.accounts ON DELETE CASCADE,
    month date NOT NULL,
    currency text NOT NULL,
    amount numeric NOT NULL,
    PRIMARY KEY (account_id, month, currency)
);
CREATE INDEX account_months_user ON finance.account_months (user_id, month);

CREATE FUNCTION finance.roll_up_splits() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('DELETE', 'UPDATE') THEN
        INSERT INTO finance.account_months AS m (user_id, account_id, month, currency, amount)
        SELECT user_id, account_id, date_trunc('month', date)::date, currency, -sum(amount)
        FROM old_splits GROUP BY 1, 2, 3, 4
        ON CONFLICT (account_id, month, currency) DO UPDATE SET amount = m.amount + EXCLUDED.amount;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO finance.account_months AS m (user_id, account_id, month, currency, amount)
        SELECT user_id, account_id, date_trunc('month', date)::date, currency, sum(amount)
        FROM new_splits GROUP BY 1, 2, 3, 4
        ON CONFLICT (account_id, month, currency) DO UPDATE SET amount = m.amount + EXCLUDED.amount;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER splits_rolled_insert AFTER INSERT ON finance.splits
    REFERENCING NEW TABLE AS new_splits FOR EACH STATEMENT EXECUTE FUNCTION finance.roll_up_splits();
CREATE TRIGGER splits_rolled_update AFTER UPDATE ON finance.splits
    REFERENCING OLD TABLE AS old_splits NEW TABLE AS new_splits
    FOR EACH STATEMENT EXECUTE FUNCTION finance.roll_up_splits();
CREATE TRIGGER splits_rolled_delete AFTER DELETE ON finance.splits
    REFERENCING OLD TABLE AS old_splits FOR EACH STATEMENT EXECUTE FUNCTION finance.roll_up_splits();

-- A reconciled transaction changes only when the person said so (the plugin sets
-- finance.change_reconciled for that one statement's transaction).
CREATE FUNCTION finance.guard_reconciled() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'reconciled'
       AND coalesce(current_setting('finance.change_reconciled', true), '') <> 'on' THEN
        RAISE EXCEPTION 'transaction % is reconciled', OLD.id
            USING ERRCODE = 'check_violation', CONSTRAINT = 'transactions_reconciled';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END
$$;
CREATE TRIGGER transactions_reconciled BEFORE UPDATE OR DELETE ON finance.transactions
    FOR EACH ROW EXECUTE FUNCTION finance.guard_reconciled();

CREATE TABLE finance.reconciliations (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    account_id uuid NOT NULL REFERENCES finance.accounts ON DELETE CASCADE,
    statement_date date NOT NULL,
    statement_balance numeric NOT NULL,
    transactions integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX reconciliations_account ON finance.reconciliations (account_id, statement_date DESC);

-- Monthly envelopes: what the person set aside for a category in a month (settings' currency).
CREATE TABLE finance.budgets (
    user_id uuid NOT NULL,
    category_id uuid NOT NULL REFERENCES finance.accounts ON DELETE CASCADE,
    month date NOT NULL CHECK (extract(day FROM month) = 1),
    amount numeric NOT NULL CHECK (scale(amount) <= 4),
    PRIMARY KEY (category_id, month)
);
CREATE INDEX budgets_user ON finance.budgets (user_id, month);

-- Rules, applied in position order (posey-finance's `rules::Rule` as JSON).
CREATE TABLE finance.rules (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    position integer NOT NULL,
    rule jsonb NOT NULL,
    enabled boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rules_user ON finance.rules (user_id, position);

-- How one bank's CSV files are read (posey-finance's `CsvMapping` as JSON).
CREATE TABLE finance.csv_mappings (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    mapping jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX csv_mappings_name ON finance.csv_mappings (user_id, lower(name));

-- Bills: what a person expects to pay again and again (posey-finance's `bills::Bill`).
CREATE TABLE finance.bills (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    account_id uuid REFERENCES finance.accounts ON DELETE SET NULL,
    currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    bill jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX bills_user ON finance.bills (user_id, name);
";

/// Recurring transactions: a transaction to post on every date of a cadence. `due_at` is the
/// instant the next date begins in the person's zone, so the workers of every replica claim
/// what is due with one indexed comparison; a posted transaction points back at what posted
/// it, once per date whatever happens.
const RECURRING: &str = r"
CREATE TABLE finance.recurring (
    id uuid PRIMARY KEY,
    user_id uuid NOT NULL,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- The transaction to post (the plugin's `recurring::Template`), and its currency.
    template jsonb NOT NULL,
    currency text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    -- posey-finance's `bills::Cadence`, from `starts`, up to and including `ends`.
    cadence jsonb NOT NULL,
    starts date NOT NULL,
    ends date CHECK (ends >= starts),
    -- The next date to post; NULL: none left.
    next_date date,
    due_at timestamptz,
    paused boolean NOT NULL DEFAULT false,
    posted integer NOT NULL DEFAULT 0,
    last_posted date,
    last_transaction_id uuid,
    -- Why it paused itself (an account closed since, say).
    last_error text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT recurring_due CHECK ((next_date IS NULL) = (due_at IS NULL))
);
CREATE INDEX recurring_user ON finance.recurring (user_id, lower(name));
CREATE INDEX recurring_due_at ON finance.recurring (due_at) WHERE NOT paused AND due_at IS NOT NULL;

ALTER TABLE finance.transactions
    ADD COLUMN recurring_id uuid REFERENCES finance.recurring ON DELETE SET NULL;
CREATE UNIQUE INDEX transactions_recurring ON finance.transactions (recurring_id, date)
    WHERE recurring_id IS NOT NULL;
";

/// A bank line that is a payment the recurring poster already posted is linked to that
/// transaction instead of being added again: the transaction takes the line's dedupe key (so
/// the file imports again as nothing new) and remembers which import matched it (deleting the
/// import unlinks it and keeps it: it was not the import's). No foreign key: deleting an
/// import must not write to a reconciled transaction.
const IMPORT_MATCHES: &str = r"
ALTER TABLE finance.transactions ADD COLUMN matched_import uuid;
CREATE INDEX transactions_matched_import ON finance.transactions (matched_import)
    WHERE matched_import IS NOT NULL;
ALTER TABLE finance.imports ADD COLUMN matched integer;
";
