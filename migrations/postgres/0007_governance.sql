-- Governance: each circle's decision-making policy, proposals and their discussion, the frozen
-- definition of every voting round, and the signed ballots and delegations. Ballots and
-- delegations are signed records: like ledger entries, they are never changed or deleted.

CREATE TABLE governance_policies (
    circle BIGINT PRIMARY KEY REFERENCES circles (id),
    -- JSON of governance::policy::Policy.
    policy TEXT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);

CREATE TABLE proposals (
    id BIGSERIAL PRIMARY KEY,
    circle BIGINT NOT NULL REFERENCES circles (id),
    -- The proposal's number in its circle (the definitions' proposal_id).
    number BIGINT NOT NULL,
    author BIGINT NOT NULL REFERENCES users (id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    -- majority, consent, approval, score, irv, schulze, stv.
    method TEXT NOT NULL,
    seats BIGINT NOT NULL,
    -- JSON list of option labels.
    options TEXT NOT NULL,
    quorum_percent BIGINT NOT NULL,
    threshold_percent BIGINT NOT NULL,
    delegation BIGINT NOT NULL,
    hide_results BIGINT NOT NULL,
    -- The canonical encoding of the ledger actions the proposal carries.
    actions BYTEA NOT NULL,
    -- JSON: the texts that set-document actions commit to (agreements, policy).
    documents TEXT NOT NULL,
    status TEXT NOT NULL,
    -- The latest voting round (0 before the first vote).
    round BIGINT NOT NULL,
    discussion_opened_at_ms BIGINT,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    -- The ledger entry that enacted it.
    enacted_seq BIGINT,
    -- Why a passed proposal could not take effect (the ledger's refusal), if it could not.
    enact_error TEXT,
    UNIQUE (circle, number)
);
CREATE INDEX proposals_by_status ON proposals (circle, status, number);

CREATE TABLE proposal_rounds (
    proposal BIGINT NOT NULL REFERENCES proposals (id),
    round BIGINT NOT NULL,
    definition BYTEA NOT NULL,
    definition_hash BYTEA NOT NULL UNIQUE,
    -- The frozen electorate: 32 bytes per key, ascending.
    electorate BYTEA NOT NULL,
    opens_at_ms BIGINT NOT NULL,
    closes_at_ms BIGINT NOT NULL,
    -- Ballots accepted so far; every ballot's insert moves it, which serialises ballots and the
    -- close.
    ballot_count BIGINT NOT NULL,
    -- JSON of governance::tally::Decision, written once at the close.
    decision TEXT,
    closed_at_ms BIGINT,
    reminded_at_ms BIGINT,
    PRIMARY KEY (proposal, round)
);
CREATE INDEX proposal_rounds_by_close ON proposal_rounds (closes_at_ms);

CREATE TABLE ballots (
    id BIGSERIAL PRIMARY KEY,
    definition_hash BYTEA NOT NULL,
    voter BYTEA NOT NULL,
    cast_at_ms BIGINT NOT NULL,
    bytes BYTEA NOT NULL,
    signature BYTEA NOT NULL,
    receipt BYTEA NOT NULL UNIQUE,
    received_at_ms BIGINT NOT NULL,
    UNIQUE (definition_hash, voter, cast_at_ms)
);
CREATE FUNCTION signed_records_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'ballots and delegations are signed records and never change';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER ballots_no_update_or_delete BEFORE UPDATE OR DELETE ON ballots
FOR EACH ROW EXECUTE FUNCTION signed_records_append_only();

CREATE TABLE delegations (
    id BIGSERIAL PRIMARY KEY,
    circle BIGINT NOT NULL REFERENCES circles (id),
    delegator BYTEA NOT NULL,
    -- NULL revokes.
    delegate BYTEA,
    -- The proposal number for a one-proposal delegation; NULL for a standing one.
    scope_proposal BIGINT,
    made_at_ms BIGINT NOT NULL,
    bytes BYTEA NOT NULL,
    signature BYTEA NOT NULL
);
CREATE INDEX delegations_by_circle ON delegations (circle, delegator, made_at_ms);
CREATE TRIGGER delegations_no_update_or_delete BEFORE UPDATE OR DELETE ON delegations
FOR EACH ROW EXECUTE FUNCTION signed_records_append_only();

CREATE TABLE proposal_comments (
    id BIGSERIAL PRIMARY KEY,
    proposal BIGINT NOT NULL REFERENCES proposals (id),
    parent BIGINT REFERENCES proposal_comments (id),
    author BIGINT NOT NULL REFERENCES users (id),
    body TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX proposal_comments_by_proposal ON proposal_comments (proposal, id);

-- Notifications about proposals (voting opened, a reminder, the decision).
ALTER TABLE notifications ADD COLUMN proposal BIGINT;
