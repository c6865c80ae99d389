//! `ferropress export wordpress`: the site as WXR 1.2, the format WordPress's
//! own importer reads — authors, categories, posts and pages with their
//! status, and comments with status and parent. Written as it is read, a
//! batch of posts at a time.

use std::io::Write;

use quick_xml::escape::escape;

use crate::db::AnyConnection;
use crate::domain::{CommentStatus, PostStatus, PostType};
use crate::models::category::all_categories;
use crate::models::comment::{comments_of_post, Comment};
use crate::models::media::{all_media_after, find_media, largest_media_wp_id, Media};
use crate::models::now;
use crate::models::post::{
    all_posts_after, category_ids_of_post, find_post, largest_post_ids, Post,
};
use crate::models::tag::{all_tags, tags_of_posts};
use crate::models::user::list_users;
use crate::render::text::datetime;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("cannot write: {0}")]
    Write(#[from] std::io::Error),
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
}

/// Text inside CDATA, with any `]]>` split so it cannot end the section.
fn cdata(text: &str) -> String {
    format!("<![CDATA[{}]]>", text.replace("]]>", "]]]]><![CDATA[>"))
}

fn wp_date(unix_seconds: i64) -> String {
    datetime(unix_seconds)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// WordPress's `post_status` spelling.
fn wp_status(post: &Post) -> &'static str {
    match post.status {
        PostStatus::Published if post.published_at > now() => "future",
        PostStatus::Published => "publish",
        PostStatus::Private => "private",
        PostStatus::Trash => "trash",
        PostStatus::Draft => "draft",
    }
}

/// The ids items go out with: an imported post or file keeps its WordPress
/// id (so `[gallery ids=…]` in its content still names the right files);
/// anything made here is numbered above every kept one, posts then files,
/// so no two items share an id.
struct ExportIds {
    base: i64,
    largest_post: i64,
}

impl ExportIds {
    fn of(conn: &mut AnyConnection) -> Result<ExportIds, ExportError> {
        let (largest_post, largest_post_wp) = largest_post_ids(conn)?;
        let base = largest_post_wp.max(largest_media_wp_id(conn)?);
        Ok(ExportIds { base, largest_post })
    }

    fn post(&self, post: &Post) -> i64 {
        post.wp_id.unwrap_or(self.base + post.id)
    }

    fn media(&self, media: &Media) -> i64 {
        media
            .wp_id
            .unwrap_or(self.base + self.largest_post + media.id)
    }
}

/// A string in PHP's `serialize` form (lengths in bytes).
fn php_string(text: &str) -> String {
    format!("s:{}:\"{text}\";", text.len())
}

/// `_wp_attachment_metadata` as WordPress stores it: the original's size,
/// its file, and each smaller size.
fn attachment_metadata(media: &Media) -> String {
    let sizes = media.sizes();
    let mut text = format!(
        "a:4:{{{}i:{};{}i:{};{}{}{}a:{}:{{",
        php_string("width"),
        media.width.unwrap_or(0),
        php_string("height"),
        media.height.unwrap_or(0),
        php_string("file"),
        php_string(&media.path),
        php_string("sizes"),
        sizes.len()
    );
    for size in &sizes {
        text.push_str(&php_string(&format!("{}x{}", size.width, size.height)));
        text.push_str(&format!(
            "a:4:{{{}{}{}i:{};{}i:{};{}{}}}",
            php_string("file"),
            php_string(&size.file),
            php_string("width"),
            size.width,
            php_string("height"),
            size.height,
            php_string("mime-type"),
            php_string(&media.mime)
        ));
    }
    text.push_str("}}");
    text
}

fn write_meta(out: &mut impl Write, key: &str, value: &str) -> Result<(), ExportError> {
    writeln!(
        out,
        "\t\t<wp:postmeta>\n\t\t\t<wp:meta_key>{}</wp:meta_key>\n\t\t\t<wp:meta_value>{}</wp:meta_value>\n\t\t</wp:postmeta>",
        cdata(key),
        cdata(value)
    )?;
    Ok(())
}

