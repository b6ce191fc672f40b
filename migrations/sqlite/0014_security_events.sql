-- What happened to a person's account (logins, failed logins, password and key changes,
-- tokens, recoveries), for the person alone to read in their settings. Places are kept coarse
-- (an IPv4 /24 or an IPv6 /48, never the address), and events older than 90 days are purged.
CREATE TABLE security_events (
    id INTEGER PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    place TEXT,
    detail TEXT NOT NULL DEFAULT '',
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX security_events_by_user ON security_events (user_id, created_at_ms);
CREATE INDEX security_events_by_time ON security_events (created_at_ms);
