-- Comments by their author's email whatever its case: the returning
-- commenter's check (as WordPress matches emails, case-blind), a reader's
-- personal-data export and erasure. Those two asked for lower(author_email)
-- and read every comment (0.7 s on PostgreSQL with a million comments).
DROP INDEX comments_by_email;
CREATE INDEX comments_by_email ON comments (lower(author_email), status);

-- The references into growing tables that no index led: deleting a comment
-- (one per moderation mail's tokens), a subscriber (unsubscribing) or a post
-- read the whole child table to cascade.
CREATE INDEX action_tokens_by_comment ON action_tokens (comment_id);
CREATE INDEX action_tokens_by_subscriber ON action_tokens (subscriber_id);
CREATE INDEX media_by_post ON media (post_id);
