DROP INDEX media_by_post;
DROP INDEX action_tokens_by_subscriber;
DROP INDEX action_tokens_by_comment;
DROP INDEX comments_by_email;
CREATE INDEX comments_by_email ON comments (author_email, status);
