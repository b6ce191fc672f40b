-- Discussions: threads for ideas and questions in categories stewards edit, with replies; how
-- far each member has read a thread (for "seen by" and what is new); who follows or muted it.
ALTER TABLE circle_settings ADD COLUMN discussions_seeded BIGINT NOT NULL DEFAULT 0;

CREATE TABLE discussion_categories (
    id INTEGER PRIMARY KEY,
    circle BIGINT NOT NULL REFERENCES circles (id),
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    position BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX discussion_categories_by_circle ON discussion_categories (circle, position);

CREATE TABLE discussion_threads (
    id INTEGER PRIMARY KEY,
    circle BIGINT NOT NULL REFERENCES circles (id),
    category BIGINT NOT NULL REFERENCES discussion_categories (id),
    author_id BIGINT NOT NULL REFERENCES users (id),
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    pinned BIGINT NOT NULL DEFAULT 0,
    reply_count BIGINT NOT NULL DEFAULT 0,
    last_reply_id BIGINT NOT NULL DEFAULT 0,
    active_at_ms BIGINT NOT NULL,
    proposal_number BIGINT,
    withdrawn_at_ms BIGINT,
    created_at_ms BIGINT NOT NULL,
    updated_at_ms BIGINT NOT NULL
);
CREATE INDEX discussion_threads_by_circle ON discussion_threads (circle, active_at_ms);
CREATE INDEX discussion_threads_by_category ON discussion_threads (category, active_at_ms);
CREATE INDEX discussion_threads_by_author ON discussion_threads (author_id, created_at_ms);

CREATE TABLE discussion_replies (
    id INTEGER PRIMARY KEY,
    thread BIGINT NOT NULL REFERENCES discussion_threads (id),
    author_id BIGINT NOT NULL REFERENCES users (id),
    body TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX discussion_replies_by_thread ON discussion_replies (thread, id);
CREATE INDEX discussion_replies_by_author ON discussion_replies (author_id, created_at_ms);

CREATE TABLE discussion_reads (
    thread BIGINT NOT NULL REFERENCES discussion_threads (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    last_reply_id BIGINT NOT NULL,
    read_at_ms BIGINT NOT NULL,
    PRIMARY KEY (thread, user_id)
);

CREATE TABLE discussion_follows (
    thread BIGINT NOT NULL REFERENCES discussion_threads (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    mode TEXT NOT NULL,
    PRIMARY KEY (thread, user_id)
);
CREATE INDEX discussion_follows_by_user ON discussion_follows (user_id);

ALTER TABLE notifications ADD COLUMN thread BIGINT;
