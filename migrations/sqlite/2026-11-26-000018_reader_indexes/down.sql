DROP INDEX posts_visibility;
DROP INDEX posts_by_sticky;
CREATE INDEX posts_sticky ON posts (published_at DESC, id DESC) WHERE sticky = 1;
