//! Comments: saving a reader's comment (a duplicate is refused by the unique
//! index, not by a read-then-write check), and what a post page shows.

use crate::domain::spam::SpamInput;
use crate::models::spam::{teach, Lesson};
use diesel::prelude::*;

use crate::db::schema::{comment_counts, comments, posts};
use crate::db::AnyConnection;
use crate::domain::moderation::Verdict;
use crate::domain::CommentStatus;
use crate::models::lower;
use crate::models::{is_unique_violation, now};
use crate::render::thread::{comment_link, CommentPaging};

mod page_query;
mod threads;
pub use threads::recount_all_posts;

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = comments)]
pub struct Comment {
    pub id: i64,
    pub post_id: i64,
    pub parent_id: Option<i64>,
    pub author_name: String,
    pub author_email: String,
    pub author_url: String,
    pub author_ip: String,
    pub user_agent: String,
    pub user_id: Option<i64>,
    pub body_source: String,
    pub body_html: String,
    pub status: CommentStatus,
    pub status_before_trash: Option<CommentStatus>,
    pub dedupe_key: Option<String>,
    pub wp_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// `comment`, or `pingback`/`trackback` (imported: shown compactly).
    pub comment_type: String,
    /// The spam filter's score when it arrived (0.5: not scored).
    pub spam_score: f64,
    /// The tokens that moved the score most (the queue's "Why?").
    pub spam_why: String,
}

impl Comment {
    /// What the spam filter reads in it.
    pub fn spam_input(&self) -> SpamInput<'_> {
        SpamInput {
            body: &self.body_source,
            author: &self.author_name,
            url: &self.author_url,
            ip: &self.author_ip,
        }
    }

    /// A pingback or trackback: another site's link, not a reader's words.
    pub fn is_ping(&self) -> bool {
        self.comment_type != "comment"
    }
}

/// A comment ready to store: validated, rendered and judged.
#[derive(Debug, Clone)]
pub struct NewComment {
    pub post_id: i64,
    pub parent_id: Option<i64>,
    pub author_name: String,
    pub author_email: String,
    pub author_url: String,
    pub author_ip: String,
    pub user_agent: String,
    pub user_id: Option<i64>,
    pub body_source: String,
    pub body_html: String,
    pub verdict: Verdict,
    /// Keyed hash of (email, text): equal for a resubmission of the same comment.
    pub dedupe_key: Option<String>,
    pub spam_score: f64,
    pub spam_why: String,
}

#[derive(Debug, thiserror::Error)]
pub enum CreateCommentError {
    #[error("duplicate comment")]
    Duplicate,
    #[error(transparent)]
    Database(diesel::result::Error),
}

impl From<diesel::result::Error> for CreateCommentError {
    fn from(error: diesel::result::Error) -> CreateCommentError {
        if is_unique_violation(&error) {
            CreateCommentError::Duplicate
        } else {
            CreateCommentError::Database(error)
        }
    }
}

/// Stores a comment, in the caller's transaction; an approved one counts on
/// its post at once. One round trip: the row comes back by `RETURNING`.
pub fn create_comment(
    conn: &mut AnyConnection,
    new_comment: &NewComment,
) -> Result<Comment, CreateCommentError> {
    let created_at = now();
    let approved = new_comment.verdict == Verdict::Approved;
    // Worked out before the insert, so the new row is written once (on
    // PostgreSQL an update of it would write all its index entries again).
    let starts_thread = approved
        && threads::new_comment_starts_thread(
            conn,
            new_comment.post_id,
            new_comment.parent_id,
            created_at,
        )?;
    let values = (
        comments::post_id.eq(new_comment.post_id),
        comments::parent_id.eq(new_comment.parent_id),
        comments::author_name.eq(&new_comment.author_name),
        comments::author_email.eq(&new_comment.author_email),
        comments::author_url.eq(&new_comment.author_url),
        comments::author_ip.eq(&new_comment.author_ip),
        comments::user_agent.eq(&new_comment.user_agent),
        comments::user_id.eq(new_comment.user_id),
        comments::body_source.eq(&new_comment.body_source),
        comments::body_html.eq(&new_comment.body_html),
        comments::status.eq(CommentStatus::from(new_comment.verdict)),
        comments::dedupe_key.eq(&new_comment.dedupe_key),
        comments::spam_score.eq(new_comment.spam_score),
        comments::spam_why.eq(&new_comment.spam_why),
        comments::created_at.eq(created_at),
        comments::updated_at.eq(created_at),
        comments::thread_start.eq(starts_thread),
    );
    // The same statement, typed for each backend (`RETURNING` is not part of
    // the multi-backend connection).
    let comment: Comment = match conn {
        AnyConnection::Postgresql(pg) => diesel::insert_into(comments::table)
            .values(values)
            .returning(Comment::as_returning())
            .get_result(pg)?,
        AnyConnection::Sqlite(sqlite) => diesel::insert_into(comments::table)
            .values(values)
            .returning(Comment::as_returning())
            .get_result(sqlite)?,
    };
    if approved {
        count_approved(conn, new_comment.post_id, 1, i64::from(starts_thread))?;
    }
    Ok(comment)
}

/// Works out a post's counts (`comment_count`, `thread_count`) from its
/// comments, after an import wrote them in bulk.
pub fn recount_approved(conn: &mut AnyConnection, post_id: i64) -> QueryResult<()> {
    crate::models::setting::content_changed(conn)?;
    threads::recount_post(conn, post_id)
}

