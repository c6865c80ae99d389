//! Imported WordPress content as WordPress shows it: block-editor comments
//! removed (their HTML kept), `[caption]` as a `<figure>`, `[gallery]` as a
//! grid of the library's images, a bare URL on its own line as a link (no
//! third-party embeds: nothing loads from other hosts), paragraphs by
//! `wpautop`, the old site's own links made relative, and `<!--more-->`
//! kept as the teaser's end. Unknown shortcodes stay as text and are counted.

use std::sync::LazyLock;

use regex::{Captures, Regex};

use crate::render::markdown::{autop, sanitize_post_html};
use crate::render::text::{escape_html, MORE_MARKER, NEXTPAGE_MARKER};

/// An image of the library, as content needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LibraryImage {
    /// The WordPress id content names it by (`[gallery ids="…"]`).
    pub wp_id: i64,
    pub url: String,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub alt: String,
    /// The square thumbnail, if one was made: (url, width, height).
    pub thumbnail: Option<(String, i64, i64)>,
    pub srcset: String,
}

/// Rendered content, and what was left as it was.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rendered {
    pub html: String,
    /// Shortcodes ferropress does not know, by name (left as text).
    pub unknown_shortcodes: Vec<String>,
    /// Gallery images named but not (yet) in the library.
    pub missing_images: Vec<i64>,
}

static BLOCK_COMMENT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"<!--\s*/?wp:[^>]*?-->\n?").expect("valid pattern"));
static NEXTPAGE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"<!--\s*nextpage\s*-->").expect("valid pattern"));
static MORE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"<!--more(?:\s[^>]*)?-->").expect("valid pattern"));
static CAPTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?s)\[(?:caption|wp_caption)([^\]]*)\](.*?)\[/(?:caption|wp_caption)\]")
        .expect("valid pattern")
});
static GALLERY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\[gallery([^\]]*)\]").expect("valid pattern"));
static SHORTCODE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\[([a-z][a-z0-9_-]*)(?:\s[^\]]*)?\](?:[^\[]*\[/([a-z][a-z0-9_-]*)\])?")
        .expect("valid pattern")
});
static ATTRIBUTE: LazyLock<Regex> = LazyLock::new(|| {
    // Names with digits too: `[audio mp3="…"]`, `[video mp4="…"]`.
    Regex::new(r#"([a-z_][a-z0-9_-]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"']+))"#)
        .expect("valid pattern")
});
static MEDIA: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?s)\[(audio|video)([^\]]*)\](?:(.*?)\[/(?:audio|video)\])?")
        .expect("valid pattern")
});
static EMBED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?s)\[embed[^\]]*\]\s*(.*?)\s*\[/embed\]").expect("valid pattern")
});
static IMG_TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"<img\b[^>]*>").expect("valid pattern"));
static WP_IMAGE_CLASS: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\bwp-image-(\d{1,18})\b").expect("valid pattern"));
static WIDTH_ATTRIBUTE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"\swidth\s*=\s*["']?(\d{1,5})"#).expect("valid pattern"));
static BARE_URL_LINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)^[ \t]*(https?://[^\s<>\x22]+)[ \t]*$").expect("valid pattern")
});
static IMAGE_TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?s)^\s*(?:<a [^>]*>)?\s*<img [^>]*>\s*(?:</a>)?").expect("valid pattern")
});

/// A shortcode's attributes: `ids="6,7" columns=3` → [(ids, "6,7"), (columns, "3")].
fn attributes(text: &str) -> Vec<(String, String)> {
    ATTRIBUTE
        .captures_iter(text)
        .map(|found| {
            let value = found
                .get(2)
                .or_else(|| found.get(3))
                .or_else(|| found.get(4))
                .map_or("", |value| value.as_str());
            (found[1].to_owned(), value.to_owned())
        })
        .collect()
}

fn attribute<'a>(attributes: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attributes
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// `[caption align="aligncenter"]<img …> Text.[/caption]` → a figure.
fn caption(found: &Captures<'_>) -> String {
    let attributes = attributes(&found[1]);
    let inner = found[2].trim();
    let (image, text) = match IMAGE_TAG.find(inner) {
        Some(image) => (image.as_str().trim(), inner[image.end()..].trim()),
        None => ("", inner),
    };
    let text = attribute(&attributes, "caption").unwrap_or(text);
    let align = attribute(&attributes, "align")
        .filter(|align| ["alignleft", "alignright", "aligncenter", "alignnone"].contains(align))
        .unwrap_or("alignnone");
    format!(
        "<figure class=\"wp-caption {align}\">{image}<figcaption class=\"wp-caption-text\">{text}</figcaption></figure>"
    )
}

