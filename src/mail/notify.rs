//! The mail each event causes, queued in the caller's transaction so that
//! the event and its mail are committed together or not at all.

use diesel::prelude::*;

use crate::auth::signing::{signed_value, Purpose};
use crate::db::schema::users;
use crate::db::AnyConnection;
use crate::domain::{CommentStatus, ModerationAction};
use crate::mail::compose::{self, ModerationMail};
use crate::mail::outbox::{enqueue, NewEmail};
use crate::mail::MailContext;
use crate::models::action_token::{create_comment_tokens, ACTION_TOKEN_SECONDS};
use crate::models::comment::{comment_path, count_with_status, find_comment, Comment};
use crate::models::now;
use crate::models::post::{find_post, Post};
use crate::models::subscriber::{
    claim_confirmation_mail, subscribe_to_replies, subscriber_for, subscriber_of_comment,
};
use crate::render::text::thousands;

fn template_error(error: askama::Error) -> diesel::result::Error {
    diesel::result::Error::QueryBuilderError(Box::new(error))
}

fn queue(conn: &mut AnyConnection, email: Result<NewEmail, askama::Error>) -> QueryResult<()> {
    enqueue(conn, &email.map_err(template_error)?)?;
    Ok(())
}

/// Who is told about comments to moderate: staff with notifications on
/// (every role moderates), when the switch is on, and the extra address.
fn moderator_addresses(
    conn: &mut AnyConnection,
    context: &MailContext,
) -> QueryResult<Vec<String>> {
    let mut addresses: Vec<String> = if context.notifications.moderators {
        users::table
            .filter(users::notify_comments.eq(true))
            .select(users::email)
            .load(conn)?
    } else {
        Vec::new()
    };
    if !context.notifications.email.is_empty() {
        addresses.push(context.notifications.email.clone());
    }
    addresses.sort_by_key(|address| address.to_lowercase());
    addresses.dedup_by_key(|address| address.to_lowercase());
    Ok(addresses)
}

/// A reader's new comment: moderators are told (never about spam), a reply
/// subscription starts with its confirmation mail, and an approved comment
/// goes on to `comment_approved`, shown where `place` says.
pub fn comment_received(
    conn: &mut AnyConnection,
    context: &MailContext,
    comment: &Comment,
    post: &Post,
    place: Place<'_>,
    subscribe: bool,
) -> QueryResult<()> {
    moderators_told(conn, context, comment, post, place, subscribe, None)
}

/// Where a comment is shown to its author (its comment page and anchor),
/// and whether everyone sees it there too: the author's own held comments,
/// which only they see, can move it a page on.
#[derive(Debug, Clone, Copy)]
pub struct Place<'a> {
    pub path: &'a str,
    pub shown_to_all: bool,
}

/// A comment held again after its author's `edition`-th edit: moderators
/// hear of it as of a new one.
pub fn comment_held_again(
    conn: &mut AnyConnection,
    context: &MailContext,
    comment: &Comment,
    post: &Post,
    comment_path: &str,
    edition: usize,
) -> QueryResult<()> {
    let place = Place {
        path: comment_path,
        shown_to_all: false,
    };
    moderators_told(conn, context, comment, post, place, false, Some(edition))
}

