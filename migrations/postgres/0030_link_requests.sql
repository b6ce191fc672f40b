-- Payment requests between members of linked circles: the requester asks (in their own
-- circle's unit), the payer approves by paying across. Each node keeps the side of its own
-- member: 'out' for the requester, 'in' for the payer (one node with both circles keeps both).
CREATE TABLE link_requests (
    id BIGSERIAL PRIMARY KEY,
    uuid BYTEA NOT NULL,
    direction TEXT NOT NULL CHECK (direction IN ('in', 'out')),
    circle BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    partner BYTEA NOT NULL,
    other_username TEXT NOT NULL,
    other_name TEXT NOT NULL,
    amount_minor BIGINT NOT NULL,
    amount_there_minor BIGINT NOT NULL,
    memo TEXT,
    state TEXT NOT NULL CHECK (state IN ('open', 'paid', 'declined', 'withdrawn')),
    created_ms BIGINT NOT NULL,
    answered_ms BIGINT,
    UNIQUE (uuid, direction)
);
CREATE INDEX link_requests_member ON link_requests (circle, user_id, state);
CREATE INDEX link_requests_asker ON link_requests (circle, partner, other_username, state);