/// One file of the library as an attachment item.
fn write_attachment(
    out: &mut impl Write,
    media: &Media,
    ids: &ExportIds,
    parent: Option<i64>,
    site_url: &str,
) -> Result<(), ExportError> {
    let url = format!("{site_url}{}", media.url());
    let name = media
        .path
        .rsplit('/')
        .next()
        .unwrap_or(&media.path)
        .rsplit_once('.')
        .map_or(media.path.as_str(), |(stem, _)| stem)
        .to_owned();
    let date = wp_date(media.created_at);
    writeln!(out, "\t<item>")?;
    writeln!(out, "\t\t<title>{}</title>", cdata(&media.title))?;
    writeln!(out, "\t\t<link>{}</link>", escape(&url))?;
    writeln!(out, "\t\t<dc:creator>{}</dc:creator>", cdata(""))?;
    writeln!(
        out,
        "\t\t<guid isPermaLink=\"false\">{}</guid>",
        escape(&url)
    )?;
    writeln!(out, "\t\t<description></description>")?;
    writeln!(out, "\t\t<content:encoded>{}</content:encoded>", cdata(""))?;
    writeln!(
        out,
        "\t\t<excerpt:encoded>{}</excerpt:encoded>",
        cdata(&media.caption)
    )?;
    writeln!(out, "\t\t<wp:post_id>{}</wp:post_id>", ids.media(media))?;
    writeln!(out, "\t\t<wp:post_date>{}</wp:post_date>", cdata(&date))?;
    writeln!(
        out,
        "\t\t<wp:post_date_gmt>{}</wp:post_date_gmt>",
        cdata(&date)
    )?;
    writeln!(
        out,
        "\t\t<wp:comment_status><![CDATA[closed]]></wp:comment_status>"
    )?;
    writeln!(
        out,
        "\t\t<wp:ping_status><![CDATA[closed]]></wp:ping_status>"
    )?;
    writeln!(out, "\t\t<wp:post_name>{}</wp:post_name>", cdata(&name))?;
    writeln!(out, "\t\t<wp:status><![CDATA[inherit]]></wp:status>")?;
    writeln!(
        out,
        "\t\t<wp:post_parent>{}</wp:post_parent>",
        parent.unwrap_or(0)
    )?;
    writeln!(out, "\t\t<wp:menu_order>0</wp:menu_order>")?;
    writeln!(
        out,
        "\t\t<wp:post_type><![CDATA[attachment]]></wp:post_type>"
    )?;
    writeln!(out, "\t\t<wp:post_password><![CDATA[]]></wp:post_password>")?;
    writeln!(out, "\t\t<wp:is_sticky>0</wp:is_sticky>")?;
    writeln!(
        out,
        "\t\t<wp:attachment_url>{}</wp:attachment_url>",
        cdata(&url)
    )?;
    write_meta(out, "_wp_attached_file", &media.path)?;
    if media.is_image() {
        write_meta(out, "_wp_attachment_metadata", &attachment_metadata(media))?;
    }
    if !media.alt.is_empty() {
        write_meta(out, "_wp_attachment_image_alt", &media.alt)?;
    }
    writeln!(out, "\t</item>")?;
    Ok(())
}

