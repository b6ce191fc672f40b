-- A recovered login stays restricted, and the person's prior password takes the account back,
-- until this time (30 days after the latest recovery), whatever circles the person is in.
-- Rows from before have none: the next lift treats them as due.
ALTER TABLE users ADD COLUMN recovery_lifts_at_ms BIGINT;

-- Who caused a notification, when a person did (a deal's message, a reply, an announcement):
-- the reach rule reads it again whenever the notification is shown or mailed.
ALTER TABLE notifications ADD COLUMN from_user BIGINT;
