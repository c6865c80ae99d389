-- At most one confirmation mail per unconfirmed address a day.
ALTER TABLE subscribers ADD COLUMN confirmation_sent_at BIGINT;
-- Retention: commenter IP addresses are anonymised after a while (setting),
-- and sent mail (with addresses and IPs in it) is deleted after a while.
ALTER TABLE comments ADD COLUMN ip_anonymised BOOLEAN NOT NULL DEFAULT FALSE;
CREATE INDEX comments_ip_to_anonymise ON comments (created_at, id) WHERE NOT ip_anonymised;
CREATE INDEX outbox_sent ON outbox (sent_at, id) WHERE status = 'sent';
