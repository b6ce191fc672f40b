-- Recovery after a forgotten password: a steward moves the member's account to a temporary key
-- (a steward-signed rotate-key entry) sealed under a one-time link's secret; following the link,
-- the member chooses a new password and the account moves on to a key sealed under it.
CREATE TABLE recoveries (
    id INTEGER PRIMARY KEY,
    circle BIGINT NOT NULL REFERENCES circles (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    token_hash BLOB NOT NULL UNIQUE,
    created_by BIGINT NOT NULL REFERENCES users (id),
    account_key BLOB NOT NULL,
    sealed_key BLOB,
    created_at_ms BIGINT NOT NULL,
    expires_at_ms BIGINT NOT NULL,
    used_at_ms BIGINT
);
CREATE INDEX recoveries_by_user ON recoveries (circle, user_id);
