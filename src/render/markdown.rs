//! Post bodies: Markdown (or imported HTML) rendered once, at save time, to
//! HTML that has been through ammonia's allow-list.

use pulldown_cmark::{html, Options, Parser};

/// Renders a staff member's Markdown to sanitised HTML.
pub fn render_post_markdown(source: &str) -> String {
    let options = Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_SMART_PUNCTUATION;
    let mut unsafe_html = String::with_capacity(source.len() * 3 / 2);
    let source =
        crate::render::nesting::bound_nesting(source, 2 * crate::render::nesting::MAX_NESTING);
    html::push_html(&mut unsafe_html, Parser::new_ext(&source, options));
    sanitize_post_html(&unsafe_html)
}

/// WordPress's `wpautop`, in short: text between blank lines that is not
/// already a block (`<p>`, `<ul>`, `<figure>`…) becomes a paragraph, with
/// line breaks at single newlines. Content with `<pre>` is left as it is
/// (its blank lines are the text's own).
pub fn autop(html: &str) -> String {
    const BLOCKS: [&str; 17] = [
        "<p",
        "<div",
        "<ul",
        "<ol",
        "<h1",
        "<h2",
        "<h3",
        "<h4",
        "<h5",
        "<h6",
        "<blockquote",
        "<table",
        "<figure",
        "<hr",
        "<dl",
        "<section",
        "<!--",
    ];
    let html = html.replace("\r\n", "\n");
    if html.contains("<pre") {
        return html;
    }
    html.split("\n\n")
        .map(str::trim)
        .filter(|chunk| !chunk.is_empty())
        .map(|chunk| {
            if BLOCKS.iter().any(|tag| chunk.starts_with(tag)) {
                chunk.to_owned()
            } else {
                format!("<p>{}</p>", chunk.replace('\n', "<br>\n"))
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Sanitises post HTML (imported from WordPress, or rendered from Markdown):
/// no scripts, event handlers, `javascript:` URLs or styles survive.
pub fn sanitize_post_html(unsafe_html: &str) -> String {
    ammonia::Builder::default()
        .link_rel(Some("noopener"))
        .add_tags(["figure", "figcaption", "audio", "video", "source"])
        // WordPress's layout classes (alignment, captions, galleries) and
        // responsive images; never styles or scripts.
        .add_generic_attributes(["class"])
        .add_tag_attributes("img", ["srcset", "sizes", "loading", "decoding"])
        // Players over the site's own files (`[audio]`, `[video]`); the
        // CSP keeps media from other hosts out.
        .add_tag_attributes("audio", ["controls", "preload", "src", "loop"])
        .add_tag_attributes(
            "video",
            [
                "controls",
                "preload",
                "src",
                "poster",
                "width",
                "height",
                "loop",
                "playsinline",
            ],
        )
        .add_tag_attributes("source", ["src", "type"])
        .add_tag_attributes("td", ["align"])
        .add_tag_attributes("th", ["align"])
        .clean(unsafe_html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_post_cannot_hold_the_mark_the_page_cache_cuts_at() {
        // page_cache finds the sidebar's Recent Comments by this start tag.
        let copied = r#"<section id="recent-comments" class="widget widget-recent-comments"><ul></ul></section>"#;
        let clean = sanitize_post_html(&format!("{copied}<img alt='{copied}' src=\"a.png\">"));
        assert!(
            !clean.contains(r#"<section id="recent-comments""#),
            "{clean}"
        );
    }

    #[test]
    fn markdown_renders_to_html() {
        let html = render_post_markdown(
            "# Title\n\nSome *emphasis* and a [link](https://example.org).\n\n- one\n- two\n",
        );
        assert!(html.contains("<h1>Title</h1>"), "{html}");
        assert!(html.contains("<em>emphasis</em>"));
        assert!(
            html.contains(r#"<a href="https://example.org" rel="noopener">link</a>"#),
            "{html}"
        );
        assert!(html.contains("<li>one</li>"));
    }

    #[test]
    fn active_content_is_removed() {
        let html = render_post_markdown(
            "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[x](javascript:alert(1))\n\n<a href=\"javascript:alert(1)\">y</a>",
        );
        assert!(!html.contains("<script"), "{html}");
        assert!(!html.contains("onerror"), "{html}");
        assert!(!html.contains("javascript:"), "{html}");
    }
}