/// The MIME type of a media file, by its extension.
fn media_type(url: &str) -> Option<&'static str> {
    let path = url.split(['?', '#']).next().unwrap_or(url);
    let extension = path.rsplit_once('.')?.1.to_ascii_lowercase();
    Some(match extension.as_str() {
        "mp3" => "audio/mpeg",
        "m4a" => "audio/mp4",
        "ogg" | "oga" => "audio/ogg",
        "wav" => "audio/wav",
        "flac" => "audio/flac",
        "mp4" | "m4v" => "video/mp4",
        "webm" => "video/webm",
        "ogv" => "video/ogg",
        "mov" => "video/quicktime",
        _ => return None,
    })
}

/// `[audio mp3="…"][/audio]` and `[video mp4="…" width="640"][/video]` as
/// WordPress's players: `<audio controls>` / `<video controls>` with a
/// `<source>` per file and a link for browsers that play none.
fn media_player(found: &Captures<'_>) -> String {
    let kind = &found[1];
    let attributes = attributes(&found[2]);
    const SOURCES: [&str; 10] = [
        "src", "mp3", "m4a", "ogg", "wav", "flac", "mp4", "m4v", "webm", "ogv",
    ];
    let mut urls: Vec<&str> = SOURCES
        .iter()
        .filter_map(|name| attribute(&attributes, name))
        .filter(|url| !url.is_empty())
        .collect();
    // `[video]https://…/clip.mp4[/video]`: the file as the content.
    let inner = found.get(3).map_or("", |inner| inner.as_str().trim());
    if urls.is_empty()
        && (inner.starts_with("http") || inner.starts_with('/'))
        && !inner.contains(char::is_whitespace)
    {
        urls.push(inner);
    }
    let Some(first) = urls.first() else {
        return String::new();
    };
    let mut html = if kind == "audio" {
        "<audio class=\"wp-audio-shortcode\" controls preload=\"none\">".to_owned()
    } else {
        let mut open =
            "<video class=\"wp-video-shortcode\" controls preload=\"metadata\"".to_owned();
        for name in ["width", "height"] {
            if let Some(value) =
                attribute(&attributes, name).and_then(|value| value.parse::<u32>().ok())
            {
                open.push_str(&format!(" {name}=\"{value}\""));
            }
        }
        if let Some(poster) = attribute(&attributes, "poster").filter(|poster| !poster.is_empty()) {
            open.push_str(&format!(" poster=\"{}\"", escape_html(poster)));
        }
        open.push('>');
        open
    };
    for url in &urls {
        let kind = media_type(url)
            .map(|kind| format!(" type=\"{kind}\""))
            .unwrap_or_default();
        html.push_str(&format!("<source{kind} src=\"{}\">", escape_html(url)));
    }
    html.push_str(&format!(
        "<a href=\"{}\">{}</a></{kind}>",
        escape_html(first),
        escape_html(first)
    ));
    // A block of its own, so paragraphs do not wrap it.
    format!("<figure class=\"wp-{kind}\">{html}</figure>")
}

/// `[embed]https://…[/embed]`: the address as a link card. Embedding it
/// would load another host's player and scripts into the reader's page.
fn embed_card(found: &Captures<'_>) -> String {
    let url = found[1].trim();
    if !(url.starts_with("http://") || url.starts_with("https://"))
        || url.contains(char::is_whitespace)
    {
        return escape_html(url);
    }
    let url = escape_html(url);
    format!("<figure class=\"wp-block-embed embed-card\"><a href=\"{url}\">{url}</a></figure>")
}

