//! What the comment templates show: the thread, and the form with what the
//! reader typed and a message at each field.

use crate::auth::signing::{open_signed_value, signed_value, Purpose};
use crate::domain::comment::{AuthorUrl, CommentSubmission};
use crate::domain::CommentStatus;
use crate::domain::FieldErrors;
use crate::models::comment::Comment;
use crate::models::now;
use crate::render::identicon::avatar_key;
use crate::render::text::iso_date;
use crate::render::thread::{comment_page_path, thread, thread_pages, CommentPaging};
use crate::routes::comments::remembered::Remembered;

/// Seconds a person needs at least between seeing the form and sending it.
pub const MIN_SECONDS_TO_TYPE: i64 = 3;

/// The avatar of a comment not yet approved: the same for everyone.
pub const NEUTRAL_AVATAR: &str = "00000000000000000000000000000000";

/// One comment in the nested list.
#[derive(Debug, Clone)]
pub struct CommentItem {
    pub id: i64,
    pub author_name: String,
    pub author_url: Option<String>,
    /// The keyed hash the avatar image is drawn from (`/avatar/KEY.svg`).
    pub avatar: String,
    pub date_human: String,
    pub date_iso: String,
    pub body_html: String,
    /// The visitor's own comment, not yet approved.
    pub awaiting: bool,
    /// The visitor may still edit or delete it (their browser wrote it,
    /// minutes ago).
    pub editable: bool,
    pub reply_link: Option<String>,
    pub depth: usize,
    pub has_children: bool,
    pub closes: usize,
    /// A pingback or trackback: shown as one line, "Pingback: Site".
    pub ping: bool,
}

/// One page of a post's comments.
#[derive(Debug, Clone)]
pub struct ThreadPage {
    pub items: Vec<CommentItem>,
    /// 1-based.
    pub page: usize,
    pub pages: usize,
    /// The address of this page (the permalink for page 1).
    pub path: String,
}

/// Which page of a post's comments to lay out, and how.
pub struct PageOfThread<'a> {
    pub paging: CommentPaging,
    /// 1-based.
    pub page: usize,
    /// Reply links on approved comments (the post takes comments).
    pub replies_open: bool,
    pub permalink: &'a str,
    pub clock: &'a crate::render::clock::SiteClock,
    /// How many pages there are, when the comments given are that page's
    /// threads only (`None`: they are all the post's, to be laid out here).
    pub known_pages: Option<usize>,
    /// Newer threads at the top of the page (Settings > Discussion).
    pub newest_first: bool,
}

/// A page of a post's thread, oldest first; reply links only where a
/// reply can be made (approved comments on an open post). `None` when the
/// thread has no such page.
pub fn thread_page(
    comments: &[Comment],
    secret: &str,
    wanted: &PageOfThread<'_>,
) -> Option<ThreadPage> {
    let PageOfThread {
        paging,
        page,
        replies_open,
        permalink,
        clock,
        known_pages,
        newest_first,
    } = *wanted;
    let pairs: Vec<(i64, Option<i64>)> = comments
        .iter()
        .map(|comment| (comment.id, comment.parent_id))
        .collect();
    let slots = thread(&pairs, paging.max_depth);
    // `comments` holds one page's threads when the count of pages is known.
    let (range, page_count) = match known_pages {
        Some(pages) if page >= 1 && page <= pages => (0..slots.len(), pages),
        Some(_) => return None,
        None => {
            let pages = thread_pages(&slots, paging.per_page);
            (pages.get(page.checked_sub(1)?)?.clone(), pages.len())
        }
    };
    let path = comment_page_path(permalink, page);
    let mut shown: Vec<&crate::render::thread::ThreadSlot> = slots[range].iter().collect();
    if newest_first {
        // Whole threads in the other order, each as it was inside.
        let mut threads: Vec<Vec<&crate::render::thread::ThreadSlot>> = Vec::new();
        for slot in shown {
            match threads.last_mut() {
                Some(thread) if slot.depth > 1 => thread.push(slot),
                _ => threads.push(vec![slot]),
            }
        }
        shown = threads.into_iter().rev().flatten().collect();
    }
    let items = shown
        .into_iter()
        .map(|slot| {
            let comment = &comments[slot.index];
            let approved = comment.status == CommentStatus::Approved;
            CommentItem {
                id: comment.id,
                author_name: crate::render::text::public_name(&comment.author_name).into_owned(),
                author_url: AuthorUrl::parse(&comment.author_url)
                    .map(|url| url.as_str().to_owned()),
                // A held comment is shown only to whoever sent it, and they
                // may have typed someone else's email: the keyed avatar of
                // that email would confirm their guess. Neutral until approved.
                avatar: if approved {
                    avatar_key(secret, &comment.author_email)
                } else {
                    NEUTRAL_AVATAR.to_owned()
                },
                date_human: clock.date_at_time(comment.created_at),
                date_iso: iso_date(comment.created_at),
                body_html: comment.body_html.clone(),
                awaiting: !approved,
                editable: false,
                reply_link: (approved && replies_open)
                    .then(|| format!("{path}?replytocom={}#respond", comment.id)),
                depth: slot.depth,
                has_children: slot.has_children,
                closes: slot.closes,
                ping: comment.is_ping(),
            }
        })
        .collect();
    Some(ThreadPage {
        items,
        page,
        pages: page_count,
        path,
    })
}

