//! `ferropress import wordpress FILE.xml`: categories, authors, posts and
//! pages with their status, categories and comments (status and threading),
//! and every old URL as a redirect — in one transaction, so a broken file
//! leaves nothing half-imported, and by WordPress ids, so a second run
//! changes nothing.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::io::BufRead;
use std::path::PathBuf;
use std::sync::LazyLock;

use chrono::NaiveDateTime;
use diesel::RunQueryDsl;

use crate::db::AnyConnection;
use crate::domain::{CommentStatus, PostStatus, PostType};
use crate::domain::{EmailAddress, Role, Slug};
use crate::media_store::MediaStore;
use crate::models::category::{category_with_slug, set_category_parent, set_category_wp_id};
use crate::models::comment::wp_ids_of_post;
use crate::models::comment::{
    claim_comment_ids, comment_id_by_wp_id, insert_imported_comments, recount_approved,
    ImportedComment,
};
use crate::models::media::{
    find_media_by_wp_id, insert_media, media_by_wp_ids, record_media_uses, set_media_post,
    MediaSize, NewMedia,
};
use crate::models::now;
use crate::models::post::{
    find_post, find_post_by_wp_id, insert_imported_post, refresh_page_path, set_body_html,
    set_featured_media, set_post_parent, ImportedPost,
};
use crate::models::redirect::record_redirect;
use crate::models::tag::{set_post_tags, set_tag_wp_id, tag_with_slug};
use crate::models::user::{
    create_user, find_user_by_email_ignoring_case, find_user_by_wp_login, set_user_wp_id,
    set_wp_login, NewUser,
};
use crate::render::comment::sanitize_imported_comment;
use crate::render::text::plain_text;
use crate::render::text::thousands;
use crate::render::wordpress::{library_image_ids, render_wordpress, LibraryImage, Rendered};
use crate::wxr::read::{
    WxrCategory, WxrComment, WxrError, WxrItem, WxrReader, WxrRecord, WxrSite, WxrTag,
};
use regex::Regex;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error(transparent)]
    File(#[from] WxrError),
    #[error("database error: {0}")]
    Database(#[from] diesel::result::Error),
}

/// What an import did, for the closing line.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportSummary {
    pub categories: usize,
    pub authors: usize,
    pub posts: usize,
    pub pages: usize,
    pub comments: usize,
    pub tags: usize,
    /// Files of the media library (attachments), with their sizes.
    pub media: usize,
    /// Files an attachment names that were not found in the uploads folder.
    pub missing_files: Vec<String>,
    /// Files fetched from the old site (`--fetch-media`).
    pub fetched_files: usize,
    /// Shortcodes left as text, by name, and how often.
    pub unknown_shortcodes: BTreeMap<String, usize>,
    /// Why records were left out, and how many: "menu items", "revisions"…
    pub skipped: BTreeMap<String, usize>,
    /// Posts and comments found from an earlier run, left as they are.
    pub already_there: usize,
    /// The export's site title, taken where this site had the default.
    pub site_title: Option<String>,
    /// The timezone the posts' dates were written in, taken where this
    /// site was on UTC.
    pub timezone: Option<String>,
    /// The permalink structure the posts' addresses were built with, taken
    /// where this site had the default.
    pub permalinks: Option<String>,
    /// Files of attachments imported before that were missing then and
    /// were found now (a second run with the right folder).
    pub files_added: usize,
    /// The category and tag bases the old site's links show, taken where
    /// this site had WordPress's.
    pub category_base: Option<String>,
    pub tag_base: Option<String>,
}

fn plural(count: usize, one: &str, many: &str) -> String {
    format!(
        "{} {}",
        thousands(count),
        if count == 1 { one } else { many }
    )
}

impl fmt::Display for ImportSummary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}, {}, {}, {}, {}, {}, {} imported",
            plural(self.categories, "category", "categories"),
            plural(self.tags, "tag", "tags"),
            plural(self.authors, "author", "authors"),
            plural(self.posts, "post", "posts"),
            plural(self.pages, "page", "pages"),
            plural(self.media, "media file", "media files"),
            plural(self.comments, "comment", "comments"),
        )?;
        if self.files_added > 0 {
            write!(
                f,
                "; {} added that were missing",
                plural(self.files_added, "file", "files")
            )?;
        }
        if self.fetched_files > 0 {
            write!(
                f,
                "; {} fetched from the old site",
                plural(self.fetched_files, "file", "files")
            )?;
        }
        if !self.missing_files.is_empty() {
            let shown: Vec<&str> = self
                .missing_files
                .iter()
                .take(5)
                .map(String::as_str)
                .collect();
            write!(
                f,
                "; {} not found in the uploads folder ({}{})",
                plural(self.missing_files.len(), "file", "files"),
                shown.join(", "),
                if self.missing_files.len() > 5 {
                    ", …"
                } else {
                    ""
                }
            )?;
        }
        if !self.unknown_shortcodes.is_empty() {
            let named: Vec<String> = self
                .unknown_shortcodes
                .iter()
                .map(|(name, count)| format!("[{name}] ×{count}"))
                .collect();
            write!(f, "; shortcodes left as text: {}", named.join(", "))?;
        }
        let skipped: usize = self.skipped.values().sum();
        if skipped > 0 {
            let reasons: Vec<String> = self
                .skipped
                .iter()
                .map(|(reason, count)| format!("{} {reason}", thousands(*count)))
                .collect();
            write!(
                f,
                "; {} skipped: {}",
                thousands(skipped),
                reasons.join(", ")
            )?;
        }
        if self.already_there > 0 {
            write!(f, "; {} already there", thousands(self.already_there))?;
        }
        if let Some(title) = &self.site_title {
            write!(f, "; site title set to “{title}”")?;
        }
        if let Some(zone) = &self.timezone {
            write!(
                f,
                "; timezone set to {zone}, as the posts' dates say (Settings > General)"
            )?;
        }
        for (what, base) in [("category", &self.category_base), ("tag", &self.tag_base)] {
            if let Some(base) = base {
                write!(
                    f,
                    "; {what} base set to {base}, as the old site's links say"
                )?;
            }
        }
        if let Some(structure) = &self.permalinks {
            write!(
                f,
                "; permalinks set to {structure}, as the posts' addresses say (Settings > Permalinks)"
            )?;
        }
        Ok(())
    }
}