/// An `<img class="wp-image-6">` of the library with the `srcset` and
/// `sizes` WordPress adds when it shows content (its export has neither):
/// the browser takes the size that fits. Unknown images are noted.
fn responsive_image(
    tag: &str,
    images: &dyn Fn(&[i64]) -> Vec<LibraryImage>,
    missing: &mut Vec<i64>,
) -> String {
    if tag.contains("srcset") {
        return tag.to_owned();
    }
    let Some(id) = WP_IMAGE_CLASS
        .captures(tag)
        .and_then(|found| found[1].parse::<i64>().ok())
    else {
        return tag.to_owned();
    };
    let Some(image) = images(&[id]).into_iter().find(|image| image.wp_id == id) else {
        missing.push(id);
        return tag.to_owned();
    };
    if image.srcset.is_empty() {
        return tag.to_owned();
    }
    let width = WIDTH_ATTRIBUTE
        .captures(tag)
        .and_then(|found| found[1].parse::<i64>().ok())
        .or(image.width);
    let sizes = width
        .map(|width| format!(" sizes=\"(max-width: {width}px) 100vw, {width}px\""))
        .unwrap_or_default();
    let (open, close) = match tag.strip_suffix("/>") {
        Some(open) => (open.trim_end(), " />"),
        None => (tag.strip_suffix('>').unwrap_or(tag), ">"),
    };
    format!(
        "{open} srcset=\"{}\"{sizes}{close}",
        escape_html(&image.srcset)
    )
}

/// `[gallery ids="6,7"]` → a grid of thumbnails linking to the full size.
fn gallery(
    found: &Captures<'_>,
    images: &dyn Fn(&[i64]) -> Vec<LibraryImage>,
    missing: &mut Vec<i64>,
) -> String {
    let attributes = attributes(&found[1]);
    let ids: Vec<i64> = attribute(&attributes, "ids")
        .or_else(|| attribute(&attributes, "include"))
        .unwrap_or_default()
        .split(',')
        .filter_map(|id| id.trim().parse().ok())
        .collect();
    let columns = attribute(&attributes, "columns")
        .and_then(|columns| columns.parse::<u8>().ok())
        .filter(|columns| (1..=9).contains(columns))
        .unwrap_or(3);
    let found_images = images(&ids);
    let mut items = String::new();
    for id in &ids {
        let Some(image) = found_images.iter().find(|image| image.wp_id == *id) else {
            missing.push(*id);
            continue;
        };
        let (src, width, height) = match &image.thumbnail {
            Some((url, width, height)) => (url.as_str(), Some(*width), Some(*height)),
            None => (image.url.as_str(), image.width, image.height),
        };
        let size = match (width, height) {
            (Some(width), Some(height)) => format!(" width=\"{width}\" height=\"{height}\""),
            _ => String::new(),
        };
        items.push_str(&format!(
            "<figure class=\"gallery-item\"><a href=\"{}\"><img src=\"{}\"{size} alt=\"{}\" loading=\"lazy\"></a></figure>",
            escape_html(&image.url),
            escape_html(src),
            escape_html(&image.alt),
        ));
    }
    if items.is_empty() {
        return String::new();
    }
    format!("<div class=\"gallery gallery-columns-{columns}\">{items}</div>")
}

/// Renders WordPress post content. `site_origin` is the old site
/// (`https://blog.example`): its links and images become site paths.
pub fn render_wordpress(
    content: &str,
    site_origin: Option<&str>,
    images: &dyn Fn(&[i64]) -> Vec<LibraryImage>,
) -> Rendered {
    let mut content = content.replace("\r\n", "\n");
    if let Some(origin) = site_origin.filter(|origin| !origin.is_empty()) {
        let origin = origin.trim_end_matches('/');
        content = content.replace(&format!("{origin}/"), "/");
    }
    let content = BLOCK_COMMENT.replace_all(&content, "");
    let content = MORE.replace_all(&content, MORE_MARKER);
    let content = NEXTPAGE.replace_all(&content, NEXTPAGE_MARKER);
    let mut missing = Vec::new();
    let content = CAPTION.replace_all(&content, |found: &Captures<'_>| caption(found));
    let content = GALLERY.replace_all(&content, |found: &Captures<'_>| {
        gallery(found, images, &mut missing)
    });
    let content = MEDIA.replace_all(&content, |found: &Captures<'_>| media_player(found));
    let content = IMG_TAG.replace_all(&content, |found: &Captures<'_>| {
        responsive_image(&found[0], images, &mut missing)
    });
    let content = EMBED.replace_all(&content, |found: &Captures<'_>| embed_card(found));
    let unknown_shortcodes = SHORTCODE
        .captures_iter(&content)
        .filter(|found| {
            // `[name …]…[/name]`, or `[name attr=…]`: a shortcode; `[1]` or
            // `[sic]` in prose is not.
            found
                .get(2)
                .is_some_and(|closing| closing.as_str() == &found[1])
                || found[0].contains('=')
        })
        .map(|found| found[1].to_owned())
        .collect();
    let content = BARE_URL_LINE.replace_all(&content, |found: &Captures<'_>| {
        let url = escape_html(&found[1]);
        format!("<a href=\"{url}\">{url}</a>")
    });
    // The pages, the teaser and the rest are paragraphed and sanitised
    // apart, so the markers (comments, which the sanitiser removes) survive
    // between them.
    let html = content
        .split(NEXTPAGE_MARKER)
        .map(|page| {
            page.split(MORE_MARKER)
                .map(|part| sanitize_post_html(&autop(part)))
                .collect::<Vec<_>>()
                .join(MORE_MARKER)
        })
        .collect::<Vec<_>>()
        .join(NEXTPAGE_MARKER);
    Rendered {
        html,
        unknown_shortcodes,
        missing_images: missing,
    }
}

