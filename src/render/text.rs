//! Small text helpers for pages: excerpts, comment counts, dates.

use chrono::{DateTime, Datelike, Timelike, Utc};

/// Words in an automatic excerpt, as WordPress's `excerpt_length`.
const EXCERPT_WORDS: usize = 55;

/// Where the teaser ends in stored HTML: listings show what is before it.
pub const MORE_MARKER: &str = "<!--more-->";

/// Where a post is split into pages (WordPress's `<!--nextpage-->`): its
/// page 2 is at `…/2/`.
pub const NEXTPAGE_MARKER: &str = "<!--nextpage-->";

/// Page `part` (1-based) of stored HTML, and how many pages it has; `None`
/// past the last.
pub fn body_part(body_html: &str, part: usize) -> Option<(&str, usize)> {
    let count = body_html.matches(NEXTPAGE_MARKER).count() + 1;
    let shown = body_html.split(NEXTPAGE_MARKER).nth(part.checked_sub(1)?)?;
    Some((shown, count))
}

/// The part of stored HTML before `<!--more-->`, if it has one.
pub fn teaser(body_html: &str) -> Option<&str> {
    body_html.split_once(MORE_MARKER).map(|(teaser, _)| teaser)
}

/// A commenter's name as readers see it: a name that is an email address
/// (typed into the name field, or imported so) shows as its local part
/// only, "walker.jones", so the address is never published.
pub fn public_name(name: &str) -> std::borrow::Cow<'_, str> {
    let trimmed = name.trim();
    match trimmed.split_once('@') {
        Some((local, domain))
            if !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !trimmed.chars().any(char::is_whitespace)
                && !domain.contains('@') =>
        {
            std::borrow::Cow::Owned(local.to_owned())
        }
        _ => std::borrow::Cow::Borrowed(name),
    }
}

/// The excerpt a listing shows: the author's, or the first words of the body.
pub fn excerpt(author_excerpt: &str, body_html: &str) -> String {
    // A post in pages: its first page.
    let body_html = body_html.split(NEXTPAGE_MARKER).next().unwrap_or(body_html);
    if !author_excerpt.trim().is_empty() {
        return author_excerpt.trim().to_owned();
    }
    // The author's own cut, `<!--more-->`: the teaser whole.
    if let Some(teaser) = teaser(body_html) {
        let teaser = plain_text(teaser);
        return format!("{teaser} […]");
    }
    let text = text_of(body_html, EXCERPT_WORDS);
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
    text_of(html, usize::MAX)
}

/// Text content of sanitised HTML up to the first character of word
/// `most_words + 1` (a listing's excerpt needs its first words and whether
/// there are more, not the text of the whole post). Entities are decoded
/// once, as they are read: `&amp;lt;` is the text `&lt;`.
fn text_of(html: &str, most_words: usize) -> String {
    /// Inline elements join the words around them; anything else separates.
    const INLINE: [&str; 14] = [
        "a", "b", "strong", "em", "i", "u", "s", "code", "span", "small", "sup", "sub", "abbr",
        "mark",
    ];
    const ENTITIES: [(&str, char); 6] = [
        ("&amp;", '&'),
        ("&lt;", '<'),
        ("&gt;", '>'),
        ("&quot;", '"'),
        ("&#39;", '\''),
        ("&nbsp;", ' '),
    ];
    let mut text = String::with_capacity(html.len().min(4096));
    let (mut words, mut in_word) = (0, false);
    let mut rest = html;
    while let Some(character) = rest.chars().next() {
        let (shown, read) = match character {
            '<' => {
                // An unclosed tag ends the text.
                let Some(end) = rest.find('>') else { break };
                let name = rest[1..end].trim_start_matches('/');
                let name_end = name
                    .find(|c: char| !c.is_ascii_alphanumeric())
                    .unwrap_or(name.len());
                let inline = INLINE
                    .iter()
                    .any(|inline| inline.eq_ignore_ascii_case(&name[..name_end]));
                ((!inline).then_some(' '), end + 1)
            }
            '&' => ENTITIES
                .iter()
                .find(|(entity, _)| rest.starts_with(entity))
                .map_or((Some('&'), 1), |(entity, decoded)| {
                    (Some(*decoded), entity.len())
                }),
            other => (Some(other), other.len_utf8()),
        };
        rest = &rest[read..];
        let Some(shown) = shown else { continue };
        if shown.is_whitespace() {
            in_word = false;
        } else if !in_word {
            in_word = true;
            words += 1;
        }
        text.push(shown);
        if words > most_words {
            break;
        }
    }
    text
}

#[cfg(test)]
mod strip_tests {
    #[test]
    fn a_name_that_is_an_email_address_shows_its_local_part() {
        assert_eq!(
            super::public_name("walker.jones@example.net"),
            "walker.jones"
        );
        assert_eq!(super::public_name(" ann@mail.example.org "), "ann");
        for kept in [
            "Ann Lee",
            "Ann @ home",
            "@handle",
            "me@localhost",
            "a@b@c.d",
            "x@.com",
            "Jo@example. com",
        ] {
            assert_eq!(super::public_name(kept), kept);
        }
    }

    #[test]
    fn inline_tags_join_and_blocks_separate() {
        assert_eq!(
            super::plain_text("<p>See <a href=\"/x\">the study</a>.</p><p>Next <em>one</em>!</p>"),
            "See the study. Next one!"
        );
    }

    #[test]
    fn entities_are_decoded_once() {
        // The text "&lt;" is stored as "&amp;lt;": it must not become "<".
        assert_eq!(
            super::plain_text("<p>a &amp;lt; b &lt; c&nbsp;d &amp; e &#39;f&quot; &copy;</p>"),
            "a &lt; b < c d & e 'f\" &copy;"
        );
        assert_eq!(super::plain_text("before <p unclosed"), "before");
    }

    #[test]
    fn an_excerpt_reads_only_its_words_and_says_when_there_are_more() {
        let body: String = (0..500)
            .map(|n| format!("<p>word{n} <em>x</em>y</p>"))
            .collect();
        let excerpt = super::excerpt("", &body);
        let whole = super::plain_text(&body);
        let expected: Vec<&str> = whole
            .split_whitespace()
            .take(super::EXCERPT_WORDS)
            .collect();
        assert_eq!(excerpt, format!("{} […]", expected.join(" ")));
        assert!(
            excerpt.contains("word20 xy word21"),
            "inline tags join words: {excerpt}"
        );
        let exact: String = (0..super::EXCERPT_WORDS)
            .map(|n| format!("<p>w{n}</p>"))
            .collect();
        assert!(!super::excerpt("", &exact).ends_with("[…]"));
        assert_eq!(super::text_of(&body, 2), " word0 xy  w");
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
    let at = datetime(unix_seconds);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        at.year(),
        at.month(),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
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
    fn machine_dates_are_utc_with_padded_fields() {
        assert_eq!(iso_date(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso_date(1_647_259_200 + 3_723), "2022-03-14T13:02:03Z");
        assert_eq!(iso_date(253_402_300_799), "9999-12-31T23:59:59Z");
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
