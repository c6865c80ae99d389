-- WordPress's post password (`post_password`): a post or page whose body,
-- excerpt and comments are shown only to a reader who typed it. Empty: open.
ALTER TABLE posts ADD COLUMN password TEXT NOT NULL DEFAULT '';
-- WordPress's post format (`aside`, `quote`, `link`…; empty: standard).
ALTER TABLE posts ADD COLUMN post_format TEXT NOT NULL DEFAULT '';
-- The few protected posts, sought past the empty passwords, for what lists
-- many posts from an index alone (the sitemaps) and must leave them out.
CREATE INDEX posts_by_password ON posts (password);
-- The WordPress term id an imported tag had (`/?tag_id=ID`).
ALTER TABLE tags ADD COLUMN wp_id BIGINT;
CREATE UNIQUE INDEX tags_by_wp_id ON tags (wp_id);
