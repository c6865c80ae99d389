CREATE OR REPLACE FUNCTION comment_quarters_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO comment_quarters AS kept (quarter, n)
    SELECT created_at / 900, COUNT(*) FROM new_rows WHERE status <> 'spam'
    GROUP BY created_at / 900 ORDER BY created_at / 900
    ON CONFLICT (quarter) DO UPDATE SET n = kept.n + EXCLUDED.n;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION comment_quarters_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO comment_quarters AS kept (quarter, n)
    SELECT created_at / 900, -COUNT(*) FROM old_rows WHERE status <> 'spam'
    GROUP BY created_at / 900 ORDER BY created_at / 900
    ON CONFLICT (quarter) DO UPDATE SET n = kept.n + EXCLUDED.n;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION comment_quarters_updated() RETURNS trigger LANGUAGE plpgsql AS $$
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

DROP TABLE comment_hours;
