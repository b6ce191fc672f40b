-- The ledger store (SQLite). Entries are append-only: triggers refuse UPDATE and DELETE.
CREATE TABLE circles (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    circle_id BLOB NOT NULL UNIQUE,
    name TEXT NOT NULL,
    unit_name TEXT NOT NULL,
    unit_symbol TEXT NOT NULL,
    decimals BIGINT NOT NULL,
    node_secret BLOB NOT NULL,
    head_seq BIGINT NOT NULL,
    head_hash BLOB NOT NULL,
    created_at_ms BIGINT NOT NULL
);

CREATE TABLE entries (
    circle BIGINT NOT NULL REFERENCES circles (id),
    seq BIGINT NOT NULL,
    entry_hash BLOB NOT NULL,
    prev_hash BLOB NOT NULL,
    recorded_at_ms BIGINT NOT NULL,
    kind BIGINT NOT NULL,
    author BLOB NOT NULL,
    nonce BLOB NOT NULL,
    request BLOB NOT NULL,
    signature BLOB NOT NULL,
    payer BLOB,
    payee BLOB,
    amount_minor BIGINT,
    PRIMARY KEY (circle, seq)
);
-- Nonces are unique per author: the circle's single writer checks them against the whole
-- replayed log before every append, and the auditor checks them again. (A unique index here cost
-- a third of the append throughput and guarded nothing the writer does not.)

CREATE TRIGGER entries_no_update BEFORE UPDATE ON entries
BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
CREATE TRIGGER entries_no_delete BEFORE DELETE ON entries
BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;

CREATE TABLE accounts (
    circle BIGINT NOT NULL REFERENCES circles (id),
    account_key BLOB NOT NULL,
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
    salt BLOB NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (circle, seq)
);

CREATE TABLE tree_heads (
    circle BIGINT NOT NULL REFERENCES circles (id),
    tree_size BIGINT NOT NULL,
    root BLOB NOT NULL,
    timestamp_ms BIGINT NOT NULL,
    signature BLOB NOT NULL,
    PRIMARY KEY (circle, tree_size)
);