fn moderators_told(
    conn: &mut AnyConnection,
    context: &MailContext,
    comment: &Comment,
    post: &Post,
    place: Place<'_>,
    subscribe: bool,
    edition: Option<usize>,
) -> QueryResult<()> {
    if comment.status == CommentStatus::Spam {
        return Ok(());
    }
    let mut recipients = moderator_addresses(conn, context)?;
    // Nobody is told about their own comment; a post's author who also
    // moderates hears of an approved comment once, by the author's mail.
    recipients.retain(|address| !address.eq_ignore_ascii_case(&comment.author_email));
    if comment.status == CommentStatus::Approved && context.notifications.post_author {
        if let Some(author_email) = post_author_email(conn, post)? {
            recipients.retain(|address| !address.eq_ignore_ascii_case(&author_email));
        }
    }
    // A flood of held comments: into the next digest, not one mail each.
    if comment.status == CommentStatus::Pending
        && !recipients.is_empty()
        && flooded(conn, context.digest_after)?
    {
        wait_for_digest(conn, comment.id)?;
        recipients.clear();
    }
    if !recipients.is_empty() {
        let held = comment.status == CommentStatus::Pending;
        let link = |token: String| context.absolute_url(&format!("/moderate/{token}"));
        let (secret, id) = (&context.secret, comment.id);
        let (approve_link, spam_link, trash_link) = if held {
            use ModerationAction::{Approve, Spam, Trash};
            let [approve, spam, trash] =
                create_comment_tokens(conn, secret, id, [Approve, Spam, Trash])?;
            (Some(link(approve)), link(spam), link(trash))
        } else {
            use ModerationAction::{Spam, Trash};
            let [spam, trash] = create_comment_tokens(conn, secret, id, [Spam, Trash])?;
            (None, link(spam), link(trash))
        };
        let mail = ModerationMail {
            comment_id: comment.id,
            edition,
            held,
            post_title: &post.title,
            permalink: context.absolute_url(place.path),
            author_name: &comment.author_name,
            author_email: &comment.author_email,
            author_url: &comment.author_url,
            author_ip: &comment.author_ip,
            text: &comment.body_source,
            approve_link,
            spam_link,
            trash_link,
            pending_count: thousands(count_with_status(conn, CommentStatus::Pending)?),
        };
        for recipient in &recipients {
            queue(conn, compose::moderation(context, &mail, recipient))?;
        }
    }
    if subscribe {
        let subscriber = subscriber_for(conn, &comment.author_email)?;
        subscribe_to_replies(conn, comment.id, subscriber.id)?;
        if subscriber.confirmed_at.is_none() && claim_confirmation_mail(conn, subscriber.id)? {
            let token = signed_value(
                &context.secret,
                Purpose::SubscriptionConfirm,
                &format!("{}.{}", subscriber.id, now() + ACTION_TOKEN_SECONDS),
            );
            let confirm_link = context.absolute_url(&format!("/subscriptions/confirm/{token}"));
            queue(
                conn,
                compose::confirm_subscription(
                    context,
                    comment.id,
                    &post.title,
                    &confirm_link,
                    &subscriber.email,
                ),
            )?;
        }
    }
    if comment.status == CommentStatus::Approved {
        if place.shown_to_all {
            // The comment, its post and its place are known: not read again.
            approved_mails(
                conn,
                context,
                comment,
                post,
                &context.absolute_url(place.path),
            )?;
        } else {
            comment_approved(conn, context, comment.id)?;
        }
    }
    Ok(())
}

fn post_author_email(conn: &mut AnyConnection, post: &Post) -> QueryResult<Option<String>> {
    let Some(author_id) = post.author_id else {
        return Ok(None);
    };
    users::table
        .find(author_id)
        .select(users::email)
        .first(conn)
        .optional()
}

/// Whether more than `digest_after` comments were held in the last hour
/// (this one included): moderators get a digest instead of a flood.
fn flooded(conn: &mut AnyConnection, digest_after: i64) -> QueryResult<bool> {
    use crate::db::schema::comments;
    if digest_after <= 0 {
        return Ok(false);
    }
    // Is there a (K+1)-th? At most K+1 index entries read, however big
    // the wave.
    let beyond: Option<i64> = comments::table
        .filter(comments::status.eq(CommentStatus::Pending))
        .filter(comments::created_at.gt(now() - 3600))
        .order((comments::created_at.desc(), comments::id.desc()))
        .select(comments::id)
        .offset(digest_after)
        .limit(1)
        .first(conn)
        .optional()?;
    Ok(beyond.is_some())
}

