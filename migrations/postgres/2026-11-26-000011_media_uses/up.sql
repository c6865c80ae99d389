-- Which posts and pages show which library file in their content, kept as
-- content is saved, so the Media screen asks an index instead of reading
-- every post.
CREATE TABLE media_uses (
    media_id BIGINT NOT NULL REFERENCES media (id) ON DELETE CASCADE,
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    PRIMARY KEY (media_id, post_id)
);
CREATE INDEX media_uses_by_post ON media_uses (post_id);
CREATE INDEX posts_by_featured_media ON posts (featured_media_id);

-- What is there already: content naming the file or one of its sizes
-- (the path without its extension).
INSERT INTO media_uses (media_id, post_id)
SELECT m.id, p.id
FROM media m
JOIN posts p ON p.body_html LIKE '%/wp-content/uploads/'
    || replace(replace(replace(rtrim(rtrim(m.path,
        'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'), '.'),
        '\', '\\'), '%', '\%'), '_', '\_')
    || '%' ESCAPE '\';
