//! One file per table: its row types and its queries, written once with
//! diesel's DSL for both backends.

pub mod account_token;
pub mod action_token;
pub mod category;
pub mod chrome;
pub mod comment;
pub mod media;
pub mod post;
pub mod post_address;
pub mod redirect;
pub mod retention;
pub mod retirement;
pub mod search;
pub mod session;
pub mod setting;
pub mod spam;
pub mod subscriber;
pub mod tag;
pub mod user;

diesel::define_sql_function! {
    /// SQL `lower()`, on both backends, for case-insensitive search.
    fn lower(text: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// The current time as UTC Unix seconds, the unit of every stored time.
pub fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Whether a diesel error is a unique-constraint violation (a row already there).
pub fn is_unique_violation(error: &diesel::result::Error) -> bool {
    matches!(
        error,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}