/// Writes the whole site as WXR. `site_url` makes links absolute.
pub fn export_wordpress(
    conn: &mut AnyConnection,
    site_title: &str,
    site_url: &str,
    out: &mut impl Write,
) -> Result<(), ExportError> {
    writeln!(out, "<?xml version=\"1.0\" encoding=\"UTF-8\" ?>")?;
    writeln!(out, "<!-- This is a WordPress eXtended RSS file generated by ferropress as an export of your site. -->")?;
    writeln!(
        out,
        "<rss version=\"2.0\"\n\txmlns:excerpt=\"http://wordpress.org/export/1.2/excerpt/\"\n\txmlns:content=\"http://purl.org/rss/1.0/modules/content/\"\n\txmlns:wfw=\"http://wellformedweb.org/CommentAPI/\"\n\txmlns:dc=\"http://purl.org/dc/elements/1.1/\"\n\txmlns:wp=\"http://wordpress.org/export/1.2/\"\n>\n<channel>"
    )?;
    writeln!(out, "\t<title>{}</title>", escape(site_title))?;
    writeln!(out, "\t<link>{}</link>", escape(site_url))?;
    writeln!(out, "\t<description></description>")?;
    writeln!(out, "\t<pubDate>{}</pubDate>", datetime(now()).to_rfc2822())?;
    writeln!(out, "\t<language>en-US</language>")?;
    writeln!(out, "\t<wp:wxr_version>1.2</wp:wxr_version>")?;
    writeln!(
        out,
        "\t<wp:base_site_url>{}</wp:base_site_url>",
        escape(site_url)
    )?;
    writeln!(
        out,
        "\t<wp:base_blog_url>{}</wp:base_blog_url>",
        escape(site_url)
    )?;

    let users = list_users(conn)?;
    let login_of = |user_id: Option<i64>| {
        users
            .iter()
            .find(|user| Some(user.id) == user_id)
            .map(|user| user.wp_login.clone().unwrap_or_else(|| user.email.clone()))
            .unwrap_or_default()
    };
    for user in &users {
        writeln!(
            out,
            "\t<wp:author><wp:author_id>{}</wp:author_id><wp:author_login>{}</wp:author_login><wp:author_email>{}</wp:author_email><wp:author_display_name>{}</wp:author_display_name><wp:author_first_name><![CDATA[]]></wp:author_first_name><wp:author_last_name><![CDATA[]]></wp:author_last_name></wp:author>",
            user.id,
            cdata(&login_of(Some(user.id))),
            cdata(&user.email),
            cdata(&user.display_name)
        )?;
    }
    let categories = all_categories(conn)?;
    for category in &categories {
        let parent = category
            .parent_id
            .and_then(|parent_id| categories.iter().find(|other| other.id == parent_id))
            .map(|parent| parent.slug.clone())
            .unwrap_or_default();
        writeln!(
            out,
            "\t<wp:category><wp:term_id>{}</wp:term_id><wp:category_nicename>{}</wp:category_nicename><wp:category_parent>{}</wp:category_parent><wp:cat_name>{}</wp:cat_name><wp:category_description>{}</wp:category_description></wp:category>",
            category.id,
            cdata(&category.slug),
            cdata(&parent),
            cdata(&category.name),
            cdata(&category.description)
        )?;
    }

    for tag in all_tags(conn)? {
        writeln!(
            out,
            "\t<wp:tag><wp:term_id>{}</wp:term_id><wp:tag_slug>{}</wp:tag_slug><wp:tag_name>{}</wp:tag_name></wp:tag>",
            tag.id,
            cdata(&tag.slug),
            cdata(&tag.name)
        )?;
    }

    let ids = ExportIds::of(conn)?;
    let mut after = 0;
    loop {
        let batch = all_posts_after(conn, after, 200)?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        for post in &batch {
            let item = ItemContext {
                site_url,
                creator: &login_of(post.author_id),
                categories: &categories,
                ids: &ids,
            };
            write_item(conn, out, post, &item)?;
        }
    }
    let mut after = 0;
    loop {
        let batch = all_media_after(conn, after, 200)?;
        let Some(last) = batch.last() else { break };
        after = last.id;
        for media in &batch {
            let parent = match media.post_id {
                Some(post_id) => find_post(conn, post_id)?.map(|post| ids.post(&post)),
                None => None,
            };
            write_attachment(out, media, &ids, parent, site_url)?;
        }
    }
    writeln!(out, "</channel>\n</rss>")?;
    out.flush()?;
    Ok(())
}

/// What every item is written with.
struct ItemContext<'a> {
    site_url: &'a str,
    creator: &'a str,
    categories: &'a [crate::models::category::Category],
    ids: &'a ExportIds,
}

