//! The media library: files under the uploads folder, at WordPress's paths
//! (`2023/03/x-ray.jpg`), with the smaller sizes made of each image.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use diesel::prelude::*;
use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::db::schema::media;
use crate::db::AnyConnection;

/// One smaller copy of an image: its file beside the original.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaSize {
    pub file: String,
    pub width: i64,
    pub height: i64,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = media)]
pub struct Media {
    pub id: i64,
    /// Below the uploads folder: `2023/03/x-ray.jpg`.
    pub path: String,
    pub mime: String,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub byte_size: i64,
    pub title: String,
    pub alt: String,
    pub caption: String,
    /// JSON list of `MediaSize`.
    pub sizes: String,
    pub post_id: Option<i64>,
    pub wp_id: Option<i64>,
    pub created_at: i64,
    pub wp_path: Option<String>,
}

impl Media {
    /// Where readers fetch it: `/wp-content/uploads/2023/03/x-ray.jpg`.
    pub fn url(&self) -> String {
        format!("{UPLOADS_PREFIX}{}", self.path)
    }

    /// The smaller copies, smallest first.
    pub fn sizes(&self) -> Vec<MediaSize> {
        let mut sizes: Vec<MediaSize> = serde_json::from_str(&self.sizes).unwrap_or_default();
        sizes.sort_by_key(|size| (size.width, size.height));
        sizes
    }

    /// The address of a smaller copy.
    pub fn size_url(&self, size: &MediaSize) -> String {
        match self.path.rsplit_once('/') {
            Some((folder, _)) => format!("{UPLOADS_PREFIX}{folder}/{}", size.file),
            None => format!("{UPLOADS_PREFIX}{}", size.file),
        }
    }

    /// `srcset` for an `<img>`: every size and the original, by width.
    pub fn srcset(&self) -> String {
        let mut candidates: Vec<String> = self
            .sizes()
            .iter()
            // Only the same picture smaller: a crop (the square thumbnail of
            // an oblong image) is another picture.
            .filter(|size| self.same_shape(size))
            .map(|size| format!("{} {}w", self.size_url(size), size.width))
            .collect();
        if let Some(width) = self.width {
            candidates.push(format!("{} {width}w", self.url()));
        }
        candidates.join(", ")
    }

    /// Whether a size has the original's proportions (to within rounding).
    fn same_shape(&self, size: &MediaSize) -> bool {
        match (self.width, self.height) {
            (Some(width), Some(height)) if width > 0 && height > 0 => {
                (size.width * height - size.height * width).abs() <= width.max(height)
            }
            _ => false,
        }
    }

    /// How a listing shows it: the 768-wide size (or the nearest), with
    /// the others in `srcset`.
    pub fn thumbnail(&self) -> Option<crate::render::layout::Thumbnail> {
        if !self.is_image() {
            return None;
        }
        let sizes = self.sizes();
        let fitting = sizes
            .iter()
            .filter(|size| self.same_shape(size))
            .min_by_key(|size| (size.width - 768).abs());
        let (src, width, height) = match fitting {
            Some(size) => (self.size_url(size), size.width, size.height),
            None => (self.url(), self.width?, self.height?),
        };
        Some(crate::render::layout::Thumbnail {
            src,
            width,
            height,
            srcset: self.srcset(),
            alt: self.alt.clone(),
        })
    }

    pub fn is_image(&self) -> bool {
        self.mime.starts_with("image/")
    }
}

/// The path prefix WordPress serves uploads under, kept so that imported
/// content works unchanged.
pub const UPLOADS_PREFIX: &str = "/wp-content/uploads/";

/// A file as it is stored.
#[derive(Debug, Clone)]
pub struct NewMedia {
    pub path: String,
    pub mime: String,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub byte_size: i64,
    pub title: String,
    pub alt: String,
    pub caption: String,
    pub sizes: Vec<MediaSize>,
    pub post_id: Option<i64>,
    pub wp_id: Option<i64>,
    /// The attachment page it had in WordPress.
    pub wp_path: Option<String>,
}

