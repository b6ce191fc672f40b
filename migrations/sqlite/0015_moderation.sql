-- Moderation: reports, the moderators' queue, graduated actions, appeals, repair
-- conversations, and the circle's moderation log that anyone in the circle can verify.

-- A limit (new posts wait for a moderator) or a suspension (the member signs nothing new),
-- each until its end; NULL when none.
ALTER TABLE memberships ADD COLUMN suspended_until_ms BIGINT;
ALTER TABLE memberships ADD COLUMN limited_until_ms BIGINT;

-- The circle's moderation policy: whether the log names its moderators.
ALTER TABLE circle_settings ADD COLUMN moderator_names_shown BIGINT NOT NULL DEFAULT 1;

-- Members a passed proposal appointed to moderate alongside the stewards.
CREATE TABLE moderators (
    circle BIGINT NOT NULL REFERENCES circles (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    proposal_number BIGINT NOT NULL,
    appointed_by BIGINT NOT NULL REFERENCES users (id),
    appointed_at_ms BIGINT NOT NULL,
    PRIMARY KEY (circle, user_id)
);

-- One item (or member) in the moderators' queue: opened by reports, by a post held for
-- review, or by an appeal; closed by the action a moderator takes.
CREATE TABLE moderation_cases (
    id INTEGER PRIMARY KEY,
    circle BIGINT NOT NULL REFERENCES circles (id),
    origin TEXT NOT NULL CHECK (origin IN ('report', 'held', 'appeal')),
    target_kind TEXT NOT NULL,
    target_id BIGINT NOT NULL,
    subject_id BIGINT REFERENCES users (id),
    snapshot TEXT NOT NULL DEFAULT '',
    statement TEXT NOT NULL DEFAULT '',
    appeal_of BIGINT,
    excluded_moderator BIGINT REFERENCES users (id),
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
    assigned_to BIGINT REFERENCES users (id),
    opened_at_ms BIGINT NOT NULL,
    first_response_at_ms BIGINT,
    closed_at_ms BIGINT,
    outcome TEXT,
    outcome_seq BIGINT
);
CREATE UNIQUE INDEX moderation_cases_one_open ON moderation_cases (circle, origin, target_kind, target_id, COALESCE(appeal_of, -1)) WHERE status = 'open';
CREATE INDEX moderation_cases_by_circle ON moderation_cases (circle, status, opened_at_ms);
CREATE INDEX moderation_cases_by_subject ON moderation_cases (subject_id);

-- Who reported what, which agreements they named, and their words. Never in the log.
CREATE TABLE moderation_reports (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES moderation_cases (id),
    reporter_id BIGINT NOT NULL REFERENCES users (id),
    agreements TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    created_at_ms BIGINT NOT NULL,
    UNIQUE (case_id, reporter_id)
);
CREATE INDEX moderation_reports_by_reporter ON moderation_reports (reporter_id, created_at_ms);

-- The moderators' private notes on a case.
CREATE TABLE moderation_notes (
    id INTEGER PRIMARY KEY,
    case_id BIGINT NOT NULL REFERENCES moderation_cases (id),
    author_id BIGINT NOT NULL REFERENCES users (id),
    body TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX moderation_notes_by_case ON moderation_notes (case_id);

-- The circle's moderation log: each action's signed bytes, append-only.
CREATE TABLE moderation_log (
    circle BIGINT NOT NULL REFERENCES circles (id),
    seq BIGINT NOT NULL,
    bytes BLOB NOT NULL,
    signature BLOB NOT NULL,
    receipt BLOB NOT NULL,
    kind TEXT NOT NULL,
    recorded_at_ms BIGINT NOT NULL,
    PRIMARY KEY (circle, seq)
);
-- The node's signed head of the log after each action, append-only.
CREATE TABLE moderation_heads (
    circle BIGINT NOT NULL REFERENCES circles (id),
    tree_size BIGINT NOT NULL,
    root BLOB NOT NULL,
    timestamp_ms BIGINT NOT NULL,
    signature BLOB NOT NULL,
    PRIMARY KEY (circle, tree_size)
);
-- Who an action is about and who took it, kept apart from the signed log: erasing a person
-- deletes these links and leaves the log whole.
CREATE TABLE moderation_people (
    circle BIGINT NOT NULL REFERENCES circles (id),
    seq BIGINT NOT NULL,
    subject_id BIGINT REFERENCES users (id),
    moderator_id BIGINT REFERENCES users (id),
    case_id BIGINT REFERENCES moderation_cases (id),
    PRIMARY KEY (circle, seq)
);
CREATE INDEX moderation_people_by_subject ON moderation_people (subject_id);

-- Items hidden by a moderator, or held for review before others see them.
CREATE TABLE moderation_hidden (
    circle BIGINT NOT NULL REFERENCES circles (id),
    target_kind TEXT NOT NULL,
    target_id BIGINT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('hidden', 'held')),
    author_id BIGINT REFERENCES users (id),
    since_ms BIGINT NOT NULL,
    PRIMARY KEY (circle, target_kind, target_id)
);

-- A repair conversation: a private space for the people involved and a facilitator.
CREATE TABLE repairs (
    id INTEGER PRIMARY KEY,
    circle BIGINT NOT NULL REFERENCES circles (id),
    case_id BIGINT REFERENCES moderation_cases (id),
    facilitator_id BIGINT NOT NULL REFERENCES users (id),
    topic TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'agreed', 'closed')),
    agreement TEXT NOT NULL DEFAULT '',
    outline TEXT NOT NULL DEFAULT '',
    agreement_version BIGINT NOT NULL DEFAULT 0,
    opened_at_ms BIGINT NOT NULL,
    closed_at_ms BIGINT
);
CREATE TABLE repair_people (
    repair_id BIGINT NOT NULL REFERENCES repairs (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    answer TEXT NOT NULL DEFAULT 'invited' CHECK (answer IN ('invited', 'joined', 'declined')),
    consented_version BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (repair_id, user_id)
);
CREATE INDEX repair_people_by_user ON repair_people (user_id);
CREATE TABLE repair_messages (
    id INTEGER PRIMARY KEY,
    repair_id BIGINT NOT NULL REFERENCES repairs (id),
    author_id BIGINT NOT NULL REFERENCES users (id),
    body TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX repair_messages_by_repair ON repair_messages (repair_id, id);

-- Notifications about moderation name the case, the action or the repair.
ALTER TABLE notifications ADD COLUMN moderation BIGINT;

CREATE TRIGGER moderation_log_no_update BEFORE UPDATE ON moderation_log
BEGIN SELECT RAISE(ABORT, 'the moderation log is append-only'); END;
CREATE TRIGGER moderation_log_no_delete BEFORE DELETE ON moderation_log
BEGIN SELECT RAISE(ABORT, 'the moderation log is append-only'); END;
CREATE TRIGGER moderation_heads_no_update BEFORE UPDATE ON moderation_heads
BEGIN SELECT RAISE(ABORT, 'the moderation log is append-only'); END;
CREATE TRIGGER moderation_heads_no_delete BEFORE DELETE ON moderation_heads
BEGIN SELECT RAISE(ABORT, 'the moderation log is append-only'); END;
