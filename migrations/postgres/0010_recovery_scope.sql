-- A circle's stewards can only ever reach that circle: after a recovery, the person's login
-- opens only the circles whose stewards recovered it (recovery_circles), until the person
-- proves the password they had before (which takes the account back whole) or every circle
-- they belong to has recovered it too.
ALTER TABLE users ADD COLUMN recovery_restricted BIGINT NOT NULL DEFAULT 0;
-- The password (hash and seal salt) from before the first recovery that is not settled yet.
ALTER TABLE users ADD COLUMN prior_password_hash TEXT;
ALTER TABLE users ADD COLUMN prior_seal_salt BYTEA;
-- When the last recovery was used, until the person has been told at a login.
ALTER TABLE users ADD COLUMN recovery_notice_at_ms BIGINT;

CREATE TABLE recovery_circles (
    user_id BIGINT NOT NULL REFERENCES users (id),
    circle BIGINT NOT NULL REFERENCES circles (id),
    PRIMARY KEY (user_id, circle)
);
