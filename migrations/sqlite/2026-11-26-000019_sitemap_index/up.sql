-- The sitemaps' stamps of public posts (slug, dates), oldest first, from the
-- index alone: `updated_at` lies past the bodies in a post's row, so reading
-- it from the rows followed each body's overflow pages (2,000 posts a file).
CREATE INDEX posts_stamps ON posts (post_type, status, published_at, id, slug, updated_at);
