DROP INDEX comments_by_status_time;
