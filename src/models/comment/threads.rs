//! Which comment page a comment is on, without reading the thread.
//!
//! Comment pages hold `per_page` top-level threads each (see
//! `render::thread`). A comment is on the page of its thread's first comment,
//! and that page follows from how many threads start before it. So each
//! comment keeps whether it starts a thread for everyone (`thread_start`:
//! approved, and its parent not shown before it) and each post how many do
//! (`posts.thread_count`), both changed in the same transaction as the
//! comments they follow. Working out a page is then a walk up the comment's
//! ancestors (one primary-key read each) and one count over the threads
//! started after the thread's first comment — none at all for a new thread,
//! the common case.
//!
//! A visitor also sees their own held comments: those few are read by id
//! and put in their places in memory.

use std::collections::HashMap;

use diesel::prelude::*;

use crate::db::schema::{comments, posts};
use crate::db::AnyConnection;
use crate::domain::CommentStatus;
use crate::models::post::Post;
use crate::render::thread::CommentPaging;

/// Ancestors followed at most: a deeper chain of replies is taken as
/// starting there (its page may then be early).
const MAX_WALK: usize = 10_000;

/// Where a comment sorts on its post's pages: oldest first, then by id.
type Key = (i64, i64);

/// What placing a comment needs to know about it.
#[derive(Debug, Clone, Copy, Queryable, Selectable)]
#[diesel(table_name = comments)]
struct Facts {
    id: i64,
    post_id: i64,
    parent_id: Option<i64>,
    status: CommentStatus,
    created_at: i64,
}

impl Facts {
    fn key(&self) -> Key {
        (self.created_at, self.id)
    }
}

/// The facts of these comments, by id (no query for none).
fn facts_by_id(conn: &mut AnyConnection, ids: &[i64]) -> QueryResult<HashMap<i64, Facts>> {
    let found: Vec<Facts> = match ids {
        [] => return Ok(HashMap::new()),
        // One id (a new reply's parent) is a statement diesel keeps
        // prepared; an IN list is parsed anew each time.
        [id] => comments::table
            .find(*id)
            .select(Facts::as_select())
            .load(conn)?,
        _ => comments::table
            .filter(comments::id.eq_any(ids))
            .select(Facts::as_select())
            .load(conn)?,
    };
    Ok(found.into_iter().map(|facts| (facts.id, facts)).collect())
}

/// Whether `comment` starts a thread for everyone: it is approved, and its
/// parent (if any) is not an approved comment of the same post shown before it.
fn starts_thread(comment: &Facts, parent: Option<&Facts>) -> bool {
    comment.status.is_approved()
        && !parent.is_some_and(|parent| {
            parent.post_id == comment.post_id
                && parent.status.is_approved()
                && parent.key() < comment.key()
        })
}

/// The comments of `post_id` that start a thread, from the one at
/// (`created_at`, `id`) on. The `>=` is the index range: the `or` alone
/// (two parameters for one column) leaves the planner none, and it counted
/// every thread of the post. Unboxed, so diesel keeps it prepared.
#[diesel::dsl::auto_type]
fn thread_starts_from(post_id: i64, created_at: i64, id: i64) -> _ {
    let starts: bool = true;
    comments::table
        .filter(comments::post_id.eq(post_id))
        .filter(comments::thread_start.eq(starts))
        .filter(comments::created_at.ge(created_at))
        .filter(
            comments::created_at
                .gt(created_at)
                .or(comments::created_at.eq(created_at).and(comments::id.ge(id))),
        )
}

/// One post's comments as one visitor sees them: the approved ones, and
/// their own held ones.
struct View {
    post_id: i64,
    /// The post's kept count of threads everyone sees.
    thread_count: i64,
    /// The visitor's own comments on this post that are not approved.
    held: HashMap<i64, Facts>,
}

impl View {
    fn new(conn: &mut AnyConnection, post: &Post, held_ids: &[i64]) -> QueryResult<View> {
        // By primary key alone: a filter on the post would tempt the
        // planner into the post's whole (growing) range of held comments.
        let mut held = facts_by_id(conn, held_ids)?;
        held.retain(|_, facts| facts.post_id == post.id && !facts.status.is_approved());
        Ok(View {
            post_id: post.id,
            thread_count: post.thread_count,
            held,
        })
    }

    fn shows(&self, comment: &Facts) -> bool {
        comment.post_id == self.post_id
            && (comment.status.is_approved() || self.held.contains_key(&comment.id))
    }

    fn facts(&self, conn: &mut AnyConnection, id: i64) -> QueryResult<Option<Facts>> {
        if let Some(held) = self.held.get(&id) {
            return Ok(Some(*held));
        }
        comments::table
            .find(id)
            .select(Facts::as_select())
            .first(conn)
            .optional()
    }

