//! What `base.html` needs on every page, and the small views pages share.

use crate::render::assets::STYLESHEET;

const RSS: &str = "application/rss+xml";

/// The frame around every page: site identity, `<title>`, canonical link.
#[derive(Debug, Clone)]
pub struct Layout {
    pub site_title: String,
    pub tagline: String,
    pub page_title: String,
    pub stylesheet: &'static str,
    pub canonical: Option<String>,
    /// `noindex` for pages search engines should skip (errors).
    pub robots: Option<&'static str>,
    /// `<meta name="description">`: a post's excerpt.
    pub description: Option<String>,
    /// Open Graph for shares: the post's featured image (absolute URL).
    pub og_image: Option<String>,
    /// The front page shows the site title as its `<h1>`.
    pub is_front: bool,
    pub search_query: String,
    /// `<link rel="alternate">` feeds: (title, path, MIME type).
    pub feeds: Vec<(String, String, &'static str)>,
    /// The header menu and the sidebar's lists.
    pub chrome: std::sync::Arc<SiteChrome>,
    pub widgets: WidgetSettings,
}

impl Layout {
    /// A page titled `page_title` ("Hello world – Site"); `None` for the
    /// front page. Pages call it through `SiteSettings::layout`.
    pub fn new(site_title: &str, tagline: &str, page_title: Option<&str>) -> Layout {
        let full_title = match page_title {
            Some(title) => format!("{title} – {site_title}"),
            None if tagline.is_empty() => site_title.to_owned(),
            None => format!("{site_title} – {tagline}"),
        };
        Layout {
            site_title: site_title.to_owned(),
            tagline: tagline.to_owned(),
            page_title: full_title,
            stylesheet: STYLESHEET.path.as_str(),
            canonical: None,
            robots: None,
            description: None,
            og_image: None,
            is_front: page_title.is_none(),
            search_query: String::new(),
            feeds: vec![
                (format!("{site_title} » Feed"), "/feed/".to_owned(), RSS),
                (
                    format!("{site_title} » Comments Feed"),
                    "/comments/feed/".to_owned(),
                    RSS,
                ),
            ],
            chrome: Default::default(),
            widgets: Default::default(),
        }
    }

    /// Adds a feed for this page (a category's posts, a post's comments).
    pub fn with_feed(mut self, title: String, path: String) -> Layout {
        self.feeds.push((title, path, RSS));
        self
    }

    pub fn with_canonical(mut self, absolute_url: String) -> Layout {
        self.canonical = Some(absolute_url);
        self
    }
}

/// A link with its words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    pub label: String,
    pub path: String,
}

/// "Ann on Neck pain".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecentComment {
    /// Which comment it is, on which post (not shown: what a change of
    /// other posts' comments leaves as it is, `models::chrome`).
    pub comment_id: i64,
    pub post_id: i64,
    pub author: String,
    pub post_title: String,
    pub path: String,
}

/// The menu and the sidebar's lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SiteChrome {
    pub menu: Vec<Link>,
    pub recent_posts: Vec<Link>,
    /// Categories with published posts, with how many.
    pub categories: Vec<(Link, i64)>,
    /// Months with published posts, newest first, with how many.
    pub archives: Vec<(Link, i64)>,
    pub recent_comments: Vec<RecentComment>,
}

/// The sidebar's Recent Comments widget.
#[derive(askama::Template)]
#[template(path = "blog/recent_comments.html")]
struct RecentCommentsWidget<'a> {
    items: &'a [RecentComment],
}

impl SiteChrome {
    /// The sidebar's Recent Comments widget as HTML: in the page when it is
    /// rendered, and put in its place again whenever a kept page is sent
    /// (`page_cache`), so both are the same bytes. Shown when there are
    /// none yet too (an empty list, as WordPress's widget). It ends at its
    /// `</section>`, where the cut in a kept page ends.
    pub fn recent_comments_widget(&self) -> String {
        let mut html = askama::Template::render(&RecentCommentsWidget {
            items: &self.recent_comments,
        })
        .unwrap_or_default();
        html.truncate(html.trim_end().len());
        html
    }
}

/// Appearance > Widgets: each on or off (all on, as WordPress's default sidebar).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WidgetSettings {
    pub recent_posts: bool,
    pub recent_comments: bool,
    pub archives: bool,
    pub categories: bool,
}

impl Default for WidgetSettings {
    fn default() -> WidgetSettings {
        WidgetSettings {
            recent_posts: true,
            recent_comments: true,
            archives: true,
            categories: true,
        }
    }
}

/// A link to a category.
#[derive(Debug, Clone)]
pub struct CategoryLink {
    pub name: String,
    pub path: String,
}

/// A post as listings (front page, categories) show it.
#[derive(Debug, Clone)]
pub struct PostSummary {
    pub id: i64,
    /// WordPress's post format (`aside`…; empty: standard), as a class.
    pub format: String,
    pub title: String,
    pub permalink: String,
    pub date_human: String,
    pub date_iso: String,
    pub excerpt: String,
    pub categories: Vec<CategoryLink>,
    pub comments_label: String,
    /// The featured image, when the post has one.
    pub thumbnail: Option<Thumbnail>,
}

/// A listing's picture of a post: a size that fits a listing, and the
/// others for the browser to choose from.
#[derive(Debug, Clone)]
pub struct Thumbnail {
    pub src: String,
    pub width: i64,
    pub height: i64,
    pub srcset: String,
    pub alt: String,
}
