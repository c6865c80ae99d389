-- A category's or a tag's posts, newest first, walked in one index: each
-- link carries its post's publication time (kept by the triggers below).
-- The listing read every post id of the category and then walked the
-- published posts by date against them: more the bigger the category.
ALTER TABLE post_categories ADD COLUMN published_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE post_tags ADD COLUMN published_at BIGINT NOT NULL DEFAULT 0;
UPDATE post_categories SET published_at = posts.published_at
    FROM posts WHERE posts.id = post_categories.post_id;
UPDATE post_tags SET published_at = posts.published_at
    FROM posts WHERE posts.id = post_tags.post_id;
-- They serve what the old ones did (a category's or tag's posts) too.
DROP INDEX post_categories_by_category;
DROP INDEX post_tags_by_tag;
CREATE INDEX post_categories_by_date ON post_categories (category_id, published_at, post_id);
CREATE INDEX post_tags_by_date ON post_tags (tag_id, published_at, post_id);

-- A new link takes its post's time (a missing post fails on the foreign key).
CREATE FUNCTION post_link_dated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.published_at := COALESCE((SELECT published_at FROM posts WHERE id = NEW.post_id), 0);
    RETURN NEW;
END;
$$;

CREATE TRIGGER post_categories_dated BEFORE INSERT ON post_categories
    FOR EACH ROW EXECUTE FUNCTION post_link_dated();
CREATE TRIGGER post_tags_dated BEFORE INSERT ON post_tags
    FOR EACH ROW EXECUTE FUNCTION post_link_dated();

CREATE FUNCTION post_links_redated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE post_categories SET published_at = NEW.published_at WHERE post_id = NEW.id;
    UPDATE post_tags SET published_at = NEW.published_at WHERE post_id = NEW.id;
    RETURN NULL;
END;
$$;

CREATE TRIGGER posts_redated AFTER UPDATE OF published_at ON posts
    FOR EACH ROW WHEN (OLD.published_at IS DISTINCT FROM NEW.published_at)
    EXECUTE FUNCTION post_links_redated();
