use actix_web::http::header;
use actix_web::{web, HttpResponse};

use crate::error::PageError;
use crate::render::assets::STYLESHEET;

/// `/static/style.<hash>.css`: immutable, so cached for a year. Any other
/// hash is a 404, never stale CSS under a new name.
pub async fn stylesheet(file: web::Path<String>) -> Result<HttpResponse, PageError> {
    if format!("/static/{}", file.as_str()) != STYLESHEET.path {
        return Err(PageError::NotFound);
    }
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/css; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(STYLESHEET.body))
}