    /// The first comment of the thread `comment` (shown) is in.
    fn thread_of(&self, conn: &mut AnyConnection, comment: Facts) -> QueryResult<Facts> {
        let mut current = comment;
        for _ in 0..MAX_WALK {
            let Some(parent_id) = current.parent_id else {
                break;
            };
            match self.facts(conn, parent_id)? {
                Some(parent) if self.shows(&parent) && parent.key() < current.key() => {
                    current = parent;
                }
                _ => break,
            }
        }
        Ok(current)
    }

    /// How many threads this visitor sees start before `before` (all of
    /// them for `None`).
    fn threads_before(&self, conn: &mut AnyConnection, before: Option<Key>) -> QueryResult<i64> {
        let counts = |key: Key| before.is_none_or(|before| key < before);
        // Everyone's threads: the kept count, less those from `before` on.
        let mut threads = self.thread_count;
        if let Some((created_at, id)) = before {
            let from_here: i64 = thread_starts_from(self.post_id, created_at, id)
                .count()
                .get_result(conn)?;
            threads -= from_here;
        }
        if self.held.is_empty() {
            return Ok(threads.max(0));
        }
        // The visitor's held comments that start threads of their own...
        for held in self.held.values() {
            if counts(held.key()) && self.thread_of(conn, *held)?.id == held.id {
                threads += 1;
            }
        }
        // ...and approved replies to them, which everyone else sees as
        // threads but this visitor sees under their comment.
        let replies: Vec<Facts> = comments::table
            .filter(comments::parent_id.eq_any(self.held.keys().copied().collect::<Vec<_>>()))
            .filter(comments::status.eq(CommentStatus::Approved))
            .select(Facts::as_select())
            .load(conn)?;
        for reply in replies {
            let nested = reply
                .parent_id
                .and_then(|id| self.held.get(&id))
                .is_some_and(|parent| reply.post_id == self.post_id && parent.key() < reply.key());
            if nested && counts(reply.key()) {
                threads -= 1;
            }
        }
        Ok(threads.max(0))
    }

    /// The page showing the thread that starts with `first` (`None`: a
    /// thread started after every other).
    fn page_of_thread(
        &self,
        conn: &mut AnyConnection,
        first: Option<Key>,
        paging: CommentPaging,
    ) -> QueryResult<usize> {
        Ok(page_after(self.threads_before(conn, first)?, paging))
    }
}

/// The page of a thread with `before` threads before it.
fn page_after(before: i64, paging: CommentPaging) -> usize {
    usize::try_from(before).unwrap_or(0) / paging.per_page.max(1) + 1
}

/// The comment page showing `comment_id` to a visitor who also sees
/// `own_held_ids` (the comment itself counts as shown). Page 1 for a
/// comment not on this post.
pub(super) fn page_of_comment(
    conn: &mut AnyConnection,
    post: &Post,
    comment_id: i64,
    own_held_ids: &[i64],
    paging: CommentPaging,
) -> QueryResult<usize> {
    let mut shown = own_held_ids.to_vec();
    shown.push(comment_id);
    let view = View::new(conn, post, &shown)?;
    let Some(comment) = view
        .facts(conn, comment_id)?
        .filter(|facts| view.shows(facts))
    else {
        return Ok(1);
    };
    let first = view.thread_of(conn, comment)?;
    view.page_of_thread(conn, Some(first.key()), paging)
}

/// An approved comment as a listing read it: its post and kept thread
/// count, its id, parent and time.
#[derive(Debug, Clone, Copy)]
pub(super) struct ApprovedRow {
    pub post_id: i64,
    pub thread_count: i64,
    pub id: i64,
    pub parent_id: Option<i64>,
    pub created_at: i64,
}

/// Threads read at most, per post, to place several of its comments at
/// once; past that each comment's are counted by the database instead.
const THREADS_READ_AT_MOST: i64 = 200;

