-- How many comments have each status, kept by triggers so that no code path
-- can forget it: the admin panel shows the Pending, Spam and Trash counts on
-- every page without counting a 50,000-entry queue each time.
CREATE TABLE comment_counts (
    status TEXT PRIMARY KEY NOT NULL,
    n BIGINT NOT NULL DEFAULT 0
);
INSERT INTO comment_counts (status, n) SELECT status, COUNT(*) FROM comments WHERE true GROUP BY status;

CREATE TRIGGER comment_counts_insert AFTER INSERT ON comments BEGIN
    INSERT INTO comment_counts (status, n) VALUES (NEW.status, 1)
        ON CONFLICT (status) DO UPDATE SET n = n + 1;
END;

CREATE TRIGGER comment_counts_delete AFTER DELETE ON comments BEGIN
    UPDATE comment_counts SET n = n - 1 WHERE status = OLD.status;
END;

CREATE TRIGGER comment_counts_update AFTER UPDATE OF status ON comments
WHEN OLD.status <> NEW.status BEGIN
    UPDATE comment_counts SET n = n - 1 WHERE status = OLD.status;
    INSERT INTO comment_counts (status, n) VALUES (NEW.status, 1)
        ON CONFLICT (status) DO UPDATE SET n = n + 1;
END;
