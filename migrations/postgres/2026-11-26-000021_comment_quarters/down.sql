DROP TRIGGER comment_quarters_update ON comments;
DROP TRIGGER comment_quarters_delete ON comments;
DROP TRIGGER comment_quarters_insert ON comments;
DROP FUNCTION comment_quarters_updated();
DROP FUNCTION comment_quarters_deleted();
DROP FUNCTION comment_quarters_inserted();
DROP TABLE comment_quarters;
