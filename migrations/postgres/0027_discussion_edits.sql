-- Edited posts and replies: shown as edited; every earlier version kept for the circle's
-- moderators (a reported post can never be quietly rewritten).
ALTER TABLE discussion_threads ADD COLUMN edited_at_ms BIGINT;
ALTER TABLE discussion_replies ADD COLUMN edited_at_ms BIGINT;

CREATE TABLE discussion_versions (
    id BIGSERIAL PRIMARY KEY,
    kind TEXT NOT NULL,
    item BIGINT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL,
    replaced_at_ms BIGINT NOT NULL
);
CREATE INDEX discussion_versions_by_item ON discussion_versions (kind, item, id);
