DROP INDEX posts_stamps;