/// The comment pages everyone sees these approved comments on, by id: what
/// the rows say, so nothing is read again but each comment's ancestors and
/// the threads after its own. For several comments of one post (the
/// sidebar's recent comments after a storm of them, a post's comment
/// feed) those threads are read once, from the earliest of theirs, and
/// counted here: one statement, not one count per comment.
pub(super) fn pages_of_approved(
    conn: &mut AnyConnection,
    rows: &[ApprovedRow],
    paging: CommentPaging,
) -> QueryResult<HashMap<i64, usize>> {
    let mut firsts = Vec::with_capacity(rows.len());
    for row in rows {
        let view = View {
            post_id: row.post_id,
            thread_count: row.thread_count,
            held: HashMap::new(),
        };
        let comment = Facts {
            id: row.id,
            post_id: row.post_id,
            parent_id: row.parent_id,
            status: CommentStatus::Approved,
            created_at: row.created_at,
        };
        firsts.push((*row, view.thread_of(conn, comment)?.key()));
    }
    let mut post_ids: Vec<i64> = rows.iter().map(|row| row.post_id).collect();
    post_ids.sort_unstable();
    post_ids.dedup();
    let mut pages = HashMap::with_capacity(rows.len());
    for post_id in post_ids {
        let of_post: Vec<(ApprovedRow, Key)> = firsts
            .iter()
            .filter(|(row, _)| row.post_id == post_id)
            .copied()
            .collect();
        let Some(&(earliest_row, _)) = of_post.first() else {
            continue;
        };
        let view = View {
            post_id,
            thread_count: earliest_row.thread_count,
            held: HashMap::new(),
        };
        let earliest = of_post.iter().map(|(_, first)| *first).min();
        let starts: Option<Vec<Key>> = match (of_post.len(), earliest) {
            (2.., Some((created_at, id))) => {
                let starts: Vec<Key> = thread_starts_from(post_id, created_at, id)
                    .order((comments::created_at.asc(), comments::id.asc()))
                    .select((comments::created_at, comments::id))
                    .limit(THREADS_READ_AT_MOST + 1)
                    .load(conn)?;
                (starts.len() as i64 <= THREADS_READ_AT_MOST).then_some(starts)
            }
            _ => None,
        };
        for (row, first) in of_post {
            let page = match &starts {
                Some(starts) => {
                    let from_here = starts.iter().filter(|start| **start >= first).count() as i64;
                    page_after((view.thread_count - from_here).max(0), paging)
                }
                None => view.page_of_thread(conn, Some(first), paging)?,
            };
            pages.insert(row.id, page);
        }
    }
    Ok(pages)
}

/// The comment page a comment about to be posted will be on: as a reply to
/// `parent_id` (an approved comment of this post), or a new thread.
pub(super) fn page_of_new_comment(
    conn: &mut AnyConnection,
    post: &Post,
    parent_id: Option<i64>,
    own_held_ids: &[i64],
    paging: CommentPaging,
) -> QueryResult<usize> {
    let view = View::new(conn, post, own_held_ids)?;
    let parent = match parent_id {
        Some(id) => view.facts(conn, id)?.filter(|facts| view.shows(facts)),
        None => None,
    };
    // The newest comment of all: a reply is in its parent's thread.
    let first = match parent {
        Some(parent) => Some(view.thread_of(conn, parent)?.key()),
        None => None,
    };
    view.page_of_thread(conn, first, paging)
}

/// Whether a comment about to be stored on `post_id` at `created_at`, in
/// reply to `parent_id`, starts a thread for everyone once approved: the
/// rule of `starts_thread`, worked out before the row exists (a new comment
/// has no replies yet, and sorts after its parent at the same second: its
/// id will be the larger).
pub(super) fn new_comment_starts_thread(
    conn: &mut AnyConnection,
    post_id: i64,
    parent_id: Option<i64>,
    created_at: i64,
) -> QueryResult<bool> {
    let parent = match parent_id {
        Some(id) => facts_by_id(conn, &[id])?.remove(&id),
        None => None,
    };
    let comment = Facts {
        id: i64::MAX,
        post_id,
        parent_id,
        status: CommentStatus::Approved,
        created_at,
    };
    Ok(starts_thread(&comment, parent.as_ref()))
}

/// Brings `thread_start` and the posts' thread counts up to date after the
/// comments `changed` were added, moved between statuses or lost their
/// parent: only they and their replies can start or stop starting a thread.
pub(super) fn retally(conn: &mut AnyConnection, changed: &[i64]) -> QueryResult<()> {
    if changed.is_empty() {
        return Ok(());
    }
    // A new comment is one id: statements diesel keeps prepared (an IN
    // list is parsed anew each time, a tenth of the writer's work).
    type Rows = Vec<(Facts, bool)>;
    let (mut rows, replies): (Rows, Rows) = match changed {
        [id] => (
            comments::table
                .find(*id)
                .select((Facts::as_select(), comments::thread_start))
                .load(conn)?,
            comments::table
                .filter(comments::parent_id.eq(*id))
                .select((Facts::as_select(), comments::thread_start))
                .load(conn)?,
        ),
        _ => (
            comments::table
                .filter(comments::id.eq_any(changed))
                .select((Facts::as_select(), comments::thread_start))
                .load(conn)?,
            comments::table
                .filter(comments::parent_id.eq_any(changed))
                .select((Facts::as_select(), comments::thread_start))
                .load(conn)?,
        ),
    };
    rows.extend(replies);
    let mut parent_ids: Vec<i64> = rows.iter().filter_map(|(row, _)| row.parent_id).collect();
    parent_ids.sort_unstable();
    parent_ids.dedup();
    let parents = facts_by_id(conn, &parent_ids)?;
    let mut moved: HashMap<i64, i64> = HashMap::new();
    let mut seen = std::collections::HashSet::new();
    for (row, was) in rows {
        if !seen.insert(row.id) {
            continue;
        }
        let now = starts_thread(&row, row.parent_id.and_then(|id| parents.get(&id)));
        if now == was {
            continue;
        }
        diesel::update(comments::table.find(row.id))
            .set(comments::thread_start.eq(now))
            .execute(conn)?;
        *moved.entry(row.post_id).or_default() += if now { 1 } else { -1 };
    }
    for (post_id, by) in moved {
        diesel::update(posts::table.find(post_id))
            .set(posts::thread_count.eq(posts::thread_count + by))
            .execute(conn)?;
    }
    Ok(())
}

