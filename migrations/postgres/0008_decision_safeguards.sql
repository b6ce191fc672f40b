-- Decisions that cannot be hijacked: each round keeps the policy it was frozen under (its
-- definition names that policy's hash), a pause can end a round without a count, and a
-- proposal's history (edits that restarted the discussion, pauses and their lifting) and the
-- members' requests to pause are kept.

-- JSON of governance::policy::Policy in force when the round opened.
ALTER TABLE proposal_rounds ADD COLUMN policy TEXT;
-- Set when a pause ended the round: its ballots are never counted.
ALTER TABLE proposal_rounds ADD COLUMN cancelled_at_ms BIGINT;

-- The status a paused proposal was paused from (discussion or voting).
ALTER TABLE proposals ADD COLUMN paused_from TEXT;

CREATE TABLE proposal_events (
    id BIGSERIAL PRIMARY KEY,
    proposal BIGINT NOT NULL REFERENCES proposals (id),
    -- edited, paused, resumed.
    kind TEXT NOT NULL,
    -- Who did it (NULL when members' requests together paused it).
    actor BIGINT REFERENCES users (id),
    -- The public reason (a pause), or the round that ended.
    reason TEXT NOT NULL,
    at_ms BIGINT NOT NULL
);
CREATE INDEX proposal_events_by_proposal ON proposal_events (proposal, id);

-- Members asking for a pause; a pause (or its lifting) clears them.
CREATE TABLE proposal_pause_requests (
    proposal BIGINT NOT NULL REFERENCES proposals (id),
    requester BIGINT NOT NULL REFERENCES users (id),
    reason TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    PRIMARY KEY (proposal, requester)
);
