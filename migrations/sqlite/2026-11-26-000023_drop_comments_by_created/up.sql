-- The dashboard's chart read comments by time across every status; it adds
-- up kept quarter-hour counts now (000021). Nothing else asks for comments
-- by time alone (the feeds and lists ask within a status, down
-- comments_by_status_time), so the index only cost every comment's insert
-- and gave PostgreSQL's planner one more way to walk through a wave of held
-- comments for "approved, newest first".
DROP INDEX comments_by_created;