/// Whether a comment starts a thread, as SQL over the `comments` row being
/// updated (the same rule as `starts_thread`).
const STARTS_THREAD_SQL: &str = "status = 'approved' AND NOT EXISTS (\
     SELECT 1 FROM comments parent WHERE parent.id = comments.parent_id \
     AND parent.post_id = comments.post_id AND parent.status = 'approved' \
     AND (parent.created_at < comments.created_at \
     OR (parent.created_at = comments.created_at AND parent.id < comments.id)))";

/// Sets posts' approved and thread counts from their comments.
const UPDATE_COUNTS_SQL: &str = "UPDATE posts SET \
     comment_count = (SELECT COUNT(*) FROM comments WHERE comments.post_id = posts.id AND comments.status = 'approved'), \
     thread_count = (SELECT COUNT(*) FROM comments WHERE comments.post_id = posts.id AND comments.thread_start)";

/// Works out a post's thread starts, thread count and approved count from
/// its comments (after an import writes them in bulk).
pub(super) fn recount_post(conn: &mut AnyConnection, post_id: i64) -> QueryResult<()> {
    use diesel::sql_types::BigInt;
    let update_starts =
        format!("UPDATE comments SET thread_start = ({STARTS_THREAD_SQL}) WHERE post_id = ");
    let update_counts = format!("{UPDATE_COUNTS_SQL} WHERE id = ");
    for statement in [update_starts, update_counts] {
        match conn {
            AnyConnection::Sqlite(conn) => diesel::sql_query(format!("{statement}?"))
                .bind::<BigInt, _>(post_id)
                .execute(conn)?,
            AnyConnection::Postgresql(conn) => diesel::sql_query(format!("{statement}$1"))
                .bind::<BigInt, _>(post_id)
                .execute(conn)?,
        };
    }
    Ok(())
}

/// Works out every post's thread starts and counts (after a bulk load that
/// bypassed the models, as the benchmark's seeding does).
pub fn recount_all_posts(conn: &mut AnyConnection) -> QueryResult<()> {
    diesel::sql_query(format!(
        "UPDATE comments SET thread_start = ({STARTS_THREAD_SQL})"
    ))
    .execute(conn)?;
    diesel::sql_query(UPDATE_COUNTS_SQL).execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(id: i64, parent_id: Option<i64>, status: CommentStatus, created_at: i64) -> Facts {
        Facts {
            id,
            post_id: 1,
            parent_id,
            status,
            created_at,
        }
    }

    #[test]
    fn a_comment_starts_a_thread_unless_its_parent_is_shown_before_it() {
        use CommentStatus::{Approved, Pending};
        let parent = facts(1, None, Approved, 100);
        assert!(starts_thread(&parent, None));
        assert!(!starts_thread(
            &facts(2, Some(1), Approved, 200),
            Some(&parent)
        ));
        // Held: nobody sees it, so it starts nothing (for everyone).
        assert!(!starts_thread(
            &facts(2, Some(1), Pending, 200),
            Some(&parent)
        ));
        // A held parent, a parent that sorts after, a parent on another post.
        let held = facts(1, None, Pending, 100);
        assert!(starts_thread(
            &facts(2, Some(1), Approved, 200),
            Some(&held)
        ));
        assert!(starts_thread(
            &facts(2, Some(1), Approved, 50),
            Some(&parent)
        ));
        assert!(starts_thread(
            &facts(0, Some(1), Approved, 100),
            Some(&parent)
        ));
        assert!(!starts_thread(
            &facts(2, Some(1), Approved, 100),
            Some(&parent)
        ));
        let elsewhere = Facts {
            post_id: 2,
            ..parent
        };
        assert!(starts_thread(
            &facts(2, Some(1), Approved, 200),
            Some(&elsewhere)
        ));
        // A parent deleted for good.
        assert!(starts_thread(&facts(2, Some(1), Approved, 200), None));
    }
}
