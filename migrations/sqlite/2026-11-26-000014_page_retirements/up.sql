-- What each content version changed, so page caches retire only the pages
-- it touched: the comments of one post (`post_id`), or everything (0). Rows
-- are written in the same transaction as the change and its version; the
-- caches read those newer than their own and prune old ones.
CREATE TABLE page_retirements (
    version BIGINT NOT NULL,
    post_id BIGINT NOT NULL,
    PRIMARY KEY (version, post_id)
);