pub fn insert_media(conn: &mut AnyConnection, new: &NewMedia) -> QueryResult<Media> {
    // Smallest first, whatever order they came in.
    let mut sizes = new.sizes.clone();
    sizes.sort_by_key(|size| (size.width, size.height));
    let sizes = serde_json::to_string(&sizes).unwrap_or_else(|_| "[]".to_owned());
    diesel::insert_into(media::table)
        .values((
            media::path.eq(&new.path),
            media::mime.eq(&new.mime),
            media::width.eq(new.width),
            media::height.eq(new.height),
            media::byte_size.eq(new.byte_size),
            media::title.eq(&new.title),
            media::alt.eq(&new.alt),
            media::caption.eq(&new.caption),
            media::sizes.eq(sizes),
            media::post_id.eq(new.post_id),
            media::wp_id.eq(new.wp_id),
            media::wp_path.eq(&new.wp_path),
            media::created_at.eq(crate::models::now()),
        ))
        .execute(conn)?;
    find_media_by_path(conn, &new.path)?.ok_or(diesel::result::Error::NotFound)
}

pub fn find_media_by_path(conn: &mut AnyConnection, path: &str) -> QueryResult<Option<Media>> {
    media::table
        .filter(media::path.eq(path))
        .select(Media::as_select())
        .first(conn)
        .optional()
}

pub fn find_media_by_wp_id(conn: &mut AnyConnection, wp_id: i64) -> QueryResult<Option<Media>> {
    media::table
        .filter(media::wp_id.eq(wp_id))
        .select(Media::as_select())
        .first(conn)
        .optional()
}

/// The file whose WordPress attachment page was at `path`.
pub fn find_media_by_wp_path(conn: &mut AnyConnection, path: &str) -> QueryResult<Option<Media>> {
    media::table
        .filter(media::wp_path.eq(path))
        .select(Media::as_select())
        .first(conn)
        .optional()
}

pub fn find_media(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<Media>> {
    media::table
        .find(id)
        .select(Media::as_select())
        .first(conn)
        .optional()
}

/// Several by id (a gallery's images), in no particular order.
pub fn media_by_ids(conn: &mut AnyConnection, ids: &[i64]) -> QueryResult<Vec<Media>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    media::table
        .filter(media::id.eq_any(ids.to_vec()))
        .select(Media::as_select())
        .load(conn)
}

/// Several by WordPress id (a gallery in imported content names those).
pub fn media_by_wp_ids(conn: &mut AnyConnection, wp_ids: &[i64]) -> QueryResult<Vec<Media>> {
    if wp_ids.is_empty() {
        return Ok(Vec::new());
    }
    media::table
        .filter(media::wp_id.eq_any(wp_ids.to_vec()))
        .select(Media::as_select())
        .load(conn)
}

/// The library, oldest id first, a batch at a time (the exporter).
pub fn all_media_after(
    conn: &mut AnyConnection,
    after_id: i64,
    limit: i64,
) -> QueryResult<Vec<Media>> {
    media::table
        .filter(media::id.gt(after_id))
        .order(media::id.asc())
        .limit(limit)
        .select(Media::as_select())
        .load(conn)
}

/// The largest WordPress id an imported file kept (0 for none).
pub fn largest_media_wp_id(conn: &mut AnyConnection) -> QueryResult<i64> {
    use diesel::dsl::max;
    Ok(media::table
        .select(max(media::wp_id))
        .first::<Option<i64>>(conn)?
        .unwrap_or(0))
}

pub fn set_media_post(conn: &mut AnyConnection, media_id: i64, post_id: i64) -> QueryResult<()> {
    diesel::update(media::table.find(media_id))
        .set(media::post_id.eq(post_id))
        .execute(conn)?;
    Ok(())
}

/// One page of the library, newest first (keyset by id), and whether an
/// older page exists.
pub fn media_page(
    conn: &mut AnyConnection,
    before_id: Option<i64>,
    limit: i64,
) -> QueryResult<(Vec<Media>, bool)> {
    let mut query = media::table
        .order(media::id.desc())
        .limit(limit + 1)
        .select(Media::as_select())
        .into_boxed();
    if let Some(before_id) = before_id {
        query = query.filter(media::id.lt(before_id));
    }
    let mut rows = query.load(conn)?;
    let has_more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    Ok((rows, has_more))
}

/// The posts and pages that show a file: as their featured image, or in
/// their content — (title, edit id) pairs.
pub fn uses_of_media(conn: &mut AnyConnection, media: &Media) -> QueryResult<Vec<(i64, String)>> {
    use crate::db::schema::{media_uses, posts};
    posts::table
        .filter(
            posts::featured_media_id.eq(media.id).or(posts::id.eq_any(
                media_uses::table
                    .filter(media_uses::media_id.eq(media.id))
                    .select(media_uses::post_id),
            )),
        )
        .order(posts::id.desc())
        .limit(20)
        .select((posts::id, posts::title))
        .load(conn)
}