/// Moves a post's approved count by `by` and its thread count by
/// `threads` (kept, never recounted: a post with many comments costs no
/// more to comment on).
fn count_approved(
    conn: &mut AnyConnection,
    post_id: i64,
    by: i64,
    threads: i64,
) -> QueryResult<()> {
    // Whatever changes the approved set changes pages readers see.
    match conn {
        AnyConnection::Postgresql(_) => {
            crate::db::fixed::Fixed::<CountedChange>::new(vec![by, threads, post_id, post_id])
                .execute(conn)?;
        }
        // In-process, statements of their own cost no trip.
        AnyConnection::Sqlite(_) => {
            crate::models::setting::comments_changed(conn, post_id)?;
            crate::db::fixed::Fixed::<CountOnPost>::new(vec![by, threads, post_id])
                .execute(conn)?;
        }
    }
    Ok(())
}

/// `count_approved`'s statement on SQLite, kept prepared: every published
/// comment runs it.
struct CountOnPost;

impl crate::db::fixed::FixedSql for CountOnPost {
    const POSTGRES: &'static str = "UPDATE posts \
         SET comment_count = comment_count + ?, thread_count = thread_count + ? WHERE id = ?";
    const SQLITE: &'static str = Self::POSTGRES;
}

/// `count_approved` on PostgreSQL in one trip to the server instead of
/// three: `setting::comments_changed` (the content version bumped once per
/// transaction, the change recorded for it) and the post's counts moved,
/// as one statement. The version recorded is the one bumped, or, when this
/// transaction bumped it already, the one it holds (a statement sees what
/// its transaction wrote before, not what its own parts write). The
/// version's row is locked before the post's, as every writer locks them.
struct CountedChange;

impl crate::db::fixed::FixedSql for CountedChange {
    const POSTGRES: &'static str = "WITH bumped AS ( \
           UPDATE settings SET value = CAST(CAST(value AS BIGINT) + 1 AS TEXT) \
           WHERE key = 'content_version' \
           AND xmin::text::bigint <> pg_current_xact_id()::text::bigint % 4294967296 \
           RETURNING CAST(value AS BIGINT) AS version), \
         counted AS ( \
           UPDATE posts SET comment_count = comment_count + ?, thread_count = thread_count + ? \
           WHERE id = ?) \
         INSERT INTO page_retirements (version, post_id) \
         SELECT COALESCE((SELECT version FROM bumped), \
           (SELECT CAST(value AS BIGINT) FROM settings WHERE key = 'content_version')), ? \
         ON CONFLICT DO NOTHING";
    const SQLITE: &'static str = "";
}

/// Moves a comment to `status` (approved, pending, spam or trash), keeping
/// its post's count right. Trash remembers the status to restore, and frees
/// the text for a new submission.
pub fn set_comment_status(
    conn: &mut AnyConnection,
    comment_id: i64,
    status: CommentStatus,
) -> QueryResult<Comment> {
    move_comment(conn, comment_id, status, true)
}

/// As `set_comment_status`; `teaches`: whether this is a moderator's
/// decision the spam filter learns from (an author's own edit or deletion
/// is not).
fn move_comment(
    conn: &mut AnyConnection,
    comment_id: i64,
    status: CommentStatus,
    teaches: bool,
) -> QueryResult<Comment> {
    crate::db::write_transaction(conn, |conn| {
        let comment: Comment = comments::table
            .find(comment_id)
            .select(Comment::as_select())
            .first(conn)?;
        // Trashed again (a form sent twice), it keeps what it was before.
        let before_trash = match (status, comment.status) {
            (CommentStatus::Trash, CommentStatus::Trash) => comment.status_before_trash,
            (CommentStatus::Trash, was) => Some(was),
            _ => None,
        };
        diesel::update(comments::table.find(comment_id))
            .set((
                comments::status.eq(status),
                comments::status_before_trash.eq(before_trash),
                comments::updated_at.eq(now()),
            ))
            .execute(conn)?;
        if status == CommentStatus::Trash {
            diesel::update(comments::table.find(comment_id))
                .set(comments::dedupe_key.eq(None::<String>))
                .execute(conn)?;
        }
        let by = i64::from(status.is_approved()) - i64::from(comment.status.is_approved());
        if by != 0 {
            count_approved(conn, comment.post_id, by, 0)?;
            threads::retally(conn, &[comment_id])?;
        }
        // A moderator's decision teaches the spam filter (staff replies
        // teach nothing).
        if let (Some(lesson), None, true) = (Lesson::of_move_to(status), comment.user_id, teaches) {
            teach(conn, comment_id, &comment.spam_input(), lesson)?;
        }
        comments::table
            .find(comment_id)
            .select(Comment::as_select())
            .first(conn)
    })
}

pub fn find_comment(conn: &mut AnyConnection, comment_id: i64) -> QueryResult<Option<Comment>> {
    comments::table
        .find(comment_id)
        .select(Comment::as_select())
        .first(conn)
        .optional()
}

/// What a post page lists: its approved comments, plus the held ones this
/// visitor wrote (`own_held_ids`, from their signed cookie), oldest first.
pub fn comments_for_post_page(
    conn: &mut AnyConnection,
    post_id: i64,
    own_held_ids: &[i64],
) -> QueryResult<Vec<Comment>> {
    let mut query = comments::table
        .filter(comments::post_id.eq(post_id))
        .order((comments::created_at.asc(), comments::id.asc()))
        .select(Comment::as_select())
        .into_boxed();
    if own_held_ids.is_empty() {
        query = query.filter(comments::status.eq(CommentStatus::Approved));
    } else {
        query = query.filter(
            comments::status.eq(CommentStatus::Approved).or(comments::id
                .eq_any(own_held_ids.to_vec())
                .and(comments::status.eq_any([CommentStatus::Pending, CommentStatus::Spam]))),
        );
    }
    query.load(conn)
}

