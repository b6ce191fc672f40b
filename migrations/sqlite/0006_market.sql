-- The market: listings (offers and needs), their photos, event answers, deals and their
-- conversations, thank-yous, and members' notifications. None of this is ledger history: a
-- deal's payment is a ledger entry that names the deal ("deal:42").

-- Each circle's market change counter: every write to a listing takes the next number, so a
-- node can bring its search index up to date with what another process wrote.
CREATE TABLE market_counters (
    circle BIGINT PRIMARY KEY REFERENCES circles (id),
    change_seq BIGINT NOT NULL
);

CREATE TABLE market_listings (
    id INTEGER PRIMARY KEY,
    circle BIGINT NOT NULL REFERENCES circles (id),
    owner BIGINT NOT NULL REFERENCES users (id),
    side TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    category TEXT NOT NULL,
    -- Space-separated.
    tags TEXT NOT NULL,
    area TEXT NOT NULL,
    -- An optional coarse position, hundredths of a degree (about a kilometre); never shown.
    lat_centi BIGINT,
    lon_centi BIGINT,
    value_kind TEXT NOT NULL,
    amount_minor BIGINT,
    availability TEXT NOT NULL,
    language TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    reminded_at_ms BIGINT,
    -- Events only: wall-clock minutes since 1970 (see market::event), place, capacity.
    event_starts BIGINT,
    event_ends BIGINT,
    event_place TEXT,
    event_online BIGINT,
    event_capacity BIGINT,
    change_seq BIGINT NOT NULL
);
CREATE INDEX market_listings_by_change ON market_listings (circle, change_seq);
CREATE INDEX market_listings_by_owner ON market_listings (circle, owner);
CREATE INDEX market_listings_by_event ON market_listings (circle, event_starts);

-- AUTOINCREMENT: a photo's id is never reused, since its URL is cached as immutable.
CREATE TABLE market_photos (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    listing BIGINT NOT NULL REFERENCES market_listings (id),
    position BIGINT NOT NULL,
    alt TEXT NOT NULL,
    full_jpeg BLOB NOT NULL,
    thumb_jpeg BLOB NOT NULL,
    width BIGINT NOT NULL,
    height BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX market_photos_by_listing ON market_photos (listing, position);

CREATE TABLE market_rsvps (
    listing BIGINT NOT NULL REFERENCES market_listings (id),
    member BIGINT NOT NULL REFERENCES users (id),
    place TEXT NOT NULL,
    at_ms BIGINT NOT NULL,
    PRIMARY KEY (listing, member)
);

CREATE TABLE market_deals (
    id INTEGER PRIMARY KEY,
    circle BIGINT NOT NULL REFERENCES circles (id),
    listing BIGINT NOT NULL REFERENCES market_listings (id),
    owner BIGINT NOT NULL REFERENCES users (id),
    responder BIGINT NOT NULL REFERENCES users (id),
    payer BIGINT NOT NULL REFERENCES users (id),
    status TEXT NOT NULL,
    terms_description TEXT,
    terms_amount_minor BIGINT,
    terms_proposed_by BIGINT,
    payment_seq BIGINT,
    -- Bumped by every change: a change is saved only over the version it was decided on.
    version BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);
CREATE INDEX market_deals_by_listing ON market_deals (listing, responder);
CREATE INDEX market_deals_by_owner ON market_deals (circle, owner);
CREATE INDEX market_deals_by_responder ON market_deals (circle, responder);

CREATE TABLE market_messages (
    id INTEGER PRIMARY KEY,
    deal BIGINT NOT NULL REFERENCES market_deals (id),
    author BIGINT NOT NULL REFERENCES users (id),
    body TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX market_messages_by_deal ON market_messages (deal, id);

CREATE TABLE market_thanks (
    deal BIGINT NOT NULL REFERENCES market_deals (id),
    author BIGINT NOT NULL REFERENCES users (id),
    body TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (deal, author)
);

-- A circle's own category tree (the text stewards edit); absent means the defaults.
CREATE TABLE market_categories (
    circle BIGINT PRIMARY KEY REFERENCES circles (id),
    tree TEXT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);

-- In-app notifications: what happened, for whom, in which circle, about what.
CREATE TABLE notifications (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    circle BIGINT NOT NULL REFERENCES circles (id),
    kind TEXT NOT NULL,
    listing BIGINT,
    other_listing BIGINT,
    deal BIGINT,
    created_at_ms BIGINT NOT NULL,
    read_at_ms BIGINT
);
CREATE INDEX notifications_by_user ON notifications (user_id, id);
CREATE INDEX notifications_unread ON notifications (user_id, read_at_ms);

-- Kinds of notification a member turned off (present = off).
CREATE TABLE notification_mutes (
    user_id BIGINT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    PRIMARY KEY (user_id, kind)
);
