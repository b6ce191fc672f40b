-- The members' web space: people, their sessions, their place in circles, invitations and
-- each circle's agreements. None of this is ledger history: the ledger only knows keys.

-- Values the node generates once (e.g. the secret behind CSRF tokens).
CREATE TABLE node_secrets (
    name TEXT PRIMARY KEY,
    value BLOB NOT NULL
);

-- A person with a login on this node. Their signing keys are sealed per circle (memberships).
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    bio TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    -- Salt of the key that seals this person's signing keys (derived from their password).
    seal_salt BLOB NOT NULL,
    language TEXT,
    is_node_admin BIGINT NOT NULL DEFAULT 0,
    created_at_ms BIGINT NOT NULL,
    erased_at_ms BIGINT
);

-- Only the SHA-256 of a session token is stored: a copy of the database logs nobody in.
CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    created_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    last_seen_ms BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE api_tokens (
    token_hash BLOB PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    label TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    last_used_ms BIGINT
);
CREATE INDEX api_tokens_by_user ON api_tokens (user_id);

CREATE TABLE circle_settings (
    circle BIGINT PRIMARY KEY REFERENCES circles (id),
    description TEXT NOT NULL DEFAULT '',
    agreements TEXT NOT NULL,
    agreements_version BIGINT NOT NULL,
    members_may_invite BIGINT NOT NULL DEFAULT 1,
    open_to_requests BIGINT NOT NULL DEFAULT 1,
    updated_at_ms BIGINT NOT NULL
);

-- Links that let someone join a circle. A steward's invitation opens the ledger account at once
-- for a temporary key sealed under the link's secret; joining rotates it to the member's own key.
-- A member's invitation records their vouch; a steward then admits the newcomer.
CREATE TABLE invitations (
    id INTEGER PRIMARY KEY,
    circle BIGINT NOT NULL REFERENCES circles (id),
    token_hash BLOB NOT NULL UNIQUE,
    created_by BIGINT NOT NULL REFERENCES users (id),
    by_steward BIGINT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    account_key BLOB,
    sealed_key BLOB,
    created_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    used_by BIGINT REFERENCES users (id),
    used_at_ms BIGINT,
    revoked_at_ms BIGINT
);
CREATE INDEX invitations_by_circle ON invitations (circle, created_at_ms);

-- A person's place in a circle. status: pending (asked or vouched, waiting for a steward),
-- active, declined, left. account_key is the ledger key the account has now; sealed_key holds
-- its secret sealed under the member's password (NULL when the member holds their own key).
CREATE TABLE memberships (
    circle BIGINT NOT NULL REFERENCES circles (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    status TEXT NOT NULL,
    account_key BLOB NOT NULL,
    sealed_key BLOB,
    vouched_by BIGINT REFERENCES users (id),
    invitation BIGINT REFERENCES invitations (id),
    request_message TEXT NOT NULL DEFAULT '',
    agreements_version BIGINT NOT NULL,
    agreed_at_ms BIGINT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    decided_by BIGINT REFERENCES users (id),
    decided_at_ms BIGINT,
    PRIMARY KEY (circle, user_id)
);
CREATE UNIQUE INDEX memberships_by_key ON memberships (circle, account_key);

-- Every key a member's account has had (key rotations), so statements find older entries.
CREATE TABLE member_keys (
    circle BIGINT NOT NULL REFERENCES circles (id),
    account_key BLOB NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    PRIMARY KEY (circle, account_key)
);
CREATE INDEX member_keys_by_user ON member_keys (circle, user_id);
