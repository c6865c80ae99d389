-- The moderation queue pages by id within a status (keyset), newest first.
CREATE INDEX comments_by_status_id ON comments (status, id DESC);
