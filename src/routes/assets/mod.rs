//! The embedded stylesheet.

pub mod get;
