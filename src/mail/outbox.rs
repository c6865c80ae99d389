//! The outbox table: mail waiting to be sent, claimed by workers with a
//! lease, marked sent or retried with exponential backoff.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};

use crate::db::schema::outbox;
use crate::db::AnyConnection;
use crate::domain::OutboxStatus;
use crate::models::now;

/// A message to put in the outbox.
#[derive(Debug, Clone)]
pub struct NewEmail {
    /// What caused it (`moderation`, `reply`, `confirm`, `author`…), for the panel.
    pub kind: &'static str,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    /// Extra headers, such as `List-Unsubscribe`.
    pub headers: Vec<(String, String)>,
    /// Deterministic per event and recipient, so the same event never
    /// queues the same mail twice (`<reply-12-34@blog.example>`).
    pub message_id: String,
}

/// Writes a message to the outbox in the caller's transaction. Returns
/// `false` when a message with this Message-ID is there already.
pub fn enqueue(conn: &mut AnyConnection, email: &NewEmail) -> QueryResult<bool> {
    let headers = serde_json::to_string(&email.headers).unwrap_or_else(|_| "[]".to_owned());
    let created_at = now();
    // A duplicate is skipped by the insert itself: no savepoint (two more
    // trips to PostgreSQL with every comment, and a subtransaction) is
    // needed to keep it from aborting the surrounding transaction.
    let insert = diesel::insert_into(outbox::table)
        .values((
            outbox::kind.eq(email.kind),
            outbox::recipient.eq(&email.recipient),
            outbox::subject.eq(&email.subject),
            outbox::body_text.eq(&email.body_text),
            outbox::body_html.eq(&email.body_html),
            outbox::extra_headers.eq(&headers),
            outbox::message_id.eq(&email.message_id),
            outbox::status.eq(OutboxStatus::Pending),
            outbox::attempts.eq(0),
            outbox::next_attempt_at.eq(created_at),
            outbox::created_at.eq(created_at),
        ))
        .on_conflict(outbox::message_id)
        .do_nothing();
    let inserted = match conn {
        AnyConnection::Postgresql(pg) => insert.execute(pg)?,
        AnyConnection::Sqlite(sqlite) => insert.execute(sqlite)?,
    };
    Ok(inserted > 0)
}

/// A message a worker holds for delivery.
#[derive(Debug, Clone, QueryableByName)]
pub struct ClaimedMessage {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub recipient: String,
    #[diesel(sql_type = Text)]
    pub subject: String,
    #[diesel(sql_type = Text)]
    pub body_text: String,
    #[diesel(sql_type = Text)]
    pub body_html: String,
    #[diesel(sql_type = Text)]
    pub extra_headers: String,
    #[diesel(sql_type = Text)]
    pub message_id: String,
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    #[diesel(sql_type = BigInt)]
    pub created_at: i64,
}

impl ClaimedMessage {
    pub fn headers(&self) -> Vec<(String, String)> {
        serde_json::from_str(&self.extra_headers).unwrap_or_default()
    }
}

/// Claims up to `limit` due messages for `lease_seconds`. On PostgreSQL,
/// `FOR UPDATE SKIP LOCKED` lets several `serve` processes claim side by side
/// without taking the same row; SQLite has one writer at a time, so the
/// single `UPDATE … RETURNING` is already exclusive. The longest due go
/// first, in the order of the due index: a backlog (the mail server down
/// for a day) is walked for a batch, not sorted whole for each.
pub fn claim_due(
    conn: &mut AnyConnection,
    limit: i64,
    lease_seconds: i64,
) -> QueryResult<Vec<ClaimedMessage>> {
    let at = now();
    match conn {
        AnyConnection::Postgresql(conn) => diesel::sql_query(
            "UPDATE outbox SET locked_until = $1 WHERE id IN ( \
               SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= $2 \
               AND (locked_until IS NULL OR locked_until <= $2) ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED) \
             RETURNING id, recipient, subject, body_text, body_html, extra_headers, message_id, attempts, created_at",
        )
        .bind::<BigInt, _>(at + lease_seconds)
        .bind::<BigInt, _>(at)
        .bind::<BigInt, _>(limit)
        .load(conn),
        AnyConnection::Sqlite(conn) => diesel::sql_query(
            "UPDATE outbox SET locked_until = ? WHERE id IN ( \
               SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? \
               AND (locked_until IS NULL OR locked_until <= ?) ORDER BY next_attempt_at, id LIMIT ?) \
             RETURNING id, recipient, subject, body_text, body_html, extra_headers, message_id, attempts, created_at",
        )
        .bind::<BigInt, _>(at + lease_seconds)
        .bind::<BigInt, _>(at)
        .bind::<BigInt, _>(at)
        .bind::<BigInt, _>(limit)
        .load(conn),
    }
}

