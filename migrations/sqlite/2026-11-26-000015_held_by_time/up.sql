-- The comments held in the last hour, newest first, from the index alone:
-- whether moderators get a digest instead of one mail each is asked on
-- every held comment, and must not read the whole queue to know.
CREATE INDEX comments_by_status_time ON comments (status, created_at, id);
