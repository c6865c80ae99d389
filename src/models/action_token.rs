//! Single-use, expiring tokens behind the Approve / Spam / Trash links in
//! moderation emails. The link carries the token's random id and an HMAC of
//! it, so it cannot be guessed or forged; `used_at` makes it single-use.

use diesel::prelude::*;
use rand::RngCore;

use crate::auth::signing::{open_signed_value, signed_value, Purpose};
use crate::db::schema::action_tokens;
use crate::db::AnyConnection;
use crate::domain::ModerationAction;
use crate::models::now;

/// Moderation links work for a week.
pub const ACTION_TOKEN_SECONDS: i64 = 7 * 86_400;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = action_tokens)]
pub struct ActionToken {
    pub id: String,
    /// What the link does; the column is named for what it was first.
    #[diesel(column_name = purpose)]
    pub action: ModerationAction,
    pub comment_id: Option<i64>,
    pub subscriber_id: Option<i64>,
    pub user_id: Option<i64>,
    pub created_at: i64,
    pub expires_at: i64,
    pub used_at: Option<i64>,
}

/// New tokens for `actions` on a comment, written in one statement (one
/// trip to the database for a mail's links, not one per link); the signed
/// value for each link, in the order of `actions`.
pub fn create_comment_tokens<const N: usize>(
    conn: &mut AnyConnection,
    secret: &str,
    comment_id: i64,
    actions: [ModerationAction; N],
) -> QueryResult<[String; N]> {
    let ids: [String; N] = std::array::from_fn(|_| {
        let mut bytes = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        hex::encode(bytes)
    });
    let created_at = now();
    // An array, not a `Vec`: a statement of a fixed shape, kept prepared.
    let rows: [_; N] = std::array::from_fn(|at| {
        (
            action_tokens::id.eq(ids[at].clone()),
            action_tokens::purpose.eq(actions[at]),
            action_tokens::comment_id.eq(comment_id),
            action_tokens::created_at.eq(created_at),
            action_tokens::expires_at.eq(created_at + ACTION_TOKEN_SECONDS),
        )
    });
    let insert = diesel::insert_into(action_tokens::table).values(rows);
    match conn {
        AnyConnection::Postgresql(pg) => insert.execute(pg)?,
        AnyConnection::Sqlite(sqlite) => insert.execute(sqlite)?,
    };
    Ok(ids.map(|id| signed_value(secret, Purpose::ActionToken, &id)))
}

/// The token a link names, if its signature is good and it exists.
pub fn find_token(
    conn: &mut AnyConnection,
    secret: &str,
    link_value: &str,
) -> QueryResult<Option<ActionToken>> {
    let Some(id) = open_signed_value(secret, Purpose::ActionToken, link_value) else {
        return Ok(None);
    };
    action_tokens::table
        .find(id)
        .select(ActionToken::as_select())
        .first(conn)
        .optional()
}

/// Marks the token used; `false` when it was used already (by this request's
/// twin, perhaps: only one of two simultaneous uses wins).
pub fn use_token(conn: &mut AnyConnection, id: &str) -> QueryResult<bool> {
    let updated = diesel::update(
        action_tokens::table
            .find(id)
            .filter(action_tokens::used_at.is_null()),
    )
    .set(action_tokens::used_at.eq(now()))
    .execute(conn)?;
    Ok(updated == 1)
}
