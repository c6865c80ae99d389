//! Small text helpers for pages: excerpts, comment counts, dates.

use chrono::{DateTime, Datelike, Utc};

/// Words in an automatic excerpt, as WordPress's `excerpt_length`.
const EXCERPT_WORDS: usize = 55;

/// Where the teaser ends in stored HTML: listings show what is before it.
pub const MORE_MARKER: &str = "<!--more-->";

/// The part of stored HTML before `<!--more-->`, if it has one.
pub fn teaser(body_html: &str) -> Option<&str> {
    body_html.split_once(MORE_MARKER).map(|(teaser, _)| teaser)
}

/// The excerpt a listing shows: the author's, or the first words of the body.
pub fn excerpt(author_excerpt: &str, body_html: &str) -> String {
    if !author_excerpt.trim().is_empty() {
        return author_excerpt.trim().to_owned();
    }
    // The author's own cut, `<!--more-->`: the teaser whole.
    if let Some(teaser) = teaser(body_html) {
        let teaser = plain_text(teaser);
        return format!("{teaser} […]");
    }
    let text = strip_tags(body_html);
    let mut words = text.split_whitespace();
    let first: Vec<&str> = words.by_ref().take(EXCERPT_WORDS).collect();
    let mut excerpt = first.join(" ");
    if words.next().is_some() {
        excerpt.push_str(" […]");
    }
    excerpt
}

/// The words of sanitised HTML, for search indexes and feeds.
pub fn plain_text(html: &str) -> String {
    strip_tags(html)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Text made safe to put where HTML is expected (an RSS `<description>`,
/// which feed readers render as HTML): `&`, `<`, `>` and quotes escaped.
pub fn escape_html(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len() + text.len() / 8);
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            _ => escaped.push(character),
        }
    }
    escaped
}

/// Text content of sanitised HTML, entities decoded for the few ammonia emits.
fn strip_tags(html: &str) -> String {
    /// Inline elements join the words around them; anything else separates.
    const INLINE: [&str; 14] = [
        "a", "b", "strong", "em", "i", "u", "s", "code", "span", "small", "sup", "sub", "abbr",
        "mark",
    ];
    let mut text = String::with_capacity(html.len());
    let mut tag = String::new();
    let mut in_tag = false;
    for character in html.chars() {
        match character {
            '<' => {
                in_tag = true;
                tag.clear();
            }
            '>' if in_tag => {
                in_tag = false;
                let name: String = tag
                    .trim_start_matches('/')
                    .chars()
                    .take_while(char::is_ascii_alphanumeric)
                    .collect::<String>()
                    .to_ascii_lowercase();
                if !INLINE.contains(&name.as_str()) {
                    text.push(' ');
                }
            }
            _ if in_tag => tag.push(character),
            _ => text.push(character),
        }
    }
    text.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
}

#[cfg(test)]
mod strip_tests {
    #[test]
    fn inline_tags_join_and_blocks_separate() {
        assert_eq!(
            super::plain_text("<p>See <a href=\"/x\">the study</a>.</p><p>Next <em>one</em>!</p>"),
            "See the study. Next one!"
        );
    }
}

/// "No Comments", "1 Comment", "12 Comments", as WordPress writes them.
pub fn comment_count_label(count: i64) -> String {
    match count {
        0 => "No Comments".to_owned(),
        1 => "1 Comment".to_owned(),
        n => format!("{n} Comments"),
    }
}

pub fn datetime(unix_seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(unix_seconds, 0).unwrap_or_default()
}

/// Machine-readable form for `<time datetime>`.
pub fn iso_date(unix_seconds: i64) -> String {
    datetime(unix_seconds)
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// `/YYYY/MM/DD/slug/` for a post published at `unix_seconds` (UTC).
pub fn permalink_path(unix_seconds: i64, slug: &str) -> String {
    let date = datetime(unix_seconds);
    format!(
        "/{:04}/{:02}/{:02}/{slug}/",
        date.year(),
        date.month(),
        date.day()
    )
}

/// "50,000": a count with thousands separators, as the panel and mails show them.
pub fn thousands(count: impl std::fmt::Display) -> String {
    let written = count.to_string();
    let (sign, digits) = match written.strip_prefix('-') {
        Some(digits) => ("-", digits),
        None => ("", written.as_str()),
    };
    let mut grouped = String::with_capacity(written.len() + digits.len() / 3);
    grouped.push_str(sign);
    for (position, digit) in digits.chars().enumerate() {
        if position > 0 && (digits.len() - position).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn automatic_excerpts_take_the_first_words() {
        let body = format!("<p>{}</p>", "word ".repeat(60));
        let excerpt = excerpt("", &body);
        assert_eq!(excerpt.split_whitespace().count(), EXCERPT_WORDS + 1);
        assert!(excerpt.ends_with("[…]"));
        assert_eq!(
            super::excerpt("", "<p>Short &amp; sweet.</p>"),
            "Short & sweet."
        );
        assert_eq!(super::excerpt(" Mine. ", "<p>Body</p>"), "Mine.");
    }

    #[test]
    fn escaped_text_carries_no_markup() {
        assert_eq!(
            escape_html("<img src=x onerror=alert(1)> & \"'"),
            "&lt;img src=x onerror=alert(1)&gt; &amp; &quot;&#39;"
        );
    }

    #[test]
    fn comment_counts_read_like_wordpress() {
        assert_eq!(comment_count_label(0), "No Comments");
        assert_eq!(comment_count_label(1), "1 Comment");
        assert_eq!(comment_count_label(5), "5 Comments");
    }

    #[test]
    fn permalinks_use_the_publish_date() {
        // 2022-03-14T12:00:00Z
        assert_eq!(permalink_path(1_647_259_200, "hello"), "/2022/03/14/hello/");
    }

    #[test]
    fn counts_read_with_thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(50_000), "50,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(-4_200), "-4,200");
        assert_eq!(thousands(5_120usize), "5,120");
    }
}
