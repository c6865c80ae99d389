-- How many comments have each status, kept by triggers so that no code path
-- can forget it: the admin panel shows the Pending, Spam and Trash counts on
-- every page without counting a 50,000-entry queue each time.
--
-- Statement-level triggers with transition tables: one update of the counts
-- per statement, however many rows it touched (a row-level trigger would
-- update the same counter row once per imported comment).
CREATE TABLE comment_counts (
    status TEXT PRIMARY KEY,
    n BIGINT NOT NULL DEFAULT 0
);
INSERT INTO comment_counts (status, n) SELECT status, COUNT(*) FROM comments GROUP BY status;

CREATE FUNCTION comment_counts_add(changes TEXT[], deltas BIGINT[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO comment_counts AS counts (status, n)
    SELECT change.status, SUM(change.delta)
    FROM unnest(changes, deltas) AS change(status, delta)
    GROUP BY change.status
    ORDER BY change.status
    ON CONFLICT (status) DO UPDATE SET n = counts.n + EXCLUDED.n;
$$;

CREATE FUNCTION comment_counts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM comment_counts_add(array_agg(status), array_agg(1::bigint)) FROM new_rows HAVING COUNT(*) > 0;
    RETURN NULL;
END
$$;

CREATE FUNCTION comment_counts_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM comment_counts_add(array_agg(status), array_agg(-1::bigint)) FROM old_rows HAVING COUNT(*) > 0;
    RETURN NULL;
END
$$;

CREATE FUNCTION comment_counts_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM comment_counts_add(array_agg(change.status), array_agg(change.delta))
    FROM (
        SELECT old_rows.status, -1::bigint AS delta
        FROM old_rows JOIN new_rows USING (id)
        WHERE old_rows.status <> new_rows.status
        UNION ALL
        SELECT new_rows.status, 1::bigint
        FROM old_rows JOIN new_rows USING (id)
        WHERE old_rows.status <> new_rows.status
    ) AS change
    HAVING COUNT(*) > 0;
    RETURN NULL;
END
$$;

CREATE TRIGGER comment_counts_insert AFTER INSERT ON comments
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION comment_counts_inserted();
CREATE TRIGGER comment_counts_delete AFTER DELETE ON comments
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION comment_counts_deleted();
CREATE TRIGGER comment_counts_update AFTER UPDATE ON comments
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION comment_counts_updated();