fn write_item(
    conn: &mut AnyConnection,
    out: &mut impl Write,
    post: &Post,
    item: &ItemContext<'_>,
) -> Result<(), ExportError> {
    let ItemContext {
        site_url,
        creator,
        categories,
        ids,
    } = *item;
    let export_id = ids.post(post);
    let link = format!("{site_url}{}", post.permalink());
    // WordPress stores HTML: imported posts keep what they came with,
    // Markdown posts go out rendered.
    let content = if post.body_format == "html" {
        &post.body_source
    } else {
        &post.body_html
    };
    writeln!(out, "\t<item>")?;
    writeln!(out, "\t\t<title>{}</title>", cdata(&post.title))?;
    writeln!(out, "\t\t<link>{}</link>", escape(&link))?;
    writeln!(
        out,
        "\t\t<pubDate>{}</pubDate>",
        datetime(post.published_at).to_rfc2822()
    )?;
    writeln!(out, "\t\t<dc:creator>{}</dc:creator>", cdata(creator))?;
    writeln!(
        out,
        "\t\t<guid isPermaLink=\"false\">{}/?p={}</guid>",
        escape(site_url),
        export_id
    )?;
    writeln!(out, "\t\t<description></description>")?;
    writeln!(
        out,
        "\t\t<content:encoded>{}</content:encoded>",
        cdata(content)
    )?;
    writeln!(
        out,
        "\t\t<excerpt:encoded>{}</excerpt:encoded>",
        cdata(&post.excerpt)
    )?;
    writeln!(out, "\t\t<wp:post_id>{}</wp:post_id>", export_id)?;
    writeln!(
        out,
        "\t\t<wp:post_date>{}</wp:post_date>",
        cdata(&wp_date(post.published_at))
    )?;
    writeln!(
        out,
        "\t\t<wp:post_date_gmt>{}</wp:post_date_gmt>",
        cdata(&wp_date(post.published_at))
    )?;
    writeln!(
        out,
        "\t\t<wp:post_modified>{}</wp:post_modified>",
        cdata(&wp_date(post.updated_at))
    )?;
    writeln!(
        out,
        "\t\t<wp:post_modified_gmt>{}</wp:post_modified_gmt>",
        cdata(&wp_date(post.updated_at))
    )?;
    writeln!(
        out,
        "\t\t<wp:comment_status>{}</wp:comment_status>",
        cdata(if post.allow_comments {
            "open"
        } else {
            "closed"
        })
    )?;
    writeln!(
        out,
        "\t\t<wp:ping_status><![CDATA[closed]]></wp:ping_status>"
    )?;
    writeln!(
        out,
        "\t\t<wp:post_name>{}</wp:post_name>",
        // A child page's slug holds its parents' too; WordPress keeps its own.
        cdata(post.slug.rsplit('/').next().unwrap_or(&post.slug))
    )?;
    writeln!(out, "\t\t<wp:status>{}</wp:status>", cdata(wp_status(post)))?;
    let parent = match post.parent_id {
        Some(parent_id) => find_post(conn, parent_id)?.map(|parent| ids.post(&parent)),
        None => None,
    };
    writeln!(
        out,
        "\t\t<wp:post_parent>{}</wp:post_parent>",
        parent.unwrap_or(0)
    )?;
    writeln!(
        out,
        "\t\t<wp:menu_order>{}</wp:menu_order>",
        post.menu_order
    )?;
    writeln!(
        out,
        "\t\t<wp:post_type>{}</wp:post_type>",
        cdata(post.post_type.as_str())
    )?;
    writeln!(
        out,
        "\t\t<wp:post_password>{}</wp:post_password>",
        cdata(&post.password)
    )?;
    writeln!(
        out,
        "\t\t<wp:is_sticky>{}</wp:is_sticky>",
        u8::from(post.sticky)
    )?;
    if post.post_type == PostType::Post {
        write_categories(out, &category_ids_of_post(conn, post.id)?, categories)?;
        if !post.post_format.is_empty() {
            writeln!(
                out,
                "\t\t<category domain=\"post_format\" nicename=\"post-format-{}\">{}</category>",
                escape(&post.post_format),
                cdata(&post_format_name(&post.post_format))
            )?;
        }
        for tag in tags_of_posts(conn, &[post.id])?
            .remove(&post.id)
            .unwrap_or_default()
        {
            writeln!(
                out,
                "\t\t<category domain=\"post_tag\" nicename=\"{}\">{}</category>",
                escape(&tag.slug),
                cdata(&tag.name)
            )?;
        }
    }
    if let Some(media_id) = post.featured_media_id {
        if let Some(media) = find_media(conn, media_id)? {
            write_meta(out, "_thumbnail_id", &ids.media(&media).to_string())?;
        }
    }
    for comment in comments_of_post(conn, post.id)? {
        write_comment(out, &comment)?;
    }
    writeln!(out, "\t</item>")?;
    Ok(())
}

