//! Links mailed to staff about their own account: "Lost your password?",
//! the invitation a new user gets, and the confirmation of a new email
//! address. Like moderation links, the link carries a random id and its
//! HMAC (it cannot be guessed or forged) and works once, for a while.

use diesel::prelude::*;
use rand::RngCore;

use crate::auth::signing::{open_signed_value, signed_value, Purpose};
use crate::db::schema::account_tokens;
use crate::db::AnyConnection;
use crate::models::now;

/// What a link lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AccountPurpose {
    /// Choose a new password ("Lost your password?", or sent by an admin).
    Reset,
    /// A new user chooses their first password.
    Invitation,
    /// Confirms `new_email` as the account's address.
    Email,
}

impl AccountPurpose {
    fn as_str(self) -> &'static str {
        match self {
            AccountPurpose::Reset => "reset",
            AccountPurpose::Invitation => "invitation",
            AccountPurpose::Email => "email",
        }
    }

    fn parse(text: &str) -> Option<AccountPurpose> {
        [
            AccountPurpose::Reset,
            AccountPurpose::Invitation,
            AccountPurpose::Email,
        ]
        .into_iter()
        .find(|purpose| purpose.as_str() == text)
    }

    /// How long a link works: WordPress's hour for a reset, a week for an
    /// invitation (people take their time to accept), a day for an address.
    pub fn lifetime_seconds(self) -> i64 {
        match self {
            AccountPurpose::Reset => 3_600,
            AccountPurpose::Invitation => 7 * 86_400,
            AccountPurpose::Email => 86_400,
        }
    }

    /// Whether using the link sets a password.
    pub fn sets_password(self) -> bool {
        matches!(self, AccountPurpose::Reset | AccountPurpose::Invitation)
    }
}

/// A usable link: unused, unexpired.
#[derive(Debug, Clone)]
pub struct AccountToken {
    pub id: String,
    pub user_id: i64,
    pub purpose: AccountPurpose,
    pub new_email: Option<String>,
}

/// Where a link stands, in the words its page uses.
#[derive(Debug, Clone)]
pub enum LinkState {
    Usable(AccountToken),
    Used,
    Expired,
    /// Forged, cut short, or for an account that is gone.
    Invalid,
}

/// A new link for `user_id`; returns its signed value, for the mail, and
/// the id (a Message-ID is made from it).
pub fn create_account_token(
    conn: &mut AnyConnection,
    secret: &str,
    user_id: i64,
    purpose: AccountPurpose,
    new_email: Option<&str>,
) -> QueryResult<(String, String)> {
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    let id = hex::encode(bytes);
    let created_at = now();
    diesel::insert_into(account_tokens::table)
        .values((
            account_tokens::id.eq(&id),
            account_tokens::user_id.eq(user_id),
            account_tokens::purpose.eq(purpose.as_str()),
            account_tokens::new_email.eq(new_email),
            account_tokens::created_at.eq(created_at),
            account_tokens::expires_at.eq(created_at + purpose.lifetime_seconds()),
        ))
        .execute(conn)?;
    Ok((signed_value(secret, Purpose::AccountToken, &id), id))
}

/// How many links of `purpose` were made for `user_id` in the last
/// `seconds`: resets are mailed a few times an hour at most.
pub fn count_recent(
    conn: &mut AnyConnection,
    user_id: i64,
    purpose: AccountPurpose,
    seconds: i64,
) -> QueryResult<i64> {
    account_tokens::table
        .filter(account_tokens::user_id.eq(user_id))
        .filter(account_tokens::purpose.eq(purpose.as_str()))
        .filter(account_tokens::created_at.ge(now() - seconds))
        .count()
        .get_result(conn)
}

