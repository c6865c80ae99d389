CREATE INDEX comments_by_status ON comments (status, created_at DESC, id DESC);
