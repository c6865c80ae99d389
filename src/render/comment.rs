//! Comment text: a safe subset of Markdown (paragraphs, emphasis, inline
//! code, quotes, lists, links). Anything else a reader types comes out as
//! text; an address written out becomes a link, as WordPress makes it;
//! links carry `rel="nofollow ugc noopener"`.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;

use pulldown_cmark::{CowStr, Event, Options, Parser, Tag, TagEnd};

use crate::render::nesting::MAX_NESTING;

/// Renders a reader's comment to HTML safe to show anyone. Takes CPU in
/// proportion to the text: call it off the async threads (`web::block`).
pub fn render_comment(source: &str) -> String {
    let source = crate::render::nesting::bound_nesting(source, MAX_NESTING);
    let events =
        link_bare_addresses(Parser::new_ext(&source, Options::ENABLE_STRIKETHROUGH).map(restrict));
    let mut unsafe_html = String::with_capacity(source.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut unsafe_html, events);
    sanitize_comment_html(&unsafe_html)
}

/// Turns what the subset does not allow into plain text or a paragraph.
fn restrict(event: Event<'_>) -> Event<'_> {
    match event {
        // Raw HTML is text, shown as typed.
        Event::Html(html) | Event::InlineHtml(html) => Event::Text(html),
        // Headings read as paragraphs; images as links, so no image loads from elsewhere.
        Event::Start(Tag::Heading { .. }) => Event::Start(Tag::Paragraph),
        Event::End(TagEnd::Heading(_)) => Event::End(TagEnd::Paragraph),
        Event::Start(Tag::Image {
            dest_url,
            title,
            id,
            ..
        }) => Event::Start(Tag::Link {
            link_type: pulldown_cmark::LinkType::Inline,
            dest_url,
            title,
            id,
        }),
        Event::End(TagEnd::Image) => Event::End(TagEnd::Link),
        Event::Rule => Event::Text(CowStr::Borrowed("---")),
        other => other,
    }
}

/// Addresses written out in the text (`https://…`, `www.…`) as links;
/// never inside a link or a code block.
fn link_bare_addresses<'a>(
    events: impl Iterator<Item = Event<'a>>,
) -> impl Iterator<Item = Event<'a>> {
    // The parser cuts text at every `_` or `*` it might have used: joined
    // again first, so an address is seen whole.
    let mut joined: Vec<Event<'a>> = Vec::new();
    let mut text_run: Option<String> = None;
    for event in events {
        match event {
            Event::Text(text) => text_run.get_or_insert_with(String::new).push_str(&text),
            other => {
                if let Some(run) = text_run.take() {
                    joined.push(Event::Text(CowStr::from(run)));
                }
                joined.push(other);
            }
        }
    }
    if let Some(run) = text_run {
        joined.push(Event::Text(CowStr::from(run)));
    }
    let (mut in_link, mut in_code) = (0usize, 0usize);
    joined.into_iter().flat_map(move |event| {
        match &event {
            Event::Start(Tag::Link { .. }) => in_link += 1,
            Event::End(TagEnd::Link) => in_link = in_link.saturating_sub(1),
            Event::Start(Tag::CodeBlock(_)) => in_code += 1,
            Event::End(TagEnd::CodeBlock) => in_code = in_code.saturating_sub(1),
            _ => {}
        }
        match event {
            Event::Text(text) if in_link == 0 && in_code == 0 => linked(text),
            other => vec![other],
        }
    })
}

/// `text` cut into plain parts and links around the addresses in it.
fn linked(text: CowStr<'_>) -> Vec<Event<'_>> {
    static ADDRESS: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"(?i)\b(?:https?://|www\.)[^\s<>"'`]+"#).expect("valid pattern")
    });
    let mut events = Vec::new();
    let mut rest_from = 0;
    for found in ADDRESS.find_iter(&text) {
        let address = trim_address(found.as_str());
        if address.len() < 8 || address.ends_with("://") {
            continue;
        }
        let (start, end) = (found.start(), found.start() + address.len());
        if start > rest_from {
            events.push(Event::Text(CowStr::from(text[rest_from..start].to_owned())));
        }
        let destination = if address.to_ascii_lowercase().starts_with("www.") {
            format!("http://{address}")
        } else {
            address.to_owned()
        };
        events.push(Event::Start(Tag::Link {
            link_type: pulldown_cmark::LinkType::Autolink,
            dest_url: CowStr::from(destination),
            title: CowStr::Borrowed(""),
            id: CowStr::Borrowed(""),
        }));
        events.push(Event::Text(CowStr::from(address.to_owned())));
        events.push(Event::End(TagEnd::Link));
        rest_from = end;
    }
    if rest_from == 0 {
        return vec![Event::Text(text)];
    }
    if rest_from < text.len() {
        events.push(Event::Text(CowStr::from(text[rest_from..].to_owned())));
    }
    events
}

/// An address without the punctuation that ends the sentence around it,
/// or a closing bracket it did not open.
fn trim_address(address: &str) -> &str {
    let mut end = address.len();
    loop {
        let candidate = &address[..end];
        let Some(last) = candidate.chars().last() else {
            return candidate;
        };
        let unbalanced = |open: char, close: char| {
            last == close && candidate.matches(open).count() < candidate.matches(close).count()
        };
        if ".,;:!?*_~".contains(last) || unbalanced('(', ')') || unbalanced('[', ']') {
            end -= last.len_utf8();
        } else {
            return candidate;
        }
    }
}

