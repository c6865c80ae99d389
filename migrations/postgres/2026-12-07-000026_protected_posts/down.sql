DROP INDEX tags_by_wp_id;
ALTER TABLE tags DROP COLUMN wp_id;
DROP INDEX posts_by_password;
ALTER TABLE posts DROP COLUMN post_format;
ALTER TABLE posts DROP COLUMN password;
