DROP TRIGGER comment_quarters_update;
DROP TRIGGER comment_quarters_delete;
DROP TRIGGER comment_quarters_insert;
DROP TABLE comment_quarters;
