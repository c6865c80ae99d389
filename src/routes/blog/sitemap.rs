//! `/sitemap.xml`: the front page, every published post and every category
//! with posts, each with its last change.

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use quick_xml::escape::escape;

use crate::error::PageError;
use crate::models::category::{all_categories, post_counts};
use crate::models::post::public_post_stamps;
use crate::render::text::{iso_date, permalink_path};
use crate::state::AppState;

/// The sitemap protocol's limit per file.
const MAX_URLS: usize = 50_000;

fn url_entry(xml: &mut String, location: &str, last_modified: i64) {
    xml.push_str("<url><loc>");
    xml.push_str(&escape(location));
    xml.push_str("</loc><lastmod>");
    xml.push_str(&iso_date(last_modified));
    xml.push_str("</lastmod></url>\n");
}

pub async fn sitemap(state: web::Data<AppState>) -> Result<HttpResponse, PageError> {
    let (posts, categories) = state
        .db(|conn| {
            let mut posts = Vec::new();
            let mut after = 0;
            loop {
                let batch = public_post_stamps(conn, after, 5_000)?;
                let Some(last) = batch.last() else { break };
                after = last.0;
                posts.extend(batch);
                if posts.len() >= MAX_URLS {
                    break;
                }
            }
            let counts = post_counts(conn)?;
            let categories: Vec<_> = all_categories(conn)?
                .into_iter()
                .filter(|category| {
                    counts
                        .iter()
                        .any(|(id, count)| *id == category.id && *count > 0)
                })
                .collect();
            Ok((posts, categories))
        })
        .await?;
    let newest = posts
        .iter()
        .map(|(_, _, _, updated)| *updated)
        .max()
        .unwrap_or_else(crate::models::now);
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    url_entry(&mut xml, &state.config.absolute_url("/"), newest);
    for (_, slug, published_at, updated_at) in posts
        .iter()
        .take(MAX_URLS - 1 - categories.len().min(MAX_URLS / 2))
    {
        url_entry(
            &mut xml,
            &state
                .config
                .absolute_url(&permalink_path(*published_at, slug)),
            *updated_at,
        );
    }
    for category in &categories {
        url_entry(
            &mut xml,
            &state.config.absolute_url(&category.path()),
            newest,
        );
    }
    xml.push_str("</urlset>\n");
    Ok(crate::page_cache::Shows::nothing().on(HttpResponse::Ok()
        .content_type("application/xml; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=300"))
        .body(xml)))
}
