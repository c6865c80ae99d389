DROP TRIGGER comment_counts_update ON comments;
DROP TRIGGER comment_counts_delete ON comments;
DROP TRIGGER comment_counts_insert ON comments;
DROP FUNCTION comment_counts_updated();
DROP FUNCTION comment_counts_deleted();
DROP FUNCTION comment_counts_inserted();
DROP FUNCTION comment_counts_add(TEXT[], BIGINT[]);
DROP TABLE comment_counts;
