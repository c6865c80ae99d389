DROP INDEX outbox_sent;
DROP INDEX comments_ip_to_anonymise;
ALTER TABLE comments DROP COLUMN ip_anonymised;
ALTER TABLE subscribers DROP COLUMN confirmation_sent_at;