/// The comments a post page shows: all of them (`pages: None`: the page
/// works out its own layout), or the threads of one comment page only and
/// how many pages there are.
pub struct PageComments {
    pub comments: Vec<Comment>,
    pub pages: Option<usize>,
}

/// What page `page` of a post shows. A post whose approved threads need
/// more than one page has only that page's threads read — the threads
/// started `(page - 1) × per_page` threads in (an index walk over thread
/// starts), and their replies (down the parent index) — never the whole
/// discussion. A visitor who also sees their own held comments gets the
/// whole list laid out around them (they are few, and rare).
pub fn comments_for_page(
    conn: &mut AnyConnection,
    post: &crate::models::post::Post,
    own_held_ids: &[i64],
    page: usize,
    paging: CommentPaging,
) -> QueryResult<PageComments> {
    if !own_held_ids.is_empty() || fits_one_page(post, 0, paging) {
        return Ok(PageComments {
            comments: comments_for_post_page(conn, post.id, own_held_ids)?,
            pages: None,
        });
    }
    let per_page = paging.per_page as i64;
    let pages = usize::try_from((post.thread_count + per_page - 1) / per_page)
        .unwrap_or(1)
        .max(1);
    let query = page_query::PageComments {
        post_id: post.id,
        limit: per_page,
        offset: (page.max(1) as i64 - 1).saturating_mul(per_page),
    };
    let comments = match conn {
        AnyConnection::Sqlite(conn) => query.load(conn)?,
        AnyConnection::Postgresql(conn) => query.load(conn)?,
    };
    Ok(PageComments {
        comments,
        pages: Some(pages),
    })
}

/// Whether a post's comments, with `own_held` more and one new one, surely
/// fit on one page (so no comment's page needs looking up).
pub fn fits_one_page(
    post: &crate::models::post::Post,
    own_held: usize,
    paging: CommentPaging,
) -> bool {
    fits_count(post.comment_count, own_held, paging)
}

fn fits_count(comment_count: i64, own_held: usize, paging: CommentPaging) -> bool {
    let visible_at_most = usize::try_from(comment_count).unwrap_or(0) + own_held + 1;
    paging.per_page == 0 || visible_at_most <= paging.per_page
}

/// An approved comment as a listing read it, with what placing it needs
/// of its post.
#[derive(Debug, Clone)]
pub struct ApprovedPlace<'a> {
    pub permalink: &'a str,
    pub post_id: i64,
    pub comment_count: i64,
    pub thread_count: i64,
    pub comment_id: i64,
    pub parent_id: Option<i64>,
    pub created_at: i64,
}

/// Where everyone sees each of these approved comments (as `comment_path`
/// with no held comments), in order, from what the listing that found them
/// read: neither row is read again, and the threads after theirs are read
/// once per post (the sidebar's recent comments are placed after every new
/// comment, a comment feed's on each of its renderings).
pub fn approved_comment_paths(
    conn: &mut AnyConnection,
    places: &[ApprovedPlace],
    paging: CommentPaging,
) -> QueryResult<Vec<String>> {
    let rows: Vec<threads::ApprovedRow> = places
        .iter()
        .filter(|place| !fits_count(place.comment_count, 0, paging))
        .map(|place| threads::ApprovedRow {
            post_id: place.post_id,
            thread_count: place.thread_count,
            id: place.comment_id,
            parent_id: place.parent_id,
            created_at: place.created_at,
        })
        .collect();
    // A comment on a post whose comments fit one page is on page 1.
    let pages = threads::pages_of_approved(conn, &rows, paging)?;
    Ok(places
        .iter()
        .map(|place| {
            let page = pages.get(&place.comment_id).copied().unwrap_or(1);
            comment_link(place.permalink, page, place.comment_id)
        })
        .collect())
}

/// Where a comment is shown to a visitor who also sees `own_held_ids`:
/// the post's permalink, or the comment page holding its thread.
pub fn comment_path(
    conn: &mut AnyConnection,
    post: &crate::models::post::Post,
    comment_id: i64,
    own_held_ids: &[i64],
    paging: CommentPaging,
) -> QueryResult<String> {
    let page = if fits_one_page(post, own_held_ids.len(), paging) {
        1
    } else {
        threads::page_of_comment(conn, post, comment_id, own_held_ids, paging)?
    };
    Ok(comment_link(&post.permalink(), page, comment_id))
}

/// The comment page a comment about to be posted will be on (as a reply
/// to `parent_id`, or a new thread), for a visitor who also sees
/// `own_held_ids`. Worked out before the write, so the one writer thread
/// does not spend its time on it; a thread approved in between may move
/// the comment one page on. Costs the same on a post with three comments
/// as on one with ten thousand (see `threads`).
pub fn new_comment_page(
    conn: &mut AnyConnection,
    post: &crate::models::post::Post,
    parent_id: Option<i64>,
    own_held_ids: &[i64],
    paging: CommentPaging,
) -> QueryResult<usize> {
    if fits_one_page(post, own_held_ids.len(), paging) {
        return Ok(1);
    }
    threads::page_of_new_comment(conn, post, parent_id, own_held_ids, paging)
}

/// What `lower(author_email)` is for comments written with `email`, in
/// any case: SQLite's `lower` folds ASCII letters only, PostgreSQL's all of
/// Unicode, so both foldings are asked for (the same string, nearly always).
/// `comments_by_email` indexes that expression.
fn email_keys(email: &str) -> Vec<String> {
    let email = email.trim();
    let mut keys = vec![email.to_lowercase(), email.to_ascii_lowercase()];
    keys.dedup();
    keys
}

