-- Erasing an account: when the person asked (it happens after a grace period, during which
-- they can change their mind); `users.erased_at_ms` marks it done.
ALTER TABLE users ADD COLUMN erase_requested_at_ms BIGINT;
CREATE INDEX users_erase_requested ON users (erase_requested_at_ms);
