DROP INDEX posts_by_format;
DROP INDEX posts_by_path;
ALTER TABLE posts DROP COLUMN path;
