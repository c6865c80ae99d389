DROP INDEX comments_thread_starts;
ALTER TABLE posts DROP COLUMN thread_count;
ALTER TABLE comments DROP COLUMN thread_start;
