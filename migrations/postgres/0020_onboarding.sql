-- Onboarding: invitation links for several people (each joining asks, a steward admits), the
-- circle's "Introductions" thread (so the first steps know where to say hello), and the first
-- steps a member has taken that nothing else records (reading the news).
ALTER TABLE invitations ADD COLUMN max_uses BIGINT NOT NULL DEFAULT 1;
ALTER TABLE invitations ADD COLUMN use_count BIGINT NOT NULL DEFAULT 0;
ALTER TABLE circle_settings ADD COLUMN introductions_thread BIGINT;

CREATE TABLE first_steps (
    circle BIGINT NOT NULL REFERENCES circles (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    step TEXT NOT NULL,
    done_at_ms BIGINT NOT NULL,
    PRIMARY KEY (circle, user_id, step)
);
