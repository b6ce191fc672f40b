-- Steward sets and key rotations are read on every member request (kinds 1, 4, 9, 10 are few
-- among many transfers); without this index each read scanned the circle's whole log.
CREATE INDEX entries_by_kind ON entries (circle, kind, seq);
