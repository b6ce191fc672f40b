-- Each circle's time zone (an IANA name): every time on its pages, e-mails and calendar files
-- is written in it, and its events are compared with the clock in it.
ALTER TABLE circle_settings ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
