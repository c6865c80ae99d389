DELETE FROM settings WHERE key = 'content_version';
