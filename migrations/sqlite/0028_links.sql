-- Linked circles (issue 24). The ledger's entries are the truth; these tables are kept by the
-- circle's writer in the same transaction as the entries, for lookups without a replay.

-- Each link's terms and status as the circle's last enactment left them.
CREATE TABLE links (
    circle BIGINT NOT NULL REFERENCES circles (id),
    partner BLOB NOT NULL,
    partner_node_key BLOB NOT NULL,
    address TEXT NOT NULL,
    rate_here_minor BIGINT NOT NULL,
    rate_there_minor BIGINT NOT NULL,
    out_max_minor BIGINT NOT NULL,
    in_max_minor BIGINT NOT NULL,
    shares_market BIGINT NOT NULL,
    status TEXT NOT NULL,
    terms_seq BIGINT NOT NULL,
    PRIMARY KEY (circle, partner)
);

-- The entry (hold or arrival) that recorded each payment between circles, by its transfer id.
CREATE TABLE link_transfers (
    circle BIGINT NOT NULL REFERENCES circles (id),
    transfer_id BLOB NOT NULL,
    seq BIGINT NOT NULL,
    PRIMARY KEY (circle, transfer_id)
);

-- The last signed tree head of each linked circle this node holds (what it checks the next
-- one against, and what `commons audit --link` reads).
CREATE TABLE link_heads (
    circle BIGINT NOT NULL REFERENCES circles (id),
    partner BLOB NOT NULL,
    tree_size BIGINT NOT NULL,
    root BLOB NOT NULL,
    timestamp_ms BIGINT NOT NULL,
    signature BLOB NOT NULL,
    PRIMARY KEY (circle, partner, tree_size)
);

-- The size of this circle's tree head each linked circle last said it holds, so the next
-- relay proves growth from it.
CREATE TABLE link_acks (
    circle BIGINT NOT NULL REFERENCES circles (id),
    partner BLOB NOT NULL,
    held_size BIGINT NOT NULL,
    PRIMARY KEY (circle, partner)
);

-- Payments this circle refused to record (and told the sender so, signed): a promise never to
-- record them, kept across restarts, so a retried relay gets the same answer.
CREATE TABLE link_erased (
    circle BIGINT NOT NULL REFERENCES circles (id),
    transfer_id BLOB NOT NULL,
    hold_hash BLOB NOT NULL,
    code TEXT NOT NULL,
    message TEXT NOT NULL,
    PRIMARY KEY (circle, transfer_id)
);
