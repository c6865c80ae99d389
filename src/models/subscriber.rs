//! Readers who asked to hear about replies (double opt-in: nothing but the
//! confirmation is sent to an address until it is confirmed).

use diesel::prelude::*;

use crate::db::schema::{reply_subscriptions, subscribers};
use crate::db::AnyConnection;
use crate::models::{is_unique_violation, now};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = subscribers)]
pub struct Subscriber {
    pub id: i64,
    pub email: String,
    pub confirmed_at: Option<i64>,
    pub unsubscribed_at: Option<i64>,
    pub created_at: i64,
}

impl Subscriber {
    /// Whether replies may be mailed to this address.
    pub fn receives_mail(&self) -> bool {
        self.confirmed_at.is_some() && self.unsubscribed_at.is_none()
    }
}

/// At most one confirmation mail per unconfirmed address a day (else
/// anyone could mail-bomb an address with comments that tick "Notify me").
pub const CONFIRMATION_INTERVAL_SECONDS: i64 = 86_400;

/// Whether a confirmation may be mailed to this subscriber now; if so, the
/// time is recorded (one conditional UPDATE: two comments at once send one).
pub fn claim_confirmation_mail(conn: &mut AnyConnection, subscriber_id: i64) -> QueryResult<bool> {
    let now = now();
    let claimed = diesel::update(
        subscribers::table.find(subscriber_id).filter(
            subscribers::confirmation_sent_at
                .is_null()
                .or(subscribers::confirmation_sent_at.le(now - CONFIRMATION_INTERVAL_SECONDS)),
        ),
    )
    .set(subscribers::confirmation_sent_at.eq(now))
    .execute(conn)?;
    Ok(claimed == 1)
}

/// Deletes the subscriber with this address and their subscriptions.
pub fn forget_subscriber(conn: &mut AnyConnection, email: &str) -> QueryResult<usize> {
    diesel::delete(subscribers::table.filter(subscribers::email.eq(email.trim().to_lowercase())))
        .execute(conn)
}

pub fn find_subscriber(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<Subscriber>> {
    subscribers::table
        .find(id)
        .select(Subscriber::as_select())
        .first(conn)
        .optional()
}

/// The subscriber for an email (lower-cased), created unconfirmed if new; a
/// returning reader who had unsubscribed is subscribed again.
pub fn subscriber_for(conn: &mut AnyConnection, email: &str) -> QueryResult<Subscriber> {
    let email = email.trim().to_lowercase();
    let existing = subscribers::table
        .filter(subscribers::email.eq(&email))
        .select(Subscriber::as_select())
        .first(conn)
        .optional()?;
    if let Some(subscriber) = existing {
        if subscriber.unsubscribed_at.is_some() {
            diesel::update(subscribers::table.find(subscriber.id))
                .set(subscribers::unsubscribed_at.eq(None::<i64>))
                .execute(conn)?;
            return find_subscriber(conn, subscriber.id)?.ok_or(diesel::result::Error::NotFound);
        }
        return Ok(subscriber);
    }
    // A savepoint, so that losing a race to insert the same address keeps the
    // surrounding transaction usable on PostgreSQL.
    let inserted = conn.transaction(|conn| {
        diesel::insert_into(subscribers::table)
            .values((
                subscribers::email.eq(&email),
                subscribers::created_at.eq(now()),
            ))
            .execute(conn)
    });
    match inserted {
        Ok(_) => {}
        Err(error) if is_unique_violation(&error) => {}
        Err(error) => return Err(error),
    }
    subscribers::table
        .filter(subscribers::email.eq(&email))
        .select(Subscriber::as_select())
        .first(conn)
}

/// Asks for replies to `comment_id` to go to `subscriber_id`.
pub fn subscribe_to_replies(
    conn: &mut AnyConnection,
    comment_id: i64,
    subscriber_id: i64,
) -> QueryResult<()> {
    diesel::insert_into(reply_subscriptions::table)
        .values((
            reply_subscriptions::comment_id.eq(comment_id),
            reply_subscriptions::subscriber_id.eq(subscriber_id),
        ))
        .execute(conn)?;
    Ok(())
}

/// Who wants to hear about replies to `comment_id`.
pub fn subscriber_of_comment(
    conn: &mut AnyConnection,
    comment_id: i64,
) -> QueryResult<Option<Subscriber>> {
    reply_subscriptions::table
        .inner_join(subscribers::table)
        .filter(reply_subscriptions::comment_id.eq(comment_id))
        .select(Subscriber::as_select())
        .first(conn)
        .optional()
}

pub fn confirm_subscriber(conn: &mut AnyConnection, id: i64) -> QueryResult<()> {
    diesel::update(
        subscribers::table
            .find(id)
            .filter(subscribers::confirmed_at.is_null()),
    )
    .set(subscribers::confirmed_at.eq(now()))
    .execute(conn)?;
    Ok(())
}

pub fn unsubscribe(conn: &mut AnyConnection, id: i64) -> QueryResult<()> {
    diesel::update(
        subscribers::table
            .find(id)
            .filter(subscribers::unsubscribed_at.is_null()),
    )
    .set(subscribers::unsubscribed_at.eq(now()))
    .execute(conn)?;
    Ok(())
}

/// The posts on which a subscriber hears about replies to their comments,
/// with how many of their comments there, newest post first.
pub fn subscribed_posts(
    conn: &mut AnyConnection,
    subscriber_id: i64,
) -> QueryResult<Vec<(crate::models::post::Post, i64)>> {
    use crate::db::schema::{comments, posts};
    use crate::models::post::Post;
    let rows: Vec<(Post, i64)> = reply_subscriptions::table
        .inner_join(comments::table.inner_join(posts::table))
        .filter(reply_subscriptions::subscriber_id.eq(subscriber_id))
        .select((Post::as_select(), comments::id))
        .load(conn)?;
    let mut posts: Vec<(Post, i64)> = Vec::new();
    for (post, _) in rows {
        match posts.iter_mut().find(|(seen, _)| seen.id == post.id) {
            Some((_, count)) => *count += 1,
            None => posts.push((post, 1)),
        }
    }
    posts.sort_by_key(|(post, _)| std::cmp::Reverse(post.published_at));
    Ok(posts)
}

/// Stops replies on one post reaching a subscriber; how many comments'
/// subscriptions ended.
pub fn unsubscribe_from_post(
    conn: &mut AnyConnection,
    subscriber_id: i64,
    post_id: i64,
) -> QueryResult<usize> {
    use crate::db::schema::comments;
    diesel::delete(
        reply_subscriptions::table
            .filter(reply_subscriptions::subscriber_id.eq(subscriber_id))
            .filter(
                reply_subscriptions::comment_id.eq_any(
                    comments::table
                        .filter(comments::post_id.eq(post_id))
                        .select(comments::id),
                ),
            ),
    )
    .execute(conn)
}
