DROP INDEX posts_by_format;
DROP INDEX posts_stamps;
CREATE INDEX posts_stamps ON posts (post_type, status, published_at, id, slug, updated_at);
DROP INDEX posts_by_path;
ALTER TABLE posts DROP COLUMN path;
