-- What a WordPress blog holds beyond posts, pages and categories.

-- Tags: a second, flat taxonomy.
CREATE TABLE tags (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT ''
);
CREATE TABLE post_tags (
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    tag_id BIGINT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (post_id, tag_id)
);
CREATE INDEX post_tags_by_tag ON post_tags (tag_id, post_id);

-- The media library: a file under the uploads folder (`2023/03/name.jpg`),
-- with the sizes made of it (JSON: [{"file","width","height"}]).
CREATE TABLE media (
    id INTEGER PRIMARY KEY,
    path TEXT NOT NULL UNIQUE,
    mime TEXT NOT NULL,
    width BIGINT,
    height BIGINT,
    byte_size BIGINT NOT NULL,
    title TEXT NOT NULL DEFAULT '',
    alt TEXT NOT NULL DEFAULT '',
    caption TEXT NOT NULL DEFAULT '',
    sizes TEXT NOT NULL DEFAULT '[]',
    -- The post it was uploaded to (WordPress's post_parent).
    post_id BIGINT REFERENCES posts (id) ON DELETE SET NULL,
    wp_id BIGINT UNIQUE,
    -- The attachment page WordPress had (`/x-ray-image/`): it leads to the file.
    wp_path TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX media_by_wp_path ON media (wp_path);

-- Page hierarchy and order, sticky posts, the featured image.
ALTER TABLE posts ADD COLUMN parent_id BIGINT REFERENCES posts (id) ON DELETE SET NULL;
ALTER TABLE posts ADD COLUMN menu_order BIGINT NOT NULL DEFAULT 0;
ALTER TABLE posts ADD COLUMN sticky BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE posts ADD COLUMN featured_media_id BIGINT REFERENCES media (id) ON DELETE SET NULL;
CREATE INDEX posts_by_author_date ON posts (author_id, post_type, status, published_at DESC, id DESC);
CREATE INDEX posts_by_parent ON posts (parent_id);
CREATE INDEX posts_sticky ON posts (published_at DESC, id DESC) WHERE sticky = 1;

-- Pingbacks and trackbacks are kept as what they are.
ALTER TABLE comments ADD COLUMN comment_type TEXT NOT NULL DEFAULT 'comment';

-- An author's address: /author/slug/ (WordPress's user_nicename).
ALTER TABLE users ADD COLUMN slug TEXT;
CREATE UNIQUE INDEX users_by_slug ON users (slug);
-- The WordPress user id an imported author had (`/?author=ID`).
ALTER TABLE users ADD COLUMN wp_id BIGINT;
CREATE UNIQUE INDEX users_by_wp_id ON users (wp_id);

-- A category's address below /category/: its slug after its parents'
-- (`back/lumbar`), kept whenever a slug or a parent changes.
ALTER TABLE categories ADD COLUMN path TEXT NOT NULL DEFAULT '';
UPDATE categories SET path = slug;
CREATE INDEX categories_by_path ON categories (path);
-- The WordPress term id an imported category had (`/?cat=ID`).
ALTER TABLE categories ADD COLUMN wp_id BIGINT;
CREATE UNIQUE INDEX categories_by_wp_id ON categories (wp_id);
