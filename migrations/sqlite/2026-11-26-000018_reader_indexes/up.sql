-- The front page's sticky posts. The partial index (WHERE sticky = 1) was
-- never chosen: the query binds `sticky = ?`, which a partial index cannot
-- serve, so the front page walked every published post to find none sticky.
DROP INDEX posts_sticky;
CREATE INDEX posts_by_sticky ON posts (sticky, post_type, status, published_at DESC, id DESC);
-- Whether a post is public, by id, from the index alone: a search's hits
-- are checked here instead of in the post rows, which hold the bodies.
CREATE INDEX posts_visibility ON posts (id, post_type, status, published_at);
