//! Where things stand — a comment, a post, a queued mail — and what a
//! moderator can do to a comment. Each is defined here once, with its stored
//! spelling; adding a state or an action is one variant plus what it does.

use crate::db::text_enum::text_enum;

text_enum! {
    /// Where a comment stands (SPEC §3). Only approved comments are shown.
    /// Declared in the order of the queue's tabs.
    pub enum CommentStatus {
        Pending = "pending",
        Approved = "approved",
        Spam = "spam",
        Trash = "trash",
    }
}

impl CommentStatus {
    pub fn is_approved(self) -> bool {
        self == CommentStatus::Approved
    }

    pub fn is_pending(self) -> bool {
        self == CommentStatus::Pending
    }

    /// Spam and Trash: out of sight, and only from there deleted for good.
    pub fn is_discarded(self) -> bool {
        matches!(self, CommentStatus::Spam | CommentStatus::Trash)
    }

    /// Staff may reply to and edit a comment that is, or may be, shown.
    pub fn is_editable(self) -> bool {
        matches!(self, CommentStatus::Pending | CommentStatus::Approved)
    }

    /// The tab in the comment list.
    pub fn tab_label(self) -> &'static str {
        match self {
            CommentStatus::Approved => "Approved",
            CommentStatus::Pending => "Pending",
            CommentStatus::Spam => "Spam",
            CommentStatus::Trash => "Trash",
        }
    }

    /// What a moderator can do to a comment standing here, in button order.
    pub fn actions(self) -> &'static [ModerationAction] {
        use ModerationAction::*;
        match self {
            CommentStatus::Pending => &[Approve, Spam, Trash],
            CommentStatus::Approved => &[Unapprove, Spam, Trash],
            CommentStatus::Spam => &[NotSpam, Delete],
            CommentStatus::Trash => &[Restore, Delete],
        }
    }
}

text_enum! {
    /// What a moderator can do to a comment, from the panel or from a mail
    /// link (the link's token stores the action it grants).
    pub enum ModerationAction {
        Approve = "approve",
        Unapprove = "unapprove",
        Spam = "spam",
        NotSpam = "notspam",
        Trash = "trash",
        Restore = "restore",
        /// Only from Spam and Trash.
        Delete = "delete",
    }
}

impl ModerationAction {
    /// The verb in menus and on a confirmation page: "Mark as spam".
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

    /// The button on a comment's row: "Spam".
    pub fn button(self) -> &'static str {
        match self {
            ModerationAction::Spam => "Spam",
            ModerationAction::Trash => "Trash",
            other => other.label(),
        }
    }

    /// Whether its button is shown as a warning.
    pub fn is_destructive(self) -> bool {
        matches!(
            self,
            ModerationAction::Spam | ModerationAction::Trash | ModerationAction::Delete
        )
    }

    /// The past tense in "2 comments marked as spam."
    pub fn done(self) -> &'static str {
        match self {
            ModerationAction::Approve => "approved",
            ModerationAction::Unapprove => "unapproved",
            ModerationAction::Spam => "marked as spam",
            ModerationAction::NotSpam => "restored from the spam",
            ModerationAction::Trash => "moved to the Trash",
            ModerationAction::Restore => "restored from the Trash",
            ModerationAction::Delete => "permanently deleted",
        }
    }

    /// What it does to a comment.
    pub fn effect(self) -> Effect {
        match self {
            ModerationAction::Approve => Effect::MoveTo(CommentStatus::Approved),
            ModerationAction::Unapprove | ModerationAction::NotSpam => {
                Effect::MoveTo(CommentStatus::Pending)
            }
            ModerationAction::Spam => Effect::MoveTo(CommentStatus::Spam),
            ModerationAction::Trash => Effect::MoveTo(CommentStatus::Trash),
            ModerationAction::Restore => Effect::RestoreFromTrash,
            ModerationAction::Delete => Effect::DeleteForGood,
        }
    }
}

/// What a moderation action does to a comment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    MoveTo(CommentStatus),
    /// Back to where it stood before the Trash.
    RestoreFromTrash,
    /// Gone, replies kept; only for a comment in Spam or Trash.
    DeleteForGood,
}

text_enum! {
    /// Where a post or page stands. A published post dated in the future is
    /// scheduled (see `Post::is_visible_at`).
    pub enum PostStatus {
        Draft = "draft",
        Published = "published",
        Private = "private",
        Trash = "trash",
    }
}

impl PostStatus {
    pub fn is_published(self) -> bool {
        self == PostStatus::Published
    }

    pub fn is_trash(self) -> bool {
        self == PostStatus::Trash
    }
}

/// WordPress's post formats: (stored name, the archive's title).
pub const POST_FORMATS: [(&str, &str); 9] = [
    ("aside", "Asides"),
    ("gallery", "Galleries"),
    ("link", "Links"),
    ("image", "Images"),
    ("quote", "Quotes"),
    ("status", "Statuses"),
    ("video", "Videos"),
    ("audio", "Audio"),
    ("chat", "Chats"),
];

text_enum! {
    /// What a row of `posts` is: a dated post, or a page outside the timeline.
    pub enum PostType {
        Post = "post",
        Page = "page",
    }
}

text_enum! {
    /// A mail in the outbox: waiting (perhaps after failed tries), delivered,
    /// or given up on.
    pub enum OutboxStatus {
        Pending = "pending",
        Sent = "sent",
        Failed = "failed",
    }
}

impl OutboxStatus {
    pub fn is_sent(self) -> bool {
        self == OutboxStatus::Sent
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_spelling_parses_back_to_its_variant() {
        for status in CommentStatus::ALL {
            assert_eq!(status.as_str().parse::<CommentStatus>(), Ok(*status));
        }
        for action in ModerationAction::ALL {
            assert_eq!(action.as_str().parse::<ModerationAction>(), Ok(*action));
        }
        for status in PostStatus::ALL {
            assert_eq!(status.as_str().parse::<PostStatus>(), Ok(*status));
        }
        for kind in PostType::ALL {
            assert_eq!(kind.as_str().parse::<PostType>(), Ok(*kind));
        }
        for status in OutboxStatus::ALL {
            assert_eq!(status.as_str().parse::<OutboxStatus>(), Ok(*status));
        }
        assert!("Approved".parse::<CommentStatus>().is_err());
        assert!("".parse::<ModerationAction>().is_err());
    }

    #[test]
    fn serde_uses_the_stored_spelling() {
        let json = serde_json::to_string(&ModerationAction::NotSpam).unwrap();
        assert_eq!(json, "\"notspam\"");
        let back: CommentStatus = serde_json::from_str("\"trash\"").unwrap();
        assert_eq!(back, CommentStatus::Trash);
    }

    #[test]
    fn every_status_offers_actions_that_leave_it() {
        for status in CommentStatus::ALL {
            for action in status.actions() {
                assert_ne!(
                    action.effect(),
                    Effect::MoveTo(*status),
                    "{status} offers {action}"
                );
            }
        }
        // Deleting for good is offered only where the comment is out of sight.
        for status in CommentStatus::ALL {
            assert_eq!(
                status.actions().contains(&ModerationAction::Delete),
                status.is_discarded()
            );
        }
    }
}
