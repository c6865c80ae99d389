//! The sitemaps, split as WordPress splits them (`wp-sitemap.xml`): an index
//! at `/sitemap.xml` (and `/wp-sitemap.xml`) naming the pages of posts — 2,000
//! each, the front page first — and of categories with posts. Each file
//! costs the same however large the site grows.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use quick_xml::escape::escape;

use crate::error::PageError;
use crate::models::category::{all_categories, post_counts};
use crate::models::post::{count_public_posts, public_post_stamps_page};
use crate::render::text::iso_date;
use crate::state::AppState;

/// Addresses per sitemap file (WordPress's number; the protocol allows 50,000).
pub const PER_FILE: i64 = 2_000;

const URLSET: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n";

fn url_entry(xml: &mut String, location: &str, last_modified: Option<i64>) {
    xml.push_str("<url><loc>");
    xml.push_str(&escape(location));
    xml.push_str("</loc>");
    if let Some(at) = last_modified {
        xml.push_str("<lastmod>");
        xml.push_str(&iso_date(at));
        xml.push_str("</lastmod>");
    }
    xml.push_str("</url>\n");
}

fn xml_response(xml: String) -> HttpResponse {
    crate::page_cache::Shows::nothing().on(HttpResponse::Ok()
        .content_type("application/xml; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(xml))
}

/// How many files of posts: at least one (it holds the front page).
fn post_files(posts: i64) -> i64 {
    ((posts + PER_FILE - 1) / PER_FILE).max(1)
}

/// `/sitemap.xml`: the index of the sitemap files.
pub async fn sitemap(state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let posts = state.db(count_public_posts).await?;
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<sitemapindex xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    let files = (1..=post_files(posts))
        .map(|page| format!("/sitemap-posts-{page}.xml"))
        .chain(std::iter::once("/sitemap-categories-1.xml".to_owned()));
    for path in files {
        xml.push_str("<sitemap><loc>");
        xml.push_str(&escape(state.config.absolute_url(&path)));
        xml.push_str("</loc></sitemap>\n");
    }
    xml.push_str("</sitemapindex>\n");
    Ok(xml_response(xml))
}

/// The page number in `sitemap-posts-{page}.xml` (and WordPress's
/// `wp-sitemap-posts-post-{page}.xml`).
fn page_number(text: &str) -> Result<i64, PageError> {
    text.parse::<i64>()
        .ok()
        .filter(|page| (1..=1_000_000).contains(page))
        .ok_or(PageError::NotFound)
}

/// A file of posts, oldest first; the first also names the front page.
pub async fn posts(
    state: web::Data<AppState>,
    page: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let page = page_number(&page)?;
    let stamps = state
        .db(move |conn| {
            let mut stamps = public_post_stamps_page(conn, page, PER_FILE)?;
            let protected = crate::models::post::protected_post_ids(conn)?;
            stamps.retain(|(id, ..)| !protected.contains(id));
            Ok(stamps)
        })
        .await?;
    if stamps.is_empty() && page > 1 {
        return Err(PageError::NotFound);
    }
    let mut xml = String::from(URLSET);
    if page == 1 {
        url_entry(&mut xml, &state.config.absolute_url("/"), None);
    }
    for (_, path, _, updated_at) in &stamps {
        url_entry(
            &mut xml,
            &state.config.absolute_url(path),
            Some(*updated_at),
        );
    }
    xml.push_str("</urlset>\n");
    Ok(xml_response(xml))
}

/// The categories with published posts (one file: a site has far fewer
/// than 2,000 categories; more are left out).
pub async fn categories(
    state: web::Data<AppState>,
    page: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    if page_number(&page)? != 1 {
        return Err(PageError::NotFound);
    }
    let categories = state
        .db(|conn| {
            let counts = post_counts(conn)?;
            Ok(all_categories(conn)?
                .into_iter()
                .filter(|category| {
                    counts
                        .iter()
                        .any(|(id, count)| *id == category.id && *count > 0)
                })
                .take(PER_FILE as usize)
                .collect::<Vec<_>>())
        })
        .await?;
    let mut xml = String::from(URLSET);
    for category in &categories {
        url_entry(
            &mut xml,
            &state
                .config
                .absolute_url(&category.path(&state.site().bases)),
            None,
        );
    }
    xml.push_str("</urlset>\n");
    Ok(xml_response(xml))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn posts_fill_files_of_two_thousand_and_there_is_always_one() {
        assert_eq!(post_files(0), 1);
        assert_eq!(post_files(2_000), 1);
        assert_eq!(post_files(2_001), 2);
        assert_eq!(post_files(10_000), 5);
        assert!(
            page_number("0").is_err() && page_number("x").is_err() && page_number("-1").is_err()
        );
        assert_eq!(page_number("3").ok(), Some(3));
    }
}
