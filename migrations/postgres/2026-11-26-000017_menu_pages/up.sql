-- Whether a page is in the site's header menu (posts ignore it). Every
-- page is, as WordPress's menu lists every page until one is chosen.
ALTER TABLE posts ADD COLUMN in_menu BOOLEAN NOT NULL DEFAULT TRUE;
