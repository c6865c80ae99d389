-- SQLite only (see its migration): PostgreSQL keeps long bodies out of line
-- (TOAST), so a post's row is short and `updated_at` is read without them;
-- another index on posts would only add to the planning of every query on
-- the table.
SELECT 1;