/// What a link's value names, checked for signature, use and age.
pub fn link_state(
    conn: &mut AnyConnection,
    secret: &str,
    link_value: &str,
) -> QueryResult<LinkState> {
    let Some(id) = open_signed_value(secret, Purpose::AccountToken, link_value) else {
        return Ok(LinkState::Invalid);
    };
    let row = account_tokens::table
        .find(id)
        .select((
            account_tokens::id,
            account_tokens::user_id,
            account_tokens::purpose,
            account_tokens::new_email,
            account_tokens::expires_at,
            account_tokens::used_at,
        ))
        .first::<(String, i64, String, Option<String>, i64, Option<i64>)>(conn)
        .optional()?;
    let Some((id, user_id, purpose, new_email, expires_at, used_at)) = row else {
        return Ok(LinkState::Invalid);
    };
    let Some(purpose) = AccountPurpose::parse(&purpose) else {
        return Ok(LinkState::Invalid);
    };
    Ok(if used_at.is_some() {
        LinkState::Used
    } else if expires_at < now() {
        LinkState::Expired
    } else {
        LinkState::Usable(AccountToken {
            id,
            user_id,
            purpose,
            new_email,
        })
    })
}

/// Marks the link used, and with it every other unused link of the same
/// kind for that account (an older reset mail stops working once a new
/// password is set). `false` when it was used already: of two uses at
/// once, only one wins.
pub fn use_account_token(conn: &mut AnyConnection, token: &AccountToken) -> QueryResult<bool> {
    let used_at = now();
    let updated = diesel::update(
        account_tokens::table
            .find(&token.id)
            .filter(account_tokens::used_at.is_null()),
    )
    .set(account_tokens::used_at.eq(used_at))
    .execute(conn)?;
    if updated != 1 {
        return Ok(false);
    }
    let voided: &[&str] = if token.purpose.sets_password() {
        &["reset", "invitation"]
    } else {
        &["email"]
    };
    diesel::update(
        account_tokens::table
            .filter(account_tokens::user_id.eq(token.user_id))
            .filter(account_tokens::purpose.eq_any(voided))
            .filter(account_tokens::used_at.is_null()),
    )
    .set(account_tokens::used_at.eq(used_at))
    .execute(conn)?;
    Ok(true)
}

/// Voids every unused link of `user_id` that sets a password (its
/// password was changed another way, or an admin sent a fresh one).
pub fn void_password_links(conn: &mut AnyConnection, user_id: i64) -> QueryResult<usize> {
    diesel::update(
        account_tokens::table
            .filter(account_tokens::user_id.eq(user_id))
            .filter(account_tokens::purpose.eq_any(["reset", "invitation"]))
            .filter(account_tokens::used_at.is_null()),
    )
    .set(account_tokens::used_at.eq(now()))
    .execute(conn)
}

/// The address change waiting for confirmation, if any (the profile shows it).
pub fn pending_email(conn: &mut AnyConnection, user_id: i64) -> QueryResult<Option<String>> {
    Ok(account_tokens::table
        .filter(account_tokens::user_id.eq(user_id))
        .filter(account_tokens::purpose.eq("email"))
        .filter(account_tokens::used_at.is_null())
        .filter(account_tokens::expires_at.ge(now()))
        .order(account_tokens::created_at.desc())
        .select(account_tokens::new_email)
        .first::<Option<String>>(conn)
        .optional()?
        .flatten())
}

/// Cancels a pending address change.
pub fn cancel_email_change(conn: &mut AnyConnection, user_id: i64) -> QueryResult<usize> {
    diesel::update(
        account_tokens::table
            .filter(account_tokens::user_id.eq(user_id))
            .filter(account_tokens::purpose.eq("email"))
            .filter(account_tokens::used_at.is_null()),
    )
    .set(account_tokens::used_at.eq(now()))
    .execute(conn)
}

/// Links that ended (used or expired) more than a day ago are forgotten.
pub fn prune_account_tokens(conn: &mut AnyConnection, now: i64) -> QueryResult<usize> {
    let cutoff = now - 86_400;
    diesel::delete(
        account_tokens::table.filter(
            account_tokens::expires_at
                .lt(cutoff)
                .or(account_tokens::used_at.lt(cutoff)),
        ),
    )
    .execute(conn)
}
