//! Full-text search over published posts: SQLite's FTS5 and PostgreSQL's
//! `tsvector`, side by side — the one place the backends differ for search.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use crate::db::AnyConnection;
use crate::models::now;

/// One post of a page of results, with how many posts match in all
/// (counted by the same statement that ranks them: a second pass over the
/// matches would read every one of them again).
#[derive(QueryableByName)]
struct Hit {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    found: i64,
}

/// Puts a post's title and text (plain, no tags) in the search index.
pub fn index_post(
    conn: &mut AnyConnection,
    post_id: i64,
    title: &str,
    text: &str,
) -> QueryResult<()> {
    match conn {
        AnyConnection::Sqlite(conn) => {
            diesel::sql_query("DELETE FROM posts_search WHERE rowid = ?")
                .bind::<BigInt, _>(post_id)
                .execute(conn)?;
            diesel::sql_query("INSERT INTO posts_search (rowid, title, body) VALUES (?, ?, ?)")
                .bind::<BigInt, _>(post_id)
                .bind::<Text, _>(title)
                .bind::<Text, _>(text)
                .execute(conn)?;
        }
        AnyConnection::Postgresql(conn) => {
            diesel::sql_query(
                "UPDATE posts SET search_vector = \
                 setweight(to_tsvector('english', $1), 'A') || setweight(to_tsvector('english', $2), 'B') \
                 WHERE id = $3",
            )
            .bind::<Text, _>(title)
            .bind::<Text, _>(text)
            .bind::<BigInt, _>(post_id)
            .execute(conn)?;
        }
    }
    Ok(())
}

/// The words typed, as letters and digits only, each once (the case
/// aside), at most 16: nothing of a query language is left for a reader to
/// inject, and a word typed again adds nothing to match but its cost (each
/// is ranked in every post found).
fn typed_words(typed: &str) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    typed
        .split_whitespace()
        .map(|word| {
            word.chars()
                .filter(|c| c.is_alphanumeric())
                .collect::<String>()
        })
        .filter(|word| !word.is_empty() && seen.insert(word.to_lowercase()))
        .take(16)
        .collect()
}

/// An FTS5 query that matches every word typed, each as a word prefix
/// (`lamin` finds "laminectomy"): each word is quoted, then starred.
pub fn fts5_query(typed: &str) -> Option<String> {
    let words: Vec<String> = typed_words(typed)
        .into_iter()
        .map(|word| format!("\"{word}\"*"))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// The same for PostgreSQL's `to_tsquery`: every word, each a prefix.
pub fn tsquery(typed: &str) -> Option<String> {
    let words: Vec<String> = typed_words(typed)
        .into_iter()
        .map(|word| format!("{word}:*"))
        .collect();
    (!words.is_empty()).then(|| words.join(" & "))
}

/// What a search found: one page of post ids, best first, whether more
/// follow, and how many posts match in all.
#[derive(Debug, Clone, Default)]
pub struct Found {
    pub ids: Vec<i64>,
    pub has_more: bool,
    pub total: i64,
}

/// Published posts matching every word `typed` (as prefixes), best first
/// (a title match outranks a body match), one page at a time. A page past
/// the last finds nothing, its total included (it shows "Nothing Found").
pub fn search_published(
    conn: &mut AnyConnection,
    typed: &str,
    page: i64,
    per_page: i64,
) -> QueryResult<Found> {
    let offset = (page.max(1) - 1) * per_page;
    let at = now();
    let hits: Vec<Hit> = match conn {
        AnyConnection::Sqlite(conn) => {
            let Some(query) = fts5_query(typed) else {
                return Ok(Found::default());
            };
            diesel::sql_query(
                // The FTS5 hits first (materialised), then the posts: probing
                // the index once per post would be thousands of queries. Each
                // hit is checked in an index (the planner would read the post
                // rows, bodies and all: 5x slower on a term in every post).
                "WITH hits AS MATERIALIZED ( \
                   SELECT rowid AS id, bm25(posts_search, 10.0, 1.0) AS rank FROM posts_search WHERE posts_search MATCH ?) \
                 SELECT posts.id AS id, count(*) OVER () AS found \
                 FROM hits JOIN posts INDEXED BY posts_visibility ON posts.id = hits.id \
                 WHERE posts.status = 'published' AND posts.post_type = 'post' AND posts.published_at <= ? \
                 ORDER BY hits.rank, posts.id DESC LIMIT ? OFFSET ?",
            )
            .bind::<Text, _>(query)
            .bind::<BigInt, _>(at)
            .bind::<BigInt, _>(per_page + 1)
            .bind::<BigInt, _>(offset)
            .load(conn)?
        }
        AnyConnection::Postgresql(conn) => {
            let Some(query) = tsquery(typed) else {
                return Ok(Found::default());
            };
            diesel::sql_query(
                "SELECT id, count(*) OVER () AS found FROM posts, to_tsquery('english', $1) AS query \
                 WHERE search_vector @@ query AND status = 'published' AND post_type = 'post' AND published_at <= $2 \
                 ORDER BY ts_rank(search_vector, query) DESC, id DESC LIMIT $3 OFFSET $4",
            )
            .bind::<Text, _>(query)
            .bind::<BigInt, _>(at)
            .bind::<BigInt, _>(per_page + 1)
            .bind::<BigInt, _>(offset)
            .load(conn)?
        }
    };
    let total = hits.first().map_or(0, |hit| hit.found);
    let mut ids: Vec<i64> = hits.into_iter().map(|hit| hit.id).collect();
    let has_more = ids.len() as i64 > per_page;
    ids.truncate(per_page as usize);
    Ok(Found {
        ids,
        has_more,
        total,
    })
}

#[cfg(test)]
mod tests {
    use super::{fts5_query, tsquery};

    #[test]
    fn typed_text_cannot_use_fts5_syntax() {
        assert_eq!(
            fts5_query("neck pain").as_deref(),
            Some("\"neck\"* \"pain\"*")
        );
        assert_eq!(
            fts5_query("\"neck\" OR title:* NEAR(a b)").as_deref(),
            Some("\"neck\"* \"OR\"* \"title\"* \"NEARa\"* \"b\"*")
        );
        assert_eq!(fts5_query(" *** "), None);
    }

    #[test]
    fn typed_text_cannot_use_tsquery_syntax() {
        assert_eq!(tsquery("lamin neck").as_deref(), Some("lamin:* & neck:*"));
        assert_eq!(
            tsquery("a|b !c (d) 'e' f:*").as_deref(),
            Some("ab:* & c:* & d:* & e:* & f:*")
        );
        assert_eq!(tsquery(" & | "), None);
    }

    #[test]
    fn a_word_typed_again_is_searched_once() {
        assert_eq!(
            fts5_query("neck Neck pain NECK neck!").as_deref(),
            Some("\"neck\"* \"pain\"*")
        );
        assert_eq!(tsquery("e e e e E").as_deref(), Some("e:*"));
        // The bound counts different words: sixteen of them, then no more.
        let typed: String = (0..20).map(|n| format!("w{n} w{n} ")).collect();
        assert_eq!(
            tsquery(&typed).map(|query| query.matches(":*").count()),
            Some(16)
        );
    }
}
