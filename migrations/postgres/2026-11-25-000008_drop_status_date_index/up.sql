-- Nothing reads comments by (status, date) any more: the queue and feeds go
-- by (status, id), the dashboard chart by date. One index fewer to write per
-- comment (tests/query_plans.rs checks that every query still has its index).
DROP INDEX comments_by_status;
