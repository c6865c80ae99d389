DROP TRIGGER comment_quarters_update;
DROP TRIGGER comment_quarters_delete;
DROP TRIGGER comment_quarters_insert;
DROP TABLE comment_hours;

CREATE TABLE comment_quarters_indexed (
    quarter BIGINT PRIMARY KEY NOT NULL,
    n BIGINT NOT NULL DEFAULT 0
);
INSERT INTO comment_quarters_indexed (quarter, n) SELECT quarter, n FROM comment_quarters;
DROP TABLE comment_quarters;
ALTER TABLE comment_quarters_indexed RENAME TO comment_quarters;

CREATE TRIGGER comment_quarters_insert AFTER INSERT ON comments
WHEN NEW.status <> 'spam' BEGIN
    INSERT INTO comment_quarters (quarter, n) VALUES (NEW.created_at / 900, 1)
        ON CONFLICT (quarter) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER comment_quarters_delete AFTER DELETE ON comments
WHEN OLD.status <> 'spam' BEGIN
    UPDATE comment_quarters SET n = n - 1 WHERE quarter = OLD.created_at / 900;
END;

CREATE TRIGGER comment_quarters_update AFTER UPDATE OF status, created_at ON comments
WHEN (OLD.status = 'spam') <> (NEW.status = 'spam') OR OLD.created_at / 900 <> NEW.created_at / 900 BEGIN
    UPDATE comment_quarters SET n = n - 1
        WHERE quarter = OLD.created_at / 900 AND OLD.status <> 'spam';
    INSERT INTO comment_quarters (quarter, n) SELECT NEW.created_at / 900, 1 WHERE NEW.status <> 'spam'
        ON CONFLICT (quarter) DO UPDATE SET n = n + 1;
END;
