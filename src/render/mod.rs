//! Turning stored text into HTML: Markdown, sanitising, excerpts, dates.

pub mod markdown;
pub mod text;
