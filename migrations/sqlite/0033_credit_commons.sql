-- Links with Credit Commons nodes (taken on their word, action tag 12 of the ledger format).
-- A link's kind lives with its terms: a proved link has empty paths.
ALTER TABLE links ADD COLUMN their_path TEXT NOT NULL DEFAULT '';
ALTER TABLE links ADD COLUMN our_path TEXT NOT NULL DEFAULT '';

-- The chain of hashes each side keeps of the account the two share: every call from the
-- partner must carry the current value (its `last-hash` header). Set by the node's operator
-- (`commons cc-chain`), never by a proposal (it is what the partner authenticates with), then
-- advanced by each completed transaction. The previous value answers a retried call of the
-- transaction that advanced it.
CREATE TABLE cc_chains (
    circle BIGINT NOT NULL,
    partner BLOB NOT NULL,
    last_hash TEXT NOT NULL,
    previous_hash TEXT NOT NULL,
    last_uuid TEXT NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    PRIMARY KEY (circle, partner)
);

-- Credit Commons transactions with a partner, in either direction, as the two protocols meet:
-- the ledger keeps the money (an arrival, or a hold and its settlement); this keeps the
-- partner's states (V validated, P pending, C completed, E erased) and what it sent.
CREATE TABLE cc_transactions (
    circle BIGINT NOT NULL,
    partner BLOB NOT NULL,
    uuid TEXT NOT NULL,
    direction TEXT NOT NULL,
    state TEXT NOT NULL,
    payer TEXT NOT NULL,
    payee TEXT NOT NULL,
    quant_minor BIGINT NOT NULL,
    amount_minor BIGINT NOT NULL,
    description TEXT NOT NULL,
    body_hash BLOB NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    PRIMARY KEY (circle, uuid)
);
CREATE INDEX cc_transactions_by_partner ON cc_transactions (circle, partner, created_at_ms);
