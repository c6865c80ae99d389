DROP TRIGGER comment_counts_update;
DROP TRIGGER comment_counts_delete;
DROP TRIGGER comment_counts_insert;
DROP TABLE comment_counts;