pub fn mark_sent(conn: &mut AnyConnection, id: i64) -> QueryResult<()> {
    diesel::update(outbox::table.find(id))
        .set((
            outbox::status.eq(OutboxStatus::Sent),
            outbox::sent_at.eq(now()),
            outbox::attempts.eq(outbox::attempts + 1),
            outbox::locked_until.eq(None::<i64>),
            outbox::last_error.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}

/// Attempts after which a message is given up as failed (the delays add up
/// to more than a day).
pub const MAX_ATTEMPTS: i32 = 14;

/// The wait before attempt `attempts + 1`: `base`, doubling, at most six hours.
pub fn backoff_seconds(attempts: i32, base_seconds: i64) -> i64 {
    let doubled = base_seconds.saturating_mul(1i64 << attempts.clamp(0, 20));
    doubled.clamp(1, 6 * 3600)
}

/// How a delivery attempt failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// Worth another try later (`4xx`, a connection that broke).
    Transient,
    /// The server refused for good (`5xx`): no day of retries.
    Permanent,
}

pub fn mark_failed(
    conn: &mut AnyConnection,
    id: i64,
    attempts_before: i32,
    error: &str,
    base_seconds: i64,
    failure: Failure,
) -> QueryResult<()> {
    let attempts = attempts_before + 1;
    let status = if attempts >= MAX_ATTEMPTS || failure == Failure::Permanent {
        OutboxStatus::Failed
    } else {
        OutboxStatus::Pending
    };
    let error: String = error.chars().take(500).collect();
    diesel::update(outbox::table.find(id))
        .set((
            outbox::status.eq(status),
            outbox::attempts.eq(attempts),
            outbox::last_error.eq(error),
            outbox::next_attempt_at.eq(now() + backoff_seconds(attempts_before, base_seconds)),
            outbox::locked_until.eq(None::<i64>),
        ))
        .execute(conn)?;
    Ok(())
}

/// A row as `/admin/outbox` lists it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: i64,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub status: OutboxStatus,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub next_attempt_at: i64,
    pub created_at: i64,
    pub sent_at: Option<i64>,
}

/// The newest messages first, keyset-paginated by id.
pub fn list_outbox(
    conn: &mut AnyConnection,
    before_id: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<OutboxRow>> {
    let mut query = outbox::table
        .order(outbox::id.desc())
        .limit(limit)
        .select(OutboxRow::as_select())
        .into_boxed();
    if let Some(before_id) = before_id {
        query = query.filter(outbox::id.lt(before_id));
    }
    query.load(conn)
}

/// One message as `/admin/outbox/{id}` shows it: its row and plain text.
pub fn find_message(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<(OutboxRow, String)>> {
    outbox::table
        .find(id)
        .select((OutboxRow::as_select(), outbox::body_text))
        .first(conn)
        .optional()
}

/// A mail's text as staff may read it: every link that acts for its
/// recipient (moderation, subscription, account links) loses its token,
/// so reading the outbox never lends anyone the recipient's powers.
pub fn without_capabilities(text: &str) -> String {
    static LINK: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(
            r"/(moderate|subscriptions/(?:confirm|unsubscribe|manage)|admin/account)/[^\s<>\x22']+",
        )
        .unwrap_or_else(|error| unreachable!("a fixed pattern: {error}"))
    });
    LINK.replace_all(text, "/$1/[only the recipient's copy works]")
        .into_owned()
}

