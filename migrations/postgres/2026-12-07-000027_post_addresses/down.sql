DROP INDEX posts_by_path;
ALTER TABLE posts DROP COLUMN path;
