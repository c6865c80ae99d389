-- Comments (not spam) per quarter hour, kept by triggers: the dashboard's
-- chart of comments per day reads 2,880 rows for its 30 days, however many
-- comments those days had. It loaded every comment's time instead: 240 ms
-- on a site with 70,000 comments in a month. A quarter hour lies within one
-- local day in every time zone (all offsets are whole quarters). Statement
-- triggers in PL/pgSQL, as the status counts' (migration 000020). PostgreSQL
-- fires a statement's triggers in the order of their names, so a write
-- takes a status count's row before any quarter's: a moderation holding
-- the counts (`db::write_transaction`) is never waited on by a writer that
-- holds a quarter it needs.
CREATE TABLE comment_quarters (
    quarter BIGINT PRIMARY KEY NOT NULL,
    n BIGINT NOT NULL DEFAULT 0
);
INSERT INTO comment_quarters (quarter, n)
SELECT created_at / 900, COUNT(*) FROM comments WHERE status <> 'spam' GROUP BY created_at / 900;

CREATE FUNCTION comment_quarters_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO comment_quarters AS kept (quarter, n)
    SELECT created_at / 900, COUNT(*) FROM new_rows WHERE status <> 'spam'
    GROUP BY created_at / 900 ORDER BY created_at / 900
    ON CONFLICT (quarter) DO UPDATE SET n = kept.n + EXCLUDED.n;
    RETURN NULL;
END
$$;

CREATE FUNCTION comment_quarters_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO comment_quarters AS kept (quarter, n)
    SELECT created_at / 900, -COUNT(*) FROM old_rows WHERE status <> 'spam'
    GROUP BY created_at / 900 ORDER BY created_at / 900
    ON CONFLICT (quarter) DO UPDATE SET n = kept.n + EXCLUDED.n;
    RETURN NULL;
END
$$;

CREATE FUNCTION comment_quarters_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO comment_quarters AS kept (quarter, n)
    SELECT change.quarter, SUM(change.delta)
    FROM (
        SELECT old_rows.created_at / 900 AS quarter, -1::bigint AS delta
        FROM old_rows JOIN new_rows USING (id)
        WHERE old_rows.status <> 'spam'
          AND (new_rows.status = 'spam' OR old_rows.created_at / 900 <> new_rows.created_at / 900)
        UNION ALL
        SELECT new_rows.created_at / 900, 1::bigint
        FROM old_rows JOIN new_rows USING (id)
        WHERE new_rows.status <> 'spam'
          AND (old_rows.status = 'spam' OR old_rows.created_at / 900 <> new_rows.created_at / 900)
    ) AS change
    GROUP BY change.quarter
    ORDER BY change.quarter
    ON CONFLICT (quarter) DO UPDATE SET n = kept.n + EXCLUDED.n;
    RETURN NULL;
END
$$;

CREATE TRIGGER comment_quarters_insert AFTER INSERT ON comments
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION comment_quarters_inserted();
CREATE TRIGGER comment_quarters_delete AFTER DELETE ON comments
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION comment_quarters_deleted();
CREATE TRIGGER comment_quarters_update AFTER UPDATE ON comments
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION comment_quarters_updated();
