DROP TRIGGER posts_redated;
DROP TRIGGER post_tags_dated;
DROP TRIGGER post_categories_dated;
DROP INDEX post_tags_by_date;
DROP INDEX post_categories_by_date;
CREATE INDEX post_categories_by_category ON post_categories (category_id, post_id);
CREATE INDEX post_tags_by_tag ON post_tags (tag_id, post_id);
ALTER TABLE post_tags DROP COLUMN published_at;
ALTER TABLE post_categories DROP COLUMN published_at;
