//! The spam filter's memory, in the database so every `serve` process
//! shares one model: per-token counts, learnt from each moderator decision
//! in the decision's own transaction.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::db::schema::{comments, spam_tokens};
use crate::db::AnyConnection;
use crate::domain::spam::{tokens, Seen, SpamInput, TRAINED_AFTER};
use crate::domain::CommentStatus;

/// The row holding how many comments of each kind were learnt from.
const TOTALS: &str = "";
/// `IN (…)` lists are sent in pieces of this many.
const CHUNK: usize = 500;

/// What a moderator's decision teaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lesson {
    Spam,
    Ham,
}

impl Lesson {
    fn as_str(self) -> &'static str {
        match self {
            Lesson::Spam => "spam",
            Lesson::Ham => "ham",
        }
    }

    fn parse(text: &str) -> Option<Lesson> {
        match text {
            "spam" => Some(Lesson::Spam),
            "ham" => Some(Lesson::Ham),
            _ => None,
        }
    }

    /// What moving a comment to `status` teaches: approving, that it is
    /// not spam; marking it spam, that it is; sending it back to the queue,
    /// nothing (an undo). The trash says nothing about spam.
    pub fn of_move_to(status: CommentStatus) -> Option<Option<Lesson>> {
        match status {
            CommentStatus::Approved => Some(Some(Lesson::Ham)),
            CommentStatus::Spam => Some(Some(Lesson::Spam)),
            CommentStatus::Pending => Some(None),
            CommentStatus::Trash => None,
        }
    }
}

/// The filter's knowledge: comments learnt from, of each kind.
pub fn learnt(conn: &mut AnyConnection) -> QueryResult<Seen> {
    let totals: Option<(i64, i64)> = spam_tokens::table
        .find(TOTALS)
        .select((spam_tokens::spam, spam_tokens::ham))
        .first(conn)
        .optional()?;
    Ok(totals.map_or(Seen::default(), |(spam, ham)| Seen { spam, ham }))
}

/// Whether the filter has seen enough decisions of each kind to act alone.
pub fn is_trained(learnt: Seen) -> bool {
    learnt.spam >= TRAINED_AFTER && learnt.ham >= TRAINED_AFTER
}

/// The counts of `tokens`, and the totals, in one query per piece.
pub fn seen_counts(
    conn: &mut AnyConnection,
    tokens: &[String],
) -> QueryResult<(HashMap<String, Seen>, Seen)> {
    let mut counts = HashMap::with_capacity(tokens.len());
    let mut totals = Seen::default();
    for (index, chunk) in tokens.chunks(CHUNK).enumerate() {
        let mut asked: Vec<&str> = chunk.iter().map(String::as_str).collect();
        if index == 0 {
            asked.push(TOTALS);
        }
        let rows: Vec<(String, i64, i64)> = spam_tokens::table
            .filter(spam_tokens::token.eq_any(asked))
            .select((spam_tokens::token, spam_tokens::spam, spam_tokens::ham))
            .load(conn)?;
        for (token, spam, ham) in rows {
            if token == TOTALS {
                totals = Seen { spam, ham };
            } else {
                counts.insert(token, Seen { spam, ham });
            }
        }
    }
    Ok((counts, totals))
}

/// Learns that comments with `tokens` are `lesson`.
pub fn learn(conn: &mut AnyConnection, tokens: &[String], lesson: Lesson) -> QueryResult<()> {
    add(conn, tokens, lesson, 1)
}

/// Adds `delta` (1 to learn, −1 to unlearn) to each token's count of
/// `lesson`, and to the totals.
fn add(conn: &mut AnyConnection, tokens: &[String], lesson: Lesson, delta: i64) -> QueryResult<()> {
    if delta > 0 {
        // New tokens get a row first (most of a trained site's are known).
        for chunk in tokens.chunks(CHUNK) {
            let known: Vec<String> = spam_tokens::table
                .filter(spam_tokens::token.eq_any(chunk))
                .select(spam_tokens::token)
                .load(conn)?;
            let rows: Vec<_> = chunk
                .iter()
                .filter(|token| !known.contains(token))
                .map(|token| {
                    (
                        spam_tokens::token.eq(token),
                        spam_tokens::spam.eq(0),
                        spam_tokens::ham.eq(0),
                    )
                })
                .collect();
            // Another process may add one meanwhile: no error then.
            match conn {
                // One statement for them all (a round trip each would cost
                // more than the learning).
                AnyConnection::Postgresql(pg) if !rows.is_empty() => {
                    diesel::insert_into(spam_tokens::table)
                        .values(&rows)
                        .on_conflict(spam_tokens::token)
                        .do_nothing()
                        .execute(pg)?;
                }
                AnyConnection::Postgresql(_) => {}
                AnyConnection::Sqlite(sqlite) => {
                    for row in rows {
                        diesel::insert_into(spam_tokens::table)
                            .values(row)
                            .on_conflict(spam_tokens::token)
                            .do_nothing()
                            .execute(sqlite)?;
                    }
                }
            }
        }
    }
    let mut all: Vec<&str> = tokens.iter().map(String::as_str).collect();
    all.push(TOTALS);
    for chunk in all.chunks(CHUNK) {
        let rows = spam_tokens::table.filter(spam_tokens::token.eq_any(chunk));
        match lesson {
            Lesson::Spam => diesel::update(rows)
                .set(spam_tokens::spam.eq(spam_tokens::spam + delta))
                .execute(conn)?,
            Lesson::Ham => diesel::update(rows)
                .set(spam_tokens::ham.eq(spam_tokens::ham + delta))
                .execute(conn)?,
        };
    }
    Ok(())
}

/// Makes what the filter learnt from comment `comment_id` (which reads as
/// `input`) match `lesson`: unlearns an earlier lesson that differs
/// (exactly the tokens it taught), then learns the new one. Call it in the
/// transaction that moves the comment.
pub fn teach(
    conn: &mut AnyConnection,
    comment_id: i64,
    input: &SpamInput<'_>,
    lesson: Option<Lesson>,
) -> QueryResult<()> {
    let (trained_as, trained_tokens): (Option<String>, Option<String>) = comments::table
        .find(comment_id)
        .select((comments::trained_as, comments::trained_tokens))
        .first(conn)?;
    let before = trained_as.as_deref().and_then(Lesson::parse);
    if before == lesson {
        return Ok(());
    }
    if let Some(before) = before {
        let taught: Vec<String> = trained_tokens
            .unwrap_or_default()
            .split('\n')
            .filter(|token| !token.is_empty())
            .map(str::to_owned)
            .collect();
        add(conn, &taught, before, -1)?;
    }
    let taught = match lesson {
        Some(lesson) => {
            let tokens = tokens(input);
            learn(conn, &tokens, lesson)?;
            Some(tokens.join("\n"))
        }
        None => None,
    };
    diesel::update(comments::table.find(comment_id))
        .set((
            comments::trained_as.eq(lesson.map(Lesson::as_str)),
            comments::trained_tokens.eq(taught),
        ))
        .execute(conn)?;
    Ok(())
}
