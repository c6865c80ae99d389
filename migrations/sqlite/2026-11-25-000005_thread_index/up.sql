-- A post's thread (ids and parents, oldest first) read from the index
-- alone: laying out comment pages touches no comment rows.
DROP INDEX comments_by_post;
CREATE INDEX comments_by_post ON comments (post_id, status, created_at, id, parent_id);
