DROP TRIGGER comment_counts_update ON comments;
DROP TRIGGER comment_counts_insert_delete ON comments;
DROP FUNCTION comment_counts_track();
DROP TABLE comment_counts;
