//! `/admin/media`: the library — every file, its size and kind, and the
//! posts that show it.

use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{admin_page, AdminLayout};
use crate::error::PageError;
use crate::models::media::{media_page, uses_of_media, Media};
use crate::routes::staff::Staff;
use crate::state::AppState;

const PAGE_SIZE: i64 = 40;

struct Row {
    media: Media,
    /// The smallest size, for the list's picture.
    thumbnail: String,
    /// (post id, title) of the posts that show it.
    used_on: Vec<(i64, String)>,
}

#[derive(Template)]
#[template(path = "admin/media.html")]
struct MediaPage {
    layout: AdminLayout,
    rows: Vec<Row>,
    next_page: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    before: Option<i64>,
}

/// "1.2 MB", "340 KB".
pub fn human_size(bytes: i64) -> String {
    if bytes < 1_000 {
        format!("{bytes} B")
    } else if bytes < 1_000_000 {
        format!("{} KB", bytes / 1_000)
    } else {
        format!("{:.1} MB", bytes as f64 / 1_000_000.0)
    }
}

pub async fn list(
    state: web::Data<AppState>,
    staff: Staff,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let before = query.before;
    let (rows, has_more) = state
        .db(move |conn| {
            let (files, has_more) = media_page(conn, before, PAGE_SIZE)?;
            let mut rows = Vec::with_capacity(files.len());
            for media in files {
                let used_on = uses_of_media(conn, &media)?;
                let thumbnail = media
                    .sizes()
                    .first()
                    .map(|size| media.size_url(size))
                    .unwrap_or_else(|| media.url());
                rows.push(Row {
                    media,
                    thumbnail,
                    used_on,
                });
            }
            Ok((rows, has_more))
        })
        .await?;
    let next_page = match (has_more, rows.last()) {
        (true, Some(last)) => Some(format!("/admin/media?before={}", last.media.id)),
        _ => None,
    };
    let layout = AdminLayout::new(&state, &staff, "Media Library", "Media").await?;
    admin_page(&MediaPage {
        layout,
        rows,
        next_page,
    })
}
