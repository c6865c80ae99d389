DROP INDEX posts_by_featured_media;
DROP TABLE media_uses;
