-- Indexes found missing by tests/query_plans.rs (EXPLAIN of every query the
-- app runs): expired-session cleanup, the dashboard's 30-day comment chart,
-- and the outbox's delivery-trouble banner (a partial index: only failures).
CREATE INDEX sessions_by_expiry ON sessions (expires_at);
CREATE INDEX comments_by_created ON comments (created_at);
CREATE INDEX outbox_failures ON outbox (id) WHERE last_error IS NOT NULL;
