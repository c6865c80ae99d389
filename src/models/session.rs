//! Login sessions. The cookie carries a random token; the table keeps only
//! its SHA-256, so a copy of the database cannot be replayed as cookies.

use diesel::prelude::*;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::db::schema::{sessions, users};
use crate::db::AnyConnection;
use crate::models::now;
use crate::models::user::User;

/// Sessions last two weeks from login.
pub const SESSION_SECONDS: i64 = 14 * 86_400;

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new session for `user_id`: the cookie token to hand out.
pub fn create_session(conn: &mut AnyConnection, user_id: i64) -> QueryResult<String> {
    let token = random_token();
    let created_at = now();
    diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq(token_hash(&token)),
            sessions::user_id.eq(user_id),
            sessions::csrf_token.eq(random_token()),
            sessions::created_at.eq(created_at),
            sessions::expires_at.eq(created_at + SESSION_SECONDS),
        ))
        .execute(conn)?;
    // Old sessions are swept as new ones begin.
    diesel::delete(sessions::table.filter(sessions::expires_at.lt(created_at))).execute(conn)?;
    Ok(token)
}

/// The user and CSRF token of a live session.
pub fn find_session(conn: &mut AnyConnection, token: &str) -> QueryResult<Option<(User, String)>> {
    sessions::table
        .inner_join(users::table)
        .filter(sessions::id.eq(token_hash(token)))
        .filter(sessions::expires_at.gt(now()))
        .select((User::as_select(), sessions::csrf_token))
        .first(conn)
        .optional()
}

pub fn delete_session(conn: &mut AnyConnection, token: &str) -> QueryResult<()> {
    diesel::delete(sessions::table.filter(sessions::id.eq(token_hash(token)))).execute(conn)?;
    Ok(())
}

/// Ends every session of a user (password changed or reset, account removed).
pub fn delete_sessions_of(conn: &mut AnyConnection, user_id: i64) -> QueryResult<()> {
    diesel::delete(sessions::table.filter(sessions::user_id.eq(user_id))).execute(conn)?;
    Ok(())
}
