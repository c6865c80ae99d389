//! Turning stored text into HTML: Markdown, sanitising, excerpts, dates, and
//! the pieces every page template shares.

pub mod assets;
pub mod layout;
pub mod markdown;
pub mod text;
