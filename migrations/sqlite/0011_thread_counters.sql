-- A thread's cap is enforced in one statement on the thread's own row (which also serialises
-- concurrent writers), and each author has their own share, so nobody can fill a discussion or
-- a deal's conversation for everyone else.
ALTER TABLE proposals ADD COLUMN comment_count BIGINT NOT NULL DEFAULT 0;
UPDATE proposals SET comment_count = (SELECT COUNT(*) FROM proposal_comments c WHERE c.proposal = proposals.id);
ALTER TABLE market_deals ADD COLUMN message_count BIGINT NOT NULL DEFAULT 0;
UPDATE market_deals SET message_count = (SELECT COUNT(*) FROM market_messages m WHERE m.deal = market_deals.id);
CREATE INDEX proposal_comments_by_author ON proposal_comments (proposal, author, created_at_ms);
CREATE INDEX market_messages_by_author ON market_messages (deal, author, created_at_ms);