/// WordPress's name for a post format's term: `aside` → "Aside".
fn post_format_name(format: &str) -> String {
    let mut letters = format.chars();
    match letters.next() {
        Some(first) => first.to_uppercase().chain(letters).collect(),
        None => String::new(),
    }
}

/// A post's categories, as `<category domain="category">` elements.
fn write_categories(
    out: &mut impl Write,
    category_ids: &[i64],
    categories: &[crate::models::category::Category],
) -> Result<(), ExportError> {
    for category_id in category_ids {
        if let Some(category) = categories
            .iter()
            .find(|category| category.id == *category_id)
        {
            writeln!(
                out,
                "\t\t<category domain=\"category\" nicename=\"{}\">{}</category>",
                escape(&category.slug),
                cdata(&category.name)
            )?;
        }
    }
    Ok(())
}

/// One `<wp:comment>`, any status, with its author's details (the export is
/// the site owner's backup).
fn write_comment(out: &mut impl Write, comment: &Comment) -> Result<(), ExportError> {
    // WordPress's `comment_approved` spellings.
    let approved = match comment.status {
        CommentStatus::Approved => "1",
        CommentStatus::Pending => "0",
        CommentStatus::Spam => "spam",
        CommentStatus::Trash => "trash",
    };
    writeln!(out, "\t\t<wp:comment>")?;
    writeln!(out, "\t\t\t<wp:comment_id>{}</wp:comment_id>", comment.id)?;
    writeln!(
        out,
        "\t\t\t<wp:comment_author>{}</wp:comment_author>",
        cdata(&comment.author_name)
    )?;
    writeln!(
        out,
        "\t\t\t<wp:comment_author_email>{}</wp:comment_author_email>",
        cdata(&comment.author_email)
    )?;
    writeln!(
        out,
        "\t\t\t<wp:comment_author_url>{}</wp:comment_author_url>",
        escape(&comment.author_url)
    )?;
    writeln!(
        out,
        "\t\t\t<wp:comment_author_IP>{}</wp:comment_author_IP>",
        cdata(&comment.author_ip)
    )?;
    writeln!(
        out,
        "\t\t\t<wp:comment_date>{}</wp:comment_date>",
        cdata(&wp_date(comment.created_at))
    )?;
    writeln!(
        out,
        "\t\t\t<wp:comment_date_gmt>{}</wp:comment_date_gmt>",
        cdata(&wp_date(comment.created_at))
    )?;
    writeln!(
        out,
        "\t\t\t<wp:comment_content>{}</wp:comment_content>",
        cdata(&comment.body_html)
    )?;
    writeln!(
        out,
        "\t\t\t<wp:comment_approved>{}</wp:comment_approved>",
        cdata(approved)
    )?;
    writeln!(
        out,
        "\t\t\t<wp:comment_type>{}</wp:comment_type>",
        cdata(&comment.comment_type)
    )?;
    writeln!(
        out,
        "\t\t\t<wp:comment_parent>{}</wp:comment_parent>",
        comment.parent_id.unwrap_or(0)
    )?;
    writeln!(
        out,
        "\t\t\t<wp:comment_user_id>{}</wp:comment_user_id>",
        comment.user_id.unwrap_or(0)
    )?;
    writeln!(out, "\t\t</wp:comment>")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::cdata;

    #[test]
    fn cdata_cannot_be_closed_early() {
        assert_eq!(cdata("a]]>b"), "<![CDATA[a]]]]><![CDATA[>b]]>");
    }
}
