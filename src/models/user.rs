//! Staff accounts.

use diesel::prelude::*;

use crate::db::schema::users;
use crate::db::AnyConnection;
use crate::domain::{EmailAddress, Role};
use crate::models::now;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub password_hash: Option<String>,
    pub role: String,
    pub notify_comments: bool,
    pub wp_login: Option<String>,
    pub created_at: i64,
}

/// A user to create; the password is hashed already.
#[derive(Debug)]
pub struct NewUser<'a> {
    pub email: &'a EmailAddress,
    pub display_name: &'a str,
    pub password_hash: Option<&'a str>,
    pub role: Role,
}

pub fn create_user(conn: &mut AnyConnection, new_user: &NewUser<'_>) -> QueryResult<User> {
    diesel::insert_into(users::table)
        .values((
            users::email.eq(new_user.email.as_str()),
            users::display_name.eq(new_user.display_name),
            users::password_hash.eq(new_user.password_hash),
            users::role.eq(new_user.role.as_str()),
            users::notify_comments.eq(true),
            users::created_at.eq(now()),
        ))
        .execute(conn)?;
    find_user_by_email(conn, new_user.email.as_str())?.ok_or(diesel::result::Error::NotFound)
}

pub fn find_user_by_email(conn: &mut AnyConnection, email: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::email.eq(email))
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn count_users(conn: &mut AnyConnection) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

/// The name shown under a post, or `None` for a removed author.
pub fn display_name(conn: &mut AnyConnection, user_id: i64) -> QueryResult<Option<String>> {
    users::table
        .find(user_id)
        .select(users::display_name)
        .first(conn)
        .optional()
}
