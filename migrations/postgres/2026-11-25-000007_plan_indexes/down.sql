DROP INDEX outbox_failures;
DROP INDEX comments_by_created;
DROP INDEX sessions_by_expiry;
