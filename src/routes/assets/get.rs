use actix_web::http::header;
use actix_web::{web, HttpResponse};

use crate::error::PageError;
use crate::render::assets::find_asset;
use crate::render::identicon::{identicon_svg, is_avatar_key};

/// `/static/NAME.<hash>.EXT`: immutable, so cached for a year. Any other
/// hash is a 404, never stale content under a new name.
pub async fn asset(file: web::Path<String>) -> Result<HttpResponse, PageError> {
    let asset = find_asset(&format!("/static/{}", file.as_str())).ok_or(PageError::NotFound)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, asset.content_type))
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(asset.body))
}

/// `/avatar/KEY.svg`: the identicon drawn from a keyed hash. A key always
/// draws the same picture, so it is cached for a year; anything that is not
/// a key is a 404.
pub async fn avatar(file: web::Path<String>) -> Result<HttpResponse, PageError> {
    let key = file
        .strip_suffix(".svg")
        .filter(|key| is_avatar_key(key))
        .ok_or(PageError::NotFound)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "image/svg+xml"))
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .body(identicon_svg(key, 48)))
}
