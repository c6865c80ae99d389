//! What a moderator can do to a comment — from the panel or from an email
//! link — and the mail each action causes, in one transaction.

use diesel::prelude::*;

use crate::db::AnyConnection;
use crate::mail::notify::comment_approved;
use crate::mail::MailContext;
use crate::models::comment::{
    delete_comment, find_comment, restore_comment, set_comment_status, APPROVED, PENDING, SPAM,
    TRASH,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ModerationAction {
    Approve,
    Unapprove,
    Spam,
    NotSpam,
    Trash,
    Restore,
    /// Only from Spam and Trash.
    Delete,
}

impl ModerationAction {
    pub fn parse(text: &str) -> Option<ModerationAction> {
        Some(match text {
            "approve" => ModerationAction::Approve,
            "unapprove" => ModerationAction::Unapprove,
            "spam" => ModerationAction::Spam,
            "notspam" => ModerationAction::NotSpam,
            "trash" => ModerationAction::Trash,
            "restore" => ModerationAction::Restore,
            "delete" => ModerationAction::Delete,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ModerationAction::Approve => "approve",
            ModerationAction::Unapprove => "unapprove",
            ModerationAction::Spam => "spam",
            ModerationAction::NotSpam => "notspam",
            ModerationAction::Trash => "trash",
            ModerationAction::Restore => "restore",
            ModerationAction::Delete => "delete",
        }
    }

    /// The verb on a confirmation page: "Approve", "Mark as spam", "Move to Trash".
    pub fn label(self) -> &'static str {
        match self {
            ModerationAction::Approve => "Approve",
            ModerationAction::Unapprove => "Unapprove",
            ModerationAction::Spam => "Mark as spam",
            ModerationAction::NotSpam => "Not spam",
            ModerationAction::Trash => "Move to Trash",
            ModerationAction::Restore => "Restore",
            ModerationAction::Delete => "Delete permanently",
        }
    }
}

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
        let after = match action {
            ModerationAction::Approve => set_comment_status(conn, comment_id, APPROVED)?,
            ModerationAction::Unapprove | ModerationAction::NotSpam => {
                set_comment_status(conn, comment_id, PENDING)?
            }
            ModerationAction::Spam => set_comment_status(conn, comment_id, SPAM)?,
            ModerationAction::Trash => set_comment_status(conn, comment_id, TRASH)?,
            ModerationAction::Restore => restore_comment(conn, comment_id)?,
            ModerationAction::Delete if comment.status == SPAM || comment.status == TRASH => {
                delete_comment(conn, comment_id)?;
                return Ok(true);
            }
            ModerationAction::Delete => return Ok(false),
        };
        if after.status == APPROVED && comment.status != APPROVED {
            comment_approved(conn, context, comment_id)?;
        }
        Ok(true)
    })
}