/// Whether this email, in any case, has an approved comment anywhere on
/// the site (WordPress, on MySQL, matches emails case-blind too).
pub fn has_approved_comment(conn: &mut AnyConnection, email: &str) -> QueryResult<bool> {
    use diesel::dsl::exists;
    let approved = comments::table.filter(comments::status.eq(CommentStatus::Approved));
    // One key (nearly always) is bound as one value: an array's plan is
    // made anew for every comment on PostgreSQL. Asked as EXISTS, not with
    // a bound LIMIT: PostgreSQL's generic plan costs an unknown limit as a
    // tenth of the rows, so it kept planning the statement per comment
    // (100 µs of binding per POST); EXISTS is planned once.
    match email_keys(email).as_slice() {
        [key] => diesel::select(exists(
            approved.filter(lower(comments::author_email).eq(key.clone())),
        ))
        .get_result(conn),
        keys => diesel::select(exists(
            approved.filter(lower(comments::author_email).eq_any(keys.to_vec())),
        ))
        .get_result(conn),
    }
}

/// Where a post lives: what its permalink is made of.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = posts)]
pub struct PostPlace {
    pub post_type: crate::domain::PostType,
    pub path: String,
    pub published_at: i64,
    pub slug: String,
}

impl PostPlace {
    pub fn permalink(&self) -> String {
        crate::models::post::permalink_of(self.post_type, &self.path, self.published_at, &self.slug)
    }
}

/// A comment as the admin panel lists it, with its post.
#[derive(Debug, Clone)]
pub struct AdminComment {
    pub comment: Comment,
    pub post_title: String,
    /// The address of its post or page.
    pub post_permalink: String,
}

/// Which comments a panel tab shows.
#[derive(Debug, Clone, Default)]
pub struct CommentQuery {
    /// `None` is the "All" tab: pending and approved, as WordPress shows it.
    pub status: Option<CommentStatus>,
    /// Matched against text, name, email and IP, ignoring case.
    pub search: Option<String>,
    /// Keyset pagination: only comments after this one in the order.
    pub before_id: Option<i64>,
    /// With `QueueOrder::Score`: the score of `before_id`.
    pub before_score: Option<f64>,
    pub order: QueueOrder,
    /// Only the comments told in this digest.
    pub digest: Option<i64>,
    pub limit: i64,
}

/// How the queue is ordered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum QueueOrder {
    #[default]
    Newest,
    /// Most spam-like first (then newest).
    Score,
}

