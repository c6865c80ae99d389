-- A post's threads, counted as they change, so the page a new comment lands
-- on is worked out without reading the thread. A comment starts a thread
-- when it is approved and its parent is not shown before it (none, not
-- approved, on another post, or newer): exactly the comments the comment
-- pages lay out at the top level. `posts.thread_count` counts them.
ALTER TABLE comments ADD COLUMN thread_start BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE posts ADD COLUMN thread_count BIGINT NOT NULL DEFAULT 0;
UPDATE comments SET thread_start = (
    status = 'approved'
    AND NOT EXISTS (
        SELECT 1 FROM comments parent
        WHERE parent.id = comments.parent_id
          AND parent.post_id = comments.post_id
          AND parent.status = 'approved'
          AND (parent.created_at < comments.created_at
               OR (parent.created_at = comments.created_at AND parent.id < comments.id))
    )
);
UPDATE posts SET thread_count = (
    SELECT COUNT(*) FROM comments WHERE comments.post_id = posts.id AND comments.thread_start
);
-- The threads of a post from a point on, counted from the index alone.
CREATE INDEX comments_thread_starts ON comments (post_id, thread_start, created_at, id);
