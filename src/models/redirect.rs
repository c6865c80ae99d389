//! Old paths (renamed slugs, changed dates, imported WordPress URLs) that now
//! answer `301` to a post's current permalink.

use diesel::prelude::*;

use crate::db::schema::{posts, redirects};
use crate::db::AnyConnection;
use crate::models::post::{Post, PUBLISHED};
use crate::models::{is_unique_violation, now};

/// Records that `from_path` now means `post_id`; an existing record for the
/// same path is pointed at the new post.
pub fn record_redirect(conn: &mut AnyConnection, from_path: &str, post_id: i64) -> QueryResult<()> {
    // A savepoint: on PostgreSQL a failed insert would otherwise abort the
    // surrounding transaction (an import, a post save).
    let inserted = conn.transaction(|conn| {
        diesel::insert_into(redirects::table)
            .values((
                redirects::from_path.eq(from_path),
                redirects::post_id.eq(post_id),
                redirects::created_at.eq(now()),
            ))
            .execute(conn)
    });
    match inserted {
        Ok(_) => Ok(()),
        Err(error) if is_unique_violation(&error) => {
            diesel::update(redirects::table.filter(redirects::from_path.eq(from_path)))
                .set(redirects::post_id.eq(post_id))
                .execute(conn)?;
            Ok(())
        }
        Err(error) => Err(error),
    }
}

/// The published post an old path leads to, if any.
pub fn find_redirect_target(
    conn: &mut AnyConnection,
    from_path: &str,
) -> QueryResult<Option<Post>> {
    redirects::table
        .inner_join(posts::table)
        .filter(redirects::from_path.eq(from_path))
        .filter(posts::status.eq(PUBLISHED))
        .filter(posts::published_at.le(now()))
        .select(Post::as_select())
        .first(conn)
        .optional()
}