/// WordPress's `2024-03-14 10:00:00` (UTC when from a `_gmt` field).
fn parse_wp_date(text: &str) -> Option<i64> {
    NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S")
        .ok()
        .map(|date| date.and_utc().timestamp())
}

fn item_date(item: &WxrItem) -> i64 {
    parse_wp_date(&item.date_gmt)
        .or_else(|| parse_wp_date(&item.date))
        .or_else(|| {
            chrono::DateTime::parse_from_rfc2822(item.pub_date.trim())
                .ok()
                .map(|date| date.timestamp())
        })
        .unwrap_or_else(now)
}

/// The path (and query) of an absolute WordPress URL: what old links ask for.
fn old_path(link: &str) -> Option<String> {
    let rest = link.trim().split("://").nth(1)?;
    let path = rest.find('/').map(|index| &rest[index..]).unwrap_or("/");
    let path = path.split('#').next().unwrap_or(path);
    // Kept as requests are looked up: `%e7%9d%a1` as the letters.
    (path != "/" && !path.is_empty()).then(|| crate::domain::slug::percent_decode(path))
}

/// WordPress's post formats; anything else is a standard post.
fn known_post_format(format: &str) -> &'static str {
    crate::domain::status::POST_FORMATS
        .iter()
        .find(|(known, _)| *known == format)
        .map_or("", |(known, _)| known)
}

/// Where an import's files come from and go.
#[derive(Debug, Clone)]
pub struct MediaFiles {
    /// A copy of the old site's `wp-content/uploads`; `None`: attachments
    /// are recorded and their files listed as missing.
    pub uploads: Option<PathBuf>,
    /// Where the files go.
    pub store: MediaStore,
    /// A file not in `uploads` is fetched from the old site's address for it.
    pub fetch: bool,
}

/// The largest file `--fetch-media` takes.
const MAX_FETCHED_BYTES: u64 = 50 * 1024 * 1024;

/// Fetches a file from the old site (blocking: the import runs on its own
/// thread); `None` for anything but a `200` of a sane size.
fn fetch(url: &str) -> Option<Vec<u8>> {
    use std::io::Read;
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return None;
    }
    let client = reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(30))
        .user_agent("ferropress-import")
        .build()
        .ok()?;
    let response = client.get(url).send().ok()?;
    if response.status() != reqwest::StatusCode::OK {
        return None;
    }
    let mut bytes = Vec::new();
    response
        .take(MAX_FETCHED_BYTES + 1)
        .read_to_end(&mut bytes)
        .ok()?;
    (bytes.len() as u64 <= MAX_FETCHED_BYTES).then_some(bytes)
}

/// `https://old.example` of `https://old.example/2023/03/05/x/`.
fn origin_of(link: &str) -> Option<&str> {
    let link = link.trim();
    let (scheme, rest) = link.split_once("://")?;
    let host_end = rest.find('/').unwrap_or(rest.len());
    link.get(..scheme.len() + 3 + host_end)
}

/// A path below the uploads folder that stays below it: no `..`, no
/// absolute path, no backslashes or NULs.
fn safe_upload_path(path: &str) -> Option<String> {
    let path = path.trim().trim_start_matches('/');
    let safe = !path.is_empty()
        && !path.contains('\\')
        && !path.contains('\0')
        && path
            .split('/')
            .all(|segment| !segment.is_empty() && segment != "." && segment != "..");
    safe.then(|| path.to_owned())
}

/// The original's width and height in `_wp_attachment_metadata` (PHP
/// serialised: the first `width` and `height` are the original's).
fn image_dimensions(metadata: &str) -> (Option<i64>, Option<i64>) {
    static WIDTH: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"s:5:"width";i:(\d+);"#).expect("valid pattern"));
    static HEIGHT: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r#"s:6:"height";i:(\d+);"#).expect("valid pattern"));
    let number = |pattern: &Regex| {
        pattern
            .captures(metadata)
            .and_then(|found| found[1].parse().ok())
    };
    (number(&WIDTH), number(&HEIGHT))
}

/// The sizes WordPress made, from `_wp_attachment_metadata`.
/// The file a `-scaled` image was made from (WordPress 5.3+ keeps the
/// upload and serves a scaled copy): `original_image` in its metadata.
fn original_image(metadata: &str) -> Option<String> {
    static ORIGINAL: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"s:14:"original_image";s:\d+:"([^"/\\]+)";"#).expect("valid pattern")
    });
    let name = ORIGINAL.captures(metadata)?.get(1)?.as_str();
    (!name.starts_with('.') && !name.contains("..")).then(|| name.to_owned())
}

/// Width and height from an image file's header (nothing decoded).
fn header_dimensions(bytes: &[u8]) -> Option<(i64, i64)> {
    let (width, height) = image::ImageReader::new(std::io::Cursor::new(bytes))
        .with_guessed_format()
        .ok()?
        .into_dimensions()
        .ok()?;
    Some((i64::from(width), i64::from(height)))
}

fn image_sizes(metadata: &str) -> Vec<MediaSize> {
    static SIZE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"s:4:"file";s:\d+:"([^"/]+)";s:5:"width";i:(\d+);s:6:"height";i:(\d+);"#)
            .expect("valid pattern")
    });
    let mut sizes: Vec<MediaSize> = SIZE
        .captures_iter(metadata)
        // A size is a file beside the original: never `..` or a hidden name.
        .filter(|found| !found[1].starts_with('.'))
        .filter_map(|found| {
            Some(MediaSize {
                file: found[1].to_owned(),
                width: found[2].parse().ok()?,
                height: found[3].parse().ok()?,
            })
        })
        .collect();
    sizes.dedup_by(|a, b| a.file == b.file);
    sizes
}

