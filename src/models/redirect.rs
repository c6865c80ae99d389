//! Old paths (renamed slugs, changed dates, imported WordPress URLs) that now
//! answer `301` to a post's current permalink.

use diesel::prelude::*;

use crate::db::schema::redirects;
use crate::db::AnyConnection;
use crate::models::now;

/// Records that `from_path` now means `post_id`; an existing record for the
/// same path is pointed at the new post.
pub fn record_redirect(conn: &mut AnyConnection, from_path: &str, post_id: i64) -> QueryResult<()> {
    // One upsert, no savepoint: an import records thousands of these in one
    // transaction, and PostgreSQL slows down on every row it then touches
    // once a transaction has had more than 64 subtransactions.
    let record = diesel::insert_into(redirects::table)
        .values((
            redirects::from_path.eq(from_path),
            redirects::post_id.eq(post_id),
            redirects::created_at.eq(now()),
        ))
        .on_conflict(redirects::from_path)
        .do_update()
        .set(redirects::post_id.eq(post_id));
    match conn {
        AnyConnection::Postgresql(pg) => record.execute(pg)?,
        AnyConnection::Sqlite(sqlite) => record.execute(sqlite)?,
    };
    Ok(())
}
