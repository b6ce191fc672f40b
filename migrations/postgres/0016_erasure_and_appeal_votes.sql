-- Erasing an account: when the person asked (it happens after a grace period, during which
-- they can change their mind); `users.erased_at_ms` marks it done.
ALTER TABLE users ADD COLUMN erase_requested_at_ms BIGINT;
CREATE INDEX users_erase_requested ON users (erase_requested_at_ms);

-- Appeals by vote: a circle may have appeals go to the whole circle as a proposal, whose
-- decision the node writes into the moderation log.
ALTER TABLE circle_settings ADD COLUMN appeals_by_vote BIGINT NOT NULL DEFAULT 0;
ALTER TABLE moderation_cases ADD COLUMN proposal_number BIGINT;
