-- The functions as 000006_comment_counts made them.
CREATE FUNCTION comment_counts_add(changes TEXT[], deltas BIGINT[]) RETURNS void LANGUAGE sql AS $$
    INSERT INTO comment_counts AS counts (status, n)
    SELECT change.status, SUM(change.delta)
    FROM unnest(changes, deltas) AS change(status, delta)
    GROUP BY change.status
    ORDER BY change.status
    ON CONFLICT (status) DO UPDATE SET n = counts.n + EXCLUDED.n;
$$;

CREATE OR REPLACE FUNCTION comment_counts_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM comment_counts_add(array_agg(status), array_agg(1::bigint)) FROM new_rows HAVING COUNT(*) > 0;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION comment_counts_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM comment_counts_add(array_agg(status), array_agg(-1::bigint)) FROM old_rows HAVING COUNT(*) > 0;
    RETURN NULL;
END
$$;

CREATE OR REPLACE FUNCTION comment_counts_updated() RETURNS trigger LANGUAGE plpgsql AS $$
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