impl ThreadPage {
    /// "Older Comments": the previous page's address.
    pub fn older(&self, permalink: &str) -> Option<String> {
        (self.page > 1).then(|| format!("{}#comments", comment_page_path(permalink, self.page - 1)))
    }

    /// "Newer Comments": the next page's address.
    pub fn newer(&self, permalink: &str) -> Option<String> {
        (self.page < self.pages)
            .then(|| format!("{}#comments", comment_page_path(permalink, self.page + 1)))
    }
}

/// The comment form, as first shown or as shown again after a refusal.
#[derive(Debug, Clone)]
pub struct CommentForm {
    pub open: bool,
    /// "Leave a Reply", or "Leave a Reply to Ann".
    pub title: String,
    pub values: CommentSubmission,
    pub errors: FieldErrors,
    /// A message above the form (duplicate, too fast, closed…); static text.
    pub notice: Option<&'static str>,
    /// Signed time the form was shown, to spot bots that post at once.
    pub token: String,
    /// The comment as it will appear, after "Preview".
    pub preview: Option<CommentPreview>,
}

/// A comment shown before it is sent: its author and its sanitised HTML.
#[derive(Debug, Clone)]
pub struct CommentPreview {
    pub author: String,
    pub html: String,
}

impl CommentForm {
    pub fn blank(open: bool, reply_to: Option<(i64, &str)>, secret: &str) -> CommentForm {
        let values = CommentSubmission {
            parent: reply_to.map(|(id, _)| id),
            ..CommentSubmission::default()
        };
        CommentForm {
            open,
            title: reply_title(reply_to.map(|(_, name)| name)),
            values,
            errors: FieldErrors::default(),
            notice: None,
            token: form_token(secret, now()),
            preview: None,
        }
    }

    /// The form filled with the details a reader asked to have kept.
    pub fn remembering(mut self, details: Option<Remembered>) -> CommentForm {
        if let Some(details) = details {
            self.values.author = details.author;
            self.values.email = details.email;
            self.values.url = details.url;
            self.values.remember = true;
        }
        self
    }

    /// Whether the form holds anything of one reader's (their details, their
    /// text): then its page is theirs alone.
    pub fn is_personal(&self) -> bool {
        !self.values.author.is_empty()
            || !self.values.email.is_empty()
            || !self.values.comment.is_empty()
            || self.preview.is_some()
    }

    /// The form shown again with what was typed.
    pub fn refilled(
        open: bool,
        values: CommentSubmission,
        reply_to_name: Option<&str>,
        secret: &str,
    ) -> CommentForm {
        CommentForm {
            open,
            title: reply_title(reply_to_name),
            values,
            errors: FieldErrors::default(),
            notice: None,
            token: form_token(secret, now()),
            preview: None,
        }
    }
}

fn reply_title(name: Option<&str>) -> String {
    match name {
        // Isolated: a right-to-left override in the name ends with it.
        Some(name) => format!("Leave a Reply to \u{2068}{name}\u{2069}"),
        None => "Leave a Reply".to_owned(),
    }
}

/// A signed "shown at" time for the form.
pub fn form_token(secret: &str, shown_at: i64) -> String {
    signed_value(secret, Purpose::CommentForm, &shown_at.to_string())
}

/// Whether the form came back sooner than a person could have filled it, or
/// without a genuine token at all.
pub fn sent_too_fast(secret: &str, token: &str, at: i64) -> bool {
    match open_signed_value(secret, Purpose::CommentForm, token)
        .and_then(|text| text.parse::<i64>().ok())
    {
        Some(shown_at) => at - shown_at < MIN_SECONDS_TO_TYPE,
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    #[test]
    fn a_form_sent_within_seconds_or_without_a_token_is_too_fast() {
        let now = 1_700_000_000;
        assert!(sent_too_fast(SECRET, &form_token(SECRET, now - 1), now));
        assert!(!sent_too_fast(SECRET, &form_token(SECRET, now - 30), now));
        assert!(sent_too_fast(SECRET, "", now));
        assert!(sent_too_fast(SECRET, &format!("{}.00", now - 30), now));
    }
}