/// The library's images that content names by WordPress id.
fn library_images(
    conn: &mut AnyConnection,
    wp_ids: &[i64],
) -> diesel::QueryResult<Vec<LibraryImage>> {
    Ok(media_by_wp_ids(conn, wp_ids)?
        .iter()
        .filter_map(|media| {
            let thumbnail = media
                .sizes()
                .into_iter()
                .find(|size| size.width == 150 && size.height == 150)
                .map(|size| (media.size_url(&size), size.width, size.height));
            Some(LibraryImage {
                wp_id: media.wp_id?,
                url: media.url(),
                width: media.width,
                height: media.height,
                alt: media.alt.clone(),
                thumbnail,
                srcset: media.srcset(),
            })
        })
        .collect())
}

/// Content rendered as WordPress shows it, its galleries drawn from the
/// library as it stands.
fn render_with_library(
    conn: &mut AnyConnection,
    content: &str,
    site_origin: Option<&str>,
) -> diesel::QueryResult<Rendered> {
    let library = library_images(conn, &library_image_ids(content))?;
    Ok(render_wordpress(content, site_origin, &|ids| {
        library
            .iter()
            .filter(|image| ids.contains(&image.wp_id))
            .cloned()
            .collect()
    }))
}

/// The importer's memory of what it mapped: WordPress → ferropress ids,
/// and the links that can only be made once everything is in.
struct Importer {
    summary: ImportSummary,
    files: MediaFiles,
    categories: HashMap<String, i64>,
    parents: Vec<(String, String)>,
    authors: HashMap<String, i64>,
    tags: HashMap<String, i64>,
    /// (post, WordPress id of its featured image).
    featured: Vec<(i64, i64)>,
    /// (page, WordPress id of its parent page).
    page_parents: Vec<(i64, i64)>,
    /// (media, WordPress id of the post it was uploaded to).
    media_parents: Vec<(i64, i64)>,
    /// Posts whose galleries named images not imported yet, with the old
    /// site's origin their links are made relative to.
    rerender: Vec<(i64, Option<String>)>,
    /// Every post and page imported, to record the files each shows once
    /// all files are in.
    imported_posts: Vec<i64>,
    /// (UTC time, local minus UTC) of each dated item: the site's timezone.
    offsets: Vec<(i64, i32)>,
    /// (old address, post here, local date) of each published post: the
    /// site's permalink structure.
    addresses: Vec<(String, i64, chrono::NaiveDateTime)>,
    /// The old site's links in content: their paths, for the category and
    /// tag bases (`/topics/neck/`).
    content_links: Vec<String>,
}

/// Imports a whole WXR stream; `progress` hears the bytes read so far.
pub fn import_wordpress<R: BufRead>(
    conn: &mut AnyConnection,
    input: R,
    files: &MediaFiles,
    mut progress: impl FnMut(u64),
) -> Result<ImportSummary, ImportError> {
    let mut reader = WxrReader::new(input);
    crate::db::write_transaction(conn, |conn| {
        match conn {
            // The tables grow from nothing inside this one transaction: a
            // plan PostgreSQL makes once and reuses (planned on the empty
            // tables) would scan where an index lookup is wanted.
            AnyConnection::Postgresql(pg) => {
                diesel::sql_query("SET LOCAL plan_cache_mode = force_custom_plan").execute(pg)?
            }
            // A reply may be stored before its parent (ids are reserved up
            // front): foreign keys are checked at commit, for this transaction.
            AnyConnection::Sqlite(sqlite) => {
                diesel::sql_query("PRAGMA defer_foreign_keys = ON").execute(sqlite)?
            }
        };
        let mut importer = Importer {
            summary: ImportSummary::default(),
            files: files.clone(),
            categories: HashMap::new(),
            parents: Vec::new(),
            authors: HashMap::new(),
            tags: HashMap::new(),
            featured: Vec::new(),
            page_parents: Vec::new(),
            media_parents: Vec::new(),
            rerender: Vec::new(),
            imported_posts: Vec::new(),
            offsets: Vec::new(),
            addresses: Vec::new(),
            content_links: Vec::new(),
        };
        while let Some(record) = reader.next_record()? {
            match record {
                WxrRecord::Author(author) => {
                    importer.author(conn, &author.login, &author.email, &author.display_name)?;
                    if let Some(user_id) = importer.authors.get(&author.login) {
                        if author.id > 0 {
                            set_user_wp_id(conn, *user_id, author.id)?;
                        }
                    }
                }
                WxrRecord::Category(category) => importer.category(conn, &category)?,
                WxrRecord::Tag(tag) => importer.tag(conn, &tag)?,
                WxrRecord::Item(item) => importer.item(conn, &item)?,
            }
            progress(reader.position());
        }
        importer.link_category_parents(conn)?;
        importer.link_the_rest(conn)?;
        importer.adopt_site(conn, reader.site())?;
        Ok(importer.summary)
    })
}

impl Importer {
    fn author(
        &mut self,
        conn: &mut AnyConnection,
        login: &str,
        email: &str,
        display_name: &str,
    ) -> Result<(), ImportError> {
        if login.is_empty() || self.authors.contains_key(login) {
            return Ok(());
        }
        if let Some(user) = find_user_by_wp_login(conn, login)? {
            self.authors.insert(login.to_owned(), user.id);
            return Ok(());
        }
        let email = EmailAddress::parse(email).or_else(|_| {
            EmailAddress::parse(&format!(
                "{}@imported.invalid",
                Slug::from_text(login)
                    .map(Slug::into_string)
                    .unwrap_or_else(|_| "author".to_owned())
            ))
        });
        let Ok(email) = email else { return Ok(()) };
        // Someone already here with that address (often the person importing) is that author.
        if let Some(user) = find_user_by_email_ignoring_case(conn, email.as_str())? {
            if user.wp_login.is_none() {
                set_wp_login(conn, user.id, login)?;
            }
            self.authors.insert(login.to_owned(), user.id);
            return Ok(());
        }
        let name = if display_name.trim().is_empty() {
            login
        } else {
            display_name.trim()
        };
        let name: String = name.chars().filter(|c| !c.is_control()).take(100).collect();
        let user = create_user(
            conn,
            &NewUser {
                email: &email,
                display_name: &name,
                password_hash: None,
                role: Role::Editor,
            },
        )?;
        set_wp_login(conn, user.id, login)?;
        self.authors.insert(login.to_owned(), user.id);
        self.summary.authors += 1;
        Ok(())
    }

