-- The whole ferropress schema (SQLite). Times are UTC Unix seconds (BIGINT) so
-- that both backends share one set of queries and sort the same way.

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    -- NULL for authors brought in by an import: they must reset it to log in.
    password_hash TEXT,
    role TEXT NOT NULL CHECK (role IN ('admin', 'editor', 'moderator')),
    notify_comments BOOLEAN NOT NULL DEFAULT 1,
    wp_login TEXT UNIQUE,
    created_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    -- SHA-256 of the cookie's token: a stolen database cannot be replayed as cookies.
    id TEXT PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE settings (
    key TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);

CREATE TABLE categories (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    parent_id BIGINT REFERENCES categories (id) ON DELETE SET NULL
);

CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    post_type TEXT NOT NULL DEFAULT 'post' CHECK (post_type IN ('post', 'page')),
    slug TEXT NOT NULL,
    title TEXT NOT NULL,
    -- What the author wrote, in body_format ('markdown', or 'html' for imports),
    -- and the sanitised HTML rendered from it once, when saved.
    body_source TEXT NOT NULL,
    body_format TEXT NOT NULL DEFAULT 'markdown' CHECK (body_format IN ('markdown', 'html')),
    body_html TEXT NOT NULL,
    excerpt TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL CHECK (status IN ('draft', 'published', 'private', 'trash')),
    -- Status to restore when a trashed post comes back.
    status_before_trash TEXT,
    -- A published post whose published_at is in the future is scheduled.
    published_at BIGINT NOT NULL,
    author_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    allow_comments BOOLEAN NOT NULL DEFAULT 1,
    -- Approved comments, kept in step by the code that changes a comment's status.
    comment_count BIGINT NOT NULL DEFAULT 0,
    wp_id BIGINT UNIQUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (post_type, slug)
);
CREATE INDEX posts_by_status_date ON posts (post_type, status, published_at DESC, id DESC);
CREATE INDEX posts_by_author ON posts (author_id);

CREATE TABLE post_categories (
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    category_id BIGINT NOT NULL REFERENCES categories (id) ON DELETE CASCADE,
    PRIMARY KEY (post_id, category_id)
);
CREATE INDEX post_categories_by_category ON post_categories (category_id, post_id);

CREATE TABLE comments (
    id INTEGER PRIMARY KEY,
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    parent_id BIGINT REFERENCES comments (id) ON DELETE SET NULL,
    author_name TEXT NOT NULL,
    author_email TEXT NOT NULL,
    author_url TEXT NOT NULL DEFAULT '',
    author_ip TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT '',
    -- Set when a staff member wrote the comment from the panel.
    user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    body_source TEXT NOT NULL,
    body_html TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'spam', 'trash')),
    status_before_trash TEXT,
    -- Hash of (normalised email, text): a unique index per post turns a
    -- duplicate submission, even two at once, into a constraint error.
    -- NULL when trashed or imported, so those never block a new comment.
    dedupe_key TEXT,
    wp_id BIGINT UNIQUE,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX comments_dedupe ON comments (post_id, dedupe_key);
CREATE INDEX comments_by_post ON comments (post_id, status, created_at, id);
CREATE INDEX comments_by_status ON comments (status, created_at DESC, id DESC);
CREATE INDEX comments_by_email ON comments (author_email, status);
CREATE INDEX comments_by_parent ON comments (parent_id);

CREATE TABLE comment_revisions (
    id INTEGER PRIMARY KEY,
    comment_id BIGINT NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    editor_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    previous_body TEXT NOT NULL,
    edited_at BIGINT NOT NULL
);
CREATE INDEX comment_revisions_by_comment ON comment_revisions (comment_id);

CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT NOT NULL,
    -- Extra headers as JSON (List-Unsubscribe and the like).
    extra_headers TEXT NOT NULL DEFAULT '{}',
    message_id TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    next_attempt_at BIGINT NOT NULL,
    -- A worker holds a row until this time while it delivers it.
    locked_until BIGINT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

CREATE TABLE subscribers (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    confirmed_at BIGINT,
    unsubscribed_at BIGINT,
    created_at BIGINT NOT NULL
);

CREATE TABLE reply_subscriptions (
    comment_id BIGINT PRIMARY KEY NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    subscriber_id BIGINT NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE
);
CREATE INDEX reply_subscriptions_by_subscriber ON reply_subscriptions (subscriber_id);

CREATE TABLE action_tokens (
    -- A random nonce; the link carries it with an HMAC so it cannot be forged,
    -- and used_at makes it single-use.
    id TEXT PRIMARY KEY NOT NULL,
    purpose TEXT NOT NULL,
    comment_id BIGINT REFERENCES comments (id) ON DELETE CASCADE,
    subscriber_id BIGINT REFERENCES subscribers (id) ON DELETE CASCADE,
    user_id BIGINT REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);

CREATE TABLE redirects (
    id INTEGER PRIMARY KEY,
    -- An old path (with its query for WordPress's /?p=ID) that now lives elsewhere.
    from_path TEXT NOT NULL UNIQUE,
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL
);
CREATE INDEX redirects_by_post ON redirects (post_id);
