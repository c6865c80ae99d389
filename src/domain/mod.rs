//! Types that parse input at the edge: once a value is one of these, it is valid.

pub mod slug;

pub use slug::Slug;
