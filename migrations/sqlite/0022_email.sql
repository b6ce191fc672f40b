-- E-mail: a member's address (nothing but its verification is sent before it is verified), how
-- they want each kind of notification delivered, the digests already planned (one per member,
-- circle and period, so none is planned twice), and the durable outbox the sender drains.
CREATE TABLE email_addresses (
    user_id BIGINT PRIMARY KEY REFERENCES users (id),
    address TEXT NOT NULL,
    verified_at_ms BIGINT,
    token_hash BLOB,
    token_expires_at_ms BIGINT,
    created_at_ms BIGINT NOT NULL
);
CREATE INDEX email_addresses_by_token ON email_addresses (token_hash);

CREATE TABLE email_deliveries (
    user_id BIGINT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    delivery TEXT NOT NULL,
    PRIMARY KEY (user_id, kind)
);

CREATE TABLE email_digests (
    user_id BIGINT NOT NULL REFERENCES users (id),
    circle BIGINT NOT NULL REFERENCES circles (id),
    period TEXT NOT NULL,
    period_key TEXT NOT NULL,
    planned_at_ms BIGINT NOT NULL,
    mailed BIGINT NOT NULL,
    PRIMARY KEY (user_id, circle, period_key)
);

CREATE TABLE email_outbox (
    id INTEGER PRIMARY KEY,
    user_id BIGINT REFERENCES users (id),
    purpose TEXT NOT NULL,
    to_address TEXT NOT NULL,
    message TEXT NOT NULL,
    created_at_ms BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_at_ms BIGINT NOT NULL,
    claimed_until_ms BIGINT,
    sent_at_ms BIGINT,
    failed_at_ms BIGINT,
    last_error TEXT
);
CREATE INDEX email_outbox_due ON email_outbox (next_attempt_at_ms) WHERE sent_at_ms IS NULL AND failed_at_ms IS NULL;
CREATE INDEX email_outbox_by_user ON email_outbox (user_id, purpose, created_at_ms);
CREATE INDEX email_outbox_by_address ON email_outbox (to_address, purpose, created_at_ms);

-- Which notifications the mailer has dealt with (mailed at once, or left to the digest).
ALTER TABLE notifications ADD COLUMN mailed_at_ms BIGINT;
UPDATE notifications SET mailed_at_ms = created_at_ms;
CREATE INDEX notifications_unmailed ON notifications (id) WHERE mailed_at_ms IS NULL;