    fn category(
        &mut self,
        conn: &mut AnyConnection,
        category: &WxrCategory,
    ) -> Result<(), ImportError> {
        let Ok(slug) = (if category.slug.is_empty() {
            Slug::from_text(&category.name)
        } else {
            Slug::from_wordpress(&category.slug)
        }) else {
            *self
                .summary
                .skipped
                .entry("unnamed categories".to_owned())
                .or_default() += 1;
            return Ok(());
        };
        let (stored, created) =
            category_with_slug(conn, &slug, &category.name, &category.description)?;
        if created {
            self.summary.categories += 1;
        }
        self.categories.insert(category.slug.clone(), stored.id);
        if category.id > 0 {
            set_category_wp_id(conn, stored.id, category.id)?;
        }
        if !category.parent_slug.is_empty() {
            self.parents
                .push((category.slug.clone(), category.parent_slug.clone()));
        }
        Ok(())
    }

    /// A tag of the export's list: made (or found) now, its WordPress id
    /// kept for `/?tag_id=`.
    fn tag(&mut self, conn: &mut AnyConnection, tag: &WxrTag) -> Result<(), ImportError> {
        let parsed = if tag.slug.is_empty() {
            Slug::from_text(&tag.name)
        } else {
            Slug::from_wordpress(&tag.slug)
        };
        let Ok(slug) = parsed else {
            return self.skip("unnamed tags");
        };
        let name = if tag.name.trim().is_empty() {
            slug.as_str().to_owned()
        } else {
            tag.name.clone()
        };
        let (stored, created) = tag_with_slug(conn, &slug, &name)?;
        if created {
            self.summary.tags += 1;
        }
        self.tags.insert(tag.slug.clone(), stored.id);
        if tag.id > 0 {
            set_tag_wp_id(conn, stored.id, tag.id)?;
        }
        Ok(())
    }

    fn link_category_parents(&mut self, conn: &mut AnyConnection) -> Result<(), ImportError> {
        for (child, parent) in &self.parents {
            if let (Some(child), Some(parent)) =
                (self.categories.get(child), self.categories.get(parent))
            {
                set_category_parent(conn, *child, *parent)?;
            }
        }
        Ok(())
    }

    /// Counts a record left out, and why.
    fn skip(&mut self, reason: &str) -> Result<(), ImportError> {
        *self.summary.skipped.entry(reason.to_owned()).or_default() += 1;
        Ok(())
    }

    /// The site as it was: its title and tagline, where this site still
    /// has the defaults, and its timezone, read from the posts' local and
    /// UTC dates, where this site is still on UTC.
    fn adopt_site(&mut self, conn: &mut AnyConnection, site: &WxrSite) -> Result<(), ImportError> {
        use crate::models::setting::{get_setting, keys, set_setting, SiteSettings};
        let unset = |conn: &mut AnyConnection, key: &str, default: &str| {
            get_setting(conn, key).map(|value| value.is_none_or(|value| value == default))
        };
        let title: String = site
            .title
            .chars()
            .filter(|c| !c.is_control())
            .take(200)
            .collect();
        if !title.trim().is_empty() && unset(conn, keys::SITE_TITLE, SiteSettings::DEFAULT_TITLE)? {
            set_setting(conn, keys::SITE_TITLE, title.trim())?;
            self.summary.site_title = Some(title.trim().to_owned());
        }
        let tagline: String = site
            .description
            .chars()
            .filter(|c| !c.is_control())
            .take(300)
            .collect();
        if !tagline.trim().is_empty() && unset(conn, keys::TAGLINE, SiteSettings::DEFAULT_TAGLINE)?
        {
            set_setting(conn, keys::TAGLINE, tagline.trim())?;
        }
        if let Some(zone) = crate::render::clock::infer_timezone(&self.offsets, &site.language) {
            if unset(conn, keys::TIMEZONE, "UTC")? {
                set_setting(conn, keys::TIMEZONE, zone.name())?;
                self.summary.timezone = Some(zone.name().to_owned());
            }
        }
        let structure = crate::models::post_address::infer_site_structure(conn, &self.addresses)?;
        if let Some(structure) = structure {
            let default = crate::domain::permalink::DAY_AND_NAME;
            if unset(conn, keys::PERMALINK_STRUCTURE, default)? && structure.as_str() != default {
                set_setting(conn, keys::PERMALINK_STRUCTURE, structure.as_str())?;
                self.summary.permalinks = Some(structure.as_str().to_owned());
            }
        }
        self.adopt_bases(conn)?;
        // Every post at the address the site's structure and timezone give
        // it (the old site's own, when they were taken from it).
        // (Categories are nested at the end of the file's reading: addresses
        // that name them are built again too.)
        if self.summary.timezone.is_some() || self.summary.permalinks.is_some() {
            crate::models::post_address::rebuild_addresses(conn, false)?;
        } else {
            crate::models::post_address::follow_category_paths(conn)?;
        }
        Ok(())
    }

