-- A member's blocks of members of linked circles on other nodes (whose accounts this node does
-- not know): by the circle's id and the username there. Nothing from that member reaches them
-- here (a deal, a message, a request, a listing), and they reach nothing of that member's.
-- Private: only the member who chose ever sees it.
CREATE TABLE link_blocks (
    user_id BIGINT NOT NULL,
    partner BLOB NOT NULL,
    username TEXT NOT NULL,
    name TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    UNIQUE (user_id, partner, username)
);
