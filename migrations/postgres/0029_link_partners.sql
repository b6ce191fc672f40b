-- Circles on other nodes this node has learned of (from their descriptor, when a member
-- proposed a link with them): what a page needs to name them and show their unit. The
-- ledger's link (its node key, rate and limits) stays the truth; this is for people.
CREATE TABLE link_partners (
    circle_id BYTEA PRIMARY KEY,
    address TEXT NOT NULL,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    unit_name TEXT NOT NULL,
    unit_symbol TEXT NOT NULL,
    decimals BIGINT NOT NULL,
    node_key BYTEA NOT NULL,
    updated_at_ms BIGINT NOT NULL
);
