-- Deals between members of linked circles: one member answers a listing the other circle
-- shares. Each node keeps its own member's side: 'owner' for the listing's author (whose side
-- decides every step), 'responder' for the member who answered it (whose side mirrors it).
-- Terms are in the listing's circle's unit. One node with both circles keeps both sides.
CREATE TABLE link_deals (
    id INTEGER PRIMARY KEY,
    uuid BLOB NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('owner', 'responder')),
    circle BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    partner BLOB NOT NULL,
    other_username TEXT NOT NULL,
    other_name TEXT NOT NULL,
    listing_id BIGINT NOT NULL,
    listing_title TEXT NOT NULL,
    side TEXT NOT NULL CHECK (side IN ('offer', 'need')),
    status TEXT NOT NULL CHECK (status IN ('open', 'proposed', 'agreed', 'completed', 'cancelled')),
    terms_description TEXT,
    terms_amount_minor BIGINT,
    terms_by TEXT CHECK (terms_by IN ('owner', 'responder')),
    version BIGINT NOT NULL,
    transfer TEXT,
    created_ms BIGINT NOT NULL,
    updated_ms BIGINT NOT NULL,
    UNIQUE (uuid, role)
);
CREATE INDEX link_deals_member ON link_deals (circle, user_id, updated_ms);
CREATE INDEX link_deals_other ON link_deals (circle, partner, other_username, status);

-- A deal across's conversation, on each side; a message delivered twice is kept once.
CREATE TABLE link_deal_messages (
    id INTEGER PRIMARY KEY,
    deal BIGINT NOT NULL REFERENCES link_deals (id),
    uuid BLOB NOT NULL,
    author TEXT NOT NULL CHECK (author IN ('here', 'there')),
    body TEXT NOT NULL,
    created_ms BIGINT NOT NULL,
    UNIQUE (deal, uuid)
);
