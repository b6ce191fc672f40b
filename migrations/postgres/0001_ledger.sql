-- The ledger store (PostgreSQL). Entries are append-only: a trigger refuses UPDATE and DELETE.
CREATE TABLE circles (
    id BIGSERIAL PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    circle_id BYTEA NOT NULL UNIQUE,
    name TEXT NOT NULL,
    unit_name TEXT NOT NULL,
    unit_symbol TEXT NOT NULL,
    decimals BIGINT NOT NULL,
    node_secret BYTEA NOT NULL,
    head_seq BIGINT NOT NULL,
    head_hash BYTEA NOT NULL,
    created_at_ms BIGINT NOT NULL
);

CREATE TABLE entries (
    circle BIGINT NOT NULL REFERENCES circles (id),
    seq BIGINT NOT NULL,
    entry_hash BYTEA NOT NULL,
    prev_hash BYTEA NOT NULL,
    recorded_at_ms BIGINT NOT NULL,
    kind BIGINT NOT NULL,
    author BYTEA NOT NULL,
    nonce BYTEA NOT NULL,
    request BYTEA NOT NULL,
    signature BYTEA NOT NULL,
    payer BYTEA,
    payee BYTEA,
    amount_minor BIGINT,
    PRIMARY KEY (circle, seq)
);
-- Nonces are unique per author: the circle's single writer checks them against the whole
-- replayed log before every append, and the auditor checks them again. (A unique index here cost
-- a third of the append throughput and guarded nothing the writer does not.)

CREATE FUNCTION entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'ledger entries are append-only';
END;
$$;
CREATE TRIGGER entries_no_update_or_delete BEFORE UPDATE OR DELETE ON entries
FOR EACH ROW EXECUTE FUNCTION entries_append_only();

CREATE TABLE accounts (
    circle BIGINT NOT NULL REFERENCES circles (id),
    account_key BYTEA NOT NULL,
    floor_minor BIGINT NOT NULL,
    ceiling_minor BIGINT NOT NULL,
    balance_minor BIGINT NOT NULL,
    status TEXT NOT NULL,
    PRIMARY KEY (circle, account_key)
);

-- Memo texts live beside the chain: entries commit to a salted hash, so a memo can be erased.
CREATE TABLE memos (
    circle BIGINT NOT NULL REFERENCES circles (id),
    seq BIGINT NOT NULL,
    salt BYTEA NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (circle, seq)
);

CREATE TABLE tree_heads (
    circle BIGINT NOT NULL REFERENCES circles (id),
    tree_size BIGINT NOT NULL,
    root BYTEA NOT NULL,
    timestamp_ms BIGINT NOT NULL,
    signature BYTEA NOT NULL,
    PRIMARY KEY (circle, tree_size)
);
