//! Types that parse input at the edge: once a value is one of these, it is valid.

pub mod email;
pub mod role;
pub mod slug;

pub use email::EmailAddress;
pub use role::Role;
pub use slug::Slug;
