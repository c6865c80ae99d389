//! Turning stored text into HTML: Markdown, sanitising, excerpts, dates,
//! identicons, and the pieces every page template shares.

pub mod assets;
pub mod clock;
pub mod comment;
pub mod identicon;
pub mod layout;
pub mod markdown;
pub mod nesting;
pub mod text;
pub mod thread;
pub mod wordpress;
