-- A member blocks or mutes another person. A block works both ways (neither sees the other's
-- listings, comments or messages, neither can open a deal with the other); a mute only hides
-- the other from the one who muted. Both are private: only their maker ever sees them.
CREATE TABLE member_blocks (
    user_id BIGINT NOT NULL REFERENCES users(id),
    other_id BIGINT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL CHECK (kind IN ('block', 'mute')),
    created_at_ms BIGINT NOT NULL,
    PRIMARY KEY (user_id, other_id),
    CHECK (user_id <> other_id)
);
CREATE INDEX member_blocks_by_other ON member_blocks (other_id, kind);
