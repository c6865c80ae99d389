-- Full-text search over published posts: a weighted tsvector (title A,
-- body B) with a GIN index, kept in step by the code that saves posts.
ALTER TABLE posts ADD COLUMN search_vector tsvector;
UPDATE posts SET search_vector =
    setweight(to_tsvector('english', title), 'A') || setweight(to_tsvector('english', body_source), 'B');
CREATE INDEX posts_search ON posts USING GIN (search_vector);
