-- Photos on news posts, each with its description (alt text), stored re-encoded without
-- metadata like listings' and profiles' photos.
CREATE TABLE news_photos (
    id INTEGER PRIMARY KEY,
    circle BIGINT NOT NULL REFERENCES circles (id),
    post BIGINT NOT NULL REFERENCES news_posts (id),
    alt TEXT NOT NULL,
    full_jpeg BLOB NOT NULL,
    thumb_jpeg BLOB NOT NULL,
    width BIGINT NOT NULL,
    height BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX news_photos_by_post ON news_photos (post, id);
