//! Reader comments (SPEC §3): the form on each post, the submission and its
//! every outcome, and the held-comment cookie that lets an author see their
//! own comment while it waits.

pub mod edit;
pub mod held;
pub mod own;
pub mod remembered;
pub mod submit;
pub mod view;
