-- Query columns for members' statements and open payment requests.
-- refers_to: the entry a transfer accepts or reverses, or the request a close-request closes.
-- (No node predates this column, so there is nothing to backfill.)
ALTER TABLE entries ADD COLUMN refers_to BLOB;
CREATE INDEX entries_by_payer ON entries (circle, payer, seq) WHERE payer IS NOT NULL;
CREATE INDEX entries_by_payee ON entries (circle, payee, seq) WHERE payee IS NOT NULL;
CREATE INDEX entries_by_refers_to ON entries (circle, refers_to) WHERE refers_to IS NOT NULL;
