//! The statement that reads one comment page's comments, as a query diesel
//! keeps prepared: a `sql_query` is parsed and planned anew on every call,
//! and parsing this one was a sixth of rendering a post page.

use std::sync::LazyLock;

use diesel::backend::Backend;
use diesel::pg::Pg;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Untyped};
use diesel::sqlite::Sqlite;
use diesel::{PgConnection, QueryResult, RunQueryDsl, SqliteConnection};

/// The page's thread starts (an index walk, `{limit}` from `{offset}`),
/// then their replies down the parent index; only then the rows
/// themselves, by primary key.
const STATEMENT: &str = "WITH RECURSIVE shown(id) AS ( \
       SELECT id FROM (SELECT id FROM comments WHERE post_id = {post} AND thread_start = {true} \
         ORDER BY created_at, id LIMIT {limit} OFFSET {offset}) AS starts \
       UNION ALL \
       SELECT comments.id FROM shown JOIN comments {by_parent} ON comments.parent_id = shown.id \
         WHERE comments.status = 'approved' AND comments.thread_start = {false}) \
     {rows} AND comments.post_id = {post} \
     ORDER BY comments.created_at, comments.id";

/// The statement for SQLite, cut at its parameters.
static SQLITE: LazyLock<Vec<Piece>> = LazyLock::new(|| {
    pieces(
        &STATEMENT
            .replace("{true}", "1")
            .replace("{false}", "0")
            // The shown ids drive the joins, down the parent index (with
            // the statistics of a real site the planner would rather walk
            // all the post's approved comments for each reply, or every
            // comment in time order).
            .replace("{by_parent}", "INDEXED BY comments_by_parent")
            .replace(
                "{rows}",
                "SELECT comments.* FROM shown CROSS JOIN comments ON comments.id = shown.id WHERE 1",
            ),
    )
});

/// The statement for PostgreSQL, cut at its parameters.
static POSTGRES: LazyLock<Vec<Piece>> = LazyLock::new(|| {
    pieces(
        &STATEMENT
            .replace("{true}", "TRUE")
            .replace("{false}", "FALSE")
            .replace("{by_parent}", "")
            // By primary key (a join would hash the table: the planner
            // cannot know how few ids the recursion yields), fenced off
            // (`OFFSET 0`) from the post check: with it in reach, the
            // generic plan intersected the ids with every index entry of
            // the post (a bitmap of 123,000 held comments, 10 ms a render).
            .replace(
                "{rows}",
                "SELECT * FROM (SELECT * FROM comments \
                   WHERE comments.id = ANY(ARRAY(SELECT id FROM shown)) OFFSET 0) AS comments WHERE TRUE",
            ),
    )
});

/// SQL up to a parameter, and the parameter (none after the last piece).
#[derive(Debug)]
struct Piece {
    sql: String,
    parameter: Option<Parameter>,
}

#[derive(Debug, Clone, Copy)]
enum Parameter {
    Post,
    Limit,
    Offset,
}

fn pieces(statement: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut rest = statement;
    loop {
        let next = [
            ("{post}", Parameter::Post),
            ("{limit}", Parameter::Limit),
            ("{offset}", Parameter::Offset),
        ]
        .into_iter()
        .filter_map(|(marker, parameter)| rest.find(marker).map(|at| (at, marker, parameter)))
        .min_by_key(|(at, _, _)| *at);
        match next {
            Some((at, marker, parameter)) => {
                pieces.push(Piece {
                    sql: rest[..at].to_owned(),
                    parameter: Some(parameter),
                });
                rest = &rest[at + marker.len()..];
            }
            None => {
                pieces.push(Piece {
                    sql: rest.to_owned(),
                    parameter: None,
                });
                return pieces;
            }
        }
    }
}

/// One comment page of a post: `limit` threads from the `offset`th.
#[derive(Debug, Clone, Copy, QueryId)]
pub(super) struct PageComments {
    pub post_id: i64,
    pub limit: i64,
    pub offset: i64,
}

impl PageComments {
    fn walk<'b, DB>(&'b self, pieces: &[Piece], mut out: AstPass<'_, 'b, DB>) -> QueryResult<()>
    where
        DB: Backend + diesel::sql_types::HasSqlType<BigInt>,
        i64: diesel::serialize::ToSql<BigInt, DB>,
    {
        for piece in pieces {
            out.push_sql(&piece.sql);
            match piece.parameter {
                Some(Parameter::Post) => out.push_bind_param::<BigInt, _>(&self.post_id)?,
                Some(Parameter::Limit) => out.push_bind_param::<BigInt, _>(&self.limit)?,
                Some(Parameter::Offset) => out.push_bind_param::<BigInt, _>(&self.offset)?,
                None => {}
            }
        }
        Ok(())
    }
}

impl Query for PageComments {
    type SqlType = Untyped;
}

impl QueryFragment<Sqlite> for PageComments {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        self.walk(&SQLITE, out)
    }
}

impl QueryFragment<Pg> for PageComments {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.walk(&POSTGRES, out)
    }
}

impl RunQueryDsl<SqliteConnection> for PageComments {}
impl RunQueryDsl<PgConnection> for PageComments {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_statement_is_cut_at_each_parameter_in_order() {
        let cut = pieces("a {post} b {limit} c {offset} d {post} e");
        let order: Vec<_> = cut
            .iter()
            .map(|piece| format!("{:?}", piece.parameter))
            .collect();
        assert_eq!(
            order,
            [
                "Some(Post)",
                "Some(Limit)",
                "Some(Offset)",
                "Some(Post)",
                "None"
            ]
        );
        let sql: String = cut.iter().map(|piece| piece.sql.as_str()).collect();
        assert_eq!(sql, "a  b  c  d  e");
        assert!(SQLITE
            .iter()
            .chain(POSTGRES.iter())
            .all(|piece| !piece.sql.contains('{')));
        assert_eq!(
            SQLITE
                .iter()
                .filter(|piece| piece.parameter.is_some())
                .count(),
            4
        );
    }
}