fn wait_for_digest(conn: &mut AnyConnection, comment_id: i64) -> QueryResult<()> {
    use crate::db::schema::digest_items;
    diesel::insert_into(digest_items::table)
        .values((
            digest_items::comment_id.eq(comment_id),
            digest_items::held_at.eq(now()),
        ))
        .execute(conn)?;
    Ok(())
}

/// Sends the digest of held comments once the oldest of them has waited
/// `wait_seconds`: one mail per moderator listing them all, with a link to
/// the queue showing exactly those. Safe to call from every process (the
/// write transaction lets one of them claim the comments).
pub fn send_digest_if_due(
    conn: &mut AnyConnection,
    context: &MailContext,
    wait_seconds: i64,
) -> QueryResult<Option<i64>> {
    use crate::db::schema::{comment_digests, comments, digest_items, posts};
    crate::db::write_transaction(conn, |conn| {
        let oldest: Option<i64> = digest_items::table
            .filter(digest_items::digest_id.is_null())
            .select(diesel::dsl::min(digest_items::held_at))
            .first(conn)?;
        match oldest {
            Some(oldest) if oldest <= now() - wait_seconds => {}
            _ => return Ok(None),
        }
        diesel::insert_into(comment_digests::table)
            .values(comment_digests::created_at.eq(now()))
            .execute(conn)?;
        let digest_id: i64 = comment_digests::table
            .select(diesel::dsl::max(comment_digests::id))
            .first::<Option<i64>>(conn)?
            .ok_or(diesel::result::Error::NotFound)?;
        diesel::update(digest_items::table.filter(digest_items::digest_id.is_null()))
            .set(digest_items::digest_id.eq(digest_id))
            .execute(conn)?;
        let rows: Vec<(String, String, String, f64, String)> = digest_items::table
            .inner_join(comments::table.inner_join(posts::table))
            .filter(digest_items::digest_id.eq(digest_id))
            .order(comments::id.asc())
            .select((
                comments::author_name,
                posts::title,
                comments::body_source,
                comments::spam_score,
                comments::status,
            ))
            .load(conn)?;
        let items: Vec<compose::DigestItem> = rows
            .into_iter()
            .map(
                |(author, post_title, text, score, status)| compose::DigestItem {
                    author,
                    post_title,
                    first_lines: text
                        .lines()
                        .take(3)
                        .collect::<Vec<_>>()
                        .join(" ")
                        .chars()
                        .take(240)
                        .collect(),
                    score: format!("{score:.2}"),
                    status,
                },
            )
            .collect();
        let link = context.absolute_url(&format!("/admin/comments?digest={digest_id}"));
        for recipient in moderator_addresses(conn, context)? {
            queue(
                conn,
                compose::digest(context, digest_id, &items, &link, &recipient),
            )?;
        }
        Ok(Some(digest_id))
    })
}

/// A comment now approved: its parent's subscriber hears of the reply (if
/// confirmed, and not the replier), and the post's author hears of the comment.
/// Message-IDs are per event and recipient, so approving twice mails once.
pub fn comment_approved(
    conn: &mut AnyConnection,
    context: &MailContext,
    comment_id: i64,
) -> QueryResult<()> {
    let Some(comment) = find_comment(conn, comment_id)? else {
        return Ok(());
    };
    let Some(post) = find_post(conn, comment.post_id)? else {
        return Ok(());
    };
    let link = context.absolute_url(&comment_path(conn, &post, comment.id, &[], context.paging)?);
    approved_mails(conn, context, &comment, &post, &link)
}

