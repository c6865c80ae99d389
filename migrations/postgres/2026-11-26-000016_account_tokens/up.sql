-- Links mailed to staff: a password reset (an hour), an invitation to set a
-- first password (a week), a new email address to confirm (a day). The link
-- carries the random id with an HMAC, so it cannot be guessed or forged;
-- used_at makes it single-use.
CREATE TABLE account_tokens (
    id TEXT PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose TEXT NOT NULL CHECK (purpose IN ('reset', 'invitation', 'email')),
    -- The address to confirm, for an email change.
    new_email TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
-- A user's links: how many resets were mailed lately, and voiding the rest
-- once one is used.
CREATE INDEX account_tokens_by_user ON account_tokens (user_id, purpose, created_at);
