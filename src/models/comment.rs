//! Comments: saving a reader's comment (a duplicate is refused by the unique
//! index, not by a read-then-write check), and what a post page shows.

use diesel::prelude::*;

use crate::db::schema::{comments, posts};
use crate::db::AnyConnection;
use crate::domain::moderation::Verdict;
use crate::models::{is_unique_violation, now};

pub const APPROVED: &str = "approved";
pub const PENDING: &str = "pending";
pub const SPAM: &str = "spam";
pub const TRASH: &str = "trash";

#[derive(Debug, Clone, Queryable, Selectable)]
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
    pub status: String,
    pub status_before_trash: Option<String>,
    pub dedupe_key: Option<String>,
    pub wp_id: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
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

/// Stores a comment; an approved one counts on its post at once. Later
/// issues add the notification mail to this same transaction.
pub fn create_comment(
    conn: &mut AnyConnection,
    new_comment: &NewComment,
) -> Result<Comment, CreateCommentError> {
    let created_at = now();
    conn.transaction(|conn| {
        diesel::insert_into(comments::table)
            .values((
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
                comments::status.eq(new_comment.verdict.as_status()),
                comments::dedupe_key.eq(&new_comment.dedupe_key),
                comments::created_at.eq(created_at),
                comments::updated_at.eq(created_at),
            ))
            .execute(conn)?;
        // Read the row back by its unique key; without one (staff replies),
        // the newest row with these values is ours.
        let mut query = comments::table
            .filter(comments::post_id.eq(new_comment.post_id))
            .order(comments::id.desc())
            .select(Comment::as_select())
            .into_boxed();
        query = match &new_comment.dedupe_key {
            Some(key) => query.filter(comments::dedupe_key.eq(key.clone())),
            None => query
                .filter(comments::author_email.eq(new_comment.author_email.clone()))
                .filter(comments::created_at.eq(created_at)),
        };
        let comment: Comment = query.first(conn)?;
        if new_comment.verdict == Verdict::Approved {
            recount_approved(conn, new_comment.post_id)?;
        }
        Ok(comment)
    })
}

/// Keeps `posts.comment_count` equal to the post's approved comments.
pub fn recount_approved(conn: &mut AnyConnection, post_id: i64) -> QueryResult<()> {
    let approved: i64 = comments::table
        .filter(comments::post_id.eq(post_id))
        .filter(comments::status.eq(APPROVED))
        .count()
        .get_result(conn)?;
    diesel::update(posts::table.find(post_id))
        .set(posts::comment_count.eq(approved))
        .execute(conn)?;
    Ok(())
}

/// Moves a comment to `status` (approved, pending, spam or trash), keeping
/// its post's count right. Trash remembers the status to restore, and frees
/// the text for a new submission.
pub fn set_comment_status(
    conn: &mut AnyConnection,
    comment_id: i64,
    status: &str,
) -> QueryResult<Comment> {
    conn.transaction(|conn| {
        let comment: Comment = comments::table
            .find(comment_id)
            .select(Comment::as_select())
            .first(conn)?;
        let before_trash =
            (status == TRASH && comment.status != TRASH).then(|| comment.status.clone());
        diesel::update(comments::table.find(comment_id))
            .set((
                comments::status.eq(status),
                comments::status_before_trash.eq(before_trash),
                comments::updated_at.eq(now()),
            ))
            .execute(conn)?;
        if status == TRASH {
            diesel::update(comments::table.find(comment_id))
                .set(comments::dedupe_key.eq(None::<String>))
                .execute(conn)?;
        }
        recount_approved(conn, comment.post_id)?;
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
        query = query.filter(comments::status.eq(APPROVED));
    } else {
        query = query.filter(
            comments::status.eq(APPROVED).or(comments::id
                .eq_any(own_held_ids.to_vec())
                .and(comments::status.eq_any([PENDING, SPAM]))),
        );
    }
    query.load(conn)
}

/// Whether this email has an approved comment anywhere on the site.
pub fn has_approved_comment(conn: &mut AnyConnection, email: &str) -> QueryResult<bool> {
    let found: Option<i64> = comments::table
        .filter(comments::author_email.eq(email))
        .filter(comments::status.eq(APPROVED))
        .select(comments::id)
        .first(conn)
        .optional()?;
    Ok(found.is_some())
}

/// Count of rows, by post (for tests and the panel).
pub fn count_comments_of_post(conn: &mut AnyConnection, post_id: i64) -> QueryResult<i64> {
    comments::table
        .filter(comments::post_id.eq(post_id))
        .count()
        .get_result(conn)
}
