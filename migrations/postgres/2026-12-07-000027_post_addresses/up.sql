-- Each post's address as the site's permalink structure (Settings >
-- Permalinks) builds it, kept when the post, its categories or the
-- structure change: a request is looked up by it. Pages keep theirs in
-- `slug` (their parents' slugs and their own).
ALTER TABLE posts ADD COLUMN path TEXT NOT NULL DEFAULT '';
UPDATE posts SET path = '/' || to_char(to_timestamp(published_at) AT TIME ZONE 'UTC', 'YYYY/MM/DD') || '/' || slug || '/'
    WHERE post_type = 'post';
CREATE INDEX posts_by_path ON posts (path);
-- A post format's archive (`/type/aside/`), newest first, in one index.
CREATE INDEX posts_by_format ON posts (post_format, post_type, status, published_at DESC, id DESC);
