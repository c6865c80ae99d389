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
use crate::models::action_token::{create_comment_token, ACTION_TOKEN_SECONDS};
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
/// goes on to `comment_approved`. `comment_path` is where the comment is
/// shown: its comment page and anchor.
pub fn comment_received(
    conn: &mut AnyConnection,
    context: &MailContext,
    comment: &Comment,
    post: &Post,
    comment_path: &str,
    subscribe: bool,
) -> QueryResult<()> {
    if comment.status == CommentStatus::Spam {
        return Ok(());
    }
    let recipients = moderator_addresses(conn, context)?;
    if !recipients.is_empty() {
        let held = comment.status == CommentStatus::Pending;
        let link = |conn: &mut AnyConnection, action| -> QueryResult<String> {
            let token = create_comment_token(conn, &context.secret, action, comment.id)?;
            Ok(context.absolute_url(&format!("/moderate/{token}")))
        };
        let approve_link = if held {
            Some(link(conn, ModerationAction::Approve)?)
        } else {
            None
        };
        let mail = ModerationMail {
            comment_id: comment.id,
            held,
            post_title: &post.title,
            permalink: context.absolute_url(comment_path),
            author_name: &comment.author_name,
            author_email: &comment.author_email,
            author_url: &comment.author_url,
            author_ip: &comment.author_ip,
            text: &comment.body_source,
            approve_link,
            spam_link: link(conn, ModerationAction::Spam)?,
            trash_link: link(conn, ModerationAction::Trash)?,
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
        comment_approved(conn, context, comment.id)?;
    }
    Ok(())
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
                let mail = compose::ReplyMail {
                    reply_id: comment.id,
                    replier_name: &comment.author_name,
                    post_title: &post.title,
                    text: &comment.body_source,
                    link: &link,
                    unsubscribe_link: &unsubscribe_link,
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
                if !wrote_it {
                    let email = compose::comment_approved_for_author(
                        context,
                        comment.id,
                        &post.title,
                        &comment.author_name,
                        &comment.body_source,
                        &link,
                        &author_email,
                    );
                    queue(conn, email)?;
                }
            }
        }
    }
    Ok(())
}