    /// The category and tag bases the old site's own links show
    /// (`/topics/neck/` where `neck` is a category), taken where this site
    /// has WordPress's. An export does not say them otherwise.
    fn adopt_bases(&mut self, conn: &mut AnyConnection) -> Result<(), ImportError> {
        use crate::models::setting::{get_setting, keys, set_setting};
        let mut votes: [BTreeMap<String, usize>; 2] = Default::default();
        for path in &self.content_links {
            let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
            let (Some(first), Some(last)) = (segments.first(), segments.last()) else {
                continue;
            };
            if segments.len() < 2 || matches!(*first, "category" | "tag") {
                continue;
            }
            let last = crate::domain::slug::percent_decode(last);
            if self
                .categories
                .keys()
                .any(|slug| crate::domain::slug::percent_decode(slug) == last)
            {
                *votes[0].entry((*first).to_owned()).or_default() += 1;
            } else if segments.len() == 2
                && self
                    .tags
                    .keys()
                    .any(|slug| crate::domain::slug::percent_decode(slug) == last)
            {
                *votes[1].entry((*first).to_owned()).or_default() += 1;
            }
        }
        let chosen = |votes: &BTreeMap<String, usize>| {
            votes
                .iter()
                .max_by_key(|(_, count)| **count)
                .map(|(base, _)| base.clone())
        };
        let (category, tag) = (chosen(&votes[0]), chosen(&votes[1]));
        if category.is_none() && tag.is_none() {
            return Ok(());
        }
        let current = |conn: &mut AnyConnection, key: &str| get_setting(conn, key);
        let category_now = current(conn, keys::CATEGORY_BASE)?.unwrap_or_default();
        let tag_now = current(conn, keys::TAG_BASE)?.unwrap_or_default();
        let keep = |now: &str, default: &str| now.is_empty() || now == default;
        let category = category.filter(|_| keep(&category_now, "category"));
        let tag = tag.filter(|_| keep(&tag_now, "tag"));
        let Ok(bases) = crate::domain::permalink::TermBases::parse(
            category.as_deref().unwrap_or(&category_now),
            tag.as_deref().unwrap_or(&tag_now),
        ) else {
            return Ok(());
        };
        if category.is_some() {
            set_setting(conn, keys::CATEGORY_BASE, bases.category_base())?;
            self.summary.category_base = Some(bases.category_base().to_owned());
        }
        if tag.is_some() {
            set_setting(conn, keys::TAG_BASE, bases.tag_base())?;
            self.summary.tag_base = Some(bases.tag_base().to_owned());
        }
        Ok(())
    }

