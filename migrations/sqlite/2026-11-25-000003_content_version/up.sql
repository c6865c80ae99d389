-- A counter every change to what readers see increments, in the same
-- transaction as the change: each `serve` process compares it with the
-- version of its cached pages.
INSERT INTO settings (key, value) VALUES ('content_version', '1');
