-- The hash of every perfect subtree of each circle's Merkle tree (2^level entries from
-- index * 2^level on, level 1 and up; level 0 is the entry hash itself), written by the writer in
-- the transaction that appends the entries: an inclusion proof reads O(log n) rows, never the
-- whole log. Derived data: a proof built from it is checked against the signed tree head.
CREATE TABLE merkle_subtrees (
    circle BIGINT NOT NULL REFERENCES circles (id),
    level BIGINT NOT NULL,
    idx BIGINT NOT NULL,
    hash BYTEA NOT NULL,
    PRIMARY KEY (circle, level, idx)
);
