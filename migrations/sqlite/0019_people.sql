-- People: what a member can do and cares about (tags the directory and the market find them
-- by, folded to lowercase), what to ask them about, a photo of their choosing, and whether the
-- circles' public pages may show their profile (never unless they say so).
ALTER TABLE users ADD COLUMN ask_me_about TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN profile_public BIGINT NOT NULL DEFAULT 0;

CREATE TABLE user_tags (
    user_id BIGINT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    tag TEXT NOT NULL,
    position BIGINT NOT NULL,
    PRIMARY KEY (user_id, kind, tag)
);
CREATE INDEX user_tags_by_tag ON user_tags (tag, kind);

CREATE TABLE user_photos (
    user_id BIGINT PRIMARY KEY REFERENCES users (id),
    alt TEXT NOT NULL,
    full_jpeg BLOB NOT NULL,
    thumb_jpeg BLOB NOT NULL,
    width BIGINT NOT NULL,
    height BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);