fn like_pattern(text: &str) -> String {
    let escaped = text
        .trim()
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// One page of the comments screen, newest first, and whether more follow.
///
/// The "All" tab (pending and approved) is two walks, one per status, each
/// down its own index and stopping at the page's length, merged here: with
/// `status IN (…)`, SQLite walked both statuses' ranges whole and sorted
/// them (2.9 s for the dashboard's five newest on a million comments).
pub fn list_admin_comments(
    conn: &mut AnyConnection,
    query: &CommentQuery,
) -> QueryResult<(Vec<AdminComment>, bool)> {
    let mut rows = match (query.status, query.digest) {
        (Some(status), _) => admin_comment_rows(conn, query, Some(status))?,
        // A digest's comments, whatever became of them.
        (None, Some(_)) => admin_comment_rows(conn, query, None)?,
        (None, None) => {
            let mut both = admin_comment_rows(conn, query, Some(CommentStatus::Pending))?;
            both.extend(admin_comment_rows(
                conn,
                query,
                Some(CommentStatus::Approved),
            )?);
            match query.order {
                QueueOrder::Newest => both.sort_by_key(|row| std::cmp::Reverse(row.0.id)),
                QueueOrder::Score => both.sort_by(|a, b| {
                    b.0.spam_score
                        .total_cmp(&a.0.spam_score)
                        .then(b.0.id.cmp(&a.0.id))
                }),
            }
            both
        }
    };
    rows.truncate(query.limit as usize + 1);
    let has_more = rows.len() as i64 > query.limit;
    let page = rows
        .into_iter()
        .take(query.limit as usize)
        .map(|(comment, post_title, place)| AdminComment {
            comment,
            post_title,
            post_permalink: place.permalink(),
        })
        .collect();
    Ok((page, has_more))
}

/// The rows of one walk of `list_admin_comments`: with `status`, or any.
fn admin_comment_rows(
    conn: &mut AnyConnection,
    query: &CommentQuery,
    status: Option<CommentStatus>,
) -> QueryResult<Vec<(Comment, String, PostPlace)>> {
    let mut select = comments::table
        .inner_join(posts::table)
        .limit(query.limit + 1)
        .select((Comment::as_select(), posts::title, PostPlace::as_select()))
        .into_boxed();
    if let Some(status) = status {
        // As a list of one, ordered by it too: to PostgreSQL, `status = $1`
        // makes the status a constant and `id DESC` an order the primary key
        // gives as well, and it would walk that backwards (most comments are
        // approved: it expects one soon), reading through every comment
        // held since the newest approved one — 30–40 ms behind a wave of
        // 120,000 held comments. Only the status index gives
        // `status = ANY(…) ORDER BY status, id DESC` in order.
        select = select.filter(comments::status.eq_any([status]));
    }
    select = match query.order {
        QueueOrder::Newest if status.is_some() => {
            select.order((comments::status.asc(), comments::id.desc()))
        }
        QueueOrder::Newest => select.order(comments::id.desc()),
        QueueOrder::Score => select.order((comments::spam_score.desc(), comments::id.desc())),
    };
    match (query.order, query.before_id, query.before_score) {
        (QueueOrder::Score, Some(before_id), Some(score)) => {
            // The `<=` gives the index a range; the `or` alone does not.
            select = select.filter(comments::spam_score.le(score)).filter(
                comments::spam_score.lt(score).or(comments::spam_score
                    .eq(score)
                    .and(comments::id.lt(before_id))),
            );
        }
        (_, Some(before_id), _) => select = select.filter(comments::id.lt(before_id)),
        (_, None, _) => {}
    }
    if let Some(digest) = query.digest {
        use crate::db::schema::digest_items;
        select = select.filter(
            comments::id.eq_any(
                digest_items::table
                    .filter(digest_items::digest_id.eq(digest))
                    .select(digest_items::comment_id),
            ),
        );
    }
    if let Some(search) = query
        .search
        .as_deref()
        .filter(|search| !search.trim().is_empty())
    {
        let pattern = like_pattern(search);
        select = select.filter(
            lower(comments::body_source)
                .like(pattern.clone())
                .escape('\\')
                .or(lower(comments::author_name)
                    .like(pattern.clone())
                    .escape('\\'))
                .or(lower(comments::author_email)
                    .like(pattern.clone())
                    .escape('\\'))
                .or(comments::author_ip.like(pattern).escape('\\')),
        );
    }
    select.load(conn)
}

/// How many comments are in spam and in the trash (index range counts; the
/// queue's count comes with every panel page, and approved comments, nearly
/// all of a big site's, are not counted at all).
pub fn count_spam_and_trash(conn: &mut AnyConnection) -> QueryResult<(i64, i64)> {
    Ok((
        count_with_status(conn, CommentStatus::Spam)?,
        count_with_status(conn, CommentStatus::Trash)?,
    ))
}

/// Comments with `status`: one row of the counts the database keeps.
pub fn count_with_status(conn: &mut AnyConnection, status: CommentStatus) -> QueryResult<i64> {
    let kept: Option<i64> = comment_counts::table
        .find(status)
        .select(comment_counts::n)
        .first(conn)
        .optional()?;
    Ok(kept.unwrap_or(0))
}

/// A quarter hour in seconds: the step the dashboard's counts are kept in
/// (`comment_quarters.quarter` is `created_at / QUARTER`).
const QUARTER: i64 = 900;

#[derive(QueryableByName)]
struct DayCount {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    day: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// Comments (not spam) made in each of `days` days of 86,400 seconds from
/// `first_day`, as (the day's first second, how many), added up in the
/// database from the counts per hour and per quarter hour that triggers
/// keep: the dashboard's 30 days are 30 sums however busy they were. A day
/// starts at a local midnight, a whole number of quarters (every zone's
/// offset is); it is summed as its whole hours (24 rows) and the quarters
/// before its first whole hour and after its last (none where the offset is
/// whole hours, up to three at each end where it is not), each a range of a
/// table's key summed as it is walked. For a month with a comment every
/// minute: 720 hour rows where the quarters alone were 2,880 (0.9 ms on the
/// SQLite scale site before both tables were keyed by the rowid).
pub fn comments_per_day(
    conn: &mut AnyConnection,
    first_day: i64,
    days: i64,
) -> QueryResult<Vec<(i64, i64)>> {
    const QUARTERS_A_DAY: i64 = 86_400 / QUARTER;
    // `qs`..`qe`: the day's quarters; `hs`..`he`: its whole hours.
    let statement = "WITH RECURSIVE days (i, qs) AS ( \
           SELECT 0, CAST($2 AS BIGINT) \
           UNION ALL SELECT i + 1, qs + $3 FROM days WHERE i + 1 < $1), \
         bounds AS ( \
           SELECT i, qs, qs + $3 AS qe, (qs + 3) / 4 AS hs, (qs + $3) / 4 AS he FROM days) \
         SELECT CAST(i AS BIGINT) AS day, CAST( \
           COALESCE((SELECT SUM(n) FROM comment_quarters \
                     WHERE quarter >= qs AND quarter < hs * 4), 0) \
           + COALESCE((SELECT SUM(n) FROM comment_hours \
                       WHERE hour >= hs AND hour < he), 0) \
           + COALESCE((SELECT SUM(n) FROM comment_quarters \
                       WHERE quarter >= he * 4 AND quarter < qe), 0) AS BIGINT) AS n \
         FROM bounds";
    let from = first_day.div_euclid(QUARTER);
    let counted: Vec<DayCount> = match conn {
        AnyConnection::Postgresql(pg) => diesel::sql_query(statement)
            .bind::<diesel::sql_types::BigInt, _>(days)
            .bind::<diesel::sql_types::BigInt, _>(from)
            .bind::<diesel::sql_types::BigInt, _>(QUARTERS_A_DAY)
            .load(pg)?,
        AnyConnection::Sqlite(sqlite) => diesel::sql_query(
            statement
                .replace("$1", "?1")
                .replace("$2", "?2")
                .replace("$3", "?3"),
        )
        .bind::<diesel::sql_types::BigInt, _>(days)
        .bind::<diesel::sql_types::BigInt, _>(from)
        .bind::<diesel::sql_types::BigInt, _>(QUARTERS_A_DAY)
        .load(sqlite)?,
    };
    Ok(counted
        .into_iter()
        .filter(|count| count.n > 0)
        .map(|count| (first_day + count.day * 86_400, count.n))
        .collect())
}

/// Deletes a comment for good; replies to it stay, without a parent.
pub fn delete_comment(conn: &mut AnyConnection, comment_id: i64) -> QueryResult<()> {
    crate::db::write_transaction(conn, |conn| {
        let (post_id, status, started): (i64, CommentStatus, bool) = comments::table
            .find(comment_id)
            .select((comments::post_id, comments::status, comments::thread_start))
            .first(conn)?;
        let replies: Vec<i64> = comments::table
            .filter(comments::parent_id.eq(comment_id))
            .select(comments::id)
            .load(conn)?;
        diesel::update(comments::table.filter(comments::parent_id.eq(comment_id)))
            .set(comments::parent_id.eq(None::<i64>))
            .execute(conn)?;
        diesel::delete(comments::table.find(comment_id)).execute(conn)?;
        if started {
            diesel::update(posts::table.find(post_id))
                .set(posts::thread_count.eq(posts::thread_count - 1))
                .execute(conn)?;
        }
        threads::retally(conn, &replies)?;
        if status.is_approved() {
            count_approved(conn, post_id, -1, 0)?;
        }
        Ok(())
    })
}

/// What a moderator may change in a comment.
#[derive(Debug, Clone)]
pub struct CommentEdit {
    pub body_source: String,
    pub body_html: String,
    pub author_name: String,
    pub author_email: String,
    pub author_url: String,
}

/// Changes a comment, keeping its previous text in `comment_revisions`;
/// `editor_id` is the staff member, or `None` for the comment's author.
pub fn edit_comment(
    conn: &mut AnyConnection,
    comment_id: i64,
    editor_id: Option<i64>,
    edit: &CommentEdit,
) -> QueryResult<()> {
    use crate::db::schema::comment_revisions;
    crate::db::write_transaction(conn, |conn| {
        let (previous, post_id): (String, i64) = comments::table
            .find(comment_id)
            .select((comments::body_source, comments::post_id))
            .first(conn)?;
        crate::models::setting::comments_changed(conn, post_id)?;
        if previous != edit.body_source {
            diesel::insert_into(comment_revisions::table)
                .values((
                    comment_revisions::comment_id.eq(comment_id),
                    comment_revisions::editor_id.eq(editor_id),
                    comment_revisions::previous_body.eq(previous),
                    comment_revisions::edited_at.eq(now()),
                ))
                .execute(conn)?;
        }
        diesel::update(comments::table.find(comment_id))
            .set((
                comments::body_source.eq(&edit.body_source),
                comments::body_html.eq(&edit.body_html),
                comments::author_name.eq(&edit.author_name),
                comments::author_email.eq(&edit.author_email),
                comments::author_url.eq(&edit.author_url),
                comments::updated_at.eq(now()),
            ))
            .execute(conn)?;
        Ok(())
    })
}

/// Earlier texts of an edited comment, newest first: (previous text,
/// edited at, by a staff member rather than the comment's author).
pub fn comment_revisions(
    conn: &mut AnyConnection,
    comment_id: i64,
) -> QueryResult<Vec<(String, i64, bool)>> {
    use crate::db::schema::comment_revisions;
    let rows: Vec<(String, i64, Option<i64>)> = comment_revisions::table
        .filter(comment_revisions::comment_id.eq(comment_id))
        .order(comment_revisions::id.desc())
        .select((
            comment_revisions::previous_body,
            comment_revisions::edited_at,
            comment_revisions::editor_id,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(body, at, editor)| (body, at, editor.is_some()))
        .collect())
}

/// An author's own edit, from the browser that wrote the comment: the new
/// text is kept (the old one as a revision) and judged again by what the
/// text itself trips — links, moderation and disallowed words — so an
/// approved comment that gains links is held again, and a held one is never
/// approved by an edit. Returns the comment as it is now.
pub fn edit_own_comment(
    conn: &mut AnyConnection,
    comment_id: i64,
    edit: &CommentEdit,
    verdict: Verdict,
) -> QueryResult<Comment> {
    crate::db::write_transaction(conn, |conn| {
        edit_comment(conn, comment_id, None, edit)?;
        let current: CommentStatus = comments::table
            .find(comment_id)
            .select(comments::status)
            .first(conn)?;
        let moved = match (current, verdict) {
            (CommentStatus::Trash, _) => None,
            (status, Verdict::Spam) if status != CommentStatus::Spam => Some(CommentStatus::Spam),
            (CommentStatus::Approved, Verdict::Pending) => Some(CommentStatus::Pending),
            _ => None,
        };
        match moved {
            Some(status) => move_comment(conn, comment_id, status, false),
            None => comments::table
                .find(comment_id)
                .select(Comment::as_select())
                .first(conn),
        }
    })
}

/// An author deletes their own comment: it goes to the Trash (staff can
/// still see and restore it), teaching the spam filter nothing.
pub fn trash_own_comment(conn: &mut AnyConnection, comment_id: i64) -> QueryResult<Comment> {
    move_comment(conn, comment_id, CommentStatus::Trash, false)
}

/// Every comment written with this email, oldest first, with its post's title.
pub fn comments_by_email(
    conn: &mut AnyConnection,
    email: &str,
) -> QueryResult<Vec<(Comment, String)>> {
    comments::table
        .inner_join(posts::table)
        .filter(lower(comments::author_email).eq_any(email_keys(email)))
        .order(comments::id.asc())
        .select((Comment::as_select(), posts::title))
        .load(conn)
}

/// Anonymises every comment written with this email, as WordPress's eraser
/// does: the text stays, who wrote it goes. Returns how many were changed.
pub fn erase_comments_by_email(conn: &mut AnyConnection, email: &str) -> QueryResult<usize> {
    let ids: Vec<i64> = comments::table
        .filter(lower(comments::author_email).eq_any(email_keys(email)))
        .select(comments::id)
        .load(conn)?;
    if ids.is_empty() {
        return Ok(0);
    }
    crate::models::setting::content_changed(conn)?;
    diesel::update(comments::table.filter(comments::id.eq_any(&ids)))
        .set((
            comments::author_name.eq("Anonymous"),
            comments::author_email.eq("deleted@anonymous.invalid"),
            comments::author_url.eq(""),
            comments::author_ip.eq("0.0.0.0"),
            comments::user_agent.eq(""),
            comments::dedupe_key.eq(None::<String>),
            comments::updated_at.eq(now()),
        ))
        .execute(conn)
}

/// A staff member's reply from the panel: published at once, and the
/// comment it answers is approved with it.
pub fn reply_as_staff(
    conn: &mut AnyConnection,
    parent_id: i64,
    author: &crate::models::user::User,
    body: &str,
) -> QueryResult<Comment> {
    crate::db::write_transaction(conn, |conn| {
        let parent: Comment = comments::table
            .find(parent_id)
            .select(Comment::as_select())
            .first(conn)?;
        if parent.status != CommentStatus::Approved {
            set_comment_status(conn, parent_id, CommentStatus::Approved)?;
        }
        let reply = NewComment {
            post_id: parent.post_id,
            parent_id: Some(parent_id),
            author_name: author.display_name.clone(),
            author_email: author.email.clone(),
            author_url: String::new(),
            author_ip: String::new(),
            user_agent: String::new(),
            user_id: Some(author.id),
            body_source: body.trim().to_owned(),
            body_html: crate::render::comment::render_comment(body.trim()),
            verdict: Verdict::Approved,
            dedupe_key: None,
            spam_score: 0.5,
            spam_why: String::new(),
        };
        match create_comment(conn, &reply) {
            Ok(comment) => Ok(comment),
            Err(CreateCommentError::Duplicate) => Err(diesel::result::Error::RollbackTransaction),
            Err(CreateCommentError::Database(error)) => Err(error),
        }
    })
}

/// Brings a trashed comment back with the status it had (pending if unknown).
pub fn restore_comment(conn: &mut AnyConnection, comment_id: i64) -> QueryResult<Comment> {
    let comment: Comment = comments::table
        .find(comment_id)
        .select(Comment::as_select())
        .first(conn)?;
    // Not in the Trash (restored already: a form sent twice): left as it is.
    if comment.status != CommentStatus::Trash {
        return Ok(comment);
    }
    let status = match comment.status_before_trash {
        Some(CommentStatus::Approved) => CommentStatus::Approved,
        Some(CommentStatus::Spam) => CommentStatus::Spam,
        _ => CommentStatus::Pending,
    };
    set_comment_status(conn, comment_id, status)
}

/// The newest approved comments on public posts (one post's, or the
/// site's), newest first, with their post: what comment feeds list.
/// Newest by time, as WordPress orders its comment feeds, which is also
/// the order of the indexes that lead to them: by id, a post's feed walked
/// every approved comment on the site newer than the post's last one (40 ms
/// for a post a year old on a site of a million comments).
pub fn latest_public_comments(
    conn: &mut AnyConnection,
    post_id: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<(Comment, crate::models::post::PostHead)>> {
    use crate::domain::PostStatus;
    use crate::models::post::PostHead;
    let mut query = comments::table
        .inner_join(posts::table)
        .filter(comments::status.eq(CommentStatus::Approved))
        .filter(posts::status.eq(PostStatus::Published))
        .filter(posts::published_at.le(now()))
        .order((comments::created_at.desc(), comments::id.desc()))
        .limit(limit)
        .select((Comment::as_select(), PostHead::as_select()))
        .into_boxed();
    if let Some(post_id) = post_id {
        query = query.filter(comments::post_id.eq(post_id));
    }
    query.load(conn)
}

/// A comment brought in by an import: its WordPress id, status and time
/// kept, and its id chosen beforehand (`reserve_comment_ids`) so that replies
/// name their parents as they are inserted.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = comments, treat_none_as_default_value = false)]
pub struct ImportedComment {
    pub id: i64,
    pub post_id: i64,
    pub parent_id: Option<i64>,
    pub author_name: String,
    pub author_email: String,
    pub author_url: String,
    pub author_ip: String,
    pub body_source: String,
    pub body_html: String,
    pub status: CommentStatus,
    /// Pending for a trashed comment (so Restore has somewhere to go).
    pub status_before_trash: Option<CommentStatus>,
    pub wp_id: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// `comment`, `pingback` or `trackback`.
    pub comment_type: String,
}

pub fn comment_id_by_wp_id(conn: &mut AnyConnection, wp_id: i64) -> QueryResult<Option<i64>> {
    comments::table
        .filter(comments::wp_id.eq(wp_id))
        .select(comments::id)
        .first(conn)
        .optional()
}

/// `count` ids for comments about to be inserted in this transaction.
/// PostgreSQL draws them from the id sequence; SQLite (one writer at a time)
/// takes the next free ones.
pub fn reserve_comment_ids(conn: &mut AnyConnection, count: usize) -> QueryResult<Vec<i64>> {
    #[derive(QueryableByName)]
    struct Reserved {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        id: i64,
    }
    if count == 0 {
        return Ok(Vec::new());
    }
    let wanted = i64::try_from(count).unwrap_or(i64::MAX);
    match conn {
        AnyConnection::Postgresql(pg) => Ok(diesel::sql_query(
            "SELECT nextval(pg_get_serial_sequence('comments', 'id')) AS id \
             FROM generate_series(1, $1)",
        )
        .bind::<diesel::sql_types::BigInt, _>(wanted)
        .load::<Reserved>(pg)?
        .into_iter()
        .map(|reserved| reserved.id)
        .collect()),
        AnyConnection::Sqlite(_) => {
            let last: Option<i64> = comments::table
                .select(diesel::dsl::max(comments::id))
                .first(conn)?;
            let first = last.unwrap_or(0) + 1;
            Ok((first..first + wanted).collect())
        }
    }
}

/// Ids for a batch of imported comments: each its WordPress id where that
/// is free (so `#comment-123` in links from elsewhere still finds it),
/// else a new one; new ones are taken above every id given, and
/// PostgreSQL's sequence moved past them.
pub fn claim_comment_ids(conn: &mut AnyConnection, wp_ids: &[i64]) -> QueryResult<Vec<i64>> {
    let wanted: Vec<i64> = wp_ids.iter().copied().filter(|id| *id > 0).collect();
    let mut taken: std::collections::HashSet<i64> = std::collections::HashSet::new();
    for chunk in wanted.chunks(500) {
        let found: Vec<i64> = comments::table
            .filter(comments::id.eq_any(chunk))
            .select(comments::id)
            .load(conn)?;
        taken.extend(found);
    }
    let mut chosen: Vec<Option<i64>> = Vec::with_capacity(wp_ids.len());
    for wp_id in wp_ids {
        if *wp_id > 0 && taken.insert(*wp_id) {
            chosen.push(Some(*wp_id));
        } else {
            chosen.push(None);
        }
    }
    let highest = chosen.iter().flatten().copied().max().unwrap_or(0);
    let fresh_count = chosen.iter().filter(|id| id.is_none()).count();
    let mut fresh = match conn {
        AnyConnection::Postgresql(pg) => {
            if highest > 0 {
                diesel::sql_query(
                    "SELECT setval(sequence, GREATEST(nextval(sequence) - 1, $1)) \
                     FROM (SELECT pg_get_serial_sequence('comments', 'id') AS sequence) AS comments_sequence",
                )
                .bind::<diesel::sql_types::BigInt, _>(highest)
                .execute(pg)?;
            }
            reserve_comment_ids(conn, fresh_count)?
        }
        AnyConnection::Sqlite(_) => {
            let last: Option<i64> = comments::table
                .select(diesel::dsl::max(comments::id))
                .first(conn)?;
            let first = last.unwrap_or(0).max(highest) + 1;
            (first..first + i64::try_from(fresh_count).unwrap_or(0)).collect()
        }
    }
    .into_iter();
    Ok(chosen
        .into_iter()
        .map(|id| id.or_else(|| fresh.next()).unwrap_or_default())
        .collect())
}

/// Stores a batch of imported comments (ids and parents already set).
/// PostgreSQL takes the batch as one binary `COPY`, where a reply may come
/// before its parent; on SQLite the import defers that check to its commit.
pub fn insert_imported_comments(
    conn: &mut AnyConnection,
    batch: &[ImportedComment],
) -> QueryResult<()> {
    match conn {
        AnyConnection::Postgresql(pg) => {
            diesel::copy_from(comments::table)
                .from_insertable(batch)
                .execute(pg)?;
        }
        AnyConnection::Sqlite(sqlite) => {
            for imported in batch {
                diesel::insert_into(comments::table)
                    .values(imported)
                    .execute(sqlite)?;
            }
        }
    }
    Ok(())
}

/// The WordPress ids of a post's comments already here.
pub fn wp_ids_of_post(conn: &mut AnyConnection, post_id: i64) -> QueryResult<Vec<(i64, i64)>> {
    comments::table
        .filter(comments::post_id.eq(post_id))
        .filter(comments::wp_id.is_not_null())
        .select((comments::wp_id.assume_not_null(), comments::id))
        .load(conn)
}

/// A post's comments, oldest first (the exporter).
pub fn comments_of_post(conn: &mut AnyConnection, post_id: i64) -> QueryResult<Vec<Comment>> {
    comments::table
        .filter(comments::post_id.eq(post_id))
        .order(comments::id.asc())
        .select(Comment::as_select())
        .load(conn)
}

/// For each of `ids` that exists: (id, its author's name, the address of
/// the page that shows it). The panel links replies to what they answer.
pub fn where_comments_are(
    conn: &mut AnyConnection,
    ids: &[i64],
    paging: CommentPaging,
) -> QueryResult<Vec<(i64, String, String)>> {
    let mut found = Vec::with_capacity(ids.len());
    for id in ids {
        let Some(comment) = find_comment(conn, *id)? else {
            continue;
        };
        let Some(post) = crate::models::post::find_post(conn, comment.post_id)? else {
            continue;
        };
        let path = comment_path(conn, &post, comment.id, &[], paging)?;
        found.push((comment.id, comment.author_name, path));
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use crate::db::fixed::FixedSql;

    /// `CountedChange` spells out on PostgreSQL what `comments_changed` and
    /// `CountOnPost` do apart: the same bump, the same counts.
    #[test]
    fn the_one_statement_bookkeeping_does_what_the_three_do() {
        let one = super::CountedChange::POSTGRES;
        let bump = crate::models::setting::BumpVersion::POSTGRES;
        let bump_where = &bump[bump.find("WHERE").unwrap_or(0)..];
        assert!(one.contains(bump_where), "{one}\n{bump_where}");
        assert!(one.contains("SET value = CAST(CAST(value AS BIGINT) + 1 AS TEXT)"));
        let counts = super::CountOnPost::POSTGRES;
        let set = &counts[counts.find("SET").unwrap_or(0)..];
        assert!(one.contains(set), "{one}\n{set}");
        assert!(one.contains("INSERT INTO page_retirements (version, post_id)"));
        assert!(super::CountedChange::SQLITE.is_empty());
    }
}
