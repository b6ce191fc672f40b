-- News and announcements: posts by stewards (and members, if the circle allows), pinned or
-- not, with members' comments; an announcement notifies every member.
ALTER TABLE circle_settings ADD COLUMN members_may_post_news BIGINT NOT NULL DEFAULT 0;

CREATE TABLE news_posts (
    id INTEGER PRIMARY KEY,
    circle BIGINT NOT NULL REFERENCES circles (id),
    author_id BIGINT NOT NULL REFERENCES users (id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    pinned BIGINT NOT NULL DEFAULT 0,
    announced BIGINT NOT NULL DEFAULT 0,
    comment_count BIGINT NOT NULL DEFAULT 0,
    withdrawn_at_ms BIGINT,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);
CREATE INDEX news_posts_by_circle ON news_posts (circle, created_at_ms);
CREATE INDEX news_posts_by_author ON news_posts (author_id, created_at_ms);

CREATE TABLE news_comments (
    id INTEGER PRIMARY KEY,
    post BIGINT NOT NULL REFERENCES news_posts (id),
    author_id BIGINT NOT NULL REFERENCES users (id),
    body TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX news_comments_by_post ON news_comments (post, id);
CREATE INDEX news_comments_by_author ON news_comments (author_id, created_at_ms);

ALTER TABLE notifications ADD COLUMN news BIGINT;
