-- Private conversations: a member talks with one member or a few (up to 8 people in all) of the
-- same circle. Nobody else reads them: not the stewards, not the moderators (they see only the
-- messages a reporter chose to show them, copied into the case).
CREATE TABLE conversations (
    id BIGSERIAL PRIMARY KEY,
    circle BIGINT NOT NULL REFERENCES circles (id),
    started_by BIGINT REFERENCES users (id),
    last_message_id BIGINT NOT NULL DEFAULT 0,
    active_at_ms BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL
);

-- Who is in a conversation, how far they read, whether they muted it, and when they left.
CREATE TABLE conversation_people (
    conversation BIGINT NOT NULL REFERENCES conversations (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    last_read_id BIGINT NOT NULL DEFAULT 0,
    muted BIGINT NOT NULL DEFAULT 0,
    left_at_ms BIGINT,
    joined_at_ms BIGINT NOT NULL,
    PRIMARY KEY (conversation, user_id)
);
CREATE INDEX conversation_people_by_user ON conversation_people (user_id, conversation);

CREATE TABLE conversation_messages (
    id BIGSERIAL PRIMARY KEY,
    conversation BIGINT NOT NULL REFERENCES conversations (id),
    author_id BIGINT NOT NULL REFERENCES users (id),
    body TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX conversation_messages_by_conversation ON conversation_messages (conversation, id);
CREATE INDEX conversation_messages_by_author ON conversation_messages (author_id, created_at_ms);

-- A notification of a new private message names its conversation.
ALTER TABLE notifications ADD COLUMN conversation BIGINT;
