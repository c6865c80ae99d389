-- How many comments have each status, kept by triggers so that no code path
-- can forget it: the admin panel shows the Pending, Spam and Trash counts on
-- every page without counting a 50,000-entry queue each time.
CREATE TABLE comment_counts (
    status TEXT PRIMARY KEY,
    n BIGINT NOT NULL DEFAULT 0
);
INSERT INTO comment_counts (status, n) SELECT status, COUNT(*) FROM comments GROUP BY status;

CREATE FUNCTION comment_counts_track() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE comment_counts SET n = n - 1 WHERE status = OLD.status;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO comment_counts (status, n) VALUES (NEW.status, 1)
            ON CONFLICT (status) DO UPDATE SET n = comment_counts.n + 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER comment_counts_insert_delete AFTER INSERT OR DELETE ON comments
    FOR EACH ROW EXECUTE FUNCTION comment_counts_track();
CREATE TRIGGER comment_counts_update AFTER UPDATE OF status ON comments
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION comment_counts_track();
