DROP TABLE digest_items;
DROP TABLE comment_digests;
DROP INDEX comments_by_status_score;
ALTER TABLE comments DROP COLUMN trained_tokens;
ALTER TABLE comments DROP COLUMN trained_as;
ALTER TABLE comments DROP COLUMN spam_why;
ALTER TABLE comments DROP COLUMN spam_score;
DROP TABLE spam_tokens;
