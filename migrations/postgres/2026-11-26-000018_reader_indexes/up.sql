-- The front page's sticky posts. The partial index (WHERE sticky) serves
-- only a plan that knows the value; the query binds `sticky = $1`, so a
-- generic plan walked every published post to find none sticky.
DROP INDEX posts_sticky;
CREATE INDEX posts_by_sticky ON posts (sticky, post_type, status, published_at DESC, id DESC);
