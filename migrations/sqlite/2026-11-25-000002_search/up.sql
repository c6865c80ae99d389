-- Full-text search over published posts: an FTS5 index whose rowid is the
-- post's id, kept in step by the code that saves posts.
CREATE VIRTUAL TABLE posts_search USING fts5(title, body, tokenize = 'unicode61 remove_diacritics 2');
INSERT INTO posts_search (rowid, title, body) SELECT id, title, body_source FROM posts;
