//! Issue "Hardening for the open internet": each defect an attacker found,
//! reproduced as a test.

use reqwest::StatusCode;

/// Hostile inputs: markup as code, as escaped text, as a CDATA breaker,
/// as a link, and as plain markup the sanitiser must remove.
pub const PAYLOADS: &[&str] = &[
    "`<img src=x onerror=alert(1)>`",
    "&lt;img src=x onerror=alert(1)&gt;",
    "<script>alert(1)</script>",
    "<svg onload=alert(1)>",
    "]]><img src=x onerror=alert(1)><![CDATA[",
    "[x](javascript:alert(1))",
    "<a href=\"javascript:alert(1)\">y</a>",
    "\"><img src=x onerror=alert(1)>",
    "    <iframe src=javascript:alert(1)></iframe>",
    "&#60;script&#62;alert(1)&#60;/script&#62;",
];

/// Whether HTML, parsed as a feed reader (or a browser) parses it, holds
/// anything that runs: a script-capable element, an event handler, a
/// `javascript:` URL.
pub fn live_markup(html: &str) -> Option<String> {
    let fragment = scraper::Html::parse_fragment(html);
    for node in fragment.tree.nodes() {
        let Some(element) = node.value().as_element() else {
            continue;
        };
        let name = element.name();
        if ["script", "iframe", "object", "embed", "svg", "math", "style"].contains(&name) {
            return Some(format!("<{name}> in {html:?}"));
        }
        for (attribute, value) in element.attrs() {
            let value = value.trim().to_ascii_lowercase();
            if attribute.starts_with("on") || value.starts_with("javascript:") {
                return Some(format!("{name} {attribute}={value:?} in {html:?}"));
            }
        }
    }
    None
}

on_both_backends! {
    async fn feeds_carry_no_live_markup_from_readers_or_staff(app) {
        app.approve_comments_automatically().await;
        app.set_setting("comments_per_minute", "0").await;
        let category = app.create_category("Cat <b>x</b>", "Desc <img src=x onerror=alert(1)>");
        let mut posts = Vec::new();
        for (n, payload) in PAYLOADS.iter().enumerate() {
            let mut new_post = ferropress::models::post::NewPost::published(
                &format!("Post {n} {payload}"),
                &format!("Body {n}: {payload}\n\nMore: {payload}"),
            );
            new_post.excerpt = format!("Excerpt {payload}");
            new_post.published_at -= 86_400 * (n as i64 + 1);
            new_post.category_ids = vec![category.id];
            posts.push(app.create_post(new_post));
        }
        let plain = app.publish("Plain post", "Plain body.", 0, &[category.id]);
        for (n, payload) in PAYLOADS.iter().enumerate() {
            let mut fields = app.comment_fields(&format!("Comment {n}: {payload}"));
            fields[1].1 = format!("Name {n} {payload}").chars().take(100).collect();
            fields[2].1 = format!("reader{n}@example.com");
            let response = app.post_comment(&plain, &fields).await;
            assert_eq!(response.status(), StatusCode::SEE_OTHER, "{payload}");
        }
        let mut feeds = vec![
            "/feed/".to_owned(),
            "/comments/feed/".to_owned(),
            format!("{}feed/", plain.permalink()),
            format!("{}feed/", category.path()),
        ];
        feeds.extend(posts.iter().take(2).map(|post| format!("{}feed/", post.permalink())));
        for path in &feeds {
            let (status, xml) = app.get_page(path).await;
            assert_eq!(status, StatusCode::OK, "{path}");
            let channel = rss::Channel::read_from(xml.as_bytes()).expect("valid RSS");
            if let Some(found) = live_markup(channel.description()) {
                panic!("{path}: channel description: {found}");
            }
            for item in channel.items() {
                for html in [item.description(), item.content()].into_iter().flatten() {
                    if let Some(found) = live_markup(html) {
                        panic!("{path}: {found}");
                    }
                }
                // A description is HTML to a reader: what was text stays text.
                let description = item.description().unwrap_or_default();
                let shown = scraper::Html::parse_fragment(description)
                    .root_element()
                    .text()
                    .collect::<String>();
                if description.contains("onerror") {
                    assert!(shown.contains("onerror"), "{path}: escaped text shows as text: {description:?}");
                }
            }
        }
        let (_, atom) = app.get_page("/feed/atom/").await;
        let feed = atom_syndication::Feed::read_from(atom.as_bytes()).expect("valid Atom");
        for entry in feed.entries() {
            if let Some(content) = entry.content().and_then(|content| content.value()) {
                assert!(live_markup(content).is_none(), "{content}");
            }
            if let Some(summary) = entry.summary() {
                assert_eq!(summary.r#type, atom_syndication::TextType::Text, "summaries are text");
            }
        }
    }
}
