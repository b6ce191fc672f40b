-- API tokens are keys to the API, nothing more: each has a scope (read, or read and act), may
-- be bound to one circle, and expires. Tokens made before this had neither: they can act in
-- every circle and expire 90 days after they were made.
ALTER TABLE api_tokens ADD COLUMN scope TEXT NOT NULL DEFAULT 'act';
ALTER TABLE api_tokens ADD COLUMN circle BIGINT REFERENCES circles (id);
ALTER TABLE api_tokens ADD COLUMN expires_at_ms BIGINT NOT NULL DEFAULT 0;
UPDATE api_tokens SET expires_at_ms = created_at_ms + 7776000000;
