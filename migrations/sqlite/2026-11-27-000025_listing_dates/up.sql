-- A category's or a tag's posts, newest first, walked in one index: each
-- link carries its post's publication time (kept by the triggers below).
-- The listing read every post id of the category into a list and then
-- walked all published posts by date against it: a tenth of a 10,000-post
-- site for each first page, more the bigger the category.
ALTER TABLE post_categories ADD COLUMN published_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE post_tags ADD COLUMN published_at BIGINT NOT NULL DEFAULT 0;
UPDATE post_categories
    SET published_at = (SELECT published_at FROM posts WHERE posts.id = post_categories.post_id);
UPDATE post_tags
    SET published_at = (SELECT published_at FROM posts WHERE posts.id = post_tags.post_id);
-- They serve what the old ones did (a category's or tag's posts) too.
DROP INDEX post_categories_by_category;
DROP INDEX post_tags_by_tag;
CREATE INDEX post_categories_by_date ON post_categories (category_id, published_at, post_id);
CREATE INDEX post_tags_by_date ON post_tags (tag_id, published_at, post_id);

CREATE TRIGGER post_categories_dated AFTER INSERT ON post_categories BEGIN
    UPDATE post_categories
        SET published_at = (SELECT published_at FROM posts WHERE id = NEW.post_id)
        WHERE post_id = NEW.post_id AND category_id = NEW.category_id;
END;

CREATE TRIGGER post_tags_dated AFTER INSERT ON post_tags BEGIN
    UPDATE post_tags
        SET published_at = (SELECT published_at FROM posts WHERE id = NEW.post_id)
        WHERE post_id = NEW.post_id AND tag_id = NEW.tag_id;
END;

CREATE TRIGGER posts_redated AFTER UPDATE OF published_at ON posts
WHEN OLD.published_at <> NEW.published_at BEGIN
    UPDATE post_categories SET published_at = NEW.published_at WHERE post_id = NEW.id;
    UPDATE post_tags SET published_at = NEW.published_at WHERE post_id = NEW.id;
END;