/// The WordPress ids of the library's images content shows: every
/// `[gallery]`'s, and each `<img class="wp-image-N">`.
pub fn library_image_ids(content: &str) -> Vec<i64> {
    let images = WP_IMAGE_CLASS
        .captures_iter(content)
        .filter_map(|found| found[1].parse::<i64>().ok());
    GALLERY
        .captures_iter(content)
        .flat_map(|found| {
            let attributes = attributes(&found[1]);
            attribute(&attributes, "ids")
                .or_else(|| attribute(&attributes, "include"))
                .unwrap_or_default()
                .split(',')
                .filter_map(|id| id.trim().parse().ok())
                .collect::<Vec<i64>>()
        })
        .chain(images)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn library(ids: &[i64]) -> Vec<LibraryImage> {
        ids.iter()
            .filter(|id| **id != 99)
            .map(|id| LibraryImage {
                wp_id: *id,
                url: format!("/wp-content/uploads/2023/03/image-{id}.jpg"),
                width: Some(800),
                height: Some(600),
                alt: format!("Image {id}"),
                thumbnail: Some((
                    format!("/wp-content/uploads/2023/03/image-{id}-150x150.jpg"),
                    150,
                    150,
                )),
                srcset: String::new(),
            })
            .collect()
    }

    use crate::render::text::teaser;

    fn render(content: &str) -> Rendered {
        render_wordpress(content, Some("http://old.example"), &library)
    }

    #[test]
    fn audio_video_and_embeds_play_here_and_load_nothing_from_elsewhere() {
        let rendered = render(concat!(
            "[audio mp3=\"http://old.example/wp-content/uploads/2023/04/valley.mp3\"][/audio]\n\n",
            "<!-- wp:video -->\n<figure class=\"wp-block-video\"><video controls src=\"http://old.example/wp-content/uploads/s.mp4\"></video></figure>\n<!-- /wp:video -->\n\n",
            "[video width=\"640\" height=\"360\" mp4=\"http://old.example/wp-content/uploads/s.mp4\" onload=\"x()\"][/video]\n\n",
            "[embed]https://www.youtube.com/watch?v=abc[/embed]\n\n",
            "<figure class=\"wp-block-embed is-type-video\"><div class=\"wp-block-embed__wrapper\">\nhttps://vimeo.com/7697\n</div></figure>",
        ));
        let html = &rendered.html;
        for leftover in [
            "[audio", "[video", "[embed", "[/", "<iframe", "onload", "<script",
        ] {
            assert!(!html.contains(leftover), "{leftover} in {html}");
        }
        assert!(html.contains("<audio class=\"wp-audio-shortcode\" controls=\"\" preload=\"none\"><source type=\"audio/mpeg\" src=\"/wp-content/uploads/2023/04/valley.mp3\">"), "{html}");
        assert!(html.contains("<video class=\"wp-video-shortcode\" controls=\"\" preload=\"metadata\" width=\"640\" height=\"360\"><source type=\"video/mp4\" src=\"/wp-content/uploads/s.mp4\">"), "{html}");
        assert!(
            html.contains("<video controls=\"\" src=\"/wp-content/uploads/s.mp4\">"),
            "{html}"
        );
        assert!(html.contains("<a href=\"https://www.youtube.com/watch?v=abc\" rel=\"noopener\">https://www.youtube.com/watch?v=abc</a>"), "{html}");
        assert!(
            html.contains("<a href=\"https://vimeo.com/7697\" rel=\"noopener\">"),
            "{html}"
        );
        assert!(
            rendered.unknown_shortcodes.is_empty(),
            "{:?}",
            rendered.unknown_shortcodes
        );
    }

    #[test]
    fn block_comments_go_and_their_html_stays() {
        let rendered = render("<!-- wp:paragraph -->\n<p>Hello.</p>\n<!-- /wp:paragraph -->\n\n<!-- wp:image {\"id\":4} -->\n<figure class=\"wp-block-image\"><img src=\"http://old.example/wp-content/uploads/a.jpg\" alt=\"A\"/></figure>\n<!-- /wp:image -->");
        assert!(!rendered.html.contains("wp:"), "{}", rendered.html);
        assert!(rendered.html.contains("<p>Hello.</p>"));
        assert!(
            rendered.html.contains("src=\"/wp-content/uploads/a.jpg\""),
            "{}",
            rendered.html
        );
    }

    #[test]
    fn captions_become_figures() {
        let rendered = render("Intro.\n\n[caption id=\"attachment_5\" align=\"aligncenter\" width=\"300\"]<img class=\"size-medium\" src=\"http://old.example/wp-content/uploads/x.jpg\" alt=\"X-ray\" width=\"300\" height=\"225\" /> A normal x-ray.[/caption]");
        assert!(!rendered.html.contains("[caption"), "{}", rendered.html);
        assert!(
            rendered
                .html
                .contains("<figure class=\"wp-caption aligncenter\"><img"),
            "{}",
            rendered.html
        );
        assert!(
            rendered.html.contains(
                "<figcaption class=\"wp-caption-text\">A normal x-ray.</figcaption></figure>"
            ),
            "{}",
            rendered.html
        );
    }

    #[test]
    fn galleries_become_grids_of_the_library_images() {
        let rendered = render("Our clinic:\n\n[gallery ids=\"6,99,7\" columns=\"2\"]");
        assert!(!rendered.html.contains("[gallery"), "{}", rendered.html);
        assert!(
            rendered
                .html
                .contains("<div class=\"gallery gallery-columns-2\">"),
            "{}",
            rendered.html
        );
        assert!(rendered.html.contains("<a href=\"/wp-content/uploads/2023/03/image-6.jpg\" rel=\"noopener\"><img src=\"/wp-content/uploads/2023/03/image-6-150x150.jpg\" width=\"150\" height=\"150\" alt=\"Image 6\" loading=\"lazy\"></a>"), "{}", rendered.html);
        assert_eq!(rendered.missing_images, vec![99]);
    }

    #[test]
    fn a_bare_url_on_its_own_line_is_a_link_not_an_embed() {
        let rendered = render("Watch:\n\nhttps://www.youtube.com/watch?v=dQw4w9WgXcQ\n\nDone.");
        assert!(rendered.html.contains("<a href=\"https://www.youtube.com/watch?v=dQw4w9WgXcQ\" rel=\"noopener\">https://www.youtube.com/watch?v=dQw4w9WgXcQ</a>"), "{}", rendered.html);
        assert!(!rendered.html.contains("<iframe"));
    }

    #[test]
    fn the_more_tag_ends_the_teaser() {
        let rendered = render("First part.\n\n<!--more-->\n\nThe rest.");
        assert_eq!(
            teaser(&rendered.html).map(str::trim),
            Some("<p>First part.</p>")
        );
        assert!(
            rendered.html.ends_with("<p>The rest.</p>"),
            "{}",
            rendered.html
        );
    }

    #[test]
    fn unknown_shortcodes_stay_and_are_counted_but_prose_brackets_are_not() {
        let rendered =
            render("[contact-form-7 id=\"12\"] and [su_note]Hi[/su_note], see note [1] [sic].");
        assert_eq!(
            rendered.unknown_shortcodes,
            vec!["contact-form-7", "su_note"]
        );
        assert!(
            rendered.html.contains("[contact-form-7 id=\"12\"]"),
            "{}",
            rendered.html
        );
    }

    #[test]
    fn nothing_active_survives() {
        let rendered = render("[caption]<img src=x onerror=alert(1)><script>alert(2)</script>[/caption]\n\njavascript:alert(3)");
        assert!(
            !rendered.html.contains("onerror") && !rendered.html.contains("<script"),
            "{}",
            rendered.html
        );
    }
}