/// The mails of an approved `comment` on `post`, which `link` shows.
fn approved_mails(
    conn: &mut AnyConnection,
    context: &MailContext,
    comment: &Comment,
    post: &Post,
    link: &str,
) -> QueryResult<()> {
    if let Some(parent_id) = comment.parent_id {
        if let Some(subscriber) = subscriber_of_comment(conn, parent_id)? {
            let own_reply = subscriber.email.eq_ignore_ascii_case(&comment.author_email);
            if subscriber.receives_mail() && !own_reply {
                let token = signed_value(
                    &context.secret,
                    Purpose::Unsubscribe,
                    &subscriber.id.to_string(),
                );
                let unsubscribe_link =
                    context.absolute_url(&format!("/subscriptions/unsubscribe/{token}"));
                let manage_link = context.absolute_url(&format!("/subscriptions/manage/{token}"));
                let mail = compose::ReplyMail {
                    reply_id: comment.id,
                    replier_name: &crate::render::text::public_name(&comment.author_name),
                    post_title: &post.title,
                    text: &comment.body_source,
                    link,
                    unsubscribe_link: &unsubscribe_link,
                    manage_link: &manage_link,
                };
                let email = compose::reply(context, &mail, &subscriber.email);
                queue(conn, email)?;
            }
        }
    }
    if context.notifications.post_author {
        if let Some(author_id) = post.author_id {
            let author: Option<(i64, String)> = users::table
                .find(author_id)
                .select((users::id, users::email))
                .first(conn)
                .optional()?;
            if let Some((author_id, author_email)) = author {
                let wrote_it = comment.user_id == Some(author_id)
                    || author_email.eq_ignore_ascii_case(&comment.author_email);
                // Who approved it from the panel knows already.
                let approved_it = context
                    .acting_email
                    .as_deref()
                    .is_some_and(|acting| acting.eq_ignore_ascii_case(&author_email));
                if !wrote_it && !approved_it {
                    let email = compose::comment_approved_for_author(
                        context,
                        comment.id,
                        &post.title,
                        &crate::render::text::public_name(&comment.author_name),
                        &comment.body_source,
                        link,
                        &author_email,
                    );
                    queue(conn, email)?;
                }
            }
        }
    }
    Ok(())
}

/// A link mailed to a staff member about their own account.
pub enum AccountLink<'a> {
    /// Choose a new password (an hour).
    Reset,
    /// A new account: choose a first password (a week). `inviter` added them.
    Invitation { inviter: &'a str },
    /// Confirm `new_email` as the account's address (a day), mailed there.
    NewEmail(&'a str),
}

/// Makes the link and queues its mail, in the caller's transaction: the
/// link exists if and only if its mail is on its way.
pub fn send_account_link(
    conn: &mut AnyConnection,
    context: &MailContext,
    user: &crate::models::user::User,
    link: AccountLink<'_>,
) -> QueryResult<()> {
    use crate::models::account_token::{create_account_token, AccountPurpose};
    let (purpose, new_email) = match link {
        AccountLink::Reset => (AccountPurpose::Reset, None),
        AccountLink::Invitation { .. } => (AccountPurpose::Invitation, None),
        AccountLink::NewEmail(address) => (AccountPurpose::Email, Some(address)),
    };
    let (value, id) = create_account_token(conn, &context.secret, user.id, purpose, new_email)?;
    let url = context.absolute_url(&format!("/admin/account/{value}"));
    let role = user.role().label();
    let mail = match link {
        AccountLink::Reset => compose::AccountMail::Reset { link: &url },
        AccountLink::Invitation { inviter } => compose::AccountMail::Invitation {
            link: &url,
            inviter,
            role,
        },
        AccountLink::NewEmail(_) => compose::AccountMail::ConfirmEmail { link: &url },
    };
    let recipient = new_email.unwrap_or(&user.email);
    // The Message-ID names the link by a prefix of its id: unusable alone.
    queue(
        conn,
        compose::account(context, &mail, &id[..12], &user.display_name, recipient),
    )
}

/// Tells the old address that the account's address changed.
pub fn email_changed(
    conn: &mut AnyConnection,
    context: &MailContext,
    name: &str,
    old_email: &str,
    new_email: &str,
    event: &str,
) -> QueryResult<()> {
    queue(
        conn,
        compose::account(
            context,
            &compose::AccountMail::EmailChanged { new_email },
            event,
            name,
            old_email,
        ),
    )
}
