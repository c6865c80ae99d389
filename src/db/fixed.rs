//! Statements every published comment runs, kept prepared.
//!
//! Diesel keeps a statement prepared on its connection only when it cannot
//! vary: never an `UPDATE` (its `SET` list could be any subset of columns),
//! an upsert, or anything holding literal SQL. Those are parsed and planned
//! anew at every execution — on PostgreSQL a parse and a custom plan each
//! time, a fifth of the server's work for a published comment. The few that
//! run with every comment are written out here instead, with their SQL fixed
//! per backend (`FixedSql`) and only `BIGINT` parameters bound, so each
//! connection prepares them once. Still parameterised: the values go as
//! binds, never into the text.

use std::marker::PhantomData;

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::BigInt;
use diesel::sqlite::Sqlite;
use diesel::{QueryResult, RunQueryDsl};

use crate::db::AnyConnection;

/// A statement's SQL for each backend, with `?` where each bound value goes
/// (diesel writes the backend's placeholder there). Nothing else in it may
/// be a `?`. Empty for a backend that has no such statement: running it
/// there is an error.
pub trait FixedSql: 'static {
    const POSTGRES: &'static str;
    const SQLITE: &'static str;
}

/// `S`'s statement with these values bound, in order.
pub struct Fixed<S> {
    binds: Vec<i64>,
    statement: PhantomData<S>,
}

impl<S: FixedSql> Fixed<S> {
    pub fn new(binds: Vec<i64>) -> Fixed<S> {
        Fixed {
            binds,
            statement: PhantomData,
        }
    }

    /// Runs it on whichever backend `conn` is; the rows it changed.
    pub fn execute(self, conn: &mut AnyConnection) -> QueryResult<usize> {
        match conn {
            AnyConnection::Postgresql(pg) => RunQueryDsl::execute(self, pg),
            AnyConnection::Sqlite(sqlite) => RunQueryDsl::execute(self, sqlite),
        }
    }

    fn walk<'b, DB>(&'b self, sql: &'static str, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()>
    where
        DB: diesel::backend::Backend + diesel::sql_types::HasSqlType<BigInt>,
        i64: diesel::serialize::ToSql<BigInt, DB>,
    {
        if sql.is_empty() {
            return Err(diesel::result::Error::QueryBuilderError(
                "a fixed statement this backend does not have".into(),
            ));
        }
        let mut pieces = sql.split('?');
        out.push_sql(pieces.next().unwrap_or_default());
        let mut binds = self.binds.iter();
        for piece in pieces {
            let bind = binds.next().ok_or_else(|| {
                diesel::result::Error::QueryBuilderError("a fixed statement lacks a value".into())
            })?;
            out.push_bind_param::<BigInt, i64>(bind)?;
            out.push_sql(piece);
        }
        match binds.next() {
            None => Ok(()),
            Some(_) => Err(diesel::result::Error::QueryBuilderError(
                "a fixed statement has a value too many".into(),
            )),
        }
    }
}

impl<S: FixedSql> QueryFragment<Pg> for Fixed<S> {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        self.walk(S::POSTGRES, out)
    }
}

impl<S: FixedSql> QueryFragment<Sqlite> for Fixed<S> {
    fn walk_ast<'b>(&'b self, out: AstPass<'_, 'b, Sqlite>) -> QueryResult<()> {
        self.walk(S::SQLITE, out)
    }
}

/// Its type names it: the connection's statement cache keys it by `S`.
impl<S: FixedSql> QueryId for Fixed<S> {
    type QueryId = S;
    const HAS_STATIC_QUERY_ID: bool = true;
}

impl<S, Conn> RunQueryDsl<Conn> for Fixed<S> {}

#[cfg(test)]
mod tests {
    use diesel::prelude::*;

    use super::*;

    struct AddTo;
    impl FixedSql for AddTo {
        const POSTGRES: &'static str = "UPDATE numbers SET n = n + ? WHERE id = ?";
        const SQLITE: &'static str = "UPDATE numbers SET n = n + ? WHERE id = ?";
    }

    /// A statement PostgreSQL alone has.
    struct PostgresOnly;
    impl FixedSql for PostgresOnly {
        const POSTGRES: &'static str = "UPDATE numbers SET n = n + ? WHERE id = ?";
        const SQLITE: &'static str = "";
    }

    #[derive(QueryableByName)]
    struct Number {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }

    fn number(conn: &mut AnyConnection, id: i64) -> Option<i64> {
        let AnyConnection::Sqlite(sqlite) = conn else {
            return None;
        };
        diesel::sql_query("SELECT n FROM numbers WHERE id = ?")
            .bind::<BigInt, _>(id)
            .get_result::<Number>(sqlite)
            .ok()
            .map(|row| row.n)
    }

    #[test]
    fn values_go_where_the_marks_are_and_must_match_them() {
        let mut sqlite = SqliteConnection::establish(":memory:").expect("in memory");
        diesel::sql_query("CREATE TABLE numbers (id BIGINT PRIMARY KEY, n BIGINT NOT NULL)")
            .execute(&mut sqlite)
            .expect("table");
        diesel::sql_query("INSERT INTO numbers VALUES (1, 10), (2, 20)")
            .execute(&mut sqlite)
            .expect("rows");
        let mut conn = AnyConnection::Sqlite(sqlite);
        assert_eq!(
            Fixed::<AddTo>::new(vec![5, 2]).execute(&mut conn).ok(),
            Some(1)
        );
        assert_eq!(
            Fixed::<AddTo>::new(vec![7, 2]).execute(&mut conn).ok(),
            Some(1)
        );
        assert_eq!(
            Fixed::<AddTo>::new(vec![5, 3]).execute(&mut conn).ok(),
            Some(0)
        );
        assert_eq!(
            (number(&mut conn, 1), number(&mut conn, 2)),
            (Some(10), Some(32))
        );
        assert!(Fixed::<AddTo>::new(vec![5]).execute(&mut conn).is_err());
        assert!(Fixed::<AddTo>::new(vec![5, 2, 1])
            .execute(&mut conn)
            .is_err());
        assert_eq!(number(&mut conn, 2), Some(32));
        // Not a statement of this backend: an error, nothing run.
        assert!(Fixed::<PostgresOnly>::new(vec![5, 2])
            .execute(&mut conn)
            .is_err());
        assert_eq!(number(&mut conn, 2), Some(32));
    }
}