/// Deletes every message to or about `email` (its recipient, subject or
/// bodies name it): part of erasing a person's data. Moderation mail about
/// their comments goes too, since it holds their address and IP.
pub fn forget_address(conn: &mut AnyConnection, email: &str) -> QueryResult<usize> {
    use diesel::dsl::sql;
    use diesel::sql_types::Text;
    let email = email.trim().to_lowercase();
    let escaped = email
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    let pattern = format!("%{escaped}%");
    let lower = |column: &str| sql::<Text>(&format!("LOWER({column})"));
    diesel::delete(
        outbox::table.filter(
            lower("recipient")
                .eq(email.clone())
                .or(lower("subject").like(pattern.clone()).escape('\\'))
                .or(lower("body_text").like(pattern.clone()).escape('\\'))
                .or(lower("body_html").like(pattern.clone()).escape('\\'))
                .or(lower("extra_headers").like(pattern).escape('\\')),
        ),
    )
    .execute(conn)
}

/// Makes a waiting or failed message due now.
pub fn retry_now(conn: &mut AnyConnection, id: i64) -> QueryResult<usize> {
    diesel::update(
        outbox::table
            .find(id)
            .filter(outbox::status.ne(OutboxStatus::Sent)),
    )
    .set((
        outbox::status.eq(OutboxStatus::Pending),
        outbox::next_attempt_at.eq(now()),
        outbox::locked_until.eq(None::<i64>),
    ))
    .execute(conn)
}

/// Messages still waiting after at least one failed attempt, and given up.
pub fn delivery_trouble(conn: &mut AnyConnection) -> QueryResult<(i64, Option<String>)> {
    let failing: i64 = outbox::table
        .filter(
            outbox::status.eq(OutboxStatus::Failed).or(outbox::status
                .eq(OutboxStatus::Pending)
                .and(outbox::attempts.gt(0))),
        )
        .count()
        .get_result(conn)?;
    let last_error: Option<String> = outbox::table
        .filter(outbox::last_error.is_not_null())
        .filter(outbox::status.ne(OutboxStatus::Sent))
        .order(outbox::id.desc())
        .select(outbox::last_error)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten();
    Ok((failing, last_error))
}

/// Rows by status, for tests and the panel.
pub fn count_outbox(conn: &mut AnyConnection, status: OutboxStatus) -> QueryResult<i64> {
    outbox::table
        .filter(outbox::status.eq(status))
        .count()
        .get_result(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_mail_keeps_no_link_that_acts() {
        let text = "Approve: https://blog.example/moderate/ab12.cd34\nUnsubscribe: https://blog.example/subscriptions/unsubscribe/7.x-y\nSet it: https://blog.example/admin/account/00ff.99aa\nRead: https://blog.example/2024/01/post/#comment-3";
        assert_eq!(
            without_capabilities(text),
            "Approve: https://blog.example/moderate/[only the recipient's copy works]\nUnsubscribe: https://blog.example/subscriptions/unsubscribe/[only the recipient's copy works]\nSet it: https://blog.example/admin/account/[only the recipient's copy works]\nRead: https://blog.example/2024/01/post/#comment-3"
        );
    }

    #[test]
    fn backoff_doubles_and_retries_span_more_than_a_day() {
        assert_eq!(backoff_seconds(0, 30), 30);
        assert_eq!(backoff_seconds(1, 30), 60);
        assert_eq!(backoff_seconds(30, 30), 6 * 3600);
        let total: i64 = (0..MAX_ATTEMPTS - 1)
            .map(|attempt| backoff_seconds(attempt, 30))
            .sum();
        assert!(total > 86_400, "{total}");
    }
}