/// The library paths a post's HTML names (`…/wp-content/uploads/PATH` in
/// an attribute), percent-decoded.
pub fn uploads_named_in(html: &str) -> BTreeSet<String> {
    static UPLOAD: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r#"/wp-content/uploads/([^"'\s,?#<>]+)"#).expect("valid pattern")
    });
    UPLOAD
        .captures_iter(html)
        .map(|found| crate::domain::slug::percent_decode(&found[1]))
        .collect()
}

/// The originals a named file may be: itself, or, for a size such as
/// `name-300x200.jpg`, `name.jpg` (a GIF's sizes are PNGs).
fn originals_of(path: &str) -> Vec<String> {
    static SIZE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(?P<stem>.+)-[0-9]+x[0-9]+\.(?P<extension>[A-Za-z0-9]+)$")
            .expect("valid pattern")
    });
    let mut originals = vec![path.to_owned()];
    if let Some(size) = SIZE.captures(path) {
        let (stem, extension) = (&size["stem"], &size["extension"]);
        originals.push(format!("{stem}.{extension}"));
        if extension.eq_ignore_ascii_case("png") {
            originals.push(format!("{stem}.gif"));
        }
    }
    originals
}

/// Records which library files a post shows, from the HTML it now has (in
/// the transaction that saves it).
pub fn record_media_uses(conn: &mut AnyConnection, post_id: i64, html: &str) -> QueryResult<()> {
    use crate::db::schema::media_uses;
    diesel::delete(media_uses::table.filter(media_uses::post_id.eq(post_id))).execute(conn)?;
    let candidates: Vec<String> = uploads_named_in(html)
        .iter()
        .flat_map(|path| originals_of(path))
        .collect();
    if candidates.is_empty() {
        return Ok(());
    }
    let shown: BTreeSet<i64> = candidates
        .chunks(500)
        .map(|chunk| {
            media::table
                .filter(media::path.eq_any(chunk))
                .select(media::id)
                .load::<i64>(conn)
        })
        .collect::<QueryResult<Vec<_>>>()?
        .into_iter()
        .flatten()
        .collect();
    for media_id in shown {
        diesel::insert_into(media_uses::table)
            .values((
                media_uses::media_id.eq(media_id),
                media_uses::post_id.eq(post_id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The newest pictures of the library (the editor's featured-image choice).
pub fn recent_images(conn: &mut AnyConnection, limit: i64) -> QueryResult<Vec<(i64, String)>> {
    media::table
        .filter(media::mime.like("image/%"))
        .order(media::id.desc())
        .limit(limit)
        .select((media::id, media::path))
        .load(conn)
}

/// A library file's size in bytes and its smaller copies, as a later
/// import found them (the files were missing the first time).
pub fn set_media_files(
    conn: &mut AnyConnection,
    media_id: i64,
    byte_size: i64,
    sizes: &[MediaSize],
) -> QueryResult<()> {
    let mut sizes = sizes.to_vec();
    sizes.sort_by_key(|size| (size.width, size.height));
    let sizes = serde_json::to_string(&sizes).unwrap_or_else(|_| "[]".to_owned());
    diesel::update(media::table.find(media_id))
        .set((media::byte_size.eq(byte_size), media::sizes.eq(sizes)))
        .execute(conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_files_a_post_shows_are_read_off_its_html() {
        let html = r#"<p><img src="/wp-content/uploads/2023/03/x-ray-300x200.jpg" srcset="/wp-content/uploads/2023/03/x-ray-300x200.jpg 300w, http://old.example/wp-content/uploads/2023/03/x-ray.jpg 1200w"></p>
            <a href="/wp-content/uploads/2024/01/%E7%9D%A1%E7%9C%A0.png?ver=2">sleep</a> /wp-content/uploads/ alone"#;
        let named: Vec<String> = uploads_named_in(html).into_iter().collect();
        assert_eq!(
            named,
            [
                "2023/03/x-ray-300x200.jpg",
                "2023/03/x-ray.jpg",
                "2024/01/睡眠.png"
            ]
        );
    }

    #[test]
    fn a_size_leads_to_its_original() {
        assert_eq!(
            originals_of("2023/03/x-ray-300x200.jpg"),
            ["2023/03/x-ray-300x200.jpg", "2023/03/x-ray.jpg"]
        );
        assert_eq!(
            originals_of("2023/03/spin-150x150.png"),
            [
                "2023/03/spin-150x150.png",
                "2023/03/spin.png",
                "2023/03/spin.gif"
            ]
        );
        assert_eq!(originals_of("2023/03/chart.png"), ["2023/03/chart.png"]);
    }
}
