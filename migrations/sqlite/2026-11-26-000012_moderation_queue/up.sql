-- The spam filter's counts: how many spam and approved comments each token
-- was seen in. The row with the empty token holds how many comments of each
-- kind were learnt from.
CREATE TABLE spam_tokens (
    token TEXT PRIMARY KEY,
    spam BIGINT NOT NULL DEFAULT 0,
    ham BIGINT NOT NULL DEFAULT 0
);
INSERT INTO spam_tokens (token, spam, ham) VALUES ('', 0, 0);

-- Each comment's score when it arrived (0.5: not scored), the tokens that
-- moved it most, and what a moderator's decision taught the filter (with
-- the tokens taught, so a change of mind unlearns exactly them).
ALTER TABLE comments ADD COLUMN spam_score DOUBLE PRECISION NOT NULL DEFAULT 0.5;
ALTER TABLE comments ADD COLUMN spam_why TEXT NOT NULL DEFAULT '';
ALTER TABLE comments ADD COLUMN trained_as TEXT;
ALTER TABLE comments ADD COLUMN trained_tokens TEXT;
CREATE INDEX comments_by_status_score ON comments (status, spam_score, id);

-- Held comments told to moderators in an hourly digest instead of one mail
-- each (a flood), and the digests sent.
CREATE TABLE comment_digests (
    id INTEGER PRIMARY KEY,
    created_at BIGINT NOT NULL
);
CREATE TABLE digest_items (
    comment_id BIGINT PRIMARY KEY REFERENCES comments (id) ON DELETE CASCADE,
    digest_id BIGINT REFERENCES comment_digests (id) ON DELETE CASCADE,
    held_at BIGINT NOT NULL
);
CREATE INDEX digest_items_waiting ON digest_items (digest_id, held_at);
