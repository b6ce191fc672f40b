-- A recovered login stays restricted, and the person's prior password takes the account back,
-- until this time (30 days after the latest recovery), whatever circles the person is in.
-- (Rows restricted before this migration: see the end of this file.)
ALTER TABLE users ADD COLUMN recovery_lifts_at_ms BIGINT;

-- Who caused a notification, when a person did (a deal's message, a reply, an announcement):
-- the reach rule reads it again whenever the notification is shown or mailed.
ALTER TABLE notifications ADD COLUMN from_user BIGINT;

-- A limit or suspension of someone who moderates, proposed by one moderator and waiting for a
-- second one's agreement (or a steward's own action). One per open case.
CREATE TABLE moderation_pending (
    case_id BIGINT PRIMARY KEY REFERENCES moderation_cases (id),
    kind TEXT NOT NULL,
    proposed_by BIGINT NOT NULL REFERENCES users (id),
    ends_at_ms BIGINT,
    reason TEXT NOT NULL,
    proposed_at_ms BIGINT NOT NULL
);

-- Logins restricted before this change get the full take-back period from now.
UPDATE users SET recovery_lifts_at_ms = CAST(EXTRACT(EPOCH FROM now()) * 1000 AS BIGINT) + 2592000000
WHERE recovery_restricted = 1;

-- What a member in the sandbox posted on each day of their membership, kind by kind: taken one
-- at a time by a single statement, so concurrent posts never pass the day's allowance.
CREATE TABLE sandbox_allowances (
    circle BIGINT NOT NULL,
    user_id BIGINT NOT NULL,
    kind TEXT NOT NULL,
    day BIGINT NOT NULL,
    used BIGINT NOT NULL,
    PRIMARY KEY (circle, user_id, kind, day)
);
