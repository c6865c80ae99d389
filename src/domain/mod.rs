//! Types that parse input at the edge, and the pure rules applied to them:
//! once a value is one of these, it is valid.

pub mod comment;
pub mod email;
pub mod field_errors;
pub mod moderation;
pub mod permalink;
pub mod role;
pub mod slug;
pub mod spam;
pub mod status;

pub use email::EmailAddress;
pub use field_errors::FieldErrors;
pub use permalink::Permalink;
pub use role::Role;
pub use slug::Slug;
pub use status::{CommentStatus, ModerationAction, OutboxStatus, PostStatus, PostType};
