//! What a moderator can do to a comment — from the panel or from an email
//! link — and the mail each action causes, in one transaction.

use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::domain::status::{Effect, ModerationAction};
use crate::mail::notify::comment_approved;
use crate::mail::MailContext;
use crate::models::comment::{delete_comment, find_comment, restore_comment, set_comment_status};

/// Applies `action` to a comment; `false` when it does not apply (no such
/// comment, or deleting one that is neither spam nor trash).
pub fn moderate(
    conn: &mut AnyConnection,
    context: &MailContext,
    comment_id: i64,
    action: ModerationAction,
) -> QueryResult<bool> {
    crate::db::write_transaction(conn, |conn| {
        let Some(comment) = find_comment(conn, comment_id)? else {
            return Ok(false);
        };
        let after = match action.effect() {
            Effect::MoveTo(status) => set_comment_status(conn, comment_id, status)?,
            Effect::RestoreFromTrash => restore_comment(conn, comment_id)?,
            Effect::DeleteForGood if comment.status.is_discarded() => {
                delete_comment(conn, comment_id)?;
                return Ok(true);
            }
            Effect::DeleteForGood => return Ok(false),
        };
        if after.status.is_approved() && !comment.status.is_approved() {
            comment_approved(conn, context, comment_id)?;
        }
        Ok(true)
    })
}
