CREATE INDEX comments_by_created ON comments (created_at);