/// An imported comment's HTML (WordPress lets commenters use a few tags):
/// paragraphs made, then the same allow-list as ours.
pub fn sanitize_imported_comment(html: &str) -> String {
    sanitize_comment_html(&crate::render::markdown::autop(html))
}

fn sanitize_comment_html(unsafe_html: &str) -> String {
    let tags: HashSet<&str> = [
        "p",
        "br",
        "em",
        "strong",
        "del",
        "code",
        "pre",
        "blockquote",
        "ul",
        "ol",
        "li",
        "a",
    ]
    .into_iter()
    .collect();
    ammonia::Builder::default()
        .tags(tags)
        .generic_attributes(HashSet::new())
        .tag_attributes(
            [
                ("a", ["href"].into_iter().collect()),
                ("ol", ["start"].into_iter().collect()),
            ]
            .into_iter()
            .collect(),
        )
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("nofollow ugc noopener"))
        .clean(unsafe_html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nesting_is_bounded_before_parsing() {
        let deep = "- ".repeat(4990);
        assert_eq!(render_comment(&deep).matches("<ul>").count(), MAX_NESTING);
        let quotes = ">".repeat(5000);
        assert_eq!(
            render_comment(&quotes).matches("<blockquote>").count(),
            MAX_NESTING
        );
        let numbered = "1. ".repeat(3000);
        let html = render_comment(&numbered);
        assert_eq!(
            html.matches("<ol>").count(),
            MAX_NESTING,
            "{}",
            &html[..200]
        );
        assert!(!html.contains('\\'), "the escape is not shown");
    }

    #[test]
    fn the_subset_renders() {
        let html = render_comment("*Thanks* **doctor**, `code`\n\n> quoted\n\n- one\n- two\n\n1. first\n\n[site](https://a.example)");
        assert!(
            html.contains("<em>Thanks</em> <strong>doctor</strong>, <code>code</code>"),
            "{html}"
        );
        assert!(
            html.contains("<blockquote>\n<p>quoted</p>\n</blockquote>"),
            "{html}"
        );
        assert!(
            html.contains("<li>two</li>") && html.contains("<ol>"),
            "{html}"
        );
        assert!(
            html.contains("<a href=\"https://a.example\" rel=\"nofollow ugc noopener\">site</a>"),
            "{html}"
        );
    }

    #[test]
    fn html_is_shown_as_text_never_run() {
        let html = render_comment(
            "<script>alert(1)</script> <b onclick=x>bold</b> <img src=x onerror=alert(2)>",
        );
        assert!(
            !html.contains("<script") && !html.contains("<b") && !html.contains("<img"),
            "{html}"
        );
        assert!(
            html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{html}"
        );
    }

    #[test]
    fn dangerous_links_lose_their_href() {
        for source in [
            "[x](javascript:alert(1))",
            "[x](JaVaScRiPt:alert(1))",
            "[x](data:text/html,<script>)",
            "[x](vbscript:msgbox)",
            "<javascript:alert(1)>",
            "[x]( javascript:alert(1) )",
            "[x](&#106;avascript:alert(1))",
        ] {
            let html = render_comment(source);
            assert!(
                !html.to_lowercase().contains("javascript:") || !html.contains("href"),
                "{source}: {html}"
            );
            assert!(
                !html.contains("href=\"javascript")
                    && !html.contains("href=\"data")
                    && !html.contains("href=\"vbscript"),
                "{source}: {html}"
            );
        }
    }

    #[test]
    fn headings_and_images_are_tamed() {
        let html = render_comment("# Big\n\n![alt](https://tracker.example/p.gif)");
        assert!(
            !html.contains("<h1") && html.contains("<p>Big</p>"),
            "{html}"
        );
        assert!(
            !html.contains("<img") && html.contains("href=\"https://tracker.example/p.gif\""),
            "{html}"
        );
    }

    #[test]
    fn addresses_written_out_become_links() {
        let html = render_comment(
            "See https://physio.example/neck?x=1&y=2. Or www.spine.example, (https://a.example/b_(c)) too!",
        );
        assert!(
            html.contains("<a href=\"https://physio.example/neck?x=1&amp;y=2\" rel=\"nofollow ugc noopener\">https://physio.example/neck?x=1&amp;y=2</a>. Or"),
            "{html}"
        );
        assert!(
            html.contains("<a href=\"http://www.spine.example\" rel=\"nofollow ugc noopener\">www.spine.example</a>,"),
            "{html}"
        );
        assert!(
            html.contains(">https://a.example/b_(c)</a>) too!"),
            "{html}"
        );
    }

    #[test]
    fn addresses_in_links_and_code_stay_as_they_are() {
        let html = render_comment(
            "[my site](https://a.example) `https://b.example`\n\n    https://c.example\n\njavascript:alert(1) http:// alone",
        );
        assert_eq!(html.matches("<a ").count(), 1, "{html}");
        assert!(html.contains("<code>https://b.example</code>"), "{html}");
        assert!(html.contains("<pre><code>https://c.example"), "{html}");
        assert!(!html.contains("href=\"javascript"), "{html}");
        assert!(html.contains("http:// alone"), "{html}");
    }
}
