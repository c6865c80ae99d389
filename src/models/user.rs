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
    /// The author page's address: `/author/{slug}/`.
    pub slug: Option<String>,
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

/// Staff who can log in (with a password): none, and setup stays open —
/// imported WordPress authors have no password here.
pub fn count_users_who_can_log_in(conn: &mut AnyConnection) -> QueryResult<i64> {
    users::table
        .filter(users::password_hash.is_not_null())
        .count()
        .get_result(conn)
}

/// The name shown under a post, or `None` for a removed author.
pub fn display_name(conn: &mut AnyConnection, user_id: i64) -> QueryResult<Option<String>> {
    users::table
        .find(user_id)
        .select(users::display_name)
        .first(conn)
        .optional()
}

impl User {
    /// The account's role; an unknown stored value grants the least.
    pub fn role(&self) -> Role {
        self.role.parse().unwrap_or(Role::Moderator)
    }
}

pub fn find_user(conn: &mut AnyConnection, user_id: i64) -> QueryResult<Option<User>> {
    users::table
        .find(user_id)
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn list_users(conn: &mut AnyConnection) -> QueryResult<Vec<User>> {
    users::table
        .order(users::display_name.asc())
        .select(User::as_select())
        .load(conn)
}

pub fn set_password_hash(
    conn: &mut AnyConnection,
    user_id: i64,
    password_hash: &str,
) -> QueryResult<()> {
    diesel::update(users::table.find(user_id))
        .set(users::password_hash.eq(password_hash))
        .execute(conn)?;
    Ok(())
}

pub fn set_role(conn: &mut AnyConnection, user_id: i64, role: Role) -> QueryResult<()> {
    diesel::update(users::table.find(user_id))
        .set(users::role.eq(role.as_str()))
        .execute(conn)?;
    Ok(())
}

pub fn set_notify_comments(
    conn: &mut AnyConnection,
    user_id: i64,
    notify: bool,
) -> QueryResult<()> {
    diesel::update(users::table.find(user_id))
        .set(users::notify_comments.eq(notify))
        .execute(conn)?;
    Ok(())
}

/// Removes an account; its posts stay, without an author.
pub fn delete_user(conn: &mut AnyConnection, user_id: i64) -> QueryResult<()> {
    crate::models::setting::content_changed(conn)?;
    diesel::delete(users::table.find(user_id)).execute(conn)?;
    Ok(())
}

/// Refused: the change would leave the site without an admin.
#[derive(Debug)]
pub struct LastAdmin;

/// Changes an account (its role, or removes it with `None`) unless that
/// leaves no admin. The check and the change are one transaction that
/// holds every admin row locked on PostgreSQL (two admins demoting each
/// other at once: the second waits, then sees one admin left), and holds
/// the write lock from its start on SQLite, whose writers are serial.
pub fn change_keeping_an_admin(
    conn: &mut AnyConnection,
    user_id: i64,
    new_role: Option<Role>,
) -> QueryResult<Result<(), LastAdmin>> {
    crate::db::serialized_transaction(conn, |conn| {
        if let AnyConnection::Postgresql(pg) = conn {
            diesel::sql_query("SELECT id FROM users WHERE role = 'admin' FOR UPDATE")
                .execute(pg)?;
        }
        let Some(user) = find_user(conn, user_id)? else {
            return Err(diesel::result::Error::NotFound);
        };
        let stays_admin = new_role == Some(Role::Admin);
        if user.role() == Role::Admin && !stays_admin && count_admins(conn)? <= 1 {
            return Ok(Err(LastAdmin));
        }
        match new_role {
            Some(role) => set_role(conn, user_id, role)?,
            None => delete_user(conn, user_id)?,
        }
        Ok(Ok(()))
    })
}

pub fn count_admins(conn: &mut AnyConnection) -> QueryResult<i64> {
    users::table
        .filter(users::role.eq(Role::Admin.as_str()))
        .count()
        .get_result(conn)
}

/// A user by email, ignoring case (people type their address differently).
pub fn find_user_by_email_ignoring_case(
    conn: &mut AnyConnection,
    email: &str,
) -> QueryResult<Option<User>> {
    users::table
        .filter(crate::models::lower(users::email).eq(email.trim().to_lowercase()))
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// The account a WordPress author login was imported as.
pub fn find_user_by_wp_login(conn: &mut AnyConnection, login: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::wp_login.eq(login))
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// Links an existing account to a WordPress login.
/// Remembers a user's WordPress login, and gives them WordPress's author
/// address (`/author/{login as a slug}/`) unless they have one or it is taken.
pub fn set_wp_login(conn: &mut AnyConnection, user_id: i64, login: &str) -> QueryResult<()> {
    diesel::update(users::table.find(user_id))
        .set(users::wp_login.eq(login))
        .execute(conn)?;
    if let Ok(slug) = crate::domain::Slug::from_wordpress(login) {
        let taken: i64 = users::table
            .filter(users::slug.eq(slug.as_str()))
            .count()
            .get_result(conn)?;
        if taken == 0 {
            diesel::update(users::table.find(user_id).filter(users::slug.is_null()))
                .set(users::slug.eq(slug.as_str()))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// Remembers the WordPress user id an imported author had, unless another
/// user has it.
pub fn set_user_wp_id(conn: &mut AnyConnection, user_id: i64, wp_id: i64) -> QueryResult<()> {
    let taken: i64 = users::table
        .filter(users::wp_id.eq(wp_id))
        .count()
        .get_result(conn)?;
    if taken == 0 {
        diesel::update(users::table.find(user_id))
            .set(users::wp_id.eq(wp_id))
            .execute(conn)?;
    }
    Ok(())
}

/// The author page of the user who was WordPress user `wp_id`.
pub fn author_slug_by_wp_id(conn: &mut AnyConnection, wp_id: i64) -> QueryResult<Option<String>> {
    Ok(users::table
        .filter(users::wp_id.eq(wp_id))
        .select(users::slug)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten())
}

/// The author at `/author/{slug}/`: their id and display name (never more:
/// the page is public).
pub fn find_author_by_slug(
    conn: &mut AnyConnection,
    slug: &str,
) -> QueryResult<Option<(i64, String)>> {
    users::table
        .filter(users::slug.eq(slug))
        .select((users::id, users::display_name))
        .first(conn)
        .optional()
}

/// Renames an account (the name shown on its posts and in the panel).
pub fn set_display_name(conn: &mut AnyConnection, user_id: i64, name: &str) -> QueryResult<()> {
    crate::models::setting::content_changed(conn)?;
    diesel::update(users::table.find(user_id))
        .set(users::display_name.eq(name))
        .execute(conn)?;
    Ok(())
}

/// Gives an account a new (confirmed) address; a unique violation when
/// another account has it.
pub fn set_email(conn: &mut AnyConnection, user_id: i64, email: &str) -> QueryResult<()> {
    diesel::update(users::table.find(user_id))
        .set(users::email.eq(email))
        .execute(conn)?;
    Ok(())
}

/// The names of the authors an import brought (no password yet), for the
/// setup form to offer; a few at most.
pub fn imported_author_names(conn: &mut AnyConnection) -> QueryResult<Vec<String>> {
    users::table
        .filter(users::password_hash.is_null())
        .filter(users::wp_login.is_not_null())
        .order(users::id.asc())
        .limit(10)
        .select(users::display_name)
        .load(conn)
}
