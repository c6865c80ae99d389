//! What each content version changed (`page_retirements`), so every
//! process's page cache retires only the pages a change touched.
//!
//! A change bumps the content version (`setting::content_changed`) and
//! writes a row here in the same transaction: the version and the post
//! whose comments changed, or `EVERYTHING`. The version row is locked until
//! the change commits, so versions commit in order and a cache that has
//! applied version `v` needs exactly the rows after `v`.

use diesel::prelude::*;

use crate::db::schema::{page_retirements, settings};
use crate::db::AnyConnection;

/// The setting holding the content version (`setting::content_changed`
/// moves it).
pub const CONTENT_VERSION_KEY: &str = "content_version";

/// The current content version (0 before the migration that adds it).
pub fn current_version(conn: &mut AnyConnection) -> QueryResult<i64> {
    let value: Option<String> = settings::table
        .find(CONTENT_VERSION_KEY)
        .select(settings::value)
        .first(conn)
        .optional()?;
    Ok(value.and_then(|value| value.parse().ok()).unwrap_or(0))
}

/// The `post_id` of a change that may touch any page.
pub const EVERYTHING: i64 = 0;

/// Versions kept behind the newest: a cache further behind than this
/// retires everything instead (see `since`).
pub const KEPT_VERSIONS: i64 = 10_000;

/// The row `record` writes. Kept prepared: every comment runs it.
struct Record;

impl crate::db::fixed::FixedSql for Record {
    const POSTGRES: &'static str = "INSERT INTO page_retirements (version, post_id) \
         SELECT CAST(value AS BIGINT), ? FROM settings WHERE key = 'content_version' \
         ON CONFLICT DO NOTHING";
    const SQLITE: &'static str = Self::POSTGRES;
}

/// Records, for the content version this transaction set, that it changed
/// `post_id`'s comments (or `EVERYTHING`).
pub fn record(conn: &mut AnyConnection, post_id: i64) -> QueryResult<()> {
    crate::db::fixed::Fixed::<Record>::new(vec![post_id]).execute(conn)?;
    Ok(())
}

/// What changed between a cache's version and the database's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changes {
    /// The database's content version now.
    pub version: i64,
    /// Anything may have changed: a change said so, or the record does not
    /// reach back to the cache's version (pruned, or the database was
    /// restored to an older one).
    pub everything: bool,
    /// Posts whose comments changed.
    pub posts: Vec<i64>,
}

/// The changes after version `known`.
pub fn since(conn: &mut AnyConnection, known: i64) -> QueryResult<Changes> {
    // The version first: rows of changes committed after it wait for the next look.
    let version = current_version(conn)?;
    if version == known {
        return Ok(Changes {
            version,
            everything: false,
            posts: Vec::new(),
        });
    }
    let everything = Changes {
        version,
        everything: true,
        posts: Vec::new(),
    };
    if version < known || version - known > KEPT_VERSIONS {
        return Ok(everything);
    }
    let rows: Vec<(i64, i64)> = page_retirements::table
        .filter(page_retirements::version.gt(known))
        .filter(page_retirements::version.le(version))
        .order(page_retirements::version.asc())
        .select((page_retirements::version, page_retirements::post_id))
        .load(conn)?;
    Ok(read_changes(known, version, &rows).unwrap_or(everything))
}

/// The posts the rows name, if they account for every version after
/// `known` up to `version` and none changed everything.
fn read_changes(known: i64, version: i64, rows: &[(i64, i64)]) -> Option<Changes> {
    let mut expected = known + 1;
    let mut posts = Vec::new();
    for (row_version, post_id) in rows {
        if *row_version == expected {
            expected += 1;
        } else if *row_version != expected - 1 {
            return None;
        }
        if *post_id == EVERYTHING {
            return None;
        }
        posts.push(*post_id);
    }
    if expected != version + 1 {
        return None;
    }
    posts.sort_unstable();
    posts.dedup();
    Some(Changes {
        version,
        everything: false,
        posts,
    })
}

/// Forgets the changes older than `KEPT_VERSIONS` behind `version`.
pub fn prune(conn: &mut AnyConnection, version: i64) -> QueryResult<usize> {
    diesel::delete(
        page_retirements::table.filter(page_retirements::version.le(version - KEPT_VERSIONS)),
    )
    .execute(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixed_statements_name_the_content_version() {
        use crate::db::fixed::FixedSql;
        let named = format!("key = '{CONTENT_VERSION_KEY}'");
        assert!(Record::POSTGRES.contains(&named));
        let bump = crate::models::setting::BumpVersion::POSTGRES;
        assert!(bump.contains(&named));
        assert!(crate::models::setting::BumpVersion::SQLITE.contains(&named));
    }

    #[test]
    fn changes_name_their_posts_only_when_every_version_is_accounted_for() {
        let posts = |changes: Option<Changes>| changes.map(|changes| changes.posts);
        assert_eq!(
            posts(read_changes(4, 6, &[(5, 9), (6, 3), (6, 9)])),
            Some(vec![3, 9])
        );
        // A version missing (pruned, or never recorded), one too many, one everything.
        assert_eq!(posts(read_changes(4, 6, &[(6, 3)])), None);
        assert_eq!(posts(read_changes(4, 6, &[(5, 3)])), None);
        assert_eq!(posts(read_changes(4, 6, &[(5, 3), (6, EVERYTHING)])), None);
        assert_eq!(posts(read_changes(4, 5, &[(5, 3), (7, 3)])), None);
        assert_eq!(posts(read_changes(4, 4, &[])), Some(vec![]));
    }
}
