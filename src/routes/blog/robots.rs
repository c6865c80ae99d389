use actix_web::http::header;
use actix_web::{web, HttpResponse};

use crate::state::AppState;

/// Everything public may be crawled; the admin panel may not. The sitemap
/// is named with its absolute URL.
pub async fn robots_txt(state: web::Data<AppState>) -> HttpResponse {
    crate::page_cache::Shows::nothing().on(HttpResponse::Ok()
        .content_type("text/plain; charset=utf-8")
        .insert_header((header::CACHE_CONTROL, "public, max-age=3600"))
        .body(format!(
            "User-agent: *\nDisallow: /admin/\n\nSitemap: {}\n",
            state.config.absolute_url("/sitemap.xml")
        )))
}
