DROP INDEX comments_by_post;
CREATE INDEX comments_by_post ON comments (post_id, status, created_at, id);