    fn item(&mut self, conn: &mut AnyConnection, item: &WxrItem) -> Result<(), ImportError> {
        static OLD_LINK: LazyLock<Regex> =
            LazyLock::new(|| Regex::new(r#"href=["']([^"'#?]+)"#).expect("valid pattern"));
        if let Some(origin) = origin_of(&item.link) {
            for found in OLD_LINK.captures_iter(&item.content).take(100) {
                if let Some(path) = found[1].strip_prefix(origin) {
                    if self.content_links.len() < 10_000 {
                        self.content_links.push(path.to_owned());
                    }
                }
            }
        }
        if let (Some(utc), Some(local)) = (parse_wp_date(&item.date_gmt), parse_wp_date(&item.date))
        {
            let offset = local - utc;
            // Whole minutes within a day's width: a date, not a placeholder.
            if offset.abs() <= 14 * 3600 && offset % 60 == 0 && utc > 0 {
                self.offsets.push((utc, offset as i32));
            }
        }
        let post_type = match item.post_type.as_str() {
            "post" | "" => PostType::Post,
            "page" => PostType::Page,
            "attachment" => return self.attachment(conn, item),
            "nav_menu_item" => return self.skip("menu items"),
            _ => return self.skip("other items"),
        };
        let status = match item.status.as_str() {
            "publish" | "future" => PostStatus::Published,
            "private" => PostStatus::Private,
            "trash" => PostStatus::Trash,
            "draft" | "pending" | "auto-draft" => PostStatus::Draft,
            "inherit" => return self.skip("revisions"),
            _ => PostStatus::Draft,
        };
        if item.id <= 0 {
            return self.skip("items without an id");
        }
        let post = match find_post_by_wp_id(conn, item.id)? {
            Some(post) => {
                self.summary.already_there += 1;
                post
            }
            None => {
                let mut category_ids = Vec::new();
                for (slug, name) in &item.categories {
                    let id = match self.categories.get(slug) {
                        Some(id) => *id,
                        None => {
                            let Ok(parsed) = (if slug.is_empty() {
                                Slug::from_text(name)
                            } else {
                                Slug::from_wordpress(slug)
                            }) else {
                                continue;
                            };
                            let (category, created) = category_with_slug(conn, &parsed, name, "")?;
                            if created {
                                self.summary.categories += 1;
                            }
                            self.categories.insert(slug.clone(), category.id);
                            category.id
                        }
                    };
                    category_ids.push(id);
                }
                if !item.creator.is_empty() && !self.authors.contains_key(&item.creator) {
                    self.author(conn, &item.creator.clone(), "", "")?;
                }
                let title = item.title.trim().to_owned();
                let slug = Slug::from_wordpress(&item.slug)
                    .or_else(|_| Slug::from_text(&title))
                    .unwrap_or_else(|_| Slug::fallback("untitled"));
                let rendered = self.render(conn, item)?;
                let imported = ImportedPost {
                    post_type,
                    slug,
                    title,
                    body_source: item.content.clone(),
                    body_html: rendered.html.clone(),
                    excerpt: plain_text(&item.excerpt),
                    sticky: item.sticky,
                    menu_order: item.menu_order,
                    status,
                    published_at: item_date(item),
                    author_id: self.authors.get(&item.creator).copied(),
                    allow_comments: item.comment_status != "closed",
                    wp_id: item.id,
                    category_ids,
                    password: item.password.clone(),
                    post_format: known_post_format(&item.post_format).to_owned(),
                };
                let post = insert_imported_post(conn, &imported)?;
                self.imported_posts.push(post.id);
                if post_type == PostType::Post && status == PostStatus::Published {
                    let local =
                        NaiveDateTime::parse_from_str(item.date.trim(), "%Y-%m-%d %H:%M:%S");
                    if let (Some(path), Ok(local)) = (old_path(&item.link), local) {
                        // `?p=12`: a site on plain permalinks tells nothing.
                        if !path.contains('?') {
                            self.addresses.push((path, post.id, local));
                        }
                    }
                }
                if !rendered.missing_images.is_empty() {
                    self.rerender
                        .push((post.id, origin_of(&item.link).map(str::to_owned)));
                }
                self.post_links(conn, post.id, item)?;
                if post_type == PostType::Page {
                    self.summary.pages += 1;
                } else {
                    self.summary.posts += 1;
                }
                post
            }
        };
        // Old addresses: the short link, and the WordPress permalink when it differs.
        let short = if post_type == PostType::Page {
            format!("/?page_id={}", item.id)
        } else {
            format!("/?p={}", item.id)
        };
        record_redirect(conn, &short, post.id)?;
        if let Some(path) = old_path(&item.link) {
            if path != post.permalink() {
                record_redirect(conn, &path, post.id)?;
            }
            // Its slugs before a rename (`_wp_old_slug`), which WordPress
            // still answered: the same address with the old slug.
            let current = format!("/{}/", crate::domain::slug::percent_decode(&item.slug));
            for (key, old_slug) in &item.meta {
                let old_slug = old_slug.trim();
                if key != "_wp_old_slug" || old_slug.is_empty() || old_slug.contains('/') {
                    continue;
                }
                let old_slug = crate::domain::slug::percent_decode(old_slug);
                if let Some(at) = path.rfind(&current) {
                    let old = format!("{}/{old_slug}/{}", &path[..at], &path[at + current.len()..]);
                    record_redirect(conn, &old, post.id)?;
                }
                // And at ferropress's own form of the address.
                let own =
                    crate::models::post::permalink_of(post_type, "", post.published_at, &old_slug);
                if own != post.permalink() {
                    record_redirect(conn, &own, post.id)?;
                }
            }
        }
        self.comments(conn, post.id, &item.comments)
    }

    /// The item's content as WordPress shows it; unknown shortcodes counted.
    fn render(
        &mut self,
        conn: &mut AnyConnection,
        item: &WxrItem,
    ) -> Result<Rendered, ImportError> {
        let rendered = render_with_library(conn, &item.content, origin_of(&item.link))?;
        for name in &rendered.unknown_shortcodes {
            *self
                .summary
                .unknown_shortcodes
                .entry(name.clone())
                .or_default() += 1;
        }
        Ok(rendered)
    }

    /// A new post's tags, and what is linked once everything is in: its
    /// featured image, its parent page.
    fn post_links(
        &mut self,
        conn: &mut AnyConnection,
        post_id: i64,
        item: &WxrItem,
    ) -> Result<(), ImportError> {
        let mut tag_ids = Vec::new();
        for (slug, name) in &item.tags {
            let id = match self.tags.get(slug) {
                Some(id) => *id,
                None => {
                    let parsed = if slug.is_empty() {
                        Slug::from_text(name)
                    } else {
                        Slug::from_wordpress(slug)
                    };
                    let Ok(parsed) = parsed else { continue };
                    let (tag, created) = tag_with_slug(conn, &parsed, name)?;
                    if created {
                        self.summary.tags += 1;
                    }
                    self.tags.insert(slug.clone(), tag.id);
                    tag.id
                }
            };
            tag_ids.push(id);
        }
        if !tag_ids.is_empty() {
            set_post_tags(conn, post_id, &tag_ids)?;
        }
        if let Some(thumbnail) = item
            .meta("_thumbnail_id")
            .and_then(|id| id.trim().parse().ok())
        {
            self.featured.push((post_id, thumbnail));
        }
        if item.parent > 0 {
            self.page_parents.push((post_id, item.parent));
        }
        Ok(())
    }

    /// An attachment: its file and sizes copied from the uploads folder into
    /// the media store, and a row of the library.
    fn attachment(&mut self, conn: &mut AnyConnection, item: &WxrItem) -> Result<(), ImportError> {
        if item.id <= 0 {
            return self.skip("items without an id");
        }
        if let Some(existing) = find_media_by_wp_id(conn, item.id)? {
            self.summary.already_there += 1;
            return self.fill_in_attachment(conn, &existing, item);
        }
        let stored = item
            .meta("_wp_attached_file")
            .map(str::to_owned)
            .or_else(|| {
                item.attachment_url
                    .split_once("/wp-content/uploads/")
                    .map(|(_, path)| path.to_owned())
            });
        let Some(path) = stored.as_deref().and_then(safe_upload_path) else {
            return self.skip("attachments without a file");
        };
        let metadata = item.meta("_wp_attachment_metadata").unwrap_or_default();
        let (width, height) = image_dimensions(metadata);
        let mut sizes = image_sizes(metadata);
        let folder = path.rsplit_once('/').map_or("", |(folder, _)| folder);
        let mut files = vec![path.clone()];
        files.extend(sizes.iter().map(|size| match folder {
            "" => size.file.clone(),
            folder => format!("{folder}/{}", size.file),
        }));
        // Where the old site served each: the original's address, and its
        // sizes beside it.
        let original_url = item.attachment_url.clone();
        let folder_url = original_url
            .rsplit_once('/')
            .map_or(String::new(), |(folder, _)| folder.to_owned());
        let mut byte_size = 0;
        for (index, file) in files.iter().enumerate() {
            let url = match index {
                0 => original_url.clone(),
                _ => format!("{folder_url}/{}", file.rsplit('/').next().unwrap_or(file)),
            };
            match self.copy_upload(file, &url) {
                Some(bytes) if index == 0 => byte_size = bytes,
                Some(_) => {}
                None => self.summary.missing_files.push(file.clone()),
            }
        }
        // The upload a `-scaled` copy was made from: in the library too, its
        // width read from the file (the metadata does not say it).
        if let Some(name) = original_image(metadata) {
            let file = match folder {
                "" => name.clone(),
                folder => format!("{folder}/{name}"),
            };
            let url = format!("{folder_url}/{name}");
            let mut dimensions = None;
            let copied = self.copy_upload_inspecting(&file, &url, &mut |bytes| {
                dimensions = header_dimensions(bytes);
            });
            match (copied, dimensions) {
                (Some(_), Some((width, height))) => sizes.push(MediaSize {
                    file: name,
                    width,
                    height,
                }),
                (Some(_), None) => {}
                (None, _) => self.summary.missing_files.push(file),
            }
        }
        let mime = mime_guess::from_path(&path)
            .first_or_octet_stream()
            .essence_str()
            .to_owned();
        let media = insert_media(
            conn,
            &NewMedia {
                path,
                mime,
                width,
                height,
                byte_size,
                title: item.title.trim().to_owned(),
                alt: item
                    .meta("_wp_attachment_image_alt")
                    .unwrap_or_default()
                    .trim()
                    .to_owned(),
                caption: plain_text(&item.excerpt),
                sizes,
                post_id: None,
                wp_id: Some(item.id),
                wp_path: old_path(&item.link),
            },
        )?;
        if item.parent > 0 {
            self.media_parents.push((media.id, item.parent));
        }
        self.summary.media += 1;
        Ok(())
    }

    /// An attachment imported before: the files it names that the media
    /// store still lacks (a first run given the wrong folder, or none) are
    /// looked for again now, and its sizes (the `-scaled` picture's
    /// original among them) brought up to date. Nothing else changes.
    fn fill_in_attachment(
        &mut self,
        conn: &mut AnyConnection,
        existing: &crate::models::media::Media,
        item: &WxrItem,
    ) -> Result<(), ImportError> {
        if self.files.uploads.is_none() && !self.files.fetch {
            return Ok(());
        }
        let metadata = item.meta("_wp_attachment_metadata").unwrap_or_default();
        let mut sizes = image_sizes(metadata);
        let path = existing.path.clone();
        let folder = path.rsplit_once('/').map_or("", |(folder, _)| folder);
        let in_folder = |name: &str| match folder {
            "" => name.to_owned(),
            folder => format!("{folder}/{name}"),
        };
        let folder_url = item
            .attachment_url
            .rsplit_once('/')
            .map_or(String::new(), |(folder, _)| folder.to_owned());
        let mut wanted: Vec<(String, String)> = vec![(path.clone(), item.attachment_url.clone())];
        wanted.extend(
            sizes
                .iter()
                .map(|size| (in_folder(&size.file), format!("{folder_url}/{}", size.file))),
        );
        let original = original_image(metadata);
        let mut byte_size = existing.byte_size;
        let mut added = 0;
        for (index, (file, url)) in wanted.iter().enumerate() {
            if self.files.store.exists_blocking(file).unwrap_or(false) {
                continue;
            }
            match self.copy_upload(file, url) {
                Some(bytes) => {
                    added += 1;
                    if index == 0 {
                        byte_size = bytes;
                    }
                }
                None => self.summary.missing_files.push(file.clone()),
            }
        }
        if let Some(name) = original {
            let file = in_folder(&name);
            let mut dimensions = None;
            if self.files.store.exists_blocking(&file).unwrap_or(false) {
                if let Ok(Some(bytes)) = self.files.store.read_blocking(&file) {
                    dimensions = header_dimensions(&bytes);
                }
            } else {
                let url = format!("{folder_url}/{name}");
                match self.copy_upload_inspecting(&file, &url, &mut |bytes| {
                    dimensions = header_dimensions(bytes);
                }) {
                    Some(_) => added += 1,
                    None => self.summary.missing_files.push(file.clone()),
                }
            }
            if let Some((width, height)) = dimensions {
                sizes.push(MediaSize {
                    file: name,
                    width,
                    height,
                });
            }
        }
        if added > 0 {
            crate::models::media::set_media_files(conn, existing.id, byte_size, &sizes)?;
            self.summary.files_added += added;
        }
        Ok(())
    }

    /// Copies `uploads/PATH` into the media store (or, with `fetch`, takes
    /// it from `url`); its size, or `None` when it is nowhere to be had.
    fn copy_upload(&mut self, path: &str, url: &str) -> Option<i64> {
        self.copy_upload_inspecting(path, url, &mut |_| {})
    }

    /// As `copy_upload`, with `inspect` shown the bytes before they are stored.
    fn copy_upload_inspecting(
        &mut self,
        path: &str,
        url: &str,
        inspect: &mut dyn FnMut(&[u8]),
    ) -> Option<i64> {
        let copied = self
            .files
            .uploads
            .as_ref()
            .and_then(|uploads| std::fs::read(uploads.join(path)).ok());
        let (bytes, fetched) = match copied {
            Some(bytes) => (bytes, false),
            None if self.files.fetch => (fetch(url)?, true),
            None => return None,
        };
        inspect(&bytes);
        let size = i64::try_from(bytes.len()).ok()?;
        if let Err(error) = self.files.store.put_blocking(path, bytes) {
            tracing::warn!(%error, path, "an imported file could not be stored");
            return None;
        }
        if fetched {
            self.summary.fetched_files += 1;
        }
        Some(size)
    }

    /// What needs everything in: featured images, page parents (and so the
    /// child pages' addresses), attachments' posts, and galleries that named
    /// images which came later in the file.
    fn link_the_rest(&mut self, conn: &mut AnyConnection) -> Result<(), ImportError> {
        for (post_id, thumbnail) in std::mem::take(&mut self.featured) {
            if let Some(media) = find_media_by_wp_id(conn, thumbnail)? {
                set_featured_media(conn, post_id, Some(media.id))?;
            }
        }
        for (media_id, parent) in std::mem::take(&mut self.media_parents) {
            if let Some(post) = find_post_by_wp_id(conn, parent)? {
                set_media_post(conn, media_id, post.id)?;
            }
        }
        let page_parents = std::mem::take(&mut self.page_parents);
        for (post_id, parent) in &page_parents {
            if let Some(parent) = find_post_by_wp_id(conn, *parent)? {
                if parent.id != *post_id {
                    set_post_parent(conn, *post_id, Some(parent.id))?;
                }
            }
        }
        for (post_id, _) in &page_parents {
            refresh_page_path(conn, *post_id)?;
        }
        // Content imported before the files it shows.
        for post_id in std::mem::take(&mut self.imported_posts) {
            if let Some(post) = find_post(conn, post_id)? {
                record_media_uses(conn, post_id, &post.body_html)?;
            }
        }
        for (post_id, origin) in std::mem::take(&mut self.rerender) {
            let Some(post) = find_post(conn, post_id)? else {
                continue;
            };
            let rendered = render_with_library(conn, &post.body_source, origin.as_deref())?;
            set_body_html(conn, post_id, &rendered.html)?;
        }
        Ok(())
    }

    fn comments(
        &mut self,
        conn: &mut AnyConnection,
        post_id: i64,
        comments: &[WxrComment],
    ) -> Result<(), ImportError> {
        // Comments already here from an earlier run, found in one query.
        let mut ids: HashMap<i64, i64> = wp_ids_of_post(conn, post_id)?.into_iter().collect();
        let mut parents = Vec::new();
        let mut batch = Vec::with_capacity(comments.len());
        let mut queued = std::collections::HashSet::new();
        for comment in comments {
            if comment.id <= 0 {
                self.skip("comments without an id")?;
                continue;
            }
            match comment.comment_type.as_str() {
                "" | "comment" | "pingback" | "trackback" => {}
                _ => {
                    self.skip("other comment types")?;
                    continue;
                }
            }
            if ids.contains_key(&comment.id) {
                self.summary.already_there += 1;
                continue;
            }
            if !queued.insert(comment.id) {
                self.skip("duplicate comments")?;
                continue;
            }
            // WordPress's `comment_approved` spellings.
            let status = match comment.approved.as_str() {
                "1" | "approve" | "approved" => CommentStatus::Approved,
                "spam" => CommentStatus::Spam,
                "trash" | "post-trashed" => CommentStatus::Trash,
                _ => CommentStatus::Pending,
            };
            let email = EmailAddress::parse(&comment.author_email)
                .map(|email| email.as_str().to_owned())
                .unwrap_or_default();
            let url = crate::domain::comment::AuthorUrl::parse(&comment.author_url)
                .map(|url| url.as_str().to_owned())
                .unwrap_or_default();
            let author: String = comment
                .author
                .chars()
                .map(|c| if c.is_control() { ' ' } else { c })
                .take(200)
                .collect();
            let created_at = parse_wp_date(&comment.date_gmt)
                .or_else(|| parse_wp_date(&comment.date))
                .unwrap_or_else(now);
            let imported = ImportedComment {
                id: 0,
                post_id,
                parent_id: None,
                author_name: if author.trim().is_empty() {
                    "Anonymous".to_owned()
                } else {
                    author.trim().to_owned()
                },
                author_email: email,
                author_url: url,
                author_ip: comment.author_ip.trim().chars().take(45).collect(),
                body_source: comment.content.clone(),
                body_html: sanitize_imported_comment(&comment.content),
                status,
                status_before_trash: (status == CommentStatus::Trash)
                    .then_some(CommentStatus::Pending),
                wp_id: comment.id,
                created_at,
                updated_at: created_at,
                comment_type: match comment.comment_type.as_str() {
                    "pingback" | "trackback" => comment.comment_type.clone(),
                    _ => "comment".to_owned(),
                },
            };
            parents.push(comment.parent);
            batch.push(imported);
        }
        // Ids first, so that each reply names its parent as it goes in
        // (a reply may come before its parent in the file).
        let wp_ids: Vec<i64> = batch.iter().map(|imported| imported.wp_id).collect();
        let claimed = claim_comment_ids(conn, &wp_ids)?;
        for (imported, id) in batch.iter_mut().zip(claimed) {
            imported.id = id;
            ids.insert(imported.wp_id, id);
        }
        for (imported, parent_wp_id) in batch.iter_mut().zip(parents) {
            if parent_wp_id <= 0 {
                continue;
            }
            imported.parent_id = match ids.get(&parent_wp_id) {
                Some(parent) => Some(*parent),
                None => comment_id_by_wp_id(conn, parent_wp_id)?,
            };
        }
        insert_imported_comments(conn, &batch)?;
        self.summary.comments += batch.len();
        recount_approved(conn, post_id)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_read_well() {
        let mut summary = ImportSummary {
            categories: 12,
            posts: 340,
            comments: 5120,
            ..ImportSummary::default()
        };
        summary.skipped.insert("menu items".into(), 2);
        summary.skipped.insert("revisions".into(), 1);
        summary.missing_files.push("2023/03/x.jpg".into());
        summary
            .unknown_shortcodes
            .insert("contact-form-7".into(), 2);
        assert_eq!(
            summary.to_string(),
            "12 categories, 0 tags, 0 authors, 340 posts, 0 pages, 0 media files, 5,120 comments imported; \
             1 file not found in the uploads folder (2023/03/x.jpg); \
             shortcodes left as text: [contact-form-7] ×2; 3 skipped: 2 menu items, 1 revisions"
        );
    }

    #[test]
    fn attachment_files_stay_inside_the_uploads_folder() {
        assert_eq!(
            safe_upload_path("2023/03/x.jpg").as_deref(),
            Some("2023/03/x.jpg")
        );
        // A leading slash is read below the folder, never at the root.
        assert_eq!(
            safe_upload_path("/etc/passwd").as_deref(),
            Some("etc/passwd")
        );
        for outside in [
            "../x.jpg",
            "2023/../../x.jpg",
            "2023//x.jpg",
            "a\\b.jpg",
            "",
        ] {
            assert_eq!(safe_upload_path(outside), None, "{outside}");
        }
        let metadata = r#"s:4:"file";s:2:"..";s:5:"width";i:1;s:6:"height";i:1;s:4:"file";s:9:"x-1x1.jpg";s:5:"width";i:1;s:6:"height";i:1;"#;
        let files: Vec<String> = image_sizes(metadata)
            .into_iter()
            .map(|size| size.file)
            .collect();
        assert_eq!(files, ["x-1x1.jpg"]);
    }

    #[test]
    fn old_paths_keep_path_and_query() {
        assert_eq!(
            old_path("http://blog.example/2022/03/14/x/").as_deref(),
            Some("/2022/03/14/x/")
        );
        assert_eq!(
            old_path("http://127.0.0.1:8081/?page_id=3").as_deref(),
            Some("/?page_id=3")
        );
        assert_eq!(old_path("http://blog.example/"), None);
        assert_eq!(parse_wp_date("0000-00-00 00:00:00"), None);
        assert_eq!(parse_wp_date("2022-03-14 10:00:00"), Some(1_647_252_000));
    }
}
